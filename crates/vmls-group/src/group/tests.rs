//! Transactional processing: every rejected message leaves the state byte-for-byte equal
//! (`to_bytes()` before and after) and the group still processes the next valid message.
//! These tests live inside the crate because forging a message with a valid membership tag or
//! a valid encryption needs the epoch's keys (an insider attacker's view).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, OpaqueArray, VLBytes};
use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_tree::Lifetime;

use super::*;
use crate::framing::{
    AuthenticatedContent, Content, FramedContent, MLSMessage, MLSMessageBody, PublicMessage,
    WireFormat,
};
use crate::proposals::{Add, ExternalInit, GroupContextExtensions, ProposalOrRef, Remove, Update};
use crate::{Commit, KeyPackage};

type G = Group<Mls128ChaCha>;

fn rng(seed: u64) -> SeededPrng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    SeededPrng::from_seed(s)
}

fn params(name: &str) -> KeyPackageParams {
    KeyPackageParams::basic(
        name.as_bytes(),
        Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        },
    )
}

fn config(wire: WireFormat) -> GroupConfig {
    GroupConfig {
        handshake_wire_format: wire,
        max_past_epochs: 1,
        ..GroupConfig::default()
    }
}

/// A, B, C in one group (C added last), all at the same epoch.
fn three(wire: WireFormat) -> (G, G, G) {
    let signers: Vec<SignatureKeyPair> = (0..3)
        .map(|i| SignatureKeyPair::generate(&mut rng(10 + i)))
        .collect();
    let mut a = G::create(
        b"tx",
        &params("a"),
        &signers[0],
        vec![],
        config(wire),
        &mut rng(1),
    )
    .unwrap();
    let (kb, pb) =
        create_key_package::<Mls128ChaCha, _>(&params("b"), &signers[1], &mut rng(2)).unwrap();
    let (kc, pc) =
        create_key_package::<Mls128ChaCha, _>(&params("c"), &signers[2], &mut rng(3)).unwrap();
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
            &mut rng(4),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let w = out.welcome.unwrap();
    let b = G::join_from_welcome_bytes(&w, &kb, &pb, None, PskStore::new(), config(wire)).unwrap();
    let c = G::join_from_welcome_bytes(&w, &kc, &pc, None, PskStore::new(), config(wire)).unwrap();
    (a, b, c)
}

/// `g` rejects `msg` with an error satisfying `want` and its state is unchanged.
#[track_caller]
fn rejects(g: &mut G, msg: &[u8], want: impl Fn(&GroupError) -> bool, what: &str) {
    let before = g.to_bytes().unwrap();
    match g.process_message(msg) {
        Ok(o) => panic!("{what}: accepted: {o:?}"),
        Err(e) => assert!(want(&e), "{what}: unexpected error {e:?}"),
    }
    assert_eq!(g.to_bytes().unwrap(), before, "{what}: state changed");
}

/// A PublicMessage from `g`'s member with any content, signed with `signer` and with a valid
/// membership tag: what an insider can forge.
fn forge_public(
    g: &G,
    content: Content,
    signer: &SignaturePrivateKey,
    tag: Option<[u8; 32]>,
) -> Vec<u8> {
    let framed = FramedContent {
        group_id: g.epoch.context.group_id.clone(),
        epoch: g.epoch(),
        sender: Sender::Member(g.own_leaf_index()),
        authenticated_data: VLBytes::default(),
        content,
    };
    let mut auth = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed,
        signer,
        Some(&g.epoch.context),
    )
    .unwrap();
    if let Content::Commit(_) = auth.content.content {
        auth.auth.confirmation_tag = Some(OpaqueArray(tag.unwrap_or([7; 32])));
    }
    let pm = PublicMessage::protect(
        auth,
        &g.epoch.context,
        Some(&g.epoch.secrets.membership_key),
    )
    .unwrap();
    MLSMessage::new(MLSMessageBody::PublicMessage(pm))
        .to_bytes()
        .unwrap()
}

