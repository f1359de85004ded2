//! A virtual client (issue 17, draft-kohbrok-mls-virtual-clients-03 section 5): role A is
//! Alice's virtual client V, emulated by three vmls-emulation devices (phone, laptop, tablet)
//! that share the emulation group G. V creates the group and adds B and C; then V's commits
//! are made by a different emulator each time (announced in G, replayed by the others), B and
//! C commit too, V commits a proposal of C by reference and B commits V's Update proposal.
//! Then one emulator device is removed (issue 18): V's commit in the same announcement carries
//! a new signature key in its UpdatePath leaf (derived from G's new epoch), which B and C must
//! accept and then verify V's next commit with.
//! After every step every emulator holds a byte-identical V (`virtual_client_bytes`) and all
//! members agree on the epoch, the exporter and the epoch authenticator. OpenMLS and mls-rs
//! cannot read CBAM, so V sends no application data here (the group still requires CBAM as a
//! capability, so B and C advertise it).
use std::cell::Cell;
use std::rc::Rc;

use vmls::codec::Decode;
use vmls::group::{MLSMessage, MLSMessageBody};
use vmls::{
    Add, CBAM_EXTENSION_TYPE, CommitOptions, Credential, Group, GroupConfig, KeyPackageParams,
    Lifetime, Mls128ChaCha, ProcessedMessage, Proposal, PskStore, Remove, SeededPrng,
    SignatureKeyPair, create_key_package,
};
use vmls_emulation::{Emulator, EmulatorConfig, Event, ProposalRequest, Request};

use super::Scenario;
use crate::harness::{A, B, C, Ctx, Done, Net};
use crate::party::{
    CommitRequest, CommitResult, Feature, INTEROP_EXT, Party, PartyConfig, Received, Res,
};

pub const SCENARIO: Scenario = Scenario {
    name: "virtual-client",
    about: "A is a virtual client of 3 vmls emulators; each commits for it in turn, B and C follow",
    run,
};

fn err<E: core::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

const VC: u32 = 1;
const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

/// V behind the adapter trait: every call runs on all emulators; the acting one rotates.
struct VirtualParty {
    devices: Vec<Emulator>,
    rng: SeededPrng,
    next: usize,
    group_id: Vec<u8>,
    pending: Option<Vec<u8>>,
    /// Set by the scenario: the next `commit` removes the last emulator device instead
    /// (`Emulator::remove_emulators`, which rotates V's signature key).
    remove_device: Rc<Cell<bool>>,
}

impl VirtualParty {
    fn new(seed: u8, remove_device: Rc<Cell<bool>>) -> Res<Self> {
        let mut rng = SeededPrng::from_seed([seed; 32]);
        let params = |n: &str| KeyPackageParams {
            extra_extension_types: vec![CBAM_EXTENSION_TYPE],
            ..KeyPackageParams::basic(n.as_bytes(), FOREVER)
        };
        let mut g = Group::create(
            b"alice devices",
            &params("alice phone"),
            &SignatureKeyPair::generate(&mut rng),
            vec![],
            GroupConfig::default(),
            &mut rng,
        )
        .map_err(err)?;
        let mut kps = Vec::new();
        for n in ["alice laptop", "alice tablet"] {
            let signer = SignatureKeyPair::generate(&mut rng);
            kps.push(
                create_key_package::<Mls128ChaCha, _>(&params(n), &signer, &mut rng)
                    .map_err(err)?,
            );
        }
        let out = g
            .commit(
                &CommitOptions {
                    proposals: kps
                        .iter()
                        .map(|(k, _)| {
                            Proposal::Add(Add {
                                key_package: k.clone(),
                            })
                        })
                        .collect(),
                    ..CommitOptions::default()
                },
                &mut rng,
            )
            .map_err(err)?;
        g.merge_pending_commit().map_err(err)?;
        let welcome = out.welcome.ok_or("no Welcome for the emulators")?;
        let mut devices = vec![Emulator::new(g, EmulatorConfig::default())];
        for (k, p) in &kps {
            let g = Group::join_from_welcome_bytes(
                &welcome,
                k,
                p,
                None,
                PskStore::new(),
                GroupConfig::default(),
            )
            .map_err(err)?;
            devices.push(Emulator::new(g, EmulatorConfig::default()));
        }
        let mut v = Self {
            devices,
            rng,
            next: 0,
            group_id: Vec::new(),
            pending: None,
            remove_device,
        };
        v.announce(&[Request::CreateVirtualClient {
            vc_id: VC,
            credential: Credential::Basic(b"alice".as_slice().into()),
        }])?;
        Ok(v)
    }

