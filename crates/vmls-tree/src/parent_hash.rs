//! Parent hashes (RFC 9420 section 7.9) and their verification (section 7.9.2).
use alloc::vec::Vec;
use vmls_codec::encode_opaque;
use vmls_crypto::{HashValue, Hasher};

use crate::error::TreeError;
use crate::math::{self, NodeIndex};
use crate::storage::{NodeRef, children, leaf_span};
use crate::tree::{FilteredPathNode, RatchetTree};

/// `Hash(ParentHashInput{ encryption_key, parent_hash, original_sibling_tree_hash })`
/// (RFC 9420 section 7.9).
pub fn parent_hash(
    encryption_key: &[u8],
    parent_hash: &[u8],
    original_sibling_tree_hash: &[u8],
) -> Result<HashValue, TreeError> {
    let mut h = Hasher::new();
    encode_opaque(&mut h, encryption_key)?;
    encode_opaque(&mut h, parent_hash)?;
    encode_opaque(&mut h, original_sibling_tree_hash)?;
    Ok(h.finish())
}

/// The parent hashes along a path that is (about to be) set by an UpdatePath: `fields[i]` is
/// the `parent_hash` field of the i-th filtered-direct-path node (empty for the topmost), and
/// `leaf` the one the committer's LeafNode signs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParentHashes {
    /// `parent_hash` field of each path node, leaf to root (`None` = zero-length).
    pub fields: heapless::Vec<Option<HashValue>, { math::MAX_DEPTH }>,
    /// `parent_hash` of the committer's new leaf (`None` = zero-length: empty path).
    pub leaf: Option<HashValue>,
}

impl RatchetTree {
    /// The parent hash of the non-blank parent `p` with copath child `sibling` (RFC 9420
    /// section 7.9), with `original_sibling_tree_hash` computed on the tree where `p`'s
    /// unmerged leaves are blank.
    pub fn parent_hash_of(&self, p: NodeIndex, sibling: NodeIndex) -> Result<HashValue, TreeError> {
        let node = self
            .parent(p)
            .ok_or(TreeError::InvalidParentHash { node: p })?;
        let mut unmerged = node.unmerged_leaves.clone();
        vmls_codec::sort::sort_unstable(&mut unmerged);
        let osth = self.storage.hash_excluding(sibling, &unmerged)?;
        parent_hash(&node.encryption_key.0, &node.parent_hash, &osth)
    }

    /// Computes the parent-hash chain for new keys on a filtered direct path (RFC 9420 section
    /// 7.9, root to leaf): `keys[i]` is the new key of `path[i]`. The new nodes have no
    /// unmerged leaves, so each `original_sibling_tree_hash` is the current tree hash of the
    /// copath child, which the path does not touch.
    pub fn path_parent_hashes(
        &self,
        path: &[FilteredPathNode],
        keys: &[[u8; 32]],
    ) -> Result<PathParentHashes, TreeError> {
        if path.len() != keys.len() {
            return Err(TreeError::PathLengthMismatch {
                expected: path.len(),
                got: keys.len(),
            });
        }
        let mut rev: heapless::Vec<Option<HashValue>, { math::MAX_DEPTH }> = heapless::Vec::new();
        let mut above: Option<HashValue> = None;
        for (step, key) in path.iter().zip(keys).rev() {
            let _ = rev.push(above);
            let osth = self.storage.hash(step.copath_child)?;
            let field: &[u8] = above.as_ref().map_or(&[], |h| h.as_slice());
            above = Some(parent_hash(key, field, &osth)?);
        }
        let mut fields = heapless::Vec::new();
        for f in rev.iter().rev() {
            let _ = fields.push(*f);
        }
        Ok(PathParentHashes {
            fields,
            leaf: above,
        })
    }

    /// Verifies that every non-blank parent node is parent-hash valid (RFC 9420 section 7.9.2),
    /// top down: each non-blank parent P must have exactly one descendant D (in the resolution
    /// of one child C, with S the other child) such that D's `parent_hash` is the parent hash of
    /// P with copath child S, and P's unmerged leaves under C are exactly the resolution of C
    /// without D. Since every non-blank parent has such a link from below, every chain ends at a
    /// leaf.
    ///
    /// Cost: the second condition leaves at most one candidate D per child (the single element of
    /// `resolution(C) \ unmerged(P)`), so each child costs one sort of its resolution and at most
    /// one parent hash; resolutions total O(N log N) entries over the tree.
    pub fn verify_parent_hashes(&self) -> Result<(), TreeError> {
        for i in (1..self.storage.width()).step_by(2) {
            let p = NodeIndex(i);
            let Some(node) = self.parent(p) else {
                continue;
            };
            let (left, right) = children(p)?;
            let mut unmerged: Vec<NodeIndex> = node
                .unmerged_leaves
                .iter()
                .map(|l| crate::math::LeafIndex(*l).node())
                .collect();
            vmls_codec::sort::sort_unstable(&mut unmerged);
            let mut links = 0usize;
            for (c, s) in [(left, right), (right, left)] {
                let mut res = self.resolution(c);
                vmls_codec::sort::sort_unstable(&mut res);
                let (lo, hi) = leaf_span(c);
                let under_c = unmerged.iter().filter(|x| {
                    let l = x.0 / 2;
                    l >= lo && l < hi
                });
                let Some(d) = single_extra(&res, under_c) else {
                    continue;
                };
                let Some(dph) = self.node(d).and_then(NodeRef::parent_hash) else {
                    continue;
                };
                if dph == self.parent_hash_of(p, s)?.as_slice() {
                    links += 1;
                }
            }
            if links != 1 {
                return Err(TreeError::InvalidParentHash { node: p });
            }
        }
        Ok(())
    }
}

/// If the sorted `all` is exactly the sorted `part` plus one element, that element.
fn single_extra<'a>(
    all: &[NodeIndex],
    part: impl Iterator<Item = &'a NodeIndex>,
) -> Option<NodeIndex> {
    let mut extra = None;
    let mut part = part.peekable();
    for x in all {
        if part.peek() == Some(&x) {
            part.next();
        } else if extra.is_none() {
            extra = Some(*x);
        } else {
            return None;
        }
    }
    if part.next().is_some() {
        return None;
    }
    extra
}
