//! `SignWithLabel` / `VerifyWithLabel` (RFC 9420 section 5.1.2) over content given as pieces,
//! so a caller can sign a structure it never assembles in memory (the application-message path
//! signs `FramedContentTBS` from the message header, the payload and the cached GroupContext).
//!
//! `SignContent = opaque label<V> ("MLS 1.0 " + Label) || opaque content<V>`; Ed25519 is applied
//! to the concatenation with ed25519-dalek's multi-part API, which hashes the pieces in order.
use ed25519_dalek::ed25519::signature::{MultipartSigner, MultipartVerifier};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use vmls_codec::{SliceWriter, encode_varint};
use vmls_crypto::{LABEL_PREFIX, SIGNATURE_LEN, SignaturePrivateKey};

use crate::Error;

/// Most pieces a content may be split into.
pub(crate) const MAX_PARTS: usize = 16;

/// Calls `f` with the pieces of `SignContent` for `label` and the content `parts`.
fn with_sign_content<T>(
    label: &[u8],
    parts: &[&[u8]],
    f: impl FnOnce(&[&[u8]]) -> T,
) -> Result<T, Error> {
    if parts.len() > MAX_PARTS {
        return Err(Error::BufferTooSmall {
            needed: parts.len(),
        });
    }
    let content_len: usize = parts.iter().map(|p| p.len()).sum();
    let mut label_len = [0u8; 4];
    let mut w = SliceWriter::new(&mut label_len);
    encode_varint(&mut w, LABEL_PREFIX.len() + label.len())?;
    let label_len = w.into_written();
    let mut body_len = [0u8; 4];
    let mut w = SliceWriter::new(&mut body_len);
    encode_varint(&mut w, content_len)?;
    let body_len = w.into_written();

    let mut all: [&[u8]; MAX_PARTS + 4] = [&[]; MAX_PARTS + 4];
    let head: [&[u8]; 4] = [label_len, LABEL_PREFIX, label, body_len];
    for (slot, part) in all.iter_mut().zip(head.iter().chain(parts.iter())) {
        *slot = part;
    }
    let used = all.get(..4 + parts.len()).unwrap_or(&[]);
    Ok(f(used))
}

/// An Ed25519 signing key expanded once (hash of the seed and public key), for signing many
/// messages. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct PreparedSigner(SigningKey);

impl core::fmt::Debug for PreparedSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PreparedSigner(***)")
    }
}

impl PreparedSigner {
    /// Expands `key`.
    pub fn new(key: &SignaturePrivateKey) -> Self {
        Self(SigningKey::from_bytes(&key.to_bytes()))
    }

    /// The public key.
    pub fn public_key(&self) -> vmls_crypto::SignaturePublicKey {
        self.0.verifying_key().to_bytes()
    }
}

/// `SignWithLabel(key, label, parts[0] || parts[1] || ...)`.
pub(crate) fn sign_parts(
    key: &PreparedSigner,
    label: &[u8],
    parts: &[&[u8]],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    let sig = with_sign_content(label, parts, |all| key.0.try_multipart_sign(all))?
        .map_err(|_| Error::Crypto(vmls_crypto::Error::InvalidPrivateKey))?;
    Ok(sig.to_bytes())
}

/// `VerifyWithLabel(public, label, parts[0] || parts[1] || ..., signature)`.
pub(crate) fn verify_parts(
    public: &[u8],
    label: &[u8],
    parts: &[&[u8]],
    signature: &[u8],
) -> Result<(), Error> {
    let public: &[u8; 32] = public.try_into().map_err(|_| Error::InvalidSignature)?;
    let vk = VerifyingKey::from_bytes(public).map_err(|_| Error::InvalidSignature)?;
    let sig = Signature::from_slice(signature).map_err(|_| Error::InvalidSignature)?;
    with_sign_content(label, parts, |all| vk.multipart_verify(all, &sig))?
        .map_err(|_| Error::InvalidSignature)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The pieces give the same signature as vmls-crypto's one-piece SignWithLabel, and each
    /// verifies the other's.
    #[test]
    fn parts_match_one_piece_sign_with_label() {
        let key = SignaturePrivateKey::from_bytes(&[7u8; 32]);
        let content = b"hello, framed content";
        let (a, b) = content.split_at(5);
        let prepared = PreparedSigner::new(&key);
        assert_eq!(prepared.public_key(), key.public_key());
        let ours = sign_parts(&prepared, b"FramedContentTBS", &[a, &[], b]).unwrap();
        let theirs = vmls_crypto::sign_with_label(&key, b"FramedContentTBS", content).unwrap();
        assert_eq!(ours, theirs);
        let pk = key.public_key();
        verify_parts(&pk, b"FramedContentTBS", &[content], &theirs).unwrap();
        assert_eq!(
            verify_parts(&pk, b"FramedContentTBS", &[a], &theirs),
            Err(Error::InvalidSignature)
        );
        assert_eq!(
            verify_parts(&pk, b"KeyPackageTBS", &[a, b], &theirs),
            Err(Error::InvalidSignature)
        );
    }
}
