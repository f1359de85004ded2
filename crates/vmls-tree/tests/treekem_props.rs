//! Property tests: random sequences of Add / Remove / Update proposals and commits (with and
//! without UpdatePath) keep every member's tree identical and valid, every member derives the
//! committer's commit secret and path secrets, and every member's private keys satisfy the tree
//! invariant (RFC 9420 section 4.2). The checks are in `common::Group`: each member holds its own
//! tree copy and private keys, so agreement is between independent views.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Group, Op};
use proptest::prelude::*;
use vmls_codec::Encode;
use vmls_tree::{NodeIndex, RatchetTree};

#[derive(Clone, Debug)]
struct Step {
    committer: u8,
    ops: Vec<(u8, u8)>,
    path: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<u8>(),
        prop::collection::vec((0u8..3, any::<u8>()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(committer, ops, path)| Step {
            committer,
            ops,
            path,
        })
}

fn run(seed: u8, steps: &[Step]) {
    let mut g = Group::new(seed);
    for s in steps {
        let members = g.indices();
        let committer = members[s.committer as usize % members.len()];
        let mut ops = Vec::new();
        let mut touched = vec![committer];
        let mut remaining = members.len();
        for &(kind, target) in &s.ops {
            let t = members[target as usize % members.len()];
            match kind {
                0 => ops.push(Op::Add),
                1 if !touched.contains(&t) && remaining > 1 => {
                    touched.push(t);
                    remaining -= 1;
                    ops.push(Op::Remove(t));
                }
                2 if !touched.contains(&t) => {
                    touched.push(t);
                    ops.push(Op::Update(t));
                }
                _ => {}
            }
        }
        // A path is required with Updates, Removes, or no proposal at all (RFC 9420 12.4).
        let needs_path = ops.is_empty() || ops.iter().any(|o| !matches!(o, Op::Add));
        let r = g.commit(committer, &ops, s.path || needs_path);
        assert_eq!(r.commit_secret.is_some(), s.path || needs_path);
        g.check_invariants();
        // Incrementally cached hashes equal a fresh computation.
        let t = g.any_tree();
        let fresh = RatchetTree::from_bytes(&t.to_bytes().unwrap(), 1 << 16).unwrap();
        for x in 0..t.storage().width() {
            assert_eq!(
                t.node_hash(NodeIndex(x)).unwrap(),
                fresh.node_hash(NodeIndex(x)).unwrap()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn members_agree_on_tree_and_secrets(seed in any::<u8>(), steps in prop::collection::vec(step(), 1..8)) {
        run(seed, &steps);
    }
}

/// A longer fixed scenario that grows the group past a power of two and shrinks it again.
#[test]
fn grow_and_shrink() {
    let steps: Vec<Step> = (0..10u8)
        .map(|i| Step {
            committer: i.wrapping_mul(7),
            ops: if i < 5 {
                vec![(0, 0), (0, 0), (2, i.wrapping_mul(3))]
            } else {
                vec![(1, i), (1, i.wrapping_mul(5)), (1, i.wrapping_add(11))]
            },
            path: i % 3 == 0,
        })
        .collect();
    run(42, &steps);
}
