//! RFC 9420 section 7.2: an application-defined maximum LeafNode lifetime is enforced on Adds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_group::group::{CommitOptions, Group, GroupConfig, KeyPackageParams, create_key_package};
use vmls_group::{Add, Proposal};
use vmls_tree::Lifetime;

fn add_with_lifetime(not_after: u64) -> bool {
    let mut rng = SeededPrng::from_seed([3; 32]);
    let config = GroupConfig {
        max_lifetime: Some(3600),
        ..GroupConfig::default()
    };
    let ok_lifetime = Lifetime {
        not_before: 0,
        not_after: 3600,
    };
    let ak = SignatureKeyPair::generate(&mut rng);
    let mut alice: Group = Group::create(
        b"g",
        &KeyPackageParams::basic(b"alice", ok_lifetime),
        &ak,
        vec![],
        config,
        &mut rng,
    )
    .unwrap();
    let bk = SignatureKeyPair::generate(&mut rng);
    let params = KeyPackageParams::basic(
        b"bob",
        Lifetime {
            not_before: 0,
            not_after,
        },
    );
    let (kp, _) = create_key_package::<Mls128ChaCha, _>(&params, &bk, &mut rng).unwrap();
    let before = alice.to_bytes().unwrap();
    let r = alice.commit(
        &CommitOptions {
            proposals: vec![Proposal::Add(Add { key_package: kp })],
            ..CommitOptions::default()
        },
        &mut rng,
    );
    if r.is_err() {
        assert_eq!(alice.to_bytes().unwrap(), before);
    }
    r.is_ok()
}

#[test]
fn key_package_lifetime_longer_than_the_maximum_is_rejected() {
    assert!(add_with_lifetime(3600));
    assert!(!add_with_lifetime(3601));
    assert!(!add_with_lifetime(u64::MAX));
}
