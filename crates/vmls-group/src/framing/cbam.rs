//! Challenge-based application messages (CBAM), draft-kohbrok-mls-virtual-clients-03 sections
//! 5.5.2-5.5.5, with the choices pinned in `CBST-CBAM.md`: a PrivateMessage whose key comes
//! from the challenge-based secret tree instead of a per-sender ratchet, so that several
//! emulator clients acting as one leaf can send concurrently without coordinating.
//!
//! ```text
//! struct { opaque challenge<V>; uint32 sender_index; } CBAMSender;
//! struct { uint16 version = mls10; uint16 wire_format = 0xF0CB; CBAMPrivateMessage m; } CBAMMLSMessage;
//! struct { opaque group_id<V>; uint64 epoch; opaque authenticated_data<V>;
//!          opaque encrypted_sender_data<V>; opaque ciphertext<V>; } CBAMPrivateMessage;
//! struct { opaque application_data<V>; opaque signature<V>; opaque padding[n]; } CBAMPrivateMessageContent;
//! CBAMFramedContentTBS = version || wire_format || group_id<V> || epoch || CBAMSender ||
//!                        authenticated_data<V> || application_data<V> || GroupContext
//! signature  = SignWithLabel(leaf key, "CBAMFramedContentTBS", CBAMFramedContentTBS)
//! ciphertext = AEAD.Seal(aead_key[C], aead_nonce[C], group_id<V> || epoch || authenticated_data<V>, content)
//! encrypted_sender_data = AEAD.Seal(sender data key/nonce from cbam_sender_data_secret and the
//!                         ciphertext sample, group_id<V> || epoch, CBAMSender)
//! ```
//!
//! Like [`super::application`], both directions work on caller buffers without heap
//! allocation: the TBS is signed piecewise and the AADs are prefixes of the message body.
use vmls_codec::{Decode, Encode, Reader, SliceWriter, Writer, encode_opaque, opaque_len};
use vmls_crypto::{CipherSuite, SIGNATURE_LEN, Secret, TAG_LEN};
use zeroize::Zeroize;

use super::application::{EncodedGroupContext, VarintBuf, copy_exact};
use super::private::sender_data_key;
use super::{ProtocolVersion, all_zero};
use crate::Error;
use crate::labeled::{PreparedSigner, sign_parts, verify_parts};

/// The CBAM wire format (private-use range; pinned in `CBST-CBAM.md`).
pub const CBAM_WIRE_FORMAT: u16 = 0xF0CB;
/// Challenge length (`KDF.Nh`).
pub const CHALLENGE_LEN: usize = vmls_cbst::CHALLENGE_LEN;
/// `SignWithLabel` label of the CBAM content.
pub const CBAM_TBS_LABEL: &[u8] = b"CBAMFramedContentTBS";
/// `version || wire_format` of a CBAMMLSMessage.
const HEADER: [u8; 4] = [0, 1, 0xF0, 0xCB];
/// Encoded `CBAMSender`: `challenge<V>` (1 + 32) and `uint32 sender_index`.
const SENDER_LEN: usize = 1 + CHALLENGE_LEN + 4;
const ENCRYPTED_SENDER_LEN: usize = SENDER_LEN + TAG_LEN;
const SIGNATURE_FIELD_LEN: usize = 2 + SIGNATURE_LEN;

/// `CBAMSender`: the challenge and the sender's leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CBAMSender {
    /// The message's challenge.
    pub challenge: [u8; CHALLENGE_LEN],
    /// The sender's leaf index.
    pub sender_index: u32,
}

