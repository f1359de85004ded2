//! The group engine end to end: group creation, Add/Update/Remove/PSK/GroupContextExtensions by
//! value and by reference, Welcome (tree inside or out of band), external joins, application
//! messages both ways. After every epoch all members must agree on the epoch authenticator
//! (RFC 9420 section 8.7) and on the tree hash: an independent check, since each member derives
//! them on its own from the messages it received.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;
use common::{params, rng64 as rng};
use vmls_crypto::SignatureKeyPair;
use vmls_group::framing::WireFormat;
use vmls_group::group::{
    CommitOptions, ExternalJoinOptions, Group, GroupConfig, GroupError, GroupStatus,
    KeyPackagePrivate, ProcessedMessage, ProposalError, PskStore, create_key_package,
};
use vmls_group::{ExtensionBody, KeyPackage, Proposal, RequiredCapabilities};
use vmls_keyschedule::{Psk, ResumptionPskUsage};

type G = Group;

struct Client {
    name: String,
    signer: SignatureKeyPair,
}

fn client(name: &str, seed: u64) -> Client {
    Client {
        name: name.into(),
        signer: SignatureKeyPair::generate(&mut rng(seed)),
    }
}

fn key_package(c: &Client, seed: u64) -> (KeyPackage, KeyPackagePrivate) {
    create_key_package::<vmls_crypto::Mls128ChaCha, _>(&params(&c.name), &c.signer, &mut rng(seed))
        .unwrap()
}

fn config(wire: WireFormat) -> GroupConfig {
    GroupConfig {
        handshake_wire_format: wire,
        ..GroupConfig::default()
    }
}

/// Every group agrees with the first on epoch, epoch authenticator and tree hash.
fn assert_agree(groups: &[&G]) {
    let first = groups[0];
    for g in &groups[1..] {
        assert_eq!(g.epoch(), first.epoch());
        assert_eq!(g.epoch_authenticator(), first.epoch_authenticator());
        assert_eq!(g.context().tree_hash, first.context().tree_hash);
        assert_eq!(g.member_count(), first.member_count());
    }
}

/// `sender` commits with `options`, every other group processes the commit.
fn commit_all(
    sender: usize,
    groups: &mut [G],
    options: &CommitOptions,
    seed: u64,
) -> vmls_group::group::CommitOutput {
    let out = groups[sender].commit(options, &mut rng(seed)).unwrap();
    for (i, g) in groups.iter_mut().enumerate() {
        if i == sender {
            continue;
        }
        match g.process_message(&out.commit).unwrap() {
            ProcessedMessage::Commit(s) => assert_eq!(s.epoch, out.summary.epoch),
            other => panic!("{other:?}"),
        }
    }
    groups[sender].merge_pending_commit().unwrap();
    out
}

fn send(from: &mut G, to: &mut [&mut G], text: &[u8], seed: u64) {
    let mut buf = vec![0u8; from.application_message_len(3, text.len())];
    let n = from
        .encrypt_application(b"aad", text, &mut rng(seed), &mut buf)
        .unwrap();
    assert_eq!(n, buf.len());
    for g in to.iter_mut() {
        let mut out = vec![0u8; buf.len()];
        let r = g.decrypt_application(&buf, &mut out).unwrap();
        assert_eq!(&out[..r.len], text);
        assert_eq!(r.sender, from.own_leaf_index());
        assert_eq!(r.authenticated_data, b"aad");
    }
}

