//! The public ratchet tree (RFC 9420 sections 4, 7.7, 7.8, 12.1.1-12.1.3, 12.4.3.3).
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer, varint_len};
use vmls_crypto::HashValue;

use crate::error::TreeError;
use crate::leaf::{LeafNodeSourceType, LeafValidationParams};
use crate::math::{self, LeafIndex, MAX_DEPTH, NodeIndex};
use crate::node::{LeafNode, Node, ParentNode};
use crate::storage::{MAX_LEAVES, NodeRef, TreeStorage, children};

/// One node of a filtered direct path (RFC 9420 section 4.1.2) with its child on the copath.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilteredPathNode {
    /// The direct-path node.
    pub node: NodeIndex,
    /// Its child that is not on the direct path (the one the path secret is encrypted to).
    pub copath_child: NodeIndex,
}

/// A filtered direct path, leaf to root, bounded by the tree depth (no heap).
pub type FilteredPath = heapless::Vec<FilteredPathNode, MAX_DEPTH>;

/// The public ratchet tree of a group: the nodes (through [`TreeStorage`]) and their cached tree
/// hashes. Every mutating method leaves all tree hashes fresh when it returns `Ok`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatchetTree {
    pub(crate) storage: TreeStorage,
}

impl RatchetTree {
    /// A one-member tree (group creation, RFC 9420 section 11).
    pub fn new(creator: LeafNode) -> Result<Self, TreeError> {
        let mut storage = TreeStorage::blank(1)?;
        storage.set_leaf(LeafIndex(0), Some(creator))?;
        storage.refresh_hashes()?;
        Ok(Self { storage })
    }

    /// Builds a tree from the entries of a `ratchet_tree` extension (RFC 9420 section
    /// 12.4.3.3): the last entry must be non-blank, leaves sit at even positions and parents at
    /// odd ones, and the array is padded with blanks to the next full tree. At most
    /// `max_leaves` leaves (after padding).
    pub fn from_nodes(nodes: Vec<Option<Node>>, max_leaves: u32) -> Result<Self, TreeError> {
        let n = nodes.len();
        match nodes.last() {
            None => return Err(TreeError::EmptyTree),
            Some(None) => return Err(TreeError::TrailingBlankNode),
            Some(Some(_)) => {}
        }
        // Leaves needed to hold every node up to index n - 1 (an even n, ending in a parent, is
        // extended to the right as RFC 9420 12.4.3.3 says), rounded up to a full tree.
        let needed_leaves = (n / 2 + 1) as u64;
        let n_leaves = needed_leaves.next_power_of_two();
        let max = max_leaves.min(MAX_LEAVES);
        if n_leaves > u64::from(max) {
            return Err(TreeError::TooManyLeaves { max });
        }
        let mut storage = TreeStorage::blank(n_leaves as u32)?;
        for (i, node) in nodes.into_iter().enumerate() {
            let x = NodeIndex(i as u32);
            match (node, x.leaf()) {
                (None, _) => {}
                (Some(Node::Leaf(l)), Some(li)) => storage.set_leaf(li, Some(l))?,
                (Some(Node::Parent(p)), None) => storage.set_parent(x, Some(p)),
                (Some(_), _) => return Err(TreeError::NodeTypeMismatch { node: x }),
            }
        }
        storage.refresh_hashes()?;
        Ok(Self { storage })
    }

    /// Decodes `optional<Node> ratchet_tree<V>` (RFC 9420 section 12.4.3.3) from `r` with at
    /// most `max_leaves` leaves. Allocation is bounded by the input: every entry takes at least
    /// one byte, and padding at most doubles the node count.
    pub fn decode_with_limit(r: &mut Reader<'_>, max_leaves: u32) -> Result<Self, TreeError> {
        let nodes: Vec<Option<Node>> = Vec::decode(r)?;
        Self::from_nodes(nodes, max_leaves)
    }

    /// Decodes a whole `ratchet_tree` value (no trailing bytes) with at most `max_leaves` leaves.
    pub fn from_bytes(bytes: &[u8], max_leaves: u32) -> Result<Self, TreeError> {
        let mut r = Reader::new(bytes);
        let t = Self::decode_with_limit(&mut r, max_leaves)?;
        r.finish()?;
        Ok(t)
    }

