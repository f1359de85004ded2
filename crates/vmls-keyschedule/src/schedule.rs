//! The epoch key schedule (RFC 9420 section 8, figure "The MLS Key Schedule" and table 4).
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{
    CipherSuite, HashValue, HpkeKeyPair, NH, Secret, derive_key_pair, derive_secret,
    expand_with_label, extract, mac, verify_mac,
};
use vmls_secret_tree::KeyNonce;
use zeroize::Zeroize;

use crate::exporter::{ComponentId, SafeExporter, mls_exporter};
use crate::{GroupContext, KeyScheduleError};

/// `joiner_secret = ExpandWithLabel(KDF.Extract(init_secret_[n-1], commit_secret), "joiner",
/// GroupContext_[n], KDF.Nh)`.
pub fn joiner_secret(
    init_secret: &Secret,
    commit_secret: &Secret,
    group_context: &GroupContext,
) -> Result<Secret, KeyScheduleError> {
    let gc = group_context.to_bytes()?;
    joiner_secret_with_context(init_secret, commit_secret, &gc)
}

/// [`joiner_secret`] with the GroupContext already encoded.
pub fn joiner_secret_with_context(
    init_secret: &Secret,
    commit_secret: &Secret,
    encoded_group_context: &[u8],
) -> Result<Secret, KeyScheduleError> {
    let prk = extract(init_secret.as_bytes(), commit_secret.as_bytes());
    Ok(expand_with_label(
        prk.as_bytes(),
        b"joiner",
        encoded_group_context,
    )?)
}

/// `KDF.Extract(joiner_secret, psk_secret)`: the value `welcome_secret` and `epoch_secret` are
/// derived from.
fn member_secret(joiner_secret: &Secret, psk_secret: &Secret) -> Secret {
    extract(joiner_secret.as_bytes(), psk_secret.as_bytes())
}

/// `welcome_secret = DeriveSecret(KDF.Extract(joiner_secret, psk_secret), "welcome")`. A joiner
/// needs it before it knows the GroupContext (it decrypts the GroupInfo with it).
pub fn welcome_secret(
    joiner_secret: &Secret,
    psk_secret: &Secret,
) -> Result<Secret, KeyScheduleError> {
    Ok(derive_secret(
        member_secret(joiner_secret, psk_secret).as_bytes(),
        b"welcome",
    )?)
}

/// `welcome_key = ExpandWithLabel(welcome_secret, "key", "", AEAD.Nk)` and
/// `welcome_nonce = ExpandWithLabel(welcome_secret, "nonce", "", AEAD.Nn)` (RFC 9420 section
/// 12.4.3.1), for the suite `S`.
pub fn welcome_key_nonce<S: CipherSuite>(
    welcome_secret: &Secret,
) -> Result<KeyNonce<S>, KeyScheduleError> {
    Ok(KeyNonce::expand(welcome_secret.as_bytes(), &[])?)
}

/// The key and nonce protecting a PrivateMessage's `SenderData` (RFC 9420 section 6.3.2):
///
/// ```text
/// ciphertext_sample = ciphertext[0..KDF.Nh-1]     /* the whole ciphertext if shorter */
/// sender_data_key   = ExpandWithLabel(sender_data_secret, "key",   ciphertext_sample, AEAD.Nk)
/// sender_data_nonce = ExpandWithLabel(sender_data_secret, "nonce", ciphertext_sample, AEAD.Nn)
/// ```
pub fn sender_data_key_nonce<S: CipherSuite>(
    sender_data_secret: &Secret,
    ciphertext: &[u8],
) -> Result<KeyNonce<S>, KeyScheduleError> {
    let sample = ciphertext.get(..NH).unwrap_or(ciphertext);
    Ok(KeyNonce::expand(sender_data_secret.as_bytes(), sample)?)
}

/// `confirmation_tag = MAC(confirmation_key, GroupContext.confirmed_transcript_hash)` (RFC 9420
/// section 6.1).
pub fn confirmation_tag(confirmation_key: &Secret, confirmed_transcript_hash: &[u8]) -> HashValue {
    mac(confirmation_key.as_bytes(), confirmed_transcript_hash)
}

/// Checks a confirmation tag in constant time
/// ([`vmls_crypto::Error::InvalidMac`] on mismatch).
pub fn verify_confirmation_tag(
    confirmation_key: &Secret,
    confirmed_transcript_hash: &[u8],
    tag: &[u8],
) -> Result<(), KeyScheduleError> {
    Ok(verify_mac(
        confirmation_key.as_bytes(),
        confirmed_transcript_hash,
        tag,
    )?)
}

