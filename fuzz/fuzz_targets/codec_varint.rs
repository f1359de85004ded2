//! Variable-length integers and opaque vectors: decoding never panics, and whatever decodes
//! re-encodes to the same bytes (only minimal encodings are accepted).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmls_codec::{Decode, Encode, Reader, VLBytes};

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    if let Ok(v) = r.read_varint() {
        let consumed = data.len() - r.remaining();
        let mut out = Vec::new();
        vmls_codec::encode_varint(&mut out, v).expect("decoded value re-encodes");
        assert_eq!(&out[..], &data[..consumed]);
    }
    if let Ok(b) = VLBytes::decode_exact(data) {
        assert_eq!(b.to_bytes().expect("encode"), data);
    }
    let _ = Vec::<Vec<u16>>::decode_exact(data);
});
