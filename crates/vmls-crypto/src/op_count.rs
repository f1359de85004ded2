//! Public-key operation counters: a **measurement hook** for cost reports (`vmls-cost`,
//! `vmls cost`), compiled only with the `op-count` feature (off by default; without it the
//! counting calls are not compiled at all). Not part of the API contract: what is counted
//! and where may change with the code, and the counters are process-wide (relaxed atomics),
//! so a caller that wants per-device figures must run one device's step at a time and read
//! [`snapshot`] around it (reset with [`reset`]).
//!
//! What each counter counts (the pinned conventions of docs/performance.md, "Emulation
//! costs"):
//! * `sign`: `SignWithLabel` (RFC 9420 section 5.1.2), one Ed25519 signature.
//! * `verify`: `VerifyWithLabel`, one Ed25519 verification.
//! * `hpke_seal`: `EncryptWithLabel` and the HPKE sender-side export (RFC 9420 section
//!   5.1.3, 8.3): one HPKE `SetupBaseS` (an ephemeral key generation and one DH).
//! * `hpke_open`: `DecryptWithLabel` and the receiver-side export: one `SetupBaseR` (one DH).
//! * `hpke_keygen`: `DeriveKeyPair` (RFC 9180 section 7.1.3) for a leaf, path node, init or
//!   ephemeral key from a secret: one X25519 base-point multiplication.
//! * `sig_keygen`: an Ed25519 key from its seed (generation, or derivation of a virtual
//!   client's key).
//! * `x25519`: every X25519 scalar multiplication, whatever asked for it (the low-level total
//!   behind `hpke_*`).
use core::sync::atomic::{AtomicU64, Ordering};

/// Which counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `SignWithLabel`.
    Sign,
    /// `VerifyWithLabel`.
    Verify,
    /// HPKE encryption / sender export.
    HpkeSeal,
    /// HPKE decryption / receiver export.
    HpkeOpen,
    /// `DeriveKeyPair`.
    HpkeKeygen,
    /// Ed25519 key from a seed.
    SigKeygen,
    /// One X25519 scalar multiplication.
    X25519,
}

static COUNTERS: [AtomicU64; 7] = [
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
];

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// Signatures made.
    pub sign: u64,
    /// Signatures verified.
    pub verify: u64,
    /// HPKE seals (and sender exports).
    pub hpke_seal: u64,
    /// HPKE opens (and receiver exports).
    pub hpke_open: u64,
    /// HPKE key pairs derived.
    pub hpke_keygen: u64,
    /// Ed25519 keys made from seeds.
    pub sig_keygen: u64,
    /// X25519 scalar multiplications.
    pub x25519: u64,
}

impl OpCounts {
    /// Public-key operations in the sense of the cost report: signatures, verifications,
    /// HPKE seals and opens, and key generations (`x25519` is their low-level detail and is
    /// not added again).
    pub fn public_key_ops(&self) -> u64 {
        self.sign
            + self.verify
            + self.hpke_seal
            + self.hpke_open
            + self.hpke_keygen
            + self.sig_keygen
    }

    /// `self - earlier`, counter by counter (saturating).
    pub fn since(&self, earlier: &OpCounts) -> OpCounts {
        OpCounts {
            sign: self.sign.saturating_sub(earlier.sign),
            verify: self.verify.saturating_sub(earlier.verify),
            hpke_seal: self.hpke_seal.saturating_sub(earlier.hpke_seal),
            hpke_open: self.hpke_open.saturating_sub(earlier.hpke_open),
            hpke_keygen: self.hpke_keygen.saturating_sub(earlier.hpke_keygen),
            sig_keygen: self.sig_keygen.saturating_sub(earlier.sig_keygen),
            x25519: self.x25519.saturating_sub(earlier.x25519),
        }
    }

    /// Counter-by-counter sum.
    pub fn plus(&self, other: &OpCounts) -> OpCounts {
        OpCounts {
            sign: self.sign.saturating_add(other.sign),
            verify: self.verify.saturating_add(other.verify),
            hpke_seal: self.hpke_seal.saturating_add(other.hpke_seal),
            hpke_open: self.hpke_open.saturating_add(other.hpke_open),
            hpke_keygen: self.hpke_keygen.saturating_add(other.hpke_keygen),
            sig_keygen: self.sig_keygen.saturating_add(other.sig_keygen),
            x25519: self.x25519.saturating_add(other.x25519),
        }
    }
}

#[inline]
pub(crate) fn count(op: Op) {
    if let Some(c) = COUNTERS.get(op as usize) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// The counters now.
pub fn snapshot() -> OpCounts {
    let get = |op: Op| {
        COUNTERS
            .get(op as usize)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    };
    OpCounts {
        sign: get(Op::Sign),
        verify: get(Op::Verify),
        hpke_seal: get(Op::HpkeSeal),
        hpke_open: get(Op::HpkeOpen),
        hpke_keygen: get(Op::HpkeKeygen),
        sig_keygen: get(Op::SigKeygen),
        x25519: get(Op::X25519),
    }
}

/// Sets every counter to zero.
pub fn reset() {
    for c in &COUNTERS {
        c.store(0, Ordering::Relaxed);
    }
}
