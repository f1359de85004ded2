//! Issue 14, points 1-5: each test reproduces an attack or a fork found by a review of the group
//! engine and shows the rule that stops it. Expectations are the RFC's rules and the other
//! members' views (agreement on the epoch authenticator, byte-identical state after a rejected
//! message).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use common::{params, rng64 as rng};
use vmls_codec::{Decode, Encode, OpaqueArray, VLBytes};
use vmls_crypto::{SignatureKeyPair, generate_hpke_key_pair};
use vmls_group::framing::WireFormat;
use vmls_group::group::{
    CommitOptions, ExternalProposer, Group, GroupConfig, GroupError, GroupStatus, KeyPackageParams,
    NewLeafSource, ProcessedMessage, ProposalError, PskStore, RejectExternalProposals,
    create_key_package,
};
use vmls_group::{
    Add, AuthenticatedContent, Content, ExtensionBody, ExternalSender, ExternalSenders,
    FramedContent, GroupContextExtensions, KeyPackage, KeyPackageTBS, MLSMessage, MLSMessageBody,
    Proposal, ProtocolVersion, PublicMessage, Remove, RequiredCapabilities, Sender,
};
use vmls_tree::{Credential, Lifetime, TreeError};

type G = Group;

const T0: u64 = 1_800_000_000;

fn signer(seed: u64) -> SignatureKeyPair {
    SignatureKeyPair::generate(&mut rng(seed))
}

fn kp_with(p: &KeyPackageParams, s: &SignatureKeyPair, seed: u64) -> KeyPackage {
    create_key_package::<vmls_crypto::Mls128ChaCha, _>(p, s, &mut rng(seed))
        .unwrap()
        .0
}

fn kp(name: &str, seed: u64) -> (KeyPackage, vmls_group::group::KeyPackagePrivate) {
    create_key_package::<vmls_crypto::Mls128ChaCha, _>(&params(name), &signer(seed), &mut rng(seed))
        .unwrap()
}

/// A KeyPackage whose leaf carries `encryption_key` (copied from someone else), signed by a
/// fresh key.
fn kp_copying_encryption_key(encryption_key: [u8; 32], seed: u64) -> KeyPackage {
    let s = signer(seed);
    let mut leaf_keys = generate_hpke_key_pair(&mut rng(seed + 1)).unwrap();
    leaf_keys.public = encryption_key;
    let init = generate_hpke_key_pair(&mut rng(seed + 2)).unwrap();
    KeyPackageTBS {
        version: ProtocolVersion::MLS10,
        cipher_suite: 3,
        init_key: OpaqueArray(init.public),
        leaf_node: common::key_package_leaf(&s, &leaf_keys),
        extensions: vec![],
    }
    .sign(&s.private)
    .unwrap()
}

/// A PublicMessage proposal from a non-member sender (`external` or `new_member_proposal`):
/// no membership tag, signed by `by`.
fn outside_proposal(
    sender: Sender,
    by: &SignatureKeyPair,
    ctx: &vmls_keyschedule::GroupContext,
    p: Proposal,
) -> Vec<u8> {
    let content = FramedContent {
        group_id: ctx.group_id.clone(),
        epoch: ctx.epoch,
        sender,
        authenticated_data: VLBytes::default(),
        content: Content::Proposal(p),
    };
    let auth =
        AuthenticatedContent::sign(WireFormat::PublicMessage, content, &by.private, None).unwrap();
    let pm = PublicMessage::protect(auth, ctx, None).unwrap();
    MLSMessage::new(MLSMessageBody::PublicMessage(pm))
        .to_bytes()
        .unwrap()
}

