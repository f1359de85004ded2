//! vmls's Ed25519 verification (`verify_with_label`, `verify_with_label_parts`) against
//! ed25519-dalek's `VerifyingKey::verify_strict`, the independent oracle: OpenMLS verifies with
//! it, and a signature one member accepts and another rejects splits a mixed group
//! (docs/spec-decisions.md, "Ed25519 verification semantics").
//!
//! The cases are built here from curve arithmetic (curve25519-dalek) and RFC 8032 facts: honest
//! signatures, torsion in `R`, small-order ("weak") public keys, small-order `R`, keys with a
//! torsion component, non-canonical `S`, non-canonical encodings of `R` and `A`, flipped bits.
//! Each is checked against the oracle, and the ones the previous cofactored check accepted are
//! shown to satisfy the cofactored RFC 8032 equation, so the tests prove the behaviour changed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ed25519_dalek::Verifier;
use proptest::prelude::*;
use sha2::{Digest, Sha512};
use vmls_crypto::*;

const LABEL: &[u8] = b"LeafNodeTBS";

/// The `SignContent` bytes RFC 9420 5.1.2 signs, built by hand.
fn sign_content(label: &[u8], content: &[u8]) -> Vec<u8> {
    let full = [b"MLS 1.0 ".as_slice(), label].concat();
    let mut v = Vec::new();
    vmls_codec::encode_opaque(&mut v, &full).unwrap();
    vmls_codec::encode_opaque(&mut v, content).unwrap();
    v
}

/// The oracle: ed25519-dalek's `verify_strict` on the whole `SignContent`.
fn oracle(public: &[u8; 32], content: &[u8], sig: &[u8; 64]) -> bool {
    let msg = sign_content(LABEL, content);
    ed25519_dalek::VerifyingKey::from_bytes(public).is_ok_and(|k| {
        k.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(sig))
            .is_ok()
    })
}

/// ed25519-dalek's default (cofactorless, not strict) verification, to show what a case is.
fn loose(public: &[u8; 32], content: &[u8], sig: &[u8; 64]) -> bool {
    let msg = sign_content(LABEL, content);
    ed25519_dalek::VerifyingKey::from_bytes(public).is_ok_and(|k| {
        k.verify(&msg, &ed25519_dalek::Signature::from_bytes(sig))
            .is_ok()
    })
}

/// The cofactored equation of RFC 8032 5.1.7, `[8][S]B = [8]R + [8][k]A'`, which vmls checked
/// before: written out here to show which cases it accepted.
fn cofactored(public: &[u8; 32], content: &[u8], sig: &[u8; 64]) -> bool {
    let (Some(a), Some(r)) = (
        CompressedEdwardsY(*public).decompress(),
        CompressedEdwardsY(sig[..32].try_into().unwrap()).decompress(),
    ) else {
        return false;
    };
    let Some(s) =
        Option::<Scalar>::from(Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()))
    else {
        return false;
    };
    let k = challenge(sig[..32].try_into().unwrap(), public, content);
    (ED25519_BASEPOINT_POINT * s - a * k - r)
        .mul_by_cofactor()
        .is_identity()
}

/// vmls, in one piece and split into pieces at every third byte; both must give one answer.
fn ours(public: &[u8; 32], content: &[u8], sig: &[u8; 64]) -> bool {
    let one = verify_with_label(public, LABEL, content, sig).is_ok();
    let pieces: Vec<&[u8]> = content.chunks(content.len().div_ceil(3).max(1)).collect();
    let split = verify_with_label_parts(public, LABEL, &pieces, sig).is_ok();
    assert_eq!(one, split, "pieces changed the verdict");
    one
}

/// `k = SHA-512(R || A || SignContent) mod L` (RFC 8032 5.1.7 step 2).
fn challenge(r: &[u8; 32], public: &[u8; 32], content: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(public);
    h.update(sign_content(LABEL, content));
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn scalar(tag: &[u8]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&Sha512::digest(tag).into())
}

