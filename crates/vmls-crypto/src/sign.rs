//! Ed25519 and `SignWithLabel`/`VerifyWithLabel` (RFC 9420 section 5.1.2).
use ed25519_dalek::ed25519::signature::MultipartSigner;
use ed25519_dalek::{Signature, SigningKey};
use rand_core::CryptoRng;
use vmls_codec::{SliceWriter, encode_varint};

use crate::{Error, LABEL_PREFIX, ed25519};

/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key as it appears on the wire (32 bytes).
pub type SignaturePublicKey = [u8; 32];

/// An Ed25519 signing key. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct SignaturePrivateKey(SigningKey);

impl core::fmt::Debug for SignaturePrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SignaturePrivateKey(***)")
    }
}

impl SignaturePrivateKey {
    /// From the 32-byte RFC 8032 private key (the seed).
    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        #[cfg(feature = "op-count")]
        crate::op_count::count(crate::op_count::Op::SigKeygen);
        Self(SigningKey::from_bytes(seed))
    }
    /// From a slice that must be 32 bytes.
    pub fn from_slice(seed: &[u8]) -> Result<Self, Error> {
        let seed: &[u8; 32] = seed.try_into().map_err(|_| Error::InvalidPrivateKey)?;
        Ok(Self::from_bytes(seed))
    }
    /// The 32-byte seed (secret: handle with care).
    pub fn to_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }
    /// The matching public key.
    pub fn public_key(&self) -> SignaturePublicKey {
        self.0.verifying_key().to_bytes()
    }
}

/// A signature key pair.
#[derive(Clone, Debug)]
pub struct SignatureKeyPair {
    /// Private half.
    pub private: SignaturePrivateKey,
    /// Public half.
    pub public: SignaturePublicKey,
}

impl SignatureKeyPair {
    /// A fresh key pair from the caller's RNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        let private = SignaturePrivateKey::from_bytes(&seed);
        let public = private.public_key();
        Self { private, public }
    }
}

/// Most pieces a signed content may be given in.
pub const MAX_CONTENT_PARTS: usize = 16;

/// Calls `f` with the pieces of `SignContent { opaque label<V> = "MLS 1.0 " + Label; opaque
/// content<V>; }` for `label` and the content given as `parts` (no copy of the content).
fn with_sign_content<T>(
    label: &[u8],
    parts: &[&[u8]],
    f: impl FnOnce(&[&[u8]]) -> Result<T, Error>,
) -> Result<T, Error> {
    if parts.len() > MAX_CONTENT_PARTS {
        return Err(Error::InvalidLength);
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
    let mut all: [&[u8]; MAX_CONTENT_PARTS + 4] = [&[]; MAX_CONTENT_PARTS + 4];
    let head: [&[u8]; 4] = [label_len, LABEL_PREFIX, label, body_len];
    for (slot, part) in all.iter_mut().zip(head.iter().chain(parts.iter())) {
        *slot = part;
    }
    f(all.get(..4 + parts.len()).unwrap_or(&[]))
}

/// `SignWithLabel(SignatureKey, Label, Content)`.
pub fn sign_with_label(
    key: &SignaturePrivateKey,
    label: &[u8],
    content: &[u8],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    sign_with_label_parts(key, label, &[content])
}

/// `SignWithLabel` over `parts[0] || parts[1] || ...` (at most [`MAX_CONTENT_PARTS`]).
pub fn sign_with_label_parts(
    key: &SignaturePrivateKey,
    label: &[u8],
    parts: &[&[u8]],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    #[cfg(feature = "op-count")]
    crate::op_count::count(crate::op_count::Op::Sign);
    with_sign_content(label, parts, |all| {
        let sig: Signature = key
            .0
            .try_multipart_sign(all)
            .map_err(|_| Error::InvalidPrivateKey)?;
        Ok(sig.to_bytes())
    })
}

/// `VerifyWithLabel(VerificationKey, Label, Content, SignatureValue)` (RFC 9420 section
/// 5.1.2), accepting exactly what ed25519-dalek's `VerifyingKey::verify_strict` accepts (see
/// the crate's `ed25519` module and docs/spec-decisions.md): every member of a group, whatever its
/// implementation, must reach the same verdict on the same signature.
pub fn verify_with_label(
    public: &[u8],
    label: &[u8],
    content: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    verify_with_label_parts(public, label, &[content], signature)
}

/// `VerifyWithLabel` over `parts[0] || parts[1] || ...` (at most [`MAX_CONTENT_PARTS`]), with
/// the semantics of [`verify_with_label`]; the content is never copied.
pub fn verify_with_label_parts(
    public: &[u8],
    label: &[u8],
    parts: &[&[u8]],
    signature: &[u8],
) -> Result<(), Error> {
    with_sign_content(label, parts, |all| {
        #[cfg(feature = "op-count")]
        crate::op_count::count(crate::op_count::Op::Verify);
        ed25519::verify_strict(public, all, signature)
    })
}