/// Alice creates a group (with `server` as external sender) and adds Bob and Carol; all three
/// returned in agreement.
fn three(config: GroupConfig, server: &SignatureKeyPair) -> (G, G, G) {
    let ext = ExternalSenders(vec![ExternalSender {
        signature_key: OpaqueArray(server.public),
        credential: Credential::Basic(VLBytes::from(&b"server"[..])),
    }])
    .to_extension()
    .unwrap();
    let mut a = G::create(
        b"hardening",
        &params("alice"),
        &signer(1),
        vec![ext],
        config,
        &mut rng(2),
    )
    .unwrap();
    let (kb, kbp) = kp("bob", 3);
    let (kc, kcp) = kp("carol", 4);
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
            &mut rng(5),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let w = out.welcome.unwrap();
    let b = G::join_from_welcome_bytes(&w, &kb, &kbp, None, PskStore::new(), config).unwrap();
    let c = G::join_from_welcome_bytes(&w, &kc, &kcp, None, PskStore::new(), config).unwrap();
    assert_agree(&[&a, &b, &c]);
    (a, b, c)
}

fn assert_agree(groups: &[&G]) {
    for g in &groups[1..] {
        assert_eq!(g.epoch(), groups[0].epoch());
        assert_eq!(g.epoch_authenticator(), groups[0].epoch_authenticator());
    }
}

/// `msg` is rejected with `err` and leaves `g` byte-identical.
fn rejected(g: &mut G, msg: &[u8], err: GroupError) {
    let before = g.to_bytes().unwrap();
    assert_eq!(g.process_message(msg), Err(err));
    assert_eq!(g.to_bytes().unwrap(), before);
}

// ---- 1. Unauthorized new_member_proposal Adds -------------------------------------------

#[test]
fn new_member_proposal_is_refused_by_default_and_never_committed() {
    let server = signer(90);
    let (mut a, mut b, _c) = three(GroupConfig::default(), &server);
    // Mallory read the group id and epoch off a message header and asks to be added.
    let mallory = signer(66);
    let (k, _) = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
        &params("mallory"),
        &mallory,
        &mut rng(67),
    )
    .unwrap();
    let ask = outside_proposal(
        Sender::NewMemberProposal,
        &mallory,
        a.context(),
        Proposal::Add(Add { key_package: k }),
    );
    rejected(&mut a, &ask, GroupError::ProposalNotAuthorized);
    rejected(&mut b, &ask, GroupError::ProposalNotAuthorized);
    // Alice's next default commit adds nobody and makes no Welcome.
    let out = a.commit(&CommitOptions::default(), &mut rng(68)).unwrap();
    assert!(out.summary.added.is_empty());
    assert!(out.welcome.is_none());
    b.process_message(&out.commit).unwrap();
    a.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b]);
}

#[test]
fn external_sender_proposals_pass_the_application_policy() {
    let server = signer(90);
    let (mut a, _b, _c) = three(GroupConfig::default(), &server);
    let remove = outside_proposal(
        Sender::External(0),
        &server,
        a.context(),
        Proposal::Remove(Remove { removed: 2 }),
    );
    let before = a.to_bytes().unwrap();
    assert_eq!(
        a.process_message_with_policy(&remove, &RejectExternalProposals),
        Err(GroupError::ProposalNotAuthorized)
    );
    assert_eq!(a.to_bytes().unwrap(), before);
    // A policy that looks at the sender's credential.
    let only_server = |p: &ExternalProposer<'_>, _: &Proposal| match p {
        ExternalProposer::External { sender, .. } => {
            sender.credential == Credential::Basic(VLBytes::from(&b"server"[..]))
        }
        ExternalProposer::NewMember => false,
    };
    assert!(matches!(
        a.process_message_with_policy(&remove, &only_server),
        Ok(ProcessedMessage::Proposal { .. })
    ));
}

// ---- 2. One junk proposal must not block the group ----------------------------------------

