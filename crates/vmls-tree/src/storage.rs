//! Node storage of the public ratchet tree, with the per-node tree-hash cache.
//!
//! This is the seam DESIGN.md asks for: [`crate::RatchetTree`] (resolutions, parent hashes,
//! validation, TreeKEM) reads and writes nodes only through the small API below. A partial-tree
//! client (draft-ietf-mls-partial: the direct path, the copath resolutions and the copath tree
//! hashes) adds a second storage with the same API instead of a second TreeKEM.
use alloc::vec::Vec;
use vmls_codec::{Encode, encode_opaque};
use vmls_crypto::{HashValue, Hasher};

use crate::error::TreeError;
use crate::math::{self, LeafIndex, NodeIndex};
use crate::node::{LeafNode, ParentNode};

/// The largest number of leaves a tree may have: node indices are `u32` (RFC 9420 appendix C).
pub const MAX_LEAVES: u32 = 1 << 31;

/// A node of the tree, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRef<'a> {
    /// A leaf node.
    Leaf(&'a LeafNode),
    /// A parent node.
    Parent(&'a ParentNode),
}

impl<'a> NodeRef<'a> {
    /// The node's HPKE `encryption_key`.
    pub fn encryption_key(self) -> &'a [u8; 32] {
        match self {
            NodeRef::Leaf(l) => &l.content.encryption_key.0,
            NodeRef::Parent(p) => &p.encryption_key.0,
        }
    }
    /// The node's `parent_hash`: the ParentNode field, or the LeafNode's when its source is
    /// `commit` (RFC 9420 section 7.9.1); `None` for other leaves.
    pub fn parent_hash(self) -> Option<&'a [u8]> {
        match self {
            NodeRef::Leaf(l) => l.parent_hash(),
            NodeRef::Parent(p) => Some(p.parent_hash.as_slice()),
        }
    }
}

/// The nodes of a full tree of `2^d` leaves in array order, typed (leaves at even positions,
/// parents at odd ones, so a leaf can never sit at a parent position), plus the tree hash of every
/// node (RFC 9420 section 7.8).
///
/// Cache rule: a node's hash depends only on its subtree. Every write marks the node and all its
/// ancestors stale (the invariant "a stale node has only stale ancestors" lets marking stop at
/// the first stale ancestor); [`TreeStorage::refresh_hashes`] recomputes exactly the stale nodes,
/// descending from the root only into stale children. A commit touches one direct path, so it
/// rehashes O(log N) nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeStorage {
    leaves: Vec<Option<LeafNode>>,
    /// `parents[i]` is node `2i + 1`.
    parents: Vec<Option<ParentNode>>,
    /// Tree hash per node index; `None` = stale.
    hashes: Vec<Option<HashValue>>,
}

impl TreeStorage {
    /// A tree of `n_leaves` blank leaves (`n_leaves` a power of two, at least 1).
    pub fn blank(n_leaves: u32) -> Result<Self, TreeError> {
        if n_leaves == 0 || !n_leaves.is_power_of_two() || n_leaves > MAX_LEAVES {
            return Err(TreeError::TooManyLeaves { max: MAX_LEAVES });
        }
        let n = n_leaves as usize;
        let mut leaves = Vec::new();
        leaves.resize_with(n, || None);
        let mut parents = Vec::new();
        parents.resize_with(n - 1, || None);
        Ok(Self {
            leaves,
            parents,
            hashes: alloc::vec![None; 2 * n - 1],
        })
    }

    /// Number of leaves (a power of two).
    pub fn n_leaves(&self) -> u32 {
        self.leaves.len() as u32
    }

    /// Number of nodes (`2 * n_leaves - 1`).
    pub fn width(&self) -> u32 {
        math::node_width(self.n_leaves())
    }

    /// The leaf at `i`, `None` if blank or outside the tree.
    pub fn leaf(&self, i: LeafIndex) -> Option<&LeafNode> {
        self.leaves.get(i.0 as usize).and_then(Option::as_ref)
    }

    /// The parent node at `x`, `None` if blank, a leaf position, or outside the tree.
    pub fn parent(&self, x: NodeIndex) -> Option<&ParentNode> {
        if x.is_leaf() {
            return None;
        }
        self.parents.get(x.as_usize() / 2).and_then(Option::as_ref)
    }

