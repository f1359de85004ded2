//! The CBST against our vectors (`test-vectors/vmls/cbst.json`, `cbam.json`: written by the
//! independent Python generator `gen_cbst_cbam.py`) and the properties issue 16 lists: a used
//! challenge is never derivable again, two members derive equal keys, the order of receipt does
//! not matter, and the state stays bounded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use proptest::prelude::*;
use vmls_cbst::{
    CbstConfig, CbstError, ChallengeContext, ChallengeLevel, ChallengeSecretTree,
    GroupChallengeContext, derive_challenge,
};
use vmls_crypto::{Mls128ChaCha, Secret};

type Tree = ChallengeSecretTree<Mls128ChaCha>;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn load(name: &str) -> serde_json::Value {
    let p = format!(
        "{}/../../test-vectors/vmls/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn root(hex: &str) -> Secret {
    Secret::from_slice(&unhex(hex)).unwrap()
}

#[test]
fn cbst_vectors() {
    let v = load("cbst.json");
    let mut n = 0;
    for case in v["cases"].as_array().unwrap() {
        let mut tree = Tree::new(
            root(case["cbst_root"].as_str().unwrap()),
            CbstConfig::DEFAULT,
        )
        .unwrap();
        // A second tree checks key_for without puncturing, in reverse order.
        let fresh = tree.clone();
        let challenges = case["challenges"].as_array().unwrap();
        for c in challenges.iter().rev() {
            let k = fresh
                .key_for(&unhex(c["challenge"].as_str().unwrap()))
                .unwrap();
            assert_eq!(k.key(), unhex(c["key"].as_str().unwrap()));
        }
        let d = CbstConfig::DEFAULT.prune_depth as usize;
        let prefix =
            |c: &[u8]| -> Vec<bool> { (0..d).map(|i| c[i / 8] >> (7 - i % 8) & 1 == 1).collect() };
        let mut used: Vec<Vec<u8>> = Vec::new();
        for c in challenges {
            let ch = unhex(c["challenge"].as_str().unwrap());
            // The pinned pruning rule: a challenge whose first prune_depth bits equal a used
            // one's is lost (the vectors include such pairs on purpose).
            if used.iter().any(|u| prefix(u) == prefix(&ch)) {
                assert_eq!(
                    tree.derive(&ch).unwrap_err(),
                    CbstError::ChallengeUnavailable
                );
                continue;
            }
            used.push(ch.clone());
            let k = tree.derive(&ch).unwrap();
            assert_eq!(k.key(), unhex(c["key"].as_str().unwrap()));
            assert_eq!(k.nonce().as_slice(), unhex(c["nonce"].as_str().unwrap()));
            assert_eq!(
                tree.derive(&ch).unwrap_err(),
                CbstError::ChallengeUnavailable
            );
            n += 1;
        }
    }
    assert!(n >= 12);
}

#[test]
fn cbam_vectors_challenges_and_keys() {
    let v = load("cbam.json");
    for case in v["cases"].as_array().unwrap() {
        let levels: Vec<ChallengeLevel> = case["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| ChallengeLevel {
                leaf_index: l["leaf_index"].as_u64().unwrap() as u32,
                confirmation_tag: unhex(l["confirmation_tag"].as_str().unwrap())
                    .try_into()
                    .unwrap(),
            })
            .collect();
        let mut gcc = GroupChallengeContext::real(*levels.last().unwrap());
        for l in levels.iter().rev().skip(1) {
            gcc = GroupChallengeContext::virtual_sender(*l, &gcc).unwrap();
        }
        use vmls_codec::Encode;
        assert_eq!(
            gcc.to_bytes().unwrap(),
            unhex(case["group_challenge_context"].as_str().unwrap())
        );
        let app = unhex(case["application_context"].as_str().unwrap());
        let ctx = ChallengeContext {
            group_challenge_context: &gcc,
            generation: case["generation"].as_u64().unwrap() as u32,
            application_context: &app,
        };
        let challenge =
            derive_challenge(&unhex(case["challenge_seed"].as_str().unwrap()), &ctx).unwrap();
        assert_eq!(
            challenge.to_vec(),
            unhex(case["challenge"].as_str().unwrap())
        );
        let tree = Tree::new(
            root(case["cbst_root"].as_str().unwrap()),
            CbstConfig::DEFAULT,
        )
        .unwrap();
        let k = tree.key_for(&challenge).unwrap();
        assert_eq!(k.key(), unhex(case["key"].as_str().unwrap()));
        assert_eq!(k.nonce().as_slice(), unhex(case["nonce"].as_str().unwrap()));
    }
}

#[test]
fn nesting_is_bounded() {
    let l = ChallengeLevel {
        leaf_index: 1,
        confirmation_tag: [0; 32],
    };
    let mut g = GroupChallengeContext::real(l);
    for _ in 1..vmls_cbst::MAX_CHALLENGE_LEVELS {
        g = GroupChallengeContext::virtual_sender(l, &g).unwrap();
    }
    assert_eq!(
        GroupChallengeContext::virtual_sender(l, &g).unwrap_err(),
        CbstError::TooManyLevels
    );
}

