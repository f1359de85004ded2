//! Group-engine costs for issue 5's targets (docs/performance.md): processing and creating a
//! self-update Commit, joining from a Welcome, and KeyPackage generation, at N = 1024 members
//! (and N = 4096 to show growth). Suite 3 with the `fast` feature, single-threaded.
//!
//! Fixtures (see `fixtures/mod.rs`) are built once per bench run with seeded RNGs, only for the
//! benches the filter selects:
//! * `batch`: a group built by one batch Add (only the creator's path set);
//! * `full`: every member has committed once (every parent node set).
//!
//! `cargo bench -p vmls-group --bench group -- <filter>`, e.g. `process/full/1024`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vmls_crypto::SignatureKeyPair;
use vmls_group::group::{Group, PskStore, create_key_package};

#[path = "fixtures/mod.rs"]
mod fixtures;

use fixtures::{Batch, Full, S};

fn batch(n: u32) -> &'static Batch {
    static B1024: OnceLock<Batch> = OnceLock::new();
    static B4096: OnceLock<Batch> = OnceLock::new();
    match n {
        1024 => B1024.get_or_init(|| fixtures::batch(1024)),
        4096 => B4096.get_or_init(|| fixtures::batch(4096)),
        _ => unreachable!(),
    }
}

fn full(n: u32) -> &'static Full {
    static F1024: OnceLock<Full> = OnceLock::new();
    static F4096: OnceLock<Full> = OnceLock::new();
    match n {
        1024 => F1024.get_or_init(|| fixtures::full(1024)),
        4096 => F4096.get_or_init(|| fixtures::full(4096)),
        _ => unreachable!(),
    }
}

/// `observer` processes a self-update Commit of `committer` (on a fresh clone each iteration).
fn bench_process(c: &mut Criterion, name: &str, observer: &Group, committer: &Group) {
    let mut g = committer.clone();
    let out = g
        .commit(&fixtures::self_update(), &mut fixtures::rng(9, 0))
        .unwrap();
    c.bench_function(name, |b| {
        b.iter_batched(
            || observer.clone(),
            |mut o| {
                o.process_message(black_box(&out.commit)).unwrap();
                o
            },
            BatchSize::LargeInput,
        )
    });
}

/// `committer` creates a self-update Commit (on a fresh clone each iteration).
fn bench_create(c: &mut Criterion, name: &str, committer: &Group) {
    c.bench_function(name, |b| {
        let mut k = 0u64;
        b.iter_batched(
            || {
                k += 1;
                (committer.clone(), fixtures::rng(10, k))
            },
            |(mut g, mut r)| {
                let out = g.commit(&fixtures::self_update(), &mut r).unwrap();
                (g, out)
            },
            BatchSize::LargeInput,
        )
    });
}

fn bench_join(c: &mut Criterion, name: &str, welcome: &[u8], client: &fixtures::Client, n: u32) {
    let cfg = fixtures::config(n);
    c.bench_function(name, |b| {
        b.iter(|| {
            Group::<S>::join_from_welcome_bytes(
                black_box(welcome),
                &client.key_package,
                &client.private,
                None,
                PskStore::new(),
                cfg,
            )
            .unwrap()
        })
    });
}

/// Whether the command line's filter (if any) can select `name` (fixtures are built only for
/// selected benches).
fn wanted(name: &str) -> bool {
    // Criterion options that take a value: their value is not a filter.
    const WITH_VALUE: &[&str] = &[
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--output-format",
        "--format",
        "--plotting-backend",
        "--color",
    ];
    let mut args: Vec<String> = Vec::new();
    let mut skip = false;
    for a in std::env::args().skip(1) {
        if skip {
            skip = false;
        } else if a.starts_with('-') {
            skip = WITH_VALUE.contains(&a.as_str());
        } else {
            args.push(a);
        }
    }
    // Criterion takes a regex; alternatives (`a|b`) of plain substrings are enough here.
    args.is_empty()
        || args
            .iter()
            .any(|f| f.split('|').any(|alt| name.contains(alt)))
}

fn process(c: &mut Criterion) {
    for n in [1024, 4096] {
        let name = format!("process/batch/{n}");
        if wanted(&name) {
            let b = batch(n);
            bench_process(c, &name, &b.observer, &b.last);
        }
    }
    for n in [1024, 4096] {
        let name = format!("process/full/{n}");
        if wanted(&name) {
            let f = full(n);
            bench_process(c, &name, &f.observer, &f.committer);
        }
    }
}

fn create(c: &mut Criterion) {
    for n in [1024, 4096] {
        let name = format!("create/full/{n}");
        if wanted(&name) {
            bench_create(c, &name, &full(n).committer);
        }
    }
}

fn join(c: &mut Criterion) {
    for n in [1024, 4096] {
        let name = format!("join/batch/{n}");
        if wanted(&name) {
            let b = batch(n);
            bench_join(c, &name, &b.join_welcome, &b.clients[(n - 1) as usize], n);
        }
    }
    for n in [1024, 4096] {
        let name = format!("join/full/{n}");
        if wanted(&name) {
            let f = full(n);
            let (welcome, client) = fixtures::full_join_welcome(f, n / 2 + 1);
            bench_join(c, &name, &welcome, &client, n);
        }
    }
}

fn key_package(c: &mut Criterion) {
    let params = fixtures::params(7);
    let mut r = fixtures::rng(11, 0);
    let signer = SignatureKeyPair::generate(&mut r);
    c.bench_function("key_package", |b| {
        b.iter(|| create_key_package::<S, _>(black_box(&params), &signer, &mut r).unwrap())
    });
}

/// What `create_key_package` costs without re-verifying the two signatures it just made (the
/// change suggested in docs/performance.md): the same steps through the public API.
fn key_package_unverified(c: &mut Criterion) {
    use vmls_codec::OpaqueArray;
    use vmls_crypto::generate_hpke_key_pair;
    use vmls_group::{KeyPackageTBS, ProtocolVersion};
    use vmls_tree::{LeafNode, LeafNodeContent, LeafNodeSource};
    let params = fixtures::params(7);
    let mut r = fixtures::rng(11, 1);
    let signer = SignatureKeyPair::generate(&mut r);
    c.bench_function("key_package_unverified", |b| {
        b.iter(|| {
            let init = generate_hpke_key_pair(&mut r).unwrap();
            let leaf = generate_hpke_key_pair(&mut r).unwrap();
            let content = LeafNodeContent {
                encryption_key: OpaqueArray(leaf.public),
                signature_key: OpaqueArray(signer.public),
                credential: params.credential.clone(),
                capabilities: params.capabilities(3).into(),
                leaf_node_source: LeafNodeSource::KeyPackage(params.lifetime),
                extensions: params.leaf_extensions.clone(),
            };
            let leaf_node = LeafNode::sign(content, &signer.private, None).unwrap();
            let kp = KeyPackageTBS {
                version: ProtocolVersion::MLS10,
                cipher_suite: 3,
                init_key: OpaqueArray(init.public),
                leaf_node,
                extensions: params.extensions.clone(),
            }
            .sign(&signer.private)
            .unwrap();
            (kp, init.private, leaf.private)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = key_package, key_package_unverified, process, create, join
}
criterion_main!(benches);
