//! The CBAM path (`Group::encrypt_cbam` / `decrypt_cbam`) allocates nothing once each member's
//! CBST has taken its node table (at the first CBAM of the epoch). Alone in its test binary so
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
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, KeyPackageParams, PskStore,
    create_key_package,
};
use vmls_group::{Add, ExtensionBody, Proposal, RequiredCapabilities};
use vmls_tree::Lifetime;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn cbam_messages_do_not_allocate() {
    let mut rng = SeededPrng::from_seed([4; 32]);
    let forever = Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    let p = |name: &[u8]| KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(name, forever)
    };
    let req = RequiredCapabilities {
        extension_types: vec![CBAM_EXTENSION_TYPE],
        proposal_types: vec![],
        credential_types: vec![],
    }
    .to_extension()
    .unwrap();
    let config = GroupConfig {
        cbst_max_nodes: 512,
        ..GroupConfig::default()
    };
    let mut alice: Group = Group::create(
        b"g",
        &p(b"alice"),
        &SignatureKeyPair::generate(&mut rng),
        vec![req],
        config,
        &mut rng,
    )
    .unwrap();
    let (kp, kpp) = create_key_package::<Mls128ChaCha, _>(
        &p(b"bob"),
        &SignatureKeyPair::generate(&mut rng),
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
        config,
    )
    .unwrap();
    let payload = [0x5au8; 100];
    let mut wire = vec![0u8; alice.cbam_message_len(0, payload.len())];
    let mut plain = vec![0u8; wire.len()];
    // Warm-up: the first CBAM of the epoch gives each CBST its node table.
    let n = alice
        .encrypt_cbam(b"", &payload, &mut rng, &mut wire)
        .unwrap();
    bob.decrypt_cbam(&wire[..n], &mut plain).unwrap();

    let region = Region::new(GLOBAL);
    for _ in 0..20 {
        let n = alice
            .encrypt_cbam(b"", &payload, &mut rng, &mut wire)
            .unwrap();
        let got = bob.decrypt_cbam(&wire[..n], &mut plain).unwrap();
        assert_eq!(&plain[..got.len], &payload[..]);
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "heap use during 20 CBAM encrypt + decrypt: {stats:?}"
    );
}
