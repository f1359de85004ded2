//! The Welcome message (RFC 9420 section 12.4.3.1): `GroupSecrets` encrypted to each joiner's
//! init key, and the GroupInfo encrypted under the welcome key.
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, VLBytes, Writer, tls_struct};
use vmls_crypto::{CipherSuite, HpkeCiphertext, HpkePrivateKey, NH, Secret};
use zeroize::Zeroizing;

use crate::Error;
use crate::group_info::GroupInfo;
use crate::key_package::{KeyPackage, KeyPackageRef};
use vmls_keyschedule::PreSharedKeyId;

/// HPKE label of `encrypted_group_secrets` (RFC 9420 section 12.4.3.1).
pub const WELCOME_LABEL: &[u8] = b"Welcome";

fn decode_secret(r: &mut Reader<'_>) -> Result<Secret, CodecError> {
    let bytes = r.read_opaque()?;
    Secret::from_slice(bytes).ok_or(CodecError::WrongLength {
        expected: NH,
        got: bytes.len(),
    })
}

/// `PathSecret` (RFC 9420 section 12.4.3.1): `opaque path_secret<V>` of `KDF.Nh` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSecret {
    /// The path secret of the lowest common ancestor of committer and joiner.
    pub path_secret: Secret,
}

impl Encode for PathSecret {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        vmls_codec::encode_opaque(w, self.path_secret.as_bytes())
    }
    fn encoded_len(&self) -> usize {
        vmls_codec::opaque_len(NH)
    }
}

impl Decode for PathSecret {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            path_secret: decode_secret(r)?,
        })
    }
}

/// `GroupSecrets` (RFC 9420 section 12.4.3.1). Secrets are `KDF.Nh` bytes; other lengths
/// decode as [`CodecError::WrongLength`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSecrets {
    /// The epoch's `joiner_secret`.
    pub joiner_secret: Secret,
    /// Path secret for the joiner's part of the committer's path, if the Commit had a path.
    pub path_secret: Option<PathSecret>,
    /// The PSKs of the epoch, in Commit order.
    pub psks: Vec<PreSharedKeyId>,
}

impl Encode for GroupSecrets {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        vmls_codec::encode_opaque(w, self.joiner_secret.as_bytes())?;
        self.path_secret.encode(w)?;
        self.psks.encode(w)
    }
    fn encoded_len(&self) -> usize {
        vmls_codec::opaque_len(NH) + self.path_secret.encoded_len() + self.psks.encoded_len()
    }
}

impl Decode for GroupSecrets {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            joiner_secret: decode_secret(r)?,
            path_secret: Option::<PathSecret>::decode(r)?,
            psks: Vec::decode(r)?,
        })
    }
}

impl GroupSecrets {
    /// `EncryptWithLabel(init_key, "Welcome", encrypted_group_info, group_secrets)`.
    pub fn encrypt<S: CipherSuite, R: CryptoRng + ?Sized>(
        &self,
        init_key: &[u8],
        encrypted_group_info: &[u8],
        rng: &mut R,
    ) -> Result<HpkeCiphertext, Error> {
        let plain = Zeroizing::new(self.to_bytes()?);
        Ok(vmls_crypto::encrypt_with_label::<S, R>(
            init_key,
            WELCOME_LABEL,
            encrypted_group_info,
            &plain,
            rng,
        )?)
    }
}

tls_struct! {
    /// `EncryptedGroupSecrets` (RFC 9420 section 12.4.3.1).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct EncryptedGroupSecrets {
        /// Reference of the KeyPackage whose init key the secrets are encrypted to.
        pub new_member: KeyPackageRef,
        /// The encrypted [`GroupSecrets`].
        pub encrypted_group_secrets: HpkeCiphertext,
    }
}

impl EncryptedGroupSecrets {
    /// `DecryptWithLabel(init_key_priv, "Welcome", encrypted_group_info, kem_output,
    /// ciphertext)`, then decodes the GroupSecrets.
    pub fn decrypt<S: CipherSuite>(
        &self,
        init_key: &HpkePrivateKey,
        encrypted_group_info: &[u8],
    ) -> Result<GroupSecrets, Error> {
        let plain = vmls_crypto::decrypt_with_label::<S>(
            init_key,
            WELCOME_LABEL,
            encrypted_group_info,
            &self.encrypted_group_secrets.kem_output,
            &self.encrypted_group_secrets.ciphertext,
        )
        .map_err(|_| Error::GroupSecretsDecryptionFailed)?;
        Ok(GroupSecrets::decode_exact(&plain)?)
    }
}