fn forge_commit(g: &G, proposals: Vec<ProposalOrRef>) -> Vec<u8> {
    forge_public(
        g,
        Content::Commit(Commit {
            proposals,
            path: None,
        }),
        &g.signer,
        None,
    )
}

fn by_value(p: Proposal) -> ProposalOrRef {
    ProposalOrRef::Proposal(Box::new(p))
}

#[test]
fn rejected_messages_leave_the_state_unchanged() {
    for wire in [WireFormat::PublicMessage, WireFormat::PrivateMessage] {
        let (mut a, mut b, mut c) = three(wire);
        // The valid message every rejection is followed by: a Commit from B.
        let mut b2 = b.clone();
        let good = b2
            .commit(&CommitOptions::default(), &mut rng(20))
            .unwrap()
            .commit;

        // Truncated input: every prefix (sampled) fails.
        let step = (good.len() / 40).max(1);
        for n in (0..good.len()).step_by(step) {
            rejects(&mut a, &good[..n], |_| true, "truncated");
        }
        // Trailing bytes.
        let mut long = good.clone();
        long.push(0);
        rejects(
            &mut a,
            &long,
            |e| matches!(e, GroupError::Codec(_)),
            "trailing",
        );
        // Oversize: a length prefix that claims more than the input.
        let mut over = good.clone();
        // The group_id length is the first varint after version and wire format.
        over[4] = 0x7f;
        over[5] = 0xff;
        rejects(&mut a, &over, |_| true, "oversize length");
        // Larger than max_message_size.
        let mut small = a.clone();
        small.set_config(GroupConfig {
            max_message_size: 64,
            ..*a.config()
        });
        rejects(
            &mut small,
            &good,
            |e| matches!(e, GroupError::MessageTooLarge { max: 64, .. }),
            "too large",
        );

        // Wrong group id / wrong epoch (edited on the wire: for a PublicMessage the check comes
        // before any cryptography; for a PrivateMessage the AEADs fail or the check does).
        let msg = MLSMessage::decode_exact(&good).unwrap();
        let mut edited = msg.clone();
        match &mut edited.body {
            MLSMessageBody::PublicMessage(pm) => pm.content.group_id = VLBytes::from(&b"other"[..]),
            MLSMessageBody::PrivateMessage(pm) => pm.group_id = VLBytes::from(&b"other"[..]),
            _ => unreachable!(),
        }
        rejects(
            &mut a,
            &edited.to_bytes().unwrap(),
            |e| matches!(e, GroupError::WrongGroupId),
            "wrong group",
        );
        for epoch in [a.epoch() + 1, a.epoch() + 1000] {
            let mut edited = msg.clone();
            match &mut edited.body {
                MLSMessageBody::PublicMessage(pm) => pm.content.epoch = epoch,
                MLSMessageBody::PrivateMessage(pm) => pm.epoch = epoch,
                _ => unreachable!(),
            }
            let expected = a.epoch();
            rejects(
                &mut a,
                &edited.to_bytes().unwrap(),
                |e| {
                    *e == GroupError::WrongEpoch {
                        got: epoch,
                        expected,
                    }
                },
                "future epoch",
            );
        }
        // Flipped bytes anywhere in the body: always rejected, never a state change.
        for pos in (4..good.len()).step_by(step) {
            let mut bad = good.clone();
            bad[pos] ^= 0x01;
            rejects(&mut a, &bad, |_| true, &format!("bit flip at {pos}"));
        }
        // And it is still able to process the valid commit.
        a.process_message(&good).unwrap();
        c.process_message(&good).unwrap();
        b = b2;
        b.merge_pending_commit().unwrap();
        assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
        assert_eq!(a.epoch_authenticator(), c.epoch_authenticator());

        // Replays: the commit again (now a past epoch), an application message twice.
        let expected = a.epoch();
        rejects(
            &mut a,
            &good,
            |e| {
                *e == GroupError::WrongEpoch {
                    got: expected - 1,
                    expected,
                }
            },
            "replayed commit",
        );
        let mut buf = vec![0u8; 256];
        let n = b
            .encrypt_application(b"", b"once", &mut rng(30), &mut buf)
            .unwrap();
        let app = buf[..n].to_vec();
        let mut out = vec![0u8; 256];
        a.decrypt_application(&app, &mut out).unwrap();
        let before = a.to_bytes().unwrap();
        assert!(matches!(
            a.decrypt_application(&app, &mut out),
            Err(GroupError::SecretTree(_))
        ));
        rejects(
            &mut a,
            &app,
            |e| matches!(e, GroupError::SecretTree(_)),
            "replayed app",
        );
        assert_eq!(a.to_bytes().unwrap(), before);
        // A tampered application message does not consume its generation.
        let mut bad = app.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let n2 = b
            .encrypt_application(b"", b"twice", &mut rng(31), &mut buf)
            .unwrap();
        let app2 = buf[..n2].to_vec();
        let mut bad2 = app2.clone();
        let last = bad2.len() - 1;
        bad2[last] ^= 1;
        let before = c.to_bytes().unwrap();
        assert!(c.decrypt_application(&bad2, &mut out).is_err());
        assert_eq!(c.to_bytes().unwrap(), before);
        let r = c.decrypt_application(&app2, &mut out).unwrap();
        assert_eq!(&out[..r.len], b"twice");
        let _ = bad;
    }
}

