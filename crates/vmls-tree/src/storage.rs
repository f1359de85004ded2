//! Node storage of the public ratchet tree, with the per-node tree-hash cache.
//!
//! This is the seam DESIGN.md asks for: [`crate::RatchetTree`] (resolutions, parent hashes,
//! validation, TreeKEM) reads and writes nodes only through the small API below. A partial-tree
//! client (draft-ietf-mls-partial: the direct path, the copath resolutions and the copath tree
//! hashes) adds a second storage with the same API instead of a second TreeKEM.
use alloc::collections::BTreeSet;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vmls_codec::{Encode, encode_opaque};
use vmls_crypto::{HashValue, Hasher};

use crate::error::TreeError;
use crate::math::{self, LeafIndex, NodeIndex};
use crate::node::{Capabilities, LeafNode, ParentNode};

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

/// Positions per shared chunk (see [`TreeStorage`]): small enough that a write copies little,
/// large enough that the chunk pointers cost little (about 4 bytes per position, counting the
/// `Arc` header).
const CHUNK: usize = 8;

/// A vector of `len` values stored in shared, copy-on-write chunks of [`CHUNK`] values. A chunk
/// that holds only default values may be absent (`None`). Copying the vector copies the chunk
/// pointers; writing a value copies its chunk first if another vector shares it.
#[derive(Clone, Debug)]
struct Chunked<T> {
    len: usize,
    chunks: Vec<Option<Arc<[T]>>>,
}

impl<T: Clone + Default + PartialEq> Chunked<T> {
    /// `len` default values (no chunk allocated).
    fn new(len: usize) -> Self {
        let mut chunks = Vec::new();
        chunks.resize_with(len.div_ceil(CHUNK), || None);
        Self { len, chunks }
    }

    /// Length of chunk `c`.
    fn chunk_len(&self, c: usize) -> usize {
        self.len.saturating_sub(c * CHUNK).min(CHUNK)
    }

    /// The value at `i` if its chunk is present (`None` for a default value in an absent chunk,
    /// or outside the vector).
    fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        self.chunks.get(i / CHUNK)?.as_deref()?.get(i % CHUNK)
    }

    /// The value at `i` for writing: creates its chunk if absent, copies it if shared.
    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let size = self.chunk_len(i / CHUNK);
        let chunk = self.chunks.get_mut(i / CHUNK)?;
        let chunk = chunk.get_or_insert_with(|| (0..size).map(|_| T::default()).collect());
        Arc::make_mut(chunk).get_mut(i % CHUNK)
    }

    /// Drops the chunk of `i` if it holds only default values.
    fn release_if_default(&mut self, i: usize) {
        if let Some(slot) = self.chunks.get_mut(i / CHUNK)
            && slot
                .as_deref()
                .is_some_and(|c| c.iter().all(|v| *v == T::default()))
        {
            *slot = None;
        }
    }

    /// Grows (with default values) or shrinks to `len`.
    fn resize(&mut self, len: usize) {
        let keep = len.min(self.len);
        // A present last chunk that changes length is rebuilt at its new length.
        let last = keep.div_ceil(CHUNK);
        if let Some(c) = last.checked_sub(1)
            && let Some(Some(chunk)) = self.chunks.get_mut(c)
        {
            let new_len = len.saturating_sub(c * CHUNK).min(CHUNK);
            if chunk.len() != new_len {
                let rebuilt: Arc<[T]> = chunk
                    .iter()
                    .take(new_len)
                    .cloned()
                    .chain(core::iter::repeat_with(T::default))
                    .take(new_len)
                    .collect();
                *chunk = rebuilt;
            }
        }
        self.chunks.resize_with(len.div_ceil(CHUNK), || None);
        self.len = len;
    }
}

/// Element-wise: an absent chunk equals a chunk of default values.
impl<T: Clone + Default + PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        let default = T::default();
        self.len == other.len
            && (0..self.len)
                .all(|i| self.get(i).unwrap_or(&default) == other.get(i).unwrap_or(&default))
    }
}

impl<T: Clone + Default + Eq> Eq for Chunked<T> {}

/// One shared copy of each distinct `Capabilities` value of the stored leaves: a stored leaf's
/// capabilities point to the copy here, so identical capabilities (nearly always the case) cost
/// one pointer per leaf. Lookups are O(log k) for k distinct values. Values no leaf uses any
/// more are dropped when the set has doubled since the last clean-up, so adversarial churn
/// cannot grow it beyond twice the values in use.
#[derive(Clone, Debug, Default)]
struct CapabilitiesInterner {
    set: BTreeSet<Arc<Capabilities>>,
    /// Size at which the next clean-up runs.
    limit: usize,
}

