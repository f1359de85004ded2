//! Codec behaviour against RFC 9420 section 2.1 (independent expectations: the RFC's encoding
//! rules written out by hand here, not produced by the code under test).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use proptest::prelude::*;
use vmls_codec::{
    Decode, Encode, Error, MAX_VARINT, OpaqueArray, Reader, SliceWriter, VLBytes, encode_varint,
};

/// The RFC 2.1.2 table: 2-bit prefix gives the length, value is the remaining bits.
fn reference_varint(v: usize) -> Vec<u8> {
    if v < 64 {
        vec![v as u8]
    } else if v < 16384 {
        vec![0x40 | (v >> 8) as u8, v as u8]
    } else {
        vec![
            0x80 | (v >> 24) as u8,
            (v >> 16) as u8,
            (v >> 8) as u8,
            v as u8,
        ]
    }
}

#[test]
fn rfc_examples() {
    // RFC 9420 section 2.1.2 gives these example encodings.
    let cases: [(&[u8], usize); 4] = [
        (&[0x25], 37),
        (&[0x7b, 0xbd], 15293),
        (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
        (&[0x00], 0),
    ];
    for (bytes, v) in cases {
        assert_eq!(Reader::new(bytes).read_varint().unwrap(), v);
        let mut out = Vec::new();
        encode_varint(&mut out, v).unwrap();
        assert_eq!(out, bytes);
    }
}

#[test]
fn rejects_0b11_prefix_and_non_minimal() {
    assert_eq!(
        Reader::new(&[0xc0, 0, 0, 0, 0, 0, 0, 1]).read_varint(),
        Err(Error::InvalidVarintPrefix)
    );
    assert_eq!(
        Reader::new(&[0x40, 0x25]).read_varint(),
        Err(Error::NonMinimalVarint)
    );
    assert_eq!(
        Reader::new(&[0x80, 0, 0x3f, 0xff]).read_varint(),
        Err(Error::NonMinimalVarint)
    );
    let mut out = Vec::new();
    assert_eq!(
        encode_varint(&mut out, MAX_VARINT + 1),
        Err(Error::VarintTooLarge)
    );
}

#[test]
fn lengths_are_bounded_by_input() {
    // A vector claiming 2^30-1 bytes with 3 bytes behind it: error, and no huge allocation.
    let bytes = [0xbf, 0xff, 0xff, 0xff, 1, 2, 3];
    assert!(matches!(
        VLBytes::decode_exact(&bytes),
        Err(Error::EndOfInput { .. })
    ));
    assert!(matches!(
        Vec::<u32>::decode_exact(&bytes),
        Err(Error::EndOfInput { .. })
    ));
}

#[test]
fn trailing_bytes_and_truncation() {
    assert_eq!(u16::decode_exact(&[1, 2, 3]), Err(Error::TrailingBytes(1)));
    assert!(matches!(
        u32::decode_exact(&[1, 2, 3]),
        Err(Error::EndOfInput { .. })
    ));
    // A vector whose body does not split into whole elements.
    assert!(matches!(
        Vec::<u16>::decode_exact(&[3, 0, 1, 2]),
        Err(Error::EndOfInput { .. })
    ));
}

#[test]
fn optional_presence_byte() {
    assert_eq!(Option::<u8>::decode_exact(&[0]).unwrap(), None);
    assert_eq!(Option::<u8>::decode_exact(&[1, 9]).unwrap(), Some(9));
    assert_eq!(
        Option::<u8>::decode_exact(&[2, 9]),
        Err(Error::InvalidOptional(2))
    );
}

#[test]
fn opaque_array_length_is_checked() {
    assert!(OpaqueArray::<4>::decode_exact(&[4, 1, 2, 3, 4]).is_ok());
    assert_eq!(
        OpaqueArray::<4>::decode_exact(&[3, 1, 2, 3]),
        Err(Error::WrongLength {
            expected: 4,
            got: 3
        })
    );
}

#[test]
fn slice_writer_refuses_to_overflow() {
    let mut buf = [0u8; 3];
    let mut w = SliceWriter::new(&mut buf);
    assert_eq!(
        VLBytes(vec![1, 2, 3]).encode(&mut w),
        Err(Error::BufferTooSmall)
    );
    let mut buf = [0u8; 4];
    let mut w = SliceWriter::new(&mut buf);
    VLBytes(vec![1, 2, 3]).encode(&mut w).unwrap();
    assert_eq!(w.into_written(), &[3, 1, 2, 3]);
}

proptest! {
    #[test]
    fn varint_matches_reference(v in 0usize..=MAX_VARINT) {
        let mut out = Vec::new();
        encode_varint(&mut out, v).unwrap();
        prop_assert_eq!(&out, &reference_varint(v));
        prop_assert_eq!(Reader::new(&out).read_varint().unwrap(), v);
    }

    #[test]
    fn nested_vectors_round_trip(v in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..70), 0..20)) {
        let items: Vec<VLBytes> = v.into_iter().map(VLBytes).collect();
        let enc = items.to_bytes().unwrap();
        prop_assert_eq!(enc.len(), items.encoded_len());
        // Reference: body = concatenation of (varint len || bytes), prefixed by varint(body len).
        let mut body = Vec::new();
        for i in &items {
            body.extend(reference_varint(i.len()));
            body.extend_from_slice(i);
        }
        let mut want = reference_varint(body.len());
        want.extend(body);
        prop_assert_eq!(&enc, &want);
        prop_assert_eq!(Vec::<VLBytes>::decode_exact(&enc).unwrap(), items);
    }

    #[test]
    fn structs_round_trip(a in any::<u64>(), b in proptest::option::of(any::<u32>()), c in any::<bool>(), d in proptest::collection::vec(any::<u16>(), 0..40)) {
        let value = (a, b, c, d);
        let mut enc = Vec::new();
        value.0.encode(&mut enc).unwrap();
        value.1.encode(&mut enc).unwrap();
        value.2.encode(&mut enc).unwrap();
        value.3.encode(&mut enc).unwrap();
        let mut r = Reader::new(&enc);
        prop_assert_eq!(u64::decode(&mut r).unwrap(), a);
        prop_assert_eq!(Option::<u32>::decode(&mut r).unwrap(), b);
        prop_assert_eq!(bool::decode(&mut r).unwrap(), c);
        prop_assert_eq!(Vec::<u16>::decode(&mut r).unwrap(), value.3);
        prop_assert!(r.finish().is_ok());
    }

    #[test]
    fn arbitrary_input_never_panics_and_round_trips(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(v) = Vec::<VLBytes>::decode_exact(&data) {
            prop_assert_eq!(v.to_bytes().unwrap(), data.clone());
        }
        if let Ok(v) = Vec::<Option<u16>>::decode_exact(&data) {
            prop_assert_eq!(v.to_bytes().unwrap(), data.clone());
        }
    }
}