    /// The node at `x`, `None` if blank or outside the tree.
    pub fn node(&self, x: NodeIndex) -> Option<NodeRef<'_>> {
        match x.leaf() {
            Some(l) => self.leaf(l).map(NodeRef::Leaf),
            None => self.parent(x).map(NodeRef::Parent),
        }
    }

    /// Replaces the leaf at `i` (`None` blanks it).
    pub fn set_leaf(&mut self, i: LeafIndex, leaf: Option<LeafNode>) -> Result<(), TreeError> {
        let slot = self
            .leaves
            .get_mut(i.0 as usize)
            .ok_or(TreeError::LeafOutOfRange { leaf: i })?;
        *slot = leaf;
        self.invalidate(i.node());
        Ok(())
    }

    /// Replaces the parent node at `x` (`None` blanks it). Ignores positions outside the tree.
    pub fn set_parent(&mut self, x: NodeIndex, node: Option<ParentNode>) {
        if x.is_leaf() {
            return;
        }
        if let Some(slot) = self.parents.get_mut(x.as_usize() / 2) {
            *slot = node;
            self.invalidate(x);
        }
    }

    /// Mutable access to a non-blank parent node; marks its hash stale.
    pub fn parent_mut(&mut self, x: NodeIndex) -> Option<&mut ParentNode> {
        if x.is_leaf() {
            return None;
        }
        let present = self
            .parents
            .get(x.as_usize() / 2)
            .is_some_and(Option::is_some);
        if !present {
            return None;
        }
        self.invalidate(x);
        self.parents
            .get_mut(x.as_usize() / 2)
            .and_then(Option::as_mut)
    }

    /// Doubles the tree: the old tree becomes the left subtree of a new blank root whose right
    /// subtree is blank (RFC 9420 section 7.7).
    pub fn extend(&mut self) -> Result<(), TreeError> {
        let n = self.leaves.len();
        if n as u64 * 2 > u64::from(MAX_LEAVES) {
            return Err(TreeError::TooManyLeaves { max: MAX_LEAVES });
        }
        self.leaves.resize_with(2 * n, || None);
        self.parents.resize_with(2 * n - 1, || None);
        self.hashes.resize(4 * n - 1, None);
        // The new root covers the old tree; the right half is all new and stale already.
        Ok(())
    }

    /// Halves the tree: drops the root and the right subtree (RFC 9420 section 7.7). A
    /// one-leaf tree stays as it is.
    pub fn truncate_half(&mut self) {
        let n = self.leaves.len();
        if n <= 1 {
            return;
        }
        let half = n / 2;
        self.leaves.truncate(half);
        self.parents.truncate(half - 1);
        self.hashes.truncate(2 * half - 1);
    }

    /// Marks `x` and its ancestors stale.
    fn invalidate(&mut self, x: NodeIndex) {
        let n = self.n_leaves();
        let mut cur = Some(x);
        while let Some(c) = cur {
            match self.hashes.get_mut(c.as_usize()) {
                Some(h @ Some(_)) => *h = None,
                Some(None) if c != x => break,
                Some(None) => {}
                None => break,
            }
            cur = math::parent(c, n);
        }
    }

    /// The cached tree hash of `x` if it is fresh.
    pub fn cached_hash(&self, x: NodeIndex) -> Option<&HashValue> {
        self.hashes.get(x.as_usize()).and_then(Option::as_ref)
    }

    /// The tree hash of `x` (RFC 9420 section 7.8): from the cache, or computed over the stale
    /// part of the subtree without caching.
    pub fn hash(&self, x: NodeIndex) -> Result<HashValue, TreeError> {
        if let Some(h) = self.cached_hash(x) {
            return Ok(*h);
        }
        if x.as_usize() >= self.hashes.len() {
            return Err(TreeError::NodeNotOnPath { node: x });
        }
        match x.leaf() {
            Some(l) => leaf_hash(l, self.leaf(l)),
            None => {
                let (left, right) = children(x)?;
                let (lh, rh) = (self.hash(left)?, self.hash(right)?);
                parent_hash_input(self.parent(x), None, &lh, &rh)
            }
        }
    }

    /// Recomputes every stale tree hash (only the stale nodes are visited).
    pub fn refresh_hashes(&mut self) -> Result<(), TreeError> {
        let root = math::root(self.n_leaves());
        self.refresh(root).map(|_| ())
    }

    fn refresh(&mut self, x: NodeIndex) -> Result<HashValue, TreeError> {
        if let Some(h) = self.cached_hash(x) {
            return Ok(*h);
        }
        let h = match x.leaf() {
            Some(l) => leaf_hash(l, self.leaf(l))?,
            None => {
                let (left, right) = children(x)?;
                let lh = self.refresh(left)?;
                let rh = self.refresh(right)?;
                parent_hash_input(self.parent(x), None, &lh, &rh)?
            }
        };
        if let Some(slot) = self.hashes.get_mut(x.as_usize()) {
            *slot = Some(h);
        }
        Ok(h)
    }

    /// The tree hash of `x` in the tree where the leaves `excluded` (sorted leaf indices) are
    /// blank and removed from every `unmerged_leaves` list: the `original_sibling_tree_hash` of
    /// RFC 9420 section 7.9. Subtrees without an excluded leaf come from the cache.
    pub fn hash_excluding(&self, x: NodeIndex, excluded: &[u32]) -> Result<HashValue, TreeError> {
        let (lo, hi) = leaf_span(x);
        let start = excluded.partition_point(|&l| l < lo);
        let inside = excluded
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&l| l < hi)
            .count();
        if inside == 0 {
            return self.hash(x);
        }
        match x.leaf() {
            Some(l) => leaf_hash(l, None),
            None => {
                let (left, right) = children(x)?;
                let lh = self.hash_excluding(left, excluded)?;
                let rh = self.hash_excluding(right, excluded)?;
                parent_hash_input(self.parent(x), Some(excluded), &lh, &rh)
            }
        }
    }
}

