//! Conformance review of the group engine against RFC 9420: one test per deviation found (they
//! failed before the fix), plus coverage of receive-side rules the crate's other tests did not
//! exercise (proposal-list rules, sender types). All are built on the public API (forged input is assembled from the public framing, tree and
//! key-schedule types, as an attacker or a non-conforming implementation would). Every test
//! states the RFC rule it checks; the expected outcome comes from that rule, and each forging
//! helper is first shown to produce input a conforming receiver accepts, so a rejection is due to
//! the one property the test changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;
use common::{params, rng64 as rng};
use vmls_codec::{Decode, Encode, OpaqueArray, Reader, VLBytes};
use vmls_crypto::{Mls128ChaCha, Secret, SeededPrng, SignatureKeyPair, generate_hpke_key_pair};
use vmls_group::extensions::find;
use vmls_group::group::{
    CommitOptions, ExternalJoinOptions, Group, GroupConfig, GroupError, GroupStatus, LinkError,
    ProcessedMessage, ProposalError, PskStore, create_key_package,
};
use vmls_group::{
    AuthenticatedContent, Commit, Content, ExtensionBody, ExternalInit, ExternalPub, FramedContent,
    GroupInfo, GroupInfoTBS, GroupSecrets, MLSMessage, MLSMessageBody, Proposal, ProposalOrRef,
    PublicMessage, RatchetTreeExtension, Remove, Sender, Welcome, WireFormat,
};
use vmls_keyschedule::{
    GroupContext, NewEpoch, PreSharedKeyId, Psk, ResumptionPskUsage, interim_transcript_hash,
};
use vmls_tree::{
    Capabilities, Credential, Extension, LeafIndex, LeafNodeContent, LeafNodeSource, RatchetTree,
};

type G = Group;
type S = Mls128ChaCha;

/// A non-default GroupContext extension type (in the private-use range of RFC 9420 section
/// 17.3).
const APP_EXT: u16 = 0xff00;
/// A GREASE extension type (RFC 9420 section 13.5).
const GREASE: u16 = 0x0a0a;

fn config() -> GroupConfig {
    GroupConfig {
        handshake_wire_format: WireFormat::PublicMessage,
        ..GroupConfig::default()
    }
}

