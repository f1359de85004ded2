//! Virtual-client secrets (`CBST-CBAM.md`, "virtual-client secrets"), as pinned in
//! docs/spec-decisions.md:
//!
//! ```text
//! vc_epoch_secret  = MLS-FS-Export("Virtual Client Seed", "", Nh)      # G, epoch the announcement created
//! struct { uint32 vc_id; opaque target_group_id<V>; uint8 operation; uint32 counter; }
//!     VirtualClientOperationContext;
//! operation_secret = ExpandWithLabel(vc_epoch_secret, "VC Operation", VirtualClientOperationContext, Nh)
//! init_ikm         = DeriveSecret(operation_secret, "Init Key")         # DeriveKeyPair(init_ikm)
//! encryption_ikm   = DeriveSecret(operation_secret, "Encryption Key")   # DeriveKeyPair(encryption_ikm)
//! leaf_secret      = DeriveSecret(operation_secret, "Path Generation")  # path_secret[0] = DeriveSecret(leaf_secret, "path")
//! ed25519_seed     = DeriveSecret(operation_secret, "Signature Key")
//! rng_seed         = DeriveSecret(operation_secret, "RNG Seed")          # SeededPrng: everything else
//!
//! # after a G commit that removed emulators (issue 18): V's new signature key
//! rotation_secret  = operation_secret with VirtualClientOperationContext
//!                    { vc_id, target_group_id = "", operation = 4 (signature key), counter = 0xFFFFFFFF }
//! ed25519_seed     = DeriveSecret(rotation_secret, "Signature Key Rotation")
//! ```
//! The core operation runs with [`OperationRng`]: first the operation's pinned secrets (in the
//! order the core draws them), then `SeededPrng::from_seed(rng_seed)` for the rest (HPKE
//! encryptions, reuse guards, Welcome).
use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use vmls_codec::{Encode, encode_opaque};
use vmls_crypto::{SeededPrng, derive_secret, expand_with_label};
use zeroize::Zeroizing;

use crate::error::EmulatorError;
pub use vmls_crypto::Secret;

/// `operation` of a `VirtualClientOperationContext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Operation {
    /// A KeyPackage (init key, leaf encryption key).
    KeyPackage = 1,
    /// An Update proposal's leaf encryption key.
    LeafUpdate = 2,
    /// A commit's UpdatePath.
    CommitPath = 3,
    /// V's signature key.
    SignatureKey = 4,
    /// A proposal or message that needs no new key (only the framing's randomness).
    Proposal = 5,
    /// A new group: V's leaf key and the group's first epoch secret (all from the RNG seed).
    GroupCreation = 6,
}

/// `VirtualClientOperationContext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationContext<'a> {
    /// The virtual client.
    pub vc_id: u32,
    /// The higher-level group (empty for KeyPackages and signature keys).
    pub target_group_id: &'a [u8],
    /// The operation.
    pub operation: Operation,
    /// Counts the secrets of one (vc_id, target group, operation) in one announcement, from 0.
    pub counter: u32,
}

impl OperationContext<'_> {
    /// The encoded struct.
    pub fn to_bytes(&self) -> Result<alloc::vec::Vec<u8>, EmulatorError> {
        let mut out = alloc::vec::Vec::new();
        self.vc_id.encode(&mut out)?;
        encode_opaque(&mut out, self.target_group_id)?;
        (self.operation as u8).encode(&mut out)?;
        self.counter.encode(&mut out)?;
        Ok(out)
    }
}

/// `operation_secret` of `context` under `vc_epoch_secret`.
pub fn operation_secret(
    vc_epoch_secret: &Secret,
    context: &OperationContext<'_>,
) -> Result<Secret, EmulatorError> {
    let ctx = context.to_bytes()?;
    Ok(expand_with_label(
        vc_epoch_secret.as_bytes(),
        b"VC Operation",
        &ctx,
    )?)
}

/// The labels derived from an `operation_secret`.
pub mod label {
    /// HPKE init key pair IKM.
    pub const INIT_KEY: &[u8] = b"Init Key";
    /// HPKE leaf encryption key pair IKM.
    pub const ENCRYPTION_KEY: &[u8] = b"Encryption Key";
    /// The commit's leaf secret (`path_secret[0] = DeriveSecret(it, "path")`).
    pub const PATH_GENERATION: &[u8] = b"Path Generation";
    /// Ed25519 seed.
    pub const SIGNATURE_KEY: &[u8] = b"Signature Key";
    /// Seed of the PRNG for the operation's remaining randomness.
    pub const RNG_SEED: &[u8] = b"RNG Seed";
    /// Ed25519 seed of V's rotated signature key after a device removal.
    pub const SIGNATURE_KEY_ROTATION: &[u8] = b"Signature Key Rotation";
}

