//! Ratchet tree costs at N = 1024 members (and N = 128 for scale): a receiver applying an
//! UpdatePath, a committer producing one, and a joiner validating the whole tree.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vmls_crypto::{HpkePrivateKey, Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_tree::{LeafIndex, LeafValidationParams, RatchetTree, TreePrivateKeys, UpdatePath};

#[path = "../tests/common/mod.rs"]
mod common;

struct Fixture {
    tree: RatchetTree,
    keys: Vec<TreePrivateKeys>,
    sigs: Vec<SignatureKeyPair>,
}

/// `n` members added to a blank tree, then every other member commits (public part only), so
/// every parent node is set and no leaf is unmerged: the shape of a mature group.
fn fixture(n: u32) -> Fixture {
    let mut rng = SeededPrng::from_seed([1; 32]);
    let mut tree: Option<RatchetTree> = None;
    let mut leaf_keys: Vec<HpkePrivateKey> = Vec::new();
    let mut sigs = Vec::new();
    for i in 0..n {
        let (leaf, enc, sig) = common::new_member(&mut rng, i);
        match tree.as_mut() {
            None => tree = Some(RatchetTree::new(leaf).unwrap()),
            Some(t) => {
                t.add_leaf(leaf).unwrap();
            }
        }
        leaf_keys.push(enc);
        sigs.push(sig);
    }
    let mut tree = tree.unwrap();
    let mut keys: Vec<TreePrivateKeys> = leaf_keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| TreePrivateKeys::new(LeafIndex(i as u32), k))
        .collect();
    for i in (0..n).step_by(2) {
        let content = tree.leaf(LeafIndex(i)).unwrap().content.clone();
        let (secrets, own) = tree
            .apply_own_update_path(
                LeafIndex(i),
                content,
                &sigs[i as usize].private,
                common::GROUP_ID,
                &mut rng,
            )
            .unwrap();
        keys[i as usize] = own;
        // Hand the path secrets to everyone below each path node, as decryption would.
        for (x, s) in secrets.iter() {
            let (lo, hi) = span(x.0);
            for j in lo..hi.min(n) {
                if j != i {
                    keys[j as usize].insert_path_secret(x, s).unwrap();
                }
            }
        }
    }
    for k in &mut keys {
        k.prune(&tree);
    }
    Fixture { tree, keys, sigs }
}

fn span(x: u32) -> (u32, u32) {
    let k = x.trailing_ones();
    let lo = (x - ((1 << k) - 1)) / 2;
    (lo, lo + (1 << k))
}

fn params() -> LeafValidationParams<'static> {
    LeafValidationParams {
        group_id: common::GROUP_ID,
        ..LeafValidationParams::default()
    }
}

fn bench_n(c: &mut Criterion, n: u32) {
    let f = fixture(n);
    f.tree.validate(&params()).unwrap();
    let committer = LeafIndex(n / 3);
    let receiver = LeafIndex(n - 1);
    let mut rng = SeededPrng::from_seed([2; 32]);

    // The committer's UpdatePath, made once.
    let mut committed = f.tree.clone();
    let content = f.tree.leaf(committer).unwrap().content.clone();
    let (secrets, _) = committed
        .apply_own_update_path(
            committer,
            content.clone(),
            &f.sigs[committer.0 as usize].private,
            common::GROUP_ID,
            &mut rng,
        )
        .unwrap();
    let ctx = common::group_context(1, &committed);
    let path: UpdatePath = committed
        .encrypt_update_path::<Mls128ChaCha, _>(&secrets, &ctx, &[], &mut rng)
        .unwrap();

    let mut g = c.benchmark_group(format!("tree N={n}"));
    g.sample_size(20);
    g.bench_function("receiver: merge UpdatePath + tree hash", |b| {
        b.iter_batched(
            || f.tree.clone(),
            |mut t| {
                t.merge_update_path(committer, &path, &params()).unwrap();
                let h = t.tree_hash().unwrap();
                // Returned so the tree is dropped outside the measurement.
                (t, black_box(h))
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("receiver: merge + tree hash + decrypt path secrets", |b| {
        b.iter_batched(
            || (f.tree.clone(), f.keys[receiver.0 as usize].clone()),
            |(mut t, mut k)| {
                t.merge_update_path(committer, &path, &params()).unwrap();
                let ctx = common::group_context(1, &t);
                let got = k
                    .process_update_path::<Mls128ChaCha>(&t, committer, &path, &ctx, &[])
                    .unwrap();
                (t, k, black_box(got))
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("committer: generate + encrypt UpdatePath", |b| {
        b.iter_batched(
            || f.tree.clone(),
            |mut t| {
                let (s, _) = t
                    .apply_own_update_path(
                        committer,
                        content.clone(),
                        &f.sigs[committer.0 as usize].private,
                        common::GROUP_ID,
                        &mut rng,
                    )
                    .unwrap();
                let ctx = common::group_context(1, &t);
                let p = t
                    .encrypt_update_path::<Mls128ChaCha, _>(&s, &ctx, &[], &mut rng)
                    .unwrap();
                (t, black_box(p))
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("joiner: validate whole tree", |b| {
        b.iter(|| f.tree.validate(&params()).unwrap())
    });
    g.bench_function("joiner: verify parent hashes only", |b| {
        b.iter(|| f.tree.verify_parent_hashes().unwrap())
    });
    g.bench_function("joiner: decode ratchet_tree (all tree hashes)", |b| {
        let wire = vmls_codec::Encode::to_bytes(&f.tree).unwrap();
        b.iter(|| RatchetTree::from_bytes(&wire, 1 << 16).unwrap())
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_n(c, 128);
    bench_n(c, 1024);
}

criterion_group!(tree_benches, benches);
criterion_main!(tree_benches);
