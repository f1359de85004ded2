//! Reinitialization (RFC 9420 section 11.2) and subgroup branching (section 11.3): the creator
//! of the new group, the joiners' checks of section 12.4.3.1, and every rejection. Expectations
//! come from the RFC's rules and from the other members' view (the creator and the joiners of
//! the new group agree on its epoch authenticator and exchange messages). A rejected Welcome or
//! operation leaves the old group's state blob unchanged.
//!
//! Welcomes that an honest creator cannot produce (wrong group ID, extensions, members, PSKs)
//! are built by hand with [`forge`], first shown to produce a Welcome the joiner accepts, so
//! each rejection is due to the one property a case changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;
use common::{params, rng64 as rng};
use vmls_codec::{Encode, OpaqueArray, VLBytes};
use vmls_crypto::{Mls128ChaCha, Secret, SignatureKeyPair};
use vmls_group::group::{
    CommitOptions, Group, GroupConfig, GroupError, GroupStatus, KeyPackageParams,
    KeyPackagePrivate, LinkError, ProcessedMessage, ProposalError, PskStore, create_key_package,
};
use vmls_group::{
    Add, ExtensionBody, GroupInfoTBS, GroupSecrets, KeyPackage, MLSMessage, MLSMessageBody,
    PreSharedKey, Proposal, ProtocolVersion, RatchetTreeExtension, ReInit, Welcome,
};
use vmls_keyschedule::{GroupContext, NewEpoch, PreSharedKeyId, Psk, ResumptionPskUsage};
use vmls_tree::{Extension, LeafNode, RatchetTree};

type G = Group;
type S = Mls128ChaCha;

/// A non-default GroupContext extension type (private use, RFC 9420 section 17.3).
const APP_EXT: u16 = 0xff00;

fn app_ext(value: &[u8]) -> Extension {
    Extension {
        extension_type: APP_EXT,
        extension_data: VLBytes::from(value),
    }
}

/// A client: its name, signature key and KeyPackage parameters (supporting `APP_EXT`).
struct Client {
    key: SignatureKeyPair,
    params: KeyPackageParams,
}

fn client(name: &'static str, seed: u64) -> Client {
    let mut p = params(name);
    p.extra_extension_types = vec![APP_EXT];
    Client {
        key: SignatureKeyPair::generate(&mut rng(seed)),
        params: p,
    }
}

impl Client {
    fn key_package(&self, seed: u64) -> (KeyPackage, KeyPackagePrivate) {
        create_key_package::<S, _>(&self.params, &self.key, &mut rng(seed)).unwrap()
    }
}

/// Alice, Bob and Carol and their states of the group `old` (leaves 0, 1, 2), which carries
/// `APP_EXT`, after one more Commit (epoch 2).
struct Trio {
    clients: [Client; 3],
    groups: [G; 3],
}

fn trio() -> Trio {
    let clients = [client("alice", 1), client("bob", 2), client("carol", 3)];
    let mut a = G::create(
        b"old",
        &clients[0].params,
        &clients[0].key,
        vec![app_ext(b"old")],
        GroupConfig::default(),
        &mut rng(4),
    )
    .unwrap();
    let (kb, pb) = clients[1].key_package(5);
    let (kc, pc) = clients[2].key_package(6);
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
            &mut rng(7),
        )
        .unwrap();
    a.merge_pending_commit().unwrap();
    let w = out.welcome.unwrap();
    let join = |kp, p| {
        G::join_from_welcome_bytes(&w, kp, p, None, PskStore::new(), GroupConfig::default())
            .unwrap()
    };
    let mut b = join(&kb, &pb);
    let mut c = join(&kc, &pc);
    // One more epoch, so that the linking PSK's epoch is not the first one.
    let out = a.commit(&CommitOptions::default(), &mut rng(8)).unwrap();
    a.merge_pending_commit().unwrap();
    b.process_message(&out.commit).unwrap();
    c.process_message(&out.commit).unwrap();
    assert_eq!(a.epoch(), 2);
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    assert_eq!(a.epoch_authenticator(), c.epoch_authenticator());
    Trio {
        clients,
        groups: [a, b, c],
    }
}

fn the_reinit() -> ReInit {
    ReInit {
        group_id: VLBytes::from(&b"new"[..]),
        version: ProtocolVersion::MLS10,
        cipher_suite: 3,
        extensions: vec![app_ext(b"new")],
    }
}

/// Alice commits `reinit`; every member applies it (epoch 3, status ReInitialized).
fn reinitialize(t: &mut Trio, reinit: &ReInit) {
    let out = t.groups[0]
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::ReInit(reinit.clone())],
                include_pending: false,
                ..CommitOptions::default()
            },
            &mut rng(10),
        )
        .unwrap();
    t.groups[0].merge_pending_commit().unwrap();
    for g in &mut t.groups[1..] {
        match g.process_message(&out.commit).unwrap() {
            ProcessedMessage::Commit(s) => assert_eq!(s.reinit.as_ref(), Some(reinit)),
            other => panic!("{other:?}"),
        }
    }
    for g in &t.groups {
        assert_eq!(g.status(), &GroupStatus::ReInitialized(reinit.clone()));
        assert_eq!(g.epoch(), 3);
    }
}

fn config() -> GroupConfig {
    GroupConfig::default()
}