#[test]
fn proposals_invalid_against_the_tree_are_refused_on_receipt() {
    let server = signer(90);
    let (mut a, mut b, _c) = three(GroupConfig::default(), &server);
    let ctx = a.context().clone();
    // An Add whose leaf copies Alice's encryption key.
    let alice_key = *a.own_leaf().unwrap().encryption_key();
    let copy = outside_proposal(
        Sender::External(0),
        &server,
        &ctx,
        Proposal::Add(Add {
            key_package: kp_copying_encryption_key(alice_key, 70),
        }),
    );
    for g in [&mut a, &mut b] {
        let before = g.to_bytes().unwrap();
        assert!(matches!(
            g.process_message(&copy),
            Err(GroupError::Tree(TreeError::DuplicateEncryptionKey { .. }))
        ));
        assert_eq!(g.to_bytes().unwrap(), before);
    }
    // An Add with a credential type (x509) no member supports.
    let x509 = KeyPackageParams {
        credential: Credential::X509(vec![VLBytes::from(&b"cert"[..])].into_boxed_slice()),
        extra_credential_types: vec![1],
        ..params("x")
    };
    let add_x509 = outside_proposal(
        Sender::External(0),
        &server,
        &ctx,
        Proposal::Add(Add {
            key_package: kp_with(&x509, &signer(71), 72),
        }),
    );
    rejected(
        &mut a,
        &add_x509,
        GroupError::Tree(TreeError::UnsupportedCredentialType {
            leaf: Some(vmls_tree::LeafIndex(0)),
            credential_type: 2,
        }),
    );
    // GroupContextExtensions requiring an extension type no member supports.
    let gce = outside_proposal(
        Sender::External(0),
        &server,
        &ctx,
        Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![
                RequiredCapabilities {
                    extension_types: vec![0xff0a],
                    proposal_types: vec![],
                    credential_types: vec![],
                }
                .to_extension()
                .unwrap(),
            ],
        }),
    );
    let before = a.to_bytes().unwrap();
    assert!(matches!(
        a.process_message(&gce),
        Err(GroupError::InvalidProposal(
            ProposalError::UnsupportedGroupContextExtension { .. }
        ))
    ));
    assert_eq!(a.to_bytes().unwrap(), before);
    // Nothing is pending: application data flows, and a commit works.
    let mut buf = [0u8; 256];
    a.encrypt_application(b"", b"still here", &mut rng(73), &mut buf)
        .unwrap();
}

#[test]
fn a_commit_leaves_out_invalid_cached_proposals_and_reports_them() {
    let server = signer(90);
    let (mut a, mut b, mut c) = three(GroupConfig::default(), &server);
    let ctx = a.context().clone();
    // Two Adds, each valid alone, that share an encryption key: together invalid.
    let dave_key = generate_hpke_key_pair(&mut rng(80)).unwrap().public;
    let first = outside_proposal(
        Sender::External(0),
        &server,
        &ctx,
        Proposal::Add(Add {
            key_package: kp_copying_encryption_key(dave_key, 81),
        }),
    );
    let second = outside_proposal(
        Sender::External(0),
        &server,
        &ctx,
        Proposal::Add(Add {
            key_package: kp_copying_encryption_key(dave_key, 84),
        }),
    );
    // An Add of a client already in the group (Bob's signature key): RFC 9420 section 12.2
    // allows it only with a Remove of Bob, so it is cached and checked at commit time.
    let bob_again = outside_proposal(
        Sender::External(0),
        &server,
        &ctx,
        Proposal::Add(Add {
            key_package: kp_with(&params("bob"), &signer(3), 300),
        }),
    );
    let mut refs = Vec::new();
    for m in [&first, &second, &bob_again] {
        for g in [&mut a, &mut b, &mut c] {
            match g.process_message(m).unwrap() {
                ProcessedMessage::Proposal { reference, .. } => refs.push(reference),
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(
        a.encrypt_application(b"", b"x", &mut rng(85), &mut [0u8; 256]),
        Err(GroupError::ProposalsPending)
    );
    let out = a.commit(&CommitOptions::default(), &mut rng(86)).unwrap();
    assert_eq!(out.summary.added, vec![3]);
    let mut dropped: Vec<_> = out.dropped.iter().map(|d| d.reference).collect();
    dropped.sort();
    let mut expected = vec![refs[3], refs[6]];
    expected.sort();
    assert_eq!(dropped, expected);
    let why = |r| {
        out.dropped
            .iter()
            .find(|d| d.reference == r)
            .unwrap()
            .reason
    };
    assert_eq!(
        why(refs[6]),
        GroupError::InvalidProposal(ProposalError::DuplicateClient)
    );
    assert!(matches!(
        why(refs[3]),
        GroupError::Tree(TreeError::DuplicateEncryptionKey { .. })
    ));
    b.process_message(&out.commit).unwrap();
    c.process_message(&out.commit).unwrap();
    a.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b, &c]);
    let mut buf = [0u8; 256];
    let n = a
        .encrypt_application(b"", b"unblocked", &mut rng(87), &mut buf)
        .unwrap();
    let mut o = [0u8; 256];
    let got = b.decrypt_application(&buf[..n], &mut o).unwrap();
    assert_eq!(&o[..got.len], b"unblocked");
}

#[test]
fn a_full_proposal_cache_refuses_alike_and_commits_keep_everyone_in_sync() {
    let server = signer(90);
    let config = GroupConfig {
        max_pending_proposals: 2,
        ..GroupConfig::default()
    };
    let (mut a, mut b, mut c) = three(config, &server);
    let ctx = a.context().clone();
    let props: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            outside_proposal(
                Sender::External(0),
                &server,
                &ctx,
                Proposal::Add(Add {
                    key_package: kp(&format!("new{i}"), 100 + i).0,
                }),
            )
        })
        .collect();
    for g in [&mut a, &mut b, &mut c] {
        g.process_message(&props[0]).unwrap();
        g.process_message(&props[1]).unwrap();
        // Every member refuses the same third proposal, and is unchanged.
        rejected(g, &props[2], GroupError::TooManyProposals { max: 2 });
    }
    // Bob commits by reference what is cached; Alice and Carol, with full caches, follow.
    let out = b.commit(&CommitOptions::default(), &mut rng(110)).unwrap();
    assert_eq!(out.summary.added.len(), 2);
    a.process_message(&out.commit).unwrap();
    c.process_message(&out.commit).unwrap();
    b.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b, &c]);
    // The refused proposal belongs to the old epoch; the cache takes new ones again.
    assert!(matches!(
        a.process_message(&props[2]),
        Err(GroupError::WrongEpoch { .. })
    ));
}