    /// The next emulator announces `requests` in G; every emulator (in G's order) processes
    /// the commit. Returns the announcer's `Outgoing` message, checking that every emulator
    /// computed the same bytes and holds the same V.
    fn announce(&mut self, requests: &[Request]) -> Res<Option<(Vec<u8>, Option<Vec<u8>>)>> {
        let by = self.next;
        self.next = (self.next + 1) % self.devices.len();
        let commit = self.devices[by]
            .announce(requests, &mut self.rng)
            .map_err(|e| format!("emulator {by} announce: {e:?}"))?;
        let mut outgoing: Vec<Option<(Vec<u8>, Option<Vec<u8>>)>> = Vec::new();
        for (i, d) in self.devices.iter_mut().enumerate() {
            let out = d
                .process_emulation_message(&commit)
                .map_err(|e| format!("emulator {i} processing the G commit: {e:?}"))?;
            if out.own != (i == by) {
                return Err(format!("emulator {i}: wrong `own` for the G commit"));
            }
            outgoing.push(out.events.into_iter().find_map(|e| match e {
                Event::Outgoing {
                    message, welcome, ..
                } => Some((message, welcome)),
                _ => None,
            }));
        }
        if outgoing.iter().any(|o| *o != outgoing[0]) {
            return Err("emulators computed different messages for V".into());
        }
        self.consistent()?;
        Ok(outgoing.swap_remove(by))
    }

    fn consistent(&self) -> Res<()> {
        let first = self.devices[0].virtual_client_bytes(VC).map_err(err)?;
        for (i, d) in self.devices.iter().enumerate().skip(1) {
            if d.virtual_client_bytes(VC).map_err(err)? != first {
                return Err(format!("V's state differs on emulator {i}"));
            }
        }
        Ok(())
    }

    fn g(&self) -> Res<&Group> {
        self.devices[0]
            .vc_group(VC, &self.group_id)
            .map_err(|e| format!("V has no group: {e:?}"))
    }

    fn outgoing(&mut self, requests: &[Request]) -> Res<(Vec<u8>, Option<Vec<u8>>)> {
        self.announce(requests)?
            .ok_or_else(|| "the announcement produced no message for V".to_string())
    }

    /// The next emulator removes the last device from G; every device processes the G commit
    /// (the removed one deletes V), and the others compute V's commit in the group, which
    /// installs V's new signature key. Returns that commit.
    fn remove_last_device(&mut self) -> Res<Vec<u8>> {
        let last = self.devices.len() - 1;
        let by = self.next % last;
        let leaf = self.devices[last].emulation_group().own_leaf_index();
        let old_key = self.devices[0].signature_public_key(VC).map_err(err)?;
        let commit = self.devices[by]
            .remove_emulators(&[leaf], &mut self.rng)
            .map_err(|e| format!("emulator {by} remove_emulators: {e:?}"))?;
        let mut outgoing = Vec::new();
        for (i, d) in self.devices.iter_mut().enumerate() {
            let out = d
                .process_emulation_message(&commit)
                .map_err(|e| format!("emulator {i} processing the removal: {e:?}"))?;
            if i == last {
                if out.events != vec![Event::EmulatorRemoved] {
                    return Err(format!("removed emulator: {:?}", out.events));
                }
                continue;
            }
            outgoing.push(out.events.into_iter().find_map(|e| match e {
                Event::Outgoing { message, .. } => Some(message),
                _ => None,
            }));
        }
        self.devices.truncate(last);
        self.next = (by + 1) % self.devices.len();
        if outgoing.iter().any(|o| *o != outgoing[0]) {
            return Err("emulators computed different commits for V".into());
        }
        self.consistent()?;
        let new_key = self.devices[0].signature_public_key(VC).map_err(err)?;
        if new_key == old_key {
            return Err("V's signature key was not rotated".into());
        }
        outgoing
            .swap_remove(0)
            .ok_or_else(|| "the removal produced no commit for V".to_string())
    }

    fn propose(&mut self, request: ProposalRequest) -> Res<Vec<u8>> {
        let gid = self.group_id.clone();
        Ok(self
            .outgoing(&[Request::Propose {
                vc_id: VC,
                group_id: gid,
                request,
            }])?
            .0)
    }
}

