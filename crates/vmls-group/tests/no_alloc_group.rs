//! The Group-level application path (`Group::encrypt_application` / `decrypt_application`, what
//! users call) allocates nothing once both members have sent once. Alone in its test binary so
//! no other test allocates while the count runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_group::group::{
    CommitOptions, Group, GroupConfig, KeyPackageParams, PskStore, create_key_package,
};
use vmls_group::{Add, Proposal};
use vmls_tree::Lifetime;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn group_application_messages_do_not_allocate() {
    let mut rng = SeededPrng::from_seed([2; 32]);
    let forever = Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    let ak = SignatureKeyPair::generate(&mut rng);
    let mut alice: Group = Group::create(
        b"g",
        &KeyPackageParams::basic(b"alice", forever),
        &ak,
        vec![],
        GroupConfig::default(),
        &mut rng,
    )
    .unwrap();
    let bk = SignatureKeyPair::generate(&mut rng);
    let (kp, kpp) = create_key_package::<Mls128ChaCha, _>(
        &KeyPackageParams::basic(b"bob", forever),
        &bk,
        &mut rng,
    )
    .unwrap();
    let out = alice
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng,
        )
        .unwrap();
    alice.merge_pending_commit().unwrap();
    let mut bob: Group = Group::join_from_welcome_bytes(
        out.welcome.as_deref().unwrap(),
        &kp,
        &kpp,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let payload = [0x5au8; 100];
    let mut wire = vec![0u8; alice.application_message_len(0, payload.len())];
    let mut plain = vec![0u8; wire.len()];
    // Warm-up: each member's secret tree creates the ratchets of a sender on first use.
    let n = alice
        .encrypt_application(b"", &payload, &mut rng, &mut wire)
        .unwrap();
    bob.decrypt_application(&wire[..n], &mut plain).unwrap();

    let region = Region::new(GLOBAL);
    let n = alice
        .encrypt_application(b"", &payload, &mut rng, &mut wire)
        .unwrap();
    let got = bob.decrypt_application(&wire[..n], &mut plain).unwrap();
    let stats = region.change();
    assert_eq!(&plain[..got.len], &payload[..]);
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "heap use during Group encrypt + decrypt: {stats:?}"
    );
}
