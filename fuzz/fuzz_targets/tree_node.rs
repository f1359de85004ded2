//! Ratchet tree nodes (LeafNode / ParentNode), UpdatePaths and whole ratchet trees: decoding never
//! panics, and nodes and paths round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode};
use vmls_tree::{Node, RatchetTree, UpdatePath};

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = Node::decode_exact(data) {
        assert_eq!(n.to_bytes().expect("encode"), data);
    }
    if let Ok(p) = UpdatePath::decode_exact(data) {
        assert_eq!(p.to_bytes().expect("encode"), data);
    }
    // The ratchet_tree extension: decoding (with its padding and hashing) never panics and
    // stays within the leaf limit.
    if let Ok(t) = RatchetTree::from_bytes(data, 64) {
        assert!(t.n_leaves() <= 64);
        let _ = t.tree_hash();
    }
});