#[test]
fn two_party_conversation() {
    for wire in [WireFormat::PublicMessage, WireFormat::PrivateMessage] {
        let alice = client("alice", 1);
        let bob = client("bob", 2);
        let mut a = G::create(
            b"g2",
            &params("alice"),
            &alice.signer,
            vec![],
            config(wire),
            &mut rng(3),
        )
        .unwrap();
        assert_eq!(a.epoch(), 0);
        let (kp, kp_priv) = key_package(&bob, 4);
        let out = a
            .commit(
                &CommitOptions {
                    proposals: vec![Proposal::Add(vmls_group::Add {
                        key_package: kp.clone(),
                    })],
                    ..CommitOptions::default()
                },
                &mut rng(5),
            )
            .unwrap();
        assert!(a.has_pending_commit());
        // Receiving its own commit back merges the pending commit.
        match a.process_message(&out.commit).unwrap() {
            ProcessedMessage::Commit(s) => assert_eq!(s.added, vec![1]),
            other => panic!("{other:?}"),
        }
        assert!(!a.has_pending_commit());
        let mut b = G::join_from_welcome_bytes(
            out.welcome.as_ref().unwrap(),
            &kp,
            &kp_priv,
            None,
            PskStore::new(),
            config(wire),
        )
        .unwrap();
        assert_agree(&[&a, &b]);
        assert_eq!(b.own_leaf_index(), 1);

        send(&mut a, &mut [&mut b], b"hello bob", 10);
        send(&mut b, &mut [&mut a], b"hello alice", 11);

        // Bob: an empty commit (path) and an Update proposal committed by Alice.
        let mut groups = vec![a, b];
        commit_all(1, &mut groups, &CommitOptions::default(), 12);
        assert_agree(&[&groups[0], &groups[1]]);
        let (prop, _) = groups[1].propose_update(&mut rng(13)).unwrap();
        match groups[0].process_message(&prop).unwrap() {
            ProcessedMessage::Proposal { proposal, .. } => {
                assert!(matches!(*proposal, Proposal::Update(_)))
            }
            other => panic!("{other:?}"),
        }
        // Proposals pending: no application data before a commit (RFC 9420 12.4).
        let mut buf = [0u8; 512];
        assert_eq!(
            groups[0].encrypt_application(b"", b"x", &mut rng(1), &mut buf),
            Err(GroupError::ProposalsPending)
        );
        let out = commit_all(0, &mut groups, &CommitOptions::default(), 14);
        assert_eq!(out.summary.updated, vec![1]);
        assert_agree(&[&groups[0], &groups[1]]);
        let (a, b) = groups.split_at_mut(1);
        send(&mut b[0], &mut [&mut a[0]], b"after update", 15);

        // Alice removes Bob.
        let out = groups[0]
            .commit(
                &CommitOptions {
                    proposals: vec![Proposal::Remove(vmls_group::Remove { removed: 1 })],
                    ..CommitOptions::default()
                },
                &mut rng(16),
            )
            .unwrap();
        match groups[1].process_message(&out.commit).unwrap() {
            ProcessedMessage::Commit(s) => assert!(s.self_removed),
            other => panic!("{other:?}"),
        }
        assert_eq!(groups[1].status(), &GroupStatus::Removed);
        groups[0].merge_pending_commit().unwrap();
        assert_eq!(groups[0].member_count(), 1);
        assert!(matches!(
            groups[1].commit(&CommitOptions::default(), &mut rng(17)),
            Err(GroupError::Inactive)
        ));
    }
}

