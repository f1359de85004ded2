//! Prints the CBST state after `k` random challenges (the table in docs/performance.md):
//! `cargo run --release -p vmls-cbst --example state_size`.
//!
//! For each `prune_depth` D: stored nodes and bytes with no node budget, the bound
//! `k / 2^D` on losing the next challenge, and with the default budget of 2048 nodes the share
//! of the challenge space lost by eviction.
#![allow(missing_docs, clippy::unwrap_used)]
use vmls_cbst::{CbstConfig, ChallengeSecretTree, NODE_BYTES};
use vmls_crypto::{Mls128ChaCha, Rng, Secret, SeededPrng};

type Tree = ChallengeSecretTree<Mls128ChaCha>;

fn main() {
    println!("node = {NODE_BYTES} bytes in memory");
    println!(
        "| D | k | nodes (no budget) | bytes (no budget) | P(next lost) <= k/2^D | nodes (budget 2048) | lost share (budget 2048) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for d in [24u8, 32, 48] {
        for k in [1usize, 10, 100, 1000, 10000] {
            let mut rng = SeededPrng::from_seed([k as u8 ^ d; 32]);
            let mut free = Tree::new(
                Secret::from_bytes([1; 32]),
                CbstConfig {
                    prune_depth: d,
                    max_nodes: u32::MAX,
                },
            )
            .unwrap();
            let mut bounded = Tree::new(
                Secret::from_bytes([1; 32]),
                CbstConfig {
                    prune_depth: d,
                    max_nodes: 2048,
                },
            )
            .unwrap();
            for _ in 0..k {
                let mut c = [0u8; 32];
                rng.fill_bytes(&mut c);
                let _ = free.derive(&c);
                let _ = bounded.derive(&c);
            }
            let (lost, of) = bounded.lost_fraction();
            println!(
                "| {d} | {k} | {} | {} | {:.1e} | {} | {:.1e} |",
                free.node_count(),
                free.state_bytes(),
                k as f64 / 2f64.powi(i32::from(d)),
                bounded.node_count(),
                lost as f64 / of as f64,
            );
        }
    }
}
