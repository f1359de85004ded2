//! `GroupConfig::late_messages_from_updated_senders` (docs/spec-decisions.md, "Late messages
//! from replaced leaves"): a late application PrivateMessage or CBAM of a retained past epoch is
//! refused when a Commit this member merged since replaced (UpdatePath, Update proposal) or
//! removed its sender's leaf, and read otherwise. The expectation is the RFC 9420 section 14.4
//! retention (the same messages from unchanged members are read) and what the sender sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{params, rng64 as rng};
use vmls_crypto::SignatureKeyPair;
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams,
    LatePolicy, ProcessedMessage, PskStore, create_key_package,
};
use vmls_group::{Add, ExtensionBody, Proposal, Remove, RequiredCapabilities};

type G = Group;

fn cbam_params(name: &str) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..params(name)
    }
}

/// Alice, Bob, Carol and Dave in a group that requires CBAM.
fn four(config: GroupConfig) -> Vec<G> {
    let req = RequiredCapabilities {
        extension_types: vec![CBAM_EXTENSION_TYPE],
        proposal_types: vec![],
        credential_types: vec![],
    }
    .to_extension()
    .unwrap();
    let mut a = G::create(
        b"late policy",
        &cbam_params("alice"),
        &SignatureKeyPair::generate(&mut rng(1)),
        vec![req],
        config,
        &mut rng(2),
    )
    .unwrap();
    let kps: Vec<_> = ["bob", "carol", "dave"]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            create_key_package::<vmls_crypto::Mls128ChaCha, _>(
                &cbam_params(n),
                &SignatureKeyPair::generate(&mut rng(10 + i as u64)),
                &mut rng(20 + i as u64),
            )
            .unwrap()
        })
        .collect();
    let out = a
        .commit(
            &CommitOptions {
                proposals: kps
                    .iter()
                    .map(|(kp, _)| {
                        Proposal::Add(Add {
                            key_package: kp.clone(),
                        })
                    })
                    .collect(),
                ..CommitOptions::default()
            },
            &mut rng(3),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let w = out.welcome.unwrap();
    let mut all = vec![a];
    for (kp, private) in &kps {
        all.push(
            G::join_from_welcome_bytes(&w, kp, private, None, PskStore::new(), config).unwrap(),
        );
    }
    all
}

fn cbam(from: &mut G, data: &[u8], seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; from.cbam_message_len(0, data.len())];
    let n = from
        .encrypt_cbam(b"", data, &mut rng(seed), &mut out)
        .unwrap();
    out.truncate(n);
    out
}

fn private(from: &mut G, data: &[u8], seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; from.application_message_len(0, data.len())];
    let n = from
        .encrypt_application(b"", data, &mut rng(seed), &mut out)
        .unwrap();
    out.truncate(n);
    out
}

/// Delivers `commit` (made by member `by`, already merged there) to everyone else.
fn deliver(all: &mut [G], by: usize, commit: &[u8]) {
    for (i, g) in all.iter_mut().enumerate() {
        if i != by {
            g.process_message(commit).unwrap();
        }
    }
}

#[track_caller]
fn refused(g: &mut G, msg: &[u8], leaf: u32, epoch: u64) {
    let before = g.to_bytes().unwrap();
    assert_eq!(
        g.process_message(msg).unwrap_err(),
        GroupError::LateMessageFromReplacedSender { leaf, epoch }
    );
    assert_eq!(g.to_bytes().unwrap(), before, "a refusal changes nothing");
}