/// `f(old)` fails with `want` and leaves `old` unchanged.
fn rejects<T: std::fmt::Debug>(
    old: &G,
    want: GroupError,
    f: impl FnOnce(&G) -> Result<T, GroupError>,
) {
    let before = old.to_bytes().unwrap();
    assert_eq!(f(old).unwrap_err(), want);
    assert_eq!(old.to_bytes().unwrap(), before, "old group changed");
}

fn link(e: LinkError) -> GroupError {
    GroupError::Link(e)
}

/// A resumption PreSharedKeyID.
fn resumption(usage: ResumptionPskUsage, group_id: &[u8], epoch: u64, seed: u64) -> PreSharedKeyId {
    PreSharedKeyId::new(
        Psk::Resumption {
            usage,
            psk_group_id: VLBytes::from(group_id),
            psk_epoch: epoch,
        },
        &mut rng(seed),
    )
}

/// Sends `data` from `from` and checks that each of `to` decrypts it.
fn talk(from: &mut G, to: &mut [&mut G], data: &[u8], seed: u64) {
    let mut wire = [0u8; 512];
    let n = from
        .encrypt_application(b"", data, &mut rng(seed), &mut wire)
        .unwrap();
    for g in to.iter_mut() {
        let mut plain = [0u8; 512];
        let got = g.decrypt_application(&wire[..n], &mut plain).unwrap();
        assert_eq!(&plain[..got.len], data);
        assert_eq!(got.sender, from.own_leaf_index());
    }
}

/// What a hand-built Welcome contains: a tree of `leaves` (the signer at leaf 0, signing with
/// `signer`), a GroupContext with these fields at `epoch`, `psks` in the GroupSecrets (their
/// values in `store`), for the joiner `joiner` (whose leaf is among `leaves`).
struct Forge<'a> {
    group_id: &'a [u8],
    version: u16,
    cipher_suite: u16,
    epoch: u64,
    extensions: Vec<Extension>,
    leaves: Vec<LeafNode>,
    signer: &'a SignatureKeyPair,
    joiner: &'a KeyPackage,
    psks: Vec<PreSharedKeyId>,
    store: PskStore,
}

