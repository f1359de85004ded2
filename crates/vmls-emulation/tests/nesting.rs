//! Nesting (issue 18 item 3): devices -> person V -> team T -> project group P.
//!
//! Alice (phone, laptop) and Bob (phone, laptop) are people: virtual clients 1 and 2 of their
//! own emulation groups. Both are emulators in the team's emulation group G_T, which emulates
//! the team T (virtual client 7 there). T and Carol (an ordinary client) are the members of the
//! project group P. Every device runs an `EmulationStack` of two levels; every step is checked
//! from every viewpoint: byte-identical T on all four devices, Carol's view of P.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
use std::collections::HashSet;

use common::{Person, World, params};
use vmls_cbst::{ChallengeLevel, GroupChallengeContext};
use vmls_codec::Encode;
use vmls_crypto::SignatureKeyPair;
use vmls_emulation::nest::MAX_LEVELS;
use vmls_emulation::{
    AnnouncementError, EmulationStack, EmulatorConfig, EmulatorError, Event, LevelEvents, Request,
    VcActionType, VirtualClientAction, VirtualClientActions,
};
use vmls_group::group::{CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, ProcessedMessage};
use vmls_group::{Add, ExtensionBody, Proposal};
use vmls_tree::Credential;

const GT: &[u8] = b"team T emulation group";
const P: &[u8] = b"project P";
const T: u32 = 7;
const TQ: &str = "team T";

struct Dev {
    name: String,
    st: EmulationStack,
}

struct Per {
    queue: String,
    vc: u32,
    devs: Vec<Dev>,
    /// The queues every device reads above level 0: (level, virtual client, queue).
    upper_queues: Vec<(usize, u32, String)>,
}

struct Net {
    w: World,
    people: Vec<Per>,
    carol: Group,
    /// Digests of Carol's own handshake messages (she merges them herself).
    carol_sent: HashSet<Vec<u8>>,
    /// Every device's events of the last `sync`, by (person, device).
    events: Vec<Vec<Vec<LevelEvents>>>,
    /// Welcomes that came out of own Outgoing events, by group.
    welcomes: Vec<(Vec<u8>, Vec<u8>)>,
    /// Commits the Delivery Service refused (another commit of that epoch came first).
    refused: Vec<Vec<u8>>,
    /// Carol's queue name.
    carol_queue: &'static str,
}

fn to_stacks(p: Person) -> Per {
    Per {
        upper_queues: vec![(1, T, TQ.to_string())],
        queue: p.queue,
        vc: p.vc,
        devs: p
            .devices
            .into_iter()
            .map(|d| Dev {
                name: d.name,
                st: EmulationStack::new(d.em),
            })
            .collect(),
    }
}

fn is_welcome(m: &[u8]) -> bool {
    u16::from_be_bytes([m[2], m[3]]) == 3
}

