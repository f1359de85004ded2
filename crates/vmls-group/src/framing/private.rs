//! PrivateMessage protection (RFC 9420 section 6.3): content encryption with a key and nonce
//! from the sender's ratchet and a reuse guard (6.3.1), and sender-data encryption with a key and
//! nonce derived from `sender_data_secret` and a sample of the ciphertext (6.3.2).
//!
//! Unprotecting is split so the caller can consult its secret tree in between:
//! [`PrivateMessage::decrypt_sender_data`] names the sender and generation,
//! [`PrivateMessage::decrypt`] opens the content with that sender's key, and
//! [`UnverifiedContent::verify`] checks the signature. [`PrivateMessage::unprotect`] chains the
//! three with a lookup closure.
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode};
use vmls_crypto::{CipherSuite, Secret, SignaturePublicKey};
use vmls_keyschedule::GroupContext;
use vmls_secret_tree::KeyNonce;
use zeroize::Zeroizing;

use super::public::check_group_epoch;
use super::{
    AuthenticatedContent, ContentType, FramedContent, PrivateContentAAD, PrivateMessage,
    PrivateMessageContent, Sender, SenderData, SenderDataAAD, WireFormat,
};
use crate::Error;

/// The `SenderData` key and nonce for a message with content ciphertext `ciphertext`
/// (RFC 9420 section 6.3.2, computed by vmls-keyschedule).
pub(crate) fn sender_data_key<S: CipherSuite>(
    sender_data_secret: &Secret,
    ciphertext: &[u8],
) -> Result<KeyNonce<S>, Error> {
    Ok(vmls_keyschedule::sender_data_key_nonce::<S>(
        sender_data_secret,
        ciphertext,
    )?)
}

/// Encrypts `SenderData` with the key and nonce from `sender_data_secret` and `ciphertext`.
fn seal_sender_data<S: CipherSuite>(
    sender_data_secret: &Secret,
    ciphertext: &[u8],
    aad: &[u8],
    sender_data: &SenderData,
) -> Result<Vec<u8>, Error> {
    let key = sender_data_key::<S>(sender_data_secret, ciphertext)?;
    Ok(S::seal(
        key.key(),
        key.nonce(),
        aad,
        &sender_data.to_bytes()?,
    )?)
}

/// Content decrypted from a PrivateMessage whose signature has not been checked yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnverifiedContent {
    authenticated: AuthenticatedContent,
    leaf_index: u32,
    padding: usize,
}

impl UnverifiedContent {
    /// The sender's leaf index (from the sender data).
    pub fn sender_leaf_index(&self) -> u32 {
        self.leaf_index
    }

    /// The content, for choosing the signature key. Do not act on it before [`Self::verify`].
    pub fn content(&self) -> &FramedContent {
        &self.authenticated.content
    }

    /// Number of zero padding bytes the plaintext had.
    pub fn padding(&self) -> usize {
        self.padding
    }

    /// Checks the group and epoch against `context` and the signature with the sender's
    /// `signature_key` (RFC 9420 section 6.3.1: "the application MUST check that the
    /// FramedContentAuthData is valid"). A commit's confirmation tag needs the next epoch's key
    /// schedule and is checked by the caller.
    pub fn verify(
        self,
        signature_key: &[u8],
        context: &GroupContext,
    ) -> Result<AuthenticatedContent, Error> {
        let c = &self.authenticated.content;
        check_group_epoch(&c.group_id, c.epoch, context)?;
        self.authenticated
            .verify_signature(signature_key, Some(context))?;
        Ok(self.authenticated)
    }
}

