//! CBAM in the group engine (draft-kohbrok-mls-virtual-clients-03 section 5.5): every member reads
//! every CBAM, two devices sharing one leaf send concurrently without loss or collision, replays
//! and forgeries are typed errors that change nothing, and the group capability gates it.
//! Expectations come from the other members' views: what one member sent, the others read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{params, rng64 as rng};
use vmls_cbst::{ChallengeLevel, GroupChallengeContext};
use vmls_crypto::SignatureKeyPair;
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams,
    ProcessedMessage, PskStore, create_key_package,
};
use vmls_group::{Add, ExtensionBody, Proposal, RequiredCapabilities};

type G = Group;

fn cbam_params(name: &str) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..params(name)
    }
}

fn requires_cbam() -> vmls_tree::Extension {
    RequiredCapabilities {
        extension_types: vec![CBAM_EXTENSION_TYPE],
        proposal_types: vec![],
        credential_types: vec![],
    }
    .to_extension()
    .unwrap()
}

/// Alice, Bob and Carol in a group that requires CBAM.
fn three(config: GroupConfig) -> (G, G, G) {
    let mut a = G::create(
        b"cbam group",
        &cbam_params("alice"),
        &SignatureKeyPair::generate(&mut rng(1)),
        vec![requires_cbam()],
        config,
        &mut rng(2),
    )
    .unwrap();
    let kp = |name: &str, seed| {
        create_key_package::<vmls_crypto::Mls128ChaCha, _>(
            &cbam_params(name),
            &SignatureKeyPair::generate(&mut rng(seed)),
            &mut rng(seed + 1),
        )
        .unwrap()
    };
    let (kb, kbp) = kp("bob", 10);
    let (kc, kcp) = kp("carol", 20);
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![
                    Proposal::Add(Add {
                        key_package: kb.clone(),
                    }),
                    Proposal::Add(Add {
                        key_package: kc.clone(),
                    }),
                ],
                ..CommitOptions::default()
            },
            &mut rng(3),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let w = out.welcome.unwrap();
    let b = G::join_from_welcome_bytes(&w, &kb, &kbp, None, PskStore::new(), config).unwrap();
    let c = G::join_from_welcome_bytes(&w, &kc, &kcp, None, PskStore::new(), config).unwrap();
    (a, b, c)
}

fn send(from: &mut G, data: &[u8], seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; from.cbam_message_len(2, data.len())];
    let n = from
        .encrypt_cbam(b"ad", data, &mut rng(seed), &mut out)
        .unwrap();
    assert_eq!(n, out.len());
    out
}

fn read(to: &mut G, msg: &[u8]) -> (u32, Vec<u8>) {
    let mut buf = vec![0u8; msg.len()];
    let r = to.decrypt_cbam(msg, &mut buf).unwrap();
    assert_eq!(r.authenticated_data, b"ad");
    (r.sender, buf[..r.len].to_vec())
}

