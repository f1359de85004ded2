//! Cryptography for MLS cipher suite 0x0003
//! (`MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519`), fixed at compile time, and the labeled
//! operations of RFC 9420 section 5.
//!
//! Suites 0x0001 and 0x0003 differ only in their AEAD (AES-128-GCM vs ChaCha20Poly1305): the hash
//! (SHA-256), KDF (HKDF-SHA256), KEM (DHKEM(X25519)) and signature scheme (Ed25519) are shared, so
//! they are plain functions here and only the AEAD sits behind the [`CipherSuite`] trait. Suite 1 is
//! compiled only with the `suite-1` feature, so a suite-3 firmware carries no AES code.
//!
//! Randomness always comes from the caller (`rand_core::CryptoRng`); nothing here reads OS entropy.
//! Secrets are [`Secret`] values that zeroize on drop and never print their bytes.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod ed25519;
mod error;
mod hash;
mod hpke;
mod kdf;
#[cfg(feature = "op-count")]
pub mod op_count;
mod prng;
mod secret;
mod sign;
mod suite;

pub use error::Error;
pub use hash::{HashValue, Hasher, hash, make_key_package_ref, make_proposal_ref, ref_hash};
pub use hpke::{
    HpkeCiphertext, HpkeKeyPair, HpkePrivateKey, HpkePublicKey, decrypt_with_label,
    derive_key_pair, encrypt_with_label, export_receiver, export_sender, generate_hpke_key_pair,
};
pub use kdf::{
    derive_secret, derive_tree_secret, expand_with_label, expand_with_label_into, extract, mac,
    verify_mac,
};
pub use prng::SeededPrng;
pub use secret::Secret;
pub use sign::{
    MAX_CONTENT_PARTS, SIGNATURE_LEN, SignatureKeyPair, SignaturePrivateKey, SignaturePublicKey,
    sign_with_label, sign_with_label_parts, verify_with_label, verify_with_label_parts,
};
#[cfg(feature = "suite-1")]
pub use suite::Mls128Aes;
pub use suite::{CipherSuite, Mls128ChaCha, NONCE_LEN, TAG_LEN};

pub use rand_core::{CryptoRng, Rng};

/// Output length of the suite's hash and KDF (`Nh`, SHA-256).
pub const NH: usize = 32;

/// Length of an X25519 public or private key (`Npk`, `Nsk`).
pub const KEM_KEY_LEN: usize = 32;

/// The label prefix every labeled operation uses (RFC 9420 section 5.1).
pub const LABEL_PREFIX: &[u8] = b"MLS 1.0 ";
