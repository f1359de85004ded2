//! `vmls demo`'s transcript against what RFC 9420 and the virtual-clients draft say must
//! happen (not against a recording of its output).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeSet;

use vmls_cli::demo::{Step, run};

const SHARED: &str = "alice+bob+carol";

fn devices_in(step: &Step, group: &str) -> BTreeSet<String> {
    step.views
        .iter()
        .filter(|v| v.group == group)
        .map(|v| v.device.clone())
        .collect()
}

/// Every current member device other than the sender read `label` with exactly `text`.
fn all_read(step: &Step, label: &str) {
    let (_, sender, text) = step.sent.iter().find(|s| s.0 == label).unwrap();
    for d in devices_in(step, SHARED) {
        if d == *sender {
            continue;
        }
        assert!(
            step.reads
                .iter()
                .any(|r| r.message == label && r.reader == d && r.result.as_deref() == Ok(text)),
            "{d} did not read {label}"
        );
    }
}

fn view_epoch(step: &Step, device: &str, group: &str) -> u64 {
    step.views
        .iter()
        .find(|v| v.device == device && v.group == group)
        .unwrap()
        .epoch
}

#[test]
fn the_demo_story_holds() {
    let t = run(Some(vmls_cost::Params::SMALL)).unwrap();
    assert_eq!(t.steps.len(), 6);

    // One leaf per user in the shared group, whatever the device count (3, 2, then 3 again
    // for Alice): Alice's V, Bob's V, Carol. Every device agrees on epoch and authenticator.
    let mut last_epoch = None;
    for step in &t.steps {
        let shared: Vec<_> = step.views.iter().filter(|v| v.group == SHARED).collect();
        if shared.is_empty() {
            continue;
        }
        assert!(shared.iter().all(|v| v.leaves == 3), "{}", step.title);
        assert!(shared.iter().all(|v| v.epoch == shared[0].epoch));
        assert!(
            shared
                .iter()
                .all(|v| v.authenticator == shared[0].authenticator)
        );
        // RFC 9420: a group starts at epoch 0 and each accepted commit adds exactly one.
        let before = last_epoch.unwrap_or(0);
        assert_eq!(
            shared[0].epoch,
            before + step.shared_commits,
            "{}",
            step.title
        );
        last_epoch = Some(shared[0].epoch);
    }
    assert_eq!(last_epoch, Some(3)); // the Add, the tablet's update, the post-removal update

    // Alice's emulation group: 3 devices, 2 after the loss, 3 with the new laptop.
    let alice_g = "alice's devices";
    let leaves = |s: &Step| {
        s.views
            .iter()
            .find(|v| v.group == alice_g)
            .map(|v| v.leaves)
            .unwrap()
    };
    assert_eq!(leaves(&t.steps[0]), 3);
    assert_eq!(leaves(&t.steps[4]), 2);
    assert_eq!(leaves(&t.steps[5]), 3);
    // One emulation-group commit per announcement: the tablet's update (+1), the removal
    // (+1), the new laptop's Add and its provisioning announcement (+2). Bob's stays put.
    let tab = "alice tablet";
    assert_eq!(
        view_epoch(&t.steps[3], tab, alice_g),
        view_epoch(&t.steps[2], tab, alice_g) + 1
    );
    assert_eq!(
        view_epoch(&t.steps[4], tab, alice_g),
        view_epoch(&t.steps[3], tab, alice_g) + 1
    );
    assert_eq!(
        view_epoch(&t.steps[5], tab, alice_g),
        view_epoch(&t.steps[4], tab, alice_g) + 2
    );
    let bob_g = "bob's devices";
    let bob = view_epoch(&t.steps[2], "bob phone", bob_g);
    for s in &t.steps[3..] {
        assert_eq!(view_epoch(s, "bob phone", bob_g), bob);
    }

    // Concurrent messages (same epoch, none delivered before all were sent): every device
    // but the sender read all four.
    let conc = &t.steps[2];
    assert_eq!(conc.sent.len(), 4);
    assert_eq!(
        conc.sent
            .iter()
            .map(|s| s.1.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        4,
        "four different senders"
    );
    for label in ["m1", "m2", "m3", "m4"] {
        all_read(conc, label);
    }
    assert_eq!(devices_in(conc, SHARED).len(), 6);
    assert!(conc.reads.iter().all(|r| r.result.is_ok()));

    // The lost phone: gone from the views, and its kept state reads nothing sent afterwards.
    let removal = &t.steps[4];
    assert!(!devices_in(removal, SHARED).contains("alice phone"));
    let lost: Vec<_> = removal
        .reads
        .iter()
        .filter(|r| r.reader.contains("lost"))
        .collect();
    assert_eq!(lost.len(), 3, "V's commit, m5, m6");
    assert!(lost.iter().all(|r| r.result.is_err()));
    for label in ["m5", "m6"] {
        all_read(removal, label);
    }

    // The new laptop sends as Alice at once and everyone reads it.
    let added = &t.steps[5];
    assert!(devices_in(added, SHARED).contains("alice laptop"));
    assert_eq!(added.sent[0].1, "alice laptop");
    all_read(added, "m7");

    // The text shows the failed attempts and ends with the cost table of the small case:
    // U x D = 8 leaves per group in multi-client mode, U = 4 with virtual clients.
    let text = t.to_text();
    assert!(text.contains("alice phone (lost copy)  CANNOT read m5"));
    let table = t.cost_table.as_deref().unwrap();
    assert!(
        table.contains("| leaves per shared group (measured) | 8 | 4 |"),
        "{table}"
    );
    assert!(text.ends_with(table));
}