/// `R || S` with `S = r + k a` for the given nonce point encoding and public key encoding: the
/// signing equation of RFC 8032 5.1.6 with the points chosen by the caller.
fn forge(r_enc: [u8; 32], r: Scalar, a: Scalar, public: &[u8; 32], content: &[u8]) -> [u8; 64] {
    let s = r + challenge(&r_enc, public, content) * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_enc);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

fn torsion(j: usize) -> EdwardsPoint {
    EIGHT_TORSION[j % 8]
}

/// Every non-canonical point encoding: `y = p + v` (`p = 2^255 - 19`, `v < 19`) with either
/// sign bit, and the "negative zero" `x` (sign bit set with `x = 0`) of the two points with
/// `x = 0`, `y = 1` and `y = p - 1`.
fn non_canonical_encodings() -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    for v in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut e = [0xffu8; 32];
            e[0] = 0xed + v;
            e[31] = 0x7f | sign;
            out.push(e);
        }
    }
    let mut one = [0u8; 32];
    one[0] = 1;
    one[31] = 0x80;
    out.push(one);
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0xff;
    out.push(minus_one);
    out
}

/// `S + L`: the same scalar mod `L`, not canonical (RFC 8032 5.1.7: reject `S >= L`).
fn plus_l(s: &[u8]) -> [u8; 32] {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    let mut sum = [0u8; 32];
    for i in 0..32 {
        let t = s[i] as u16 + L[i] as u16 + carry;
        sum[i] = t as u8;
        carry = t >> 8;
    }
    assert_eq!(carry, 0);
    sum
}

/// The kinds of case the proptest draws from.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Honest,
    TorsionInR,
    WeakKey,
    SmallOrderR,
    MixedKey,
    NonCanonicalS,
    NonCanonicalR,
    NonCanonicalA,
    FlippedBit,
}

const KINDS: [Kind; 9] = [
    Kind::Honest,
    Kind::TorsionInR,
    Kind::WeakKey,
    Kind::SmallOrderR,
    Kind::MixedKey,
    Kind::NonCanonicalS,
    Kind::NonCanonicalR,
    Kind::NonCanonicalA,
    Kind::FlippedBit,
];

/// A (public key, signature) pair of the given kind over `content`; `seed` picks the secrets,
/// `j` the torsion point, encoding or bit.
fn case(kind: Kind, seed: &[u8], j: usize, content: &[u8]) -> ([u8; 32], [u8; 64]) {
    let a = scalar(&[seed, b"a"].concat());
    let r = scalar(&[seed, b"r"].concat());
    let big_a = ED25519_BASEPOINT_POINT * a;
    let public = big_a.compress().to_bytes();
    let honest_r = (ED25519_BASEPOINT_POINT * r).compress().to_bytes();
    match kind {
        Kind::Honest => (public, forge(honest_r, r, a, &public, content)),
        Kind::TorsionInR => {
            let r_enc = (ED25519_BASEPOINT_POINT * r + torsion(j))
                .compress()
                .to_bytes();
            (public, forge(r_enc, r, a, &public, content))
        }
        Kind::WeakKey => {
            // A small-order key, S = r: [S]B - [k]A = R + (-[k]T), so it even holds without
            // the cofactor whenever [k]T = 0.
            let weak = torsion(j).compress().to_bytes();
            (weak, forge(honest_r, r, Scalar::ZERO, &weak, content))
        }
        Kind::SmallOrderR => {
            // R = T, S = k a: [S]B - [k]A = 0, which differs from R only by torsion.
            let r_enc = torsion(j).compress().to_bytes();
            (public, forge(r_enc, Scalar::ZERO, a, &public, content))
        }
        Kind::MixedKey => {
            // A = [a]B + T_j, R = [r]B + T_i: the cofactorless equation holds exactly when
            // T_i = -[k]T_j, which happens for about one i in ord(T_j).
            let mixed = (big_a + torsion(j)).compress().to_bytes();
            let r_enc = (ED25519_BASEPOINT_POINT * r + torsion(j / 8))
                .compress()
                .to_bytes();
            (mixed, forge(r_enc, r, a, &mixed, content))
        }
        Kind::NonCanonicalS => {
            let mut sig = forge(honest_r, r, a, &public, content);
            let s = plus_l(&sig[32..]);
            sig[32..].copy_from_slice(&s);
            (public, sig)
        }
        Kind::NonCanonicalR => {
            let encs = non_canonical_encodings();
            let r_enc = encs[j % encs.len()];
            // Both S = k a (so [S]B - [k]A is the identity) and an unrelated S.
            let nonce = if (j / encs.len()).is_multiple_of(2) {
                Scalar::ZERO
            } else {
                r
            };
            (public, forge(r_enc, nonce, a, &public, content))
        }
        Kind::NonCanonicalA => {
            let encs = non_canonical_encodings();
            let a_enc = encs[j % encs.len()];
            (a_enc, forge(honest_r, r, a, &a_enc, content))
        }
        Kind::FlippedBit => {
            let mut sig = forge(honest_r, r, a, &public, content);
            let bit = j % 512;
            sig[bit / 8] ^= 1 << (bit % 8);
            (public, sig)
        }
    }
}

