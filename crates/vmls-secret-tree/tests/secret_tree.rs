//! Secret-tree behaviour: keys against a direct step-by-step derivation of RFC 9420 section 9,
//! the out-of-order window, the deletion schedule and persistence.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use vmls_codec::{Decode, Encode};
use vmls_crypto::{Mls128ChaCha, Secret, derive_tree_secret, expand_with_label};
use vmls_secret_tree::*;

type Tree = SecretTree<Mls128ChaCha>;
const ROOT: [u8; 32] = [0x5a; 32];

/// The RFC's derivation written out: the leaf secret of `leaf` in a tree of `2^depth` leaves
/// (path bits most significant first, 0 = left), the ratchet base, then `generation` steps.
fn expected(depth: u32, leaf: u32, kind: RatchetType, generation: u32) -> ([u8; 32], [u8; 12]) {
    let mut node = Secret::from_bytes(ROOT);
    for bit in (0..depth).rev() {
        let side: &[u8] = if (leaf >> bit) & 1 == 1 {
            b"right"
        } else {
            b"left"
        };
        node = expand_with_label(node.as_bytes(), b"tree", side).unwrap();
    }
    let label: &[u8] = match kind {
        RatchetType::Handshake => b"handshake",
        RatchetType::Application => b"application",
    };
    let mut secret = expand_with_label(node.as_bytes(), label, b"").unwrap();
    for j in 0..generation {
        let mut next = [0u8; 32];
        derive_tree_secret(secret.as_bytes(), b"secret", j, &mut next).unwrap();
        secret = Secret::from_bytes(next);
    }
    let (mut key, mut nonce) = ([0u8; 32], [0u8; 12]);
    derive_tree_secret(secret.as_bytes(), b"key", generation, &mut key).unwrap();
    derive_tree_secret(secret.as_bytes(), b"nonce", generation, &mut nonce).unwrap();
    (key, nonce)
}

fn assert_key(kn: &KeyNonce<Mls128ChaCha>, depth: u32, leaf: u32, kind: RatchetType, g: u32) {
    let (key, nonce) = expected(depth, leaf, kind, g);
    assert_eq!(kn.key(), key, "key of leaf {leaf} {kind:?} generation {g}");
    assert_eq!(
        kn.nonce(),
        &nonce,
        "nonce of leaf {leaf} {kind:?} generation {g}"
    );
}

fn tree(n: u32, config: SecretTreeConfig) -> Tree {
    Tree::with_config(Secret::from_bytes(ROOT), n, config).unwrap()
}

const APP: RatchetType = RatchetType::Application;
const HS: RatchetType = RatchetType::Handshake;

#[test]
fn in_order_sending_follows_the_rfc_derivation() {
    let mut t = tree(8, SecretTreeConfig::DEFAULT);
    for g in 0..5 {
        let (gen_, kn) = t.next_send_key(3, APP).unwrap();
        assert_eq!(gen_, g);
        assert_key(&kn, 3, 3, APP, g);
    }
    let (g, kn) = t.next_send_key(3, HS).unwrap();
    assert_eq!(g, 0);
    assert_key(&kn, 3, 3, HS, 0);
    assert_eq!(t.next_generation(3, APP).unwrap(), 5);
    assert_eq!(t.retained_keys(3, APP).unwrap(), 0);
}

#[test]
fn out_of_order_within_the_window() {
    let mut t = tree(4, SecretTreeConfig::DEFAULT);
    assert_key(&t.take_key(2, APP, 5).unwrap(), 2, 2, APP, 5);
    assert_eq!(t.retained_keys(2, APP).unwrap(), 5);
    for g in [2, 0, 4, 1, 3] {
        assert_key(&t.take_key(2, APP, g).unwrap(), 2, 2, APP, g);
    }
    assert_eq!(t.retained_keys(2, APP).unwrap(), 0);
    assert_key(&t.take_key(2, APP, 6).unwrap(), 2, 2, APP, 6);
    // The other ratchet and the other leaves are untouched.
    assert_key(&t.take_key(2, HS, 0).unwrap(), 2, 2, HS, 0);
    assert_key(&t.take_key(0, APP, 0).unwrap(), 2, 0, APP, 0);
}

#[test]
fn consumed_generation_is_an_error() {
    let mut t = tree(4, SecretTreeConfig::DEFAULT);
    t.take_key(1, APP, 3).unwrap();
    t.take_key(1, APP, 1).unwrap();
    for g in [1, 3] {
        assert_eq!(
            t.take_key(1, APP, g),
            Err(SecretTreeError::GenerationConsumed {
                leaf: 1,
                ratchet: APP,
                generation: g,
                current: 4,
            })
        );
        assert!(t.peek_key(1, APP, g).is_err());
    }
    // Sending: a generation handed out is never handed out again.
    let (g, _) = t.next_send_key(0, HS).unwrap();
    assert!(matches!(
        t.peek_key(0, HS, g),
        Err(SecretTreeError::GenerationConsumed { .. })
    ));
    assert_eq!(t.next_send_key(0, HS).unwrap().0, g + 1);
}

