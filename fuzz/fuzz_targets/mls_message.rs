//! Every top-level wire message (MLSMessage with all its bodies, and the bare structs a
//! Delivery Service hands over): decoding never panics, and what decodes re-encodes identically.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode};
use vmls_group::{GroupInfo, GroupSecrets, KeyPackage, MLSMessage, PreSharedKeyId, Welcome};

fn round_trip<T: Decode + Encode>(data: &[u8]) {
    if let Ok(v) = T::decode_exact(data) {
        assert_eq!(v.to_bytes().expect("encode"), data);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<MLSMessage>(data);
    round_trip::<KeyPackage>(data);
    round_trip::<Welcome>(data);
    round_trip::<GroupInfo>(data);
    round_trip::<GroupSecrets>(data);
    round_trip::<PreSharedKeyId>(data);
});
