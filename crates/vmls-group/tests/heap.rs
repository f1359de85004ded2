//! Heap use of Commit processing, counted by a global allocator (alone in its test binary so
//! no other test allocates while the count runs).
//!
//! The ratchet tree is copy-on-write (vmls-tree `TreeStorage`): staging a Commit works on a
//! copy of the tree that shares every node the Commit does not change. So the bytes allocated
//! while processing a Commit must be a small fraction of the member's state, which is mostly
//! the tree; a deep copy of the tree (what processing did before) allocates more than the whole
//! tree at once. Sizes are requested bytes as the allocator sees them; no timing is measured.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use vmls_group::Group;
use vmls_group::group::ProcessedMessage;

#[path = "../benches/fixtures/mod.rs"]
mod fixtures;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn live() -> isize {
    let s = GLOBAL.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize + s.bytes_reallocated
}

/// Heap of `g` alone: a copy restored from its blob (sharing nothing) measured by dropping it.
fn state_heap(g: &Group) -> isize {
    let copy = Group::<fixtures::S>::from_bytes(&g.to_bytes().unwrap()).unwrap();
    let before = live();
    drop(copy);
    before - live()
}

#[test]
fn processing_a_commit_allocates_a_small_fraction_of_the_state() {
    // A mature group (every member committed once): Commits are small, so what processing
    // allocates is about the state, not the message.
    let n = 512;
    let b = fixtures::full(n);
    let state = state_heap(&b.observer);
    let tree = {
        let copy = vmls_tree::RatchetTree::from_bytes(&b.observer.ratchet_tree_bytes().unwrap(), n)
            .unwrap();
        let before = live();
        drop(copy);
        before - live()
    };
    assert!(
        tree > state / 2,
        "the tree is most of the state ({tree} of {state} bytes)"
    );

    let mut committer = b.committer.clone();
    let out = committer
        .commit(&fixtures::self_update(), &mut fixtures::rng(9, 0))
        .unwrap();
    let mut observer = b.observer.clone();
    let region = Region::new(GLOBAL);
    let r = observer.process_message(&out.commit).unwrap();
    let allocated = region.change().bytes_allocated as isize;
    assert!(matches!(r, ProcessedMessage::Commit(_)));
    // The new epoch agrees with the committer's: the processing really happened.
    committer.merge_pending_commit().unwrap();
    assert_eq!(
        observer.epoch_authenticator(),
        committer.epoch_authenticator()
    );
    // Every byte allocated during processing, freed or not, bounds the peak from above.
    assert!(
        allocated * 3 < state,
        "processing allocated {allocated} bytes, state {state} bytes, tree {tree} bytes"
    );
    eprintln!("N={n}: state {state} B, tree {tree} B, allocated while processing {allocated} B");
}