/// A Welcome (RFC 9420 section 12.4.3.1) built by hand from `f`, with the confirmation tag of
/// the epoch it describes. Returns the encoded Welcome and the epoch authenticator a joiner
/// must derive.
fn forge(f: &Forge<'_>, seed: u64) -> (Vec<u8>, [u8; 32]) {
    let mut r = rng(seed);
    let mut tree = RatchetTree::new(f.leaves[0].clone()).unwrap();
    for l in &f.leaves[1..] {
        tree.add_leaf(l.clone()).unwrap();
    }
    let ctx = GroupContext {
        version: f.version,
        cipher_suite: f.cipher_suite,
        group_id: VLBytes::from(f.group_id),
        epoch: f.epoch,
        tree_hash: tree.tree_hash().unwrap().to_vec().into(),
        confirmed_transcript_hash: VLBytes::from(&[0x5au8; 32][..]),
        extensions: f.extensions.clone(),
    };
    let mut joiner_secret = [0u8; 32];
    vmls_crypto::Rng::fill_bytes(&mut r, &mut joiner_secret);
    let joiner_secret = Secret::from_bytes(joiner_secret);
    let values: Vec<(&PreSharedKeyId, &[u8])> = f
        .psks
        .iter()
        .map(|id| (id, f.store.get(id).unwrap()))
        .collect();
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
    .sign(&f.signer.private)
    .unwrap();
    let secrets = GroupSecrets {
        joiner_secret,
        path_secret: None,
        psks: f.psks.clone(),
    };
    let w = Welcome::new::<S, _>(
        &gi,
        &schedule.welcome_secret,
        &[(f.joiner, &secrets)],
        &mut r,
    )
    .unwrap();
    (
        MLSMessage::new(MLSMessageBody::Welcome(w))
            .to_bytes()
            .unwrap(),
        *schedule.secrets.epoch_authenticator.as_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// Reinitialization (RFC 9420 section 11.2)
// ---------------------------------------------------------------------------------------------

/// RFC 9420 section 11.2: after the ReInit Commit, a member creates the new group with the
/// ReInit's parameters and the same members; its Welcome carries one resumption PSK of usage
/// `reinit` for the old group at the epoch the ReInit Commit created (section 12.4.1). Every
/// old member joins it, all agree on the new epoch and exchange messages; the old groups are
/// unchanged and can no longer send.
#[test]
fn reinit_successor_is_joined_by_every_old_member() {
    let mut t = trio();
    let reinit = the_reinit();
    reinitialize(&mut t, &reinit);
    let befores: Vec<Vec<u8>> = t.groups.iter().map(|g| g.to_bytes().unwrap()).collect();

    let (kb, pb) = t.clients[1].key_package(20);
    let (kc, pc) = t.clients[2].key_package(21);
    let c0 = &t.clients[0];
    let (mut a2, out) = t.groups[0]
        .reinit_successor(
            &c0.params,
            &c0.key,
            vec![kb.clone(), kc.clone()],
            config(),
            &mut rng(22),
        )
        .unwrap();
    // The new group: the ReInit's parameters, epoch 1, the same members (by credential).
    assert_eq!(a2.group_id(), b"new");
    assert_eq!(a2.epoch(), 1);
    assert_eq!(a2.context().version, 1);
    assert_eq!(a2.context().cipher_suite, 3);
    assert_eq!(a2.context().extensions, reinit.extensions);
    assert_eq!(a2.status(), &GroupStatus::Active);
    let creds = |g: &G| -> Vec<_> {
        g.members()
            .map(|(_, l)| l.content.credential.clone())
            .collect()
    };
    assert_eq!(creds(&a2), creds(&t.groups[0]));
    assert_eq!(out.summary.psks, 1);
    assert_eq!(out.summary.added, vec![1, 2]);
    // The linking PSK is not kept in the new group's store.
    assert!(a2.psk_store().resumption(b"old", 3).is_none());
    let welcome = out.welcome.unwrap();

    let mut joined = Vec::new();
    for (i, (kp, p)) in [(&kb, &pb), (&kc, &pc)].into_iter().enumerate() {
        let old = &t.groups[i + 1];
        let staged = old
            .stage_reinit_welcome(&welcome, kp, p, None, PskStore::new(), config())
            .unwrap();
        // The joiner sees the one linking PSK: usage reinit, old group, epoch after the ReInit.
        assert_eq!(staged.psks().len(), 1);
        assert_eq!(
            staged.psks()[0].psk,
            Psk::Resumption {
                usage: ResumptionPskUsage::Reinit,
                psk_group_id: VLBytes::from(&b"old"[..]),
                psk_epoch: 3,
            }
        );
        assert_eq!(staged.context(), a2.context());
        assert_eq!(staged.epoch_authenticator(), a2.epoch_authenticator());
        joined.push(staged.accept());
    }
    let [mut b2, mut c2]: [G; 2] = joined.try_into().unwrap();
    talk(&mut a2, &mut [&mut b2, &mut c2], b"hello new group", 23);
    talk(&mut c2, &mut [&mut a2, &mut b2], b"hello from carol", 24);
    // The next epoch of the new group is agreed as well.
    let out = b2.commit(&CommitOptions::default(), &mut rng(25)).unwrap();
    b2.merge_pending_commit().unwrap();
    a2.process_message(&out.commit).unwrap();
    c2.process_message(&out.commit).unwrap();
    assert_eq!(a2.epoch_authenticator(), b2.epoch_authenticator());
    assert_eq!(c2.epoch_authenticator(), b2.epoch_authenticator());

    // Creating and joining the successor changed none of the old states.
    for (g, before) in t.groups.iter().zip(&befores) {
        assert_eq!(&g.to_bytes().unwrap(), before);
    }
}

/// RFC 9420 section 11.2: "these three steps may be done by the same group member or different
/// members": Bob, who did not send the ReInit, recreates the group and Alice joins.
#[test]
fn reinit_successor_may_be_created_by_another_member() {
    let mut t = trio();
    reinitialize(&mut t, &the_reinit());
    let (ka, pa) = t.clients[0].key_package(30);
    let (kc, _) = t.clients[2].key_package(31);
    let c1 = &t.clients[1];
    let (b2, out) = t.groups[1]
        .reinit_successor(
            &c1.params,
            &c1.key,
            vec![ka.clone(), kc],
            config(),
            &mut rng(32),
        )
        .unwrap();
    let a2 = t.groups[0]
        .stage_reinit_welcome(
            &out.welcome.unwrap(),
            &ka,
            &pa,
            None,
            PskStore::new(),
            config(),
        )
        .unwrap()
        .accept();
    assert_eq!(a2.epoch_authenticator(), b2.epoch_authenticator());
    assert_eq!(a2.own_leaf_index(), 1);
}

/// RFC 9420 sections 11.2 and 12.4.1: the creator needs a group whose last Commit was a ReInit,
/// a version and suite it implements, and every old member in the new group.
#[test]
fn reinit_successor_creator_rejections() {
    let mut t = trio();
    let (kb, _) = t.clients[1].key_package(40);
    let (kc, _) = t.clients[2].key_package(41);
    let c0 = client("alice", 1); // the same client as `t.clients[0]`
    let successor = |g: &G, kps: Vec<KeyPackage>| {
        g.reinit_successor(&c0.params, &c0.key, kps, config(), &mut rng(42))
    };
    // Not reinitialized.
    rejects(&t.groups[0], link(LinkError::NotReInitialized), |g| {
        successor(g, vec![kb.clone(), kc.clone()])
    });

    // A ReInit to a later version or another suite: valid in the old group (section 12.1.5),
    // but not one this build can create.
    for (reinit, want) in [
        (
            ReInit {
                version: ProtocolVersion(2),
                ..the_reinit()
            },
            LinkError::VersionMismatch {
                expected: 2,
                got: 1,
            },
        ),
        (
            ReInit {
                cipher_suite: 1,
                ..the_reinit()
            },
            LinkError::CipherSuiteMismatch {
                expected: 1,
                got: 3,
            },
        ),
    ] {
        let mut t = trio();
        reinitialize(&mut t, &reinit);
        rejects(&t.groups[0], link(want), |g| {
            successor(g, vec![kb.clone(), kc.clone()])
        });
    }

    reinitialize(&mut t, &the_reinit());
    // Carol (old leaf 2) left out; or replaced by a stranger.
    rejects(
        &t.groups[0],
        link(LinkError::MissingOldMember { leaf: 2 }),
        |g| successor(g, vec![kb.clone()]),
    );
    let (kd, _) = client("dave", 43).key_package(44);
    rejects(
        &t.groups[0],
        link(LinkError::MissingOldMember { leaf: 2 }),
        |g| successor(g, vec![kb.clone(), kd.clone()]),
    );
    // Everyone, plus a stranger: "the same members as the original group" (section 12.4.1).
    rejects(
        &t.groups[0],
        link(LinkError::NotOldMember { leaf: 3 }),
        |g| successor(g, vec![kb.clone(), kc.clone(), kd]),
    );
    // The creator's own credential counts: Bob's KeyPackage cannot stand in for Alice.
    let c1 = &t.clients[1];
    rejects(
        &t.groups[0],
        link(LinkError::MissingOldMember { leaf: 0 }),
        |g| {
            g.reinit_successor(
                &c1.params,
                &c1.key,
                vec![kc.clone()],
                config(),
                &mut rng(45),
            )
        },
    );
    // And the honest call works.
    successor(&t.groups[0], vec![kb, kc]).unwrap();
}

/// RFC 9420 section 11.2: "the group must not be used to send any more": a reinitialized group
/// refuses to commit, propose, send application data or branch, and is unchanged.
#[test]
fn reinitialized_group_cannot_send_or_commit() {
    let mut t = trio();
    reinitialize(&mut t, &the_reinit());
    let (kd, _) = client("dave", 50).key_package(51);
    for g in &mut t.groups {
        let before = g.to_bytes().unwrap();
        assert_eq!(
            g.commit(&CommitOptions::default(), &mut rng(52))
                .unwrap_err(),
            GroupError::Inactive
        );
        assert_eq!(
            g.propose_add(kd.clone(), &mut rng(53)).unwrap_err(),
            GroupError::Inactive
        );
        assert_eq!(
            g.propose_remove(1, &mut rng(54)).unwrap_err(),
            GroupError::Inactive
        );
        let mut wire = [0u8; 256];
        assert_eq!(
            g.encrypt_application(b"", b"x", &mut rng(55), &mut wire)
                .unwrap_err(),
            GroupError::Inactive
        );
        assert_eq!(g.to_bytes().unwrap(), before);
    }
    let c0 = &t.clients[0];
    let (kb, _) = t.clients[1].key_package(56);
    rejects(&t.groups[0], GroupError::Inactive, |g| {
        g.branch(
            b"sub",
            &c0.params,
            &c0.key,
            vec![kb],
            config(),
            &mut rng(57),
        )
    });
}

/// What the honest successor's Welcome for Bob contains, as a [`Forge`]: the ReInit's
/// parameters, Alice, Bob and Carol's new leaves, the reinit PSK of the old group's last epoch.
struct ReinitFixture {
    t: Trio,
    leaves: Vec<LeafNode>,
    kb: KeyPackage,
    pb: KeyPackagePrivate,
    store: PskStore,
    reinit_psk: PreSharedKeyId,
    dave_leaf: LeafNode,
}

fn reinit_fixture() -> ReinitFixture {
    let mut t = trio();
    reinitialize(&mut t, &the_reinit());
    let (ka, _) = t.clients[0].key_package(60);
    let (kb, pb) = t.clients[1].key_package(61);
    let (kc, _) = t.clients[2].key_package(62);
    let (kd, _) = client("dave", 63).key_package(64);
    let old = &t.groups[0];
    // The forger knows the old group's resumption PSKs (it is a member).
    let mut store = old.psk_store().clone();
    store.insert_resumption(b"elsewhere", 3, Secret::from_bytes([0x44; 32]));
    store.insert_external(b"ext", b"an external psk");
    let reinit_psk = resumption(ResumptionPskUsage::Reinit, b"old", 3, 65);
    ReinitFixture {
        leaves: vec![
            ka.tbs.leaf_node.clone(),
            kb.tbs.leaf_node.clone(),
            kc.tbs.leaf_node.clone(),
        ],
        kb,
        pb,
        store,
        reinit_psk,
        dave_leaf: kd.tbs.leaf_node.clone(),
        t,
    }
}

impl ReinitFixture {
    fn honest(&self) -> Forge<'_> {
        Forge {
            group_id: b"new",
            version: 1,
            cipher_suite: 3,
            epoch: 1,
            extensions: the_reinit().extensions,
            leaves: self.leaves.clone(),
            signer: &self.t.clients[0].key,
            joiner: &self.kb,
            psks: vec![self.reinit_psk.clone()],
            store: self.store.clone(),
        }
    }

    /// Bob stages `f`'s Welcome against his old group.
    fn stage(&self, f: &Forge<'_>, seed: u64) -> Result<[u8; 32], GroupError> {
        let (w, _) = forge(f, seed);
        let mut psks = PskStore::new();
        psks.insert_external(b"ext", b"an external psk");
        self.t.groups[1]
            .stage_reinit_welcome(&w, &self.kb, &self.pb, None, psks, config())
            .map(|s| *s.epoch_authenticator())
    }
}

/// The forging helper is sound: the Welcome an honest creator would send (also with an
/// external PSK beside the reinit one, which RFC 9420 section 12.4.3.1 allows) is accepted,
/// with the epoch authenticator the forger derived.
#[test]
fn forged_reinit_welcome_that_follows_the_rules_is_accepted() {
    let fx = reinit_fixture();
    let f = fx.honest();
    let (w, auth) = forge(&f, 70);
    let g = fx.t.groups[1]
        .stage_reinit_welcome(&w, &fx.kb, &fx.pb, None, PskStore::new(), config())
        .unwrap()
        .accept();
    assert_eq!(g.epoch_authenticator(), &auth);
    assert_eq!(g.group_id(), b"new");

    let mut f = fx.honest();
    f.psks.insert(
        0,
        PreSharedKeyId::new(
            Psk::External {
                psk_id: VLBytes::from(&b"ext"[..]),
            },
            &mut rng(71),
        ),
    );
    let (_, auth) = forge(&f, 72);
    assert_eq!(fx.stage(&f, 72), Ok(auth));
}

/// RFC 9420 sections 11.2 and 12.4.3.1, the joiner's checks of a reinit Welcome, one property
/// changed per case; Bob's old group is unchanged by every rejection.
#[test]
fn reinit_welcome_rejections() {
    let fx = reinit_fixture();
    let before = fx.t.groups[1].to_bytes().unwrap();
    let mut cases: Vec<(&str, Forge<'_>, GroupError)> = Vec::new();

    let mut f = fx.honest();
    f.group_id = b"other";
    cases.push(("group id", f, link(LinkError::GroupIdMismatch)));

    let mut f = fx.honest();
    f.extensions = vec![app_ext(b"old")];
    cases.push(("extensions", f, link(LinkError::ExtensionsMismatch)));
    let mut f = fx.honest();
    f.extensions = vec![];
    cases.push(("no extensions", f, link(LinkError::ExtensionsMismatch)));

    let mut f = fx.honest();
    f.leaves.truncate(2);
    cases.push((
        "carol missing",
        f,
        link(LinkError::MissingOldMember { leaf: 2 }),
    ));
    let mut f = fx.honest();
    f.leaves[2] = fx.dave_leaf.clone();
    cases.push((
        "carol replaced by dave",
        f,
        link(LinkError::MissingOldMember { leaf: 2 }),
    ));

    let mut f = fx.honest();
    f.psks = vec![];
    cases.push(("no psk", f, link(LinkError::MissingResumptionPsk)));
    let mut f = fx.honest();
    f.psks = vec![PreSharedKeyId::new(
        Psk::External {
            psk_id: VLBytes::from(&b"ext"[..]),
        },
        &mut rng(80),
    )];
    cases.push((
        "only an external psk",
        f,
        link(LinkError::MissingResumptionPsk),
    ));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Application, b"old", 3, 81)];
    cases.push((
        "application usage",
        f,
        link(LinkError::MissingResumptionPsk),
    ));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Branch, b"old", 3, 82)];
    cases.push((
        "branch usage",
        f,
        link(LinkError::WrongPskUsage {
            expected: ResumptionPskUsage::Reinit,
            got: ResumptionPskUsage::Branch,
        }),
    ));
    let mut f = fx.honest();
    f.psks
        .push(resumption(ResumptionPskUsage::Reinit, b"old", 3, 83));
    cases.push(("two reinit psks", f, GroupError::InvalidResumptionPsk));
    let mut f = fx.honest();
    f.psks
        .push(resumption(ResumptionPskUsage::Branch, b"old", 3, 84));
    cases.push((
        "reinit and branch psks",
        f,
        GroupError::InvalidResumptionPsk,
    ));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Reinit, b"old", 2, 85)];
    cases.push((
        "psk of the epoch before the ReInit",
        f,
        link(LinkError::WrongPskEpoch {
            expected: 3,
            got: 2,
        }),
    ));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Reinit, b"elsewhere", 3, 86)];
    cases.push(("psk of another group", f, link(LinkError::WrongPskGroup)));

    let mut f = fx.honest();
    f.epoch = 2;
    cases.push(("epoch 2", f, GroupError::InvalidResumptionPsk));

    for (i, (what, f, want)) in cases.iter().enumerate() {
        assert_eq!(fx.stage(f, 90 + i as u64), Err(*want), "{what}");
        assert_eq!(fx.t.groups[1].to_bytes().unwrap(), before, "{what}");
    }
}

