//! Application messages on caller buffers (RFC 9420 sections 6.3 and 15), without heap
//! allocation.
//!
//! [`encrypt_application_into`] writes a whole `MLSMessage(PrivateMessage)` carrying application
//! data into the caller's buffer, and [`decrypt_application_into`] (or [`PrivateMessageView`] step
//! by step) opens one into another caller buffer. Neither allocates: the `FramedContentTBS` is
//! signed and verified piecewise (header fields, payload and the epoch's GroupContext encoding,
//! cached once per epoch in [`EncodedGroupContext`]), both AEADs run in place, and the AADs are
//! slices of the message itself (`SenderDataAAD` and `PrivateContentAAD` are prefixes of the
//! PrivateMessage body).
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode, Reader, SliceWriter, Writer, encode_opaque, opaque_len};
use vmls_crypto::{CipherSuite, SIGNATURE_LEN, Secret, TAG_LEN};
use vmls_keyschedule::GroupContext;
use vmls_secret_tree::KeyNonce;
use zeroize::Zeroize;

use super::private::sender_data_key;
use super::public::FRAMED_CONTENT_TBS_LABEL;
use super::{ContentType, ProtocolVersion, SenderData, WireFormat, all_zero};
use crate::Error;
use crate::labeled::{PreparedSigner, sign_parts, verify_parts};

/// Encoded `SenderData` length (`uint32 leaf_index; uint32 generation; opaque reuse_guard[4]`).
const SENDER_DATA_LEN: usize = 12;
/// `encrypted_sender_data` length: SenderData plus the AEAD tag.
const ENCRYPTED_SENDER_DATA_LEN: usize = SENDER_DATA_LEN + TAG_LEN;
/// `opaque signature<V>` holding an Ed25519 signature (64 needs a two-byte varint).
const SIGNATURE_FIELD_LEN: usize = 2 + SIGNATURE_LEN;
/// `version || wire_format` of an `MLSMessage(PrivateMessage)`.
const PRIVATE_MESSAGE_HEADER: [u8; 4] = [0, 1, 0, 2];

/// The encoding of an epoch's GroupContext with its group ID and epoch, made once per epoch
/// (it allocates) so application messages can be signed and verified without allocating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedGroupContext {
    bytes: Vec<u8>,
    group_id_start: usize,
    group_id_len: usize,
    epoch: u64,
}

impl EncodedGroupContext {
    /// Encodes `context`.
    pub fn new(context: &GroupContext) -> Result<Self, Error> {
        Ok(Self {
            bytes: context.to_bytes()?,
            // version (2) || cipher_suite (2) || varint length || group_id
            group_id_start: 4 + vmls_codec::varint_len(context.group_id.len()),
            group_id_len: context.group_id.len(),
            epoch: context.epoch,
        })
    }

    /// The encoded GroupContext.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The group ID.
    pub fn group_id(&self) -> &[u8] {
        self.bytes
            .get(self.group_id_start..self.group_id_start + self.group_id_len)
            .unwrap_or(&[])
    }

    /// The epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// What a member needs to send application messages in an epoch.
#[derive(Debug, Clone, Copy)]
pub struct ApplicationSender<'a> {
    /// The epoch's GroupContext.
    pub context: &'a EncodedGroupContext,
    /// The sender's leaf index.
    pub leaf_index: u32,
    /// The sender's leaf signature key, expanded once ([`PreparedSigner::new`]).
    pub signer: &'a PreparedSigner,
    /// The epoch's `sender_data_secret`.
    pub sender_data_secret: &'a Secret,
}

/// Length of the plaintext `PrivateMessageContent` for `application_len` bytes of data and
/// `padding` zero bytes.
pub fn application_plaintext_len(application_len: usize, padding: usize) -> usize {
    opaque_len(application_len)
        .saturating_add(SIGNATURE_FIELD_LEN)
        .saturating_add(padding)
}