#[test]
fn forged_authentication_is_rejected() {
    let (mut a, b, _) = three(WireFormat::PublicMessage);
    let other = SignatureKeyPair::generate(&mut rng(99));
    // Bad signature with a valid membership tag (an insider signing as B with another key).
    let forged = forge_public(
        &b,
        Content::Proposal(Proposal::Remove(Remove { removed: 2 })),
        &other.private,
        None,
    );
    rejects(
        &mut a,
        &forged,
        |e| *e == GroupError::InvalidSignature,
        "bad signature",
    );
    // Bad membership tag.
    let good = forge_public(
        &b,
        Content::Proposal(Proposal::Remove(Remove { removed: 2 })),
        &b.signer,
        None,
    );
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    rejects(
        &mut a,
        &bad,
        |e| *e == GroupError::InvalidMembershipTag,
        "bad membership tag",
    );
    // Bad confirmation tag on an otherwise valid commit (no path, Remove of C would need a
    // path; use an Add-free empty list with a path-less commit: path required).
    let (kp, _) = create_key_package::<Mls128ChaCha, _>(
        &params("d"),
        &SignatureKeyPair::generate(&mut rng(98)),
        &mut rng(97),
    )
    .unwrap();
    let commit = forge_public(
        &b,
        Content::Commit(Commit {
            proposals: vec![by_value(Proposal::Add(Add { key_package: kp }))],
            path: None,
        }),
        &b.signer,
        Some([1; 32]),
    );
    rejects(
        &mut a,
        &commit,
        |e| *e == GroupError::InvalidConfirmationTag,
        "bad confirmation tag",
    );
    // The valid proposal still goes through.
    a.process_message(&good).unwrap();
}

