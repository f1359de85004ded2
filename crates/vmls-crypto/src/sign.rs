//! Ed25519 and `SignWithLabel`/`VerifyWithLabel` (RFC 9420 section 5.1.2).
use ed25519_dalek::ed25519::signature::{MultipartSigner, MultipartVerifier};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use vmls_codec::{SliceWriter, encode_varint};

use crate::{Error, LABEL_PREFIX};

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

/// The encoded prefix of `SignContent` up to the content bytes:
/// `varint(len(label)) || "MLS 1.0 " || label || varint(len(content))`.
/// Signing over parts avoids copying the content.
fn sign_content_parts<'a>(
    head: &'a mut [u8; 8],
    tail: &'a mut [u8; 4],
    label: &[u8],
    content_len: usize,
) -> Result<(&'a [u8], &'a [u8]), Error> {
    let mut w = SliceWriter::new(head);
    encode_varint(&mut w, LABEL_PREFIX.len() + label.len())?;
    let h = w.written();
    let mut w2 = SliceWriter::new(tail);
    encode_varint(&mut w2, content_len)?;
    let t = w2.written();
    Ok((head.get(..h).unwrap_or(&[]), tail.get(..t).unwrap_or(&[])))
}

/// `SignWithLabel(SignatureKey, Label, Content)`.
pub fn sign_with_label(
    key: &SignaturePrivateKey,
    label: &[u8],
    content: &[u8],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    let (mut head, mut tail) = ([0u8; 8], [0u8; 4]);
    let (h, t) = sign_content_parts(&mut head, &mut tail, label, content.len())?;
    let sig: Signature = key
        .0
        .try_multipart_sign(&[h, LABEL_PREFIX, label, t, content])
        .map_err(|_| Error::InvalidPrivateKey)?;
    Ok(sig.to_bytes())
}

/// `VerifyWithLabel(VerificationKey, Label, Content, SignatureValue)`.
pub fn verify_with_label(
    public: &[u8],
    label: &[u8],
    content: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let public: &[u8; 32] = public.try_into().map_err(|_| Error::InvalidPublicKey)?;
    let vk = VerifyingKey::from_bytes(public).map_err(|_| Error::InvalidPublicKey)?;
    let sig = Signature::from_slice(signature).map_err(|_| Error::InvalidSignature)?;
    let (mut head, mut tail) = ([0u8; 8], [0u8; 4]);
    let (h, t) = sign_content_parts(&mut head, &mut tail, label, content.len())?;
    vk.multipart_verify(&[h, LABEL_PREFIX, label, t, content], &sig)
        .map_err(|_| Error::InvalidSignature)
}
