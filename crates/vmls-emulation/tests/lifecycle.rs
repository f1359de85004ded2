//! The less common paths of issue 17: V proposes and leaves, a join whose Welcome comes late,
//! S messages before V's join, buffered messages that fail, a commit of V that never comes
//! back, and a deferred action whose G seed expires.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{Person, World, assert_agree};
use vmls_emulation::{EmulatorConfig, EmulatorError, Event, ProposalRequest, Request};
use vmls_group::group::ProcessedMessage;
use vmls_group::{Add, Proposal};

const S: &[u8] = b"alice and bob";

fn commit(vc: u32) -> Request {
    Request::Commit {
        vc_id: vc,
        group_id: S.to_vec(),
        proposals: vec![],
        include_pending: false,
    }
}

/// Alice's phone creates S, her laptop adds Bob. Returns Bob's Welcome (in Bob's V queue,
/// unread by Bob's devices).
fn add_bob(w: &mut World, alice: &mut Person, bob: &Person) -> Vec<u8> {
    w.announce(
        alice,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: S.to_vec(),
        }],
    );
    w.sync_g(alice);
    w.ds.create_group(S, 0, &["alice V"]);
    let bob_kp = bob.devices[0].em.key_packages(2).unwrap()[0].clone();
    w.announce(
        alice,
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
    let (_, c, welcome) = w.sync_g(alice).outgoing[0].clone();
    w.ds.send(&c).unwrap();
    w.ds.add_member(S, "bob V");
    let welcome = welcome.unwrap();
    w.ds.send_to("bob V", &welcome);
    w.sync_v(alice);
    welcome
}

fn setup_with(config: EmulatorConfig) -> (World, Person, Person) {
    let mut w = World::new();
    let mut alice = w.person_with(
        "alice",
        &["alice phone", "alice laptop", "alice tablet"],
        1,
        config,
    );
    let mut bob = w.person_with("bob", &["bob phone", "bob laptop"], 2, config);
    let welcome = add_bob(&mut w, &mut alice, &bob);
    w.sync_v(&mut bob);
    w.announce(&mut bob, 1, &[Request::JoinGroup { vc_id: 2, welcome }]);
    w.sync_g(&mut bob);
    assert_agree(&[&alice, &bob], S);
    (w, alice, bob)
}

fn setup() -> (World, Person, Person) {
    setup_with(EmulatorConfig::default())
}

#[test]
fn v_proposes_an_update_and_bob_commits_it() {
    let (mut w, mut alice, mut bob) = setup();
    let old_key = *alice.group(0, S).own_leaf().unwrap().encryption_key();
    w.announce(
        &mut alice,
        2,
        &[Request::Propose {
            vc_id: 1,
            group_id: S.to_vec(),
            request: ProposalRequest::Update,
        }],
    );
    let synced = w.sync_g(&mut alice);
    alice.assert_consistent();
    w.ds.send(&synced.outgoing[0].1).unwrap();
    for evs in w.sync_v(&mut bob) {
        assert!(matches!(
            evs.as_slice(),
            [Event::Processed {
                outcome: ProcessedMessage::Proposal { .. },
                ..
            }]
        ));
    }
    // The proposal's echo is V's own, already cached on every device.
    w.sync_v(&mut alice);
    alice.assert_consistent();
    w.announce(
        &mut bob,
        0,
        &[Request::Commit {
            vc_id: 2,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: true,
        }],
    );
    let b = w.sync_g(&mut bob).outgoing;
    w.ds.send(&b[0].1).unwrap();
    for evs in w.sync_v(&mut alice) {
        match evs.as_slice() {
            [
                Event::Processed {
                    outcome: ProcessedMessage::Commit(s),
                    ..
                },
            ] => assert_eq!(s.updated, vec![alice.group(0, S).own_leaf_index()]),
            other => panic!("{other:?}"),
        }
    }
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
    for d in 0..3 {
        assert_ne!(
            *alice.group(d, S).own_leaf().unwrap().encryption_key(),
            old_key
        );
    }
    // V can still read and send in the new epoch.
    let mut r = w.rng();
    let m = alice.devices[1]
        .em
        .send_cbam(1, S, b"", b"after", &mut r)
        .unwrap();
    w.ds.send(&m).unwrap();
    for evs in w.sync_v(&mut bob) {
        assert!(matches!(
            evs.as_slice(),
            [Event::Processed {
                outcome: ProcessedMessage::Cbam { .. },
                ..
            }]
        ));
    }
}