/// `membership_tag = MAC(membership_key, AuthenticatedContentTBM)` (RFC 9420 section 6.2), over
/// the encoded `AuthenticatedContentTBM` the framing layer passes.
pub fn membership_tag(membership_key: &Secret, authenticated_content_tbm: &[u8]) -> HashValue {
    mac(membership_key.as_bytes(), authenticated_content_tbm)
}

/// Checks a membership tag in constant time.
pub fn verify_membership_tag(
    membership_key: &Secret,
    authenticated_content_tbm: &[u8],
    tag: &[u8],
) -> Result<(), KeyScheduleError> {
    Ok(verify_mac(
        membership_key.as_bytes(),
        authenticated_content_tbm,
        tag,
    )?)
}

/// What the key schedule produces when an epoch starts.
///
/// `joiner_secret` and `welcome_secret` are what a committer needs for the Welcome
/// (`GroupSecrets.joiner_secret`, the GroupInfo encryption); `encryption_secret` is the root of
/// the secret tree and should be moved into `vmls_secret_tree::SecretTree::new`, which deletes it
/// as the tree is derived; `secrets` is kept for the epoch. Everything zeroizes on drop.
#[derive(Debug)]
pub struct NewEpoch {
    /// `joiner_secret`.
    pub joiner_secret: Secret,
    /// `welcome_secret`.
    pub welcome_secret: Secret,
    /// `encryption_secret`: the secret-tree root.
    pub encryption_secret: Secret,
    /// The other Table-4 secrets of the epoch and the next `init_secret`.
    pub secrets: EpochSecrets,
}

impl NewEpoch {
    /// An existing member's entry point: from the previous epoch's `init_secret`, the
    /// `commit_secret` of the Commit (all zero without a path), the `psk_secret`
    /// ([`crate::psk_secret`], all zero without PSKs) and the new epoch's GroupContext.
    pub fn from_commit(
        init_secret: &Secret,
        commit_secret: &Secret,
        psk_secret: &Secret,
        group_context: &GroupContext,
    ) -> Result<Self, KeyScheduleError> {
        let gc = group_context.to_bytes()?;
        let joiner = joiner_secret_with_context(init_secret, commit_secret, &gc)?;
        Self::derive(joiner, psk_secret, &gc)
    }

    /// A new member's entry point (Welcome): from `GroupSecrets.joiner_secret`, the
    /// `psk_secret` of `GroupSecrets.psks` and the GroupContext of the GroupInfo.
    pub fn from_joiner_secret(
        joiner_secret: &Secret,
        psk_secret: &Secret,
        group_context: &GroupContext,
    ) -> Result<Self, KeyScheduleError> {
        let gc = group_context.to_bytes()?;
        Self::derive(joiner_secret.clone(), psk_secret, &gc)
    }

    /// The schedule from `joiner_secret` on, with the GroupContext already encoded.
    pub fn from_joiner_secret_with_context(
        joiner_secret: &Secret,
        psk_secret: &Secret,
        encoded_group_context: &[u8],
    ) -> Result<Self, KeyScheduleError> {
        Self::derive(joiner_secret.clone(), psk_secret, encoded_group_context)
    }

    fn derive(
        joiner_secret: Secret,
        psk_secret: &Secret,
        gc: &[u8],
    ) -> Result<Self, KeyScheduleError> {
        let member = member_secret(&joiner_secret, psk_secret);
        let welcome_secret = derive_secret(member.as_bytes(), b"welcome")?;
        let epoch_secret = expand_with_label(member.as_bytes(), b"epoch", gc)?;
        drop(member);
        let (encryption_secret, secrets) = EpochSecrets::from_epoch_secret(&epoch_secret)?;
        Ok(Self {
            joiner_secret,
            welcome_secret,
            encryption_secret,
            secrets,
        })
    }
}

/// The secrets of an epoch derived from `epoch_secret` (RFC 9420 table 4) other than
/// `encryption_secret` (see [`NewEpoch`]), the next epoch's `init_secret`, and the safe
/// exporter (rooted at `DeriveSecret(epoch_secret, "application_export")`). Zeroized on drop;
/// `Debug` prints no secret.
#[derive(Clone, Debug)]
pub struct EpochSecrets {
    /// `sender_data_secret` ("sender data").
    pub sender_data_secret: Secret,
    /// `exporter_secret` ("exporter").
    pub exporter_secret: Secret,
    /// `external_secret` ("external").
    pub external_secret: Secret,
    /// `confirmation_key` ("confirm").
    pub confirmation_key: Secret,
    /// `membership_key` ("membership").
    pub membership_key: Secret,
    /// `resumption_psk` ("resumption").
    pub resumption_psk: Secret,
    /// `epoch_authenticator` ("authentication").
    pub epoch_authenticator: Secret,
    /// `init_secret_[n]` ("init"): the next epoch's init secret.
    pub init_secret: Secret,
    /// The safe exporter of draft-ietf-mls-extensions ("application_export").
    pub safe_exporter: SafeExporter,
}