#[test]
fn fifty_members_in_one_commit_then_updates_removes_and_rejoin() {
    let wire = WireFormat::PrivateMessage;
    let clients: Vec<Client> = (0..51).map(|i| client(&format!("m{i}"), 100 + i)).collect();
    let mut creator = G::create(
        b"big group",
        &params("m0"),
        &clients[0].signer,
        vec![],
        config(wire),
        &mut rng(1),
    )
    .unwrap();
    let kps: Vec<(KeyPackage, KeyPackagePrivate)> = clients[1..]
        .iter()
        .enumerate()
        .map(|(i, c)| key_package(c, 200 + i as u64))
        .collect();
    let out = creator
        .commit(
            &CommitOptions {
                proposals: kps
                    .iter()
                    .map(|(kp, _)| {
                        Proposal::Add(vmls_group::Add {
                            key_package: kp.clone(),
                        })
                    })
                    .collect(),
                // Half the joiners get the tree out of band.
                ratchet_tree_in_welcome: false,
                ..CommitOptions::default()
            },
            &mut rng(2),
        )
        .unwrap();
    assert_eq!(out.summary.added.len(), 50);
    creator.merge_pending_commit().unwrap();
    let tree = creator.ratchet_tree_bytes().unwrap();
    let welcome = out.welcome.unwrap();
    let mut groups = vec![creator];
    for (kp, p) in &kps {
        groups.push(
            G::join_from_welcome_bytes(&welcome, kp, p, Some(&tree), PskStore::new(), config(wire))
                .unwrap(),
        );
    }
    // Without the tree, the Welcome cannot be used.
    assert_eq!(
        G::join_from_welcome_bytes(
            &welcome,
            &kps[0].0,
            &kps[0].1,
            None,
            PskStore::new(),
            config(wire)
        )
        .unwrap_err(),
        GroupError::MissingRatchetTree
    );
    let refs: Vec<&G> = groups.iter().collect();
    assert_agree(&refs);

    // A few members commit updates (full path) in turn.
    for (k, sender) in [7usize, 33, 50, 1].into_iter().enumerate() {
        commit_all(
            sender,
            &mut groups,
            &CommitOptions::default(),
            300 + k as u64,
        );
        let refs: Vec<&G> = groups.iter().collect();
        assert_agree(&refs);
    }

    // Member 5 proposes removing 9 and 10; member 20 commits them by reference.
    let (p1, _) = groups[5].propose_remove(9, &mut rng(400)).unwrap();
    let (p2, _) = groups[5].propose_remove(10, &mut rng(401)).unwrap();
    for (i, g) in groups.iter_mut().enumerate() {
        if i != 5 {
            g.process_message(&p1).unwrap();
            g.process_message(&p2).unwrap();
        }
    }
    let out = groups[20]
        .commit(&CommitOptions::default(), &mut rng(402))
        .unwrap();
    assert_eq!(out.summary.removed, vec![9, 10]);
    for (i, g) in groups.iter_mut().enumerate() {
        if i == 20 {
            continue;
        }
        let r = g.process_message(&out.commit).unwrap();
        let ProcessedMessage::Commit(s) = r else {
            panic!()
        };
        assert_eq!(s.self_removed, i == 9 || i == 10);
    }
    groups[20].merge_pending_commit().unwrap();
    let removed: Vec<G> = vec![groups.remove(10), groups.remove(9)];
    assert!(removed.iter().all(|g| g.status() == &GroupStatus::Removed));
    let refs: Vec<&G> = groups.iter().collect();
    assert_agree(&refs);
    assert_eq!(groups[0].member_count(), 49);

    // Messages from several members to everyone.
    for s in [0usize, 12, 48] {
        let (left, right) = groups.split_at_mut(s);
        let (me, rest) = right.split_first_mut().unwrap();
        let mut to: Vec<&mut G> = left.iter_mut().chain(rest.iter_mut()).collect();
        send(
            me,
            &mut to,
            format!("hi from {s}").as_bytes(),
            500 + s as u64,
        );
    }

    // Member 30 loses its state and rejoins by external commit, removing its old leaf.
    let lost = groups.remove(30);
    let old_leaf = lost.own_leaf_index();
    let gi = groups[0].group_info(true).unwrap();
    let name = format!("m{}", 30 + 2); // groups index 30 is client 32 after two removals
    let c = &clients[32];
    assert_eq!(c.name, name);
    let (rejoined, commit) = G::join_by_external_commit(
        &gi,
        None,
        &params(&c.name),
        &c.signer,
        &ExternalJoinOptions {
            resync_leaf: Some(old_leaf),
            ..ExternalJoinOptions::default()
        },
        PskStore::new(),
        config(wire),
        &mut rng(600),
    )
    .unwrap();
    for g in groups.iter_mut() {
        match g.process_message(&commit).unwrap() {
            ProcessedMessage::Commit(s) => {
                assert_eq!(s.removed, vec![old_leaf]);
                assert_eq!(s.sender, vmls_group::Sender::NewMemberCommit);
            }
            other => panic!("{other:?}"),
        }
    }
    groups.push(rejoined);
    let refs: Vec<&G> = groups.iter().collect();
    assert_agree(&refs);
    assert_eq!(groups[0].member_count(), 49);
    let last = groups.len() - 1;
    let (left, right) = groups.split_at_mut(last);
    let mut to: Vec<&mut G> = left.iter_mut().collect();
    send(&mut right[0], &mut to, b"back again", 700);
}

