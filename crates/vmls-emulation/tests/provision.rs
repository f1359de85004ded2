//! Issue 18, adding a device: the laptop adds Alice's tablet to G and provisions it with V's
//! state in chunks no larger than G's `max_message_size`; the tablet is interrupted, resumes,
//! ends with a byte-identical V (after replaying an announcement made meanwhile) and then
//! sends and commits as V at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{Device, World, assert_agree, params};
use vmls_codec::Decode;
use vmls_crypto::SignatureKeyPair;
use vmls_emulation::provision::{ProvisionDetail, encode_chunk};
use vmls_emulation::{
    Emulator, EmulatorConfig, EmulatorError, Event, Request, VirtualClientActions,
};
use vmls_group::group::{
    CommitOptions, Group, GroupConfig, ProcessedMessage, PskStore, create_key_package,
};
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

#[test]
fn a_new_device_is_provisioned_in_chunks_and_acts_as_v_at_once() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    let mut bob = w.person("bob", &["bob phone"], 2);
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
            proposals: vec![Proposal::Add(Add {
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
    w.announce(&mut bob, 0, &[Request::JoinGroup { vc_id: 2, welcome }]);
    w.sync_g(&mut bob);
    let mut r = w.rng();
    let m = bob.devices[0]
        .em
        .send_cbam(2, S, b"", b"hi", &mut r)
        .unwrap();
    w.ds.send(&m).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);

    // The laptop adds the tablet to G (an ordinary G commit) ...
    let (kp, kp_private) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &params("alice tablet"),
        &SignatureKeyPair::generate(&mut w.rng()),
        &mut w.rng(),
    )
    .unwrap();
    let out = alice.devices[1]
        .em
        .emulation_group_mut()
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut w.rng(),
        )
        .unwrap();
    w.ds.send(&out.commit).unwrap();
    w.sync_g(&mut alice);
    let g_id = alice.g_id.clone();
    w.ds.add_member(&g_id, "alice tablet");
    let g = Group::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kp,
        &kp_private,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let tablet_leaf = g.own_leaf_index();
    let tablet = Emulator::new_awaiting_provisioning(g, EmulatorConfig::default());
    assert!(tablet.awaiting_provisioning());
    alice.devices.push(Device {
        name: "alice tablet".into(),
        em: tablet,
    });

    // ... and provisions it: the snapshot is taken now, the tablet reads V's queue from here.
    w.ds.start_reader_at("alice V", "alice tablet", "alice laptop");
    let mut r = w.rng();
    let p = alice.devices[1].em.provision(tablet_leaf, &mut r).unwrap();
    w.ds.send(&p).unwrap();
    // The announced digest, as every emulator reads it from the G commit.
    let announced_digest = {
        let msg = vmls_group::MLSMessage::decode_exact(&p).unwrap();
        let aad = match msg.body {
            vmls_group::MLSMessageBody::PrivateMessage(pm) => pm.authenticated_data.0,
            vmls_group::MLSMessageBody::PublicMessage(pm) => pm.content.authenticated_data.0,
            _ => panic!(),
        };
        let a = VirtualClientActions::from_authenticated_data(&aad)
            .unwrap()
            .unwrap();
        ProvisionDetail::from_bytes(&a.actions[0].detail)
            .unwrap()
            .snapshot_digest
    };
    // Small G messages, so the snapshot needs many chunks.
    let mut cfg = *alice.devices[1].em.emulation_group().config();
    cfg.max_message_size = 1000;
    alice.devices[1].em.emulation_group_mut().set_config(cfg);
    w.sync_g(&mut alice);
    // Meanwhile the phone announces a commit for V in S (after the snapshot's epoch).
    w.announce(&mut alice, 0, &[commit(1)]);
    let synced = w.sync_g(&mut alice);
    assert!(synced.events[2].is_empty(), "the tablet only logs it");
    let v_commit = synced.outgoing[0].1.clone();
    // A device that is not provisioned refuses to act.
    assert_eq!(
        alice.devices[2].em.vc_group(1, S).err(),
        Some(EmulatorError::UnknownVirtualClient(1))
    );

    let mut r = w.rng();
    let chunks = alice.devices[1].em.provisioning_messages(&mut r).unwrap();
    assert!(chunks.len() > 4, "{} chunks", chunks.len());
    assert!(chunks.iter().all(|c| c.len() <= 1000));
    // Interrupted: half of the chunks, then the device is saved and restored.
    let half = chunks.len() / 2;
    let tablet = &mut alice.devices[2].em;
    for c in &chunks[..half] {
        let out = tablet.process_emulation_message(c).unwrap();
        assert!(matches!(
            out.events.as_slice(),
            [Event::ProvisioningProgress { .. }]
        ));
    }
    // A chunk that is not one (a damaged G message) changes nothing.
    let before = tablet.to_bytes().unwrap();
    let mut bad = chunks[half].clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(tablet.process_emulation_message(&bad).is_err());
    assert_eq!(tablet.to_bytes().unwrap(), before);
    // A G member's chunk that does not match the announced snapshot (another digest, or
    // bytes past its end) is a typed error and changes nothing.
    let digest = {
        let mut d = [0u8; 32];
        d[0] = 1;
        d
    };
    for chunk in [
        encode_chunk(&digest, 0, b"not the snapshot").unwrap(),
        encode_chunk(&announced_digest, u32::MAX - 3, b"past the end").unwrap(),
    ] {
        let g = alice.devices[0].em.emulation_group_mut();
        let mut msg = vec![0u8; g.application_message_len(0, chunk.len())];
        let n = g
            .encrypt_application(&[], &chunk, &mut w.rng(), &mut msg)
            .unwrap();
        msg.truncate(n);
        let tablet = &mut alice.devices[2].em;
        assert_eq!(
            tablet.process_emulation_message(&msg).err(),
            Some(EmulatorError::ProvisioningMismatch)
        );
        assert_eq!(tablet.to_bytes().unwrap(), before);
    }
    let tablet = &mut alice.devices[2].em;
    *tablet = Emulator::from_bytes(&before, EmulatorConfig::default()).unwrap();
    // Resumed: the laptop resends everything; what the tablet has is ignored.
    let mut r = w.rng();
    let again = alice.devices[1].em.provisioning_messages(&mut r).unwrap();
    let tablet = &mut alice.devices[2].em;
    let mut events = Vec::new();
    for c in &again {
        events.extend(tablet.process_emulation_message(c).unwrap().events);
    }
    let at = events
        .iter()
        .position(|e| *e == Event::Provisioned)
        .unwrap();
    // The announcement logged meanwhile is replayed: the tablet computes the same commit.
    assert!(events[at + 1..].iter().any(|e| matches!(
        e,
        Event::Outgoing { message, .. } if *message == v_commit
    )));
    assert!(!tablet.awaiting_provisioning());
    alice.devices[1].em.finish_provisioning();
    // The other devices ignore the chunks (G application data).
    w.sync_g_device(&mut alice, 0);
    alice.assert_consistent();

    w.ds.send(&v_commit).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);

    // The tablet sends as V at once ...
    let mut r = w.rng();
    let m = alice.devices[2]
        .em
        .send_cbam(1, S, b"", b"from the new tablet", &mut r)
        .unwrap();
    w.ds.send(&m).unwrap();
    for evs in w.sync_v(&mut bob) {
        assert!(matches!(
            evs.as_slice(),
            [Event::Processed {
                outcome: ProcessedMessage::Cbam { data, .. },
                ..
            }] if data == b"from the new tablet"
        ));
    }
    w.sync_v(&mut alice);
    // ... and commits as V.
    w.announce(&mut alice, 2, &[commit(1)]);
    let out = w.sync_g(&mut alice).outgoing;
    assert_eq!(out.len(), 1);
    w.ds.send(&out[0].1).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
}