impl Net {
    /// Sends the own Outgoing messages of `out` and records the Welcomes.
    fn handle(&mut self, out: &[LevelEvents]) {
        for le in out {
            if !le.own {
                continue;
            }
            for e in &le.events {
                if let Event::Outgoing {
                    group_id,
                    message,
                    welcome,
                    ..
                } = e
                {
                    match self.w.ds.send(message) {
                        Ok(()) => {}
                        Err(vmls_ds::DsError::StaleCommit { .. }) => {
                            self.refused.push(message.clone());
                            continue;
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                    if let Some(wl) = welcome {
                        self.welcomes.push((group_id.clone(), wl.clone()));
                    }
                }
            }
        }
    }

    /// Every device reads its G queue, its person's queue and T's queue until nothing moves.
    fn sync(&mut self) {
        self.events = self
            .people
            .iter()
            .map(|p| p.devs.iter().map(|_| Vec::new()).collect())
            .collect();
        loop {
            let mut moved = false;
            for pi in 0..self.people.len() {
                for di in 0..self.people[pi].devs.len() {
                    let name = self.people[pi].devs[di].name.clone();
                    let queue = self.people[pi].queue.clone();
                    let vc = self.people[pi].vc;
                    let mut outs = Vec::new();
                    for m in self.w.ds.read(&name, &name) {
                        let st = &mut self.people[pi].devs[di].st;
                        outs.push(st.process_emulation_message(&m).unwrap());
                    }
                    for m in self.w.ds.read(&queue, &name) {
                        let st = &mut self.people[pi].devs[di].st;
                        outs.push(if is_welcome(&m) {
                            st.receive_welcome(0, vc, &m).unwrap()
                        } else {
                            st.process_group_message(0, vc, &m).unwrap()
                        });
                    }
                    for (level, uvc, uq) in self.people[pi].upper_queues.clone() {
                        let has = {
                            let st = &self.people[pi].devs[di].st;
                            st.depth() > level
                                && st.level(level).unwrap().virtual_clients().any(|v| v == uvc)
                        };
                        if !has {
                            continue;
                        }
                        for m in self.w.ds.read(&uq, &name) {
                            let st = &mut self.people[pi].devs[di].st;
                            outs.push(if is_welcome(&m) {
                                st.receive_welcome(level, uvc, &m).unwrap()
                            } else {
                                st.process_group_message(level, uvc, &m).unwrap()
                            });
                        }
                    }
                    for out in outs {
                        moved = true;
                        self.handle(&out);
                        self.events[pi][di].extend(out);
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Device `di` of person `pi` announces at `level` and sends the G commit.
    fn announce(&mut self, pi: usize, di: usize, level: usize, requests: &[Request]) {
        let mut r = self.w.rng();
        let commit = self.people[pi].devs[di]
            .st
            .announce(level, requests, &mut r)
            .unwrap();
        self.w.ds.send(&commit).unwrap();
    }

    /// Carol reads her queue: every message of P, as an ordinary member.
    fn carol_reads(&mut self) -> Vec<ProcessedMessage> {
        let mut out = Vec::new();
        for m in self.w.ds.read(self.carol_queue, self.carol_queue) {
            if self.carol_sent.remove(&m) {
                continue;
            }
            out.push(self.carol.process_message(&m).unwrap());
        }
        out
    }

    /// T's state on every device, which must be the same.
    fn assert_t_consistent(&self) -> Vec<u8> {
        let first = self.people[0].devs[0]
            .st
            .level(1)
            .unwrap()
            .virtual_client_bytes(T)
            .unwrap();
        for p in &self.people {
            for d in &p.devs {
                assert!(
                    d.st.level(1).unwrap().virtual_client_bytes(T).unwrap() == first,
                    "T differs on {}",
                    d.name
                );
            }
        }
        first
    }

    /// Every device's T and Carol agree on P.
    fn assert_p_agrees(&self) {
        let want = *self.carol.epoch_authenticator();
        for p in &self.people {
            for d in &p.devs {
                let g = d.st.level(1).unwrap().vc_group(T, P).unwrap();
                assert_eq!(g.epoch(), self.carol.epoch(), "{}", d.name);
                assert_eq!(*g.epoch_authenticator(), want, "{}", d.name);
                assert!(!g.has_pending_commit(), "{}", d.name);
            }
        }
    }

    fn all_events(&self, pi: usize, di: usize, level: usize) -> Vec<Event> {
        self.events[pi][di]
            .iter()
            .filter(|le| le.level == level)
            .flat_map(|le| le.events.clone())
            .collect()
    }
}

/// Alice and Bob with two devices each; G_T created by Alice's V with Bob's V added; T created
/// by an announcement at level 1 (two KeyPackages); Carol creates P and adds T; T joins.
fn setup() -> Net {
    let mut w = World::new();
    let alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    let bob = w.person("bob", &["bob phone", "bob laptop"], 2);
    let bob_kp = bob.devices[0].em.key_packages(2).unwrap()[0].clone();
    let carol_signer = SignatureKeyPair::generate(&mut w.rng());
    let required = vmls_tree::RequiredCapabilities {
        extension_types: vec![CBAM_EXTENSION_TYPE],
        proposal_types: vec![],
        credential_types: vec![],
    }
    .to_extension()
    .unwrap();
    let mut r = w.rng();
    let carol = Group::create(
        P,
        &params("carol"),
        &carol_signer,
        vec![required],
        GroupConfig::default(),
        &mut r,
    )
    .unwrap();
    w.ds.create_group(P, 0, &["carol"]);
    let mut net = Net {
        w,
        people: vec![to_stacks(alice), to_stacks(bob)],
        carol,
        carol_sent: HashSet::new(),
        events: Vec::new(),
        welcomes: Vec::new(),
        refused: Vec::new(),
        carol_queue: "carol",
    };
    // Level 0: Alice's V creates G_T; every Alice device attaches level 1 on it.
    net.announce(
        0,
        0,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: GT.to_vec(),
        }],
    );
    net.sync();
    net.w.ds.create_group(GT, 0, &["alice V"]);
    for d in &mut net.people[0].devs {
        d.st.attach(1, GT).unwrap();
        assert_eq!(d.st.depth(), 2);
    }
    // Alice's V adds Bob's V to G_T (an ordinary V commit at level 0; level 1 sees a G_T
    // commit without announcement).
    net.announce(
        0,
        1,
        0,
        &[Request::Commit {
            vc_id: 1,
            group_id: GT.to_vec(),
            proposals: vec![Proposal::Add(Add {
                key_package: bob_kp,
            })],
            include_pending: false,
        }],
    );
    net.sync();
    let (gid, welcome) = net.welcomes.pop().unwrap();
    assert_eq!(gid, GT);
    net.w.ds.add_member(GT, "bob V");
    net.w.ds.send_to("bob V", &welcome);
    net.sync();
    net.announce(1, 1, 0, &[Request::JoinGroup { vc_id: 2, welcome }]);
    net.sync();
    for d in &mut net.people[1].devs {
        d.st.attach(2, GT).unwrap();
    }
    // Every device's level 1 is a member of G_T at the same epoch, as a different leaf per
    // person.
    let gt_epoch = net.people[0].devs[0]
        .st
        .level(1)
        .unwrap()
        .emulation_group()
        .epoch();
    assert_eq!(gt_epoch, 1);
    for (pi, p) in net.people.iter().enumerate() {
        for d in &p.devs {
            let g = d.st.level(1).unwrap().emulation_group();
            assert_eq!(g.epoch(), gt_epoch);
            assert_eq!(g.own_leaf_index(), pi as u32);
        }
    }

    // Level 1: Alice's phone creates T with two KeyPackages.
    net.announce(
        0,
        0,
        1,
        &[
            Request::CreateVirtualClient {
                vc_id: T,
                credential: Credential::Basic(b"team T".as_slice().into()),
            },
            Request::PublishKeyPackages {
                vc_id: T,
                count: 2,
                lifetime: common::FOREVER,
            },
        ],
    );
    net.sync();
    for pi in 0..2 {
        for di in 0..2 {
            let evs = net.all_events(pi, di, 1);
            assert!(
                evs.contains(&Event::VirtualClientCreated { vc_id: T }),
                "person {pi} device {di}: {evs:?}"
            );
        }
    }
    net.assert_t_consistent();
    // T's secrets come from G_T's epoch (the derive rules one level up): T's signature key is
    // the pinned derivation from G_T's vc_epoch_secret, recomputed here with the primitives.
    let em1 = net.people[1].devs[1].st.level(1).unwrap();
    let seed = em1.emulation_group().virtual_client_seed().clone();
    let ctx = {
        let mut c = Vec::new();
        T.encode(&mut c).unwrap();
        c.push(0); // target_group_id<V>: empty
        c.push(4); // operation signature_key
        0u32.encode(&mut c).unwrap();
        c
    };
    let op = vmls_crypto::expand_with_label(seed.as_bytes(), b"VC Operation", &ctx).unwrap();
    let sk = vmls_crypto::derive_secret(op.as_bytes(), b"Signature Key").unwrap();
    let want = vmls_crypto::SignaturePrivateKey::from_bytes(sk.as_bytes()).public_key();
    for p in &net.people {
        for d in &p.devs {
            assert_eq!(
                d.st.level(1).unwrap().signature_public_key(T).unwrap(),
                want
            );
        }
    }

    // Carol adds T (a KeyPackage T published) and sends the Welcome to T's queue.
    let t_kp = net.people[1].devs[0]
        .st
        .level(1)
        .unwrap()
        .key_packages(T)
        .unwrap()[0]
        .clone();
    let mut r = net.w.rng();
    let out = net
        .carol
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add { key_package: t_kp })],
                ratchet_tree_in_welcome: true,
                ..CommitOptions::default()
            },
            &mut r,
        )
        .unwrap();
    net.w.ds.send(&out.commit).unwrap();
    net.carol.merge_pending_commit().unwrap();
    net.carol_sent.insert(out.commit.clone());
    assert!(net.carol_reads().is_empty());
    net.w.ds.add_member(P, TQ);
    let welcome = out.welcome.unwrap();
    net.w.ds.send_to(TQ, &welcome);
    net.sync();
    // Bob's phone announces T's join (level 1).
    net.announce(1, 0, 1, &[Request::JoinGroup { vc_id: T, welcome }]);
    net.sync();
    for pi in 0..2 {
        for di in 0..2 {
            assert!(
                net.all_events(pi, di, 1).contains(&Event::Joined {
                    vc_id: T,
                    group_id: P.to_vec()
                }),
                "person {pi} device {di}"
            );
        }
    }
    net.assert_t_consistent();
    net.assert_p_agrees();
    assert_eq!(net.carol.member_count(), 2);
    net
}

/// Device (pi, di) commits as T in P (an update); everyone follows.
fn t_update(net: &mut Net, pi: usize, di: usize) {
    let before = net.carol.epoch();
    net.announce(
        pi,
        di,
        1,
        &[Request::Commit {
            vc_id: T,
            group_id: P.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    );
    net.sync();
    // Only the announcing device sent T's commit; Carol reads it as T's.
    let t_leaf = net.people[0].devs[0]
        .st
        .level(1)
        .unwrap()
        .vc_group(T, P)
        .unwrap()
        .own_leaf_index();
    let got = net.carol_reads();
    assert_eq!(got.len(), 1);
    match &got[0] {
        ProcessedMessage::Commit(s) => {
            assert_eq!(s.sender, vmls_group::Sender::Member(t_leaf));
            assert!(s.has_path);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(net.carol.epoch(), before + 1);
    net.assert_t_consistent();
    net.assert_p_agrees();
}

#[test]
fn the_team_joins_and_commits_in_p_from_devices_of_both_persons() {
    let mut net = setup();
    let blob0 = net.assert_t_consistent();
    // A device of person 1, then one of person 2, commit as T.
    t_update(&mut net, 0, 1);
    let blob1 = net.assert_t_consistent();
    assert_ne!(blob0, blob1, "T's leaf key changed");
    t_update(&mut net, 1, 0);
    assert_ne!(net.assert_t_consistent(), blob1);
    // Carol's messages are read by every device, as from Carol's leaf.
    let mut out = vec![0u8; net.carol.application_message_len(0, 11)];
    let mut r = net.w.rng();
    let n = net
        .carol
        .encrypt_application(&[], b"hello, team", &mut r, &mut out)
        .unwrap();
    out.truncate(n);
    net.w.ds.send(&out).unwrap();
    net.carol_sent.insert(out);
    net.sync();
    let carol_leaf = net.carol.own_leaf_index();
    for pi in 0..2 {
        for di in 0..2 {
            let evs = net.all_events(pi, di, 1);
            assert!(
                evs.iter().any(|e| matches!(e,
                    Event::Processed {
                        vc_id: T,
                        outcome: ProcessedMessage::Application { sender, data, .. },
                        ..
                    } if *sender == carol_leaf && data == b"hello, team")),
                "person {pi} device {di}: {evs:?}"
            );
        }
    }
    net.assert_t_consistent();
}

#[test]
fn concurrent_cbams_as_the_team_have_distinct_challenges_and_everyone_reads_them() {
    let mut net = setup();
    const PER_DEVICE: usize = 4;
    let t_group = |net: &Net, pi: usize, di: usize| {
        net.people[pi].devs[di]
            .st
            .level(1)
            .unwrap()
            .vc_group(T, P)
            .unwrap()
            .clone()
    };
    let t_leaf = t_group(&net, 0, 0).own_leaf_index();
    // The recursive context of each device, checked against the other person's view of G_T
    // (same confirmation tag, the sender's V at leaf 0 for Alice, 1 for Bob) and the device's
    // own G.
    for pi in 0..2 {
        let other = net.people[1 - pi].devs[0].st.level(1).unwrap();
        let gt_tag = other.emulation_group().challenge_level().confirmation_tag;
        for di in 0..2 {
            let st = &net.people[pi].devs[di].st;
            let ctx = st.challenge_context(1).unwrap();
            let device = st.level(0).unwrap().emulation_group().challenge_level();
            assert_eq!(
                ctx.levels(),
                &[
                    ChallengeLevel {
                        leaf_index: pi as u32,
                        confirmation_tag: gt_tag,
                    },
                    device,
                ]
            );
            assert_eq!(device.leaf_index, di as u32);
        }
    }
    // Every device sends PER_DEVICE CBAMs as T before anyone reads.
    let mut sent = Vec::new();
    let mut contexts = HashSet::new();
    for pi in 0..2 {
        for di in 0..2 {
            for k in 0..PER_DEVICE {
                let data = format!("p{pi} d{di} #{k}").into_bytes();
                let sub = net.people[pi].devs[di].st.challenge_context(1).unwrap();
                let p_level = t_group(&net, pi, di).challenge_level();
                let full = GroupChallengeContext::virtual_sender(p_level, &sub).unwrap();
                // The draft's ChallengeContext minus the random seed: the full recursive
                // context and this device's generation (0, 1, ... per device and epoch).
                let mut enc = full.to_bytes().unwrap();
                (k as u32).encode(&mut enc).unwrap();
                assert!(contexts.insert(enc), "challenge context repeats");
                let mut r = net.w.rng();
                let m = net.people[pi].devs[di]
                    .st
                    .send_cbam(1, T, P, b"", &data, &mut r)
                    .unwrap();
                net.w.ds.send(&m).unwrap();
                sent.push((pi, di, data, m));
            }
        }
    }
    assert_eq!(contexts.len(), 4 * PER_DEVICE);
    // Carol decrypts every one, from T's leaf, and sees pairwise distinct challenges.
    let mut challenges = HashSet::new();
    let mut read = 0;
    for m in net.w.ds.read("carol", "carol") {
        let mut out = vec![0u8; m.len()];
        let got = net.carol.decrypt_cbam(&m, &mut out).unwrap();
        assert_eq!(got.sender, t_leaf);
        let (_, _, data, _) = sent.iter().find(|s| s.3 == m).unwrap();
        assert_eq!(&out[..got.len], data.as_slice());
        assert!(challenges.insert(got.challenge));
        read += 1;
    }
    assert_eq!(read, 4 * PER_DEVICE);
    // Every device reads the others' as T's (3 * PER_DEVICE) and recognises its own echoes.
    net.sync();
    for pi in 0..2 {
        for di in 0..2 {
            let evs = net.all_events(pi, di, 1);
            let mut got: Vec<Vec<u8>> = evs
                .iter()
                .filter_map(|e| match e {
                    Event::Processed {
                        outcome: ProcessedMessage::Cbam { sender, data, .. },
                        ..
                    } => {
                        assert_eq!(*sender, t_leaf);
                        Some(data.clone())
                    }
                    _ => None,
                })
                .collect();
            let mut want: Vec<Vec<u8>> = sent
                .iter()
                .filter(|s| (s.0, s.1) != (pi, di))
                .map(|s| s.2.clone())
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "person {pi} device {di}");
            let echoes = evs
                .iter()
                .filter(|e| matches!(e, Event::OwnCbamEcho { vc_id: T, .. }))
                .count();
            assert_eq!(echoes, PER_DEVICE);
        }
    }
    // A replayed CBAM is refused by every device (punctured) and changes nothing.
    let m = sent[0].3.clone();
    for p in &mut net.people {
        for d in &mut p.devs {
            let before = d.st.to_bytes().unwrap();
            assert!(d.st.process_group_message(1, T, &m).is_err());
            assert_eq!(d.st.to_bytes().unwrap(), before);
        }
    }
}

#[test]
fn stack_blobs_survive_save_and_restore() {
    let mut net = setup();
    t_update(&mut net, 0, 0);
    // Alice's V sends a CBAM in G_T (level 0): the group every level-1 `g` mirrors changes
    // (its CBST is punctured) on the sender and on Bob's devices, which read it as V's.
    let mut r = net.w.rng();
    let m = net.people[0].devs[0]
        .st
        .send_cbam(0, 1, GT, b"", b"to the team group", &mut r)
        .unwrap();
    net.w.ds.send(&m).unwrap();
    // At once (before its echo), the sender's level 1 mirrors the punctured G_T state.
    let blob = net.people[0].devs[0].st.to_bytes().unwrap();
    EmulationStack::from_bytes(&blob, EmulatorConfig::default()).unwrap();
    net.sync();
    for di in 0..2 {
        assert!(net.all_events(1, di, 0).iter().any(|e| matches!(e,
            Event::Processed { vc_id: 2, outcome: ProcessedMessage::Cbam { sender: 0, data, .. }, .. }
                if data == b"to the team group")));
    }
    for p in &mut net.people {
        for d in &mut p.devs {
            let blob = d.st.to_bytes().unwrap();
            let restored = EmulationStack::from_bytes(&blob, EmulatorConfig::default()).unwrap();
            assert_eq!(restored.to_bytes().unwrap(), blob);
            assert_eq!(restored.depth(), 2);
            assert_eq!(
                restored.level(1).unwrap().virtual_client_bytes(T).unwrap(),
                d.st.level(1).unwrap().virtual_client_bytes(T).unwrap()
            );
            // Unknown version, truncation, trailing bytes: typed errors.
            let mut bad = blob.clone();
            bad[1] = 9;
            assert_eq!(
                EmulationStack::from_bytes(&bad, EmulatorConfig::default()).unwrap_err(),
                EmulatorError::UnsupportedStateVersion(9)
            );
            assert!(
                EmulationStack::from_bytes(&blob[..blob.len() - 1], EmulatorConfig::default())
                    .is_err()
            );
            let mut long = blob.clone();
            long.push(0);
            assert!(EmulationStack::from_bytes(&long, EmulatorConfig::default()).is_err());
            // A blob with more levels than MAX_LEVELS is refused by count; one whose upper
            // level does not mirror the level below is refused too.
            let mut r = vmls_codec::Reader::new(&blob);
            let version = <u16 as vmls_codec::Decode>::decode(&mut r).unwrap();
            let base = r.read_opaque().unwrap();
            let upper = r.read_opaque().unwrap();
            let rest = r.peek_rest();
            let with_upper = |n: usize| {
                let mut out = Vec::new();
                version.encode(&mut out).unwrap();
                vmls_codec::encode_opaque(&mut out, base).unwrap();
                vmls_codec::encode_opaque(&mut out, &upper.repeat(n)).unwrap();
                out.extend_from_slice(rest);
                out
            };
            assert_eq!(with_upper(1), blob);
            assert_eq!(
                EmulationStack::from_bytes(&with_upper(MAX_LEVELS), EmulatorConfig::default())
                    .unwrap_err(),
                EmulatorError::NoSuchLevel(MAX_LEVELS)
            );
            assert!(EmulationStack::from_bytes(&with_upper(2), EmulatorConfig::default()).is_err());
            d.st = restored;
        }
    }
    // The restored devices go on: a commit from Bob's laptop, a CBAM from Alice's phone.
    t_update(&mut net, 1, 1);
    let mut r = net.w.rng();
    let m = net.people[0].devs[0]
        .st
        .send_cbam(1, T, P, b"", b"after restore", &mut r)
        .unwrap();
    net.w.ds.send(&m).unwrap();
    let got = net.carol_reads();
    assert!(matches!(&got[..], [ProcessedMessage::Cbam { data, .. }] if data == b"after restore"));
    net.sync();
    for (pi, di) in [(0, 1), (1, 0), (1, 1)] {
        assert!(
            net.all_events(pi, di, 1).iter().any(|e| matches!(e,
                Event::Processed { outcome: ProcessedMessage::Cbam { data, .. }, .. }
                    if data == b"after restore")),
            "person {pi} device {di}"
        );
    }
    net.assert_t_consistent();
}

#[test]
fn a_bad_announcement_at_level_two_changes_no_level() {
    let mut net = setup();
    let blobs = |net: &Net| -> Vec<Vec<u8>> {
        net.people
            .iter()
            .flat_map(|p| p.devs.iter().map(|d| d.st.to_bytes().unwrap()))
            .collect()
    };
    // Bob's phone (a buggy or hostile emulator) announces, at level 0, V's G_T commit carrying
    // a level-1 announcement for a virtual client G_T does not have. Level 0 cannot know: G_V
    // accepts it, V commits in G_T, G_T's Delivery Service accepts the commit.
    let bad = VirtualClientActions {
        actions: vec![VirtualClientAction {
            vc_id: 77,
            action: VcActionType::KeyPackages,
            target_group_id: vec![],
            detail: vmls_emulation::KeyPackagesDetail {
                count: 1,
                not_before: 0,
                not_after: u64::MAX,
            }
            .to_bytes()
            .unwrap(),
        }],
    }
    .to_authenticated_data()
    .unwrap();
    net.announce(
        1,
        0,
        0,
        &[Request::Announce {
            vc_id: 2,
            group_id: GT.to_vec(),
            proposals: vec![],
            authenticated_data: bad,
        }],
    );
    // Level 0 of Bob's devices runs it (G_V's commit): V's pending commit in G_T.
    let laptop_early = net.people[1].devs[1].st.clone();
    let mut g_commit = Vec::new();
    for di in 0..2 {
        let name = net.people[1].devs[di].name.clone();
        for m in net.w.ds.read(&name, &name) {
            g_commit = m.clone();
            let out = net.people[1].devs[di]
                .st
                .process_emulation_message(&m)
                .unwrap();
            net.handle(&out);
        }
    }
    // The G_T commit now waits in both V queues: every device refuses it, at every level.
    let before = blobs(&net);
    let gt_epoch = net.people[0].devs[0]
        .st
        .level(1)
        .unwrap()
        .emulation_group()
        .epoch();
    let mut refused = 0;
    for pi in 0..2 {
        let queue = net.people[pi].queue.clone();
        let vc = net.people[pi].vc;
        for di in 0..2 {
            let name = net.people[pi].devs[di].name.clone();
            let msgs = net.w.ds.read(&queue, &name);
            assert_eq!(msgs.len(), 1);
            let st = &mut net.people[pi].devs[di].st;
            // A damaged copy is refused by level 0 already (MLS), changing nothing.
            let mut damaged = msgs[0].clone();
            *damaged.last_mut().unwrap() ^= 1;
            let blob = st.to_bytes().unwrap();
            assert!(matches!(
                st.process_group_message(0, vc, &damaged),
                Err(EmulatorError::Group(_))
            ));
            assert_eq!(st.to_bytes().unwrap(), blob);
            assert_eq!(
                st.process_group_message(0, vc, &msgs[0]).unwrap_err(),
                EmulatorError::UnknownVirtualClient(77)
            );
            refused += 1;
            if (pi, di) == (1, 1) {
                // The same G_T commit read by Bob's laptop before the G_V announcement: held,
                // then dropped when its turn comes, reported, and the laptop ends exactly as
                // the one that refused it directly.
                let mut early = laptop_early.clone();
                let out = early.process_group_message(0, 2, &msgs[0]).unwrap();
                assert!(out[0].events.contains(&Event::Buffered {
                    vc_id: 2,
                    group_id: GT.to_vec()
                }));
                assert_eq!(early.held_messages(), 1);
                let out = early.process_emulation_message(&g_commit).unwrap();
                assert!(out.iter().any(|le| le.level == 0
                    && le.events.contains(&Event::BufferedDropped {
                        vc_id: 2,
                        group_id: GT.to_vec(),
                        error: EmulatorError::UnknownVirtualClient(77),
                    })));
                assert_eq!(early.held_messages(), 0);
                assert_eq!(
                    early.to_bytes().unwrap(),
                    net.people[1].devs[1].st.to_bytes().unwrap()
                );
            }
        }
    }
    assert_eq!(refused, 4);
    let after = blobs(&net);
    // Bob's blobs changed only by the G_V commit (read before `before`); the refusal changed
    // nothing anywhere: same G_T epoch at level 0 and 1, same T, same everything.
    assert_eq!(before, after);
    for p in &net.people {
        for d in &p.devs {
            assert_eq!(d.st.level(1).unwrap().emulation_group().epoch(), gt_epoch);
            let vc = p.vc;
            assert_eq!(
                d.st.level(0).unwrap().vc_group(vc, GT).unwrap().epoch(),
                gt_epoch
            );
        }
    }
    net.assert_t_consistent();

    // A nested authenticated_data that is no announcement is refused at announce time,
    // before anything is sent, and changes nothing.
    let st = &mut net.people[0].devs[0].st;
    let before = st.to_bytes().unwrap();
    let err = st
        .announce(
            0,
            &[Request::Announce {
                vc_id: 1,
                group_id: GT.to_vec(),
                proposals: vec![],
                authenticated_data: vec![0],
            }],
            &mut common::rng(5),
        )
        .unwrap_err();
    assert!(matches!(err, EmulatorError::Announcement(_)), "{err:?}");
    let err = st
        .announce(
            0,
            &[Request::Announce {
                vc_id: 1,
                group_id: GT.to_vec(),
                proposals: vec![],
                // A SafeAAD without the virtual-clients item.
                authenticated_data: vmls_emulation::announce::encode_safe_aad(&[(7, b"x")])
                    .unwrap(),
            }],
            &mut common::rng(6),
        )
        .unwrap_err();
    assert_eq!(
        err,
        EmulatorError::Announcement(AnnouncementError::NotAnAnnouncement)
    );
    // A level-1 request that would fail (T is not in a group "nowhere") is refused by the dry
    // run, before the G commit exists.
    let err = st
        .announce(
            1,
            &[Request::Commit {
                vc_id: T,
                group_id: b"nowhere".to_vec(),
                proposals: vec![],
                include_pending: false,
            }],
            &mut common::rng(7),
        )
        .unwrap_err();
    assert_eq!(err, EmulatorError::NotInGroup { vc_id: T });
    assert_eq!(st.to_bytes().unwrap(), before);
    // Levels are bounded: no level above the top, no group twice, at most MAX_LEVELS.
    assert_eq!(st.level(2).unwrap_err(), EmulatorError::NoSuchLevel(2));
    assert_eq!(st.attach(1, GT).unwrap_err(), EmulatorError::NoSuchLevel(2));
    assert_eq!(st.to_bytes().unwrap(), before);
}

fn t_commit() -> Request {
    Request::Commit {
        vc_id: T,
        group_id: P.to_vec(),
        proposals: vec![],
        include_pending: false,
    }
}

#[test]
fn a_team_commit_read_before_its_announcement_is_held_then_applied() {
    let mut net = setup();
    let epoch = net.carol.epoch();
    // Alice's laptop announces T's update and (reading G) sends V's G_T commit.
    let mut r = net.w.rng();
    let commit = net.people[0].devs[1]
        .st
        .announce(1, &[t_commit()], &mut r)
        .unwrap();
    net.w.ds.send(&commit).unwrap();
    for m in net.w.ds.read("alice laptop", "alice laptop") {
        let out = net.people[0].devs[1]
            .st
            .process_emulation_message(&m)
            .unwrap();
        net.handle(&out);
    }
    // Alice's phone reads its person's queue first: V's own G_T commit, whose announcement
    // it has not seen. The stack holds it; nothing else changes.
    let phone = &mut net.people[0].devs[0].st;
    let gt_before = phone.level(1).unwrap().emulation_group().epoch();
    let t_before = phone.level(1).unwrap().virtual_client_bytes(T).unwrap();
    let msgs = net.w.ds.read("alice V", "alice phone");
    assert_eq!(msgs.len(), 1);
    let out = phone.process_group_message(0, 1, &msgs[0]).unwrap();
    assert_eq!(
        out,
        vec![LevelEvents {
            level: 0,
            own: false,
            events: vec![Event::Buffered {
                vc_id: 1,
                group_id: GT.to_vec()
            }]
        }]
    );
    assert_eq!(phone.held_messages(), 1);
    assert_eq!(phone.level(1).unwrap().emulation_group().epoch(), gt_before);
    assert_eq!(
        phone.level(1).unwrap().virtual_client_bytes(T).unwrap(),
        t_before
    );
    // The held message is part of the state blob.
    let blob = phone.to_bytes().unwrap();
    let restored = EmulationStack::from_bytes(&blob, EmulatorConfig::default()).unwrap();
    assert_eq!(restored.held_messages(), 1);
    assert_eq!(restored.to_bytes().unwrap(), blob);
    // Then G: the announcement runs, the held commit merges, level 1 runs T's commit.
    net.sync();
    let phone = &net.people[0].devs[0].st;
    assert_eq!(phone.held_messages(), 0);
    assert_eq!(
        phone.level(1).unwrap().emulation_group().epoch(),
        gt_before + 1
    );
    let got = net.carol_reads();
    assert_eq!(got.len(), 1);
    assert!(matches!(got[0], ProcessedMessage::Commit(_)));
    assert_eq!(net.carol.epoch(), epoch + 1);
    net.assert_t_consistent();
    net.assert_p_agrees();
}

#[test]
fn concurrent_team_commits_from_two_persons_one_wins_everywhere() {
    let mut net = setup();
    let epoch = net.carol.epoch();
    // Alice's phone and Bob's laptop announce a T update at the same G_T epoch (their own
    // G_V commits both go through: different groups).
    net.announce(0, 0, 1, &[t_commit()]);
    net.announce(1, 1, 1, &[t_commit()]);
    net.sync();
    // G_T's Delivery Service took Alice's V commit and refused Bob's.
    assert_eq!(net.refused.len(), 1);
    assert_eq!(
        vmls_emulation::message_group_id(&net.refused[0]).unwrap(),
        GT
    );
    // One T commit in P, followed by every device and Carol.
    let got = net.carol_reads();
    assert_eq!(got.len(), 1);
    assert_eq!(net.carol.epoch(), epoch + 1);
    net.assert_t_consistent();
    net.assert_p_agrees();
    // Bob's devices dropped V's lost G_T commit with the winner; Bob announces again.
    t_update(&mut net, 1, 1);
}

#[test]
fn three_levels_devices_person_team_org_use_the_same_code_path() {
    const GO: &[u8] = b"org O emulation group";
    const Q: &[u8] = b"org and dave";
    const O: u32 = 9;
    let mut w = World::new();
    let alice = w.person("alice", &["alice phone", "alice laptop"], 1);
    let required = vmls_tree::RequiredCapabilities {
        extension_types: vec![CBAM_EXTENSION_TYPE],
        proposal_types: vec![],
        credential_types: vec![],
    }
    .to_extension()
    .unwrap();
    let signer = SignatureKeyPair::generate(&mut w.rng());
    let mut r = w.rng();
    let dave = Group::create(
        Q,
        &params("dave"),
        &signer,
        vec![required],
        GroupConfig::default(),
        &mut r,
    )
    .unwrap();
    w.ds.create_group(Q, 0, &["dave"]);
    let mut per = to_stacks(alice);
    per.upper_queues = vec![(1, T, TQ.to_string()), (2, O, "org O".to_string())];
    let mut net = Net {
        w,
        people: vec![per],
        carol: dave,
        carol_sent: HashSet::new(),
        events: Vec::new(),
        welcomes: Vec::new(),
        refused: Vec::new(),
        carol_queue: "dave",
    };
    // Level 0: V creates G_T. Level 1: T is created and creates G_O. Level 2: O is created.
    net.announce(
        0,
        0,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: GT.to_vec(),
        }],
    );
    net.sync();
    net.w.ds.create_group(GT, 0, &["alice V"]);
    for d in &mut net.people[0].devs {
        d.st.attach(1, GT).unwrap();
    }
    net.announce(
        0,
        1,
        1,
        &[
            Request::CreateVirtualClient {
                vc_id: T,
                credential: Credential::Basic(b"team T".as_slice().into()),
            },
            Request::CreateGroup {
                vc_id: T,
                group_id: GO.to_vec(),
            },
        ],
    );
    net.sync();
    net.w.ds.create_group(GO, 0, &[TQ]);
    for d in &mut net.people[0].devs {
        d.st.attach(T, GO).unwrap();
        assert_eq!(d.st.depth(), 3);
        assert_eq!(d.st.link(2).unwrap(), (T, GO.to_vec()));
    }
    net.announce(
        0,
        0,
        2,
        &[
            Request::CreateVirtualClient {
                vc_id: O,
                credential: Credential::Basic(b"org O".as_slice().into()),
            },
            Request::PublishKeyPackages {
                vc_id: O,
                count: 1,
                lifetime: common::FOREVER,
            },
        ],
    );
    net.sync();
    let o_state = |net: &Net, di: usize| {
        net.people[0].devs[di]
            .st
            .level(2)
            .unwrap()
            .virtual_client_bytes(O)
            .unwrap()
    };
    for di in 0..2 {
        assert!(
            net.all_events(0, di, 2)
                .contains(&Event::VirtualClientCreated { vc_id: O })
        );
    }
    assert_eq!(o_state(&net, 0), o_state(&net, 1));
    // Dave adds O; O joins (announced at level 2 by the laptop).
    let kp = net.people[0].devs[0]
        .st
        .level(2)
        .unwrap()
        .key_packages(O)
        .unwrap()[0]
        .clone();
    let mut r = net.w.rng();
    let out = net
        .carol
        .commit(
            &CommitOptions {
                proposals: vec![Proposal::Add(Add { key_package: kp })],
                ratchet_tree_in_welcome: true,
                ..CommitOptions::default()
            },
            &mut r,
        )
        .unwrap();
    net.w.ds.send(&out.commit).unwrap();
    net.carol.merge_pending_commit().unwrap();
    net.carol_sent.insert(out.commit.clone());
    net.w.ds.add_member(Q, "org O");
    let welcome = out.welcome.unwrap();
    net.w.ds.send_to("org O", &welcome);
    net.sync();
    net.announce(0, 1, 2, &[Request::JoinGroup { vc_id: O, welcome }]);
    net.sync();
    // O commits in Q from the phone: Dave sees an ordinary commit from O's leaf.
    net.announce(
        0,
        0,
        2,
        &[Request::Commit {
            vc_id: O,
            group_id: Q.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    );
    net.sync();
    let o_leaf = net.people[0].devs[0]
        .st
        .level(2)
        .unwrap()
        .vc_group(O, Q)
        .unwrap()
        .own_leaf_index();
    let got = net.carol_reads();
    assert_eq!(got.len(), 1, "O's commit (Dave's own add skipped)");
    match &got[0] {
        ProcessedMessage::Commit(s) => {
            assert_eq!(s.sender, vmls_group::Sender::Member(o_leaf));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(net.carol.epoch(), 2);
    assert_eq!(o_state(&net, 0), o_state(&net, 1));
    for d in &net.people[0].devs {
        let g = d.st.level(2).unwrap().vc_group(O, Q).unwrap();
        assert_eq!(*g.epoch_authenticator(), *net.carol.epoch_authenticator());
    }
    // The laptop sends a CBAM as O: its context runs O's emulator T in G_O, T's emulator V in
    // G_T, the laptop in G_V (Q's level on top is added by Q's encrypt).
    let laptop = &mut net.people[0].devs[1].st;
    let ctx = laptop.challenge_context(2).unwrap();
    let want = [
        laptop.level(2).unwrap().emulation_group().challenge_level(),
        laptop.level(1).unwrap().emulation_group().challenge_level(),
        laptop.level(0).unwrap().emulation_group().challenge_level(),
    ];
    assert_eq!(ctx.levels(), &want);
    assert_eq!(
        [want[0].leaf_index, want[1].leaf_index, want[2].leaf_index],
        [0, 0, 1]
    );
    let phone_ctx = net.people[0].devs[0].st.challenge_context(2).unwrap();
    assert_eq!(phone_ctx.levels()[..2], ctx.levels()[..2]);
    assert_ne!(phone_ctx, ctx);
    let mut r = net.w.rng();
    let m = net.people[0].devs[1]
        .st
        .send_cbam(2, O, Q, b"", b"from the org", &mut r)
        .unwrap();
    net.w.ds.send(&m).unwrap();
    let dave_msgs = net.w.ds.read("dave", "dave");
    assert_eq!(dave_msgs.len(), 1);
    let mut out = vec![0u8; m.len()];
    let got = net.carol.decrypt_cbam(&dave_msgs[0], &mut out).unwrap();
    assert_eq!(got.sender, o_leaf);
    assert_eq!(&out[..got.len], b"from the org");
    net.sync();
    assert!(net.all_events(0, 0, 2).iter().any(|e| matches!(e,
        Event::Processed { vc_id: O, outcome: ProcessedMessage::Cbam { sender, data, .. }, .. }
            if *sender == o_leaf && data == b"from the org")));
    assert!(net.all_events(0, 1, 2).contains(&Event::OwnCbamEcho {
        vc_id: O,
        group_id: Q.to_vec()
    }));
    // Three-level blobs round-trip.
    for d in &net.people[0].devs {
        let blob = d.st.to_bytes().unwrap();
        let restored = EmulationStack::from_bytes(&blob, EmulatorConfig::default()).unwrap();
        assert_eq!(restored.depth(), 3);
        assert_eq!(restored.to_bytes().unwrap(), blob);
    }
}