#[test]
fn psk_and_group_context_extensions_proposals() {
    let wire = WireFormat::PublicMessage;
    let alice = client("alice", 1);
    let bob = client("bob", 2);
    let mut a = G::create(
        b"psk",
        &params("alice"),
        &alice.signer,
        vec![],
        config(wire),
        &mut rng(3),
    )
    .unwrap();
    let (kp, kpp) = key_package(&bob, 4);
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(vmls_group::Add {
                    key_package: kp.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng(5),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let mut b = G::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kp,
        &kpp,
        None,
        PskStore::new(),
        config(wire),
    )
    .unwrap();
    // External PSK known to both; a resumption PSK of epoch 1.
    a.psk_store_mut().insert_external(b"ext", &[5u8; 40]);
    let (p, _) = a
        .propose_psk(
            Psk::External {
                psk_id: b"ext".to_vec().into(),
            },
            &mut rng(6),
        )
        .unwrap();
    // Bob does not have the PSK yet: the proposal is cached, but the commit cannot be applied.
    b.process_message(&p).unwrap();
    let (p2, _) = a
        .propose_psk(
            Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: b"psk".to_vec().into(),
                psk_epoch: 1,
            },
            &mut rng(7),
        )
        .unwrap();
    b.process_message(&p2).unwrap();
    let out = a.commit(&CommitOptions::default(), &mut rng(8)).unwrap();
    assert_eq!(out.summary.psks, 2);
    let before = b.to_bytes().unwrap();
    assert_eq!(b.process_message(&out.commit), Err(GroupError::MissingPsk));
    assert_eq!(b.to_bytes().unwrap(), before);
    b.psk_store_mut().insert_external(b"ext", &[5u8; 40]);
    b.process_message(&out.commit).unwrap();
    a.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b]);

    // GroupContextExtensions: require a capability Bob lacks -> invalid; an empty
    // required_capabilities is fine.
    let req = RequiredCapabilities {
        extension_types: vec![0xff00],
        ..RequiredCapabilities::default()
    };
    let e = a.commit(
        &CommitOptions {
            proposals: vec![Proposal::GroupContextExtensions(
                vmls_group::GroupContextExtensions {
                    extensions: vec![req.to_extension().unwrap()],
                },
            )],
            ..CommitOptions::default()
        },
        &mut rng(9),
    );
    assert!(matches!(
        e,
        Err(GroupError::InvalidProposal(
            ProposalError::UnsupportedGroupContextExtension { .. }
        ))
    ));
    let req = RequiredCapabilities {
        credential_types: vec![1],
        ..RequiredCapabilities::default()
    };
    let (p, _) = b
        .propose_group_context_extensions(vec![req.to_extension().unwrap()], &mut rng(10))
        .unwrap();
    a.process_message(&p).unwrap();
    let out = a.commit(&CommitOptions::default(), &mut rng(11)).unwrap();
    assert!(out.summary.extensions_changed);
    b.process_message(&out.commit).unwrap();
    a.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b]);
    assert_eq!(a.context().extensions.len(), 1);
}

