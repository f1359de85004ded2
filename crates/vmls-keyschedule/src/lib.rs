//! The MLS key schedule (RFC 9420 section 8).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod group_context;

pub use group_context::GroupContext;