/// RFC 9420 section 12.4.3.1: the `version` and `cipher_suite` of the new group must be the
/// ReInit's. A ReInit to version 2 or to suite 1 is valid in the old group; a successor at
/// version 1 / suite 3 does not match it.
#[test]
fn reinit_welcome_must_match_the_reinit_version_and_suite() {
    for (reinit, want) in [
        (
            ReInit {
                version: ProtocolVersion(2),
                ..the_reinit()
            },
            LinkError::VersionMismatch {
                expected: 2,
                got: 1,
            },
        ),
        (
            ReInit {
                cipher_suite: 1,
                ..the_reinit()
            },
            LinkError::CipherSuiteMismatch {
                expected: 1,
                got: 3,
            },
        ),
    ] {
        let mut fx = reinit_fixture();
        // The same fixture, with the old group reinitialized by `reinit` instead.
        let mut t = trio();
        reinitialize(&mut t, &reinit);
        fx.store = t.groups[0].psk_store().clone();
        fx.t = t;
        let before = fx.t.groups[1].to_bytes().unwrap();
        assert_eq!(fx.stage(&fx.honest(), 100), Err(link(want)));
        assert_eq!(fx.t.groups[1].to_bytes().unwrap(), before);
    }
}

/// RFC 9420 section 12.4.3.1: "verify that the last Commit to the referenced group contains a
/// ReInit proposal": the Welcome of a real successor, staged by a member whose old state did
/// not apply the ReInit Commit, is rejected; so is a branch Welcome (usage `branch`) staged as
/// a reinit, and a successor's Welcome given to the ordinary join.
#[test]
fn reinit_welcome_against_the_wrong_old_state() {
    let mut t = trio();
    let bob_before_reinit = t.groups[1].clone();
    // A branch from epoch 2, before the ReInit.
    let (kb, pb) = t.clients[1].key_package(110);
    let c0 = &t.clients[0];
    let (_, branch) = t.groups[0]
        .branch(
            b"sub",
            &c0.params,
            &c0.key,
            vec![kb.clone()],
            config(),
            &mut rng(111),
        )
        .unwrap();
    let branch_welcome = branch.welcome.unwrap();
    reinitialize(&mut t, &the_reinit());
    let (kc, _) = t.clients[2].key_package(112);
    let c0 = &t.clients[0];
    let (_, out) = t.groups[0]
        .reinit_successor(
            &c0.params,
            &c0.key,
            vec![kb.clone(), kc],
            config(),
            &mut rng(113),
        )
        .unwrap();
    let welcome = out.welcome.unwrap();

    rejects(&bob_before_reinit, link(LinkError::NotReInitialized), |g| {
        g.stage_reinit_welcome(&welcome, &kb, &pb, None, PskStore::new(), config())
    });
    rejects(
        &t.groups[1],
        link(LinkError::WrongPskUsage {
            expected: ResumptionPskUsage::Reinit,
            got: ResumptionPskUsage::Branch,
        }),
        |g| g.stage_reinit_welcome(&branch_welcome, &kb, &pb, None, PskStore::new(), config()),
    );
    // The ordinary join, even with the PSK at hand, cannot check the old group.
    let mut store = PskStore::new();
    store.insert_resumption(b"old", 3, t.groups[1].resumption_psk().clone());
    assert_eq!(
        G::join_from_welcome_bytes(&welcome, &kb, &pb, None, store, config()).unwrap_err(),
        link(LinkError::UncheckedLink {
            usage: ResumptionPskUsage::Reinit
        })
    );
    // A successor Welcome staged as a branch of the (reinitialized) old group.
    rejects(&t.groups[1], GroupError::Inactive, |g| {
        g.stage_branch_welcome(&welcome, &kb, &pb, None, PskStore::new(), config())
    });
    // The honest join still works after all these rejections.
    t.groups[1]
        .stage_reinit_welcome(&welcome, &kb, &pb, None, PskStore::new(), config())
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Branching (RFC 9420 section 11.3)
// ---------------------------------------------------------------------------------------------

/// RFC 9420 section 11.3: Alice branches a subgroup with Bob from the current epoch; the
/// Welcome carries one resumption PSK of usage `branch` for the parent's current epoch; Bob
/// joins, both agree on the subgroup's epoch and talk. The parent is not affected ("with no
/// effect on the original group", section 3.4): all three members continue in it.
#[test]
fn branch_is_joined_by_a_subset_and_leaves_the_parent_alone() {
    let mut t = trio();
    let befores: Vec<Vec<u8>> = t.groups.iter().map(|g| g.to_bytes().unwrap()).collect();
    let (kb, pb) = t.clients[1].key_package(120);
    let c0 = &t.clients[0];
    let (mut sa, out) = t.groups[0]
        .branch(
            b"sub",
            &c0.params,
            &c0.key,
            vec![kb.clone()],
            config(),
            &mut rng(121),
        )
        .unwrap();
    assert_eq!(sa.group_id(), b"sub");
    assert_eq!(sa.epoch(), 1);
    assert_eq!(sa.context().extensions, t.groups[0].context().extensions);
    assert_eq!(sa.member_count(), 2);
    assert_eq!(out.summary.psks, 1);
    assert!(sa.psk_store().resumption(b"old", 2).is_none());

    let staged = t.groups[1]
        .stage_branch_welcome(
            &out.welcome.unwrap(),
            &kb,
            &pb,
            None,
            PskStore::new(),
            config(),
        )
        .unwrap();
    assert_eq!(staged.psks().len(), 1);
    assert_eq!(
        staged.psks()[0].psk,
        Psk::Resumption {
            usage: ResumptionPskUsage::Branch,
            psk_group_id: VLBytes::from(&b"old"[..]),
            psk_epoch: 2,
        }
    );
    assert_eq!(staged.psks()[0].psk_nonce.len(), 32);
    let mut sb = staged.accept();
    assert_eq!(sa.epoch_authenticator(), sb.epoch_authenticator());
    talk(&mut sa, &mut [&mut sb], b"just us", 122);
    talk(&mut sb, &mut [&mut sa], b"indeed", 123);

    for (g, before) in t.groups.iter().zip(&befores) {
        assert_eq!(&g.to_bytes().unwrap(), before);
    }
    let [a, b, c] = &mut t.groups;
    let out = c.commit(&CommitOptions::default(), &mut rng(124)).unwrap();
    c.merge_pending_commit().unwrap();
    a.process_message(&out.commit).unwrap();
    b.process_message(&out.commit).unwrap();
    assert_eq!(a.epoch_authenticator(), c.epoch_authenticator());
    assert_eq!(b.epoch_authenticator(), c.epoch_authenticator());
    talk(a, &mut [b, c], b"parent still works", 125);
}

/// RFC 9420 section 11.3, the creator's side: a new group ID, every subgroup member a member
/// of the parent, an active parent.
#[test]
fn branch_creator_rejections() {
    let t = trio();
    let (kb, _) = t.clients[1].key_package(130);
    let (kd, _) = client("dave", 131).key_package(132);
    let c0 = &t.clients[0];
    let a = &t.groups[0];
    rejects(a, link(LinkError::SameGroupId), |g| {
        g.branch(
            b"old",
            &c0.params,
            &c0.key,
            vec![kb.clone()],
            config(),
            &mut rng(133),
        )
    });
    rejects(a, link(LinkError::NotParentMember { leaf: 2 }), |g| {
        g.branch(
            b"sub",
            &c0.params,
            &c0.key,
            vec![kb.clone(), kd.clone()],
            config(),
            &mut rng(134),
        )
    });
    let dave = client("dave", 131);
    rejects(a, link(LinkError::NotParentMember { leaf: 0 }), |g| {
        g.branch(
            b"sub",
            &dave.params,
            &dave.key,
            vec![kb.clone()],
            config(),
            &mut rng(135),
        )
    });
}

/// A branch Welcome for Bob as a [`Forge`]: Alice and Bob's new leaves, the branch PSK of the
/// parent's current epoch.
struct BranchFixture {
    t: Trio,
    leaves: Vec<LeafNode>,
    kb: KeyPackage,
    pb: KeyPackagePrivate,
    store: PskStore,
    dave_leaf: LeafNode,
}

fn branch_fixture() -> BranchFixture {
    let t = trio();
    let (ka, _) = t.clients[0].key_package(140);
    let (kb, pb) = t.clients[1].key_package(141);
    let (kd, _) = client("dave", 142).key_package(143);
    let mut store = t.groups[0].psk_store().clone();
    store.insert_resumption(b"elsewhere", 2, Secret::from_bytes([0x55; 32]));
    store.insert_external(b"ext", b"an external psk");
    BranchFixture {
        leaves: vec![ka.tbs.leaf_node.clone(), kb.tbs.leaf_node.clone()],
        kb,
        pb,
        store,
        dave_leaf: kd.tbs.leaf_node.clone(),
        t,
    }
}

impl BranchFixture {
    fn honest(&self) -> Forge<'_> {
        Forge {
            group_id: b"sub",
            version: 1,
            cipher_suite: 3,
            epoch: 1,
            extensions: vec![app_ext(b"old")],
            leaves: self.leaves.clone(),
            signer: &self.t.clients[0].key,
            joiner: &self.kb,
            psks: vec![resumption(ResumptionPskUsage::Branch, b"old", 2, 144)],
            store: self.store.clone(),
        }
    }

    fn stage(&self, f: &Forge<'_>, seed: u64) -> Result<[u8; 32], GroupError> {
        let (w, _) = forge(f, seed);
        let mut psks = PskStore::new();
        psks.insert_external(b"ext", b"an external psk");
        self.t.groups[1]
            .stage_branch_welcome(&w, &self.kb, &self.pb, None, psks, config())
            .map(|s| *s.epoch_authenticator())
    }
}