#[test]
fn every_member_reads_every_cbam_in_any_order() {
    let (mut a, mut b, mut c) = three(GroupConfig::default());
    let m1 = send(&mut a, b"one", 100);
    let m2 = send(&mut b, b"two", 101);
    let m3 = send(&mut a, b"three", 102);
    // Carol reads them in reverse order, Bob in order (through process_message).
    assert_eq!(read(&mut c, &m3), (0, b"three".to_vec()));
    assert_eq!(read(&mut c, &m2), (1, b"two".to_vec()));
    assert_eq!(read(&mut c, &m1), (0, b"one".to_vec()));
    for (m, want) in [(&m1, &b"one"[..]), (&m3, b"three")] {
        match b.process_message(m).unwrap() {
            ProcessedMessage::Cbam { sender, data, .. } => {
                assert_eq!((sender, data.as_slice()), (0, want));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(read(&mut a, &m2), (1, b"two".to_vec()));
}

#[test]
fn two_devices_sharing_one_leaf_send_concurrently_without_loss_or_collision() {
    let (a, mut b, mut c) = three(GroupConfig::default());
    // Alice's phone and laptop hold the same state for leaf 0 (two emulators of one virtual
    // client): the same blob restored twice.
    let blob = a.to_bytes().unwrap();
    let mut phone = G::from_bytes(&blob).unwrap();
    let mut laptop = G::from_bytes(&blob).unwrap();
    // Their own levels in their emulation group: leaves 0 and 1, that group's tag.
    let g_tag = [0x6a; 32];
    let ctx = |leaf| {
        GroupChallengeContext::real(ChallengeLevel {
            leaf_index: leaf,
            confirmation_tag: g_tag,
        })
    };
    let (phone_ctx, laptop_ctx) = (ctx(0), ctx(1));
    // Both send at generation 0 at the same moment, even with the same randomness.
    let mut m_phone = vec![0u8; phone.cbam_message_len(2, 5)];
    let mut m_laptop = vec![0u8; laptop.cbam_message_len(2, 6)];
    phone
        .encrypt_cbam_as(
            Some(&phone_ctx),
            b"",
            b"ad",
            b"phone",
            &mut rng(7),
            &mut m_phone,
        )
        .unwrap();
    laptop
        .encrypt_cbam_as(
            Some(&laptop_ctx),
            b"",
            b"ad",
            b"laptop",
            &mut rng(7),
            &mut m_laptop,
        )
        .unwrap();
    // Every other member reads both, as coming from leaf 0; so does the other device.
    for g in [&mut b, &mut c] {
        assert_eq!(read(g, &m_laptop), (0, b"laptop".to_vec()));
        assert_eq!(read(g, &m_phone), (0, b"phone".to_vec()));
    }
    assert_eq!(read(&mut phone, &m_laptop), (0, b"laptop".to_vec()));
    assert_eq!(read(&mut laptop, &m_phone), (0, b"phone".to_vec()));
    // Without the emulators' own context, the same randomness gives the same challenge: the
    // second message is refused (no key reuse), which is why the context is there.
    let mut twin_a = G::from_bytes(&blob).unwrap();
    let mut twin_b = G::from_bytes(&blob).unwrap();
    let mut x = vec![0u8; twin_a.cbam_message_len(2, 1)];
    let mut y = vec![0u8; twin_b.cbam_message_len(2, 1)];
    twin_a
        .encrypt_cbam(b"ad", b"x", &mut rng(8), &mut x)
        .unwrap();
    twin_b
        .encrypt_cbam(b"ad", b"y", &mut rng(8), &mut y)
        .unwrap();
    let mut carol = c.clone();
    read(&mut carol, &x);
    let before = carol.to_bytes().unwrap();
    assert!(matches!(
        carol.decrypt_cbam(&y, &mut [0u8; 256]),
        Err(GroupError::Cbst(vmls_cbst::CbstError::ChallengeUnavailable))
    ));
    assert_eq!(carol.to_bytes().unwrap(), before);
}

#[test]
fn replays_and_forgeries_are_typed_errors_that_change_nothing() {
    let (mut a, mut b, _c) = three(GroupConfig::default());
    let m = send(&mut a, b"once", 200);
    read(&mut b, &m);
    let before = b.to_bytes().unwrap();
    assert!(matches!(
        b.process_message(&m),
        Err(GroupError::Cbst(vmls_cbst::CbstError::ChallengeUnavailable))
    ));
    assert_eq!(b.to_bytes().unwrap(), before);
    // Every single-byte corruption of a fresh message is refused without a state change,
    // and the real message still reads.
    let fresh = send(&mut a, b"fresh", 201);
    for i in 0..fresh.len() {
        let mut bad = fresh.clone();
        bad[i] ^= 0x01;
        assert!(b.process_message(&bad).is_err(), "byte {i}");
        assert_eq!(b.to_bytes().unwrap(), before, "byte {i}");
    }
    assert_eq!(read(&mut b, &fresh), (0, b"fresh".to_vec()));
    // The punctures survive a restore: the replay stays refused.
    let mut restored = G::from_bytes(&b.to_bytes().unwrap()).unwrap();
    assert!(restored.decrypt_cbam(&fresh, &mut [0u8; 256]).is_err());
}

#[test]
fn cbams_of_a_retained_past_epoch_decrypt_and_old_epochs_are_deleted() {
    let (mut a, mut b, mut c) = three(GroupConfig::default());
    // The late CBAM is C's: A's own would be refused once A's commit replaced its leaf
    // (`LatePolicy::Refuse`, tests/late_policy.rs).
    let late = send(&mut c, b"late", 300);
    let epoch = a.epoch();
    let out = a.commit(&CommitOptions::default(), &mut rng(301)).unwrap();
    a.merge_pending_commit().unwrap();
    b.process_message(&out.commit).unwrap();
    c.process_message(&out.commit).unwrap();
    // The new epoch's CBST is a fresh root.
    assert_eq!(b.cbams_in_epoch(), 0);
    assert_eq!(b.cbst_state_bytes(), vmls_cbst::NODE_BYTES);
    match b.process_message(&late).unwrap() {
        ProcessedMessage::Cbam { epoch: e, data, .. } => {
            assert_eq!((e, data.as_slice()), (epoch, &b"late"[..]));
        }
        other => panic!("{other:?}"),
    }
    // After max_past_epochs more commits the epoch (and its CBST) is gone.
    let late2 = send(&mut c, b"later", 302);
    for s in 0..3 {
        let out = a
            .commit(&CommitOptions::default(), &mut rng(310 + s))
            .unwrap();
        a.merge_pending_commit().unwrap();
        b.process_message(&out.commit).unwrap();
    }
    assert!(!b.retained_epochs().any(|e| e == epoch + 1));
    assert!(matches!(
        b.process_message(&late2),
        Err(GroupError::WrongEpoch { .. })
    ));
}

#[test]
fn cbam_is_a_group_capability() {
    // A group that does not require CBAM refuses to send one.
    let mut plain = G::create(
        b"plain",
        &params("p"),
        &SignatureKeyPair::generate(&mut rng(400)),
        vec![],
        GroupConfig::default(),
        &mut rng(401),
    )
    .unwrap();
    assert!(!plain.cbam_enabled());
    assert_eq!(
        plain.encrypt_cbam(b"", b"x", &mut rng(402), &mut [0u8; 512]),
        Err(GroupError::CbamNotEnabled)
    );
    // A client that does not support CBAM cannot be added to a group that requires it.
    let (mut a, _b, _c) = three(GroupConfig::default());
    assert!(a.cbam_enabled());
    let (old, _) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &params("old"),
        &SignatureKeyPair::generate(&mut rng(403)),
        &mut rng(404),
    )
    .unwrap();
    assert!(
        a.commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add { key_package: old })],
                ..CommitOptions::default()
            },
            &mut rng(405),
        )
        .is_err()
    );
}

#[test]
fn a_removed_member_reads_no_cbam_sent_after_its_removal() {
    let (mut a, mut b, mut c) = three(GroupConfig::default());
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Remove(vmls_group::Remove { removed: 2 })],
                ..CommitOptions::default()
            },
            &mut rng(500),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    b.process_message(&out.commit).unwrap();
    c.process_message(&out.commit).unwrap();
    let after = send(&mut a, b"secret", 501);
    assert_eq!(read(&mut b, &after), (0, b"secret".to_vec()));
    assert!(c.decrypt_cbam(&after, &mut [0u8; 256]).is_err());
}