impl CapabilitiesInterner {
    /// Makes `caps` point to the shared copy of its value (adding it if new).
    fn intern(&mut self, caps: &mut Arc<Capabilities>) {
        if let Some(shared) = self.set.get(&**caps) {
            if !Arc::ptr_eq(shared, caps) {
                *caps = Arc::clone(shared);
            }
            return;
        }
        self.set.insert(Arc::clone(caps));
        if self.set.len() > self.limit {
            // Only the set holds it: no leaf of this tree (or of a copy) uses it.
            self.set.retain(|c| Arc::strong_count(c) > 1);
            self.limit = (2 * self.set.len()).max(8);
        }
    }
}

/// The interner is a cache: it takes no part in comparing trees.
impl PartialEq for CapabilitiesInterner {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for CapabilitiesInterner {}

/// A parent position: the node (`None` = blank) and its cached tree hash (`None` = stale).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ParentSlot {
    node: Option<ParentNode>,
    hash: Option<HashValue>,
}

/// The nodes of a full tree of `2^d` leaves, typed (leaves and parents in separate arrays, so a
/// leaf can never sit at a parent position), plus the tree hash of every parent node (RFC 9420
/// section 7.8).
///
/// Layout: copy-on-write, so that a copy of the tree costs O(N) pointers, not O(N) nodes. Leaf
/// positions and parent positions (node and cached hash) are each grouped in shared chunks of 8;
/// a write copies only the chunk it touches, and a chunk of blank leaves is not stored. A Commit
/// touches one leaf and one direct path, so staging it on a copy of the tree copies O(log N)
/// chunks, and the old and new epochs share everything else.
///
/// Leaf hashes are not cached (one hash of one LeafNode recomputes one), which halves the cache.
///
/// Cache rule: a node's hash depends only on its subtree. Every write marks the parent
/// positions above it stale (the invariant "a stale node has only stale ancestors" lets marking
/// stop at the first stale ancestor); [`TreeStorage::refresh_hashes`] recomputes exactly the stale
/// nodes, descending from the root only into stale children. A commit touches one direct path,
/// so it rehashes O(log N) nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeStorage {
    /// `n_leaves` leaf positions.
    leaves: Chunked<Option<LeafNode>>,
    /// Parent `i` is node `2i + 1`; `n_leaves - 1` positions.
    parents: Chunked<ParentSlot>,
    /// The shared capabilities of the stored leaves.
    capabilities: CapabilitiesInterner,
}

/// The leaves of a tree at one moment, sharing their storage with the tree (about two bytes per
/// leaf): what a member keeps of a past epoch to verify late messages (RFC 9420 section 14.4)
/// without copying keys. Later changes to the tree do not show in the snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafSnapshot {
    leaves: Chunked<Option<LeafNode>>,
}

impl LeafSnapshot {
    /// The leaf at `i` when the snapshot was taken, `None` if blank or outside the tree.
    pub fn leaf(&self, i: LeafIndex) -> Option<&LeafNode> {
        self.leaves.get(i.0 as usize).and_then(Option::as_ref)
    }

    /// The non-blank leaves with their indices.
    pub fn members(&self) -> impl Iterator<Item = (LeafIndex, &LeafNode)> {
        (0..self.leaves.len).filter_map(|i| {
            self.leaves
                .get(i)
                .and_then(Option::as_ref)
                .map(|l| (LeafIndex(i as u32), l))
        })
    }
}

impl TreeStorage {
    /// A tree of `n_leaves` blank leaves (`n_leaves` a power of two, at least 1).
    pub fn blank(n_leaves: u32) -> Result<Self, TreeError> {
        if n_leaves == 0 || !n_leaves.is_power_of_two() || n_leaves > MAX_LEAVES {
            return Err(TreeError::TooManyLeaves { max: MAX_LEAVES });
        }
        let n = n_leaves as usize;
        Ok(Self {
            leaves: Chunked::new(n),
            parents: Chunked::new(n - 1),
            capabilities: CapabilitiesInterner::default(),
        })
    }

    /// Number of leaves (a power of two).
    pub fn n_leaves(&self) -> u32 {
        self.leaves.len as u32
    }

    /// Number of nodes (`2 * n_leaves - 1`).
    pub fn width(&self) -> u32 {
        math::node_width(self.n_leaves())
    }

    /// Whether `x` is a parent position of the tree.
    fn is_parent_position(&self, x: NodeIndex) -> bool {
        !x.is_leaf() && x.as_usize() / 2 < self.parents.len
    }