#[test]
fn invalid_proposal_lists_are_rejected() {
    let (mut a, mut b, _) = three(WireFormat::PublicMessage);
    let b_leaf = b.own_leaf_index();
    let remove = |i: u32| Proposal::Remove(Remove { removed: i });
    let gce = || Proposal::GroupContextExtensions(GroupContextExtensions { extensions: vec![] });
    let new_leaf = {
        let (p, _) = b.clone().propose_update(&mut rng(40)).unwrap();
        let MLSMessageBody::PublicMessage(pm) = MLSMessage::decode_exact(&p).unwrap().body else {
            unreachable!()
        };
        let Content::Proposal(Proposal::Update(u)) = pm.content.content else {
            unreachable!()
        };
        u
    };
    let cases: Vec<(Vec<ProposalOrRef>, ProposalError, &str)> = vec![
        (
            vec![by_value(remove(b_leaf))],
            ProposalError::RemovesCommitter,
            "remove committer",
        ),
        (
            vec![by_value(remove(2)), by_value(remove(2))],
            ProposalError::DuplicateTarget { leaf: 2 },
            "duplicate remove",
        ),
        (
            vec![by_value(remove(7))],
            ProposalError::RemoveBlankLeaf { leaf: 7 },
            "remove blank",
        ),
        (
            vec![by_value(Proposal::Update(Update {
                leaf_node: new_leaf.leaf_node.clone(),
            }))],
            ProposalError::UpdateByCommitter,
            "update by committer",
        ),
        (
            vec![by_value(Proposal::ExternalInit(ExternalInit {
                kem_output: VLBytes::from(&[1u8; 32][..]),
            }))],
            ProposalError::ExternalInit,
            "external init",
        ),
        (
            vec![by_value(gce()), by_value(gce())],
            ProposalError::MultipleGroupContextExtensions,
            "two gce",
        ),
        (
            vec![ProposalOrRef::Reference(OpaqueArray([3; 32]))],
            ProposalError::UnknownReference,
            "unknown reference",
        ),
        (
            vec![by_value(remove(2))],
            ProposalError::PathRequired,
            "remove without path",
        ),
        (vec![], ProposalError::PathRequired, "empty without path"),
    ];
    for (list, want, what) in cases {
        let msg = forge_commit(&b, list);
        rejects(
            &mut a,
            &msg,
            |e| *e == GroupError::InvalidProposal(want),
            what,
        );
    }
    // Committer-side validation refuses the same lists.
    assert_eq!(
        b.commit(
            &CommitOptions {
                proposals: vec![remove(b_leaf)],
                ..CommitOptions::default()
            },
            &mut rng(41),
        )
        .unwrap_err(),
        GroupError::InvalidProposal(ProposalError::RemovesCommitter)
    );
    assert!(!b.has_pending_commit());
    // A valid commit still processes.
    let out = b.commit(&CommitOptions::default(), &mut rng(42)).unwrap();
    a.process_message(&out.commit).unwrap();
}

#[test]
fn state_blob_roundtrip_versions_and_restored_group_keeps_working() {
    let (a, b, c) = three(WireFormat::PrivateMessage);
    let blob = a.to_bytes().unwrap();
    assert_eq!(u16::from_be_bytes([blob[0], blob[1]]), STATE_VERSION);
    let mut a2 = G::from_bytes(&blob).unwrap();
    assert_eq!(a2.to_bytes().unwrap(), blob);
    // Unknown version.
    let mut v2 = blob.clone();
    v2[..2].copy_from_slice(&(STATE_VERSION + 1).to_be_bytes());
    assert_eq!(
        G::from_bytes(&v2).unwrap_err(),
        GroupError::UnsupportedStateVersion(STATE_VERSION + 1)
    );
    // Truncations and trailing bytes.
    for n in (0..blob.len()).step_by(97) {
        assert!(G::from_bytes(&blob[..n]).is_err(), "prefix {n}");
    }
    let mut t = blob.clone();
    t.push(0);
    assert!(G::from_bytes(&t).is_err());

    // The restored group commits, the others follow; messages flow.
    let (mut b, mut c) = (G::from_bytes(&b.to_bytes().unwrap()).unwrap(), c);
    let out = a2.commit(&CommitOptions::default(), &mut rng(50)).unwrap();
    // A pending commit survives a restore too.
    let mut a3 = G::from_bytes(&a2.to_bytes().unwrap()).unwrap();
    assert!(a3.has_pending_commit());
    b.process_message(&out.commit).unwrap();
    c.process_message(&out.commit).unwrap();
    a3.process_message(&out.commit).unwrap();
    assert_eq!(a3.epoch_authenticator(), b.epoch_authenticator());
    let mut buf = vec![0u8; 256];
    let n = a3
        .encrypt_application(b"", b"restored", &mut rng(51), &mut buf)
        .unwrap();
    let mut out = vec![0u8; 256];
    let r = c.decrypt_application(&buf[..n], &mut out).unwrap();
    assert_eq!(&out[..r.len], b"restored");
    // A late message of the previous epoch, through a restored receiver's past epochs.
    let mut c2 = G::from_bytes(&c.to_bytes().unwrap()).unwrap();
    assert_eq!(
        c2.retained_epochs().collect::<Vec<_>>(),
        vec![a3.epoch() - 1]
    );
    let _ = &mut c2;
    // Inconsistent blob: another member's leaf key is rejected.
    let mut bad = a3.clone();
    bad.epoch.tree_keys = TreePrivateKeys::new(
        bad.epoch.own_leaf,
        vmls_crypto::HpkePrivateKey::from_slice(&[9; 32]).unwrap(),
    );
    let bytes = bad.to_bytes().unwrap();
    assert_eq!(G::from_bytes(&bytes).unwrap_err(), GroupError::InvalidState);
    let _: String = format!("{:?}", a3);
}