impl EpochSecrets {
    /// Every `DeriveSecret(epoch_secret, <label>)` of the epoch; returns `encryption_secret`
    /// separately.
    pub fn from_epoch_secret(epoch_secret: &Secret) -> Result<(Secret, Self), KeyScheduleError> {
        let d = |label: &[u8]| derive_secret(epoch_secret.as_bytes(), label);
        let encryption_secret = d(b"encryption")?;
        let secrets = Self {
            sender_data_secret: d(b"sender data")?,
            exporter_secret: d(b"exporter")?,
            external_secret: d(b"external")?,
            confirmation_key: d(b"confirm")?,
            membership_key: d(b"membership")?,
            resumption_psk: d(b"resumption")?,
            epoch_authenticator: d(b"authentication")?,
            init_secret: d(b"init")?,
            safe_exporter: SafeExporter::new(d(b"application_export")?)?,
        };
        Ok((encryption_secret, secrets))
    }

    /// `external_priv, external_pub = KEM.DeriveKeyPair(external_secret)` (RFC 9420 section 8).
    pub fn external_key_pair(&self) -> Result<HpkeKeyPair, KeyScheduleError> {
        Ok(derive_key_pair(self.external_secret.as_bytes())?)
    }

    /// `MLS-Exporter(label, context, out.len())` (RFC 9420 section 8.5).
    pub fn export(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), KeyScheduleError> {
        mls_exporter(&self.exporter_secret, label, context, out)
    }

    /// `SafeExportSecret(component_id)`, consumable once per epoch (see [`SafeExporter`]).
    pub fn safe_export_secret(
        &mut self,
        component_id: ComponentId,
    ) -> Result<Secret, KeyScheduleError> {
        self.safe_exporter.safe_export_secret(component_id)
    }

    /// `MAC(confirmation_key, confirmed_transcript_hash)`.
    pub fn confirmation_tag(&self, confirmed_transcript_hash: &[u8]) -> HashValue {
        confirmation_tag(&self.confirmation_key, confirmed_transcript_hash)
    }

    /// Checks a confirmation tag in constant time.
    pub fn verify_confirmation_tag(
        &self,
        confirmed_transcript_hash: &[u8],
        tag: &[u8],
    ) -> Result<(), KeyScheduleError> {
        verify_confirmation_tag(&self.confirmation_key, confirmed_transcript_hash, tag)
    }

    /// `MAC(membership_key, AuthenticatedContentTBM)`.
    pub fn membership_tag(&self, authenticated_content_tbm: &[u8]) -> HashValue {
        membership_tag(&self.membership_key, authenticated_content_tbm)
    }

    /// Checks a membership tag in constant time.
    pub fn verify_membership_tag(
        &self,
        authenticated_content_tbm: &[u8],
        tag: &[u8],
    ) -> Result<(), KeyScheduleError> {
        verify_membership_tag(&self.membership_key, authenticated_content_tbm, tag)
    }

    /// The `SenderData` key and nonce for a PrivateMessage `ciphertext`.
    pub fn sender_data_key_nonce<S: CipherSuite>(
        &self,
        ciphertext: &[u8],
    ) -> Result<KeyNonce<S>, KeyScheduleError> {
        sender_data_key_nonce::<S>(&self.sender_data_secret, ciphertext)
    }
}

fn read_secret(r: &mut Reader<'_>) -> Result<Secret, CodecError> {
    let mut raw = r.read_array::<NH>()?;
    let s = Secret::from_bytes(raw);
    raw.zeroize();
    Ok(s)
}

/// Encoding for the persisted group state: the eight secrets as `opaque[Nh]` in field order,
/// then the safe exporter.
impl Encode for EpochSecrets {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        for s in [
            &self.sender_data_secret,
            &self.exporter_secret,
            &self.external_secret,
            &self.confirmation_key,
            &self.membership_key,
            &self.resumption_psk,
            &self.epoch_authenticator,
            &self.init_secret,
        ] {
            w.put(s.as_bytes())?;
        }
        self.safe_exporter.encode(w)
    }
    fn encoded_len(&self) -> usize {
        8 * NH + self.safe_exporter.encoded_len()
    }
}

impl Decode for EpochSecrets {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            sender_data_secret: read_secret(r)?,
            exporter_secret: read_secret(r)?,
            external_secret: read_secret(r)?,
            confirmation_key: read_secret(r)?,
            membership_key: read_secret(r)?,
            resumption_psk: read_secret(r)?,
            epoch_authenticator: read_secret(r)?,
            init_secret: read_secret(r)?,
            safe_exporter: SafeExporter::decode(r)?,
        })
    }
}
