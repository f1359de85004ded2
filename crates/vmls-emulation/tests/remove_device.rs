//! Issue 18, removing a device (a lost phone): the laptop removes the phone from G and, in the
//! same announcement, V commits in S with secrets from G's new epoch and a new signature key
//! derived from it. The phone's last state (an attacker's copy) then decrypts nothing in S,
//! CBAMs included, its old signature key no longer verifies, and nothing it sends is accepted
//! by anyone: late messages of the epoch before V's update included (`LatePolicy::Refuse`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{World, assert_agree};
use vmls_emulation::{EmulatorError, Event, Request};
use vmls_group::group::{CommitOptions, GroupError, ProcessedMessage};

const S: &[u8] = b"alice and bob";

#[test]
fn a_removed_device_reads_nothing_and_is_accepted_nowhere() {
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
    w.ds.create_group(S, 0, &["alice V"]);
    let bob_kp = bob.devices[0].em.key_packages(2).unwrap()[0].clone();
    w.announce(
        &mut alice,
        1,
        &[Request::Commit {
            vc_id: 1,
            group_id: S.to_vec(),
            proposals: vec![vmls_group::Proposal::Add(vmls_group::Add {
                key_package: bob_kp,
            })],
            include_pending: false,
        }],
    );
    let (_, c, welcome) = w.sync_g(&mut alice).outgoing[0].clone();
    w.ds.send(&c).unwrap();
    w.ds.add_member(S, "bob V");
    let welcome = welcome.unwrap();
    w.ds.send_to("bob V", &welcome);
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    w.announce(&mut bob, 1, &[Request::JoinGroup { vc_id: 2, welcome }]);
    w.sync_g(&mut bob);
    assert_agree(&[&alice, &bob], S);

    // The phone is lost: an attacker keeps its state as it is now.
    let lost = alice.devices[0].em.clone();
    let lost_group = lost.vc_group(1, S).unwrap().clone();
    let phone_leaf = lost.emulation_group().own_leaf_index();
    let old_leaf_key = *lost_group.own_leaf().unwrap().encryption_key();
    let s_epoch = lost_group.epoch();
    let v_leaf = lost_group.own_leaf_index();
    let old_sig = lost.signature_public_key(1).unwrap();
    assert_eq!(lost_group.own_leaf().unwrap().signature_key(), &old_sig);
    // A genuine CBAM of Bob's in this epoch that reaches Alice's devices late (after V's
    // update): Bob's leaf is unchanged, so it is read.
    let mut r = w.rng();
    let bob_late = bob.devices[1]
        .em
        .send_cbam(2, S, b"", b"late but genuine", &mut r)
        .unwrap();
    // Bob's other device reads it now (V's queue); Alice's devices get it late.
    bob.devices[0]
        .em
        .process_group_message(2, &bob_late)
        .unwrap();

    // The laptop removes it; the same G commit has V commit in S.
    let mut r = w.rng();
    let g_commit = alice.devices[1]
        .em
        .remove_emulators(&[phone_leaf], &mut r)
        .unwrap();
    w.ds.send(&g_commit).unwrap();
    // The phone, if it still runs, learns it was removed and deletes V.
    let phone_events = w.sync_g_device(&mut alice, 0).events.remove(0);
    assert_eq!(phone_events, vec![Event::EmulatorRemoved]);
    assert_eq!(alice.devices[0].em.virtual_clients().count(), 0);
    alice.devices.remove(0);
    let synced = w.sync_g(&mut alice);
    for evs in &synced.events {
        match evs.as_slice() {
            [
                Event::KeyPackagesRevoked {
                    vc_id: 1,
                    key_packages,
                },
                Event::Outgoing { group_id, .. },
            ] => {
                assert_eq!(key_packages.len(), 2);
                assert_eq!(group_id, S);
            }
            other => panic!("{other:?}"),
        }
    }
    alice.assert_consistent();
    for d in &alice.devices {
        assert!(d.em.key_packages(1).unwrap().is_empty());
        assert_eq!(d.em.emulation_group().member_count(), 2);
    }
    let s_commit = synced.outgoing[0].1.clone();
    w.ds.send(&s_commit).unwrap();
    w.sync_v(&mut alice);
    for evs in w.sync_v(&mut bob) {
        assert!(matches!(
            evs.as_slice(),
            [Event::Processed {
                outcome: ProcessedMessage::Commit(s),
                ..
            }] if s.has_path
        ));
    }
    assert_agree(&[&alice, &bob], S);
    assert_eq!(alice.group(0, S).epoch(), s_epoch + 1);
    assert_ne!(
        *alice.group(0, S).own_leaf().unwrap().encryption_key(),
        old_leaf_key
    );

    // V's signature key was rotated: every remaining device holds the same new key, V's leaf
    // in S carries it on every device and for Bob (read from the tree), and it is not the
    // phone's.
    let new_sig = alice.devices[0].em.signature_public_key(1).unwrap();
    assert_ne!(new_sig, old_sig);
    for d in &alice.devices {
        assert_eq!(d.em.signature_public_key(1).unwrap(), new_sig);
        assert_eq!(
            d.em.vc_group(1, S)
                .unwrap()
                .own_leaf()
                .unwrap()
                .signature_key(),
            &new_sig
        );
    }
    for d in &bob.devices {
        let g = d.em.vc_group(2, S).unwrap();
        assert_eq!(
            g.tree()
                .leaf(vmls_tree::LeafIndex(v_leaf))
                .unwrap()
                .signature_key(),
            &new_sig
        );
    }
    // Bob's late CBAM of the epoch before is read by Alice's devices.
    for d in &mut alice.devices {
        let got = d.em.process_group_message(1, &bob_late).unwrap();
        assert!(
            matches!(
                got.as_slice(),
                [Event::Processed {
                    outcome: ProcessedMessage::Cbam { epoch, data, .. },
                    ..
                }] if *epoch == s_epoch && data.as_slice() == b"late but genuine"
            ),
            "{got:?}"
        );
    }

    // Afterwards: Bob and the tablet send CBAMs, V commits again.
    let mut r = w.rng();
    let from_bob = bob.devices[0]
        .em
        .send_cbam(2, S, b"", b"secret from bob", &mut r)
        .unwrap();
    w.ds.send(&from_bob).unwrap();
    let mut r = w.rng();
    let from_tablet = alice.devices[1]
        .em
        .send_cbam(1, S, b"", b"secret from alice", &mut r)
        .unwrap();
    w.ds.send(&from_tablet).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);

    // The lost state decrypts none of it: not V's commit (its path secrets come from G's new
    // epoch), so no later epoch, so no CBAM.
    for m in [&s_commit, &from_bob, &from_tablet] {
        let mut g = lost_group.clone();
        let before = g.to_bytes().unwrap();
        assert!(g.process_message(m).is_err());
        assert_eq!(g.to_bytes().unwrap(), before);
        let mut e = lost.clone();
        let before = e.to_bytes().unwrap();
        let got = e.process_group_message(1, m);
        // V's own commit it cannot reproduce waits for an announcement that never comes.
        assert!(
            got.is_err() || matches!(got.as_deref(), Ok([Event::Buffered { .. }])),
            "{got:?}"
        );
        if got.is_err() {
            assert_eq!(e.to_bytes().unwrap(), before);
        }
    }
    // Nor the announcement of the removal (G's new epoch): processing it removes the copy.
    let mut e = lost.clone();
    assert_eq!(
        e.process_emulation_message(&g_commit).unwrap().events,
        vec![Event::EmulatorRemoved]
    );

    // Nothing the lost state makes is accepted: a CBAM, a commit in S, an announcement in G.
    let mut e = lost.clone();
    let mut r = w.rng();
    let forged_cbam = e.send_cbam(1, S, b"", b"forged", &mut r).unwrap();
    let mut g = lost_group.clone();
    let forged_commit = g
        .commit(&CommitOptions::default(), &mut w.rng())
        .unwrap()
        .commit;
    let mut e = lost.clone();
    let forged_announcement = e
        .announce(
            &[Request::Commit {
                vc_id: 1,
                group_id: S.to_vec(),
                proposals: vec![],
                include_pending: false,
            }],
            &mut w.rng(),
        )
        .unwrap();
    let reject_everywhere = |m: &[u8], alice: &mut common::Person, bob: &mut common::Person| {
        for d in bob.devices.iter_mut().chain(alice.devices.iter_mut()) {
            let vc = if d.name.starts_with("bob") { 2 } else { 1 };
            let before = d.em.to_bytes().unwrap();
            let got = d.em.process_group_message(vc, m);
            assert!(got.is_err(), "{} {got:?}", d.name);
            assert_eq!(d.em.to_bytes().unwrap(), before);
        }
    };
    reject_everywhere(&forged_commit, &mut alice, &mut bob);
    // A proposal of the epoch before V's update: handshake messages of past epochs are
    // never accepted.
    let forged_proposal = lost_group.clone().propose_update(&mut w.rng()).unwrap().0;
    reject_everywhere(&forged_proposal, &mut alice, &mut bob);
    // A CBAM or PrivateMessage of the epoch before V's update is a late message of a retained
    // epoch (RFC 9420 section 14.4, `GroupConfig::max_past_epochs`, default 2). The phone held
    // all of V's secrets of that epoch, so only the receiver policy can refuse it: V's leaf was
    // replaced since, and every member refuses it with a typed error, state unchanged.
    let forged_private = {
        let mut g = lost_group.clone();
        let mut buf = vec![0u8; g.application_message_len(0, 6)];
        let n = g
            .encrypt_application(b"", b"forged", &mut w.rng(), &mut buf)
            .unwrap();
        buf.truncate(n);
        buf
    };
    for m in [&forged_cbam, &forged_private] {
        for d in bob.devices.iter_mut().chain(alice.devices.iter_mut()) {
            let vc = if d.name.starts_with("bob") { 2 } else { 1 };
            let before = d.em.to_bytes().unwrap();
            let got = d.em.process_group_message(vc, m);
            assert!(
                matches!(
                    got,
                    Err(EmulatorError::Group(GroupError::LateMessageFromReplacedSender {
                        leaf,
                        epoch
                    })) if leaf == v_leaf && epoch == s_epoch
                ),
                "{} {got:?}",
                d.name
            );
            assert_eq!(d.em.to_bytes().unwrap(), before);
        }
    }
    // Once the window has passed, nobody accepts it.
    for _ in 0..2 {
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
        w.sync_v(&mut alice);
        w.sync_v(&mut bob);
    }
    reject_everywhere(&forged_cbam, &mut alice, &mut bob);
    reject_everywhere(&forged_private, &mut alice, &mut bob);
    for d in &mut alice.devices {
        let before = d.em.to_bytes().unwrap();
        assert!(
            d.em.process_emulation_message(&forged_announcement)
                .is_err()
        );
        assert_eq!(d.em.to_bytes().unwrap(), before);
    }
    assert_agree(&[&alice, &bob], S);
}

