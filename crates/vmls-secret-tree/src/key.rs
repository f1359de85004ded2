//! AEAD key and nonce pairs (RFC 9420 sections 6.3, 9.1, 12.4.3.1).
use core::fmt;
use core::marker::PhantomData;

use vmls_crypto::{CipherSuite, NONCE_LEN};
use zeroize::Zeroize;

/// Largest AEAD key length of a supported suite (ChaCha20Poly1305: 32 bytes).
pub const MAX_KEY_LEN: usize = 32;

/// Length of the `reuse_guard` of `SenderData` (RFC 9420 section 6.3.2).
pub const REUSE_GUARD_LEN: usize = 4;

/// An AEAD key (`AEAD.Nk` bytes of suite `S`) and nonce (`AEAD.Nn` bytes), stored inline,
/// zeroized on drop and never printed.
pub struct KeyNonce<S: CipherSuite> {
    key: [u8; MAX_KEY_LEN],
    nonce: [u8; NONCE_LEN],
    _suite: PhantomData<S>,
}

impl<S: CipherSuite> KeyNonce<S> {
    /// Wraps a key (only its first `S::AEAD_KEY_LEN` bytes are used) and a nonce.
    pub fn from_parts(key: [u8; MAX_KEY_LEN], nonce: [u8; NONCE_LEN]) -> Self {
        Self {
            key,
            nonce,
            _suite: PhantomData,
        }
    }

    /// `ExpandWithLabel(secret, "key", context, AEAD.Nk)` and
    /// `ExpandWithLabel(secret, "nonce", context, AEAD.Nn)`: the derivation of the Welcome key
    /// (RFC 9420 section 12.4.3.1) and of the sender-data key (section 6.3.2).
    pub fn expand(secret: &[u8], context: &[u8]) -> Result<Self, vmls_crypto::Error> {
        let mut out = Self::from_parts([0; MAX_KEY_LEN], [0; NONCE_LEN]);
        vmls_crypto::expand_with_label_into(secret, b"key", context, out.key_mut())?;
        vmls_crypto::expand_with_label_into(secret, b"nonce", context, &mut out.nonce)?;
        Ok(out)
    }

    /// `DeriveTreeSecret(secret, "key", generation, AEAD.Nk)` and
    /// `DeriveTreeSecret(secret, "nonce", generation, AEAD.Nn)` (RFC 9420 section 9.1).
    pub fn derive_ratchet(secret: &[u8], generation: u32) -> Result<Self, vmls_crypto::Error> {
        let mut out = Self::from_parts([0; MAX_KEY_LEN], [0; NONCE_LEN]);
        vmls_crypto::derive_tree_secret(secret, b"nonce", generation, &mut out.nonce)?;
        vmls_crypto::derive_tree_secret(secret, b"key", generation, out.key_mut())?;
        Ok(out)
    }

    fn key_mut(&mut self) -> &mut [u8] {
        // S::AEAD_KEY_LEN <= MAX_KEY_LEN for every suite; `min` keeps the split in bounds.
        let (k, _) = self.key.split_at_mut(S::AEAD_KEY_LEN.min(MAX_KEY_LEN));
        k
    }

    /// The AEAD key (`AEAD.Nk` bytes).
    pub fn key(&self) -> &[u8] {
        self.key.get(..S::AEAD_KEY_LEN).unwrap_or(&self.key)
    }

    /// The key storage: the key followed by zero padding up to [`MAX_KEY_LEN`].
    pub fn key_bytes(&self) -> &[u8; MAX_KEY_LEN] {
        &self.key
    }

    /// The nonce as derived (before the reuse guard).
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// The nonce with the reuse guard applied: its first four bytes XORed with `reuse_guard`
    /// (RFC 9420 section 6.3.1).
    pub fn guarded_nonce(&self, reuse_guard: &[u8; REUSE_GUARD_LEN]) -> [u8; NONCE_LEN] {
        apply_reuse_guard(&self.nonce, reuse_guard)
    }
}

/// XORs `reuse_guard` into the first four bytes of `nonce` (RFC 9420 section 6.3.1).
pub fn apply_reuse_guard(
    nonce: &[u8; NONCE_LEN],
    reuse_guard: &[u8; REUSE_GUARD_LEN],
) -> [u8; NONCE_LEN] {
    let mut out = *nonce;
    for (n, g) in out.iter_mut().zip(reuse_guard) {
        *n ^= g;
    }
    out
}

impl<S: CipherSuite> Clone for KeyNonce<S> {
    fn clone(&self) -> Self {
        Self::from_parts(self.key, self.nonce)
    }
}

impl<S: CipherSuite> PartialEq for KeyNonce<S> {
    /// Compares without an early exit on the first differing byte.
    fn eq(&self, other: &Self) -> bool {
        let mut diff = 0u8;
        for (a, b) in self.key.iter().zip(&other.key) {
            diff |= a ^ b;
        }
        for (a, b) in self.nonce.iter().zip(&other.nonce) {
            diff |= a ^ b;
        }
        diff == 0
    }
}

impl<S: CipherSuite> Eq for KeyNonce<S> {}

impl<S: CipherSuite> Drop for KeyNonce<S> {
    fn drop(&mut self) {
        self.key.zeroize();
        self.nonce.zeroize();
    }
}

impl<S: CipherSuite> fmt::Debug for KeyNonce<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyNonce(***)")
    }
}
