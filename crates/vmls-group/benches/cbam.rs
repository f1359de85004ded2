//! CBAM against PrivateMessage at the Group level, in one run (issue 16's comparison):
//! encrypt and decrypt of 100 B and 10 KiB, each message on its own copy of the state, with the
//! key derivation included (the secret-tree ratchet step for PrivateMessage, the 256-level CBST
//! walk and puncture for CBAM). `cargo bench -p vmls-group --bench cbam`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, KeyPackageParams, PskStore,
    create_key_package,
};
use vmls_group::{Add, ExtensionBody, Proposal, RequiredCapabilities};
use vmls_tree::Lifetime;

fn pair() -> (Group, Group) {
    let mut rng = SeededPrng::from_seed([9; 32]);
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
    let config = GroupConfig::default();
    let mut a: Group = Group::create(
        b"bench",
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
    let out = a
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
    a.merge_pending_commit().unwrap();
    let b = Group::join_from_welcome_bytes(
        out.welcome.as_deref().unwrap(),
        &kp,
        &kpp,
        None,
        PskStore::new(),
        config,
    )
    .unwrap();
    (a, b)
}

fn bench(c: &mut Criterion) {
    let (alice, bob) = pair();
    let mut rng = SeededPrng::from_seed([3; 32]);
    let mut g = c.benchmark_group("group_app");
    for size in [100usize, 10 * 1024] {
        let data = vec![0x5a; size];
        g.throughput(Throughput::Bytes(size as u64));
        for kind in ["private_message", "cbam"] {
            let cbam = kind == "cbam";
            let len = if cbam {
                alice.cbam_message_len(0, size)
            } else {
                alice.application_message_len(0, size)
            };
            g.bench_with_input(
                BenchmarkId::new(format!("{kind}/encrypt"), size),
                &size,
                |b, _| {
                    let mut out = vec![0u8; len];
                    b.iter_batched(
                        || alice.clone(),
                        |mut a| {
                            if cbam {
                                a.encrypt_cbam(b"", &data, &mut rng, &mut out).unwrap()
                            } else {
                                a.encrypt_application(b"", &data, &mut rng, &mut out)
                                    .unwrap()
                            }
                        },
                        BatchSize::LargeInput,
                    )
                },
            );
            // Messages from fresh copies of the sender (generation 0 each, as a receiver in
            // step with the sender sees them), each read by a fresh copy of the receiver.
            let msgs: Vec<Vec<u8>> = (0..64)
                .map(|_| {
                    let mut a = alice.clone();
                    let mut out = vec![0u8; len];
                    let n = if cbam {
                        a.encrypt_cbam(b"", &data, &mut rng, &mut out).unwrap()
                    } else {
                        a.encrypt_application(b"", &data, &mut rng, &mut out)
                            .unwrap()
                    };
                    out.truncate(n);
                    out
                })
                .collect();
            let mut i = 0;
            g.bench_with_input(
                BenchmarkId::new(format!("{kind}/decrypt"), size),
                &size,
                |b, _| {
                    let mut out = vec![0u8; len];
                    b.iter_batched(
                        || {
                            i = (i + 1) % msgs.len();
                            (bob.clone(), &msgs[i])
                        },
                        |(mut bb, m)| {
                            if cbam {
                                bb.decrypt_cbam(m, &mut out).unwrap().len
                            } else {
                                bb.decrypt_application(m, &mut out).unwrap().len
                            }
                        },
                        BatchSize::LargeInput,
                    )
                },
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