#[test]
fn late_application_messages_of_past_epochs_within_the_window() {
    let (mut a, mut b, mut c) = three(WireFormat::PrivateMessage);
    let mut buf = vec![0u8; 256];
    let n = b
        .encrypt_application(b"", b"late", &mut rng(60), &mut buf)
        .unwrap();
    let late = buf[..n].to_vec();
    let n = b
        .encrypt_application(b"", b"too late", &mut rng(61), &mut buf)
        .unwrap();
    let too_late = buf[..n].to_vec();
    // Two epochs pass; max_past_epochs = 1.
    for seed in [62u64, 63] {
        let out = a.commit(&CommitOptions::default(), &mut rng(seed)).unwrap();
        b.process_message(&out.commit).unwrap();
        c.process_message(&out.commit).unwrap();
        a.merge_pending_commit().unwrap();
        if seed == 62 {
            let mut out = vec![0u8; 256];
            let r = c.decrypt_application(&late, &mut out).unwrap();
            assert_eq!(&out[..r.len], b"late");
        }
    }
    let expected = c.epoch();
    let before = c.to_bytes().unwrap();
    let mut out = vec![0u8; 256];
    assert_eq!(
        c.decrypt_application(&too_late, &mut out).unwrap_err(),
        GroupError::WrongEpoch {
            got: expected - 2,
            expected
        }
    );
    assert_eq!(c.to_bytes().unwrap(), before);
}

#[test]
fn limits_are_enforced() {
    let signer = SignatureKeyPair::generate(&mut rng(70));
    let cfg = GroupConfig {
        max_members: 3,
        ..GroupConfig::default()
    };
    let mut a = G::create(b"lim", &params("a"), &signer, vec![], cfg, &mut rng(71)).unwrap();
    let kps: Vec<KeyPackage> = (0..3)
        .map(|i| {
            create_key_package::<Mls128ChaCha, _>(
                &params(&format!("m{i}")),
                &SignatureKeyPair::generate(&mut rng(80 + i)),
                &mut rng(90 + i),
            )
            .unwrap()
            .0
        })
        .collect();
    let before = a.to_bytes().unwrap();
    let e = a.commit(
        &CommitOptions {
            proposals: kps
                .iter()
                .map(|k| {
                    Proposal::Add(Add {
                        key_package: k.clone(),
                    })
                })
                .collect(),
            ..CommitOptions::default()
        },
        &mut rng(72),
    );
    assert_eq!(e.unwrap_err(), GroupError::TooManyMembers { max: 3 });
    assert_eq!(a.to_bytes().unwrap(), before);
    // Two more fit.
    a.commit(
        &CommitOptions {
            proposals: kps[..2]
                .iter()
                .map(|k| {
                    Proposal::Add(Add {
                        key_package: k.clone(),
                    })
                })
                .collect(),
            ..CommitOptions::default()
        },
        &mut rng(73),
    )
    .unwrap();
    a.merge_pending_commit().unwrap();
    assert_eq!(a.member_count(), 3);
    // Pending-proposal limit.
    let mut cfg = *a.config();
    cfg.max_pending_proposals = 1;
    a.set_config(cfg);
    a.propose_remove(1, &mut rng(74)).unwrap();
    assert_eq!(
        a.propose_remove(2, &mut rng(75)).unwrap_err(),
        GroupError::TooManyProposals { max: 1 }
    );
    // Application message larger than the message limit is refused before a key is taken.
    a.clear_pending_proposals();
    cfg.max_message_size = 100;
    a.set_config(cfg);
    let before = a.to_bytes().unwrap();
    let mut buf = vec![0u8; 1000];
    assert!(matches!(
        a.encrypt_application(b"", &[0u8; 200], &mut rng(76), &mut buf),
        Err(GroupError::MessageTooLarge { max: 100, .. })
    ));
    assert_eq!(a.to_bytes().unwrap(), before);
}

