//! `ExpandWithLabel(secret, "CBST", context, L)` for the four fixed contexts of the CBST,
//! computed as the single HMAC block it is (HKDF-Expand with `L <= Nh` is
//! `HMAC(secret, KDFLabel || 0x01)`), with the encoded `KDFLabel` prepared at compile time.
//!
//! This is the hot path of every CBAM (256 levels per message), so HMAC-SHA256 (RFC 2104) is
//! computed directly on the SHA-256 compression function: four compressions per level, the
//! keyed states shared by both children of a node, nothing on the heap. Intermediate hash
//! states live on the stack like those of the `hmac` crate; the node secrets themselves are
//! zeroized by the caller. The test below checks this against the generic `ExpandWithLabel`
//! (HKDF on the `hmac` crate).
use sha2::block_api::compress256;
use vmls_crypto::NH;

/// `KDFLabel { uint16 length; opaque label<V> = "MLS 1.0 CBST"; opaque context<V>; } || 0x01`.
// Evaluated only in constants: an out-of-range index is a compile error, not a panic.
#[allow(clippy::indexing_slicing)]
const fn kdf_label<const N: usize>(length: u16, context: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let label = b"MLS 1.0 CBST";
    out[0] = (length >> 8) as u8;
    out[1] = length as u8;
    out[2] = label.len() as u8;
    let mut i = 0;
    while i < label.len() {
        out[3 + i] = label[i];
        i += 1;
    }
    let at = 3 + label.len();
    out[at] = context.len() as u8;
    let mut j = 0;
    while j < context.len() {
        out[at + 1 + j] = context[j];
        j += 1;
    }
    out[at + 1 + context.len()] = 0x01;
    out
}

const LEFT: [u8; 21] = kdf_label::<21>(NH as u16, b"left");
const RIGHT: [u8; 22] = kdf_label::<22>(NH as u16, b"right");
const NONCE: [u8; 22] = kdf_label::<22>(vmls_crypto::NONCE_LEN as u16, b"nonce");

/// `KDFLabel || 0x01` for `ExpandWithLabel(., "CBST", "key", key_len)`.
fn key_label(key_len: usize) -> [u8; 20] {
    // `key_len` is AEAD.Nk (16 or 32), so the u16 cast is exact.
    let mut l = kdf_label::<20>(0, b"key");
    let len = (key_len as u16).to_be_bytes();
    l[0] = len[0];
    l[1] = len[1];
    l
}

/// SHA-256 initial state (FIPS 180-4 section 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// HMAC-SHA256 keyed with a 32-byte node secret: the SHA-256 states after the `ipad` and
/// `opad` blocks (RFC 2104), shared by both children of a node.
struct Keyed {
    inner: [u32; 8],
    outer: [u32; 8],
}

fn keyed(secret: &[u8; NH]) -> Keyed {
    let mut block = [0x36u8; 64];
    for (b, k) in block.iter_mut().zip(secret) {
        *b ^= k;
    }
    let mut inner = IV;
    compress256(&mut inner, core::slice::from_ref(&block));
    for b in block.iter_mut() {
        // key ^ ipad -> key ^ opad.
        *b ^= 0x36 ^ 0x5c;
    }
    let mut outer = IV;
    compress256(&mut outer, core::slice::from_ref(&block));
    Keyed { inner, outer }
}

/// The last block of a SHA-256 message whose first block was the key block and whose tail is
/// `tail` (at most 55 bytes: every CBST label is 20-22 bytes, an inner hash 32).
fn last_block(tail: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    let n = tail.len().min(55);
    if let (Some(dst), Some(src)) = (block.get_mut(..n), tail.get(..n)) {
        dst.copy_from_slice(src);
    }
    if let Some(b) = block.get_mut(n) {
        *b = 0x80;
    }
    let bits = ((64 + n) as u64 * 8).to_be_bytes();
    if let Some(dst) = block.get_mut(56..) {
        dst.copy_from_slice(&bits);
    }
    block
}

fn state_bytes(state: &[u32; 8]) -> [u8; NH] {
    let mut out = [0u8; NH];
    for (chunk, w) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// HMAC(key, info) for `info` of at most 55 bytes: two compressions after the key setup.
fn finish(k: &Keyed, info: &[u8]) -> [u8; NH] {
    let mut inner = k.inner;
    compress256(&mut inner, core::slice::from_ref(&last_block(info)));
    let mut outer = k.outer;
    compress256(
        &mut outer,
        core::slice::from_ref(&last_block(&state_bytes(&inner))),
    );
    state_bytes(&outer)
}

/// `(left(N), right(N))`.
pub(crate) fn children(secret: &[u8; NH]) -> ([u8; NH], [u8; NH]) {
    let k = keyed(secret);
    (finish(&k, &LEFT), finish(&k, &RIGHT))
}

/// `left(N)` if `bit` is 0, else `right(N)`.
pub(crate) fn child(secret: &[u8; NH], bit: bool) -> [u8; NH] {
    finish(&keyed(secret), if bit { &RIGHT } else { &LEFT })
}

/// `aead_key[C]` (`key_len` bytes, at most Nh) into `key`, and `aead_nonce[C]`.
pub(crate) fn key_and_nonce(
    secret: &[u8; NH],
    key_len: usize,
    key: &mut [u8; NH],
    nonce: &mut [u8; vmls_crypto::NONCE_LEN],
) {
    let m = keyed(secret);
    let k = finish(&m, &key_label(key_len));
    let n = finish(&m, &NONCE);
    key.copy_from_slice(&k);
    nonce.copy_from_slice(n.get(..vmls_crypto::NONCE_LEN).unwrap_or(&[0; 12]));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The precomputed labels give what the generic `ExpandWithLabel` gives.
    #[test]
    fn matches_expand_with_label() {
        let s = [7u8; NH];
        let (l, r) = children(&s);
        let mut want = [0u8; NH];
        vmls_crypto::expand_with_label_into(&s, b"CBST", b"left", &mut want).unwrap();
        assert_eq!(l, want);
        vmls_crypto::expand_with_label_into(&s, b"CBST", b"right", &mut want).unwrap();
        assert_eq!(r, want);
        for key_len in [16usize, 32] {
            let (mut k, mut n) = ([0u8; NH], [0u8; 12]);
            key_and_nonce(&s, key_len, &mut k, &mut n);
            let mut wk = [0u8; NH];
            vmls_crypto::expand_with_label_into(&s, b"CBST", b"key", &mut wk[..key_len]).unwrap();
            assert_eq!(k[..key_len], wk[..key_len]);
            let mut wn = [0u8; 12];
            vmls_crypto::expand_with_label_into(&s, b"CBST", b"nonce", &mut wn).unwrap();
            assert_eq!(n, wn);
        }
    }
}
