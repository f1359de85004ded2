//! Array-based tree math (RFC 9420 appendix C).
//!
//! Nodes are numbered left to right: leaves at even indices, parents at odd ones. A node's level
//! is the number of trailing one bits of its index. Node indices are `u32`; a tree of `n` leaves
//! has `2n - 1` nodes, so `n` is at most 2^31. Functions that could step outside the tree return
//! `None` instead of panicking.

/// Index of a leaf (`0..n_leaves`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LeafIndex(pub u32);

/// Index of a node in the array representation (`0..2n-1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeIndex(pub u32);

impl LeafIndex {
    /// The node index of this leaf (`2 * leaf`).
    pub fn node(self) -> NodeIndex {
        NodeIndex(self.0.wrapping_mul(2))
    }
}

impl NodeIndex {
    /// The leaf index, if this node is a leaf.
    pub fn leaf(self) -> Option<LeafIndex> {
        if self.0.is_multiple_of(2) {
            Some(LeafIndex(self.0 / 2))
        } else {
            None
        }
    }
    /// Whether the node is a leaf.
    pub fn is_leaf(self) -> bool {
        self.0.is_multiple_of(2)
    }
    /// Position in the node array.
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

/// `log2(x)` rounded down, with `log2(0) = 0`.
pub fn log2(x: u32) -> u32 {
    if x == 0 { 0 } else { 31 - x.leading_zeros() }
}

/// Level of node `x`: 0 for leaves.
pub fn level(x: NodeIndex) -> u32 {
    x.0.trailing_ones()
}

/// Number of nodes in a tree of `n_leaves` leaves (`2n - 1`, or 0 for an empty tree).
pub fn node_width(n_leaves: u32) -> u32 {
    if n_leaves == 0 {
        0
    } else {
        2 * (n_leaves - 1) + 1
    }
}

/// The root of a tree with `n_leaves` leaves (`n_leaves` > 0; RFC 9420 trees are full, so
/// `n_leaves` is a power of two, but any positive count is accepted).
pub fn root(n_leaves: u32) -> NodeIndex {
    let w = node_width(n_leaves);
    NodeIndex((1u32 << log2(w)).wrapping_sub(1))
}

/// Left child of an intermediate node; `None` for a leaf.
pub fn left(x: NodeIndex) -> Option<NodeIndex> {
    let k = level(x);
    if k == 0 {
        return None;
    }
    Some(NodeIndex(x.0 ^ (1 << (k - 1))))
}

/// Right child of an intermediate node; `None` for a leaf.
pub fn right(x: NodeIndex) -> Option<NodeIndex> {
    let k = level(x);
    if k == 0 {
        return None;
    }
    Some(NodeIndex(x.0 ^ (3 << (k - 1))))
}

/// Parent of `x` in a tree of `n_leaves` leaves; `None` for the root or a node outside the tree.
pub fn parent(x: NodeIndex, n_leaves: u32) -> Option<NodeIndex> {
    if x == root(n_leaves) || x.0 >= node_width(n_leaves) {
        return None;
    }
    let k = level(x);
    if k >= 31 {
        return None;
    }
    let b = (x.0 >> (k + 1)) & 1;
    Some(NodeIndex((x.0 | (1 << k)) ^ (b << (k + 1))))
}

/// The other child of `x`'s parent; `None` for the root.
pub fn sibling(x: NodeIndex, n_leaves: u32) -> Option<NodeIndex> {
    let p = parent(x, n_leaves)?;
    if x.0 < p.0 { right(p) } else { left(p) }
}

/// Maximum depth of a tree over `u32` leaf indices: a direct path has at most this many nodes.
pub const MAX_DEPTH: usize = 32;

/// A path of node indices, bounded by the tree depth (no heap).
pub type Path = heapless::Vec<NodeIndex, MAX_DEPTH>;

/// The direct path of `x`: its parent, grandparent, ..., the root (excluding `x` itself).
pub fn direct_path(x: NodeIndex, n_leaves: u32) -> Path {
    let mut d = Path::new();
    let r = root(n_leaves);
    if x == r || x.0 >= node_width(n_leaves) {
        return d;
    }
    let mut cur = x;
    while let Some(p) = parent(cur, n_leaves) {
        if d.push(p).is_err() {
            break;
        }
        cur = p;
    }
    d
}

/// The copath of `x`: the sibling of `x` and of every node of its direct path but the root.
pub fn copath(x: NodeIndex, n_leaves: u32) -> Path {
    let mut out = Path::new();
    if x == root(n_leaves) || x.0 >= node_width(n_leaves) {
        return out;
    }
    let mut cur = x;
    while let Some(s) = sibling(cur, n_leaves) {
        if out.push(s).is_err() {
            break;
        }
        match parent(cur, n_leaves) {
            Some(p) if p != root(n_leaves) => cur = p,
            _ => break,
        }
    }
    out
}

/// Whether `x` is in the subtree rooted at `ancestor` (a node is its own ancestor).
pub fn is_in_subtree(x: NodeIndex, ancestor: NodeIndex) -> bool {
    let k = level(ancestor);
    (x.0 >> (k + 1)) == (ancestor.0 >> (k + 1)) && level(x) <= k
}

/// Lowest common ancestor of two nodes.
pub fn common_ancestor(x: NodeIndex, y: NodeIndex) -> NodeIndex {
    let (lx, ly) = (level(x) + 1, level(y) + 1);
    if lx <= ly && (x.0 >> ly) == (y.0 >> ly) {
        return y;
    }
    if ly <= lx && (x.0 >> lx) == (y.0 >> lx) {
        return x;
    }
    let (mut xn, mut yn, mut k) = (x.0, y.0, 0u32);
    while xn != yn {
        xn >>= 1;
        yn >>= 1;
        k += 1;
    }
    NodeIndex((xn << k) + (1 << (k - 1)) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Figures in RFC 9420 appendix C: 8 leaves, root 7.
    #[test]
    fn appendix_c_examples() {
        assert_eq!(root(8), NodeIndex(7));
        assert_eq!(root(1), NodeIndex(0));
        assert_eq!(left(NodeIndex(7)), Some(NodeIndex(3)));
        assert_eq!(right(NodeIndex(7)), Some(NodeIndex(11)));
        assert_eq!(parent(NodeIndex(0), 8), Some(NodeIndex(1)));
        assert_eq!(parent(NodeIndex(7), 8), None);
        assert_eq!(
            direct_path(NodeIndex(0), 8).as_slice(),
            &[NodeIndex(1), NodeIndex(3), NodeIndex(7)]
        );
        assert_eq!(
            copath(NodeIndex(0), 8).as_slice(),
            &[NodeIndex(2), NodeIndex(5), NodeIndex(11)]
        );
        assert_eq!(common_ancestor(NodeIndex(0), NodeIndex(6)), NodeIndex(3));
        assert_eq!(common_ancestor(NodeIndex(2), NodeIndex(8)), NodeIndex(7));
        assert_eq!(common_ancestor(NodeIndex(4), NodeIndex(4)), NodeIndex(4));
    }

    #[test]
    fn parent_of_out_of_range_is_none() {
        assert_eq!(parent(NodeIndex(100), 8), None);
        assert!(direct_path(NodeIndex(u32::MAX), 8).is_empty());
    }
}