/// Exact length of the `MLSMessage(PrivateMessage)` [`encrypt_application_into`] writes.
pub fn application_message_len(
    group_id_len: usize,
    authenticated_data_len: usize,
    application_len: usize,
    padding: usize,
) -> usize {
    let ciphertext = application_plaintext_len(application_len, padding).saturating_add(TAG_LEN);
    PRIVATE_MESSAGE_HEADER
        .len()
        .saturating_add(opaque_len(group_id_len))
        .saturating_add(8 + 1)
        .saturating_add(opaque_len(authenticated_data_len))
        .saturating_add(opaque_len(ENCRYPTED_SENDER_DATA_LEN))
        .saturating_add(opaque_len(ciphertext))
}

/// A varint length prefix in a small stack buffer.
pub(crate) struct VarintBuf {
    buf: [u8; 4],
    len: usize,
}

impl VarintBuf {
    pub(crate) fn new(v: usize) -> Result<Self, Error> {
        let mut buf = [0u8; 4];
        let mut w = SliceWriter::new(&mut buf);
        vmls_codec::encode_varint(&mut w, v)?;
        let len = w.written();
        Ok(Self { buf, len })
    }
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// Encrypts `application_data` as an `MLSMessage(PrivateMessage)` into `out` and returns its
/// length (RFC 9420 section 6.3), without allocating.
///
/// `key` is the sender's next unused application-ratchet key, of ratchet generation
/// `generation` (`SecretTree::next_send_key`); `padding` zero bytes pad the
/// plaintext; the reuse guard comes from `rng`. `out` must hold at least
/// [`application_message_len`] bytes ([`Error::BufferTooSmall`] otherwise).
#[allow(clippy::too_many_arguments)]
pub fn encrypt_application_into<S: CipherSuite, R: CryptoRng + ?Sized>(
    sender: &ApplicationSender<'_>,
    generation: u32,
    key: &KeyNonce<S>,
    authenticated_data: &[u8],
    application_data: &[u8],
    padding: usize,
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize, Error> {
    let ctx = sender.context;
    let group_id = ctx.group_id();
    let epoch = ctx.epoch().to_be_bytes();
    let total = application_message_len(
        group_id.len(),
        authenticated_data.len(),
        application_data.len(),
        padding,
    );
    let plaintext_len = application_plaintext_len(application_data.len(), padding);
    let out = out
        .get_mut(..total)
        .ok_or(Error::BufferTooSmall { needed: total })?;

    // FramedContentTBS of a member's application message, signed piecewise:
    // version || wire_format || group_id<V> || epoch || sender || authenticated_data<V> ||
    // content_type || application_data<V> || GroupContext.
    let group_id_len = VarintBuf::new(group_id.len())?;
    let ad_len = VarintBuf::new(authenticated_data.len())?;
    let app_len = VarintBuf::new(application_data.len())?;
    let leaf = sender.leaf_index.to_be_bytes();
    let sender_field = [1, leaf[0], leaf[1], leaf[2], leaf[3]];
    let content_type = [ContentType::Application.value()];
    let signature = sign_parts(
        sender.signer,
        FRAMED_CONTENT_TBS_LABEL,
        &[
            &PRIVATE_MESSAGE_HEADER,
            group_id_len.as_slice(),
            group_id,
            &epoch,
            &sender_field,
            ad_len.as_slice(),
            authenticated_data,
            &content_type,
            app_len.as_slice(),
            application_data,
            ctx.as_bytes(),
        ],
    )?;

    // MLSMessage header and the PrivateMessage fields up to authenticated_data.
    let mut w = SliceWriter::new(out);
    w.put(&PRIVATE_MESSAGE_HEADER)?;
    encode_opaque(&mut w, group_id)?;
    w.put(&epoch)?;
    w.put(&content_type)?;
    let sender_data_aad_end = w.written();
    encode_opaque(&mut w, authenticated_data)?;
    let content_aad_end = w.written();
    vmls_codec::encode_varint(&mut w, ENCRYPTED_SENDER_DATA_LEN)?;
    let sender_data_start = w.written();
    w.put(&[0u8; ENCRYPTED_SENDER_DATA_LEN])?;
    vmls_codec::encode_varint(&mut w, plaintext_len + TAG_LEN)?;
    let ciphertext_start = w.written();
    // PrivateMessageContent: application_data<V> || signature<V> || zero padding.
    encode_opaque(&mut w, application_data)?;
    encode_opaque(&mut w, &signature)?;
    let zeros_start = w.written();
    let zeros_end = zeros_start + padding;
    if zeros_end + TAG_LEN != total {
        return Err(Error::BufferTooSmall {
            needed: zeros_end + TAG_LEN,
        });
    }

    let (head, body) = out.split_at_mut(ciphertext_start);
    body.get_mut(zeros_start - ciphertext_start..zeros_end - ciphertext_start)
        .ok_or(Error::BufferTooSmall { needed: total })?
        .fill(0);
    let (plaintext, tag_slot) = body.split_at_mut(plaintext_len);

    let mut reuse_guard = [0u8; 4];
    rng.fill_bytes(&mut reuse_guard);
    let content_aad = head
        .get(PRIVATE_MESSAGE_HEADER.len()..content_aad_end)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let tag = S::seal_in_place(
        key.key(),
        &key.guarded_nonce(&reuse_guard),
        content_aad,
        plaintext,
    )?;
    copy_exact(tag_slot, &tag)?;

    // Sender data, keyed from the first Nh bytes of the ciphertext.
    let sd_key = sender_data_key::<S>(sender.sender_data_secret, body)?;
    let (head_aad, sender_data_slot) = head.split_at_mut(sender_data_start);
    let sender_data_aad = head_aad
        .get(PRIVATE_MESSAGE_HEADER.len()..sender_data_aad_end)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let (sd_plain, sd_tag) = sender_data_slot
        .get_mut(..ENCRYPTED_SENDER_DATA_LEN)
        .ok_or(Error::BufferTooSmall { needed: total })?
        .split_at_mut(SENDER_DATA_LEN);
    let sender_data = SenderData {
        leaf_index: sender.leaf_index,
        generation,
        reuse_guard,
    };
    sender_data.encode(&mut SliceWriter::new(sd_plain))?;
    let tag = S::seal_in_place(sd_key.key(), sd_key.nonce(), sender_data_aad, sd_plain)?;
    copy_exact(sd_tag, &tag)?;
    Ok(total)
}

/// Copies `src` into `dst`, which must have the same length.
pub(crate) fn copy_exact(dst: &mut [u8], src: &[u8]) -> Result<(), Error> {
    if dst.len() != src.len() {
        return Err(Error::BufferTooSmall { needed: src.len() });
    }
    dst.copy_from_slice(src);
    Ok(())
}

/// An application message opened by [`decrypt_application_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedApplication<'m> {
    /// The sender's leaf index.
    pub sender: u32,
    /// The ratchet generation it was encrypted with.
    pub generation: u32,
    /// The message's authenticated data (borrowed from the message).
    pub authenticated_data: &'m [u8],
    /// Length of the application data, which starts at the output buffer's first byte.
    pub len: usize,
}

/// A borrowed, parsed `MLSMessage(PrivateMessage)`: every field is a slice of the message.
#[derive(Debug, Clone, Copy)]
pub struct PrivateMessageView<'m> {
    group_id: &'m [u8],
    group_id_field: &'m [u8],
    epoch: u64,
    content_type: ContentType,
    authenticated_data: &'m [u8],
    authenticated_data_field: &'m [u8],
    sender_data_aad: &'m [u8],
    content_aad: &'m [u8],
    encrypted_sender_data: &'m [u8],
    ciphertext: &'m [u8],
}

