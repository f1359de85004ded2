//! Alice (phone, laptop, tablet) and Bob (phone, laptop) are virtual clients; their shared group
//! S has exactly two leaves. Every step is checked from every viewpoint: every device of a
//! person holds a byte-identical V, and every device of both agrees on S's epoch authenticator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{Person, World, assert_agree};
use vmls_emulation::{Emulator, EmulatorConfig, EmulatorError, Event, Request, Store};
use vmls_group::group::ProcessedMessage;
use vmls_group::{Add, Proposal};

const S: &[u8] = b"alice and bob";

/// Alice's phone creates S as V; her laptop adds Bob's V; Bob's laptop announces the join.
fn setup() -> (World, Person, Person) {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop", "alice tablet"], 1);
    let mut bob = w.person("bob", &["bob phone", "bob laptop"], 2);
    w.announce(
        &mut alice,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: S.to_vec(),
        }],
    );
    w.sync_g(&mut alice);
    alice.assert_consistent();
    w.ds.create_group(S, 0, &["alice V"]);
    let bob_kp = bob.devices[0].em.key_packages(2).unwrap()[0].clone();
    w.announce(
        &mut alice,
        1,
        &[Request::Commit {
            vc_id: 1,
            group_id: S.to_vec(),
            proposals: vec![Proposal::Add(Add {
                key_package: bob_kp,
            })],
            include_pending: false,
        }],
    );
    let synced = w.sync_g(&mut alice);
    assert_eq!(synced.outgoing.len(), 1, "only the announcing laptop sends");
    let (gid, commit, welcome) = synced.outgoing[0].clone();
    assert_eq!(gid, S);
    alice.assert_consistent();
    w.ds.send(&commit).unwrap();
    w.ds.add_member(S, "bob V");
    let welcome = welcome.unwrap();
    w.ds.send_to("bob V", &welcome);
    w.sync_v(&mut alice);
    for d in 0..3 {
        assert!(!alice.group(d, S).has_pending_commit());
    }
    alice.assert_consistent();
    // Every Bob device reads the Welcome from V's queue; the laptop announces the join.
    w.sync_v(&mut bob);
    w.announce(&mut bob, 1, &[Request::JoinGroup { vc_id: 2, welcome }]);
    let synced = w.sync_g(&mut bob);
    for evs in &synced.events {
        assert!(
            evs.iter()
                .any(|e| matches!(e, Event::Joined { vc_id: 2, .. }))
        );
    }
    assert_agree(&[&alice, &bob], S);
    for p in [&alice, &bob] {
        for d in 0..p.devices.len() {
            assert_eq!(p.group(d, S).member_count(), 2);
            assert_eq!(p.group(d, S).tree().n_leaves(), 2);
        }
        // The used KeyPackage is gone on every device, the other one is left.
        assert_eq!(
            p.devices[0].em.key_packages(p.vc).unwrap().len(),
            if p.vc == 2 { 1 } else { 2 }
        );
    }
    (w, alice, bob)
}

fn cbams(events: &[Event]) -> Vec<(u32, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Processed {
                outcome: ProcessedMessage::Cbam { sender, data, .. },
                ..
            } => Some((*sender, data.clone())),
            _ => None,
        })
        .collect()
}

fn send(w: &mut World, p: &mut Person, d: usize, data: &[u8]) -> Vec<u8> {
    let mut r = w.rng();
    let m = p.devices[d]
        .em
        .send_cbam(p.vc, S, b"", data, &mut r)
        .unwrap();
    w.ds.send(&m).unwrap();
    m
}

#[test]
fn any_device_sends_and_every_device_of_the_other_reads() {
    let (mut w, mut alice, mut bob) = setup();
    let alice_leaf = alice.group(0, S).own_leaf_index();
    let bob_leaf = bob.group(0, S).own_leaf_index();
    assert_ne!(alice_leaf, bob_leaf);
    for d in 0..3 {
        let data = format!("from alice device {d}").into_bytes();
        send(&mut w, &mut alice, d, &data);
        for evs in w.sync_v(&mut bob) {
            assert_eq!(cbams(&evs), vec![(alice_leaf, data.clone())]);
        }
        for (i, evs) in w.sync_v(&mut alice).into_iter().enumerate() {
            if i == d {
                assert!(matches!(evs.as_slice(), [Event::OwnCbamEcho { .. }]));
            } else {
                assert_eq!(cbams(&evs), vec![(alice_leaf, data.clone())]);
            }
        }
        assert_agree(&[&alice, &bob], S);
    }
    for d in 0..2 {
        let data = format!("from bob device {d}").into_bytes();
        send(&mut w, &mut bob, d, &data);
        for evs in w.sync_v(&mut alice) {
            assert_eq!(cbams(&evs), vec![(bob_leaf, data.clone())]);
        }
        w.sync_v(&mut bob);
        assert_agree(&[&alice, &bob], S);
    }
}