    /// The slot of parent node `x` (`None` at a leaf position, outside the tree, or for a blank
    /// stale position whose chunk is not stored).
    fn slot(&self, x: NodeIndex) -> Option<&ParentSlot> {
        if x.is_leaf() {
            return None;
        }
        self.parents.get(x.as_usize() / 2)
    }

    /// The slot of parent node `x` for writing: copies its chunk if another tree shares it.
    fn slot_mut(&mut self, x: NodeIndex) -> Option<&mut ParentSlot> {
        if x.is_leaf() {
            return None;
        }
        self.parents.get_mut(x.as_usize() / 2)
    }

    /// The leaf at `i`, `None` if blank or outside the tree.
    pub fn leaf(&self, i: LeafIndex) -> Option<&LeafNode> {
        self.leaves.get(i.0 as usize).and_then(Option::as_ref)
    }

    /// The current leaves, shared (see [`LeafSnapshot`]).
    pub fn leaf_snapshot(&self) -> LeafSnapshot {
        LeafSnapshot {
            leaves: self.leaves.clone(),
        }
    }

    /// The parent node at `x`, `None` if blank, a leaf position, or outside the tree.
    pub fn parent(&self, x: NodeIndex) -> Option<&ParentNode> {
        self.slot(x).and_then(|s| s.node.as_ref())
    }

