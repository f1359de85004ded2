//! Ratchet tree nodes (LeafNode / ParentNode): decoding never panics and round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode};
use vmls_tree::{Node, UpdatePath};

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = Node::decode_exact(data) {
        assert_eq!(n.to_bytes().expect("encode"), data);
    }
    if let Ok(p) = UpdatePath::decode_exact(data) {
        assert_eq!(p.to_bytes().expect("encode"), data);
    }
});