#[test]
fn phone_and_laptop_send_at_the_same_moment_and_nothing_is_lost() {
    let (mut w, mut alice, mut bob) = setup();
    // Same randomness on purpose: the emulators' own G levels keep the challenges apart.
    let m1 = alice.devices[0]
        .em
        .send_cbam(1, S, b"", b"phone", &mut common::rng(5))
        .unwrap();
    let m2 = alice.devices[1]
        .em
        .send_cbam(1, S, b"", b"laptop", &mut common::rng(5))
        .unwrap();
    w.ds.send(&m1).unwrap();
    w.ds.send(&m2).unwrap();
    let leaf = alice.group(0, S).own_leaf_index();
    for evs in w.sync_v(&mut bob) {
        assert_eq!(
            cbams(&evs),
            vec![(leaf, b"phone".to_vec()), (leaf, b"laptop".to_vec())]
        );
    }
    let evs = w.sync_v(&mut alice);
    assert_eq!(cbams(&evs[0]), vec![(leaf, b"laptop".to_vec())]);
    assert_eq!(cbams(&evs[1]), vec![(leaf, b"phone".to_vec())]);
    assert_eq!(
        cbams(&evs[2]),
        vec![(leaf, b"phone".to_vec()), (leaf, b"laptop".to_vec())]
    );
    assert_agree(&[&alice, &bob], S);
}

