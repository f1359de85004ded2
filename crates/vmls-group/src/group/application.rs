//! Application messages through the secret tree, on caller buffers (RFC 9420 sections 6.3, 9,
//! 15).
use rand_core::CryptoRng;
use vmls_crypto::CipherSuite;
use vmls_secret_tree::RatchetType;

use super::error::GroupError;
use super::{Group, check_size};
use crate::framing::application::{
    ApplicationSender, EncodedGroupContext, PrivateMessageView, ReceivedApplication,
    application_message_len, application_plaintext_len, encrypt_application_into,
};
use crate::framing::{ContentType, SenderData};

impl<S: CipherSuite> Group<S> {
    /// Length of the message [`Group::encrypt_application`] writes for `data_len` bytes of data
    /// and `authenticated_data_len` bytes of authenticated data (padding included).
    pub fn application_message_len(&self, authenticated_data_len: usize, data_len: usize) -> usize {
        let padding = self
            .config
            .padding_for(application_plaintext_len(data_len, 0));
        application_message_len(
            self.group_id().len(),
            authenticated_data_len,
            data_len,
            padding,
        )
    }

    /// Encrypts `data` as an `MLSMessage(PrivateMessage)` into `out` and returns its length
    /// (RFC 9420 section 6.3), without heap allocation. Takes the next generation of this
    /// member's application ratchet: persist the state before the message leaves the device
    /// (docs/embedding.md).
    ///
    /// Fails with [`GroupError::ProposalsPending`] if proposals were received in this epoch
    /// (RFC 9420 section 12.4: commit them first), [`GroupError::BufferTooSmall`] or
    /// [`GroupError::MessageTooLarge`] before any key is used.
    pub fn encrypt_application<R: CryptoRng + ?Sized>(
        &mut self,
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<usize, GroupError> {
        self.require_active()?;
        if !self.proposals.is_empty() {
            return Err(GroupError::ProposalsPending);
        }
        let padding = self
            .config
            .padding_for(application_plaintext_len(data.len(), 0));
        let len = application_message_len(
            self.group_id().len(),
            authenticated_data.len(),
            data.len(),
            padding,
        );
        check_size(&self.config, len)?;
        if out.len() < len {
            return Err(GroupError::BufferTooSmall { needed: len });
        }
        let own = self.epoch.own_leaf.0;
        let (generation, key) = self
            .epoch
            .secret_tree
            .next_send_key(own, RatchetType::Application)?;
        let sender = ApplicationSender {
            context: &self.epoch.encoded_context,
            leaf_index: own,
            signer: &self.prepared_signer,
            sender_data_secret: &self.epoch.secrets.sender_data_secret,
        };
        Ok(encrypt_application_into::<S, R>(
            &sender,
            generation,
            &key,
            authenticated_data,
            data,
            padding,
            rng,
            out,
        )?)
    }

    /// Decrypts an application message of the current epoch or a retained past epoch into
    /// `out` (RFC 9420 sections 6.3 and 14.4) without heap allocation; the data is
    /// `out[..len]`. The generation is consumed only after the message authenticated: a
    /// forged, replayed or malformed message changes nothing.
    pub fn decrypt_application<'m>(
        &mut self,
        message: &'m [u8],
        out: &mut [u8],
    ) -> Result<ReceivedApplication<'m>, GroupError> {
        check_size(&self.config, message.len())?;
        let view = PrivateMessageView::parse(message)?;
        if view.content_type() != ContentType::Application {
            return Err(GroupError::Message(crate::Error::WrongContentType {
                expected: ContentType::Application.value(),
                got: view.content_type().value(),
            }));
        }
        if view.group_id() != self.group_id() {
            return Err(GroupError::WrongGroupId);
        }
        let current = self.epoch();
        let epoch = view.epoch();
        // After a removal the current epoch's keys live on as a past epoch.
        let use_current = epoch == current && self.status == super::GroupStatus::Active;
        let received = if use_current {
            let e = &self.epoch;
            let tree = &e.tree;
            open(
                &view,
                &e.encoded_context,
                &e.secrets.sender_data_secret,
                &e.secret_tree,
                |leaf| {
                    tree.leaf(vmls_tree::LeafIndex(leaf))
                        .map(|l| *l.signature_key())
                },
                |_| Ok(()),
                out,
            )?
        } else {
            let past = self
                .past_epochs
                .iter()
                .find(|p| p.context.epoch == epoch)
                .ok_or(if epoch == current {
                    GroupError::Inactive
                } else {
                    GroupError::WrongEpoch {
                        got: epoch,
                        expected: current,
                    }
                })?;
            let keys = &past.signature_keys;
            let policy = self.config.late_messages_from_updated_senders;
            open(
                &view,
                &past.encoded_context,
                &past.sender_data_secret,
                &past.secret_tree,
                |leaf| keys.get(leaf),
                |leaf| past.check_late_sender(leaf, policy),
                out,
            )?
        };
        let tree = if use_current {
            &mut self.epoch.secret_tree
        } else {
            &mut self
                .past_epochs
                .iter_mut()
                .find(|p| p.context.epoch == epoch)
                .ok_or(GroupError::InvalidState)?
                .secret_tree
        };
        tree.consume_key(
            received.sender,
            RatchetType::Application,
            received.generation,
        )?;
        Ok(received)
    }
}

/// Decrypts and verifies with a secret tree left unchanged (the caller consumes the key);
/// `sender_ok` refuses senders before any key is derived ([`super::LatePolicy`]).
fn open<'m, S: CipherSuite>(
    view: &PrivateMessageView<'m>,
    context: &EncodedGroupContext,
    sender_data_secret: &vmls_crypto::Secret,
    secret_tree: &vmls_secret_tree::SecretTree<S>,
    signature_key: impl Fn(u32) -> Option<[u8; 32]>,
    sender_ok: impl Fn(u32) -> Result<(), GroupError>,
    out: &mut [u8],
) -> Result<ReceivedApplication<'m>, GroupError> {
    let sender_data: SenderData = view.decrypt_sender_data::<S>(sender_data_secret)?;
    let leaf = sender_data.leaf_index;
    sender_ok(leaf)?;
    let key_sig = signature_key(leaf).ok_or(GroupError::UnknownMember { leaf })?;
    let key = secret_tree.peek_key(leaf, RatchetType::Application, sender_data.generation)?;
    Ok(view.decrypt_application_into::<S>(&sender_data, &key, &key_sig, context, out)?)
}
