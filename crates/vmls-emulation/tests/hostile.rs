//! Hostile and lying announcements: each is a typed error and changes nothing (the whole
//! emulator blob, G included, is compared before and after). Also: the announcer's own
//! dry run refuses a bad request before anything is sent, and replayed secrets follow the pin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{FOREVER, World};
use vmls_crypto::derive_key_pair;
use vmls_emulation::derive::{
    Operation, OperationContext, label, operation_derive, operation_secret,
};
use vmls_emulation::{
    AnnouncementError, CommitDetail, EmulatorError, KeyPackagesDetail, Request, VcActionType,
    VirtualClientAction, VirtualClientActions, announce::encode_safe_aad,
};
use vmls_group::group::{CommitOptions, GroupError};

const S: &[u8] = b"hostile s";

fn action(vc_id: u32, action: VcActionType, target: &[u8], detail: Vec<u8>) -> VirtualClientAction {
    VirtualClientAction {
        vc_id,
        action,
        target_group_id: target.to_vec(),
        detail,
    }
}

fn aad(actions: Vec<VirtualClientAction>) -> Vec<u8> {
    VirtualClientActions { actions }
        .to_authenticated_data()
        .unwrap()
}

#[test]
fn hostile_announcements_are_typed_errors_that_change_nothing() {
    let mut w = World::new();
    let mut alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    w.announce(
        &mut alice,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: S.to_vec(),
        }],
    );
    let replay = w.ds.read("alice laptop", "replay probe").pop().unwrap();
    w.sync_g(&mut alice);
    let kp_detail = |count| {
        KeyPackagesDetail {
            count,
            not_before: 0,
            not_after: u64::MAX,
        }
        .to_bytes()
        .unwrap()
    };
    let commit_detail = CommitDetail {
        epoch: 0,
        include_pending: false,
        proposals: vec![],
    }
    .to_bytes()
    .unwrap();
    let mut unsorted = encode_safe_aad(&[(0x0001, b"x")]).unwrap();
    // Items 0x8001 then 0x0001: swap by hand (the encoder refuses to write it).
    let item = VirtualClientActions { actions: vec![] }.to_bytes().unwrap();
    unsorted.clear();
    let mut body = vec![];
    body.extend_from_slice(&0x8001u16.to_be_bytes());
    body.push(item.len() as u8);
    body.extend_from_slice(&item);
    body.extend_from_slice(&0x0001u16.to_be_bytes());
    body.extend_from_slice(&[1, b'x']);
    unsorted.push(body.len() as u8);
    unsorted.extend_from_slice(&body);
    let mut bad_type = aad(vec![action(1, VcActionType::CreateGroup, b"t", vec![])]);
    // The action byte sits after the SafeAAD, item and action-list headers and the vc_id.
    let pos = bad_type.len() - 1 - 1 - 1 - 1;
    assert_eq!(bad_type[pos], VcActionType::CreateGroup as u8);
    bad_type[pos] = 99;
    let too_many = {
        let one = action(1, VcActionType::CreateGroup, b"t", vec![]);
        let mut raw = vec![];
        for _ in 0..=vmls_emulation::announce::MAX_ACTIONS {
            vmls_codec::Encode::encode(&one, &mut raw).unwrap();
        }
        let mut item = vec![];
        vmls_codec::encode_opaque(&mut item, &raw).unwrap();
        encode_safe_aad(&[(0x8001, &item)]).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, EmulatorError)> = vec![
        (
            "unknown vc_id",
            aad(vec![action(
                99,
                VcActionType::KeyPackages,
                b"",
                kp_detail(1),
            )]),
            EmulatorError::UnknownVirtualClient(99),
        ),
        (
            "a group V is not in",
            aad(vec![action(
                1,
                VcActionType::Commit,
                b"nope",
                commit_detail.clone(),
            )]),
            EmulatorError::NotInGroup { vc_id: 1 },
        ),
        (
            "a detail that does not decode",
            aad(vec![action(
                1,
                VcActionType::KeyPackages,
                b"",
                vec![0, 1, 2],
            )]),
            EmulatorError::Announcement(AnnouncementError::Codec(vmls_codec::Error::EndOfInput {
                needed: 8,
                remaining: 1,
            })),
        ),
        (
            "too many KeyPackages",
            aad(vec![action(
                1,
                VcActionType::KeyPackages,
                b"",
                kp_detail(33),
            )]),
            EmulatorError::Announcement(AnnouncementError::TooLarge),
        ),
        (
            "create_vc replayed for an existing vc_id",
            aad(vec![action(
                1,
                VcActionType::CreateVc,
                b"",
                vmls_codec::Encode::to_bytes(&vmls_tree::Credential::Basic(
                    b"mallory".as_slice().into(),
                ))
                .unwrap(),
            )]),
            EmulatorError::VirtualClientExists(1),
        ),
        (
            "create_group for a group V is in",
            aad(vec![action(1, VcActionType::CreateGroup, S, vec![])]),
            EmulatorError::AlreadyInGroup { vc_id: 1 },
        ),
        (
            "provision whose detail does not decode",
            aad(vec![action(1, VcActionType::Provision, b"", vec![])]),
            EmulatorError::Announcement(AnnouncementError::Codec(vmls_codec::Error::EndOfInput {
                needed: 4,
                remaining: 0,
            })),
        ),
        (
            "unsorted SafeAAD",
            unsorted,
            EmulatorError::Announcement(AnnouncementError::UnsortedSafeAad),
        ),
        (
            "unknown action type",
            bad_type,
            EmulatorError::Announcement(AnnouncementError::Codec(vmls_codec::Error::InvalidEnum(
                99,
            ))),
        ),
        (
            "too many actions",
            too_many,
            EmulatorError::Announcement(AnnouncementError::TooLarge),
        ),
        (
            "a good action followed by a lying one: nothing of the first stays",
            aad(vec![
                action(1, VcActionType::KeyPackages, b"", kp_detail(1)),
                action(77, VcActionType::KeyPackages, b"", kp_detail(1)),
            ]),
            EmulatorError::UnknownVirtualClient(77),
        ),
    ];
    let mut rng = w.rng();
    for (what, authenticated_data, want) in cases {
        // The phone's G membership sends a raw commit with the hostile announcement.
        let g = alice.devices[0].em.emulation_group_mut();
        let out = g
            .commit(
                &CommitOptions {
                    authenticated_data,
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .unwrap();
        g.clear_pending_commit();
        let laptop = &mut alice.devices[1].em;
        let before = laptop.to_bytes().unwrap();
        assert_eq!(
            laptop.process_emulation_message(&out.commit),
            Err(want),
            "{what}"
        );
        assert_eq!(laptop.to_bytes().unwrap(), before, "{what}");
    }
    // A replayed announcement (the G commit that created S, again) is refused by G.
    let laptop = &mut alice.devices[1].em;
    let before = laptop.to_bytes().unwrap();
    assert!(matches!(
        laptop.process_emulation_message(&replay),
        Err(EmulatorError::Group(GroupError::WrongEpoch { .. }))
    ));
    assert_eq!(laptop.to_bytes().unwrap(), before);
    // The announcer's dry run refuses a lying request before anything is sent.
    let phone = &mut alice.devices[0].em;
    let before = phone.to_bytes().unwrap();
    assert_eq!(
        phone.announce(
            &[Request::PublishKeyPackages {
                vc_id: 5,
                count: 1,
                lifetime: FOREVER,
            }],
            &mut rng,
        ),
        Err(EmulatorError::UnknownVirtualClient(5))
    );
    assert_eq!(phone.to_bytes().unwrap(), before);
    alice.assert_consistent();
}

#[test]
fn replayed_key_packages_and_signature_key_follow_the_pinned_derivation() {
    let mut w = World::new();
    let alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    // The person was set up with one announcement: create_vc(1) then key_packages(2) in the
    // G epoch the laptop is now in.
    let em = &alice.devices[1].em;
    let seed = em.emulation_group().virtual_client_seed().clone();
    let osec = |operation, counter| {
        operation_secret(
            &seed,
            &OperationContext {
                vc_id: 1,
                target_group_id: &[],
                operation,
                counter,
            },
        )
        .unwrap()
    };
    let sig = operation_derive(&osec(Operation::SignatureKey, 0), label::SIGNATURE_KEY).unwrap();
    assert_eq!(
        em.signature_public_key(1).unwrap(),
        vmls_crypto::SignaturePrivateKey::from_bytes(sig.as_bytes()).public_key()
    );
    let kps = em.key_packages(1).unwrap();
    assert_eq!(kps.len(), 2);
    for (i, kp) in kps.iter().enumerate() {
        let s = osec(Operation::KeyPackage, i as u32);
        let init =
            derive_key_pair(operation_derive(&s, label::INIT_KEY).unwrap().as_bytes()).unwrap();
        let enc = derive_key_pair(
            operation_derive(&s, label::ENCRYPTION_KEY)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(kp.tbs.init_key.0, init.public);
        assert_eq!(*kp.tbs.leaf_node.encryption_key(), enc.public);
    }
}