    /// The node at `x`, `None` if blank or outside the tree.
    pub fn node(&self, x: NodeIndex) -> Option<NodeRef<'_>> {
        match x.leaf() {
            Some(l) => self.leaf(l).map(NodeRef::Leaf),
            None => self.parent(x).map(NodeRef::Parent),
        }
    }

    /// Replaces the leaf at `i` (`None` blanks it).
    pub fn set_leaf(&mut self, i: LeafIndex, mut leaf: Option<LeafNode>) -> Result<(), TreeError> {
        let at = i.0 as usize;
        if at >= self.leaves.len {
            return Err(TreeError::LeafOutOfRange { leaf: i });
        }
        if let Some(l) = leaf.as_mut() {
            self.capabilities.intern(&mut l.content.capabilities);
        }
        let blanking = leaf.is_none();
        if !(blanking && self.leaf(i).is_none()) {
            let slot = self
                .leaves
                .get_mut(at)
                .ok_or(TreeError::LeafOutOfRange { leaf: i })?;
            *slot = leaf;
            if blanking {
                self.leaves.release_if_default(at);
            }
        }
        self.invalidate(i.node());
        Ok(())
    }

    /// Replaces the parent node at `x` (`None` blanks it). Ignores positions outside the tree.
    pub fn set_parent(&mut self, x: NodeIndex, node: Option<ParentNode>) {
        // Blanking a blank node changes nothing: do not copy a shared chunk for it.
        if node.is_none() && self.parent(x).is_none() {
            return;
        }
        if let Some(slot) = self.slot_mut(x) {
            slot.node = node;
            self.invalidate(x);
        }
    }

    /// Mutable access to a non-blank parent node; marks its hash stale.
    pub fn parent_mut(&mut self, x: NodeIndex) -> Option<&mut ParentNode> {
        self.parent(x)?;
        self.invalidate(x);
        self.slot_mut(x).and_then(|s| s.node.as_mut())
    }

    /// Doubles the tree: the old tree becomes the left subtree of a new blank root whose right
    /// subtree is blank (RFC 9420 section 7.7).
    pub fn extend(&mut self) -> Result<(), TreeError> {
        let n = self.leaves.len;
        if n as u64 * 2 > u64::from(MAX_LEAVES) {
            return Err(TreeError::TooManyLeaves { max: MAX_LEAVES });
        }
        // The old nodes keep their positions; the new root and the right half are blank and
        // stale.
        self.leaves.resize(2 * n);
        self.parents.resize(2 * n - 1);
        Ok(())
    }

    /// Halves the tree: drops the root and the right subtree (RFC 9420 section 7.7). A
    /// one-leaf tree stays as it is.
    pub fn truncate_half(&mut self) {
        let n = self.leaves.len;
        if n <= 1 {
            return;
        }
        let half = n / 2;
        self.leaves.resize(half);
        self.parents.resize(half - 1);
    }

    /// Marks the parent positions above `x` (and `x` itself if it is a parent) stale.
    fn invalidate(&mut self, x: NodeIndex) {
        let n = self.n_leaves();
        let mut cur = if x.is_leaf() {
            math::parent(x, n)
        } else {
            Some(x)
        };
        let mut first = true;
        while let Some(c) = cur {
            if !self.is_parent_position(c) {
                break;
            }
            // An absent chunk holds blank, stale positions.
            if self.cached_hash(c).is_some() {
                if let Some(s) = self.slot_mut(c) {
                    s.hash = None;
                }
            } else if !first {
                break;
            }
            first = false;
            cur = math::parent(c, n);
        }
    }

    /// The cached tree hash of `x` if it is a parent position with a fresh hash (leaf hashes
    /// are not cached).
    pub fn cached_hash(&self, x: NodeIndex) -> Option<&HashValue> {
        self.slot(x).and_then(|s| s.hash.as_ref())
    }

    /// The tree hash of `x` (RFC 9420 section 7.8): from the cache, or computed over the stale
    /// part of the subtree without caching.
    pub fn hash(&self, x: NodeIndex) -> Result<HashValue, TreeError> {
        if let Some(h) = self.cached_hash(x) {
            return Ok(*h);
        }
        if x.0 >= self.width() {
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
            Some(l) => return leaf_hash(l, self.leaf(l)),
            None => {
                let (left, right) = children(x)?;
                let lh = self.refresh(left)?;
                let rh = self.refresh(right)?;
                parent_hash_input(self.parent(x), None, &lh, &rh)?
            }
        };
        if let Some(slot) = self.slot_mut(x) {
            slot.hash = Some(h);
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

    /// Parent positions whose hash is stale (leaf hashes are never cached).
    fn stale(t: &TreeStorage) -> usize {
        (1..t.width())
            .step_by(2)
            .filter(|&x| t.cached_hash(NodeIndex(x)).is_none())
            .count()
    }

    fn parent_node(k: u8) -> ParentNode {
        ParentNode {
            encryption_key: [k; 32].into(),
            parent_hash: alloc::vec![k; 32].into(),
            unmerged_leaves: Vec::new(),
        }
    }

    /// A change to one leaf of a 1024-leaf tree makes exactly its direct path stale (its 10
    /// ancestors), so a refresh hashes O(log N) nodes.
    #[test]
    fn a_write_invalidates_one_path() {
        let mut t = TreeStorage::blank(1024).unwrap();
        assert_eq!(stale(&t), 1023);
        t.refresh_hashes().unwrap();
        assert_eq!(stale(&t), 0);
        t.set_leaf(LeafIndex(700), None).unwrap();
        assert_eq!(stale(&t), 10);
        t.set_parent(NodeIndex(1401), Some(parent_node(1))); // parent of leaf 700: already stale
        assert_eq!(stale(&t), 10);
        t.set_parent(NodeIndex(1), Some(parent_node(2)));
        assert_eq!(
            stale(&t),
            10 + 9,
            "node 1's path (1, 3, ..., 511) joins leaf 700's at the root"
        );
        t.set_parent(NodeIndex(5), None); // blank already: nothing changes
        assert_eq!(stale(&t), 19);
        t.refresh_hashes().unwrap();
        assert_eq!(stale(&t), 0);
        // Extending makes the new root and the new right half stale, nothing on the left.
        t.extend().unwrap();
        assert_eq!(stale(&t), 1024);
        assert!(t.cached_hash(NodeIndex(1023)).is_some());
    }

    /// The hash of every node, computed from scratch (no cache).
    fn fresh_hashes(t: &TreeStorage) -> Vec<HashValue> {
        let mut copy = TreeStorage::blank(t.n_leaves()).unwrap();
        for x in 0..t.width() {
            let x = NodeIndex(x);
            match x.leaf() {
                Some(l) => copy.set_leaf(l, t.leaf(l).cloned()).unwrap(),
                None => copy.set_parent(x, t.parent(x).cloned()),
            }
        }
        (0..t.width())
            .map(|x| copy.hash(NodeIndex(x)).unwrap())
            .collect()
    }

    /// A copy shares its nodes with the original, and a write to one is invisible in the other;
    /// both keep correct hashes.
    #[test]
    fn copies_are_independent() {
        let mut a = TreeStorage::blank(64).unwrap();
        for (k, x) in [1u32, 5, 9, 31, 63, 95, 125].iter().enumerate() {
            a.set_parent(NodeIndex(*x), Some(parent_node(k as u8 + 1)));
        }
        a.refresh_hashes().unwrap();
        let before = a.clone();
        let mut b = a.clone();
        b.set_parent(NodeIndex(9), None);
        b.set_parent(NodeIndex(121), Some(parent_node(40)));
        b.parent_mut(NodeIndex(31)).unwrap().unmerged_leaves.push(9);
        b.refresh_hashes().unwrap();
        assert_eq!(a, before, "the original is unchanged");
        assert!(a.parent(NodeIndex(9)).is_some());
        assert!(b.parent(NodeIndex(9)).is_none());
        assert_eq!(b.parent(NodeIndex(31)).unwrap().unmerged_leaves, [9]);
        assert!(a.parent(NodeIndex(31)).unwrap().unmerged_leaves.is_empty());
        for t in [&a, &b] {
            let fresh = fresh_hashes(t);
            for x in 0..t.width() {
                assert_eq!(t.hash(NodeIndex(x)).unwrap(), fresh[x as usize], "node {x}");
            }
        }
        assert_ne!(
            a.hash(NodeIndex(63)).unwrap(),
            b.hash(NodeIndex(63)).unwrap()
        );
    }

    /// Extending and truncating keep the left subtree's nodes and hashes, with chunks cut and
    /// grown at sizes that are not multiples of the chunk size.
    #[test]
    fn extend_and_truncate_keep_the_left_subtree() {
        for n in [1u32, 2, 4, 8, 16, 32, 64] {
            let mut t = TreeStorage::blank(n).unwrap();
            for x in (1..t.width()).step_by(4) {
                t.set_parent(NodeIndex(x), Some(parent_node(x as u8)));
            }
            t.refresh_hashes().unwrap();
            let root = math::root(n);
            let h = t.hash(root).unwrap();
            t.extend().unwrap();
            assert_eq!(t.n_leaves(), 2 * n);
            assert_eq!(t.hash(root).unwrap(), h);
            t.set_parent(NodeIndex(t.width() - 2), Some(parent_node(7)));
            t.refresh_hashes().unwrap();
            t.truncate_half();
            assert_eq!(t.n_leaves(), n);
            assert_eq!(t.hash(root).unwrap(), h);
            assert_eq!(t.hash(root).unwrap(), fresh_hashes(&t)[root.as_usize()]);
            for x in (1..t.width()).step_by(2) {
                let want = (x % 4 == 1).then(|| parent_node(x as u8));
                assert_eq!(t.parent(NodeIndex(x)).cloned(), want, "n {n} node {x}");
            }
        }
    }

    fn leaf_with(caps: Capabilities, k: u8) -> LeafNode {
        use crate::node::{Credential, LeafNodeContent, LeafNodeSource};
        LeafNode {
            content: LeafNodeContent {
                encryption_key: [k; 32].into(),
                signature_key: [k; 32].into(),
                credential: Credential::Basic(alloc::vec![k].into()),
                capabilities: Arc::new(caps),
                leaf_node_source: LeafNodeSource::Update,
                extensions: Vec::new(),
            },
            signature: [k; 64].into(),
        }
    }

    fn caps(suites: &[u16]) -> Capabilities {
        Capabilities {
            versions: alloc::vec![1],
            cipher_suites: suites.to_vec(),
            ..Capabilities::default()
        }
    }

    /// Leaves stored with equal capabilities (separate allocations) end up pointing at one
    /// shared copy; a different value keeps its own; the values read back are unchanged.
    #[test]
    fn equal_capabilities_are_stored_once() {
        let mut t = TreeStorage::blank(16).unwrap();
        for i in 0..16u8 {
            let c = if i == 5 { caps(&[1, 3]) } else { caps(&[3]) };
            t.set_leaf(LeafIndex(u32::from(i)), Some(leaf_with(c, i)))
                .unwrap();
        }
        let first = &t.leaf(LeafIndex(0)).unwrap().content.capabilities;
        for i in 1..16 {
            let c = &t.leaf(LeafIndex(i)).unwrap().content.capabilities;
            assert_eq!(Arc::ptr_eq(first, c), i != 5, "leaf {i}");
        }
        assert_eq!(
            *t.leaf(LeafIndex(5)).unwrap().content.capabilities,
            caps(&[1, 3])
        );
        assert_eq!(**first, caps(&[3]));
        // 15 leaves plus the interner hold the shared copy.
        assert_eq!(Arc::strong_count(first), 16);
    }

    /// Replacing leaves with ever new capabilities does not grow the shared set without bound:
    /// values no leaf holds any more are dropped.
    #[test]
    fn unused_capabilities_are_dropped() {
        let mut t = TreeStorage::blank(2).unwrap();
        for k in 0..1000u16 {
            t.set_leaf(LeafIndex(0), Some(leaf_with(caps(&[k]), 0)))
                .unwrap();
            assert!(
                t.capabilities.set.len() <= 16,
                "after {k}: {}",
                t.capabilities.set.len()
            );
        }
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
