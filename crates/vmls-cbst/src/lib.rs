//! The challenge-based secret tree (CBST) and challenge derivation of challenge-based
//! application messages (CBAM), draft-kohbrok-mls-virtual-clients-03 section 5.5, with the
//! choices pinned in `CBST-CBAM.md` and docs/spec-decisions.md.
//!
//! Several emulator clients acting as one leaf cannot share the RFC 9420 secret tree's
//! per-sender ratchet: two of them would use the same generation. CBAM replaces the generation
//! with a random 256-bit challenge, and the CBST maps each challenge to its own AEAD key and
//! nonce through a GGM-style tree of depth 256 that is punctured on use.
//!
//! * [`ChallengeSecretTree`]: derivation, puncturing, and a bounded state
//!   ([`CbstConfig`]: siblings are kept down to `prune_depth` only, and at most `max_nodes`).
//! * [`challenge`]: `ChallengeContext` and `challenge = FS-KDF.Expand(seed, context, Nh)`.
//!
//! Pure derivation: no randomness, no I/O, `#![no_std]` with `alloc`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod challenge;
mod error;
mod hmac_label;
mod tree;

pub use challenge::{
    ChallengeContext, ChallengeLevel, GroupChallengeContext, MAX_CHALLENGE_LEVELS, derive_challenge,
};
pub use error::CbstError;
pub use tree::{
    CHALLENGE_LEN, CbstConfig, CbstKey, ChallengeSecretTree, DEFAULT_MAX_NODES,
    DEFAULT_PRUNE_DEPTH, MAX_PRUNE_DEPTH, NODE_BYTES, PuncturePlan,
};
