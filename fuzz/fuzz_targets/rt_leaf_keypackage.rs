//! Round trips of the signed leaf-level structs (issue 21), by selector byte: 0 `LeafNode`
//! (RFC 9420 section 7.2), 1 `KeyPackage` (section 10), 2 `Credential`, 3 `Extension`.
//! Decoding never panics; whatever decodes re-encodes to exactly the input bytes, and the
//! checks a receiver runs on them (signature verification, the KeyPackageRef) never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode};
use vmls_group::KeyPackage;
use vmls_tree::{Credential, Extension, LeafNode};

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
            let _ = exact::<LeafNode>(rest);
        }
        1 => {
            if let Some(kp) = exact::<KeyPackage>(rest) {
                let _ = kp.verify_signature();
                let _ = kp.make_ref();
            }
        }
        2 => {
            let _ = exact::<Credential>(rest);
        }
        _ => {
            let _ = exact::<Extension>(rest);
        }
    }
});