/// The laptop adds a tablet to G that waits for provisioning; returns its G leaf.
fn add_tablet(w: &mut World, alice: &mut common::Person) -> u32 {
    let (kp, kp_private) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &params("alice tablet"),
        &SignatureKeyPair::generate(&mut w.rng()),
        &mut w.rng(),
    )
    .unwrap();
    let out = alice.devices[1]
        .em
        .emulation_group_mut()
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut w.rng(),
        )
        .unwrap();
    w.ds.send(&out.commit).unwrap();
    w.sync_g(alice);
    let g_id = alice.g_id.clone();
    w.ds.add_member(&g_id, "alice tablet");
    let g = Group::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kp,
        &kp_private,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let leaf = g.own_leaf_index();
    alice.devices.push(Device {
        name: "alice tablet".into(),
        em: Emulator::new_awaiting_provisioning(g, EmulatorConfig::default()),
    });
    leaf
}

/// A second `provision` for the same device replaces the first (the way back when the first
/// snapshot cannot be completed): the old snapshot's chunks are refused, the new one installs.
#[test]
fn a_fresh_provision_replaces_an_earlier_one() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    let leaf = add_tablet(&mut w, &mut alice);
    let p1 = alice.devices[1].em.provision(leaf, &mut w.rng()).unwrap();
    w.ds.send(&p1).unwrap();
    w.sync_g(&mut alice);
    let old = alice.devices[1]
        .em
        .provisioning_messages(&mut w.rng())
        .unwrap();
    // The phone publishes KeyPackages meanwhile; the phone provisions afresh.
    w.announce(
        &mut alice,
        0,
        &[Request::PublishKeyPackages {
            vc_id: 1,
            count: 1,
            lifetime: common::FOREVER,
        }],
    );
    w.sync_g(&mut alice);
    let p2 = alice.devices[0].em.provision(leaf, &mut w.rng()).unwrap();
    w.ds.send(&p2).unwrap();
    w.sync_g(&mut alice);
    let tablet = &mut alice.devices[2].em;
    let before = tablet.to_bytes().unwrap();
    assert_eq!(
        tablet.process_emulation_message(&old[0]).err(),
        Some(EmulatorError::ProvisioningMismatch)
    );
    assert_eq!(tablet.to_bytes().unwrap(), before);
    let new = alice.devices[0]
        .em
        .provisioning_messages(&mut w.rng())
        .unwrap();
    let mut events = Vec::new();
    for c in &new {
        events.extend(
            alice.devices[2]
                .em
                .process_emulation_message(c)
                .unwrap()
                .events,
        );
    }
    assert!(events.contains(&Event::Provisioned));
    alice.assert_consistent();
    assert_eq!(alice.devices[2].em.key_packages(1).unwrap().len(), 3);
}

