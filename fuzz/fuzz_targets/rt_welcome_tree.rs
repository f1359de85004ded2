//! Round trips of what a joiner decodes (issue 21), by selector byte: 0 `Welcome` (RFC 9420
//! section 12.4.3.1), 1 `GroupInfo` (section 12.4.3), 2 `GroupSecrets`, 3 the `ratchet_tree`
//! extension value (section 12.4.3.3). Decoding never panics; Welcome, GroupInfo and
//! GroupSecrets re-encode byte-exactly. The ratchet tree is decoded into a padded tree (a
//! power-of-two leaf count) and re-encoded without trailing blank nodes, so an input that ends
//! in blank nodes decodes to the same tree as its shorter canonical form: there the target
//! checks the weaker property decode(encode(decode(x))) == decode(x) (same encoding and same
//! tree hash), and byte-exactness when the input has no trailing blank entry.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode};
use vmls_group::{GroupInfo, GroupSecrets, Welcome};
use vmls_tree::RatchetTree;

fn exact<T: Decode + Encode>(data: &[u8]) -> Option<T> {
    let v = T::decode_exact(data).ok()?;
    let bytes = v.to_bytes().expect("what decodes encodes");
    assert_eq!(
        bytes.len(),
        v.encoded_len(),
        "encoded_len agrees with the encoding"
    );
    assert_eq!(bytes, data, "decode -> encode is byte-exact");
    Some(v)
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            let _ = exact::<Welcome>(rest);
        }
        1 => {
            if let Some(gi) = exact::<GroupInfo>(rest) {
                let _ = gi.signer();
                let _ = gi.verify_signature(&[0u8; 32]);
            }
        }
        2 => {
            let _ = exact::<GroupSecrets>(rest);
        }
        _ => {
            let Ok(tree) = RatchetTree::from_bytes(rest, 256) else {
                return;
            };
            let bytes = tree.to_bytes().expect("what decodes encodes");
            assert_eq!(bytes.len(), tree.encoded_len());
            let again = RatchetTree::from_bytes(&bytes, 256).expect("the encoding decodes");
            assert_eq!(
                again.to_bytes().expect("encodes"),
                bytes,
                "encoding is a fixed point"
            );
            assert_eq!(again.n_leaves(), tree.n_leaves());
            let (h1, h2) = (tree.tree_hash(), again.tree_hash());
            assert_eq!(h1.is_ok(), h2.is_ok());
            if let (Ok(a), Ok(b)) = (h1, h2) {
                assert_eq!(a, b, "same tree hash");
            }
            if bytes.len() < rest.len() {
                // Only trailing blank entries (one 0x00 byte each) may have been dropped,
                // and a shorter varint length prefix.
                let trailing = rest.iter().rev().take_while(|b| **b == 0).count();
                assert!(trailing > 0, "a non-canonical tree must end in blank nodes");
            } else {
                assert_eq!(
                    bytes, rest,
                    "a tree without trailing blanks round-trips exactly"
                );
            }
        }
    }
});