#[test]
fn v_leaves_s_and_every_device_drops_it() {
    let (mut w, mut alice, mut bob) = setup();
    w.announce(
        &mut alice,
        1,
        &[Request::Leave {
            vc_id: 1,
            group_id: S.to_vec(),
        }],
    );
    let synced = w.sync_g(&mut alice);
    alice.assert_consistent();
    w.ds.send(&synced.outgoing[0].1).unwrap();
    w.sync_v(&mut bob);
    w.sync_v(&mut alice);
    w.announce(
        &mut bob,
        1,
        &[Request::Commit {
            vc_id: 2,
            group_id: S.to_vec(),
            proposals: vec![],
            include_pending: true,
        }],
    );
    let b = w.sync_g(&mut bob).outgoing;
    w.ds.send(&b[0].1).unwrap();
    for evs in w.sync_v(&mut alice) {
        assert!(
            evs.iter()
                .any(|e| matches!(e, Event::Removed { vc_id: 1, .. }))
        );
    }
    alice.assert_consistent();
    for d in 0..3 {
        assert!(alice.devices[d].em.vc_groups(1).unwrap().is_empty());
        assert_eq!(
            alice.devices[d].em.vc_group(1, S).err(),
            Some(EmulatorError::NotInGroup { vc_id: 1 })
        );
    }
    w.sync_v(&mut bob);
    bob.assert_consistent();
    assert_eq!(bob.group(0, S).member_count(), 1);
}

/// Bob's laptop announces the join; the phone processes G before it read the Welcome (the
/// join is deferred), and then reads the Welcome and an S message queued after it.
#[test]
fn join_waits_for_a_welcome_that_arrives_after_its_announcement() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    let mut bob = w.person("bob", &["bob phone", "bob laptop"], 2);
    let welcome = add_bob(&mut w, &mut alice, &bob);
    let mut r = w.rng();
    let m = alice.devices[0]
        .em
        .send_cbam(1, S, b"", b"hi bob", &mut r)
        .unwrap();
    w.ds.send(&m).unwrap();
    w.sync_v_device(&mut bob, 1);
    w.announce(&mut bob, 1, &[Request::JoinGroup { vc_id: 2, welcome }]);
    w.sync_g_device(&mut bob, 1);
    let evs = w.sync_g_device(&mut bob, 0).events.remove(0);
    assert!(matches!(evs.as_slice(), [Event::Deferred { vc_id: 2, .. }]));
    assert_eq!(bob.devices[0].em.deferred_actions(), 1);
    let evs = w.sync_v_device(&mut bob, 0);
    assert!(matches!(evs[0], Event::Joined { vc_id: 2, .. }));
    assert!(matches!(
        &evs[1],
        Event::Processed {
            outcome: ProcessedMessage::Cbam { data, .. },
            ..
        } if data == b"hi bob"
    ));
    assert_eq!(bob.devices[0].em.deferred_actions(), 0);
    w.sync_v(&mut alice);
    assert_agree(&[&alice, &bob], S);
}

/// The phone reads V's queue (the Welcome, then S messages) before G's join announcement: the
/// S messages are buffered, not refused, and applied once the join runs. A message of a
/// group V has no join on its way for is still `NotInGroup`. A buffered message that then
/// fails (here a replayed CBAM) is reported as `BufferedDropped`.
#[test]
fn s_messages_before_the_join_are_buffered_and_a_failing_one_is_reported() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    let mut bob = w.person("bob", &["bob phone", "bob laptop"], 2);
    let welcome = add_bob(&mut w, &mut alice, &bob);
    let mut r = w.rng();
    let m = alice.devices[1]
        .em
        .send_cbam(1, S, b"", b"early", &mut r)
        .unwrap();
    w.ds.send(&m).unwrap();
    // The same CBAM delivered to Bob twice (a replay): the second copy can never apply.
    w.ds.send_to("bob V", &m);
    w.sync_v_device(&mut bob, 1);
    w.announce(&mut bob, 1, &[Request::JoinGroup { vc_id: 2, welcome }]);
    let evs = w.sync_v_device(&mut bob, 0);
    assert!(matches!(
        evs.as_slice(),
        [Event::Buffered { .. }, Event::Buffered { .. }]
    ));
    assert_eq!(bob.devices[0].em.buffered_messages(), 2);
    // A group without a join on its way is refused and changes nothing.
    let before = bob.devices[0].em.to_bytes().unwrap();
    let mut other = m.clone();
    other[5] ^= 1; // the first byte of the group id (after version, wire format, length)
    assert_eq!(
        bob.devices[0].em.process_group_message(2, &other),
        Err(EmulatorError::NotInGroup { vc_id: 2 })
    );
    assert_eq!(bob.devices[0].em.to_bytes().unwrap(), before);
    let evs = w.sync_g_device(&mut bob, 0).events.remove(0);
    assert!(matches!(evs[0], Event::Joined { .. }));
    assert!(matches!(
        &evs[1],
        Event::Processed {
            outcome: ProcessedMessage::Cbam { data, .. },
            ..
        } if data == b"early"
    ));
    assert!(matches!(
        &evs[2],
        Event::BufferedDropped {
            vc_id: 2,
            error: EmulatorError::Group(_),
            ..
        }
    ));
    assert_eq!(evs.len(), 3);
    assert_eq!(bob.devices[0].em.buffered_messages(), 0);
    w.sync_g_device(&mut bob, 1);
    assert_eq!(bob.devices[1].em.buffered_messages(), 0);
    w.sync_v(&mut alice);
    assert_agree(&[&alice, &bob], S);
}

