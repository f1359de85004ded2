//! One sender's hash ratchet (RFC 9420 section 9.1) with a bounded window of skipped keys.
use alloc::vec::Vec;

use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{CipherSuite, NH, NONCE_LEN, Secret, derive_tree_secret};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::key::{KeyNonce, MAX_KEY_LEN};
use crate::lazy::read_secret;
use crate::{RatchetType, SecretTreeConfig, SecretTreeError};

/// A key and nonce kept for a generation that was skipped (out-of-order delivery).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SkippedKey {
    generation: u32,
    key: [u8; MAX_KEY_LEN],
    nonce: [u8; NONCE_LEN],
}

impl Encode for SkippedKey {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.generation.encode(w)?;
        w.put(&self.key)?;
        w.put(&self.nonce)
    }
    fn encoded_len(&self) -> usize {
        4 + MAX_KEY_LEN + NONCE_LEN
    }
}

impl Decode for SkippedKey {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            generation: u32::decode(r)?,
            key: r.read_array()?,
            nonce: r.read_array()?,
        })
    }
}

/// Who a ratchet belongs to, for error values.
#[derive(Clone, Copy)]
pub(crate) struct RatchetId {
    pub leaf: u32,
    pub ratchet: RatchetType,
}

/// `ratchet_secret_[N]_[generation]`, plus the keys kept for skipped generations.
///
/// Fixed-size on the in-order path: the secret and generation are inline; `skipped` stays an empty
/// `Vec` (no heap) until a generation is skipped.
#[derive(Clone)]
pub(crate) struct Ratchet {
    /// `ratchet_secret_[N]_[generation]`; `None` once generation 2^32 - 1 was used.
    secret: Option<Secret>,
    /// Next generation whose key has not been derived.
    generation: u32,
    /// Keys of skipped generations below `generation`, ascending, at most `max_retained_keys`.
    skipped: Vec<SkippedKey>,
}

fn next_secret(secret: &Secret, generation: u32) -> Result<Secret, SecretTreeError> {
    let mut out = [0u8; NH];
    derive_tree_secret(secret.as_bytes(), b"secret", generation, &mut out)?;
    let s = Secret::from_bytes(out);
    out.zeroize();
    Ok(s)
}

impl Ratchet {
    /// A ratchet at generation 0 with base secret `secret`.
    pub fn new(secret: Secret) -> Self {
        Self {
            secret: Some(secret),
            generation: 0,
            skipped: Vec::new(),
        }
    }

    /// Next generation not derived yet.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Number of skipped keys held.
    pub fn retained(&self) -> usize {
        self.skipped.len()
    }

    fn consumed(&self, id: RatchetId, generation: u32) -> SecretTreeError {
        SecretTreeError::GenerationConsumed {
            leaf: id.leaf,
            ratchet: id.ratchet,
            generation,
            current: self.generation,
        }
    }

    /// Checks `generation >= self.generation` is reachable; returns the current secret.
    fn forward_secret(
        &self,
        id: RatchetId,
        generation: u32,
        cfg: &SecretTreeConfig,
    ) -> Result<&Secret, SecretTreeError> {
        let secret = self
            .secret
            .as_ref()
            .ok_or(SecretTreeError::RatchetExhausted {
                leaf: id.leaf,
                ratchet: id.ratchet,
            })?;
        let distance = generation.saturating_sub(self.generation);
        if distance > cfg.max_forward_distance {
            return Err(SecretTreeError::TooFarAhead {
                leaf: id.leaf,
                ratchet: id.ratchet,
                generation,
                current: self.generation,
                max_forward: cfg.max_forward_distance,
            });
        }
        Ok(secret)
    }

    /// The key and nonce of `generation` without changing the ratchet.
    pub fn peek<S: CipherSuite>(
        &self,
        id: RatchetId,
        generation: u32,
        cfg: &SecretTreeConfig,
    ) -> Result<KeyNonce<S>, SecretTreeError> {
        if generation < self.generation {
            let pos = self
                .skipped
                .binary_search_by_key(&generation, |k| k.generation)
                .map_err(|_| self.consumed(id, generation))?;
            let k = self
                .skipped
                .get(pos)
                .ok_or_else(|| self.consumed(id, generation))?;
            return Ok(KeyNonce::from_parts(k.key, k.nonce));
        }
        let mut cur = self.forward_secret(id, generation, cfg)?.clone();
        for g in self.generation..generation {
            cur = next_secret(&cur, g)?;
        }
        Ok(KeyNonce::derive_ratchet(cur.as_bytes(), generation)?)
    }

