//! Ed25519 verification with the cofactored group equation of RFC 8032 section 5.1.7,
//! `[8][S]B = [8]R + [8][k]A'`, one signature at a time or as a batch.
//!
//! Why our own verification instead of ed25519-dalek's: dalek's single verification is
//! cofactorless, and its batch verification can accept a crafted signature (a small-order
//! component in R) that the single check rejects. Members verifying a tree in batches and members
//! verifying one by one could then disagree on whether the tree is valid. Here single and batch
//! verification check the same (cofactored) equation, which is the one RFC 8032 states, so they
//! agree except with probability about 2^-125 (a batch of invalid signatures slipping through).
//! See docs/spec-decisions.md.
use alloc::vec::Vec;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::Error;

/// One signature, decoded and hashed, ready for the group equation.
pub(crate) struct Prepared {
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
    /// `R || A || S`, bound into the batch randomizers.
    transcript: [u8; 96],
}

/// Whether a 32-byte point encoding is canonical (y < p = 2^255 - 19; RFC 8032 5.1.3 step 1).
fn canonical_y(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    // y >= p exactly when y is 2^255 - 19 .. 2^255 - 1: 0xed..0xff, then 30 bytes 0xff, then 0x7f.
    let (first, rest) = y.split_first().unwrap_or((&0, &[]));
    let all_ff = rest.iter().take(30).all(|b| *b == 0xff) && rest.last() == Some(&0x7f);
    !(all_ff && *first >= 0xed)
}

fn decompress(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !canonical_y(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// Decodes the key and signature and computes `k = SHA-512(R || A || M) mod l` over the message
/// given in pieces.
pub(crate) fn prepare(
    public: &[u8],
    message: &[&[u8]],
    signature: &[u8],
) -> Result<Prepared, Error> {
    let public: &[u8; 32] = public.try_into().map_err(|_| Error::InvalidPublicKey)?;
    let a = decompress(public).ok_or(Error::InvalidPublicKey)?;
    let signature: &[u8; 64] = signature.try_into().map_err(|_| Error::InvalidSignature)?;
    let (r_bytes, s_bytes) = signature.split_at(32);
    let r_bytes: [u8; 32] = r_bytes.try_into().map_err(|_| Error::InvalidSignature)?;
    let s_bytes: [u8; 32] = s_bytes.try_into().map_err(|_| Error::InvalidSignature)?;
    let r = decompress(&r_bytes).ok_or(Error::InvalidSignature)?;
    // RFC 8032 5.1.7 step 1: S must be in range 0 <= S < L.
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
        .ok_or(Error::InvalidSignature)?;
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(public);
    for part in message {
        h.update(part);
    }
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let mut transcript = [0u8; 96];
    let (t_r, rest) = transcript.split_at_mut(32);
    let (t_a, t_s) = rest.split_at_mut(32);
    t_r.copy_from_slice(&r_bytes);
    t_a.copy_from_slice(public);
    t_s.copy_from_slice(&s_bytes);
    Ok(Prepared {
        a,
        r,
        s,
        k,
        transcript,
    })
}

/// Checks `[8]([S]B - [k]A - R) = 0`.
pub(crate) fn verify_prepared(p: &Prepared) -> Result<(), Error> {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &(-p.a), &p.s);
    if (sb_minus_ka - p.r).mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(Error::InvalidSignature)
    }
}

/// Checks many signatures at once with the cofactored equation and random linear combination:
/// `[8](-(sum z_i S_i) B + sum z_i R_i + sum (z_i k_i) A_i) = 0`.
///
/// The 128-bit randomizers `z_i` are derived from a hash of every signature, key and `k_i`
/// (so every message), which an attacker cannot steer after choosing its signatures; the
/// result is deterministic, as everything else in vmls is given its inputs.
pub(crate) fn verify_batch(items: &[Prepared]) -> Result<(), Error> {
    match items {
        [] => return Ok(()),
        [one] => return verify_prepared(one),
        _ => {}
    }
    let mut seed = Sha512::new();
    seed.update(b"vmls ed25519 batch");
    for p in items {
        seed.update(p.transcript);
        seed.update(p.k.as_bytes());
    }
    let seed = seed.finalize();
    let mut b_coeff = Scalar::ZERO;
    let mut scalars: Vec<Scalar> = Vec::with_capacity(1 + 2 * items.len());
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(1 + 2 * items.len());
    scalars.push(Scalar::ZERO);
    points.push(ED25519_BASEPOINT_POINT);
    for (i, p) in items.iter().enumerate() {
        let mut h = Sha512::new();
        h.update(seed);
        h.update((i as u64).to_be_bytes());
        let digest = h.finalize();
        let mut z_bytes = [0u8; 32];
        if let (Some(dst), Some(src)) = (z_bytes.get_mut(..16), digest.get(..16)) {
            dst.copy_from_slice(src);
        }
        let z = Scalar::from_bytes_mod_order(z_bytes);
        b_coeff -= z * p.s;
        scalars.push(z);
        points.push(p.r);
        scalars.push(z * p.k);
        points.push(p.a);
    }
    if let Some(first) = scalars.first_mut() {
        *first = b_coeff;
    }
    let sum = EdwardsPoint::vartime_multiscalar_mul(scalars.iter(), points.iter());
    if sum.mul_by_cofactor().is_identity() {
        Ok(())
    } else {
        Err(Error::InvalidSignature)
    }
}