impl CBAMSender {
    fn encode_into(&self, out: &mut [u8]) -> Result<(), Error> {
        let mut w = SliceWriter::new(out);
        encode_opaque(&mut w, &self.challenge)?;
        self.sender_index.encode(&mut w)?;
        Ok(())
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let challenge = r.read_opaque()?;
        let challenge: [u8; CHALLENGE_LEN] =
            challenge
                .try_into()
                .map_err(|_| vmls_codec::Error::WrongLength {
                    expected: CHALLENGE_LEN,
                    got: challenge.len(),
                })?;
        let sender_index = u32::decode(&mut r)?;
        r.finish()?;
        Ok(Self {
            challenge,
            sender_index,
        })
    }
}

/// Length of the `CBAMPrivateMessageContent` for `data_len` bytes and `padding` zeros.
pub fn cbam_plaintext_len(data_len: usize, padding: usize) -> usize {
    opaque_len(data_len)
        .saturating_add(SIGNATURE_FIELD_LEN)
        .saturating_add(padding)
}

/// Exact length of the CBAMMLSMessage [`encrypt_cbam_into`] writes.
pub fn cbam_message_len(
    group_id_len: usize,
    authenticated_data_len: usize,
    data_len: usize,
    padding: usize,
) -> usize {
    let ciphertext = cbam_plaintext_len(data_len, padding).saturating_add(TAG_LEN);
    HEADER
        .len()
        .saturating_add(opaque_len(group_id_len))
        .saturating_add(8)
        .saturating_add(opaque_len(authenticated_data_len))
        .saturating_add(opaque_len(ENCRYPTED_SENDER_LEN))
        .saturating_add(opaque_len(ciphertext))
}

/// What a sender needs to send one CBAM.
#[derive(Debug, Clone, Copy)]
pub struct CbamSenderKeys<'a> {
    /// The epoch's GroupContext.
    pub context: &'a EncodedGroupContext,
    /// The sender's leaf and the message's challenge.
    pub sender: CBAMSender,
    /// The sender's leaf signature key.
    pub signer: &'a PreparedSigner,
    /// `cbam_sender_data_secret` of the epoch.
    pub sender_data_secret: &'a Secret,
    /// `aead_key[C]` (`AEAD.Nk` bytes).
    pub key: &'a [u8],
    /// `aead_nonce[C]`.
    pub nonce: &'a [u8; vmls_crypto::NONCE_LEN],
}

/// The TBS pieces after the header and before the GroupContext, as one call to `f`.
#[allow(clippy::too_many_arguments)]
fn with_tbs<T>(
    group_id_field: &[u8],
    epoch: &[u8; 8],
    sender: &CBAMSender,
    authenticated_data_field: &[u8],
    application_data_field: &[u8],
    context: &EncodedGroupContext,
    f: impl FnOnce(&[&[u8]]) -> Result<T, Error>,
) -> Result<T, Error> {
    let idx = sender.sender_index.to_be_bytes();
    f(&[
        &HEADER,
        group_id_field,
        epoch,
        &[CHALLENGE_LEN as u8],
        &sender.challenge,
        &idx,
        authenticated_data_field,
        application_data_field,
        context.as_bytes(),
    ])
}