#[test]
fn external_senders_new_member_proposals_and_pathless_commits() {
    use vmls_codec::{Encode, OpaqueArray, VLBytes};
    use vmls_group::{
        AuthenticatedContent, Content, ExternalSender, ExternalSenders, FramedContent, MLSMessage,
        MLSMessageBody, PublicMessage, Sender,
    };
    let wire = WireFormat::PrivateMessage;
    let alice = client("alice", 1);
    let bob = client("bob", 2);
    let server = SignatureKeyPair::generate(&mut rng(3));
    let ext = ExternalSenders(vec![ExternalSender {
        signature_key: OpaqueArray(server.public),
        credential: vmls_tree::Credential::Basic(VLBytes::from(&b"server"[..])),
    }])
    .to_extension()
    .unwrap();
    let mut a = G::create(
        b"ext",
        &params("alice"),
        &alice.signer,
        vec![ext],
        config(wire),
        &mut rng(4),
    )
    .unwrap();
    // A commit with only an Add needs no path: send it without one.
    let (kp, kpp) = key_package(&bob, 5);
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(vmls_group::Add {
                    key_package: kp.clone(),
                })],
                force_path: false,
                ..CommitOptions::default()
            },
            &mut rng(6),
        )
        .unwrap();
    assert!(!out.summary.has_path);
    a.merge_pending_commit().unwrap();
    let mut b = G::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kp,
        &kpp,
        None,
        PskStore::new(),
        config(wire),
    )
    .unwrap();
    assert_agree(&[&a, &b]);

    // The external sender proposes adding Carol; Carol proposes adding herself.
    let carol = client("carol", 7);
    let (kc, _) = key_package(&carol, 8);
    let external = |sender: Sender,
                    signer: &SignatureKeyPair,
                    ctx: &vmls_keyschedule::GroupContext,
                    p: Proposal| {
        let content = FramedContent {
            group_id: ctx.group_id.clone(),
            epoch: ctx.epoch,
            sender,
            authenticated_data: VLBytes::default(),
            content: Content::Proposal(p),
        };
        let auth =
            AuthenticatedContent::sign(WireFormat::PublicMessage, content, &signer.private, None)
                .unwrap();
        let pm = PublicMessage::protect(auth, ctx, None).unwrap();
        MLSMessage::new(MLSMessageBody::PublicMessage(pm))
            .to_bytes()
            .unwrap()
    };
    let by_server = external(
        Sender::External(0),
        &server,
        a.context(),
        Proposal::Add(vmls_group::Add {
            key_package: kc.clone(),
        }),
    );
    // An external sender may not send an Update; an unknown index is rejected; a wrong key too.
    let wrong_key = external(
        Sender::External(0),
        &carol.signer,
        a.context(),
        Proposal::Remove(vmls_group::Remove { removed: 1 }),
    );
    assert_eq!(
        a.process_message(&wrong_key),
        Err(GroupError::InvalidSignature)
    );
    let unknown = external(
        Sender::External(3),
        &server,
        a.context(),
        Proposal::Remove(vmls_group::Remove { removed: 1 }),
    );
    assert_eq!(
        a.process_message(&unknown),
        Err(GroupError::UnknownExternalSender { index: 3 })
    );
    for g in [&mut a, &mut b] {
        match g.process_message(&by_server).unwrap() {
            ProcessedMessage::Proposal { sender, .. } => assert_eq!(sender, Sender::External(0)),
            other => panic!("{other:?}"),
        }
    }
    let out = b.commit(&CommitOptions::default(), &mut rng(9)).unwrap();
    assert_eq!(out.summary.added, vec![2]);
    a.process_message(&out.commit).unwrap();
    b.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b]);

    // New member proposal: Dave asks to be added; a new_member_proposal may only be an Add.
    let dave = client("dave", 10);
    let (kd, _) = key_package(&dave, 11);
    let self_add = external(
        Sender::NewMemberProposal,
        &dave.signer,
        a.context(),
        Proposal::Add(vmls_group::Add {
            key_package: kd.clone(),
        }),
    );
    let not_add = external(
        Sender::NewMemberProposal,
        &dave.signer,
        a.context(),
        Proposal::Remove(vmls_group::Remove { removed: 0 }),
    );
    assert_eq!(
        a.process_message(&not_add),
        Err(GroupError::SenderNotAllowed)
    );
    // RFC 9420 section 12.1.8: unauthorized external proposals are invalid. By default a
    // new_member_proposal is refused and changes nothing.
    let before = a.to_bytes().unwrap();
    assert_eq!(
        a.process_message(&self_add),
        Err(GroupError::ProposalNotAuthorized)
    );
    assert_eq!(a.to_bytes().unwrap(), before);
    // The application admits it (e.g. Dave is on its invitation list).
    let invited = |p: &vmls_group::group::ExternalProposer<'_>, _: &Proposal| {
        matches!(p, vmls_group::group::ExternalProposer::NewMember)
    };
    a.process_message_with_policy(&self_add, &invited).unwrap();
    // A commit referencing a proposal a member has not seen cannot be applied by it.
    let out = a.commit(&CommitOptions::default(), &mut rng(12)).unwrap();
    let before = b.to_bytes().unwrap();
    assert_eq!(
        b.process_message(&out.commit),
        Err(GroupError::InvalidProposal(ProposalError::UnknownReference))
    );
    assert_eq!(b.to_bytes().unwrap(), before);
    b.process_message_with_policy(&self_add, &invited).unwrap();
    assert_eq!(out.summary.added, vec![3]);
    b.process_message(&out.commit).unwrap();
    a.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b]);
    assert_eq!(a.member_count(), 4);

    // A removed member still reads a late message of its last epoch.
    let mut buf = vec![0u8; 256];
    let n = a
        .encrypt_application(b"", b"bye", &mut rng(13), &mut buf)
        .unwrap();
    let late = buf[..n].to_vec();
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Remove(vmls_group::Remove { removed: 1 })],
                ..CommitOptions::default()
            },
            &mut rng(14),
        )
        .unwrap();
    b.process_message(&out.commit).unwrap();
    assert_eq!(b.status(), &GroupStatus::Removed);
    let mut o = vec![0u8; 256];
    // Alice's commit had a path (it replaced her leaf): by default her late message is refused
    // (`LatePolicy::Refuse`, tests/late_policy.rs); a member that accepts such messages reads it.
    let last = b.retained_epochs().last().unwrap();
    assert_eq!(
        b.decrypt_application(&late, &mut o).unwrap_err(),
        GroupError::LateMessageFromReplacedSender {
            leaf: 0,
            epoch: last
        }
    );
    b.set_config(vmls_group::group::GroupConfig {
        late_messages_from_updated_senders: vmls_group::group::LatePolicy::Accept,
        ..*b.config()
    });
    let r = b.decrypt_application(&late, &mut o).unwrap();
    assert_eq!(&o[..r.len], b"bye");
}