/// The forging helper is sound for branches: the honest Welcome, and one with an external PSK
/// beside the branch PSK (RFC 9420 section 12.4.3.1 only limits the reinit/branch ones), are
/// accepted with the forger's epoch authenticator. The subgroup may use other extensions than
/// the parent (section 11.3 checks only version and suite).
#[test]
fn forged_branch_welcome_that_follows_the_rules_is_accepted() {
    let fx = branch_fixture();
    let f = fx.honest();
    let (_, auth) = forge(&f, 150);
    assert_eq!(fx.stage(&f, 150), Ok(auth));
    let mut f = fx.honest();
    f.psks.push(PreSharedKeyId::new(
        Psk::External {
            psk_id: VLBytes::from(&b"ext"[..]),
        },
        &mut rng(151),
    ));
    let (_, auth) = forge(&f, 152);
    assert_eq!(fx.stage(&f, 152), Ok(auth));
    let mut f = fx.honest();
    f.extensions = vec![];
    let (_, auth) = forge(&f, 153);
    assert_eq!(fx.stage(&f, 153), Ok(auth));
}

/// RFC 9420 sections 11.3 and 12.4.3.1, the joiner's checks of a branch Welcome, one property
/// changed per case; Bob's parent group is unchanged by every rejection.
#[test]
fn branch_welcome_rejections() {
    let fx = branch_fixture();
    let before = fx.t.groups[1].to_bytes().unwrap();
    let mut cases: Vec<(&str, Forge<'_>, GroupError)> = Vec::new();

    let mut f = fx.honest();
    f.group_id = b"old";
    cases.push(("parent's group id", f, link(LinkError::SameGroupId)));
    let mut f = fx.honest();
    f.leaves.push(fx.dave_leaf.clone());
    cases.push((
        "dave is no parent member",
        f,
        link(LinkError::NotParentMember { leaf: 2 }),
    ));
    let mut f = fx.honest();
    f.psks = vec![];
    cases.push(("no psk", f, link(LinkError::MissingResumptionPsk)));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Reinit, b"old", 2, 160)];
    cases.push((
        "reinit usage",
        f,
        link(LinkError::WrongPskUsage {
            expected: ResumptionPskUsage::Branch,
            got: ResumptionPskUsage::Reinit,
        }),
    ));
    let mut f = fx.honest();
    f.psks
        .push(resumption(ResumptionPskUsage::Branch, b"old", 2, 161));
    cases.push(("two branch psks", f, GroupError::InvalidResumptionPsk));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Branch, b"old", 1, 162)];
    cases.push((
        "psk of a past epoch",
        f,
        link(LinkError::WrongPskEpoch {
            expected: 2,
            got: 1,
        }),
    ));
    let mut f = fx.honest();
    f.psks = vec![resumption(ResumptionPskUsage::Branch, b"elsewhere", 2, 163)];
    cases.push(("psk of another group", f, link(LinkError::WrongPskGroup)));
    let mut f = fx.honest();
    f.epoch = 2;
    cases.push(("epoch 2", f, GroupError::InvalidResumptionPsk));

    for (i, (what, f, want)) in cases.iter().enumerate() {
        assert_eq!(fx.stage(f, 170 + i as u64), Err(*want), "{what}");
        assert_eq!(fx.t.groups[1].to_bytes().unwrap(), before, "{what}");
    }
}