#[track_caller]
fn read(g: &mut G, msg: &[u8], sender: u32, epoch: u64, data: &[u8]) {
    match g.process_message(msg).unwrap() {
        ProcessedMessage::Application {
            sender: s,
            epoch: e,
            data: d,
            ..
        }
        | ProcessedMessage::Cbam {
            sender: s,
            epoch: e,
            data: d,
            ..
        } => assert_eq!((s, e, d.as_slice()), (sender, epoch, data)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn default_refuses_late_messages_from_replaced_leaves_only() {
    assert_eq!(
        GroupConfig::default().late_messages_from_updated_senders,
        LatePolicy::Refuse
    );
    let mut all = four(GroupConfig::default());
    let e = all[0].epoch();
    // Epoch e: everyone sends a CBAM and a PrivateMessage that arrive late.
    let mut late = Vec::new();
    for (i, g) in all.iter_mut().enumerate() {
        late.push((
            cbam(g, b"cbam", 100 + i as u64),
            private(g, b"pm", 110 + i as u64),
        ));
    }
    // Bob proposes an Update, Alice commits it with her UpdatePath and removes Dave:
    // leaves 0 (path), 1 (Update) and 3 (removed) are replaced; Carol's (2) is not.
    let (update, _) = all[1].propose_update(&mut rng(120)).unwrap();
    for i in [0, 2, 3] {
        all[i].process_message(&update).unwrap();
    }
    let out = all[0]
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Remove(Remove { removed: 3 })],
                ..CommitOptions::default()
            },
            &mut rng(121),
        )
        .unwrap();
    assert_eq!(out.summary.replaced_leaves(), vec![0, 1, 3]);
    all[0].merge_pending_commit().unwrap();
    deliver(&mut all, 0, &out.commit);
    // Restored from the blob, the refusal stays.
    let mut bob_restored = G::from_bytes(&all[1].to_bytes().unwrap()).unwrap();
    for (g, me) in [(&mut all[1], 1u32), (&mut bob_restored, 1)] {
        for (sender, (c, p)) in late.iter().enumerate() {
            let sender = sender as u32;
            if sender == me {
                continue;
            }
            if sender == 2 {
                read(g, c, 2, e, b"cbam");
                read(g, p, 2, e, b"pm");
            } else {
                refused(g, c, sender, e);
                refused(g, p, sender, e);
            }
        }
    }
    // Also through the direct application-message and CBAM paths.
    let mut buf = vec![0u8; 256];
    assert_eq!(
        all[2]
            .decrypt_application(&late[0].1, &mut buf)
            .unwrap_err(),
        GroupError::LateMessageFromReplacedSender { leaf: 0, epoch: e }
    );
    assert_eq!(
        all[2].decrypt_cbam(&late[1].0, &mut buf).unwrap_err(),
        GroupError::LateMessageFromReplacedSender { leaf: 1, epoch: e }
    );
    // A commit without an UpdatePath (an Add) replaces no one: late messages of the epoch
    // before it from every member (Alice included) are read.
    let e2 = all[0].epoch();
    let late_a = private(&mut all[0], b"pm2", 130);
    let late_c = cbam(&mut all[2], b"cbam2", 131);
    let (erin, _) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &cbam_params("erin"),
        &SignatureKeyPair::generate(&mut rng(133)),
        &mut rng(134),
    )
    .unwrap();
    let out = all[1]
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add { key_package: erin })],
                force_path: false,
                ..CommitOptions::default()
            },
            &mut rng(132),
        )
        .unwrap();
    assert!(!out.summary.has_path);
    assert!(out.summary.replaced_leaves().is_empty());
    all[1].merge_pending_commit().unwrap();
    for i in [0, 2] {
        all[i].process_message(&out.commit).unwrap();
    }
    read(&mut all[2], &late_a, 0, e2, b"pm2");
    read(&mut all[0], &late_c, 2, e2, b"cbam2");
    // Alice's leaf was replaced after epoch e, not after e2: e still refuses her.
    refused(&mut all[2], &late[0].0, 0, e);
}

#[test]
fn accept_restores_the_old_behaviour() {
    let config = GroupConfig {
        late_messages_from_updated_senders: LatePolicy::Accept,
        ..GroupConfig::default()
    };
    let mut all = four(config);
    let e = all[0].epoch();
    let c = cbam(&mut all[0], b"cbam", 200);
    let p = private(&mut all[0], b"pm", 201);
    let out = all[0]
        .commit(&CommitOptions::default(), &mut rng(202))
        .unwrap();
    all[0].merge_pending_commit().unwrap();
    deliver(&mut all, 0, &out.commit);
    read(&mut all[1], &c, 0, e, b"cbam");
    read(&mut all[1], &p, 0, e, b"pm");
    // The policy is part of the state blob.
    let restored = G::from_bytes(&all[1].to_bytes().unwrap()).unwrap();
    assert_eq!(
        restored.config().late_messages_from_updated_senders,
        LatePolicy::Accept
    );
    // Switching the policy applies at once.
    let mut refusing = all[2].clone();
    refusing.set_config(GroupConfig {
        late_messages_from_updated_senders: LatePolicy::Refuse,
        ..config
    });
    refused(&mut refusing, &c, 0, e);
    read(&mut all[2], &c, 0, e, b"cbam");
}