impl Party for VirtualParty {
    fn kind(&self) -> &'static str {
        "vmls-virtual"
    }
    fn key_package(&mut self) -> Res<Vec<u8>> {
        Err("not used: V creates the group".into())
    }
    fn create_group(&mut self, group_id: &[u8]) -> Res<()> {
        self.announce(&[Request::CreateGroup {
            vc_id: VC,
            group_id: group_id.to_vec(),
        }])?;
        self.group_id = group_id.to_vec();
        Ok(())
    }
    fn join_welcome(&mut self, _welcome: &[u8], _tree: Option<&[u8]>) -> Res<()> {
        Err("not used".into())
    }
    fn join_external(&mut self, _gi: &[u8], _resync: Option<u32>) -> Res<Vec<u8>> {
        Err("not used".into())
    }
    fn forget_group(&mut self) {}
    fn group_info(&mut self) -> Res<Vec<u8>> {
        self.g()?.group_info(true).map_err(err)
    }
    fn ratchet_tree(&self) -> Res<Vec<u8>> {
        self.g()?.ratchet_tree_bytes().map_err(err)
    }
    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult> {
        if !req.external_psks.is_empty() || req.required_extensions.is_some() {
            return Err("not used".into());
        }
        if self.remove_device.replace(false) {
            if !req.adds.is_empty() || !req.removes.is_empty() || req.by_reference {
                return Err("a device removal commits nothing else".into());
            }
            let commit = self.remove_last_device()?;
            self.pending = Some(commit.clone());
            return Ok(CommitResult {
                commit,
                welcome: None,
            });
        }
        let mut proposals = Vec::new();
        for kp in &req.adds {
            let MLSMessageBody::KeyPackage(key_package) =
                MLSMessage::decode_exact(kp).map_err(err)?.body
            else {
                return Err("not a KeyPackage".into());
            };
            proposals.push(Proposal::Add(Add { key_package }));
        }
        for &removed in &req.removes {
            proposals.push(Proposal::Remove(Remove { removed }));
        }
        let (commit, welcome) = self.outgoing(&[Request::Commit {
            vc_id: VC,
            group_id: self.group_id.clone(),
            proposals,
            include_pending: req.by_reference,
        }])?;
        self.pending = Some(commit.clone());
        Ok(CommitResult { commit, welcome })
    }
    /// The group's Delivery Service hands V's commit back: every emulator merges it as its own.
    fn merge_pending_commit(&mut self) -> Res<()> {
        let commit = self.pending.take().ok_or("no pending commit")?;
        for (i, d) in self.devices.iter_mut().enumerate() {
            let evs = d
                .process_group_message(VC, &commit)
                .map_err(|e| format!("emulator {i} merging V's commit: {e:?}"))?;
            if !matches!(
                evs.as_slice(),
                [Event::Processed {
                    outcome: ProcessedMessage::Commit(_),
                    ..
                }]
            ) {
                return Err(format!("emulator {i}: {evs:?} for V's own commit"));
            }
        }
        self.consistent()
    }
    fn propose_add(&mut self, key_package: &[u8]) -> Res<Vec<u8>> {
        let MLSMessageBody::KeyPackage(kp) =
            MLSMessage::decode_exact(key_package).map_err(err)?.body
        else {
            return Err("not a KeyPackage".into());
        };
        self.propose(ProposalRequest::Add(Box::new(kp)))
    }
    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>> {
        self.propose(ProposalRequest::Remove(leaf))
    }
    fn propose_update(&mut self) -> Res<Vec<u8>> {
        self.propose(ProposalRequest::Update)
    }
    fn process(&mut self, message: &[u8]) -> Res<Received> {
        let mut got = Vec::new();
        for (i, d) in self.devices.iter_mut().enumerate() {
            let evs = d
                .process_group_message(VC, message)
                .map_err(|e| format!("emulator {i}: {e:?}"))?;
            let r = match evs.as_slice() {
                [Event::Processed { outcome, .. }, ..] => match outcome {
                    ProcessedMessage::Commit(s) => Received::Commit {
                        self_removed: s.self_removed,
                    },
                    ProcessedMessage::Proposal { .. } => Received::Proposal,
                    ProcessedMessage::Application { data, .. }
                    | ProcessedMessage::Cbam { data, .. } => Received::Application(data.clone()),
                },
                other => return Err(format!("emulator {i}: {other:?}")),
            };
            got.push(r);
        }
        if got.iter().any(|r| *r != got[0]) {
            return Err(format!("emulators disagree: {got:?}"));
        }
        self.consistent()?;
        Ok(got.swap_remove(0))
    }
    fn send_application(&mut self, _data: &[u8]) -> Res<Vec<u8>> {
        Err("V sends CBAM only, which the peers cannot read".into())
    }
    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>> {
        let mut first: Option<Vec<u8>> = None;
        for d in &self.devices {
            let mut out = vec![0u8; len];
            d.vc_group(VC, &self.group_id)
                .map_err(err)?
                .export_secret(label.as_bytes(), context, &mut out)
                .map_err(err)?;
            match &first {
                Some(f) if *f != out => return Err("emulators export differently".into()),
                _ => first = Some(out),
            }
        }
        first.ok_or_else(|| "no emulator".into())
    }
    fn epoch_authenticator(&self) -> Res<Vec<u8>> {
        let a = self.g()?.epoch_authenticator().to_vec();
        for d in &self.devices {
            if d.vc_group(VC, &self.group_id)
                .map_err(err)?
                .epoch_authenticator()
                .as_slice()
                != a
            {
                return Err("emulators differ on the epoch authenticator".into());
            }
        }
        Ok(a)
    }
    fn epoch(&self) -> Res<u64> {
        Ok(self.g()?.epoch())
    }
    fn own_leaf(&self) -> Res<u32> {
        Ok(self.g()?.own_leaf_index())
    }
    fn member_count(&self) -> Res<usize> {
        Ok(self.g()?.member_count())
    }
    fn add_external_psk(&mut self, _id: &[u8], _secret: &[u8]) -> Res<()> {
        Err("not used".into())
    }
}