/// Encrypts `data` as a CBAMMLSMessage into `out` and returns its length, without allocating.
/// `out` must hold [`cbam_message_len`] bytes.
pub fn encrypt_cbam_into<S: CipherSuite>(
    keys: &CbamSenderKeys<'_>,
    authenticated_data: &[u8],
    data: &[u8],
    padding: usize,
    out: &mut [u8],
) -> Result<usize, Error> {
    let ctx = keys.context;
    let group_id = ctx.group_id();
    let epoch = ctx.epoch().to_be_bytes();
    let total = cbam_message_len(
        group_id.len(),
        authenticated_data.len(),
        data.len(),
        padding,
    );
    let plaintext_len = cbam_plaintext_len(data.len(), padding);
    let out = out
        .get_mut(..total)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let gl = VarintBuf::new(group_id.len())?;
    let al = VarintBuf::new(authenticated_data.len())?;
    let dl = VarintBuf::new(data.len())?;
    let signature = {
        let idx = keys.sender.sender_index.to_be_bytes();
        sign_parts(
            keys.signer,
            CBAM_TBS_LABEL,
            &[
                &HEADER,
                gl.as_slice(),
                group_id,
                &epoch,
                &[CHALLENGE_LEN as u8],
                &keys.sender.challenge,
                &idx,
                al.as_slice(),
                authenticated_data,
                dl.as_slice(),
                data,
                ctx.as_bytes(),
            ],
        )?
    };

    let mut w = SliceWriter::new(out);
    w.put(&HEADER)?;
    encode_opaque(&mut w, group_id)?;
    w.put(&epoch)?;
    let sender_aad_end = w.written();
    encode_opaque(&mut w, authenticated_data)?;
    let content_aad_end = w.written();
    vmls_codec::encode_varint(&mut w, ENCRYPTED_SENDER_LEN)?;
    let sender_start = w.written();
    w.put(&[0u8; ENCRYPTED_SENDER_LEN])?;
    vmls_codec::encode_varint(&mut w, plaintext_len + TAG_LEN)?;
    let ciphertext_start = w.written();
    encode_opaque(&mut w, data)?;
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
    let content_aad = head
        .get(HEADER.len()..content_aad_end)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let tag = S::seal_in_place(keys.key, keys.nonce, content_aad, plaintext)?;
    copy_exact(tag_slot, &tag)?;

    let sd_key = sender_data_key::<S>(keys.sender_data_secret, body)?;
    let (head_aad, sender_slot) = head.split_at_mut(sender_start);
    let sender_aad = head_aad
        .get(HEADER.len()..sender_aad_end)
        .ok_or(Error::BufferTooSmall { needed: total })?;
    let (sd_plain, sd_tag) = sender_slot
        .get_mut(..ENCRYPTED_SENDER_LEN)
        .ok_or(Error::BufferTooSmall { needed: total })?
        .split_at_mut(SENDER_LEN);
    keys.sender.encode_into(sd_plain)?;
    let tag = S::seal_in_place(sd_key.key(), sd_key.nonce(), sender_aad, sd_plain)?;
    copy_exact(sd_tag, &tag)?;
    Ok(total)
}

/// A borrowed, parsed CBAMMLSMessage: every field is a slice of the message.
#[derive(Debug, Clone, Copy)]
pub struct CbamMessageView<'m> {
    group_id: &'m [u8],
    group_id_field: &'m [u8],
    epoch: u64,
    authenticated_data: &'m [u8],
    authenticated_data_field: &'m [u8],
    sender_aad: &'m [u8],
    content_aad: &'m [u8],
    encrypted_sender_data: &'m [u8],
    ciphertext: &'m [u8],
}

/// Whether `message` starts like a CBAMMLSMessage (mls10, wire format 0xF0CB).
pub fn is_cbam(message: &[u8]) -> bool {
    message.get(..4) == Some(&HEADER[..])
}

impl<'m> CbamMessageView<'m> {
    /// Parses an encoded CBAMMLSMessage without copying.
    pub fn parse(message: &'m [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(message);
        let version = ProtocolVersion::decode(&mut r)?;
        if version != ProtocolVersion::MLS10 {
            return Err(vmls_codec::Error::InvalidEnum(u64::from(version.0)).into());
        }
        let wire_format = u16::decode(&mut r)?;
        if wire_format != CBAM_WIRE_FORMAT {
            return Err(Error::WrongWireFormat {
                expected: CBAM_WIRE_FORMAT,
                got: wire_format,
            });
        }
        let pos = |r: &Reader<'_>| message.len() - r.remaining();
        let body_start = pos(&r);
        let group_id = r.read_opaque()?;
        let group_id_end = pos(&r);
        let epoch = u64::decode(&mut r)?;
        let sender_aad_end = pos(&r);
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
            authenticated_data,
            authenticated_data_field: slice(sender_aad_end, content_aad_end),
            sender_aad: slice(body_start, sender_aad_end),
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

    /// The authenticated data.
    pub fn authenticated_data(&self) -> &'m [u8] {
        self.authenticated_data
    }

