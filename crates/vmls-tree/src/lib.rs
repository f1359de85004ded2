//! The ratchet tree of RFC 9420: tree math (appendix C), node structures (section 7), the public
//! tree with cached tree hashes (sections 4, 7.7, 7.8), parent hashes (7.9), leaf and tree
//! validation (7.3, 12.4.3.1), TreeKEM (7.4-7.6, 12.4.2) and the `ratchet_tree` extension
//! encoding (12.4.3.3).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod error;
pub mod extension;
pub mod leaf;
pub mod math;
pub mod node;
pub mod parent_hash;
pub mod storage;
pub mod tree;
pub mod treekem;
mod validate;

pub use error::TreeError;
pub use extension::{Extension, RequiredCapabilities, extension_type, find_extension};
pub use leaf::{LeafNodeSourceType, LeafNodeTbs, LeafSigningContext, LeafValidationParams};
pub use math::{LeafIndex, NodeIndex};
pub use node::{
    Capabilities, Credential, LeafNode, LeafNodeContent, LeafNodeSource, Lifetime, Node,
    ParentNode, UpdatePath, UpdatePathNode,
};
pub use parent_hash::PathParentHashes;
pub use storage::{LeafSnapshot, NodeRef, TreeStorage};
pub use tree::{FilteredPath, FilteredPathNode, RatchetTree};
pub use treekem::{PathSecrets, TreePrivateKeys};
