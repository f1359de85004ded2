//! Round trips of a Commit's parts (issue 21), by selector byte: 0 `Proposal` (every kind:
//! Add, Update, Remove, PreSharedKey, ReInit, ExternalInit, GroupContextExtensions and unknown
//! types, RFC 9420 section 12.1), 1 `Commit` (section 12.4), 2 `UpdatePath` (section 7.6),
//! 3 `ProposalOrRef`. Decoding never panics; whatever decodes re-encodes to exactly the input
//! bytes (every one of these encodings is canonical: varint lengths are minimal and checked).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode};
use vmls_group::{Commit, Proposal, ProposalOrRef};
use vmls_tree::UpdatePath;

fn exact<T: Decode + Encode>(data: &[u8]) {
    if let Ok(v) = T::decode_exact(data) {
        let bytes = v.to_bytes().expect("what decodes encodes");
        assert_eq!(
            bytes.len(),
            v.encoded_len(),
            "encoded_len agrees with the encoding"
        );
        assert_eq!(bytes, data, "decode -> encode is byte-exact");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            exact::<Proposal>(rest);
            if let Ok(p) = Proposal::decode_exact(rest) {
                // The helpers used on received proposals never panic.
                let _ = (
                    p.proposal_type(),
                    p.requires_path(),
                    p.allowed_from_external_sender(),
                );
            }
        }
        1 => {
            exact::<Commit>(rest);
            if let Ok(c) = Commit::decode_exact(rest) {
                let _ = c.path_required(&[1, 2, 3, 4, 5, 6, 7, 0x0a0a]);
            }
        }
        2 => exact::<UpdatePath>(rest),
        _ => exact::<ProposalOrRef>(rest),
    }
});