    /// Step 1 of the receiver: decrypts the `CBAMSender` with `cbam_sender_data_secret`.
    pub fn decrypt_sender<S: CipherSuite>(
        &self,
        sender_data_secret: &Secret,
    ) -> Result<CBAMSender, Error> {
        if self.encrypted_sender_data.len() != ENCRYPTED_SENDER_LEN {
            return Err(Error::SenderDataDecryptionFailed);
        }
        let (body, tag) = self.encrypted_sender_data.split_at(SENDER_LEN);
        let mut buf = [0u8; SENDER_LEN];
        buf.copy_from_slice(body);
        let tag: &[u8; TAG_LEN] = tag
            .try_into()
            .map_err(|_| Error::SenderDataDecryptionFailed)?;
        let key = sender_data_key::<S>(sender_data_secret, self.ciphertext)?;
        S::open_in_place(key.key(), key.nonce(), self.sender_aad, &mut buf, tag)
            .map_err(|_| Error::SenderDataDecryptionFailed)?;
        CBAMSender::decode_exact(&buf)
    }

    /// Steps 4 and 5: decrypts the content into `out` with the CBST key of the challenge,
    /// checks the padding and the signature with the sender's `signature_key`, and moves the
    /// data to the start of `out` (returns its length). On failure `out` is wiped.
    pub fn decrypt_into<S: CipherSuite>(
        &self,
        sender: &CBAMSender,
        key: &[u8],
        nonce: &[u8; vmls_crypto::NONCE_LEN],
        signature_key: &[u8],
        context: &EncodedGroupContext,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if self.group_id != context.group_id() {
            return Err(Error::WrongGroupId);
        }
        if self.epoch != context.epoch() {
            return Err(Error::WrongEpoch {
                expected: context.epoch(),
                got: self.epoch,
            });
        }
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
        match self.open_and_verify::<S>(sender, key, nonce, signature_key, context, tag, buf) {
            Ok((start, len)) => {
                buf.copy_within(start..start + len, 0);
                if let Some(rest) = buf.get_mut(len..) {
                    rest.zeroize();
                }
                Ok(len)
            }
            Err(e) => {
                buf.zeroize();
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn open_and_verify<S: CipherSuite>(
        &self,
        sender: &CBAMSender,
        key: &[u8],
        nonce: &[u8; vmls_crypto::NONCE_LEN],
        signature_key: &[u8],
        context: &EncodedGroupContext,
        tag: &[u8; TAG_LEN],
        buf: &mut [u8],
    ) -> Result<(usize, usize), Error> {
        S::open_in_place(key, nonce, self.content_aad, buf, tag)
            .map_err(|_| Error::ContentDecryptionFailed)?;
        let plaintext: &[u8] = buf;
        let mut r = Reader::new(plaintext);
        let data = r.read_opaque()?;
        let data_field_len = plaintext.len() - r.remaining();
        let start = data_field_len - data.len();
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
        with_tbs(
            self.group_id_field,
            &self.epoch.to_be_bytes(),
            sender,
            self.authenticated_data_field,
            plaintext.get(..data_field_len).unwrap_or(&[]),
            context,
            |parts| verify_parts(signature_key, CBAM_TBS_LABEL, parts, signature),
        )?;
        Ok((start, data.len()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn fixed_lengths_match_the_codec() {
        assert_eq!(SIGNATURE_FIELD_LEN, opaque_len(SIGNATURE_LEN));
        let s = CBAMSender {
            challenge: [0; CHALLENGE_LEN],
            sender_index: 7,
        };
        let mut buf = [0u8; SENDER_LEN];
        s.encode_into(&mut buf).expect("fits");
        assert_eq!(CBAMSender::decode_exact(&buf), Ok(s));
    }
}