/// Alice (leaf 0) and Bob (leaf 1) in a group whose GroupContext carries `extensions`; both
/// list `extra_ext` in their capabilities.
fn alice_and_bob(extensions: Vec<Extension>, extra_ext: &[u16]) -> (G, G) {
    let alice = SignatureKeyPair::generate(&mut rng(1));
    let bob = SignatureKeyPair::generate(&mut rng(2));
    let mut pa = params("alice");
    pa.extra_extension_types = extra_ext.to_vec();
    let mut pb = params("bob");
    pb.extra_extension_types = extra_ext.to_vec();
    let mut a = G::create(b"review", &pa, &alice, extensions, config(), &mut rng(3)).unwrap();
    let (kb, kpb) = create_key_package::<S, _>(&pb, &bob, &mut rng(4)).unwrap();
    let out = a
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(vmls_group::Add {
                    key_package: kb.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng(5),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let b = G::join_from_welcome_bytes(
        &out.welcome.unwrap(),
        &kb,
        &kpb,
        None,
        PskStore::new(),
        config(),
    )
    .unwrap();
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    (a, b)
}

/// What the forged external joiner puts into its leaf.
struct Joiner {
    signer: SignatureKeyPair,
    credential: Credential,
    capabilities: Capabilities,
}

fn joiner(name: &str, seed: u64, extra_ext: &[u16]) -> Joiner {
    let mut p = params(name);
    p.extra_extension_types = extra_ext.to_vec();
    Joiner {
        signer: SignatureKeyPair::generate(&mut rng(seed)),
        credential: p.credential.clone(),
        capabilities: p.capabilities(3),
    }
}

/// How [`forge_external_commit`] departs from an honest external Commit.
#[derive(Default)]
struct Forge {
    /// Also remove this leaf (a "resync").
    resync: Option<u32>,
    /// Flip a bit of the path's LeafNode signature after everything else was computed.
    corrupt_leaf: bool,
    /// Put this `encryption_key` into the joiner's LeafNode (re-signed, tree hash and
    /// encryption consistent with it).
    leaf_encryption_key: Option<[u8; 32]>,
}

/// An external Commit (RFC 9420 section 12.4.3.2) built by hand from a member's GroupInfo, as
/// a joiner that skips its own checks would build it: ExternalInit (and a Remove of
/// `f.resync`), the joiner at the leftmost free leaf with a fresh UpdatePath, signed as
/// `new_member_commit`, with the confirmation tag of the epoch it creates.
fn forge_external_commit(group_info: &[u8], j: &Joiner, f: &Forge, seed: u64) -> Vec<u8> {
    forge_external_commit_edited(group_info, j, f, |_| {}, seed)
}

/// [`forge_external_commit`], with `edit` applied to the Commit's proposal list after the tree
/// was computed from the unedited one (for the list rules, checked before the tree).
fn forge_external_commit_edited(
    group_info: &[u8],
    j: &Joiner,
    f: &Forge,
    edit: impl FnOnce(&mut Vec<ProposalOrRef>),
    seed: u64,
) -> Vec<u8> {
    let mut r = rng(seed);
    let gi = G::decode_group_info(group_info).unwrap();
    let ctx = gi.tbs.group_context.clone();
    let mut tree = find::<RatchetTreeExtension>(&gi.tbs.extensions)
        .unwrap()
        .unwrap()
        .into_tree(1 << 10)
        .unwrap();
    let external_pub = find::<ExternalPub>(&gi.tbs.extensions).unwrap().unwrap();
    let (kem_output, init_secret) = vmls_crypto::export_sender::<S, _>(
        &external_pub.external_pub.0,
        &[],
        b"MLS 1.0 external init secret",
        &mut r,
    )
    .unwrap();
    let mut proposals = vec![Proposal::ExternalInit(ExternalInit {
        kem_output: VLBytes::from(kem_output),
    })];
    if let Some(leaf) = f.resync {
        proposals.push(Proposal::Remove(Remove { removed: leaf }));
        tree.remove_leaf(LeafIndex(leaf)).unwrap();
    }
    let own = tree.leftmost_free_leaf().unwrap();
    let before_path = tree.clone();
    let placeholder = generate_hpke_key_pair(&mut r).unwrap();
    let content = LeafNodeContent {
        encryption_key: OpaqueArray(placeholder.public),
        signature_key: OpaqueArray(j.signer.public),
        credential: j.credential.clone(),
        capabilities: j.capabilities.clone().into(),
        leaf_node_source: LeafNodeSource::Commit(Default::default()),
        extensions: vec![],
    };
    let (secrets, _) = tree
        .apply_own_update_path(own, content, &j.signer.private, &ctx.group_id, &mut r)
        .unwrap();
    if let Some(key) = f.leaf_encryption_key {
        // The leaf's parent_hash does not cover its own encryption key: re-sign the leaf with
        // the chosen key and merge the path into the tree as a receiver would.
        let mut path = tree
            .encrypt_update_path::<S, _>(&secrets, &[], &[], &mut r)
            .unwrap();
        let mut content = path.leaf_node.content.clone();
        content.encryption_key = OpaqueArray(key);
        path.leaf_node = vmls_tree::LeafNode::sign(
            content,
            &j.signer.private,
            Some(vmls_tree::LeafSigningContext {
                group_id: &ctx.group_id,
                leaf_index: own,
            }),
        )
        .unwrap();
        tree = before_path;
        let params = vmls_tree::LeafValidationParams {
            group_id: &ctx.group_id,
            ..Default::default()
        };
        tree.merge_update_path(own, &path, &params).unwrap();
    }
    let mut next = GroupContext {
        epoch: ctx.epoch + 1,
        tree_hash: tree.tree_hash().unwrap().to_vec().into(),
        ..ctx.clone()
    };
    let mut path = tree
        .encrypt_update_path::<S, _>(&secrets, &next.to_bytes().unwrap(), &[], &mut r)
        .unwrap();
    if f.corrupt_leaf {
        path.leaf_node.signature.0[0] ^= 1;
    }
    let mut proposals: Vec<ProposalOrRef> = proposals.into_iter().map(by_value).collect();
    edit(&mut proposals);
    let framed = FramedContent {
        group_id: ctx.group_id.clone(),
        epoch: ctx.epoch,
        sender: Sender::NewMemberCommit,
        authenticated_data: VLBytes::default(),
        content: Content::Commit(Commit {
            proposals,
            path: Some(path),
        }),
    };
    let mut auth = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed,
        &j.signer.private,
        Some(&ctx),
    )
    .unwrap();
    let interim = interim_transcript_hash(
        &ctx.confirmed_transcript_hash,
        gi.tbs.confirmation_tag.as_slice(),
    )
    .unwrap();
    let confirmed = auth.confirmed_transcript_hash(&interim).unwrap();
    next.confirmed_transcript_hash = confirmed.to_vec().into();
    let epoch = NewEpoch::from_commit(
        &init_secret,
        secrets.commit_secret(),
        &Secret::zero(),
        &next,
    )
    .unwrap();
    auth.auth.confirmation_tag = Some(OpaqueArray(epoch.secrets.confirmation_tag(&confirmed)));
    let pm = PublicMessage::protect(auth, &ctx, None).unwrap();
    MLSMessage::new(MLSMessageBody::PublicMessage(pm))
        .to_bytes()
        .unwrap()
}

/// `g` rejects `msg` with exactly `want`, and its state is unchanged.
#[track_caller]
fn rejects(g: &mut G, msg: &[u8], want: GroupError) {
    let before = g.to_bytes().unwrap();
    assert_eq!(g.process_message(msg), Err(want));
    assert_eq!(g.to_bytes().unwrap(), before, "state changed");
}

/// The forging helper is sound: a hand-built external Commit that follows every rule is
/// accepted by both members, who then agree on the new epoch (RFC 9420 section 12.4.3.2).
#[test]
fn forged_external_commit_that_follows_the_rules_is_accepted() {
    let app = Extension {
        extension_type: APP_EXT,
        extension_data: VLBytes::from(&b"v"[..]),
    };
    let (mut a, mut b) = alice_and_bob(vec![app], &[APP_EXT]);
    let gi = a.group_info(true).unwrap();
    let j = joiner("joiner", 20, &[APP_EXT]);
    let msg = forge_external_commit(&gi, &j, &Forge::default(), 21);
    for g in [&mut a, &mut b] {
        match g.process_message(&msg).unwrap() {
            ProcessedMessage::Commit(s) => {
                assert_eq!(s.sender, Sender::NewMemberCommit);
                assert_eq!(s.committer, 2);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    assert_eq!(a.member_count(), 3);
}

/// RFC 9420 section 13.4: "A client adding a new member to a group MUST verify that the LeafNode
/// for the new member is compatible with the group's extensions. The `capabilities` field MUST
/// indicate support for each extension in the GroupContext", and "an extension in use by the
/// group MUST be supported by all members". Section 12.4.2 validates the LeafNode of an
/// UpdatePath as any LeafNode entering the tree. An external joiner whose leaf does not list
/// the group's non-default GroupContext extension must be rejected like an Add of the same
/// leaf would be.
#[test]
fn external_commit_leaf_must_support_group_context_extensions() {
    let app = Extension {
        extension_type: APP_EXT,
        extension_data: VLBytes::from(&b"v"[..]),
    };
    let (mut a, mut b) = alice_and_bob(vec![app], &[APP_EXT]);
    let gi = a.group_info(true).unwrap();
    // The same joiner, without the extension type in its capabilities.
    let j = joiner("joiner", 20, &[]);
    let msg = forge_external_commit(&gi, &j, &Forge::default(), 21);
    let want = GroupError::InvalidProposal(ProposalError::UnsupportedGroupContextExtension {
        extension_type: APP_EXT,
    });
    rejects(&mut a, &msg, want);
    rejects(&mut b, &msg, want);
    // An Add of a KeyPackage with the same capabilities is refused the same way.
    let (kp, _) = create_key_package::<S, _>(&params("joiner"), &j.signer, &mut rng(22)).unwrap();
    assert_eq!(
        a.clone()
            .commit(
                &CommitOptions {
                    proposals: vec![Proposal::Add(vmls_group::Add { key_package: kp })],
                    ..CommitOptions::default()
                },
                &mut rng(23),
            )
            .unwrap_err(),
        want
    );
}

/// RFC 9420 section 12.4.3.2: "If a Remove proposal is present, then the LeafNode in the `path`
/// field of the external Commit MUST meet the same criteria as would the LeafNode in an Update
/// for the removed leaf ... the `credential` in the LeafNode MUST present a set of identifiers
/// that is acceptable to the application for the removed participant." Section 12.4.2 applies
/// to every member processing the Commit, the removed one included: a resync Commit that the
/// other members reject must not make the member it names consider itself removed (the engine
/// accepts a resync only with the removed leaf's credential).
#[test]
fn resync_commit_with_another_credential_is_rejected_by_the_removed_member_too() {
    let (mut a, mut b) = alice_and_bob(vec![], &[]);
    let gi = a.group_info(true).unwrap();
    // Mallory claims Bob's leaf with her own credential.
    let mallory = joiner("mallory", 30, &[]);
    let msg = forge_external_commit(
        &gi,
        &mallory,
        &Forge {
            resync: Some(1),
            ..Forge::default()
        },
        31,
    );
    let want = GroupError::InvalidProposal(ProposalError::ResyncCredentialMismatch);
    rejects(&mut a, &msg, want);
    rejects(&mut b, &msg, want);
    assert_eq!(b.status(), &GroupStatus::Active);

    // A resync with Bob's credential is accepted by both; Bob is then removed.
    let bob_again = joiner("bob", 32, &[]);
    let ok = forge_external_commit(
        &gi,
        &bob_again,
        &Forge {
            resync: Some(1),
            ..Forge::default()
        },
        33,
    );
    a.process_message(&ok).unwrap();
    match b.process_message(&ok).unwrap() {
        ProcessedMessage::Commit(s) => assert!(s.self_removed),
        other => panic!("{other:?}"),
    }
    assert_eq!(b.status(), &GroupStatus::Removed);
}

/// RFC 9420 section 12.4.2: "If the `path` value is populated, validate it and apply it to the
/// tree: ... Validate the LeafNode as specified in Section 7.3" (which starts with its
/// signature). Nothing exempts the member the Commit removes: it cannot decrypt the path, but
/// it can and must validate it, or it leaves the group on a Commit every other member rejects.
#[test]
fn commit_removing_the_receiver_must_still_carry_a_valid_path() {
    let (mut a, mut b) = alice_and_bob(vec![], &[]);
    let gi = a.group_info(true).unwrap();
    let bob_again = joiner("bob", 40, &[]);
    let bad = forge_external_commit(
        &gi,
        &bob_again,
        &Forge {
            resync: Some(1),
            corrupt_leaf: true,
            ..Forge::default()
        },
        41,
    );
    let want = GroupError::Tree(vmls_tree::TreeError::InvalidLeafSignature {
        leaf: Some(LeafIndex(1)),
    });
    rejects(&mut a, &bad, want);
    rejects(&mut b, &bad, want);
    assert_eq!(b.status(), &GroupStatus::Active);
}

/// RFC 9420 section 12.4.3.2: with a Remove, "the LeafNode in the `path` field of the
/// external Commit MUST meet the same criteria as would the LeafNode in an Update for the
/// removed leaf", and section 7.3 requires an Update's `encryption_key` to be "a different
/// public key than the `encryption_key` in the leaf node being replaced". A resync that keeps
/// the removed leaf's encryption key is invalid; the same resync with a fresh key is accepted.
#[test]
fn resync_commit_must_replace_the_removed_leafs_encryption_key() {
    let (mut a, b) = alice_and_bob(vec![], &[]);
    let gi = a.group_info(true).unwrap();
    let old_key = *b.own_leaf().unwrap().encryption_key();
    let bob_again = joiner("bob", 45, &[]);
    let fresh = forge_external_commit(
        &gi,
        &bob_again,
        &Forge {
            resync: Some(1),
            leaf_encryption_key: Some(generate_hpke_key_pair(&mut rng(46)).unwrap().public),
            ..Forge::default()
        },
        47,
    );
    a.clone().process_message(&fresh).unwrap();
    let reused = forge_external_commit(
        &gi,
        &bob_again,
        &Forge {
            resync: Some(1),
            leaf_encryption_key: Some(old_key),
            ..Forge::default()
        },
        48,
    );
    rejects(
        &mut a,
        &reused,
        GroupError::Tree(vmls_tree::TreeError::EncryptionKeyNotUpdated { leaf: LeafIndex(1) }),
    );
}

/// A GroupInfo like `gi` with `extensions` instead of its own, re-signed by `signer` (a
/// member: the signature stays valid).
fn resigned_group_info(
    gi: &[u8],
    extensions: Vec<Extension>,
    signer: &SignatureKeyPair,
) -> Vec<u8> {
    let gi = G::decode_group_info(gi).unwrap();
    let tbs = GroupInfoTBS {
        extensions,
        ..gi.tbs
    };
    let gi: GroupInfo = tbs.sign(&signer.private).unwrap();
    MLSMessage::new(MLSMessageBody::GroupInfo(gi))
        .to_bytes()
        .unwrap()
}

/// RFC 9420 section 13.4: "A client processing a GroupInfo object MUST ignore all
/// unrecognized extensions in the `extensions` field", but "Any field containing a list of
/// extensions MUST NOT have more than one extension of any given type". A GroupInfo with an
/// unknown (GREASE) extension is usable for an external join; one that repeats an extension
/// type is malformed.
#[test]
fn group_info_extensions_unknown_ignored_duplicates_rejected() {
    let (a, _) = alice_and_bob(vec![], &[]);
    // Alice's key (see `alice_and_bob`): she signs the edited GroupInfo.
    let alice = SignatureKeyPair::generate(&mut rng(1));
    let gi = a.group_info(true).unwrap();
    let own = G::decode_group_info(&gi).unwrap().tbs.extensions;
    let grease = |d: &[u8]| Extension {
        extension_type: GREASE,
        extension_data: VLBytes::from(d),
    };
    let join = |gi: &[u8]| {
        let j = SignatureKeyPair::generate(&mut rng(50));
        G::join_by_external_commit(
            gi,
            None,
            &params("carol"),
            &j,
            &ExternalJoinOptions::default(),
            PskStore::new(),
            config(),
            &mut rng(51),
        )
    };
    let mut with_grease = own.clone();
    with_grease.push(grease(b"ignore me"));
    let (carol, _) = join(&resigned_group_info(&gi, with_grease, &alice)).unwrap();
    assert_eq!(carol.epoch(), a.epoch() + 1);

    let mut repeated = own.clone();
    repeated.push(grease(b"one"));
    repeated.push(grease(b"two"));
    assert_eq!(
        join(&resigned_group_info(&gi, repeated, &alice)).unwrap_err(),
        GroupError::DuplicateGroupInfoExtension(GREASE)
    );
}

/// A Welcome (RFC 9420 section 12.4.3.1) built by hand for the KeyPackage `kp`: a two-leaf tree
/// (the signer at leaf 0, the joiner at leaf 1), a GroupContext at `epoch`, `psks` in the
/// GroupSecrets (their values in `store`), the confirmation tag of the derived epoch. Returns
/// the encoded Welcome and the epoch authenticator the joiner must derive.
fn forge_welcome(
    kp: &vmls_group::KeyPackage,
    epoch: u64,
    psks: &[PreSharedKeyId],
    store: &PskStore,
    seed: u64,
) -> (Vec<u8>, [u8; 32]) {
    let mut r = rng(seed);
    let signer = SignatureKeyPair::generate(&mut r);
    let (own_kp, _) = create_key_package::<S, _>(&params("signer"), &signer, &mut r).unwrap();
    let mut tree = RatchetTree::new(own_kp.tbs.leaf_node.clone()).unwrap();
    tree.add_leaf(kp.tbs.leaf_node.clone()).unwrap();
    let ctx = GroupContext {
        version: 1,
        cipher_suite: 3,
        group_id: VLBytes::from(&b"new group"[..]),
        epoch,
        tree_hash: tree.tree_hash().unwrap().to_vec().into(),
        confirmed_transcript_hash: VLBytes::from(&[0x5au8; 32][..]),
        extensions: vec![],
    };
    let mut joiner_secret = [0u8; 32];
    vmls_crypto::Rng::fill_bytes(&mut r, &mut joiner_secret);
    let joiner_secret = Secret::from_bytes(joiner_secret);
    let values: Vec<(&PreSharedKeyId, &[u8])> =
        psks.iter().map(|id| (id, store.get(id).unwrap())).collect();
    let psk_secret = vmls_keyschedule::psk_secret(values).unwrap();
    let schedule = NewEpoch::from_joiner_secret(&joiner_secret, &psk_secret, &ctx).unwrap();
    let gi = GroupInfoTBS {
        confirmation_tag: OpaqueArray(
            schedule
                .secrets
                .confirmation_tag(&ctx.confirmed_transcript_hash),
        ),
        group_context: ctx,
        extensions: vec![
            RatchetTreeExtension::from_tree(&tree)
                .unwrap()
                .to_extension()
                .unwrap(),
        ],
        signer: 0,
    }
    .sign(&signer.private)
    .unwrap();
    let secrets = GroupSecrets {
        joiner_secret,
        path_secret: None,
        psks: psks.to_vec(),
    };
    let w = Welcome::new::<S, _>(&gi, &schedule.welcome_secret, &[(kp, &secrets)], &mut r).unwrap();
    (
        MLSMessage::new(MLSMessageBody::Welcome(w))
            .to_bytes()
            .unwrap(),
        *schedule.secrets.epoch_authenticator.as_bytes(),
    )
}

/// RFC 9420 section 12.4.3.1: "if a PreSharedKeyID has type `resumption` with usage `reinit`
/// or `branch`, verify that it is the only such PSK" (the only one of those two usages), and
/// the cross-group checks of the section's last step, which need the old group: a join that
/// is not given one rejects such a Welcome. The accepted cases (a branch PSK alone or with an
/// external PSK, from a real parent group) and the epoch-1 rule are in `tests/reinit.rs`.
#[test]
fn welcome_reinit_or_branch_psk_needs_the_old_group() {
    let carol = SignatureKeyPair::generate(&mut rng(60));
    let (kp, kpp) = create_key_package::<S, _>(&params("carol"), &carol, &mut rng(61)).unwrap();
    let mut store = PskStore::new();
    store.insert_external(b"ext", b"external psk value");
    store.insert_resumption(b"old group", 7, Secret::from_bytes([0x11; 32]));
    store.insert_resumption(b"old group", 8, Secret::from_bytes([0x22; 32]));
    let mut r = rng(62);
    let resumption = |usage, epoch, r: &mut SeededPrng| {
        PreSharedKeyId::new(
            Psk::Resumption {
                usage,
                psk_group_id: VLBytes::from(&b"old group"[..]),
                psk_epoch: epoch,
            },
            r,
        )
    };
    let branch = resumption(ResumptionPskUsage::Branch, 7, &mut r);
    let reinit = resumption(ResumptionPskUsage::Reinit, 8, &mut r);
    let application = resumption(ResumptionPskUsage::Application, 8, &mut r);
    let external = PreSharedKeyId::new(
        Psk::External {
            psk_id: VLBytes::from(&b"ext"[..]),
        },
        &mut r,
    );
    let join = |w: &[u8]| {
        G::join_from_welcome_bytes(w, &kp, &kpp, None, store.clone(), GroupConfig::default())
    };

    // The helper is sound: an external and an application resumption PSK at epoch 1 join,
    // with the expected epoch.
    let (w, auth) = forge_welcome(&kp, 1, &[external.clone(), application], &store, 63);
    let g = join(&w).unwrap();
    assert_eq!(g.epoch_authenticator(), &auth);
    assert_eq!(g.epoch(), 1);

    // A branch or reinit PSK, alone or with an external PSK: the join has no old group to
    // check it against.
    let unchecked = |usage| GroupError::Link(LinkError::UncheckedLink { usage });
    let (w, _) = forge_welcome(&kp, 1, core::slice::from_ref(&branch), &store, 64);
    assert_eq!(join(&w).unwrap_err(), unchecked(ResumptionPskUsage::Branch));
    let (w, _) = forge_welcome(&kp, 1, &[external.clone(), branch.clone()], &store, 65);
    assert_eq!(join(&w).unwrap_err(), unchecked(ResumptionPskUsage::Branch));
    let (w, _) = forge_welcome(&kp, 1, &[reinit.clone(), external], &store, 66);
    assert_eq!(join(&w).unwrap_err(), unchecked(ResumptionPskUsage::Reinit));

    // Two PSKs of usage reinit/branch: invalid whatever the join.
    let (w, _) = forge_welcome(&kp, 1, &[branch, reinit], &store, 67);
    assert_eq!(join(&w).unwrap_err(), GroupError::InvalidResumptionPsk);
}

/// What a member knows of its epoch, read from its state blob (format in `group::state`): the
/// insider's view an attacker inside the group has.
struct Insider {
    context: GroupContext,
    tree: RatchetTree,
    own_leaf: u32,
    secrets: vmls_keyschedule::EpochSecrets,
    interim_transcript_hash: [u8; 32],
}

fn insider(g: &G) -> Insider {
    let blob = g.to_bytes().unwrap();
    let mut r = Reader::new(&blob);
    let _version = u16::decode(&mut r).unwrap();
    let _suite = u16::decode(&mut r).unwrap();
    let cfg = GroupConfig::decode(&mut r).unwrap();
    let context = GroupContext::decode(&mut r).unwrap();
    let tree = RatchetTree::decode_with_limit(&mut r, cfg.max_tree_leaves()).unwrap();
    let own_leaf = u32::decode(&mut r).unwrap();
    let _keys = vmls_tree::TreePrivateKeys::decode(&mut r).unwrap();
    let secrets = vmls_keyschedule::EpochSecrets::decode(&mut r).unwrap();
    let _secret_tree = vmls_secret_tree::SecretTree::<S>::decode(&mut r).unwrap();
    let interim_transcript_hash = r.read_array::<32>().unwrap();
    assert_eq!(&context, g.context());
    assert_eq!(own_leaf, g.own_leaf_index());
    assert_eq!(
        secrets.epoch_authenticator.as_bytes(),
        g.epoch_authenticator()
    );
    Insider {
        context,
        tree,
        own_leaf,
        secrets,
        interim_transcript_hash,
    }
}

/// A Commit from the member `g` (signed with its key `signer`, with a valid membership tag) of
/// `proposals`. With `path_leaf`, an UpdatePath for that leaf content is built on the current
/// tree (only for Commits whose proposals do not change the tree) and the confirmation tag is
/// the one of the epoch the Commit creates; without, there is no path and the tag is arbitrary
/// (for lists that must be rejected before the tag is checked).
fn forge_member_commit(
    g: &G,
    signer: &SignatureKeyPair,
    proposals: Vec<ProposalOrRef>,
    path_leaf: Option<LeafNodeContent>,
    seed: u64,
) -> Vec<u8> {
    let mut r = rng(seed);
    let me = insider(g);
    let ctx = &me.context;
    let mut tree = me.tree.clone();
    let (path, commit_secret, next) = match path_leaf {
        Some(content) => {
            let (secrets, _) = tree
                .apply_own_update_path(
                    LeafIndex(me.own_leaf),
                    content,
                    &signer.private,
                    &ctx.group_id,
                    &mut r,
                )
                .unwrap();
            let next = GroupContext {
                epoch: ctx.epoch + 1,
                tree_hash: tree.tree_hash().unwrap().to_vec().into(),
                ..ctx.clone()
            };
            let path = tree
                .encrypt_update_path::<S, _>(&secrets, &next.to_bytes().unwrap(), &[], &mut r)
                .unwrap();
            (Some(path), secrets.commit_secret().clone(), Some(next))
        }
        None => (None, Secret::zero(), None),
    };
    let framed = FramedContent {
        group_id: ctx.group_id.clone(),
        epoch: ctx.epoch,
        sender: Sender::Member(me.own_leaf),
        authenticated_data: VLBytes::default(),
        content: Content::Commit(Commit { proposals, path }),
    };
    let mut auth = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed,
        &signer.private,
        Some(ctx),
    )
    .unwrap();
    let tag = match next {
        Some(mut next) => {
            let confirmed = auth
                .confirmed_transcript_hash(&me.interim_transcript_hash)
                .unwrap();
            next.confirmed_transcript_hash = confirmed.to_vec().into();
            let epoch = NewEpoch::from_commit(
                &me.secrets.init_secret,
                &commit_secret,
                &Secret::zero(),
                &next,
            )
            .unwrap();
            epoch.secrets.confirmation_tag(&confirmed)
        }
        None => [0xba; 32],
    };
    auth.auth.confirmation_tag = Some(OpaqueArray(tag));
    let pm = PublicMessage::protect(auth, ctx, Some(&me.secrets.membership_key)).unwrap();
    MLSMessage::new(MLSMessageBody::PublicMessage(pm))
        .to_bytes()
        .unwrap()
}

fn by_value(p: Proposal) -> ProposalOrRef {
    ProposalOrRef::Proposal(Box::new(p))
}

/// The same as [`external_commit_leaf_must_support_group_context_extensions`] for a member's
/// Commit (RFC 9420 sections 12.4.2 and 13.4): the committer's new LeafNode must still support
/// every GroupContext extension. A Commit with the member's leaf unchanged is accepted (the
/// helper is sound); one whose leaf drops the extension type is rejected.
#[test]
fn member_commit_leaf_must_support_group_context_extensions() {
    let app = Extension {
        extension_type: APP_EXT,
        extension_data: VLBytes::from(&b"v"[..]),
    };
    let (mut a, b) = alice_and_bob(vec![app], &[APP_EXT]);
    let bob = SignatureKeyPair::generate(&mut rng(2));
    let leaf = b.own_leaf().unwrap().content.clone();
    let ok = forge_member_commit(&b, &bob, vec![], Some(leaf.clone()), 70);
    let mut a2 = a.clone();
    a2.process_message(&ok).unwrap();

    let mut dropped = leaf;
    std::sync::Arc::make_mut(&mut dropped.capabilities)
        .extensions
        .retain(|t| *t != APP_EXT);
    let bad = forge_member_commit(&b, &bob, vec![], Some(dropped), 71);
    rejects(
        &mut a,
        &bad,
        GroupError::InvalidProposal(ProposalError::UnsupportedGroupContextExtension {
            extension_type: APP_EXT,
        }),
    );
}

/// RFC 9420 section 12.2, the rules for a regular Commit not covered by the crate's own tests:
/// two PreSharedKey proposals with the same PreSharedKeyID, a ReInit with another proposal,
/// two Adds of the same client (same signature key), an Add of a client already in the group
/// (valid only with a Remove of that client: the list then passes and only the missing path
/// is reported).
#[test]
fn proposal_list_rules_for_member_commits() {
    let (mut a, b) = alice_and_bob(vec![], &[]);
    let alice = SignatureKeyPair::generate(&mut rng(1));
    let bob = SignatureKeyPair::generate(&mut rng(2));
    let mut r = rng(80);
    let psk = PreSharedKeyId::new(
        Psk::External {
            psk_id: VLBytes::from(&b"k"[..]),
        },
        &mut r,
    );
    let psk_proposal = || {
        by_value(Proposal::PreSharedKey(vmls_group::PreSharedKey {
            psk: psk.clone(),
        }))
    };
    let carol = SignatureKeyPair::generate(&mut r);
    let (kc1, _) = create_key_package::<S, _>(&params("carol"), &carol, &mut r).unwrap();
    let (kc2, _) = create_key_package::<S, _>(&params("carol"), &carol, &mut r).unwrap();
    let (ka, _) = create_key_package::<S, _>(&params("alice"), &alice, &mut r).unwrap();
    let add = |kp: &vmls_group::KeyPackage| {
        by_value(Proposal::Add(vmls_group::Add {
            key_package: kp.clone(),
        }))
    };
    let reinit = by_value(Proposal::ReInit(vmls_group::ReInit {
        group_id: VLBytes::from(&b"next"[..]),
        version: vmls_group::ProtocolVersion::MLS10,
        cipher_suite: 3,
        extensions: vec![],
    }));
    let cases: Vec<(Vec<ProposalOrRef>, GroupError)> = vec![
        (
            vec![psk_proposal(), psk_proposal()],
            GroupError::InvalidProposal(ProposalError::DuplicatePsk),
        ),
        (
            vec![add(&kc1), reinit],
            GroupError::InvalidProposal(ProposalError::ReInitNotAlone),
        ),
        (
            vec![add(&kc1), add(&kc2)],
            GroupError::InvalidProposal(ProposalError::DuplicateClient),
        ),
        (
            vec![add(&ka)],
            GroupError::InvalidProposal(ProposalError::DuplicateClient),
        ),
        (
            vec![
                add(&ka),
                by_value(Proposal::Remove(Remove {
                    removed: a.own_leaf_index(),
                })),
            ],
            GroupError::InvalidProposal(ProposalError::PathRequired),
        ),
    ];
    for (i, (list, want)) in cases.into_iter().enumerate() {
        let msg = forge_member_commit(&b, &bob, list, None, 81 + i as u64);
        rejects(&mut a, &msg, want);
    }
}

/// RFC 9420 sections 11.2, 11.3 and 12.1.4: "A PreSharedKey proposal with type `resumption` and
/// usage `reinit` [or `branch`] MUST be considered invalid" outside a reinitialization or
/// branch: a member's Commit carrying one by value is rejected by the receiver (the list is
/// checked before the PSK is looked up), while the same Commit with usage `application` passes
/// the proposal checks (it lacks only the path a PSK-only Commit does not need: it is then
/// rejected for its arbitrary confirmation tag).
#[test]
fn psk_proposal_of_usage_reinit_or_branch_is_invalid_on_receipt() {
    let (mut a, b) = alice_and_bob(vec![], &[]);
    let bob = SignatureKeyPair::generate(&mut rng(2));
    let psk = |usage| {
        by_value(Proposal::PreSharedKey(vmls_group::PreSharedKey {
            psk: PreSharedKeyId::new(
                Psk::Resumption {
                    usage,
                    psk_group_id: VLBytes::from(b.group_id()),
                    psk_epoch: b.epoch(),
                },
                &mut rng(200),
            ),
        }))
    };
    for (i, usage) in [ResumptionPskUsage::Reinit, ResumptionPskUsage::Branch]
        .into_iter()
        .enumerate()
    {
        let msg = forge_member_commit(&b, &bob, vec![psk(usage)], None, 201 + i as u64);
        rejects(
            &mut a,
            &msg,
            GroupError::InvalidProposal(ProposalError::InvalidPskUsage),
        );
    }
    let msg = forge_member_commit(
        &b,
        &bob,
        vec![psk(ResumptionPskUsage::Application)],
        None,
        203,
    );
    rejects(&mut a, &msg, GroupError::InvalidConfirmationTag);
}

/// RFC 9420 section 12.2, the list rules for an external Commit: exactly one ExternalInit, at
/// most one Remove, PreSharedKey proposals, nothing else, and (section 12.4.3.2) no proposal
/// by reference.
#[test]
fn proposal_list_rules_for_external_commits() {
    let (mut a, _) = alice_and_bob(vec![], &[]);
    let gi = a.group_info(true).unwrap();
    let j = joiner("dave", 90, &[]);
    let (kp, _) = create_key_package::<S, _>(
        &params("erin"),
        &joiner("erin", 91, &[]).signer,
        &mut rng(92),
    )
    .unwrap();
    type Edit = Box<dyn FnOnce(&mut Vec<ProposalOrRef>)>;
    let cases: Vec<(Edit, ProposalError)> = vec![
        (
            // A second ExternalInit.
            Box::new(|p: &mut Vec<ProposalOrRef>| p.push(p[0].clone())),
            ProposalError::ExternalInit,
        ),
        (
            // No ExternalInit.
            Box::new(|p: &mut Vec<ProposalOrRef>| {
                p.remove(0);
            }),
            ProposalError::ExternalInit,
        ),
        (
            Box::new(move |p: &mut Vec<ProposalOrRef>| {
                p.push(by_value(Proposal::Add(vmls_group::Add { key_package: kp })))
            }),
            ProposalError::ExternalCommitProposals,
        ),
        (
            Box::new(|p: &mut Vec<ProposalOrRef>| {
                p.push(by_value(Proposal::GroupContextExtensions(
                    vmls_group::GroupContextExtensions { extensions: vec![] },
                )))
            }),
            ProposalError::ExternalCommitProposals,
        ),
        (
            Box::new(|p: &mut Vec<ProposalOrRef>| {
                p.push(by_value(Proposal::Remove(Remove { removed: 0 })));
                p.push(by_value(Proposal::Remove(Remove { removed: 1 })));
            }),
            ProposalError::ExternalCommitProposals,
        ),
        (
            Box::new(|p: &mut Vec<ProposalOrRef>| {
                p.push(ProposalOrRef::Reference(OpaqueArray([9; 32])))
            }),
            ProposalError::ExternalCommitProposals,
        ),
    ];
    for (i, (edit, want)) in cases.into_iter().enumerate() {
        let msg = forge_external_commit_edited(&gi, &j, &Forge::default(), edit, 93 + i as u64);
        rejects(&mut a, &msg, GroupError::InvalidProposal(want));
    }
}

/// A PublicMessage with `content` from `sender`, signed with `signer` (the GroupContext is
/// signed for the sender types that sign it), without membership tag: what a non-member can
/// send.
fn non_member_message(
    g: &G,
    sender: Sender,
    signer: &SignatureKeyPair,
    content: Content,
) -> Vec<u8> {
    let ctx = g.context();
    let framed = FramedContent {
        group_id: ctx.group_id.clone(),
        epoch: ctx.epoch,
        sender,
        authenticated_data: VLBytes::default(),
        content,
    };
    let mut auth = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed,
        &signer.private,
        Some(ctx),
    )
    .unwrap();
    if let Content::Commit(_) = auth.content.content {
        auth.auth.confirmation_tag = Some(OpaqueArray([0; 32]));
    }
    let pm = PublicMessage::protect(auth, ctx, None).unwrap();
    MLSMessage::new(MLSMessageBody::PublicMessage(pm))
        .to_bytes()
        .unwrap()
}

/// RFC 9420 sections 6, 6.1 and 12.1.8, the sender-type rules: an `external` sender only sends
/// proposals of the types allowed for it (add, remove, psk, reinit, group_context_extensions)
/// and only with an `external_senders` entry at its index; `new_member_commit` only sends a
/// Commit and `new_member_proposal` only an Add proposal; application data is never in a
/// PublicMessage.
#[test]
fn sender_type_and_wire_format_rules() {
    use vmls_group::{ExternalSender, ExternalSenders};
    let server = SignatureKeyPair::generate(&mut rng(100));
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: OpaqueArray(server.public),
        credential: Credential::Basic(VLBytes::from(&b"server"[..])),
    }])
    .to_extension()
    .unwrap();
    let (mut a, b) = alice_and_bob(vec![senders], &[]);
    let update = Proposal::Update(vmls_group::Update {
        leaf_node: b.own_leaf().unwrap().clone(),
    });
    let external_init = Proposal::ExternalInit(ExternalInit {
        kem_output: VLBytes::from(&[1u8; 32][..]),
    });
    let remove = Proposal::Remove(Remove { removed: 1 });
    let stranger = SignatureKeyPair::generate(&mut rng(101));
    let empty_commit = Content::Commit(Commit {
        proposals: vec![],
        path: None,
    });

    // The helper is sound: an allowed external proposal is accepted.
    let ok = non_member_message(
        &a,
        Sender::External(0),
        &server,
        Content::Proposal(remove.clone()),
    );
    a.clone().process_message(&ok).unwrap();

    let cases = vec![
        (
            non_member_message(&a, Sender::External(0), &server, Content::Proposal(update)),
            GroupError::SenderNotAllowed,
        ),
        (
            non_member_message(
                &a,
                Sender::External(0),
                &server,
                Content::Proposal(external_init),
            ),
            GroupError::SenderNotAllowed,
        ),
        (
            non_member_message(&a, Sender::External(0), &server, empty_commit.clone()),
            GroupError::SenderNotAllowed,
        ),
        (
            non_member_message(
                &a,
                Sender::External(1),
                &server,
                Content::Proposal(remove.clone()),
            ),
            GroupError::UnknownExternalSender { index: 1 },
        ),
        (
            non_member_message(
                &a,
                Sender::NewMemberCommit,
                &stranger,
                Content::Proposal(remove.clone()),
            ),
            GroupError::SenderNotAllowed,
        ),
        (
            non_member_message(&a, Sender::NewMemberProposal, &stranger, empty_commit),
            GroupError::SenderNotAllowed,
        ),
    ];
    for (msg, want) in cases {
        rejects(&mut a, &msg, want);
    }

    // Application data in a PublicMessage (built field by field: `protect` refuses it).
    let pm = PublicMessage {
        content: FramedContent {
            group_id: a.context().group_id.clone(),
            epoch: a.epoch(),
            sender: Sender::Member(1),
            authenticated_data: VLBytes::default(),
            content: Content::Application(VLBytes::from(&b"hi"[..])),
        },
        auth: vmls_group::FramedContentAuthData {
            signature: OpaqueArray([0; 64]),
            confirmation_tag: None,
        },
        membership_tag: Some(OpaqueArray([0; 32])),
    };
    let msg = MLSMessage::new(MLSMessageBody::PublicMessage(pm))
        .to_bytes()
        .unwrap();
    rejects(
        &mut a,
        &msg,
        GroupError::Message(vmls_group::Error::ApplicationDataInPublicMessage),
    );
}
