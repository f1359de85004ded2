//! Heap figures of the group engine (docs/performance.md), measured with a counting global
//! allocator (`stats_alloc`):
//!
//! * heap retained by a member's `Group` at N = 1024 and N = 4096: live bytes before and after
//!   dropping the state (exact);
//! * peak heap while processing a self-update Commit at N = 1024 (full tree): the state's heap
//!   plus the largest transient live-byte excess seen while `process_message` runs. The
//!   allocator keeps no peak, so a second thread samples the live-byte count in a tight loop;
//!   the maximum over many runs of the same deterministic processing is reported (a lower bound
//!   that converges to the true peak: a level held for more than one sampling interval is
//!   caught).
//!
//! Run: `cargo run --release -p vmls-group --example heap [-- --quick]`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[path = "../benches/fixtures/mod.rs"]
mod fixtures;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn live() -> isize {
    let s = GLOBAL.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize + s.bytes_reallocated
}

/// Exact heap retained by `value`: live bytes before minus after dropping it.
fn retained<T>(value: T) -> isize {
    let before = live();
    drop(value);
    before - live()
}

fn kib(b: isize) -> String {
    format!("{:.1} KiB", b as f64 / 1024.0)
}

/// Largest live-byte excess over the level at the start of `f`, sampled by a second thread.
fn sampled_peak<R>(f: impl FnOnce() -> R) -> (isize, R) {
    static RUNNING: AtomicBool = AtomicBool::new(false);
    static MAX: AtomicIsize = AtomicIsize::new(0);
    let base = live();
    MAX.store(base, Ordering::SeqCst);
    RUNNING.store(true, Ordering::SeqCst);
    let sampler = std::thread::spawn(|| {
        let mut m = isize::MIN;
        while RUNNING.load(Ordering::Relaxed) {
            m = m.max(live());
        }
        MAX.fetch_max(m, Ordering::SeqCst);
    });
    // Let the sampler start (thread creation allocates: done before `f` runs).
    std::thread::sleep(std::time::Duration::from_millis(2));
    let base = base.max(live());
    let r = f();
    let after = live();
    RUNNING.store(false, Ordering::SeqCst);
    sampler.join().unwrap();
    let peak = MAX.load(Ordering::SeqCst).max(after);
    (peak - base, r)
}

/// Heap held by the member state `g` alone: a fresh copy restored from its state blob (so it
/// shares no node with anything else) is measured by dropping it.
fn state_heap(g: &vmls_group::Group) -> isize {
    retained(vmls_group::Group::<fixtures::S>::from_bytes(&g.to_bytes().unwrap()).unwrap())
}

/// Heap held by the public ratchet tree of `g` alone (a fresh decode of it).
fn tree_heap(g: &vmls_group::Group, n: u32) -> isize {
    retained(
        vmls_tree::RatchetTree::from_bytes(&g.ratchet_tree_bytes().unwrap(), n.next_power_of_two())
            .unwrap(),
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let t = Instant::now();
    let full = fixtures::full(1024);
    eprintln!("full(1024) built in {:.1?}", t.elapsed());

    // (a) retained heap, N = 1024, full tree (every member committed once), default config.
    let restored = state_heap(&full.observer);
    println!(
        "retained heap, member state, N=1024 full tree: {} restored from its blob (tree alone {})",
        kib(restored),
        kib(tree_heap(&full.observer, 1024))
    );
    let mut no_past = full.observer.clone();
    no_past.set_config(vmls_group::GroupConfig {
        max_past_epochs: 0,
        ..*full.observer.config()
    });
    println!(
        "  of which past epochs (default max_past_epochs = 2): {}; encoded ratchet tree: {}",
        kib(restored - state_heap(&no_past)),
        kib(full.observer.ratchet_tree_bytes().unwrap().len() as isize)
    );
    drop(no_past);
    // The leaves as stored now (LeafNode values) against the layout docs/performance.md
    // proposes (each leaf's encoding in one allocation): both measured on fresh copies.
    let leaves: Vec<Option<vmls_tree::LeafNode>> = (0..1024)
        .map(|i| full.observer.tree().leaf(vmls_tree::LeafIndex(i)).cloned())
        .collect();
    let encoded: Vec<Box<[u8]>> = leaves
        .iter()
        .flatten()
        .map(|l| vmls_codec::Encode::to_bytes(l).unwrap().into_boxed_slice())
        .collect();
    println!(
        "  leaves as LeafNode values: {}; as one encoding per leaf (proposed): {}",
        kib(retained(leaves)),
        kib(retained(encoded))
    );
    let t = Instant::now();
    let batch = fixtures::batch(1024);
    eprintln!("batch(1024) built in {:.1?}", t.elapsed());
    println!(
        "retained heap, member state, N=1024 batch-add tree: {}",
        kib(state_heap(&batch.observer))
    );
    drop(batch);

    // (b) peak while processing a self-update Commit, N = 1024, full tree. The processing
    // group is a copy of the observer: it shares the observer's nodes, so the live bytes before
    // processing already hold them once and the sampled excess is what processing adds.
    let mut committer = full.committer.clone();
    let out = committer
        .commit(&fixtures::self_update(), &mut fixtures::rng(9, 0))
        .unwrap();
    drop(committer);
    let runs = if quick { 5 } else { 200 };
    let mut peak_extra = 0;
    for _ in 0..runs {
        let mut g = full.observer.clone();
        let (p, r) = sampled_peak(|| g.process_message(&out.commit));
        r.unwrap();
        peak_extra = peak_extra.max(p);
    }
    // The live observer itself (after all the above), measured by dropping it: exclusive now.
    let fixtures::Full {
        observer,
        committer,
        clients,
        ..
    } = full;
    drop((committer, clients));
    let live_state = retained(observer);
    println!(
        "retained heap, live member state after processing (dropped): {}",
        kib(live_state)
    );
    println!(
        "peak heap while processing a commit, N=1024 full tree: {} (state {} + transient {}, max of {runs} sampled runs)",
        kib(live_state + peak_extra),
        kib(live_state),
        kib(peak_extra)
    );

    if !quick {
        let t = Instant::now();
        let batch = fixtures::batch(4096);
        eprintln!("batch(4096) built in {:.1?}", t.elapsed());
        println!(
            "retained heap, member state, N=4096 batch-add tree: {}",
            kib(state_heap(&batch.observer))
        );
        drop(batch);
        let t = Instant::now();
        let full = fixtures::full(4096);
        eprintln!("full(4096) built in {:.1?}", t.elapsed());
        println!(
            "retained heap, member state, N=4096 full tree: {}",
            kib(state_heap(&full.observer))
        );
    }
}
