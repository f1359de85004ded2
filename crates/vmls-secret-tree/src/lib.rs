//! The MLS secret tree (RFC 9420 section 9): per-sender handshake and application ratchets
//! derived lazily from the epoch's `encryption_secret`, the deletion schedule of section 9.2, and
//! a bounded window for out-of-order messages.
//!
//! * [`SecretTree`] is one epoch's tree. A generation is taken once: a second request, or a
//!   request for a generation whose retained key was dropped, is
//!   [`SecretTreeError::GenerationConsumed`]; a request more than
//!   [`SecretTreeConfig::max_forward_distance`] ahead is [`SecretTreeError::TooFarAhead`].
//! * Defaults ([`SecretTreeConfig::DEFAULT`], the RFC 9750 section 7 parameters): a ratchet moves
//!   at most **1000** generations forward for one message, and each ratchet (one per sender and
//!   [`RatchetType`]) keeps at most **64** keys of skipped generations, the newest ones (48 bytes
//!   each: at most 3 KiB per ratchet). Firmware with little RAM can lower both.
//! * [`LazySecretTree`] is the bare tree of node secrets with its deletion schedule; the safe
//!   exporter of `vmls-keyschedule` uses it with 2^16 leaves.
//! * [`KeyNonce`] is an AEAD key and nonce sized for the suite `S`, with the reuse guard of
//!   section 6.3.1 ([`apply_reuse_guard`]).
//!
//! The state is serializable ([`vmls_codec::Encode`]/[`vmls_codec::Decode`]) for the persisted
//! group state. Secrets zeroize on drop and never print.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod key;
mod lazy;
mod ratchet;
mod tree;

pub use error::SecretTreeError;
pub use key::{KeyNonce, MAX_KEY_LEN, REUSE_GUARD_LEN, apply_reuse_guard};
pub use lazy::LazySecretTree;
pub use tree::{
    DEFAULT_MAX_FORWARD_DISTANCE, DEFAULT_MAX_RETAINED_KEYS, MAX_LEAVES, RatchetType, SecretTree,
    SecretTreeConfig,
};