/// The draft's flow asks V to update "in every higher-level group" in the same announcement as
/// the removal: with V in more groups than the old 16-action limit (20 here), one G commit
/// still carries them all. Expectations from RFC 9420: each of V's groups moves on by exactly
/// one epoch (one commit each), and V's leaf in every group then carries the rotated key.
#[test]
fn a_removal_updates_v_in_twenty_groups_in_one_announcement() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop", "alice tablet"], 1);
    let gids: Vec<Vec<u8>> = (0..20u8).map(|i| vec![b'g', i]).collect();
    let creates: Vec<Request> = gids
        .iter()
        .map(|g| Request::CreateGroup {
            vc_id: 1,
            group_id: g.clone(),
        })
        .collect();
    w.announce(&mut alice, 0, &creates);
    w.sync_g(&mut alice);
    for g in &gids {
        w.ds.create_group(g, 0, &["alice V"]);
    }
    alice.assert_consistent();
    let phone_leaf = alice.devices[0].em.emulation_group().own_leaf_index();
    let old_sig = alice.devices[0].em.signature_public_key(1).unwrap();
    let g_epoch = alice.devices[1].em.emulation_group().epoch();

    let mut r = w.rng();
    let g_commit = alice.devices[1]
        .em
        .remove_emulators(&[phone_leaf], &mut r)
        .unwrap();
    w.ds.send(&g_commit).unwrap();
    let phone_events = w.sync_g_device(&mut alice, 0).events.remove(0);
    assert_eq!(phone_events, vec![Event::EmulatorRemoved]);
    alice.devices.remove(0);
    let synced = w.sync_g(&mut alice);
    // One G commit: G moved on by one epoch on both remaining devices.
    for d in &alice.devices {
        assert_eq!(d.em.emulation_group().epoch(), g_epoch + 1);
    }
    // The announcer sends one commit of V per group, every group exactly once.
    let mut sent: Vec<Vec<u8>> = synced.outgoing.iter().map(|o| o.0.clone()).collect();
    sent.sort();
    assert_eq!(sent, gids);
    for (_, commit, _) in &synced.outgoing {
        w.ds.send(commit).unwrap();
    }
    w.sync_v(&mut alice);
    alice.assert_consistent();
    let new_sig = alice.devices[0].em.signature_public_key(1).unwrap();
    assert_ne!(new_sig, old_sig);
    for d in &alice.devices {
        for g in &gids {
            let group = d.em.vc_group(1, g).unwrap();
            assert_eq!(group.epoch(), 1, "one commit in {g:?}");
            assert_eq!(group.own_leaf().unwrap().signature_key(), &new_sig);
        }
    }
}