/// The laptop's commit for V never reaches S's Delivery Service and nothing beats it. The next
/// action announced for V in S at that epoch abandons it on every device alike.
#[test]
fn a_commit_that_never_comes_back_is_abandoned_by_the_next_action() {
    let (mut w, mut alice, mut bob) = setup();
    let epoch = alice.group(0, S).epoch();
    w.announce(&mut alice, 1, &[commit(1)]);
    let _lost = w.sync_g(&mut alice).outgoing;
    for d in 0..3 {
        assert!(alice.group(d, S).has_pending_commit());
    }
    // Without the rule V could never act in S again; with it the phone's commit goes out.
    w.announce(&mut alice, 0, &[commit(1)]);
    let synced = w.sync_g(&mut alice);
    for evs in &synced.events {
        assert!(matches!(
            evs.as_slice(),
            [
                Event::PendingCommitAbandoned { vc_id: 1, epoch: e, .. },
                Event::Outgoing { .. }
            ] if *e == epoch
        ));
    }
    alice.assert_consistent();
    w.ds.send(&synced.outgoing[0].1).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
    assert_eq!(bob.group(0, S).epoch(), epoch + 1);
}

/// The abandoned commit was accepted by S after all: the tablet read it before the next
/// announcement (which it then reports superseded), the phone and laptop only after (they
/// merge it from the kept state). Everybody ends in the same epoch.
#[test]
fn an_abandoned_commit_that_comes_back_after_all_is_still_merged() {
    let (mut w, mut alice, mut bob) = setup();
    let epoch = alice.group(0, S).epoch();
    w.announce(&mut alice, 1, &[commit(1)]);
    let c1 = w.sync_g(&mut alice).outgoing;
    w.ds.send(&c1[0].1).unwrap();
    w.sync_v_device(&mut alice, 2);
    // The phone has not read S: it announces again at the old epoch.
    w.announce(&mut alice, 0, &[commit(1)]);
    let synced = w.sync_g(&mut alice);
    assert!(matches!(
        synced.events[0].as_slice(),
        [Event::PendingCommitAbandoned { .. }, Event::Outgoing { .. }]
    ));
    assert!(matches!(
        synced.events[2].as_slice(),
        [Event::Superseded { .. }]
    ));
    assert!(w.ds.send(&synced.outgoing[0].1).is_err());
    for evs in w.sync_v(&mut alice) {
        assert!(evs.iter().all(|e| !matches!(e, Event::Buffered { .. })));
    }
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
    for d in 0..3 {
        assert_eq!(alice.group(d, S).epoch(), epoch + 1);
        assert!(!alice.group(d, S).has_pending_commit());
    }
    // The saved state round-trips, and V acts again.
    let blob = alice.devices[0].em.to_bytes().unwrap();
    assert_eq!(
        vmls_emulation::Emulator::from_bytes(&blob, EmulatorConfig::default())
            .unwrap()
            .to_bytes()
            .unwrap(),
        blob
    );
    w.announce(&mut alice, 2, &[commit(1)]);
    let c = w.sync_g(&mut alice).outgoing;
    w.ds.send(&c[0].1).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
}