#[test]
fn honest_signatures_verify_and_flipped_bits_do_not() {
    for i in 0..20u8 {
        let kp = SignatureKeyPair::generate(&mut SeededPrng::from_seed([i; 32]));
        let content = vec![i; i as usize * 7];
        let sig = sign_with_label(&kp.private, LABEL, &content).unwrap();
        assert!(oracle(&kp.public, &content, &sig));
        assert!(ours(&kp.public, &content, &sig));
        for bit in [0usize, 100, 255, 256, 300, 511] {
            let mut bad = sig;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!oracle(&kp.public, &content, &bad), "key {i} bit {bit}");
            assert!(!ours(&kp.public, &content, &bad), "key {i} bit {bit}");
        }
        // The forged-by-hand honest case is a real signature too.
        let (pk, sig) = case(Kind::Honest, &[i], 0, &content);
        assert!(oracle(&pk, &content, &sig) && ours(&pk, &content, &sig));
    }
}

/// A torsion component in R: the cofactored equation holds (vmls accepted these before), the
/// strict verifier rejects them, and so does vmls now.
#[test]
fn torsion_in_r_is_rejected_like_verify_strict() {
    for j in 1..8 {
        let content = b"crafted";
        let (pk, sig) = case(Kind::TorsionInR, b"torsion", j, content);
        assert!(cofactored(&pk, content, &sig), "T{j}: cofactored accepts");
        assert!(!oracle(&pk, content, &sig), "T{j}: verify_strict rejects");
        assert!(!ours(&pk, content, &sig), "T{j}: vmls rejects");
    }
}

/// Small-order public keys (RFC 8032 does not forbid them; `verify_strict` does): a signature
/// under one can hold for almost any message. Rejected, also when even the cofactorless
/// equation holds, and also under their non-canonical encodings.
#[test]
fn weak_public_keys_are_rejected_like_verify_strict() {
    for j in 0..8 {
        let mut loose_accepted = false;
        for n in 0..64u8 {
            let content = [n; 5];
            let (pk, sig) = case(Kind::WeakKey, &[n], j, &content);
            assert!(cofactored(&pk, &content, &sig), "T{j}");
            loose_accepted |= loose(&pk, &content, &sig);
            assert!(!oracle(&pk, &content, &sig), "T{j}");
            assert!(!ours(&pk, &content, &sig), "T{j}");
            assert_eq!(
                verify_with_label(&pk, LABEL, &content, &sig),
                Err(Error::InvalidPublicKey)
            );
        }
        // Without the cofactor the forgery holds when [k]T = 0: ~1/ord(T) of the messages.
        assert!(loose_accepted, "T{j}: some forgery passes plain verify");
    }
    for enc in non_canonical_encodings() {
        let Some(p) = CompressedEdwardsY(enc).decompress() else {
            continue;
        };
        if !p.is_small_order() {
            continue;
        }
        let sig = forge(
            (ED25519_BASEPOINT_POINT * scalar(b"r"))
                .compress()
                .to_bytes(),
            scalar(b"r"),
            Scalar::ZERO,
            &enc,
            b"m",
        );
        assert!(!oracle(&enc, b"m", &sig));
        assert!(!ours(&enc, b"m", &sig));
    }
}

