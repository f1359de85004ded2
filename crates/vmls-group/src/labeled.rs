//! `SignWithLabel` / `VerifyWithLabel` (RFC 9420 section 5.1.2) over content given as pieces,
//! so a caller can sign a structure it never assembles in memory (the application-message path
//! signs `FramedContentTBS` from the message header, the payload and the cached GroupContext).
//! The labeled encoding and the verification equation live in vmls-crypto
//! ([`vmls_crypto::sign_with_label_parts`], [`vmls_crypto::verify_with_label_parts`]) so every
//! signature in vmls is checked the same way.
use vmls_crypto::{SIGNATURE_LEN, SignaturePrivateKey};

use crate::Error;

/// An Ed25519 signing key kept expanded for signing many messages. Zeroized on drop; never
/// printed.
#[derive(Clone)]
pub struct PreparedSigner(SignaturePrivateKey);

impl core::fmt::Debug for PreparedSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PreparedSigner(***)")
    }
}

impl PreparedSigner {
    /// Wraps `key`.
    pub fn new(key: &SignaturePrivateKey) -> Self {
        Self(key.clone())
    }

    /// The public key.
    pub fn public_key(&self) -> vmls_crypto::SignaturePublicKey {
        self.0.public_key()
    }
}

/// `SignWithLabel(key, label, parts[0] || parts[1] || ...)`.
pub(crate) fn sign_parts(
    key: &PreparedSigner,
    label: &[u8],
    parts: &[&[u8]],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    vmls_crypto::sign_with_label_parts(&key.0, label, parts).map_err(|e| match e {
        vmls_crypto::Error::InvalidLength => Error::BufferTooSmall {
            needed: parts.len(),
        },
        e => Error::Crypto(e),
    })
}

/// `VerifyWithLabel(public, label, parts[0] || parts[1] || ..., signature)`.
pub(crate) fn verify_parts(
    public: &[u8],
    label: &[u8],
    parts: &[&[u8]],
    signature: &[u8],
) -> Result<(), Error> {
    vmls_crypto::verify_with_label_parts(public, label, parts, signature).map_err(|e| match e {
        vmls_crypto::Error::InvalidLength => Error::BufferTooSmall {
            needed: parts.len(),
        },
        _ => Error::InvalidSignature,
    })
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