#[test]
fn key_package_validation_and_last_resort() {
    let signer = SignatureKeyPair::generate(&mut rng(1));
    let mut p = params("kp");
    p.last_resort = true;
    let (kp, private) = create_key_package::<Mls128ChaCha, _>(&p, &signer, &mut rng(2)).unwrap();
    assert!(is_last_resort(&kp));
    assert!(
        kp.tbs
            .leaf_node
            .content
            .capabilities
            .extensions
            .contains(&vmls_tree::extension_type::LAST_RESORT)
    );
    assert_eq!(private.init_key.public_key(), kp.tbs.init_key.0);
    let lp = vmls_tree::LeafValidationParams::default();
    validate_key_package::<Mls128ChaCha>(&kp, &lp).unwrap();
    // init_key == encryption_key.
    let mut tbs = kp.tbs.clone();
    tbs.init_key = tbs.leaf_node.content.encryption_key;
    let bad = tbs.sign(&signer.private).unwrap();
    assert_eq!(
        validate_key_package::<Mls128ChaCha>(&bad, &lp).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::InitKeyEqualsEncryptionKey)
    );
    // A KeyPackage extension not in the capabilities.
    let mut tbs = kp.tbs.clone();
    tbs.extensions.push(vmls_tree::Extension {
        extension_type: 0xf0f0,
        extension_data: VLBytes::default(),
    });
    let bad = tbs.sign(&signer.private).unwrap();
    assert_eq!(
        validate_key_package::<Mls128ChaCha>(&bad, &lp).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::UnsupportedExtension(0xf0f0))
    );
    // Wrong suite and bad signature.
    let mut tbs = kp.tbs.clone();
    tbs.cipher_suite = 1;
    let bad = tbs.sign(&signer.private).unwrap();
    assert_eq!(
        validate_key_package::<Mls128ChaCha>(&bad, &lp).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::CipherSuite(1))
    );
    let mut bad = kp.clone();
    bad.signature.0[3] ^= 1;
    assert_eq!(
        validate_key_package::<Mls128ChaCha>(&bad, &lp).unwrap_err(),
        GroupError::InvalidKeyPackage(KeyPackageError::Signature)
    );
    // Lifetime is checked when the current time is known.
    let mut p2 = params("old");
    p2.lifetime = Lifetime {
        not_before: 10,
        not_after: 20,
    };
    let (old, _) = create_key_package::<Mls128ChaCha, _>(&p2, &signer, &mut rng(3)).unwrap();
    let lp_now = vmls_tree::LeafValidationParams {
        now: Some(30),
        ..Default::default()
    };
    assert!(matches!(
        validate_key_package::<Mls128ChaCha>(&old, &lp_now),
        Err(GroupError::InvalidKeyPackage(KeyPackageError::Leaf(_)))
    ));
    // Private keys round trip through their encoding.
    let enc = private.to_bytes().unwrap();
    let back = KeyPackagePrivate::decode_exact(&enc).unwrap();
    assert_eq!(back.leaf_key, private.leaf_key);
}