impl<'m> PrivateMessageView<'m> {
    /// Parses an encoded `MLSMessage` that must be a PrivateMessage (mls10), without copying.
    pub fn parse(message: &'m [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(message);
        let version = ProtocolVersion::decode(&mut r)?;
        if version != ProtocolVersion::MLS10 {
            return Err(vmls_codec::Error::InvalidEnum(u64::from(version.0)).into());
        }
        let wire_format = WireFormat::decode(&mut r)?;
        if wire_format != WireFormat::PrivateMessage {
            return Err(Error::WrongWireFormat {
                expected: WireFormat::PrivateMessage.value(),
                got: wire_format.value(),
            });
        }
        let pos = |r: &Reader<'_>| message.len() - r.remaining();
        let body_start = pos(&r);
        let group_id = r.read_opaque()?;
        let group_id_end = pos(&r);
        let epoch = u64::decode(&mut r)?;
        let content_type = ContentType::decode(&mut r)?;
        let sender_data_aad_end = pos(&r);
        let authenticated_data = r.read_opaque()?;
        let content_aad_end = pos(&r);
        let encrypted_sender_data = r.read_opaque()?;
        let ciphertext = r.read_opaque()?;
        r.finish()?;
        let slice = |a: usize, b: usize| message.get(a..b).unwrap_or(&[]);
        Ok(Self {
            group_id,
            group_id_field: slice(body_start, group_id_end),
            epoch,
            content_type,
            authenticated_data,
            authenticated_data_field: slice(sender_data_aad_end, content_aad_end),
            sender_data_aad: slice(body_start, sender_data_aad_end),
            content_aad: slice(body_start, content_aad_end),
            encrypted_sender_data,
            ciphertext,
        })
    }