#[test]
fn tablet_commits_an_update_and_bob_sees_an_ordinary_commit() {
    let (mut w, mut alice, mut bob) = setup();
    let epoch = alice.group(0, S).epoch();
    let old_key = *alice.group(0, S).own_leaf().unwrap().encryption_key();
    w.announce(
        &mut alice,
        2,
        &[Request::Commit {
            vc_id: 1,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    );
    let synced = w.sync_g(&mut alice);
    // Every device computed the same commit; only the tablet sends it.
    let mut seen = vec![];
    for evs in &synced.events {
        for e in evs {
            if let Event::Outgoing { message, .. } = e {
                seen.push(message.clone());
            }
        }
    }
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|m| *m == seen[0]));
    assert_eq!(synced.outgoing.len(), 1);
    for d in 0..3 {
        assert!(alice.group(d, S).has_pending_commit());
    }
    alice.assert_consistent();
    w.ds.send(&synced.outgoing[0].1).unwrap();
    let alice_leaf = alice.group(0, S).own_leaf_index();
    for evs in w.sync_v(&mut bob) {
        match evs.as_slice() {
            [
                Event::Processed {
                    outcome: ProcessedMessage::Commit(s),
                    ..
                },
            ] => {
                assert_eq!(s.committer, alice_leaf);
                assert!(s.has_path);
                assert!(s.added.is_empty() && s.removed.is_empty() && s.updated.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }
    for evs in w.sync_v(&mut alice) {
        assert!(matches!(
            evs.as_slice(),
            [Event::Processed {
                outcome: ProcessedMessage::Commit(_),
                ..
            }]
        ));
    }
    assert_agree(&[&alice, &bob], S);
    assert_eq!(alice.group(0, S).epoch(), epoch + 1);
    assert_ne!(
        *alice.group(0, S).own_leaf().unwrap().encryption_key(),
        old_key
    );
    // Messages still flow both ways after the update.
    send(&mut w, &mut bob, 1, b"after update");
    for evs in w.sync_v(&mut alice) {
        assert_eq!(cbams(&evs).len(), 1);
    }
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
}

#[test]
fn sibling_commit_loses_to_bob_and_every_emulator_ends_the_same() {
    let (mut w, mut alice, mut bob) = setup();
    let epoch = alice.group(0, S).epoch();
    let commit_request = |vc| Request::Commit {
        vc_id: vc,
        group_id: S.to_vec(),
        proposals: vec![],
        include_pending: false,
    };
    w.announce(&mut alice, 1, &[commit_request(1)]);
    let a = w.sync_g(&mut alice).outgoing;
    w.announce(&mut bob, 0, &[commit_request(2)]);
    let b = w.sync_g(&mut bob).outgoing;
    // Bob's commit reaches S's DS first; the laptop's for V loses.
    w.ds.send(&b[0].1).unwrap();
    assert!(w.ds.send(&a[0].1).is_err());
    for d in 0..3 {
        assert!(alice.group(d, S).has_pending_commit());
    }
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    for d in 0..3 {
        assert!(!alice.group(d, S).has_pending_commit());
        assert_eq!(alice.group(d, S).epoch(), epoch + 1);
    }
    assert_agree(&[&alice, &bob], S);
    // V can commit again afterwards.
    w.announce(&mut alice, 0, &[commit_request(1)]);
    let a = w.sync_g(&mut alice).outgoing;
    w.ds.send(&a[0].1).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
    assert_eq!(bob.group(0, S).epoch(), epoch + 2);
}

#[test]
fn commit_of_v_arriving_before_its_announcement_is_buffered_then_applied() {
    let (mut w, mut alice, mut bob) = setup();
    w.announce(
        &mut alice,
        1,
        &[Request::Commit {
            vc_id: 1,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    );
    let out = w.sync_g_device(&mut alice, 1).outgoing;
    w.ds.send(&out[0].1).unwrap();
    // A CBAM from Bob right after, in the same queue: it waits behind the buffered commit.
    w.sync_v(&mut bob);
    send(&mut w, &mut bob, 0, b"behind the commit");
    // The tablet reads V's queue before G's: V's commit is not its own pending commit yet.
    let before = alice.devices[2].em.to_bytes().unwrap();
    let evs = w.sync_v_device(&mut alice, 2);
    assert!(matches!(
        evs.as_slice(),
        [Event::Buffered { .. }, Event::Buffered { .. }]
    ));
    assert_eq!(alice.devices[2].em.buffered_messages(), 2);
    // The buffered state survives a save/restore.
    let restored = Emulator::from_bytes(
        &alice.devices[2].em.to_bytes().unwrap(),
        EmulatorConfig::default(),
    )
    .unwrap();
    assert_eq!(
        restored.to_bytes().unwrap(),
        alice.devices[2].em.to_bytes().unwrap()
    );
    assert_ne!(before, restored.to_bytes().unwrap());
    alice.devices[2].em = restored;
    // Then the announcement: the commit is replayed, the buffer drains in order.
    let synced = w.sync_g_device(&mut alice, 2);
    let evs = &synced.events[0];
    assert!(matches!(evs[0], Event::Outgoing { .. }));
    assert!(matches!(
        evs[1],
        Event::Processed {
            outcome: ProcessedMessage::Commit(_),
            ..
        }
    ));
    assert_eq!(cbams(evs).len(), 1);
    assert_eq!(alice.devices[2].em.buffered_messages(), 0);
    // The phone reads in the usual order.
    w.sync_g_device(&mut alice, 0);
    w.sync_v_device(&mut alice, 0);
    w.sync_v_device(&mut alice, 1);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
}

#[test]
fn announcement_ahead_of_the_group_is_deferred_until_the_group_catches_up() {
    let (mut w, mut alice, mut bob) = setup();
    // Bob commits in S; Alice's phone reads it, then announces a commit at the new epoch.
    w.announce(
        &mut bob,
        0,
        &[Request::Commit {
            vc_id: 2,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    );
    let b = w.sync_g(&mut bob).outgoing;
    w.ds.send(&b[0].1).unwrap();
    w.sync_v_device(&mut alice, 0);
    w.announce(
        &mut alice,
        0,
        &[Request::Commit {
            vc_id: 1,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    );
    let a = w.sync_g_device(&mut alice, 0).outgoing;
    w.ds.send(&a[0].1).unwrap();
    // The tablet is still at the old epoch of S: the action waits.
    let evs = &w.sync_g_device(&mut alice, 2).events[0];
    assert!(matches!(evs.as_slice(), [Event::Deferred { .. }]));
    assert_eq!(alice.devices[2].em.deferred_actions(), 1);
    // Reading S: Bob's commit, then the deferred replay, then V's commit merges.
    let evs = w.sync_v_device(&mut alice, 2);
    assert!(evs.iter().any(|e| matches!(e, Event::Outgoing { .. })));
    assert_eq!(alice.devices[2].em.deferred_actions(), 0);
    w.sync_g_device(&mut alice, 1);
    w.sync_v_device(&mut alice, 1);
    w.sync_v_device(&mut alice, 0);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
}

#[test]
fn a_full_buffer_is_a_typed_error_that_changes_nothing() {
    let mut w = World::new();
    let config = EmulatorConfig {
        max_buffered: 1,
        ..EmulatorConfig::default()
    };
    let mut alice = w.person_with("alice", &["alice phone", "alice laptop"], 1, config);
    w.announce(
        &mut alice,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: S.to_vec(),
        }],
    );
    w.sync_g(&mut alice);
    w.ds.create_group(S, 0, &["alice V"]);
    for _ in 0..2 {
        w.announce(
            &mut alice,
            0,
            &[Request::Commit {
                vc_id: 1,
                group_id: S.to_vec(),
                proposals: vec![],
                include_pending: false,
            }],
        );
        let out = w.sync_g_device(&mut alice, 0).outgoing;
        w.ds.send(&out[0].1).unwrap();
        w.sync_v_device(&mut alice, 0);
    }
    let msgs = w.ds.read("alice V", "alice laptop");
    let laptop = &mut alice.devices[1].em;
    laptop.process_group_message(1, &msgs[0]).unwrap();
    let before = laptop.to_bytes().unwrap();
    assert_eq!(
        laptop.process_group_message(1, &msgs[1]),
        Err(EmulatorError::Full(Store::Buffered))
    );
    assert_eq!(laptop.to_bytes().unwrap(), before);
    // The announcements release the buffered commit and replay the second, which the
    // refused message then merges.
    w.sync_g_device(&mut alice, 1);
    assert_eq!(alice.devices[1].em.buffered_messages(), 0);
    assert!(
        alice.devices[1]
            .em
            .vc_group(1, S)
            .unwrap()
            .has_pending_commit()
    );
    alice.devices[1]
        .em
        .process_group_message(1, &msgs[1])
        .unwrap();
    assert!(
        !alice.devices[1]
            .em
            .vc_group(1, S)
            .unwrap()
            .has_pending_commit()
    );
    alice.assert_consistent();
}