// ---- 3. Credentials are seen before merge -----------------------------------------------

#[test]
fn staged_commits_and_proposals_expose_every_new_leaf() {
    let server = signer(90);
    let (mut a, mut b, mut c) = three(GroupConfig::default(), &server);
    // Bob proposes an update; Alice sees Bob's new leaf in the staged proposal.
    let (upd, _) = b.propose_update(&mut rng(120)).unwrap();
    let staged = a.stage_message(&upd).unwrap();
    assert_eq!(staged.new_leaves().len(), 1);
    assert_eq!(staged.new_leaves()[0].source, NewLeafSource::Update);
    assert_eq!(staged.new_leaves()[0].leaf_index, Some(1));
    a.merge_staged(staged).unwrap();
    c.process_message(&upd).unwrap();
    // Carol commits Bob's update and adds Dave by value, with her own UpdatePath.
    let (kd, _) = kp("dave", 121);
    let out = c
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add { key_package: kd })],
                ..CommitOptions::default()
            },
            &mut rng(122),
        )
        .unwrap();
    let staged = a.stage_message(&out.commit).unwrap();
    let seen: Vec<(Option<u32>, NewLeafSource, Credential)> = staged
        .new_leaves()
        .iter()
        .map(|l| {
            (
                l.leaf_index,
                l.source,
                l.leaf_node.content.credential.clone(),
            )
        })
        .collect();
    let basic = |s: &str| Credential::Basic(VLBytes::from(s.as_bytes()));
    assert_eq!(
        seen,
        vec![
            (Some(3), NewLeafSource::Add, basic("dave")),
            (Some(1), NewLeafSource::Update, basic("bob")),
            (Some(2), NewLeafSource::CommitPath, basic("carol")),
        ]
    );
    // The application refuses Dave: it drops the staged commit, nothing changed.
    let before = a.to_bytes().unwrap();
    drop(staged);
    assert_eq!(a.to_bytes().unwrap(), before);
    // Bob accepts.
    let staged = b.stage_message(&out.commit).unwrap();
    assert!(staged.new_leaves().iter().all(|l| matches!(
        &l.leaf_node.content.credential,
        Credential::Basic(id) if [&b"dave"[..], b"bob", b"carol"].contains(&id.as_slice())
    )));
    b.merge_staged(staged).unwrap();
    c.merge_pending_commit().unwrap();
    assert_agree(&[&b, &c]);
}