/// RFC 9420 section 11.3 with real groups: a branch Welcome staged after the parent moved on
/// (the PSK is of the previous epoch), an ordinary Welcome (no branch PSK) staged as a branch,
/// and a branch Welcome given to the ordinary join, are rejected; the parent is unchanged.
#[test]
fn branch_welcome_against_the_wrong_parent_state() {
    let mut t = trio();
    let (kb, pb) = t.clients[1].key_package(180);
    let c0 = &t.clients[0];
    let (_, out) = t.groups[0]
        .branch(
            b"sub",
            &c0.params,
            &c0.key,
            vec![kb.clone()],
            config(),
            &mut rng(181),
        )
        .unwrap();
    let welcome = out.welcome.unwrap();
    let bob_at_2 = t.groups[1].clone();

    // The ordinary join cannot check the parent.
    let mut store = PskStore::new();
    store.insert_resumption(b"old", 2, t.groups[1].resumption_psk().clone());
    assert_eq!(
        G::join_from_welcome_bytes(&welcome, &kb, &pb, None, store, config()).unwrap_err(),
        link(LinkError::UncheckedLink {
            usage: ResumptionPskUsage::Branch
        })
    );

    // The parent moves to epoch 3 before Bob reads the Welcome.
    let out = t.groups[2]
        .commit(&CommitOptions::default(), &mut rng(182))
        .unwrap();
    t.groups[1].process_message(&out.commit).unwrap();
    rejects(
        &t.groups[1],
        link(LinkError::WrongPskEpoch {
            expected: 3,
            got: 2,
        }),
        |g| g.stage_branch_welcome(&welcome, &kb, &pb, None, PskStore::new(), config()),
    );
    bob_at_2
        .stage_branch_welcome(&welcome, &kb, &pb, None, PskStore::new(), config())
        .unwrap();

    // An ordinary Welcome from a fresh group: no branch PSK.
    let mut fresh = G::create(
        b"fresh",
        &c0.params,
        &c0.key,
        vec![],
        config(),
        &mut rng(183),
    )
    .unwrap();
    let out = fresh
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add {
                    key_package: kb.clone(),
                })],
                ..CommitOptions::default()
            },
            &mut rng(184),
        )
        .unwrap();
    let plain = out.welcome.unwrap();
    rejects(&bob_at_2, link(LinkError::MissingResumptionPsk), |g| {
        g.stage_branch_welcome(&plain, &kb, &pb, None, PskStore::new(), config())
    });
}