/// The children of a parent node.
pub(crate) fn children(x: NodeIndex) -> Result<(NodeIndex, NodeIndex), TreeError> {
    match (math::left(x), math::right(x)) {
        (Some(l), Some(r)) => Ok((l, r)),
        _ => Err(TreeError::NodeNotOnPath { node: x }),
    }
}

/// The leaves under `x` as the half-open range `lo..hi` of leaf indices.
pub(crate) fn leaf_span(x: NodeIndex) -> (u32, u32) {
    let k = math::level(x);
    let lo_node = u64::from(x.0) - ((1u64 << k) - 1);
    let lo = (lo_node / 2) as u32;
    let hi = (u64::from(lo) + (1u64 << k)).min(u64::from(u32::MAX)) as u32;
    (lo, hi)
}

/// `Hash(TreeHashInput{ leaf, LeafNodeHashInput{ leaf_index, optional<LeafNode> } })`.
fn leaf_hash(i: LeafIndex, leaf: Option<&LeafNode>) -> Result<HashValue, TreeError> {
    let mut h = Hasher::new();
    1u8.encode(&mut h)?;
    i.0.encode(&mut h)?;
    match leaf {
        None => 0u8.encode(&mut h)?,
        Some(l) => {
            1u8.encode(&mut h)?;
            l.encode(&mut h)?;
        }
    }
    Ok(h.finish())
}

/// `Hash(TreeHashInput{ parent, ParentNodeHashInput{ optional<ParentNode>, left_hash,
/// right_hash } })`, with the leaves in `excluded` removed from `unmerged_leaves`.
fn parent_hash_input(
    node: Option<&ParentNode>,
    excluded: Option<&[u32]>,
    left: &HashValue,
    right: &HashValue,
) -> Result<HashValue, TreeError> {
    let mut h = Hasher::new();
    2u8.encode(&mut h)?;
    match node {
        None => 0u8.encode(&mut h)?,
        Some(p) => {
            1u8.encode(&mut h)?;
            match excluded {
                None => p.encode(&mut h)?,
                Some(ex) => {
                    p.encryption_key.encode(&mut h)?;
                    p.parent_hash.encode(&mut h)?;
                    let kept: Vec<u32> = p
                        .unmerged_leaves
                        .iter()
                        .copied()
                        .filter(|l| ex.binary_search(l).is_err())
                        .collect();
                    kept.encode(&mut h)?;
                }
            }
        }
    }
    encode_opaque(&mut h, left)?;
    encode_opaque(&mut h, right)?;
    Ok(h.finish())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn stale(t: &TreeStorage) -> usize {
        (0..t.width())
            .filter(|&x| t.cached_hash(NodeIndex(x)).is_none())
            .count()
    }

    /// A change to one leaf of a 1024-leaf tree makes exactly its direct path stale (11 nodes:
    /// the leaf and 10 ancestors), so a refresh hashes O(log N) nodes.
    #[test]
    fn a_write_invalidates_one_path() {
        let mut t = TreeStorage::blank(1024).unwrap();
        assert_eq!(stale(&t), 2047);
        t.refresh_hashes().unwrap();
        assert_eq!(stale(&t), 0);
        t.set_leaf(LeafIndex(700), None).unwrap();
        assert_eq!(stale(&t), 11);
        t.set_parent(NodeIndex(1401), None); // parent of leaf 700: already stale
        t.set_parent(NodeIndex(1), None);
        assert_eq!(
            stale(&t),
            11 + 1 + 8,
            "node 1's path joins leaf 700's at the root"
        );
        t.refresh_hashes().unwrap();
        assert_eq!(stale(&t), 0);
        // Extending makes the new root and the new right half stale, nothing on the left.
        t.extend().unwrap();
        assert_eq!(stale(&t), 2048);
        assert!(t.cached_hash(NodeIndex(1023)).is_some());
    }

    #[test]
    fn leaf_span_matches_tree_math() {
        assert_eq!(leaf_span(NodeIndex(0)), (0, 1));
        assert_eq!(leaf_span(NodeIndex(6)), (3, 4));
        assert_eq!(leaf_span(NodeIndex(3)), (0, 4));
        assert_eq!(leaf_span(NodeIndex(11)), (4, 8));
        assert_eq!(leaf_span(NodeIndex(7)), (0, 8));
        assert_eq!(leaf_span(NodeIndex(9)), (4, 6));
    }
}
