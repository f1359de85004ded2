//! CBST benchmarks.
//! CBST costs: one derive+puncture (the sender's and, after verification, the receiver's
//! operation), and `key_for` alone, on a fresh tree and on one that already used 1000
//! challenges. `cargo bench -p vmls-cbst`.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vmls_cbst::{CbstConfig, ChallengeSecretTree};
use vmls_crypto::{Mls128ChaCha, Rng, Secret, SeededPrng};

type Tree = ChallengeSecretTree<Mls128ChaCha>;

fn challenges(n: usize, seed: u8) -> Vec<[u8; 32]> {
    let mut rng = SeededPrng::from_seed([seed; 32]);
    (0..n)
        .map(|_| {
            let mut c = [0u8; 32];
            rng.fill_bytes(&mut c);
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cfg = CbstConfig {
        prune_depth: 32,
        max_nodes: 1 << 20,
    };
    let fresh = Tree::new(Secret::from_bytes([3; 32]), cfg).unwrap();
    let mut used = fresh.clone();
    for ch in challenges(1000, 1) {
        used.derive(&ch).unwrap();
    }
    let probes = challenges(4096, 2);
    for (name, tree) in [("fresh", &fresh), ("after_1000", &used)] {
        let mut i = 0;
        c.bench_function(&format!("cbst/derive_puncture/{name}"), |b| {
            b.iter_batched(
                || {
                    i = (i + 1) % probes.len();
                    let mut t = tree.clone();
                    t.reserve(64);
                    (t, probes[i])
                },
                |(mut t, ch)| {
                    // Returned so that dropping (and zeroizing) the tree is not timed.
                    let k = t.derive(&ch).unwrap();
                    (t, k)
                },
                BatchSize::LargeInput,
            )
        });
        let mut j = 0;
        c.bench_function(&format!("cbst/key_for/{name}"), |b| {
            b.iter(|| {
                j = (j + 1) % probes.len();
                tree.key_for(&probes[j]).unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
