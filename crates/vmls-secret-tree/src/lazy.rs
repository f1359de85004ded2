//! A tree of secrets derived lazily from its root (RFC 9420 section 9), with the deletion schedule
//! of section 9.2: a node's secret is deleted as soon as both children are derived, and a leaf's
//! secret leaves the tree when it is taken.
use alloc::vec::Vec;

use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{NH, Secret, expand_with_label};
use zeroize::Zeroize;

use crate::SecretTreeError;

/// Largest depth of a tree: 2^31 leaves, so node indices (`0..2^32 - 1`) fit a `u32`.
pub const MAX_DEPTH: u8 = 31;

/// A stored node secret.
#[derive(Clone)]
struct NodeSecret {
    node: u32,
    secret: Secret,
}

impl Encode for NodeSecret {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.node.encode(w)?;
        w.put(self.secret.as_bytes())
    }
    fn encoded_len(&self) -> usize {
        4 + NH
    }
}

impl Decode for NodeSecret {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let node = u32::decode(r)?;
        Ok(Self {
            node,
            secret: read_secret(r)?,
        })
    }
}

/// Reads `Nh` raw bytes as a [`Secret`], wiping the temporary copy.
pub(crate) fn read_secret(r: &mut Reader<'_>) -> Result<Secret, CodecError> {
    let mut raw = r.read_array::<NH>()?;
    let s = Secret::from_bytes(raw);
    raw.zeroize();
    Ok(s)
}

/// A full binary tree of `2^depth` leaves whose node secrets are derived on demand from the root:
///
/// ```text
/// tree_node_[left(N)]_secret  = ExpandWithLabel(tree_node_[N]_secret, "tree", "left",  KDF.Nh)
/// tree_node_[right(N)]_secret = ExpandWithLabel(tree_node_[N]_secret, "tree", "right", KDF.Nh)
/// ```
///
/// Nodes use the array numbering of RFC 9420 appendix C (leaf `i` is node `2i`, the root is node
/// `2^depth - 1`). Only the "frontier" is stored: the secrets derived but not yet split or taken.
/// When a leaf is taken, the stored ancestor of that leaf is split down to the leaf: each node on
/// the way is deleted once both its children exist, the siblings off the path are kept, and the
/// leaf secret is handed to the caller and forgotten by the tree. A leaf can therefore be taken
/// once only. Memory: at most `depth` new entries per taken leaf, never more than the number of
/// leaves in total.
///
/// This is the structure of both the RFC 9420 secret tree (root `encryption_secret`) and the
/// exporter tree of the safe exporter (draft-ietf-mls-extensions, root
/// `application_export_secret`, depth 16).
#[derive(Clone)]
pub struct LazySecretTree {
    depth: u8,
    /// Sorted by node index; no node is an ancestor of another.
    frontier: Vec<NodeSecret>,
}

/// The node index of the ancestor of leaf node `x` at `level` (`x` itself for level 0).
fn ancestor(x: u64, level: u32) -> u64 {
    ((x >> (level + 1)) << (level + 1)) | ((1u64 << level) - 1)
}

fn left_child(x: u64, level: u32) -> u64 {
    x ^ (1u64 << (level - 1))
}

fn right_child(x: u64, level: u32) -> u64 {
    x ^ (3u64 << (level - 1))
}

/// Node indices of this module are below 2^32 - 1 by construction (depth <= 31).
fn node32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

impl LazySecretTree {
    /// A tree of `2^depth` leaves (`depth <= 31`) whose root secret is `root`.
    pub fn new(root: Secret, depth: u8) -> Result<Self, SecretTreeError> {
        if depth > MAX_DEPTH {
            return Err(SecretTreeError::InvalidLeafCount(1u64 << depth.min(63)));
        }
        let frontier = alloc::vec![NodeSecret {
            node: node32((1u64 << depth) - 1),
            secret: root,
        }];
        Ok(Self { depth, frontier })
    }

    /// `log2` of the number of leaves.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of leaves (`2^depth`).
    pub fn n_leaves(&self) -> u64 {
        1u64 << self.depth
    }

