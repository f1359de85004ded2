//! Transcript hashes (RFC 9420 section 8.2).
//!
//! ```text
//! struct { WireFormat wire_format; FramedContent content; opaque signature<V>; }
//!     ConfirmedTranscriptHashInput;
//! struct { MAC confirmation_tag; } InterimTranscriptHashInput;
//!
//! confirmed_transcript_hash_[epoch] =
//!     Hash(interim_transcript_hash_[epoch - 1] || ConfirmedTranscriptHashInput_[epoch]);
//! interim_transcript_hash_[epoch] =
//!     Hash(confirmed_transcript_hash_[epoch] || InterimTranscriptHashInput_[epoch]);
//! ```
//!
//! The framing layer owns `FramedContent`; these functions take its encoding as bytes and hash
//! the pieces without concatenating them in memory.
use vmls_codec::encode_opaque;
use vmls_crypto::{HashValue, Hasher};

use crate::KeyScheduleError;

/// `Hash(interim_transcript_hash_prev || confirmed_input)`, where `confirmed_input` is the whole
/// encoded `ConfirmedTranscriptHashInput` (an `AuthenticatedContent` of a Commit without its
/// trailing `confirmation_tag`).
pub fn confirmed_transcript_hash(
    interim_transcript_hash_prev: &[u8],
    confirmed_input: &[u8],
) -> HashValue {
    let mut h = Hasher::new();
    h.update(interim_transcript_hash_prev);
    h.update(confirmed_input);
    h.finish()
}

/// `Hash(interim_transcript_hash_prev || ConfirmedTranscriptHashInput)` from its pieces:
/// `wire_format` (uint16), the encoded `FramedContent`, and the raw signature bytes (encoded
/// here as `opaque<V>`).
pub fn confirmed_transcript_hash_from_parts(
    interim_transcript_hash_prev: &[u8],
    wire_format: u16,
    framed_content: &[u8],
    signature: &[u8],
) -> Result<HashValue, KeyScheduleError> {
    let mut h = Hasher::new();
    h.update(interim_transcript_hash_prev);
    h.update(&wire_format.to_be_bytes());
    h.update(framed_content);
    encode_opaque(&mut h, signature)?;
    Ok(h.finish())
}

/// `Hash(confirmed_transcript_hash || InterimTranscriptHashInput)`, with the raw
/// `confirmation_tag` bytes (encoded here as the `opaque<V>` a `MAC` is).
pub fn interim_transcript_hash(
    confirmed_transcript_hash: &[u8],
    confirmation_tag: &[u8],
) -> Result<HashValue, KeyScheduleError> {
    let mut h = Hasher::new();
    h.update(confirmed_transcript_hash);
    encode_opaque(&mut h, confirmation_tag)?;
    Ok(h.finish())
}

/// The interim transcript hash a new epoch's GroupContext starts from: both are empty at epoch 0
/// (RFC 9420 section 8.2), and a joiner computes it from the GroupInfo's confirmed transcript
/// hash and confirmation tag with [`interim_transcript_hash`].
pub const INITIAL_TRANSCRIPT_HASH: &[u8] = &[];
