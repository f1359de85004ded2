//! Ed25519 verification with the *strict* rules of ed25519-dalek's
//! `VerifyingKey::verify_strict`, one signature at a time, over a message given in pieces.
//!
//! RFC 9420 section 5.1.2 defers to RFC 8032, whose section 5.1.7 allows two verification
//! equations (cofactored `[8][S]B = [8]R + [8][k]A'` or cofactorless `[S]B = R + [k]A'`), and
//! implementations also differ on small-order keys and points. Members of one group must agree on
//! every signature they all check, or a crafted signature splits the group: OpenMLS verifies with
//! `verify_strict`, so vmls accepts exactly what `verify_strict` accepts (docs/spec-decisions.md,
//! "Ed25519 verification semantics"). The rules, in `verify_strict`'s order:
//!
//! 1. `A` decodes with curve25519-dalek's decompression (`VerifyingKey::from_bytes`), `S` is
//!    canonical (`0 <= S < L`, RFC 8032 5.1.7 step 1) and `R` decodes;
//! 2. neither `R` nor `A` has small order (`A` is not a "weak" key);
//! 3. `[S]B - [k]A'`, compressed, equals the 32 bytes of `R` (cofactorless, and a non-canonical
//!    encoding of `R` never matches), with `k = SHA-512(R || A || M) mod L` over the bytes as
//!    given.
//!
//! Steps 1 (for `A` and `S`) and 3 are ed25519-dalek's own code (`verify_stream`, the same `R`
//! computation `verify_strict` uses), which takes the message in pieces, so the content is never
//! copied; step 2 and the decoding of `R` are the two checks `verify_strict` does before it.
//! `R` is checked by its encoding, without decompressing it (a field exponentiation saved per
//! signature): an `R` that does not decode can never equal the recomputed point's canonical
//! encoding in step 3, and the encodings that decode to a small-order point are exactly the 14
//! of [`SMALL_ORDER_Y`] (a point's encoding is `y` or `y + p` plus a sign bit).
//! `crates/vmls-crypto/tests/ed25519.rs` compares the result with `verify_strict` itself and
//! checks the table against curve25519-dalek's decompression.
//!
//! There is no batch verification: a randomized batch cannot check the cofactorless equation
//! soundly (an error term of small order survives a random linear combination with probability
//! up to 1/2), so it cannot give `verify_strict`'s answer (docs/spec-decisions.md).
use ed25519_dalek::{Signature, VerifyingKey};

use crate::Error;

/// The `y` encodings (sign bit cleared) of the 8 points of small order, canonical and not:
/// `y = 1` (the identity) and `y = 1 + p`, `y = p - 1` (order 2), `y = 0` and `y = p` (order 4),
/// and the two `y` of the four points of order 8. With either sign bit, these 14 strings are
/// every encoding curve25519-dalek decompresses to a point of small order (tested in
/// `tests/ed25519.rs`; the same list as libsodium's `ge25519_has_small_order`).
pub(crate) const SMALL_ORDER_Y: [[u8; 32]; 7] = [
    [
        0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0,
    ],
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [0; 32],
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// Whether `encoding` decompresses to a point of small order (see [`SMALL_ORDER_Y`]).
pub(crate) fn is_small_order_encoding(encoding: &[u8; 32]) -> bool {
    let mut y = *encoding;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    SMALL_ORDER_Y.contains(&y)
}

/// Verifies `signature` over `message[0] || message[1] || ...` under `public` with
/// `verify_strict` semantics (see the module documentation). A key that does not decode or has
/// small order is [`Error::InvalidPublicKey`]; everything else that fails is
/// [`Error::InvalidSignature`].
pub(crate) fn verify_strict(
    public: &[u8],
    message: &[&[u8]],
    signature: &[u8],
) -> Result<(), Error> {
    let public: &[u8; 32] = public.try_into().map_err(|_| Error::InvalidPublicKey)?;
    let key = VerifyingKey::from_bytes(public).map_err(|_| Error::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(Error::InvalidPublicKey);
    }
    let signature: &[u8; 64] = signature.try_into().map_err(|_| Error::InvalidSignature)?;
    let (r_bytes, _) = signature.split_at(32);
    let r_bytes: &[u8; 32] = r_bytes.try_into().map_err(|_| Error::InvalidSignature)?;
    if is_small_order_encoding(r_bytes) {
        return Err(Error::InvalidSignature);
    }
    let mut verifier = key
        .verify_stream(&Signature::from_bytes(signature))
        .map_err(|_| Error::InvalidSignature)?;
    for part in message {
        verifier.update(part);
    }
    verifier
        .finalize_and_verify()
        .map_err(|_| Error::InvalidSignature)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::edwards::CompressedEdwardsY;

    /// `y + p` for a 255-bit `y`, if it still fits in 255 bits (a non-canonical alias of `y`).
    fn plus_p(y: &[u8; 32]) -> Option<[u8; 32]> {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let t = u16::from(y[i]) + u16::from(p[i]) + carry;
            out[i] = t as u8;
            carry = t >> 8;
        }
        (carry == 0 && out[31] & 0x80 == 0).then_some(out)
    }

    /// The table is exactly the set of encodings that decompress to a small-order point: every
    /// entry does (with both sign bits), and every encoding of each of the 8 small-order points
    /// (its `y` or `y + p`, either sign bit) that decompresses is in the table.
    #[test]
    fn small_order_table_is_exact() {
        for y in SMALL_ORDER_Y {
            for sign in [0u8, 0x80] {
                let mut e = y;
                e[31] |= sign;
                let p = CompressedEdwardsY(e).decompress().unwrap();
                assert!(p.is_small_order());
                assert!(is_small_order_encoding(&e));
            }
        }
        let mut found: alloc::vec::Vec<[u8; 32]> = alloc::vec::Vec::new();
        for t in EIGHT_TORSION {
            let mut y = t.compress().to_bytes();
            y[31] &= 0x7f;
            for alias in [Some(y), plus_p(&y)].into_iter().flatten() {
                for sign in [0u8, 0x80] {
                    let mut e = alias;
                    e[31] |= sign;
                    if let Some(p) = CompressedEdwardsY(e).decompress() {
                        assert!(p.is_small_order());
                        assert!(is_small_order_encoding(&e), "{e:02x?}");
                        found.push(e);
                    }
                }
            }
        }
        // Every table entry with both sign bits is some small-order point's encoding.
        vmls_codec::sort::sort_unstable(&mut found);
        found.dedup();
        assert_eq!(found.len(), 2 * SMALL_ORDER_Y.len());
        // A point of large order is not in the table.
        let b = curve25519_dalek::constants::ED25519_BASEPOINT_COMPRESSED.to_bytes();
        assert!(!is_small_order_encoding(&b));
    }
}