tls_struct! {
    /// `Welcome` (RFC 9420 section 12.4.3.1).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Welcome {
        /// The group's cipher suite.
        pub cipher_suite: u16,
        /// One entry per joiner.
        pub secrets: Vec<EncryptedGroupSecrets>,
        /// The GroupInfo encrypted under the welcome key and nonce.
        pub encrypted_group_info: VLBytes,
    }
}

/// Checks a message's cipher suite against the one compiled in as `S`.
fn check_suite<S: CipherSuite>(got: u16) -> Result<(), Error> {
    if got == S::ID {
        Ok(())
    } else {
        Err(Error::CipherSuiteMismatch {
            expected: S::ID,
            got,
        })
    }
}

impl Welcome {
    /// Builds a Welcome (RFC 9420 section 12.4.3.1): encrypts `group_info` under the
    /// `welcome_secret`, then each joiner's GroupSecrets to the init key of its KeyPackage.
    pub fn new<S: CipherSuite, R: CryptoRng + ?Sized>(
        group_info: &GroupInfo,
        welcome_secret: &Secret,
        joiners: &[(&KeyPackage, &GroupSecrets)],
        rng: &mut R,
    ) -> Result<Self, Error> {
        let encrypted_group_info = group_info.encrypt::<S>(welcome_secret)?;
        let mut secrets = Vec::with_capacity(joiners.len());
        for (key_package, group_secrets) in joiners {
            check_suite::<S>(key_package.tbs.cipher_suite)?;
            secrets.push(EncryptedGroupSecrets {
                new_member: key_package.make_ref()?,
                encrypted_group_secrets: group_secrets.encrypt::<S, R>(
                    key_package.tbs.init_key.as_slice(),
                    &encrypted_group_info,
                    rng,
                )?,
            });
        }
        Ok(Self {
            cipher_suite: S::ID,
            secrets,
            encrypted_group_info: encrypted_group_info.into(),
        })
    }

    /// The entry for the KeyPackage with reference `key_package_ref`.
    pub fn find_secrets(&self, key_package_ref: &KeyPackageRef) -> Option<&EncryptedGroupSecrets> {
        self.secrets
            .iter()
            .find(|s| s.new_member == *key_package_ref)
    }

    /// Decrypts the joiner's GroupSecrets (RFC 9420 section 12.4.3.1): the Welcome and the
    /// KeyPackage must use suite `S`, the entry is found by the KeyPackage's reference and
    /// decrypted with its init private key.
    pub fn decrypt_group_secrets<S: CipherSuite>(
        &self,
        key_package: &KeyPackage,
        init_key: &HpkePrivateKey,
    ) -> Result<GroupSecrets, Error> {
        check_suite::<S>(self.cipher_suite)?;
        check_suite::<S>(key_package.tbs.cipher_suite)?;
        let entry = self
            .find_secrets(&key_package.make_ref()?)
            .ok_or(Error::NoMatchingKeyPackage)?;
        entry.decrypt::<S>(init_key, &self.encrypted_group_info)
    }

    /// Decrypts and decodes the GroupInfo with the `welcome_secret` derived from the
    /// GroupSecrets' joiner secret and PSKs. Its signature and confirmation tag are checked by
    /// the caller ([`GroupInfo::verify_signature`], [`GroupInfo::verify_confirmation_tag`]).
    pub fn decrypt_group_info<S: CipherSuite>(
        &self,
        welcome_secret: &Secret,
    ) -> Result<GroupInfo, Error> {
        check_suite::<S>(self.cipher_suite)?;
        let group_info = GroupInfo::decrypt::<S>(&self.encrypted_group_info, welcome_secret)?;
        check_suite::<S>(group_info.tbs.group_context.cipher_suite)?;
        Ok(group_info)
    }
}