#[test]
fn a_wrong_length_challenge_is_a_typed_error_and_changes_nothing() {
    let mut t = Tree::new(Secret::from_bytes([1; 32]), CbstConfig::DEFAULT).unwrap();
    let before = vmls_codec::Encode::to_bytes(&t).unwrap();
    assert_eq!(
        t.derive(&[0; 31]).unwrap_err(),
        CbstError::InvalidChallengeLength(31)
    );
    assert_eq!(vmls_codec::Encode::to_bytes(&t).unwrap(), before);
}

#[test]
fn config_ranges() {
    for (d, m) in [(0u8, 100u32), (65, 100), (32, 31)] {
        let c = CbstConfig {
            prune_depth: d,
            max_nodes: m,
        };
        assert_eq!(
            Tree::new(Secret::from_bytes([1; 32]), c).unwrap_err(),
            CbstError::InvalidConfig
        );
    }
}

fn blob(t: &Tree) -> Vec<u8> {
    vmls_codec::Encode::to_bytes(t).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A used challenge is never derivable again, and failing to use it changes nothing.
    #[test]
    fn a_punctured_challenge_is_gone(root in any::<[u8; 32]>(), cs in prop::collection::vec(any::<[u8; 32]>(), 1..12)) {
        let mut t = Tree::new(Secret::from_bytes(root), CbstConfig::DEFAULT).unwrap();
        for c in &cs {
            if t.derive(c).is_err() {
                continue; // a duplicate in the generated list
            }
            prop_assert!(!t.is_available(c));
            let before = blob(&t);
            prop_assert_eq!(t.derive(c).unwrap_err(), CbstError::ChallengeUnavailable);
            prop_assert_eq!(t.key_for(c).unwrap_err(), CbstError::ChallengeUnavailable);
            prop_assert_eq!(blob(&t), before);
        }
    }

    /// Two members (one that sent some messages first, one that received them in another order)
    /// derive equal keys for every challenge, and end with the same state.
    #[test]
    fn members_agree_whatever_the_order(root in any::<[u8; 32]>(), cs in prop::collection::vec(any::<[u8; 32]>(), 1..12), probe in any::<[u8; 32]>(), seed in any::<u64>()) {
        let mut a = Tree::new(Secret::from_bytes(root), CbstConfig::DEFAULT).unwrap();
        let mut b = a.clone();
        let mut order: Vec<usize> = (0..cs.len()).collect();
        // A deterministic shuffle from `seed`.
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut keys_a = Vec::new();
        for c in &cs {
            keys_a.push(a.derive(c).ok().map(|k| k.key().to_vec()));
        }
        let mut keys_b = vec![None; cs.len()];
        for &i in &order {
            let k = b.key_for(&cs[i]).ok().map(|k| k.key().to_vec());
            if k.is_some() {
                b.puncture(&cs[i]).unwrap();
            }
            keys_b[i] = k;
        }
        // Duplicates aside, every challenge was derived once by each, with the same key.
        for (i, c) in cs.iter().enumerate() {
            let first = cs.iter().position(|x| x == c).unwrap();
            if first == i {
                prop_assert!(keys_a[i].is_some());
                prop_assert_eq!(&keys_a[i], &keys_b[i].clone().or(keys_b[cs.iter().rposition(|x| x == c).unwrap()].clone()));
            }
        }
        prop_assert_eq!(blob(&a), blob(&b));
        prop_assert_eq!(a.key_for(&probe).ok().map(|k| k.key().to_vec()), b.key_for(&probe).ok().map(|k| k.key().to_vec()));
    }

    /// The state never exceeds `max_nodes`, and the state blob round-trips.
    #[test]
    fn bounded_state_round_trips(root in any::<[u8; 32]>(), cs in prop::collection::vec(any::<[u8; 32]>(), 1..40)) {
        let cfg = CbstConfig { prune_depth: 24, max_nodes: 64 };
        let mut t = Tree::new(Secret::from_bytes(root), cfg).unwrap();
        for c in &cs {
            let _ = t.derive(c);
            prop_assert!(t.node_count() <= 64);
            let b = blob(&t);
            let back: Tree = vmls_codec::Decode::decode_exact(&b).unwrap();
            prop_assert_eq!(blob(&back), b);
        }
    }
}

/// After every challenge of a region is used, nothing of it is stored; a tree that saw enough
/// uses to delete everything stores nothing.
#[test]
fn state_shrinks_to_nothing_when_every_prefix_is_used() {
    let cfg = CbstConfig {
        prune_depth: 3,
        max_nodes: 8,
    };
    let mut t = Tree::new(Secret::from_bytes([9; 32]), cfg).unwrap();
    for p in 0u8..8 {
        let mut c = [0u8; 32];
        c[0] = p << 5;
        t.derive(&c).unwrap();
    }
    assert_eq!(t.node_count(), 0);
    assert_eq!(t.state_bytes(), 0);
    assert_eq!(
        t.derive(&[0xff; 32]).unwrap_err(),
        CbstError::ChallengeUnavailable
    );
}