// ---------------------------------------------------------------------------------------------
// Ordinary proposals (RFC 9420 sections 8.6, 11.2, 11.3, 12.1.4)
// ---------------------------------------------------------------------------------------------

/// RFC 9420 section 12.1.4: a PreSharedKey proposal with a resumption PSK of usage `reinit` or
/// `branch` outside a reinitialization or branch is invalid: proposing it or committing it by
/// value fails, and the group is unchanged; an application-usage resumption PSK of the same
/// epoch is fine.
#[test]
fn reinit_and_branch_usages_are_invalid_in_ordinary_proposals() {
    let mut t = trio();
    let a = &mut t.groups[0];
    let before = a.to_bytes().unwrap();
    for usage in [ResumptionPskUsage::Reinit, ResumptionPskUsage::Branch] {
        let psk = Psk::Resumption {
            usage,
            psk_group_id: VLBytes::from(&b"old"[..]),
            psk_epoch: 2,
        };
        assert_eq!(
            a.propose_psk(psk.clone(), &mut rng(190)).unwrap_err(),
            GroupError::InvalidProposal(ProposalError::InvalidPskUsage)
        );
        let options = CommitOptions {
            proposals: vec![Proposal::PreSharedKey(PreSharedKey {
                psk: PreSharedKeyId::new(psk, &mut rng(191)),
            })],
            ..CommitOptions::default()
        };
        assert_eq!(
            a.commit(&options, &mut rng(192)).unwrap_err(),
            GroupError::InvalidProposal(ProposalError::InvalidPskUsage)
        );
        assert_eq!(a.to_bytes().unwrap(), before);
    }
    let psk = Psk::Resumption {
        usage: ResumptionPskUsage::Application,
        psk_group_id: VLBytes::from(&b"old"[..]),
        psk_epoch: 2,
    };
    a.propose_psk(psk, &mut rng(193)).unwrap();
}