#[test]
fn too_far_ahead_is_an_error_and_changes_nothing() {
    let cfg = SecretTreeConfig {
        max_forward_distance: 10,
        max_retained_keys: 64,
    };
    let mut t = tree(2, cfg);
    let before = t.to_bytes().unwrap();
    assert_eq!(
        t.take_key(1, APP, 11),
        Err(SecretTreeError::TooFarAhead {
            leaf: 1,
            ratchet: APP,
            generation: 11,
            current: 0,
            max_forward: 10,
        })
    );
    assert!(t.peek_key(1, APP, 11).is_err());
    assert_eq!(
        t.to_bytes().unwrap(),
        before,
        "a rejected message changed the state"
    );
    // Exactly at the bound is accepted; the window then moves with the ratchet.
    assert_key(&t.take_key(1, APP, 10).unwrap(), 1, 1, APP, 10);
    assert_key(&t.take_key(1, APP, 21).unwrap(), 1, 1, APP, 21);
    assert!(matches!(
        t.take_key(1, APP, 33),
        Err(SecretTreeError::TooFarAhead { current: 22, .. })
    ));
}

#[test]
fn retained_keys_are_bounded_and_the_oldest_dropped() {
    let cfg = SecretTreeConfig {
        max_forward_distance: 1000,
        max_retained_keys: 3,
    };
    let mut t = tree(2, cfg);
    t.take_key(0, APP, 10).unwrap();
    assert_eq!(t.retained_keys(0, APP).unwrap(), 3);
    assert!(matches!(
        t.take_key(0, APP, 6),
        Err(SecretTreeError::GenerationConsumed { generation: 6, .. })
    ));
    t.take_key(0, APP, 15).unwrap();
    // Held now: 7, 8, 9 and 11..14 trimmed to the newest three: 12, 13, 14.
    assert_eq!(t.retained_keys(0, APP).unwrap(), 3);
    for g in [7, 8, 9, 11] {
        assert!(
            t.peek_key(0, APP, g).is_err(),
            "generation {g} should be gone"
        );
    }
    for g in [12, 13, 14] {
        assert_key(&t.take_key(0, APP, g).unwrap(), 1, 0, APP, g);
    }
    // With no retention at all, nothing skipped survives.
    let mut t = tree(
        2,
        SecretTreeConfig {
            max_forward_distance: 1000,
            max_retained_keys: 0,
        },
    );
    t.take_key(1, HS, 4).unwrap();
    assert_eq!(t.retained_keys(1, HS).unwrap(), 0);
    assert!(t.take_key(1, HS, 3).is_err());
    // Lowering the bound later trims the retained keys.
    let mut t = tree(2, SecretTreeConfig::DEFAULT);
    t.take_key(1, HS, 20).unwrap();
    assert_eq!(t.retained_keys(1, HS).unwrap(), 20);
    t.set_config(cfg);
    assert_eq!(t.retained_keys(1, HS).unwrap(), 3);
    assert_key(&t.take_key(1, HS, 19).unwrap(), 1, 1, HS, 19);
    assert!(t.take_key(1, HS, 16).is_err());
}

#[test]
fn peek_then_consume_is_transactional() {
    let mut t = tree(4, SecretTreeConfig::DEFAULT);
    let before = t.to_bytes().unwrap();
    let k = t.peek_key(3, APP, 2).unwrap();
    assert_key(&k, 2, 3, APP, 2);
    assert_eq!(t.to_bytes().unwrap(), before, "peek changed the state");
    t.consume_key(3, APP, 2).unwrap();
    assert!(t.peek_key(3, APP, 2).is_err());
    assert_key(&t.peek_key(3, APP, 0).unwrap(), 2, 3, APP, 0);
    t.consume_key(3, APP, 0).unwrap();
    assert!(t.consume_key(3, APP, 0).is_err());
}

#[test]
fn deleted_secrets_are_not_in_the_state() {
    // After taking generation 3 of leaf 0, the persisted state must not contain the root, the
    // path secrets, the leaf secret, the ratchet secrets 0..=3, or the key of generation 3.
    let mut t = tree(4, SecretTreeConfig::DEFAULT);
    t.take_key(0, APP, 3).unwrap();
    let blob = t.to_bytes().unwrap();
    let contains = |needle: &[u8]| blob.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&ROOT), "encryption_secret kept");
    let left = expand_with_label(&ROOT, b"tree", b"left").unwrap();
    assert!(!contains(left.as_bytes()), "consumed tree node kept");
    let leaf0 = expand_with_label(left.as_bytes(), b"tree", b"left").unwrap();
    assert!(!contains(leaf0.as_bytes()), "consumed leaf secret kept");
    let base = expand_with_label(leaf0.as_bytes(), b"application", b"").unwrap();
    assert!(!contains(base.as_bytes()), "consumed ratchet secret kept");
    let (key3, _) = expected(2, 0, APP, 3);
    assert!(!contains(&key3), "consumed key kept");
    // Unconsumed values are kept: the sibling subtree, leaf 1, the skipped key of generation 0.
    let right = expand_with_label(&ROOT, b"tree", b"right").unwrap();
    assert!(contains(right.as_bytes()));
    let leaf1 = expand_with_label(left.as_bytes(), b"tree", b"right").unwrap();
    assert!(contains(leaf1.as_bytes()));
    let (key0, _) = expected(2, 0, APP, 0);
    assert!(contains(&key0));
}