/// A device removal while a new device awaits its snapshot: the new device logs the removal
/// and, on install, rotates V's signature key and revokes V's KeyPackages as the others did
/// when they processed it, so it computes the same commit for V (with the new key) and ends
/// with a byte-identical V.
#[test]
fn a_removal_while_awaiting_provisioning_is_replayed_with_the_key_rotation() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop", "alice old"], 1);
    let mut bob = w.person("bob", &["bob phone"], 2);
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
            proposals: vec![Proposal::Add(Add {
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
    w.announce(&mut bob, 0, &[Request::JoinGroup { vc_id: 2, welcome }]);
    w.sync_g(&mut bob);
    assert_agree(&[&alice, &bob], S);
    let old_sig = alice.devices[0].em.signature_public_key(1).unwrap();
    let old_leaf = alice.devices[2].em.emulation_group().own_leaf_index();

    // The laptop adds the tablet and announces its provisioning (the snapshot is taken now).
    let (kp, kp_private) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &params("alice tablet"),
        &SignatureKeyPair::generate(&mut w.rng()),
        &mut w.rng(),
    )
    .unwrap();
    let out = alice.devices[1]
        .em
        .emulation_group_mut()
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut w.rng(),
        )
        .unwrap();
    w.ds.send(&out.commit).unwrap();
    w.sync_g(&mut alice);
    let g_id = alice.g_id.clone();
    w.ds.add_member(&g_id, "alice tablet");
    let g = Group::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kp,
        &kp_private,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let tablet_leaf = g.own_leaf_index();
    alice.devices.push(Device {
        name: "alice tablet".into(),
        em: Emulator::new_awaiting_provisioning(g, EmulatorConfig::default()),
    });
    w.ds.start_reader_at("alice V", "alice tablet", "alice laptop");
    let p = alice.devices[1]
        .em
        .provision(tablet_leaf, &mut w.rng())
        .unwrap();
    w.ds.send(&p).unwrap();
    w.sync_g(&mut alice);

    // Meanwhile the laptop removes the old device; V commits in S with a new key.
    let g_commit = alice.devices[1]
        .em
        .remove_emulators(&[old_leaf], &mut w.rng())
        .unwrap();
    w.ds.send(&g_commit).unwrap();
    let synced = w.sync_g(&mut alice);
    assert_eq!(synced.events[2], vec![Event::EmulatorRemoved]);
    assert!(synced.events[3].is_empty(), "the tablet only logs it");
    let s_commit = synced.outgoing[0].1.clone();
    alice.devices.remove(2);
    let new_sig = alice.devices[0].em.signature_public_key(1).unwrap();
    assert_ne!(new_sig, old_sig);

    // The snapshot arrives: the tablet installs it, replays the removal, then the
    // announcement, and computes V's commit byte for byte.
    let chunks = alice.devices[1]
        .em
        .provisioning_messages(&mut w.rng())
        .unwrap();
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
    let at = events
        .iter()
        .position(|e| *e == Event::Provisioned)
        .unwrap();
    assert!(events[at + 1..].iter().any(|e| matches!(
        e,
        Event::Outgoing { message, .. } if *message == s_commit
    )));
    assert_eq!(
        alice.devices[2].em.signature_public_key(1).unwrap(),
        new_sig
    );
    alice.devices[1].em.finish_provisioning();
    w.sync_g_device(&mut alice, 0);
    alice.assert_consistent();
    w.ds.send(&s_commit).unwrap();
    w.sync_v(&mut alice);
    w.sync_v(&mut bob);
    assert_agree(&[&alice, &bob], S);
    assert_eq!(
        bob.group(0, S)
            .tree()
            .leaf(vmls_tree::LeafIndex(alice.group(0, S).own_leaf_index()))
            .unwrap()
            .signature_key(),
        &new_sig
    );
}