    /// The node storage (read-only).
    pub fn storage(&self) -> &TreeStorage {
        &self.storage
    }

    /// Number of leaves (a power of two).
    pub fn n_leaves(&self) -> u32 {
        self.storage.n_leaves()
    }

    /// The root node index.
    pub fn root(&self) -> NodeIndex {
        math::root(self.n_leaves())
    }

    /// The leaf at `i`, `None` if blank or outside the tree.
    pub fn leaf(&self, i: LeafIndex) -> Option<&LeafNode> {
        self.storage.leaf(i)
    }

    /// The current leaves, sharing their nodes with the tree: one pointer per leaf instead of a
    /// copy (see [`crate::LeafSnapshot`]).
    pub fn leaf_snapshot(&self) -> crate::LeafSnapshot {
        self.storage.leaf_snapshot()
    }

    /// The parent node at `x`, `None` if blank or not a parent position.
    pub fn parent(&self, x: NodeIndex) -> Option<&ParentNode> {
        self.storage.parent(x)
    }

    /// The node at `x`, `None` if blank or outside the tree.
    pub fn node(&self, x: NodeIndex) -> Option<NodeRef<'_>> {
        self.storage.node(x)
    }

    /// The non-blank leaves (the members) with their indices.
    pub fn members(&self) -> impl Iterator<Item = (LeafIndex, &LeafNode)> {
        (0..self.n_leaves()).filter_map(|i| self.leaf(LeafIndex(i)).map(|l| (LeafIndex(i), l)))
    }

    /// The non-blank nodes with their indices.
    pub fn non_blank_nodes(&self) -> impl Iterator<Item = (NodeIndex, NodeRef<'_>)> {
        (0..self.storage.width()).filter_map(|i| self.node(NodeIndex(i)).map(|n| (NodeIndex(i), n)))
    }

    /// The leaf holding exactly `leaf` (how a joiner finds itself, RFC 9420 section 12.4.3.1).
    pub fn find_leaf(&self, leaf: &LeafNode) -> Option<LeafIndex> {
        self.members().find(|(_, l)| *l == leaf).map(|(i, _)| i)
    }

    /// The tree hash of the root (RFC 9420 section 7.8), the GroupContext `tree_hash`.
    pub fn tree_hash(&self) -> Result<HashValue, TreeError> {
        self.storage.hash(self.root())
    }

    /// The tree hash of node `x`.
    pub fn node_hash(&self, x: NodeIndex) -> Result<HashValue, TreeError> {
        self.storage.hash(x)
    }

    /// The resolution of `x` (RFC 9420 section 4.1.1): the node itself and its unmerged leaves
    /// if it is non-blank, nothing for a blank leaf, the children's resolutions for a blank
    /// parent. Empty for a node outside the tree.
    pub fn resolution(&self, x: NodeIndex) -> Vec<NodeIndex> {
        let mut out = Vec::new();
        if x.0 < self.storage.width() {
            self.resolution_into(x, &mut out);
        }
        out
    }

    fn resolution_into(&self, x: NodeIndex, out: &mut Vec<NodeIndex>) {
        match self.node(x) {
            Some(NodeRef::Leaf(_)) => out.push(x),
            Some(NodeRef::Parent(p)) => {
                out.push(x);
                out.extend(p.unmerged_leaves.iter().map(|l| LeafIndex(*l).node()));
            }
            None => {
                if let Ok((l, r)) = children(x) {
                    self.resolution_into(l, out);
                    self.resolution_into(r, out);
                }
            }
        }
    }

    /// Whether the resolution of `x` is empty (no non-blank node in its subtree), without
    /// building it.
    pub fn resolution_is_empty(&self, x: NodeIndex) -> bool {
        if x.0 >= self.storage.width() {
            return true;
        }
        if self.node(x).is_some() {
            return false;
        }
        match children(x) {
            Ok((l, r)) => self.resolution_is_empty(l) && self.resolution_is_empty(r),
            Err(_) => true,
        }
    }

    /// The filtered direct path of leaf `i` (RFC 9420 section 4.1.2): its direct path without
    /// the nodes whose copath child has an empty resolution, leaf to root.
    pub fn filtered_direct_path(&self, i: LeafIndex) -> FilteredPath {
        let n = self.n_leaves();
        let mut out = FilteredPath::new();
        let mut child = i.node();
        for p in math::direct_path(child, n) {
            let copath_child = match (math::left(p), math::right(p)) {
                (Some(l), Some(r)) => {
                    if l == child {
                        r
                    } else {
                        l
                    }
                }
                _ => break,
            };
            if !self.resolution_is_empty(copath_child) {
                // Capacity is the maximum depth: never full.
                let _ = out.push(FilteredPathNode {
                    node: p,
                    copath_child,
                });
            }
            child = p;
        }
        out
    }

    /// Blanks the direct path of leaf `i` (RFC 9420 sections 7.4, 12.1.2, 12.1.3).
    fn blank_direct_path(&mut self, i: LeafIndex) {
        for p in math::direct_path(i.node(), self.n_leaves()) {
            self.storage.set_parent(p, None);
        }
    }

    fn require_member(&self, i: LeafIndex) -> Result<(), TreeError> {
        if i.0 >= self.n_leaves() {
            return Err(TreeError::LeafOutOfRange { leaf: i });
        }
        if self.leaf(i).is_none() {
            return Err(TreeError::BlankLeaf { leaf: i });
        }
        Ok(())
    }

    /// The leftmost blank leaf, extending the tree if it is full (RFC 9420 sections 7.7, 12.1.1;
    /// also where an external joiner is placed, section 12.4.3.2).
    pub fn leftmost_free_leaf(&mut self) -> Result<LeafIndex, TreeError> {
        if let Some(i) = (0..self.n_leaves()).find(|&i| self.leaf(LeafIndex(i)).is_none()) {
            return Ok(LeafIndex(i));
        }
        let i = self.n_leaves();
        self.storage.extend()?;
        self.storage.refresh_hashes()?;
        Ok(LeafIndex(i))
    }

    /// Applies an Add (RFC 9420 section 12.1.1): puts `leaf` at the leftmost blank leaf
    /// (extending the tree if needed) and adds it to `unmerged_leaves` of every non-blank parent
    /// on its direct path. Returns the new member's index. The caller validates the leaf first
    /// ([`RatchetTree::validate_new_leaf`]).
    pub fn add_leaf(&mut self, leaf: LeafNode) -> Result<LeafIndex, TreeError> {
        let i = self.leftmost_free_leaf()?;
        for p in math::direct_path(i.node(), self.n_leaves()) {
            if let Some(node) = self.storage.parent_mut(p)
                && let Err(pos) = node.unmerged_leaves.binary_search(&i.0)
            {
                node.unmerged_leaves.insert(pos, i.0);
            }
        }
        self.storage.set_leaf(i, Some(leaf))?;
        self.storage.refresh_hashes()?;
        Ok(i)
    }

    /// Applies an Update (RFC 9420 section 12.1.2): replaces the member's leaf and blanks its
    /// direct path.
    pub fn update_leaf(&mut self, i: LeafIndex, leaf: LeafNode) -> Result<(), TreeError> {
        self.require_member(i)?;
        self.storage.set_leaf(i, Some(leaf))?;
        self.blank_direct_path(i);
        self.storage.refresh_hashes()
    }

    /// Applies a Remove (RFC 9420 section 12.1.3): blanks the leaf and its direct path, then
    /// truncates the tree.
    pub fn remove_leaf(&mut self, i: LeafIndex) -> Result<(), TreeError> {
        self.require_member(i)?;
        self.storage.set_leaf(i, None)?;
        self.blank_direct_path(i);
        self.truncate();
        self.storage.refresh_hashes()
    }

    /// Removes the right half of the tree while it has no non-blank leaf (RFC 9420 sections 7.7
    /// and 12.1.3).
    fn truncate(&mut self) {
        loop {
            let n = self.n_leaves();
            if n <= 1 || (n / 2..n).any(|i| self.leaf(LeafIndex(i)).is_some()) {
                return;
            }
            self.storage.truncate_half();
        }
    }

    /// Checks a LeafNode that is about to enter the tree (RFC 9420 section 7.3): the checks of
    /// [`LeafNode::validate`], plus the ones against the other members: every member supports
    /// the new leaf's credential type and the new leaf supports every member's; its
    /// `signature_key` is not another member's; its `encryption_key` is in no node of the tree
    /// (which also covers "differs from the leaf it replaces").
    ///
    /// `at` is the leaf being replaced (an Update or a Commit's UpdatePath), `None` for an Add.
    pub fn validate_new_leaf(
        &self,
        leaf: &LeafNode,
        at: Option<LeafIndex>,
        expected_source: Option<LeafNodeSourceType>,
        params: &LeafValidationParams<'_>,
    ) -> Result<(), TreeError> {
        leaf.validate(expected_source, at, params)?;
        let ct = leaf.content.credential.credential_type();
        for (j, m) in self.members() {
            if Some(j) == at {
                continue;
            }
            if !m.content.capabilities.credentials.contains(&ct) {
                return Err(TreeError::UnsupportedCredentialType {
                    leaf: Some(j),
                    credential_type: ct,
                });
            }
            let mct = m.content.credential.credential_type();
            if !leaf.content.capabilities.credentials.contains(&mct) {
                return Err(TreeError::UnsupportedCredentialType {
                    leaf: at,
                    credential_type: mct,
                });
            }
            if m.signature_key() == leaf.signature_key() {
                return Err(TreeError::DuplicateSignatureKey { leaf: j });
            }
        }
        if let Some(x) = self.find_encryption_key(core::slice::from_ref(leaf.encryption_key())) {
            return Err(match at {
                Some(a) if a.node() == x => TreeError::EncryptionKeyNotUpdated { leaf: a },
                _ => TreeError::DuplicateEncryptionKey { node: x },
            });
        }
        Ok(())
    }

    /// The first non-blank node whose `encryption_key` is one of `keys` (at most
    /// [`MAX_DEPTH`] + 1 keys are looked for; more are ignored). One pass over the nodes that
    /// compares 8-byte prefixes against a sorted table and whole keys only on a prefix hit.
    pub fn find_encryption_key(&self, keys: &[[u8; 32]]) -> Option<NodeIndex> {
        let prefix = |k: &[u8; 32]| {
            let mut p = [0u8; 8];
            p.copy_from_slice(k.get(..8).unwrap_or(&[0; 8]));
            u64::from_be_bytes(p)
        };
        let mut table: heapless::Vec<u64, { MAX_DEPTH + 1 }> =
            keys.iter().take(MAX_DEPTH + 1).map(prefix).collect();
        vmls_codec::sort::sort_unstable(&mut table);
        self.non_blank_nodes()
            .find(|(_, n)| {
                let k = n.encryption_key();
                table.binary_search(&prefix(k)).is_ok() && keys.contains(k)
            })
            .map(|(x, _)| x)
    }

    /// Index of the last non-blank node, if any.
    fn last_non_blank(&self) -> Option<u32> {
        (0..self.storage.width())
            .rev()
            .find(|&i| self.node(NodeIndex(i)).is_some())
    }

    fn entries_len(&self) -> usize {
        let Some(last) = self.last_non_blank() else {
            return 0;
        };
        (0..=last)
            .map(|i| match self.node(NodeIndex(i)) {
                None => 1,
                Some(NodeRef::Leaf(l)) => 2 + l.encoded_len(),
                Some(NodeRef::Parent(p)) => 2 + p.encoded_len(),
            })
            .sum()
    }
}

/// `optional<Node> ratchet_tree<V>` without the trailing blank nodes (RFC 9420 section
/// 12.4.3.3).
impl Encode for RatchetTree {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        vmls_codec::encode_varint(w, self.entries_len())?;
        let Some(last) = self.last_non_blank() else {
            return Ok(());
        };
        for i in 0..=last {
            match self.node(NodeIndex(i)) {
                None => w.put(&[0])?,
                Some(NodeRef::Leaf(l)) => {
                    w.put(&[1, 1])?;
                    l.encode(w)?;
                }
                Some(NodeRef::Parent(p)) => {
                    w.put(&[1, 2])?;
                    p.encode(w)?;
                }
            }
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        let body = self.entries_len();
        varint_len(body) + body
    }
}
