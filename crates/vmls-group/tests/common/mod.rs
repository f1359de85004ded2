//! Fixtures shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use vmls_codec::{Decode, Encode, OpaqueArray, VLBytes};
use vmls_crypto::{HpkeKeyPair, SeededPrng, SignatureKeyPair, generate_hpke_key_pair};
use vmls_group::{KeyPackage, KeyPackageTBS, ProtocolVersion};
use vmls_keyschedule::GroupContext;
use vmls_tree::{Capabilities, Credential, LeafNode, LeafNodeContent, LeafNodeSource, Lifetime};

pub fn rng(seed: u8) -> SeededPrng {
    SeededPrng::from_seed([seed; 32])
}

/// A deterministic RNG keyed by a 64-bit seed (conversation tests number their steps).
pub fn rng64(seed: u64) -> SeededPrng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    SeededPrng::from_seed(s)
}

/// Basic-credential KeyPackage parameters that never expire.
pub fn params(name: &str) -> vmls_group::group::KeyPackageParams {
    vmls_group::group::KeyPackageParams::basic(
        name.as_bytes(),
        Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        },
    )
}

pub fn context(epoch: u64) -> GroupContext {
    GroupContext {
        version: 1,
        cipher_suite: 3,
        group_id: VLBytes::from(&b"group-one"[..]),
        epoch,
        tree_hash: VLBytes::from(&[0x22u8; 32][..]),
        confirmed_transcript_hash: VLBytes::from(&[0x33u8; 32][..]),
        extensions: Vec::new(),
    }
}

/// A KeyPackage leaf signed by `sig`.
pub fn key_package_leaf(sig: &SignatureKeyPair, encryption: &HpkeKeyPair) -> LeafNode {
    let content = LeafNodeContent {
        encryption_key: OpaqueArray(encryption.public),
        signature_key: OpaqueArray(sig.public),
        credential: Credential::Basic(VLBytes::from(&b"member"[..])),
        capabilities: Capabilities {
            versions: vec![1],
            cipher_suites: vec![3],
            extensions: vec![],
            proposals: vec![],
            credentials: vec![1],
        }
        .into(),
        leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        }),
        extensions: vec![],
    };
    LeafNode::sign(content, &sig.private, None).unwrap()
}

/// A signed KeyPackage and its private keys (signature, init).
pub struct Joiner {
    pub key_package: KeyPackage,
    pub signature: SignatureKeyPair,
    pub init: HpkeKeyPair,
}

pub fn joiner(seed: u8) -> Joiner {
    let mut r = rng(seed);
    let signature = SignatureKeyPair::generate(&mut r);
    let init = generate_hpke_key_pair(&mut r).unwrap();
    let leaf_keys = generate_hpke_key_pair(&mut r).unwrap();
    let tbs = KeyPackageTBS {
        version: ProtocolVersion::MLS10,
        cipher_suite: 3,
        init_key: OpaqueArray(init.public),
        leaf_node: key_package_leaf(&signature, &leaf_keys),
        extensions: vec![],
    };
    Joiner {
        key_package: tbs.sign(&signature.private).unwrap(),
        signature,
        init,
    }
}

/// Every strict prefix of `bytes` fails to decode, and so does `bytes` plus one byte.
pub fn assert_truncation_and_trailing_rejected<T: Decode + Encode + std::fmt::Debug>(bytes: &[u8]) {
    for i in 0..bytes.len() {
        assert!(
            T::decode_exact(&bytes[..i]).is_err(),
            "prefix of {i} of {} bytes decoded",
            bytes.len()
        );
    }
    let mut long = bytes.to_vec();
    long.push(0);
    assert_eq!(
        T::decode_exact(&long).unwrap_err(),
        vmls_codec::Error::TrailingBytes(1)
    );
    let v = T::decode_exact(bytes).unwrap();
    assert_eq!(v.to_bytes().unwrap(), bytes);
}

/// `SignWithLabel(key, label, content)` computed by the RFC 8032 5.1.6 equations for the key
/// with this seed, except that the nonce point is `R = [r]B + T` with `T` of order 8: the
/// cofactored equation of RFC 8032 5.1.7 holds, ed25519-dalek's `verify_strict` (OpenMLS)
/// rejects it. Asserts both, so a test using it shows what a strict verifier does.
pub fn torsion_signature(seed: &[u8; 32], label: &[u8], content: &[u8]) -> [u8; 64] {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::IsIdentity;
    use sha2::{Digest, Sha512};
    let mut msg = Vec::new();
    vmls_codec::encode_opaque(&mut msg, &[b"MLS 1.0 ".as_slice(), label].concat()).unwrap();
    vmls_codec::encode_opaque(&mut msg, content).unwrap();
    let h = Sha512::digest(seed);
    let mut a_bytes: [u8; 32] = h[..32].try_into().unwrap();
    a_bytes[0] &= 248;
    a_bytes[31] &= 127;
    a_bytes[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a_bytes);
    let key = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    assert_eq!(
        (ED25519_BASEPOINT_POINT * a).compress().to_bytes(),
        key.to_bytes()
    );
    let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(&msg).into());
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
    let mut k = Sha512::new();
    k.update(big_r.as_bytes());
    k.update(key.as_bytes());
    k.update(&msg);
    let k = Scalar::from_bytes_mod_order_wide(&k.finalize().into());
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(big_r.as_bytes());
    sig[32..].copy_from_slice(s.as_bytes());
    let r_point = big_r.decompress().unwrap();
    assert!(
        (ED25519_BASEPOINT_POINT * s - key.to_edwards() * k - r_point)
            .mul_by_cofactor()
            .is_identity()
    );
    assert!(
        key.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_err()
    );
    sig
}
