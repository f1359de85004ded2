//! Decoding choices where vmls and mls-rs 0.57 differ, found by the differential fuzz target
//! (`fuzz-diff/`, issue 21) and documented in docs/security.md, "Differential decoding". Each
//! is a choice RFC 9420 leaves open (its structs have no arm for an unknown type and no length
//! rule for a fixed-size field of another suite); these tests pin vmls's side of it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use vmls_codec::{Decode, Encode, Error, OpaqueArray};
use vmls_group::{MLSMessage, Proposal, Remove};
use vmls_tree::Credential;

/// ProposalType 0x0000 is "Reserved" and 0x0A0A a GREASE value (RFC 9420 section 17.4, RFC
/// 9420 section 13.5): vmls implements 1..=7 and refuses any other type while decoding (mls-rs
/// keeps it as a custom proposal). The fuzzer's input was a Commit whose fourth inline
/// proposal had type 0.
#[test]
fn unknown_and_reserved_proposal_types_do_not_decode() {
    let remove = Proposal::Remove(Remove { removed: 7 }).to_bytes().unwrap();
    assert_eq!(
        remove,
        [0, 3, 0, 0, 0, 7],
        "RFC 9420: uint16 type, uint32 leaf"
    );
    assert!(Proposal::decode_exact(&remove).is_ok());
    for t in [0x0000u16, 0x0008, 0x0A0A, 0xFFFF] {
        let mut bytes = remove.clone();
        bytes[..2].copy_from_slice(&t.to_be_bytes());
        assert_eq!(
            Proposal::decode_exact(&bytes),
            Err(Error::InvalidEnum(u64::from(t))),
            "type {t:#06x}"
        );
    }
}

/// CredentialType: basic(1) and x509(2) decode; any other value (the fuzzer's was 49) is
/// refused while decoding (mls-rs keeps it as a custom credential, opaque).
#[test]
fn unknown_credential_types_do_not_decode() {
    let basic = Credential::Basic(b"510".as_slice().into())
        .to_bytes()
        .unwrap();
    assert_eq!(
        basic,
        [0, 1, 3, b'5', b'1', b'0'],
        "RFC 9420 section 5.3: uint16 type, identity<V>"
    );
    let mut unknown = basic.clone();
    unknown[1] = 49;
    assert_eq!(
        Credential::decode_exact(&unknown),
        Err(Error::InvalidEnum(49))
    );
}

/// `MLSMessage.version` must be mls10 (RFC 9420 section 6); vmls refuses another version
/// while decoding (mls-rs decodes any and refuses it when processing). The fuzzer's input was
/// an empty Welcome with version 0x0601.
#[test]
fn mls_messages_of_another_version_do_not_decode() {
    // version, wire_format welcome(3), cipher_suite 0xb101, secrets<V> empty,
    // encrypted_group_info<V> empty.
    let mut bytes = vec![0x00, 0x01, 0x00, 0x03, 0xb1, 0x01, 0x00, 0x00];
    assert!(
        MLSMessage::decode_exact(&bytes).is_ok(),
        "the mls10 form decodes"
    );
    bytes[0] = 0x06;
    assert_eq!(
        MLSMessage::decode_exact(&bytes),
        Err(Error::InvalidEnum(0x0601))
    );
}

/// Fixed-size fields of suite 0x0003 (keys, MACs: 32 bytes; signatures: 64) are arrays with
/// a length prefix that must match; mls-rs reads any length (other suites have other sizes).
#[test]
fn fixed_size_fields_refuse_another_length_while_decoding() {
    let mut mac = vec![32u8];
    mac.extend_from_slice(&[7; 32]);
    assert!(OpaqueArray::<32>::decode_exact(&mac).is_ok());
    let mut p256 = vec![48u8];
    p256.extend_from_slice(&[7; 48]);
    assert_eq!(
        OpaqueArray::<32>::decode_exact(&p256),
        Err(Error::WrongLength {
            expected: 32,
            got: 48
        })
    );
}
