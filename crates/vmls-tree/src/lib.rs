//! The ratchet tree of RFC 9420: tree math (appendix C), node structures (section 7), and later
//! tree hashes, parent hashes, validation and TreeKEM.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod extension;
pub mod math;
pub mod node;

pub use extension::{Extension, extension_type, find_extension};
pub use math::{LeafIndex, NodeIndex};
pub use node::{
    Capabilities, Credential, LeafNode, LeafNodeContent, LeafNodeSource, Lifetime, Node,
    ParentNode, UpdatePath, UpdatePathNode,
};
