//! Stateful: a two-member group receives arbitrary bytes. Processing never panics, and a
//! rejected message leaves the state byte-for-byte unchanged (transactional processing).
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vmls::{
    CommitOptions, Group, GroupConfig, KeyPackageParams, Lifetime, Mls128ChaCha, Proposal,
    PskStore, SeededPrng, SignatureKeyPair, create_key_package,
};

/// Bob's state after joining Alice's group (built once).
fn bob_state() -> &'static Vec<u8> {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut rng = SeededPrng::from_seed([1; 32]);
        let forever = Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        };
        let ak = SignatureKeyPair::generate(&mut rng);
        let mut alice: Group = Group::create(
            b"fuzz",
            &KeyPackageParams::basic(b"alice", forever),
            &ak,
            vec![],
            GroupConfig::default(),
            &mut rng,
        )
        .expect("create");
        let bk = SignatureKeyPair::generate(&mut rng);
        let (kp, kpp) = create_key_package::<Mls128ChaCha, _>(
            &KeyPackageParams::basic(b"bob", forever),
            &bk,
            &mut rng,
        )
        .expect("key package");
        let out = alice
            .commit(
                &CommitOptions {
                    proposals: vec![Proposal::Add(vmls::Add {
                        key_package: kp.clone(),
                    })],
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .expect("commit");
        let bob: Group = Group::join_from_welcome_bytes(
            out.welcome.as_deref().expect("welcome"),
            &kp,
            &kpp,
            None,
            PskStore::new(),
            GroupConfig::default(),
        )
        .expect("join");
        bob.to_bytes().expect("state")
    })
}

fuzz_target!(|data: &[u8]| {
    let before = bob_state();
    let mut bob: Group = Group::from_bytes(before).expect("restore");
    if bob.process_message(data).is_err() {
        assert_eq!(
            &bob.to_bytes().expect("state"),
            before,
            "state changed on error"
        );
    }
    let mut out = [0u8; 2048];
    let mut bob: Group = Group::from_bytes(before).expect("restore");
    if bob.decrypt_application(data, &mut out).is_err() {
        assert_eq!(
            &bob.to_bytes().expect("state"),
            before,
            "state changed on error"
        );
    }
    let _ = Group::<Mls128ChaCha>::from_bytes(data);
});