#[test]
fn state_round_trips_and_continues_identically() {
    let mut t = tree(5, SecretTreeConfig::DEFAULT);
    t.take_key(0, APP, 4).unwrap();
    t.take_key(0, APP, 1).unwrap();
    t.next_send_key(4, HS).unwrap();
    t.take_key(2, HS, 7).unwrap();
    let blob = t.to_bytes().unwrap();
    assert_eq!(blob.len(), t.encoded_len());
    let mut back = Tree::decode_exact(&blob).unwrap();
    assert_eq!(back.to_bytes().unwrap(), blob);
    assert_eq!(back.n_leaves(), 5);
    assert_eq!(back.config(), &SecretTreeConfig::DEFAULT);
    // Consumed stays consumed; retained stays retained; the rest continues as before.
    assert!(back.take_key(0, APP, 1).is_err());
    assert!(back.take_key(0, APP, 4).is_err());
    for (leaf, kind, g) in [
        (0, APP, 2),
        (0, APP, 5),
        (4, HS, 1),
        (2, HS, 3),
        (3, APP, 0),
    ] {
        let a = t.take_key(leaf, kind, g).unwrap();
        let b = back.take_key(leaf, kind, g).unwrap();
        assert_eq!(a, b);
        assert_key(&b, 3, leaf, kind, g);
    }
}

#[test]
fn decoding_rejects_inconsistent_states() {
    let mut t = tree(4, SecretTreeConfig::DEFAULT);
    t.take_key(1, APP, 2).unwrap();
    let blob = t.to_bytes().unwrap();
    // Truncations never decode.
    for cut in 0..blob.len() {
        assert!(Tree::decode_exact(&blob[..cut]).is_err(), "cut at {cut}");
    }
    // Another cipher suite's state is refused.
    let mut other = blob.clone();
    other[1] = 1;
    assert!(Tree::decode_exact(&other).is_err());
    // A leaf count that does not match the stored tree.
    let mut wrong = blob.clone();
    wrong[5] = 9;
    assert!(Tree::decode_exact(&wrong).is_err());
    // A retained-key bound below the keys held.
    let mut tight = blob.clone();
    tight[10..14].copy_from_slice(&1u32.to_be_bytes());
    assert!(Tree::decode_exact(&tight).is_err());
}

#[test]
fn leaf_count_and_range() {
    assert!(Tree::new(Secret::zero(), 0).is_err());
    assert!(Tree::new(Secret::zero(), MAX_LEAVES + 1).is_err());
    let mut t = tree(3, SecretTreeConfig::DEFAULT);
    assert_eq!(
        t.take_key(3, APP, 0),
        Err(SecretTreeError::LeafOutOfRange {
            leaf: 3,
            n_leaves: 3
        })
    );
    // Three leaves live in the four-leaf tree.
    assert_key(&t.take_key(2, APP, 0).unwrap(), 2, 2, APP, 0);
    let mut one = tree(1, SecretTreeConfig::DEFAULT);
    assert_key(&one.take_key(0, HS, 0).unwrap(), 0, 0, HS, 0);
}

#[test]
fn reuse_guard_xors_the_first_four_bytes() {
    let nonce = [0xF0u8; 12];
    let guarded = apply_reuse_guard(&nonce, &[0x0F, 0xF0, 0x00, 0xFF]);
    assert_eq!(
        guarded,
        [
            0xFF, 0x00, 0xF0, 0x0F, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0
        ]
    );
    let kn = KeyNonce::<Mls128ChaCha>::from_parts([1; 32], nonce);
    assert_eq!(kn.guarded_nonce(&[0x0F, 0xF0, 0x00, 0xFF]), guarded);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Tree::decode_exact(&bytes);
            let _ = LazySecretTree::decode_exact(&bytes);
        }

        /// Any order of receiving generations 0..n gives the RFC keys, each exactly once.
        #[test]
        fn any_delivery_order_within_the_window(order in Just((0u32..12).collect::<Vec<_>>()).prop_shuffle()) {
            let mut t = tree(2, SecretTreeConfig::DEFAULT);
            for &g in &order {
                let kn = t.take_key(1, APP, g).unwrap();
                let (key, nonce) = expected(1, 1, APP, g);
                prop_assert_eq!(kn.key(), &key[..]);
                prop_assert_eq!(kn.nonce(), &nonce);
            }
            for g in 0..12 {
                prop_assert!(t.peek_key(1, APP, g).is_err());
            }
            prop_assert_eq!(t.retained_keys(1, APP).unwrap(), 0);
        }
    }
}
