use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::NH;

/// A 32-byte secret (`Nh` bytes): an epoch secret, a path secret, a ratchet secret.
///
/// Zeroized on drop; `Debug` never prints the value; equality is constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret([u8; NH]);

impl Secret {
    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; NH]) -> Self {
        Self(bytes)
    }

    /// All-zero secret (the `0` vector the key schedule starts from, RFC 9420 section 8).
    pub const fn zero() -> Self {
        Self([0; NH])
    }

    /// Copies a slice that must be exactly `Nh` bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; NH] = bytes.try_into().ok()?;
        Some(Self(arr))
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; NH] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Secret {}