impl PrivateMessage {
    /// Encrypts signed content (RFC 9420 section 6.3). The content must have been signed for
    /// `mls_private_message` by a `member` sender and carry a confirmation tag exactly if it is a
    /// commit. `key` is the sender's next unused key for the content type (handshake ratchet for
    /// proposals and commits, application ratchet for application data) of ratchet generation
    /// `generation`; `padding` zero bytes are appended to the plaintext; the reuse guard comes
    /// from `rng`.
    pub fn protect<S: CipherSuite, R: CryptoRng + ?Sized>(
        authenticated: &AuthenticatedContent,
        generation: u32,
        key: &KeyNonce<S>,
        sender_data_secret: &Secret,
        padding: usize,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if authenticated.wire_format != WireFormat::PrivateMessage {
            return Err(Error::WrongWireFormat {
                expected: WireFormat::PrivateMessage.value(),
                got: authenticated.wire_format.value(),
            });
        }
        let content = &authenticated.content;
        let Sender::Member(leaf_index) = content.sender else {
            return Err(Error::SenderNotMember);
        };
        let content_type = content.content_type();
        authenticated.auth.check_for(content_type)?;

        let mut reuse_guard = [0u8; 4];
        rng.fill_bytes(&mut reuse_guard);
        let sender_data = SenderData {
            leaf_index,
            generation,
            reuse_guard,
        };

        let plaintext = PrivateMessageContent {
            content: content.content.clone(),
            auth: authenticated.auth.clone(),
            padding,
        };
        let plaintext = Zeroizing::new(plaintext.to_bytes()?);
        let aad = PrivateContentAAD {
            group_id: &content.group_id,
            epoch: content.epoch,
            content_type,
            authenticated_data: &content.authenticated_data,
        }
        .to_bytes()?;
        let nonce = key.guarded_nonce(&reuse_guard);
        let ciphertext = S::seal(key.key(), &nonce, &aad, &plaintext)?;

        let sd_aad = SenderDataAAD {
            group_id: &content.group_id,
            epoch: content.epoch,
            content_type,
        }
        .to_bytes()?;
        let encrypted_sender_data =
            seal_sender_data::<S>(sender_data_secret, &ciphertext, &sd_aad, &sender_data)?;
        Ok(Self {
            group_id: content.group_id.clone(),
            epoch: content.epoch,
            content_type,
            authenticated_data: content.authenticated_data.clone(),
            encrypted_sender_data: encrypted_sender_data.into(),
            ciphertext: ciphertext.into(),
        })
    }

    /// Decrypts the sender data (RFC 9420 section 6.3.2). The caller checks that `leaf_index`
    /// names a non-blank leaf and fetches that sender's key for `generation`.
    pub fn decrypt_sender_data<S: CipherSuite>(
        &self,
        sender_data_secret: &Secret,
    ) -> Result<SenderData, Error> {
        let key = sender_data_key::<S>(sender_data_secret, &self.ciphertext)?;
        let aad = SenderDataAAD {
            group_id: &self.group_id,
            epoch: self.epoch,
            content_type: self.content_type,
        }
        .to_bytes()?;
        let plain = S::open(key.key(), key.nonce(), &aad, &self.encrypted_sender_data)
            .map_err(|_| Error::SenderDataDecryptionFailed)?;
        Ok(SenderData::decode_exact(&plain)?)
    }

    /// Decrypts the content with the sender's `key` for `sender_data.generation` (RFC 9420
    /// section 6.3.1; from the handshake ratchet for proposals and commits, the application
    /// ratchet for application data) and parses it, rejecting non-zero padding. The signature is
    /// checked by [`UnverifiedContent::verify`].
    pub fn decrypt<S: CipherSuite>(
        &self,
        sender_data: &SenderData,
        key: &KeyNonce<S>,
    ) -> Result<UnverifiedContent, Error> {
        let aad = PrivateContentAAD {
            group_id: &self.group_id,
            epoch: self.epoch,
            content_type: self.content_type,
            authenticated_data: &self.authenticated_data,
        }
        .to_bytes()?;
        let nonce = key.guarded_nonce(&sender_data.reuse_guard);
        let plaintext = Zeroizing::new(
            S::open(key.key(), &nonce, &aad, &self.ciphertext)
                .map_err(|_| Error::ContentDecryptionFailed)?,
        );
        let pmc = PrivateMessageContent::decode_plaintext(&plaintext, self.content_type)?;
        Ok(UnverifiedContent {
            authenticated: AuthenticatedContent {
                wire_format: WireFormat::PrivateMessage,
                content: FramedContent {
                    group_id: self.group_id.clone(),
                    epoch: self.epoch,
                    sender: Sender::Member(sender_data.leaf_index),
                    authenticated_data: self.authenticated_data.clone(),
                    content: pmc.content,
                },
                auth: pmc.auth,
            },
            leaf_index: sender_data.leaf_index,
            padding: pmc.padding,
        })
    }

    /// Decodes a PrivateMessage into verified AuthenticatedContent (RFC 9420 section 6.3):
    /// checks the group and epoch, decrypts the sender data, asks `lookup` for the sender's key
    /// for the generation and content type and its signature key, decrypts, and verifies the
    /// signature.
    pub fn unprotect<S, K>(
        &self,
        sender_data_secret: &Secret,
        context: &GroupContext,
        lookup: K,
    ) -> Result<AuthenticatedContent, Error>
    where
        S: CipherSuite,
        K: FnOnce(&SenderData, ContentType) -> Result<(KeyNonce<S>, SignaturePublicKey), Error>,
    {
        check_group_epoch(&self.group_id, self.epoch, context)?;
        let sender_data = self.decrypt_sender_data::<S>(sender_data_secret)?;
        let (key, signature_key) = lookup(&sender_data, self.content_type)?;
        self.decrypt::<S>(&sender_data, &key)?
            .verify(&signature_key, context)
    }
}