#[test]
fn an_external_joiners_leaf_is_exposed_before_merge() {
    let server = signer(90);
    let (a, b, _c) = three(GroupConfig::default(), &server);
    let gi = a.group_info(true).unwrap();
    let (_, commit) = G::join_by_external_commit(
        &gi,
        None,
        &params("erin"),
        &signer(130),
        &Default::default(),
        PskStore::new(),
        GroupConfig::default(),
        &mut rng(131),
    )
    .unwrap();
    let staged = b.stage_message(&commit).unwrap();
    assert_eq!(staged.new_leaves().len(), 1);
    let l = &staged.new_leaves()[0];
    assert_eq!(l.source, NewLeafSource::ExternalJoin);
    assert_eq!(l.leaf_index, Some(3));
    assert_eq!(
        l.leaf_node.content.credential,
        Credential::Basic(VLBytes::from(&b"erin"[..]))
    );
}

// ---- 4. Received commits do not depend on the local clock ------------------------------------

fn expiring(
    name: &str,
    seed: u64,
    not_after: u64,
) -> (KeyPackage, vmls_group::group::KeyPackagePrivate) {
    let p = KeyPackageParams {
        lifetime: Lifetime {
            not_before: T0 - 10,
            not_after,
        },
        ..params(name)
    };
    create_key_package::<vmls_crypto::Mls128ChaCha, _>(&p, &signer(seed), &mut rng(seed)).unwrap()
}

#[test]
fn a_member_processing_late_does_not_fork_and_old_leaves_do_not_break_welcomes() {
    let server = signer(90);
    let at = |t: u64| GroupConfig {
        current_time: Some(t),
        ..GroupConfig::default()
    };
    let (mut a, mut b, _c) = three(at(T0), &server);
    // Dave's KeyPackage is valid for 100 s; Alice adds him in time.
    let (kd, kdp) = expiring("dave", 140, T0 + 100);
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kd.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng(141),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    // Bob was offline and processes the commit an hour later: no fork.
    b.set_config(at(T0 + 3600));
    b.process_message(&out.commit).unwrap();
    assert_agree(&[&a, &b]);
    // Dave joins late too.
    let d = G::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kd,
        &kdp,
        None,
        PskStore::new(),
        at(T0 + 3600),
    )
    .unwrap();
    assert_agree(&[&a, &d]);
    // A day later Erin is added: Dave's key_package leaf has long expired, and her Welcome
    // still works.
    a.set_config(at(T0 + 86_400));
    b.set_config(at(T0 + 86_400));
    let (ke, kep) = expiring("erin", 150, T0 + 90_000);
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: ke.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng(151),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    b.process_message(&out.commit).unwrap();
    let e = G::join_from_welcome_bytes(
        out.welcome.as_ref().unwrap(),
        &ke,
        &kep,
        None,
        PskStore::new(),
        at(T0 + 86_400),
    )
    .unwrap();
    assert_agree(&[&a, &b, &e]);
    // Opting in to clock checks on received leaves brings the strict behaviour back.
    let strict = GroupConfig {
        check_received_lifetimes: true,
        ..at(T0 + 86_400)
    };
    assert!(matches!(
        G::join_from_welcome_bytes(
            out.welcome.as_ref().unwrap(),
            &ke,
            &kep,
            None,
            PskStore::new(),
            strict
        ),
        Err(GroupError::Tree(TreeError::InvalidLifetime { .. }))
    ));
}

