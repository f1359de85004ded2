//! Our Ed25519 verification (cofactored, RFC 8032 5.1.7) against ed25519-dalek as an
//! independent reference, and batch verification against single verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::Verifier;
use sha2::{Digest, Sha512};
use vmls_crypto::*;

/// The `SignContent` bytes RFC 9420 5.1.2 signs, built by hand.
fn sign_content(label: &[u8], content: &[u8]) -> Vec<u8> {
    let full = [b"MLS 1.0 ".as_slice(), label].concat();
    let mut v = Vec::new();
    vmls_codec::encode_opaque(&mut v, &full).unwrap();
    vmls_codec::encode_opaque(&mut v, content).unwrap();
    v
}

fn keypair(i: u8) -> SignatureKeyPair {
    SignatureKeyPair::generate(&mut SeededPrng::from_seed([i; 32]))
}

#[test]
fn agrees_with_ed25519_dalek_on_valid_and_tampered_signatures() {
    for i in 0..20u8 {
        let kp = keypair(i);
        let content = vec![i; i as usize * 7];
        let sig = sign_with_label(&kp.private, b"LeafNodeTBS", &content).unwrap();
        let reference = ed25519_dalek::VerifyingKey::from_bytes(&kp.public).unwrap();
        let msg = sign_content(b"LeafNodeTBS", &content);
        let dalek_sig = ed25519_dalek::Signature::from_bytes(&sig);
        assert!(reference.verify(&msg, &dalek_sig).is_ok());
        assert!(verify_with_label(&kp.public, b"LeafNodeTBS", &content, &sig).is_ok());
        for bit in [0usize, 100, 255, 256, 300, 511] {
            let mut bad = sig;
            bad[bit / 8] ^= 1 << (bit % 8);
            let ours = verify_with_label(&kp.public, b"LeafNodeTBS", &content, &bad).is_ok();
            let theirs = reference
                .verify(&msg, &ed25519_dalek::Signature::from_bytes(&bad))
                .is_ok();
            assert_eq!(ours, theirs, "key {i} bit {bit}");
            assert!(!ours);
        }
    }
}

#[test]
fn rejects_non_canonical_s() {
    let kp = keypair(1);
    let mut sig = sign_with_label(&kp.private, b"L", b"c").unwrap();
    // S + L is the same scalar mod L but not canonical (RFC 8032 5.1.7: reject S >= L).
    let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
    let l_bytes: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    let mut sum = [0u8; 32];
    for i in 0..32 {
        let t = s.as_bytes()[i] as u16 + l_bytes[i] as u16 + carry;
        sum[i] = t as u8;
        carry = t >> 8;
    }
    sig[32..].copy_from_slice(&sum);
    assert_eq!(
        verify_with_label(&kp.public, b"L", b"c", &sig),
        Err(Error::InvalidSignature)
    );
}

/// A signature whose R carries a small-order component: the cofactored equation (RFC 8032
/// 5.1.7) holds, the cofactorless one does not. Single and batch verification must agree.
#[test]
fn torsion_signature_single_and_batch_agree() {
    let a = Scalar::from_bytes_mod_order([5u8; 32]);
    let public = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
    let content = b"crafted";
    let msg = sign_content(b"L", content);
    let r = Scalar::from_bytes_mod_order([9u8; 32]);
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
    let mut h = Sha512::new();
    h.update(big_r.as_bytes());
    h.update(public);
    h.update(&msg);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(big_r.as_bytes());
    sig[32..].copy_from_slice(s.as_bytes());

    // The cofactorless reference rejects it ...
    let reference = ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap();
    assert!(
        reference
            .verify(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_err()
    );
    // ... the RFC 8032 cofactored check accepts it, alone and in every batch position.
    assert!(verify_with_label(&public, b"L", content, &sig).is_ok());
    for pos in 0..4 {
        let mut batch = BatchVerifier::new();
        for i in 0..4u8 {
            if i == pos {
                batch.push(&public, b"L", content, &sig).unwrap();
            } else {
                let kp = keypair(i + 50);
                let s = sign_with_label(&kp.private, b"L", &[i]).unwrap();
                batch.push(&kp.public, b"L", &[i], &s).unwrap();
            }
        }
        assert!(batch.verify().is_ok());
    }
}

#[test]
fn batch_equals_and_of_single_verifications() {
    let kps: Vec<_> = (0..12u8).map(keypair).collect();
    for bad_mask in [0u16, 1, 0b100000, 0b100000000001, 0xfff] {
        let mut batch = BatchVerifier::with_capacity(kps.len());
        let mut all_ok = true;
        for (i, kp) in kps.iter().enumerate() {
            let content = vec![i as u8; 40];
            let mut sig = sign_with_label(&kp.private, b"LeafNodeTBS", &content).unwrap();
            if bad_mask & (1 << i) != 0 {
                // Valid encoding, wrong value: sign a different content.
                sig = sign_with_label(&kp.private, b"LeafNodeTBS", b"other").unwrap();
            }
            let single = verify_with_label(&kp.public, b"LeafNodeTBS", &content, &sig).is_ok();
            all_ok &= single;
            batch
                .push(&kp.public, b"LeafNodeTBS", &content, &sig)
                .unwrap();
        }
        assert_eq!(batch.verify().is_ok(), all_ok, "mask {bad_mask:b}");
        assert_eq!(all_ok, bad_mask == 0);
    }
    assert!(BatchVerifier::new().verify().is_ok());
}

#[test]
fn parts_sign_the_concatenation() {
    let kp = keypair(3);
    let content = b"hello, framed content";
    let (a, b) = content.split_at(5);
    let ours = sign_with_label_parts(&kp.private, b"FramedContentTBS", &[a, &[], b]).unwrap();
    assert_eq!(
        ours,
        sign_with_label(&kp.private, b"FramedContentTBS", content).unwrap()
    );
    assert!(verify_with_label_parts(&kp.public, b"FramedContentTBS", &[a, b], &ours).is_ok());
    assert!(verify_with_label_parts(&kp.public, b"FramedContentTBS", &[a], &ours).is_err());
    let too_many: Vec<&[u8]> = vec![b"x"; MAX_CONTENT_PARTS + 1];
    assert_eq!(
        sign_with_label_parts(&kp.private, b"L", &too_many),
        Err(Error::InvalidLength)
    );
}