/// R of small order with `S = k a`: cofactored holds for all eight, plain verification for the
/// identity; the strict verifier and vmls reject all eight.
#[test]
fn small_order_r_is_rejected_like_verify_strict() {
    for j in 0..8 {
        let content = b"small R";
        let (pk, sig) = case(Kind::SmallOrderR, b"small", j, content);
        assert!(cofactored(&pk, content, &sig), "T{j}");
        assert_eq!(loose(&pk, content, &sig), j == 0, "T{j}");
        assert!(!oracle(&pk, content, &sig), "T{j}");
        assert!(!ours(&pk, content, &sig), "T{j}");
    }
}

/// Keys with a torsion component (not small order, so not "weak"): `verify_strict` accepts a
/// signature exactly when the torsion cancels in the cofactorless equation. vmls must accept
/// those too (or it would reject what OpenMLS accepts) and reject the others.
#[test]
fn keys_with_torsion_follow_verify_strict_both_ways() {
    for j in 1..8 {
        let (mut accepted, mut rejected) = (0, 0);
        for n in 0..64u8 {
            // j + 8 i: key torsion T_j, nonce torsion T_i.
            for i in 0..8 {
                let content = [n, i as u8];
                let (pk, sig) = case(Kind::MixedKey, &[n], j + 8 * i, &content);
                assert!(cofactored(&pk, &content, &sig));
                let strict = oracle(&pk, &content, &sig);
                assert_eq!(ours(&pk, &content, &sig), strict, "T{j} T{i} n{n}");
                if strict {
                    accepted += 1;
                } else {
                    rejected += 1;
                }
            }
        }
        assert!(
            accepted > 0 && rejected > 0,
            "T{j}: {accepted} / {rejected}"
        );
    }
}

#[test]
fn non_canonical_s_is_rejected() {
    for n in 0..16u8 {
        let (pk, sig) = case(Kind::NonCanonicalS, &[n], 0, b"c");
        assert!(!oracle(&pk, b"c", &sig));
        assert!(!ours(&pk, b"c", &sig));
        assert_eq!(
            verify_with_label(&pk, LABEL, b"c", &sig),
            Err(Error::InvalidSignature)
        );
    }
}

/// Every non-canonical encoding as R and as A: vmls answers as `verify_strict` does (a
/// non-canonical R never equals the recomputed, canonical one; a non-canonical A that decodes to
/// a point of large order is accepted as a key by both, its signatures cannot be forged).
#[test]
fn non_canonical_encodings_follow_verify_strict() {
    let n = non_canonical_encodings().len();
    for j in 0..2 * n {
        for kind in [Kind::NonCanonicalR, Kind::NonCanonicalA] {
            let (pk, sig) = case(kind, b"nc", j, b"content");
            let strict = oracle(&pk, b"content", &sig);
            assert_eq!(ours(&pk, b"content", &sig), strict, "{kind:?} {j}");
            assert!(!strict);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Random cases of every kind: vmls and `verify_strict` give the same verdict.
    #[test]
    fn agrees_with_verify_strict(
        kind in 0..KINDS.len(),
        seed in any::<[u8; 8]>(),
        j in 0usize..1024,
        content in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let (pk, sig) = case(KINDS[kind], &seed, j, &content);
        prop_assert_eq!(ours(&pk, &content, &sig), oracle(&pk, &content, &sig));
    }
}

#[test]
fn parts_sign_the_concatenation() {
    let kp = SignatureKeyPair::generate(&mut SeededPrng::from_seed([3; 32]));
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