#[test]
fn the_committer_checks_lifetimes_of_what_it_adds() {
    let server = signer(90);
    let config = GroupConfig {
        current_time: Some(T0),
        ..GroupConfig::default()
    };
    let (mut a, mut b, _c) = three(config, &server);
    let (old, _) = expiring("old", 160, T0 - 1);
    // By value: the commit fails (RFC 9420 section 7.3 MUST for the sender).
    assert!(matches!(
        a.commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: old.clone()
                })],
                ..CommitOptions::default()
            },
            &mut rng(161),
        ),
        Err(GroupError::InvalidKeyPackage(_))
            | Err(GroupError::Tree(TreeError::InvalidLifetime { .. }))
    ));
    // By reference: receivers cache it (no clock on receipt); the committer leaves it out.
    let prop = outside_proposal(
        Sender::External(0),
        &server,
        a.context(),
        Proposal::Add(Add { key_package: old }),
    );
    a.process_message(&prop).unwrap();
    b.process_message(&prop).unwrap();
    let out = a.commit(&CommitOptions::default(), &mut rng(162)).unwrap();
    assert!(out.summary.added.is_empty());
    assert_eq!(out.dropped.len(), 1);
    b.process_message(&out.commit).unwrap();
    a.merge_pending_commit().unwrap();
    assert_agree(&[&a, &b]);
}

// ---- 5. A removed member cannot merge stale staged messages ------------------------------------

#[test]
fn messages_staged_before_removal_cannot_be_merged_after() {
    let server = signer(90);
    let (mut a, mut b, mut c) = three(GroupConfig::default(), &server);
    // Carol sends application data and a competing commit in epoch 1.
    let mut buf = vec![0u8; 256];
    let n = c
        .encrypt_application(b"", b"once", &mut rng(170), &mut buf)
        .unwrap();
    let app = buf[..n].to_vec();
    let competing = c.commit(&CommitOptions::default(), &mut rng(171)).unwrap();
    // Bob stages both, then processes Alice's commit that removes him.
    let staged_app = b.stage_message(&app).unwrap();
    let staged_commit = b.stage_message(&competing.commit).unwrap();
    let removal = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Remove(Remove { removed: 1 })],
                ..CommitOptions::default()
            },
            &mut rng(172),
        )
        .unwrap();
    b.process_message(&removal.commit).unwrap();
    assert_eq!(b.status(), &GroupStatus::Removed);
    let before = b.to_bytes().unwrap();
    // The competing commit must not start an epoch for a removed member.
    assert_eq!(b.merge_staged(staged_commit), Err(GroupError::Inactive));
    assert_eq!(b.status(), &GroupStatus::Removed);
    assert_eq!(b.to_bytes().unwrap(), before);
    // The application message decrypts exactly once: the stale staging is refused, the late
    // message of the retired epoch is read once, then it is a replay.
    assert_eq!(b.merge_staged(staged_app), Err(GroupError::Inactive));
    match b.process_message(&app).unwrap() {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, b"once"),
        other => panic!("{other:?}"),
    }
    assert!(b.process_message(&app).is_err());
}

// ---- Leaf indices outside any tree (issue 21, differential fuzzing against mls-rs) --------

/// mls-rs refuses a leaf index of 2^31 or more while decoding; vmls decodes any `uint32` (RFC
/// 9420 puts no bound in the struct) and refuses a Remove of a leaf that is not a member when
/// it validates the proposal (RFC 9420 section 12.1.3), with nothing changed
/// (docs/security.md, "Differential decoding").
#[test]
fn proposals_naming_leaves_outside_any_tree_are_refused_on_receipt() {
    let server = signer(90);
    let (mut a, mut b, _c) = three(GroupConfig::default(), &server);
    let ctx = a.context().clone();
    // Leaf 3 is the blank fourth leaf of the three-member tree; the others lie outside any
    // tree a u32 node index can describe (0x3100_0005 is the one the fuzzer found).
    for leaf in [3, 0x8000_0000, 0x3100_0005, u32::MAX] {
        let msg = outside_proposal(
            Sender::External(0),
            &server,
            &ctx,
            Proposal::Remove(Remove { removed: leaf }),
        );
        assert!(
            MLSMessage::decode_exact(&msg).is_ok(),
            "leaf {leaf} decodes"
        );
        for g in [&mut a, &mut b] {
            rejected(
                g,
                &msg,
                GroupError::InvalidProposal(ProposalError::RemoveBlankLeaf { leaf }),
            );
        }
    }
    // Still in agreement and usable.
    let out = a.commit(&CommitOptions::default(), &mut rng(95)).unwrap();
    a.merge_pending_commit().unwrap();
    b.process_message(&out.commit).unwrap();
    assert_agree(&[&a, &b]);
}
