//! `GroupInfo` (RFC 9420 section 12.4.3) and its encryption under the welcome key.
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, OpaqueArray, tls_struct};
use vmls_crypto::{CipherSuite, Secret, SignaturePrivateKey};
use vmls_keyschedule::GroupContext;
use vmls_tree::Extension;
use vmls_tree::node::SignatureBytes;

use crate::Error;
use crate::framing::Mac;

/// Signature label of a GroupInfo (RFC 9420 section 12.4.3).
pub const GROUP_INFO_TBS_LABEL: &[u8] = b"GroupInfoTBS";

tls_struct! {
    /// `GroupInfoTBS` (RFC 9420 section 12.4.3): every field of a GroupInfo but the signature.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct GroupInfoTBS {
        /// The group's state in the epoch.
        pub group_context: GroupContext,
        /// GroupInfo extensions (`ratchet_tree`, `external_pub`, ...).
        pub extensions: Vec<Extension>,
        /// Confirmation tag of the Commit that started the epoch.
        pub confirmation_tag: Mac,
        /// Leaf index of the member that signs.
        pub signer: u32,
    }
}

tls_struct! {
    /// `GroupInfo` (RFC 9420 section 12.4.3): the signed [`GroupInfoTBS`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct GroupInfo {
        /// The signed fields.
        pub tbs: GroupInfoTBS,
        /// `SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)` by the `signer` leaf.
        pub signature: SignatureBytes,
    }
}

impl GroupInfoTBS {
    /// Signs with the signature key of leaf `signer`.
    pub fn sign(self, signer: &SignaturePrivateKey) -> Result<GroupInfo, Error> {
        let tbs = self.to_bytes()?;
        let signature = vmls_crypto::sign_with_label(signer, GROUP_INFO_TBS_LABEL, &tbs)?;
        Ok(GroupInfo {
            tbs: self,
            signature: OpaqueArray(signature),
        })
    }
}

impl GroupInfo {
    /// The leaf index of the signer.
    pub fn signer(&self) -> u32 {
        self.tbs.signer
    }

    /// The GroupContext.
    pub fn group_context(&self) -> &GroupContext {
        &self.tbs.group_context
    }

    /// Verifies the signature with the signature key of leaf `signer` (RFC 9420 section 12.4.3;
    /// the caller takes the key from the ratchet tree and rejects a blank leaf).
    pub fn verify_signature(&self, signer_key: &[u8]) -> Result<(), Error> {
        let tbs = self.tbs.to_bytes()?;
        vmls_crypto::verify_with_label(
            signer_key,
            GROUP_INFO_TBS_LABEL,
            &tbs,
            self.signature.as_slice(),
        )
        .map_err(|_| Error::InvalidSignature)
    }

    /// Checks `confirmation_tag == MAC(confirmation_key, confirmed_transcript_hash)` (RFC 9420
    /// section 12.4.3.1) in constant time.
    pub fn verify_confirmation_tag(&self, confirmation_key: &Secret) -> Result<(), Error> {
        vmls_crypto::verify_mac(
            confirmation_key.as_bytes(),
            &self.tbs.group_context.confirmed_transcript_hash,
            self.tbs.confirmation_tag.as_slice(),
        )
        .map_err(|_| Error::InvalidConfirmationTag)
    }

    /// `encrypted_group_info`: the GroupInfo sealed with the welcome key and nonce (RFC 9420
    /// section 12.4.3.1: `ExpandWithLabel(welcome_secret, "key" / "nonce", "", ..)`), empty AAD.
    pub fn encrypt<S: CipherSuite>(&self, welcome_secret: &Secret) -> Result<Vec<u8>, Error> {
        let key = vmls_keyschedule::welcome_key_nonce::<S>(welcome_secret)?;
        Ok(S::seal(key.key(), key.nonce(), &[], &self.to_bytes()?)?)
    }

    /// Opens `encrypted_group_info` with the welcome key and nonce and decodes the GroupInfo.
    pub fn decrypt<S: CipherSuite>(
        encrypted_group_info: &[u8],
        welcome_secret: &Secret,
    ) -> Result<Self, Error> {
        let key = vmls_keyschedule::welcome_key_nonce::<S>(welcome_secret)?;
        let plain = S::open(key.key(), key.nonce(), &[], encrypted_group_info)
            .map_err(|_| Error::GroupInfoDecryptionFailed)?;
        Ok(Self::decode_exact(&plain)?)
    }
}