    /// The group ID.
    pub fn group_id(&self) -> &'m [u8] {
        self.group_id
    }

    /// The epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The content type.
    pub fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// The authenticated data.
    pub fn authenticated_data(&self) -> &'m [u8] {
        self.authenticated_data
    }

    /// Decrypts the sender data (RFC 9420 section 6.3.2) on the stack.
    pub fn decrypt_sender_data<S: CipherSuite>(
        &self,
        sender_data_secret: &Secret,
    ) -> Result<SenderData, Error> {
        if self.encrypted_sender_data.len() != ENCRYPTED_SENDER_DATA_LEN {
            return Err(Error::SenderDataDecryptionFailed);
        }
        let (body, tag) = self.encrypted_sender_data.split_at(SENDER_DATA_LEN);
        let mut buf = [0u8; SENDER_DATA_LEN];
        buf.copy_from_slice(body);
        let tag: &[u8; TAG_LEN] = tag
            .try_into()
            .map_err(|_| Error::SenderDataDecryptionFailed)?;
        let key = sender_data_key::<S>(sender_data_secret, self.ciphertext)?;
        S::open_in_place(key.key(), key.nonce(), self.sender_data_aad, &mut buf, tag)
            .map_err(|_| Error::SenderDataDecryptionFailed)?;
        Ok(SenderData::decode_exact(&buf)?)
    }

    /// Decrypts application data into `out` (which must hold the ciphertext length minus the
    /// tag) with the sender's application key for `sender_data.generation`, checks the zero
    /// padding and the signature with the sender's `signature_key`, and moves the data to the
    /// start of `out`. On any failure `out` is wiped.
    pub fn decrypt_application_into<S: CipherSuite>(
        &self,
        sender_data: &SenderData,
        key: &KeyNonce<S>,
        signature_key: &[u8],
        context: &EncodedGroupContext,
        out: &mut [u8],
    ) -> Result<ReceivedApplication<'m>, Error> {
        self.check(context)?;
        let body_len = self
            .ciphertext
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::ContentDecryptionFailed)?;
        let (body, tag) = self.ciphertext.split_at(body_len);
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::ContentDecryptionFailed)?;
        let buf = out
            .get_mut(..body_len)
            .ok_or(Error::BufferTooSmall { needed: body_len })?;
        buf.copy_from_slice(body);
        let r = open_and_verify::<S>(self, sender_data, key, signature_key, context, tag, buf);
        match r {
            Ok((start, len)) => {
                buf.copy_within(start..start + len, 0);
                if let Some(rest) = buf.get_mut(len..) {
                    rest.zeroize();
                }
                Ok(ReceivedApplication {
                    sender: sender_data.leaf_index,
                    generation: sender_data.generation,
                    authenticated_data: self.authenticated_data,
                    len,
                })
            }
            Err(e) => {
                buf.zeroize();
                Err(e)
            }
        }
    }

    fn check(&self, context: &EncodedGroupContext) -> Result<(), Error> {
        if self.content_type != ContentType::Application {
            return Err(Error::WrongContentType {
                expected: ContentType::Application.value(),
                got: self.content_type.value(),
            });
        }
        if self.group_id != context.group_id() {
            return Err(Error::WrongGroupId);
        }
        if self.epoch != context.epoch() {
            return Err(Error::WrongEpoch {
                expected: context.epoch(),
                got: self.epoch,
            });
        }
        Ok(())
    }
}