    /// Number of node secrets currently stored.
    pub fn stored_secrets(&self) -> usize {
        self.frontier.len()
    }

    fn check_leaf(&self, leaf: u32) -> Result<u64, SecretTreeError> {
        if u64::from(leaf) >= self.n_leaves() {
            return Err(SecretTreeError::LeafOutOfRange {
                leaf,
                n_leaves: node32(self.n_leaves()),
            });
        }
        Ok(2 * u64::from(leaf))
    }

    fn position(&self, node: u64) -> Result<usize, usize> {
        self.frontier
            .binary_search_by(|n| u64::from(n.node).cmp(&node))
    }

    /// The stored ancestor of `leaf` (or the leaf itself): its position and level.
    fn find(&self, leaf_node: u64) -> Option<(usize, u32)> {
        (0..=u32::from(self.depth)).find_map(|level| {
            self.position(ancestor(leaf_node, level))
                .ok()
                .map(|pos| (pos, level))
        })
    }

    /// Whether the secret of `leaf` can still be taken.
    pub fn has_leaf(&self, leaf: u32) -> bool {
        self.check_leaf(leaf)
            .map(|x| self.find(x).is_some())
            .unwrap_or(false)
    }

    /// The secret of `leaf` without changing the tree (derived on the stack).
    pub fn peek_leaf(&self, leaf: u32) -> Result<Secret, SecretTreeError> {
        let x = self.check_leaf(leaf)?;
        let (pos, level) = self.find(x).ok_or(SecretTreeError::LeafConsumed { leaf })?;
        let mut cur = self
            .frontier
            .get(pos)
            .map(|n| n.secret.clone())
            .ok_or(SecretTreeError::LeafConsumed { leaf })?;
        let mut node = ancestor(x, level);
        for lvl in (1..=level).rev() {
            let (child, label): (u64, &[u8]) = if x < node {
                (left_child(node, lvl), b"left")
            } else {
                (right_child(node, lvl), b"right")
            };
            cur = expand_with_label(cur.as_bytes(), b"tree", label)?;
            node = child;
        }
        Ok(cur)
    }

    /// Takes the secret of `leaf` out of the tree: derives the path down to it from its stored
    /// ancestor, keeps the siblings of that path, and deletes the ancestor and the path (RFC
    /// 9420 section 9.2). A second call for the same leaf fails with
    /// [`SecretTreeError::LeafConsumed`]. On error the tree is unchanged.
    pub fn take_leaf(&mut self, leaf: u32) -> Result<Secret, SecretTreeError> {
        let x = self.check_leaf(leaf)?;
        let (pos, level) = self.find(x).ok_or(SecretTreeError::LeafConsumed { leaf })?;
        // Derive everything first so that an error leaves the tree untouched.
        let mut siblings: [Option<(u32, Secret)>; MAX_DEPTH as usize] =
            core::array::from_fn(|_| None);
        let mut cur = self
            .frontier
            .get(pos)
            .map(|n| n.secret.clone())
            .ok_or(SecretTreeError::LeafConsumed { leaf })?;
        let mut node = ancestor(x, level);
        for (lvl, slot) in (1..=level).rev().zip(siblings.iter_mut()) {
            let l = expand_with_label(cur.as_bytes(), b"tree", b"left")?;
            let r = expand_with_label(cur.as_bytes(), b"tree", b"right")?;
            let (left, right) = (left_child(node, lvl), right_child(node, lvl));
            if x < node {
                *slot = Some((node32(right), r));
                cur = l;
                node = left;
            } else {
                *slot = Some((node32(left), l));
                cur = r;
                node = right;
            }
        }
        // Commit: delete the ancestor (its Secret zeroizes on drop), store the siblings.
        drop(self.frontier.remove(pos));
        for (node, secret) in siblings.into_iter().flatten() {
            match self.position(u64::from(node)) {
                // Unreachable: a sibling of the path is below the removed ancestor.
                Ok(p) => {
                    if let Some(slot) = self.frontier.get_mut(p) {
                        slot.secret = secret;
                    }
                }
                Err(p) => self.frontier.insert(p, NodeSecret { node, secret }),
            }
        }
        Ok(cur)
    }
}