    /// Consumes `generation`: removes its retained key, or ratchets forward to it, keeping the
    /// keys of the skipped generations (at most `max_retained_keys`, the newest ones) and deleting
    /// every secret used on the way (RFC 9420 section 9.2). Returns the key when `want_key`.
    /// On error the ratchet is unchanged.
    pub fn advance<S: CipherSuite>(
        &mut self,
        id: RatchetId,
        generation: u32,
        cfg: &SecretTreeConfig,
        want_key: bool,
    ) -> Result<Option<KeyNonce<S>>, SecretTreeError> {
        if generation < self.generation {
            let pos = self
                .skipped
                .binary_search_by_key(&generation, |k| k.generation)
                .map_err(|_| self.consumed(id, generation))?;
            let k = self.skipped.remove(pos);
            return Ok(want_key.then(|| KeyNonce::from_parts(k.key, k.nonce)));
        }
        let mut cur = self.forward_secret(id, generation, cfg)?.clone();
        // Generations >= keep_from have their keys retained.
        let keep_from = generation.saturating_sub(cfg.max_retained_keys);
        let mut new_skipped = Vec::new();
        for g in self.generation..generation {
            if g >= keep_from {
                let k = KeyNonce::<S>::derive_ratchet(cur.as_bytes(), g)?;
                new_skipped.push(SkippedKey {
                    generation: g,
                    key: *k.key_bytes(),
                    nonce: *k.nonce(),
                });
            }
            cur = next_secret(&cur, g)?;
        }
        let key = if want_key {
            Some(KeyNonce::derive_ratchet(cur.as_bytes(), generation)?)
        } else {
            None
        };
        let (next, next_generation) = match generation.checked_add(1) {
            Some(n) => (Some(next_secret(&cur, generation)?), n),
            None => (None, generation),
        };
        // Commit.
        self.secret = next;
        self.generation = next_generation;
        self.skipped.extend(new_skipped);
        self.trim(cfg.max_retained_keys);
        Ok(key)
    }

    /// Drops retained keys beyond `max` (the oldest first).
    pub fn trim(&mut self, max: u32) {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        if self.skipped.len() > max {
            let excess = self.skipped.len() - max;
            self.skipped.drain(..excess);
        }
    }

    /// Decoding check: skipped generations ascending, below `generation`, at most `max`.
    pub fn is_consistent(&self, max: u32) -> bool {
        let ascending = self
            .skipped
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.generation < b.generation));
        let below = self
            .skipped
            .last()
            .is_none_or(|k| k.generation < self.generation);
        ascending && below && self.skipped.len() <= usize::try_from(max).unwrap_or(usize::MAX)
    }
}

/// ```text
/// struct {
///     optional<opaque secret[Nh]>;   /* absent once exhausted */
///     uint32 generation;
///     SkippedKey skipped<V>;          /* struct { uint32 generation; opaque key[32]; opaque nonce[12]; } */
/// } Ratchet;
/// ```
impl Encode for Ratchet {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        match &self.secret {
            Some(s) => {
                w.put(&[1])?;
                w.put(s.as_bytes())?;
            }
            None => w.put(&[0])?,
        }
        self.generation.encode(w)?;
        vmls_codec::encode_vec(w, &self.skipped)
    }
    fn encoded_len(&self) -> usize {
        1 + self.secret.as_ref().map_or(0, |_| NH) + 4 + vmls_codec::vec_len(&self.skipped)
    }
}

impl Decode for Ratchet {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let secret = match u8::decode(r)? {
            0 => None,
            1 => Some(read_secret(r)?),
            b => return Err(CodecError::InvalidOptional(b)),
        };
        Ok(Self {
            secret,
            generation: u32::decode(r)?,
            skipped: Vec::decode(r)?,
        })
    }
}