fn run(ctx: &Ctx) -> Result<Done, String> {
    if ctx.kinds[A] != "vmls" {
        return Ok(Done::Skip("A is the vmls virtual client".into()));
    }
    if let Err(skip) = ctx.require(Feature::PrivateHandshake) {
        return Ok(skip);
    }
    // V's groups use the emulator's default configuration: handshake as PrivateMessage.
    let cfg = PartyConfig {
        handshake_private: true,
        extension_types: vec![INTEROP_EXT, CBAM_EXTENSION_TYPE],
        ..PartyConfig::default()
    };
    let remove_device = Rc::new(Cell::new(false));
    let v = ctx.adopt(
        A,
        "A-vmls-virtual",
        Box::new(VirtualParty::new(0x56, remove_device.clone())?),
    );
    let b = ctx.party(B, &cfg)?;
    let c = ctx.party(C, &cfg)?;
    // The phone creates the group as V, the laptop adds B and C.
    let mut net = Net::create(ctx, v)?;
    net.handshake = "PrivateMessage";
    net.add(0, vec![b, c])?;
    // The tablet, then B, the phone, C, the laptop: V's commits come from every emulator.
    for by in [0, 1, 0, 2, 0] {
        net.commit_agree(by, &CommitRequest::update())?;
    }
    // C proposes an update; V (the tablet) commits it by reference.
    let p = net.m[2].p.propose_update()?;
    net.deliver(2, &p)?;
    net.commit_agree(
        0,
        &CommitRequest {
            by_reference: true,
            ..CommitRequest::update()
        },
    )?;
    // V (the phone) proposes an Update of its leaf; B commits it by reference.
    let p = net.m[0].p.propose_update()?;
    for (i, r) in net.deliver(0, &p)? {
        if r != Received::Proposal {
            return Err(format!("{} got {r:?} for V's proposal", net.m[i].name));
        }
    }
    net.commit_agree(
        1,
        &CommitRequest {
            by_reference: true,
            ..CommitRequest::update()
        },
    )?;
    // The tablet is removed from G: V's commit (same announcement) rotates V's signature key
    // in its UpdatePath leaf. B and C accept it; V's next commit is signed with the new key.
    remove_device.set(true);
    net.commit_agree(0, &CommitRequest::update())?;
    net.commit_agree(1, &CommitRequest::update())?;
    net.commit_agree(0, &CommitRequest::update())?;
    // V removes C, then C's kind commits nothing more; B updates.
    let c_leaf = net.leaf(2)?;
    net.commit_agree(0, &CommitRequest::remove(vec![c_leaf]))?;
    net.commit_agree(1, &CommitRequest::update())?;
    Ok(Done::Pass)
}