/// `counter` of the rotation's operation context: no announced action reaches it (an
/// announcement holds at most [`crate::announce::MAX_ACTIONS`] actions, each of a few secrets).
pub const ROTATION_COUNTER: u32 = u32::MAX;

/// The Ed25519 seed of V's signature key after a G commit that removed emulator devices, from
/// the `vc_epoch_secret` of the epoch that commit created (module docs; docs/spec-decisions.md,
/// "Signature-key rotation on device removal"). Every remaining emulator derives the same key;
/// the removed devices never learn that epoch's secrets.
pub fn rotated_signature_seed(
    vc_epoch_secret: &Secret,
    vc_id: u32,
) -> Result<Secret, EmulatorError> {
    let op = operation_secret(
        vc_epoch_secret,
        &OperationContext {
            vc_id,
            target_group_id: &[],
            operation: Operation::SignatureKey,
            counter: ROTATION_COUNTER,
        },
    )?;
    operation_derive(&op, label::SIGNATURE_KEY_ROTATION)
}

/// `DeriveSecret(operation_secret, label)`.
pub fn operation_derive(operation_secret: &Secret, label: &[u8]) -> Result<Secret, EmulatorError> {
    Ok(derive_secret(operation_secret.as_bytes(), label)?)
}

/// The pinned secrets an operation's core call draws first, in order.
fn prefix_labels(op: Operation) -> &'static [&'static [u8]] {
    match op {
        // create_key_package draws the init key, then the leaf encryption key.
        Operation::KeyPackage => &[label::INIT_KEY, label::ENCRYPTION_KEY],
        // propose_update draws the new leaf encryption key.
        Operation::LeafUpdate => &[label::ENCRYPTION_KEY],
        // commit (with path) draws the leaf secret first.
        Operation::CommitPath => &[label::PATH_GENERATION],
        Operation::SignatureKey | Operation::Proposal | Operation::GroupCreation => &[],
    }
}

/// Most bytes of pinned prefix (two secrets).
const MAX_PREFIX: usize = 64;

/// The RNG an emulator passes to a core operation it runs as a virtual client: the operation's
/// pinned secrets first, then a [`SeededPrng`] seeded with `rng_seed`.
pub struct OperationRng {
    prefix: Zeroizing<[u8; MAX_PREFIX]>,
    prefix_len: usize,
    pos: usize,
    prng: SeededPrng,
}

impl core::fmt::Debug for OperationRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OperationRng(***)")
    }
}

impl OperationRng {
    /// The RNG of operation `op` whose `operation_secret` is given.
    pub fn new(operation_secret: &Secret, op: Operation) -> Result<Self, EmulatorError> {
        let mut prefix = Zeroizing::new([0u8; MAX_PREFIX]);
        let mut prefix_len = 0;
        for l in prefix_labels(op) {
            let s = operation_derive(operation_secret, l)?;
            let slot = prefix
                .get_mut(prefix_len..prefix_len + 32)
                .ok_or(EmulatorError::Internal)?;
            slot.copy_from_slice(s.as_bytes());
            prefix_len += 32;
        }
        let seed = operation_derive(operation_secret, label::RNG_SEED)?;
        Ok(Self {
            prefix,
            prefix_len,
            pos: 0,
            prng: SeededPrng::from_seed(*seed.as_bytes()),
        })
    }

    /// Whether the core consumed exactly the pinned secrets first (checked after every
    /// replayed operation: a core that drew them in another order would break the pin).
    pub fn prefix_consumed(&self) -> bool {
        self.pos >= self.prefix_len
    }
}

impl TryRng for OperationRng {
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
        let mut rest = dst;
        if self.pos < self.prefix_len {
            let avail = self.prefix.get(self.pos..self.prefix_len).unwrap_or(&[]);
            let n = avail.len().min(rest.len());
            let (head, tail) = rest.split_at_mut(n);
            head.copy_from_slice(avail.get(..n).unwrap_or(&[]));
            self.pos += n;
            rest = tail;
        }
        if !rest.is_empty() {
            self.prng.try_fill_bytes(rest)?;
        }
        Ok(())
    }
}

impl TryCryptoRng for OperationRng {}