/// Opens `buf` in place and verifies the content; returns where the application data is.
fn open_and_verify<S: CipherSuite>(
    view: &PrivateMessageView<'_>,
    sender_data: &SenderData,
    key: &KeyNonce<S>,
    signature_key: &[u8],
    context: &EncodedGroupContext,
    tag: &[u8; TAG_LEN],
    buf: &mut [u8],
) -> Result<(usize, usize), Error> {
    S::open_in_place(
        key.key(),
        &key.guarded_nonce(&sender_data.reuse_guard),
        view.content_aad,
        buf,
        tag,
    )
    .map_err(|_| Error::ContentDecryptionFailed)?;
    let plaintext: &[u8] = buf;
    let mut r = Reader::new(plaintext);
    let application_data = r.read_opaque()?;
    let app_field_len = plaintext.len() - r.remaining();
    let start = app_field_len - application_data.len();
    let signature = r.read_opaque()?;
    if signature.len() != SIGNATURE_LEN {
        return Err(vmls_codec::Error::WrongLength {
            expected: SIGNATURE_LEN,
            got: signature.len(),
        }
        .into());
    }
    if !all_zero(r.peek_rest()) {
        return Err(Error::NonZeroPadding);
    }
    let leaf = sender_data.leaf_index.to_be_bytes();
    let sender_field = [1, leaf[0], leaf[1], leaf[2], leaf[3]];
    verify_parts(
        signature_key,
        FRAMED_CONTENT_TBS_LABEL,
        &[
            &PRIVATE_MESSAGE_HEADER,
            view.group_id_field,
            &view.epoch.to_be_bytes(),
            &sender_field,
            view.authenticated_data_field,
            &[ContentType::Application.value()],
            plaintext.get(..app_field_len).unwrap_or(&[]),
            context.as_bytes(),
        ],
        signature,
    )?;
    Ok((start, application_data.len()))
}

/// Decrypts an encoded `MLSMessage(PrivateMessage)` carrying application data into `out`
/// without allocating (RFC 9420 section 6.3): parses it, checks content type, group and epoch,
/// decrypts the sender data, asks `lookup` for the sender's application key for that generation
/// and its signature public key, decrypts, checks padding and signature. The data is
/// `out[..len]`.
pub fn decrypt_application_into<'m, S, K>(
    context: &EncodedGroupContext,
    sender_data_secret: &Secret,
    message: &'m [u8],
    lookup: K,
    out: &mut [u8],
) -> Result<ReceivedApplication<'m>, Error>
where
    S: CipherSuite,
    K: FnOnce(&SenderData) -> Result<(KeyNonce<S>, vmls_crypto::SignaturePublicKey), Error>,
{
    let view = PrivateMessageView::parse(message)?;
    view.check(context)?;
    let sender_data = view.decrypt_sender_data::<S>(sender_data_secret)?;
    let (key, signature_key) = lookup(&sender_data)?;
    view.decrypt_application_into::<S>(&sender_data, &key, &signature_key, context, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_lengths_match_the_codec() {
        assert_eq!(SIGNATURE_FIELD_LEN, opaque_len(SIGNATURE_LEN));
        let sd = SenderData {
            leaf_index: 0,
            generation: 0,
            reuse_guard: [0; 4],
        };
        assert_eq!(SENDER_DATA_LEN, sd.encoded_len());
    }
}