#[test]
fn welcome_join_checks() {
    let wire = WireFormat::PublicMessage;
    let alice = client("alice", 1);
    let bob = client("bob", 2);
    let carol = client("carol", 3);
    let mut a = G::create(
        b"w",
        &params("alice"),
        &alice.signer,
        vec![],
        config(wire),
        &mut rng(4),
    )
    .unwrap();
    let old_tree = a.ratchet_tree_bytes().unwrap();
    let (kb, pb) = key_package(&bob, 5);
    let (kc, pc) = key_package(&carol, 6);
    a.psk_store_mut().insert_external(b"k", b"secret psk");
    let (_, _) = a
        .propose_psk(
            Psk::External {
                psk_id: b"k".to_vec().into(),
            },
            &mut rng(7),
        )
        .unwrap();
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(vmls_group::Add {
                    key_package: kb.clone(),
                })],
                ratchet_tree_in_welcome: false,
                ..CommitOptions::default()
            },
            &mut rng(8),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let w = out.welcome.unwrap();
    let tree = a.ratchet_tree_bytes().unwrap();
    let mut psks = PskStore::new();
    psks.insert_external(b"k", b"secret psk");
    let join = |kp: &KeyPackage, p: &KeyPackagePrivate, t: Option<&[u8]>, s: PskStore| {
        G::join_from_welcome_bytes(&w, kp, p, t, s, config(wire))
    };
    // Not for this KeyPackage; keys that do not match; PSK missing; stale tree.
    assert_eq!(
        join(&kc, &pc, Some(&tree), psks.clone()).unwrap_err(),
        GroupError::Message(vmls_group::Error::NoMatchingKeyPackage)
    );
    assert_eq!(
        join(&kb, &pc, Some(&tree), psks.clone()).unwrap_err(),
        GroupError::PrivateKeyMismatch
    );
    assert_eq!(
        join(&kb, &pb, Some(&tree), PskStore::new()).unwrap_err(),
        GroupError::MissingPsk
    );
    assert_eq!(
        join(&kb, &pb, Some(&old_tree), psks.clone()).unwrap_err(),
        GroupError::TreeHashMismatch
    );
    // Tampered Welcome bytes never join.
    for pos in (10..w.len()).step_by(w.len() / 30) {
        let mut bad = w.clone();
        bad[pos] ^= 1;
        assert!(
            G::join_from_welcome_bytes(&bad, &kb, &pb, Some(&tree), psks.clone(), config(wire))
                .is_err()
        );
    }
    let b = join(&kb, &pb, Some(&tree), psks).unwrap();
    assert_agree(&[&a, &b]);
    let mut secret_a = [0u8; 16];
    let mut secret_b = [0u8; 16];
    a.export_secret(b"label", b"ctx", &mut secret_a).unwrap();
    b.export_secret(b"label", b"ctx", &mut secret_b).unwrap();
    assert_eq!(secret_a, secret_b);
}