/// RFC 9420 sections 5.3.1, 6.1, 7.3: a member rotates its signature key with its Commit's
/// UpdatePath. The FramedContent is signed with the old key (the sender's leaf in the current
/// tree), the new LeafNode with the new one; afterwards the others verify the member with the
/// new key only. The expectation is the key pair the test generated, not the engine's output.
#[test]
fn signature_key_rotation_by_commit_and_old_key_no_longer_verifies() {
    for wire in [WireFormat::PublicMessage, WireFormat::PrivateMessage] {
        let (mut a, mut b, mut c) = three(wire);
        let old = a.signer.clone();
        let new = SignatureKeyPair::generate(&mut rng(900));
        // A key another member holds is refused (section 7.3: signature keys are unique).
        let b_key = *b.own_leaf().unwrap().signature_key();
        let mut dup = a.clone();
        let dup_key = b.signer.clone();
        assert_eq!(dup_key.public_key(), b_key);
        assert!(matches!(
            dup.commit(
                &CommitOptions {
                    new_signature_key: Some(dup_key),
                    force_path: false,
                    ..CommitOptions::default()
                },
                &mut rng(901),
            ),
            Err(GroupError::Tree(
                vmls_tree::TreeError::DuplicateSignatureKey { leaf: LeafIndex(1) }
            ))
        ));
        let out = a
            .commit(
                &CommitOptions {
                    // The rotation forces the UpdatePath.
                    force_path: false,
                    new_signature_key: Some(new.private.clone()),
                    ..CommitOptions::default()
                },
                &mut rng(902),
            )
            .unwrap();
        assert!(out.summary.has_path);
        // Until the merge, A still signs with the old key; the pending blob survives a
        // restore with the new key.
        assert_eq!(a.signer.public_key(), old.public_key());
        let mut restored = G::from_bytes(&a.to_bytes().unwrap()).unwrap();
        restored.merge_pending_commit().unwrap();
        assert_eq!(restored.signer.public_key(), new.public);
        a.merge_pending_commit().unwrap();
        assert_eq!(a.signer.public_key(), new.public);
        assert_eq!(a.to_bytes().unwrap(), restored.to_bytes().unwrap());
        for g in [&mut b, &mut c] {
            g.process_message(&out.commit).unwrap();
            assert_eq!(g.epoch_authenticator(), a.epoch_authenticator());
            assert_eq!(
                g.tree().leaf(LeafIndex(0)).unwrap().signature_key(),
                &new.public
            );
        }
        // New key: accepted.
        let mut buf = vec![0u8; a.application_message_len(0, 5)];
        let n = a
            .encrypt_application(b"", b"hello", &mut rng(903), &mut buf)
            .unwrap();
        let mut plain = vec![0u8; n];
        let r = b.decrypt_application(&buf[..n], &mut plain).unwrap();
        assert_eq!((r.sender, &plain[..r.len]), (0, &b"hello"[..]));
        // Old key, new epoch's secrets (the worst case: whoever kept the old key also learned
        // the new epoch): refused, nothing changes.
        let mut forger = a.clone();
        forger.signer = old.clone();
        forger.prepared_signer = crate::labeled::PreparedSigner::new(&old);
        let mut buf = vec![0u8; forger.application_message_len(0, 6)];
        let n = forger
            .encrypt_application(b"", b"forged", &mut rng(904), &mut buf)
            .unwrap();
        rejects(
            &mut b,
            &buf[..n],
            bad_signature,
            "application message under the old key",
        );
        let remove_b = Proposal::Remove(Remove { removed: 1 });
        let forged = forge_public(&a, Content::Proposal(remove_b.clone()), &old, None);
        rejects(&mut c, &forged, bad_signature, "proposal under the old key");
        let forged = forge_public(
            &a,
            Content::Commit(Commit {
                proposals: vec![by_value(remove_b.clone())],
                path: None,
            }),
            &old,
            None,
        );
        rejects(&mut c, &forged, bad_signature, "commit under the old key");
        // The same proposal under the new key is accepted (the forgery failed on the key
        // alone).
        let genuine = forge_public(&a, Content::Proposal(remove_b), &new.private, None);
        assert!(matches!(
            c.process_message(&genuine).unwrap(),
            ProcessedMessage::Proposal { .. }
        ));
    }
}

fn bad_signature(e: &GroupError) -> bool {
    matches!(
        e,
        GroupError::InvalidSignature | GroupError::Message(crate::Error::InvalidSignature)
    )
}
