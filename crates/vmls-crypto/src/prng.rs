//! A deterministic PRNG seeded from the caller's RNG, handed to hpke-rs.
use core::convert::Infallible;

use hmac::{Hmac, KeyInit, Mac};
use rand_core::{CryptoRng, TryCryptoRng, TryRng};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HMAC-SHA256 in counter mode over a 32-byte seed.
///
/// hpke-rs draws its encapsulation randomness from a PRNG it owns. We never let it own an OS RNG:
/// each HPKE operation gets a `SeededPrng` seeded from the caller's RNG, so given the caller's RNG
/// the whole operation is deterministic (an emulator can replay another emulator's commit).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SeededPrng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl core::fmt::Debug for SeededPrng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SeededPrng(***)")
    }
}

impl SeededPrng {
    /// A PRNG whose whole output is determined by `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    /// Draws a 32-byte seed from `rng`.
    pub fn from_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let p = Self::from_seed(seed);
        seed.zeroize();
        p
    }

    fn refill(&mut self) {
        let mut m = match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.seed) {
            Ok(m) => m,
            Err(_) => return,
        };
        m.update(b"vmls hpke prng");
        m.update(&self.counter.to_be_bytes());
        self.block = m.finalize().into_bytes().into();
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl TryRng for SeededPrng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for out in dst.iter_mut() {
            if self.used >= self.block.len() {
                self.refill();
            }
            *out = self.block.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededPrng {}