/// The tablet is behind in S when the phone's commit is announced, and G moves on past the
/// retained-seed bound before the tablet catches up: the deferred action expires
/// (`ActionExpired`), and V's commit from S is then a typed `SeedExpired` error that changes
/// nothing (the way back is re-provisioning, docs/spec-decisions.md).
#[test]
fn a_deferred_action_whose_seed_expires_is_a_typed_error() {
    let config = EmulatorConfig {
        max_retained_seeds: 2,
        ..EmulatorConfig::default()
    };
    let (mut w, mut alice, mut bob) = setup_with(config);
    w.announce(&mut bob, 0, &[commit(2)]);
    let b = w.sync_g(&mut bob).outgoing;
    w.ds.send(&b[0].1).unwrap();
    w.sync_v_device(&mut alice, 0);
    w.sync_v_device(&mut alice, 1);
    w.announce(&mut alice, 0, &[commit(1)]);
    let a = w.sync_g_device(&mut alice, 0).outgoing;
    w.ds.send(&a[0].1).unwrap();
    w.sync_g_device(&mut alice, 1);
    let g_epoch = alice.devices[0].em.emulation_group().epoch();
    let evs = w.sync_g_device(&mut alice, 2).events.remove(0);
    assert!(matches!(evs.as_slice(), [Event::Deferred { .. }]));
    // Two more G epochs (KeyPackages): the seed of the announcing epoch falls out.
    let kp = Request::PublishKeyPackages {
        vc_id: 1,
        count: 1,
        lifetime: common::FOREVER,
    };
    w.announce(&mut alice, 0, std::slice::from_ref(&kp));
    w.sync_g_device(&mut alice, 0);
    w.announce(&mut alice, 0, &[kp]);
    w.sync_g_device(&mut alice, 0);
    let evs = w.sync_g_device(&mut alice, 2).events.remove(0);
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::ActionExpired { vc_id: 1, g_epoch: g, .. } if *g == g_epoch
    )));
    assert_eq!(alice.devices[2].em.deferred_actions(), 0);
    let msgs = w.ds.read("alice V", "alice tablet");
    assert_eq!(msgs.len(), 2);
    let tablet = &mut alice.devices[2].em;
    tablet.process_group_message(1, &msgs[0]).unwrap();
    let before = tablet.to_bytes().unwrap();
    assert_eq!(
        tablet.process_group_message(1, &msgs[1]),
        Err(EmulatorError::SeedExpired { epoch: g_epoch })
    );
    assert_eq!(tablet.to_bytes().unwrap(), before);
    // The devices that kept up are unaffected.
    w.sync_v_device(&mut alice, 0);
    w.sync_g_device(&mut alice, 1);
    w.sync_v_device(&mut alice, 1);
    w.sync_v(&mut bob);
    assert_eq!(
        alice.devices[0].em.virtual_client_bytes(1).unwrap(),
        alice.devices[1].em.virtual_client_bytes(1).unwrap()
    );
    assert_eq!(
        alice.group(1, S).epoch_authenticator(),
        bob.group(0, S).epoch_authenticator()
    );
    // The way back: the tablet waits for a fresh snapshot, the laptop provisions it.
    alice.devices[2].em.await_reprovisioning();
    let tablet_leaf = alice.devices[2].em.emulation_group().own_leaf_index();
    w.ds.start_reader_at("alice V", "alice tablet", "alice laptop");
    let mut r = w.rng();
    let p = alice.devices[1].em.provision(tablet_leaf, &mut r).unwrap();
    w.ds.send(&p).unwrap();
    w.sync_g(&mut alice);
    let mut r = w.rng();
    let chunks = alice.devices[1].em.provisioning_messages(&mut r).unwrap();
    let mut events = Vec::new();
    for c in &chunks {
        events.extend(
            alice.devices[2]
                .em
                .process_emulation_message(c)
                .unwrap()
                .events,
        );
    }
    assert!(events.contains(&Event::Provisioned));
    w.sync_g_device(&mut alice, 0);
    alice.assert_consistent();
    assert_agree(&[&alice, &bob], S);
}

/// A version-1 state blob (before `retired` and `expired`) is still read.
#[test]
fn a_version_1_state_blob_is_read() {
    let (_, alice, _) = setup();
    let v2 = alice.devices[0].em.to_bytes().unwrap();
    // The three fields version 2 added are empty here: one-byte zero lengths at the end.
    assert_eq!(&v2[v2.len() - 3..], &[0, 0, 0]);
    let mut v1 = v2[..v2.len() - 3].to_vec();
    v1[..2].copy_from_slice(&1u16.to_be_bytes());
    let restored = vmls_emulation::Emulator::from_bytes(&v1, EmulatorConfig::default()).unwrap();
    assert_eq!(restored.to_bytes().unwrap(), v2);
    v1[..2].copy_from_slice(&3u16.to_be_bytes());
    assert_eq!(
        vmls_emulation::Emulator::from_bytes(&v1, EmulatorConfig::default()).err(),
        Some(EmulatorError::UnsupportedStateVersion(3))
    );
}