impl core::fmt::Debug for LazySecretTree {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LazySecretTree")
            .field("depth", &self.depth)
            .field("stored_secrets", &self.frontier.len())
            .finish()
    }
}

/// Encoding (for the persisted group state):
///
/// ```text
/// struct { uint8 depth; NodeSecret frontier<V>; } LazySecretTree;
/// struct { uint32 node; opaque secret[Nh]; } NodeSecret;
/// ```
///
/// Decoding checks the invariants: `depth <= 31`, node indices inside the tree, strictly
/// increasing, and no stored node an ancestor of another (which would let a leaf be taken twice).
impl Encode for LazySecretTree {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.depth.encode(w)?;
        vmls_codec::encode_vec(w, &self.frontier)
    }
    fn encoded_len(&self) -> usize {
        1 + vmls_codec::vec_len(&self.frontier)
    }
}

impl Decode for LazySecretTree {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let depth = u8::decode(r)?;
        if depth > MAX_DEPTH {
            return Err(CodecError::InvalidEnum(u64::from(depth)));
        }
        let frontier = Vec::<NodeSecret>::decode(r)?;
        let width = (1u64 << (depth + 1)) - 1;
        let mut prev: Option<u32> = None;
        for n in &frontier {
            if u64::from(n.node) >= width || prev.is_some_and(|p| p >= n.node) {
                return Err(CodecError::InvalidEnum(u64::from(n.node)));
            }
            prev = Some(n.node);
        }
        let tree = Self { depth, frontier };
        for n in &tree.frontier {
            let x = u64::from(n.node);
            let lvl = x.trailing_ones();
            let has_stored_ancestor =
                (lvl + 1..=u32::from(depth)).any(|above| tree.position(ancestor(x, above)).is_ok());
            if has_stored_ancestor {
                return Err(CodecError::InvalidEnum(x));
            }
        }
        Ok(tree)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn ancestor_math_matches_rfc_appendix_c() {
        // 8 leaves: root 7; leaf 5 (node 10) has ancestors 9, 11, 7.
        assert_eq!(ancestor(10, 0), 10);
        assert_eq!(ancestor(10, 1), 9);
        assert_eq!(ancestor(10, 2), 11);
        assert_eq!(ancestor(10, 3), 7);
        assert_eq!(left_child(7, 3), 3);
        assert_eq!(right_child(7, 3), 11);
        assert_eq!(left_child(11, 2), 9);
        assert_eq!(right_child(11, 2), 13);
    }

    #[test]
    fn take_leaf_matches_direct_derivation() {
        // 4 leaves, root 3; leaf 2 is node 4 = right(3) -> left(5).
        let root = Secret::from_bytes([7; 32]);
        let r = expand_with_label(root.as_bytes(), b"tree", b"right").unwrap();
        let want = expand_with_label(r.as_bytes(), b"tree", b"left").unwrap();
        let mut t = LazySecretTree::new(root, 2).unwrap();
        assert_eq!(t.peek_leaf(2).unwrap(), want);
        assert_eq!(t.take_leaf(2).unwrap(), want);
        // Stored now: node 1 (left subtree) and node 6 (leaf 3).
        assert_eq!(t.stored_secrets(), 2);
        assert_eq!(
            t.take_leaf(2),
            Err(SecretTreeError::LeafConsumed { leaf: 2 })
        );
        assert_eq!(
            t.take_leaf(4),
            Err(SecretTreeError::LeafOutOfRange {
                leaf: 4,
                n_leaves: 4
            })
        );
    }

    #[test]
    fn decode_rejects_ancestor_and_descendant_both_stored() {
        let mut bad = alloc::vec![2u8]; // depth 2
        let mut body = Vec::new();
        for node in [1u32, 3] {
            body.extend_from_slice(&node.to_be_bytes());
            body.extend_from_slice(&[0; 32]);
        }
        vmls_codec::encode_opaque(&mut bad, &body).unwrap();
        assert!(LazySecretTree::decode_exact(&bad).is_err());
    }
}
