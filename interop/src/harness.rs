//! The scenario runtime: members of one group, message delivery over wire bytes, agreement
//! checks, and the recording of messages for the hostile-input run.
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use crate::party::{
    CommitRequest, CommitResult, EXPORTER_LABEL, Feature, HostileTarget, Party, PartyConfig,
    Received, Res,
};
use crate::peers;

/// The three roles of a scenario: creator, joiner, third member.
pub const A: usize = 0;
/// The joiner.
pub const B: usize = 1;
/// The third member.
pub const C: usize = 2;

/// Wraps the party of a role (negative controls).
pub type Wrap<'a> = &'a dyn Fn(usize, Box<dyn Party>) -> Box<dyn Party>;

/// A message a peer sent to a hostile-input target, with the target captured just before.
pub struct Recorded {
    /// Scenario that produced it.
    pub scenario: &'static str,
    /// Sending implementation.
    pub from: &'static str,
    /// `"welcome"` or the wire format of the message.
    pub what: String,
    /// The message.
    pub message: Vec<u8>,
    /// The receiver as it was.
    pub target: Box<dyn HostileTarget>,
}

/// How a scenario ended (a failure is an `Err`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// Every check held.
    Pass,
    /// Not run, with the reason.
    Skip(String),
}

/// What a scenario gets: the implementations of roles A, B, C and the hooks.
pub struct Ctx<'a> {
    /// Implementations of A, B, C.
    pub kinds: [&'static str; 3],
    /// Scenario name (for recordings).
    pub scenario: &'static str,
    wrap: Wrap<'a>,
    recorder: Option<&'a RefCell<Vec<Recorded>>>,
    seq: Cell<u64>,
    /// Every message some party was given to process (for the negative controls).
    pub consumed: RefCell<HashSet<Vec<u8>>>,
}

impl<'a> Ctx<'a> {
    /// A context for one run.
    pub fn new(
        kinds: [&'static str; 3],
        scenario: &'static str,
        wrap: Wrap<'a>,
        recorder: Option<&'a RefCell<Vec<Recorded>>>,
    ) -> Self {
        Self {
            kinds,
            scenario,
            wrap,
            recorder,
            seq: Cell::new(0),
            consumed: RefCell::new(HashSet::new()),
        }
    }

    fn seed(&self) -> u64 {
        self.seq.set(self.seq.get() + 1);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.scenario.bytes().chain(self.kinds.concat().bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        h ^ self.seq.get()
    }

    /// The party of `role`, configured with `config` (wrapped if the run wraps that role).
    pub fn party(&self, role: usize, config: &PartyConfig) -> Res<Member> {
        let kind = self.kinds[role];
        let name = format!("{}-{kind}", ["A", "B", "C"][role]);
        let seed = self.seed();
        let p = peers::make(kind, name.as_bytes(), config, seed)?;
        Ok(Member::new(name, (self.wrap)(role, p)))
    }

    /// A client the scenario built itself (e.g. a virtual client), playing `role`: wrapped
    /// like [`Ctx::party`] so the negative controls reach it too.
    pub fn adopt(&self, role: usize, name: &str, p: Box<dyn Party>) -> Member {
        Member::new(name.to_string(), (self.wrap)(role, p))
    }

    /// An extra client (not wrapped) of `kind`.
    pub fn extra(&self, kind: &'static str, name: &str, config: &PartyConfig) -> Res<Member> {
        let name = format!("{name}-{kind}");
        let seed = self.seed();
        Ok(Member::new(
            name.clone(),
            peers::make(kind, name.as_bytes(), config, seed)?,
        ))
    }

    /// Notes that a party was given `m` to process, in a step whose failure fails the scenario.
    pub fn consume(&self, m: &[u8]) {
        self.consumed.borrow_mut().insert(m.to_vec());
    }

    /// Skips unless every implementation of the scenario supports `feature`.
    pub fn require(&self, feature: Feature) -> Result<(), Done> {
        for k in self.kinds {
            let p = peers::make(k, b"probe", &PartyConfig::default(), 0).map_err(Done::Skip)?;
            if let Err(why) = p.supports(feature) {
                return Err(Done::Skip(format!("{k}: {why}")));
            }
        }
        Ok(())
    }

    fn record(&self, from: &'static str, to: &Member, what: String, message: &[u8]) {
        let Some(rec) = self.recorder else { return };
        if from == to.p.kind() {
            return;
        }
        let target = if what == "welcome" {
            None
        } else {
            to.p.hostile_target()
        };
        if let Some(target) = target {
            rec.borrow_mut().push(Recorded {
                scenario: self.scenario,
                from,
                what,
                message: message.to_vec(),
                target,
            });
        }
    }

    fn record_welcome(&self, from: &'static str, to: &Member, welcome: &[u8], tree: Option<&[u8]>) {
        let Some(rec) = self.recorder else { return };
        if from == to.p.kind() {
            return;
        }
        if let Some(target) = to.p.hostile_welcome_target(tree) {
            rec.borrow_mut().push(Recorded {
                scenario: self.scenario,
                from,
                what: if tree.is_some() {
                    "welcome (tree out of band)".into()
                } else {
                    "welcome".into()
                },
                message: welcome.to_vec(),
                target,
            });
        }
    }
}

/// One client in a scenario.
pub struct Member {
    /// Display name, e.g. `B-openmls`.
    pub name: String,
    /// The client.
    pub p: Box<dyn Party>,
    /// In the group.
    pub active: bool,
}

impl Member {
    fn new(name: String, p: Box<dyn Party>) -> Self {
        Self {
            name,
            p,
            active: false,
        }
    }
}

/// The wire format of an encoded MLSMessage.
pub fn wire_format(m: &[u8]) -> String {
    match m.get(2..4) {
        Some([0, 1]) => "PublicMessage".into(),
        Some([0, 2]) => "PrivateMessage".into(),
        Some([0, 3]) => "Welcome".into(),
        Some([0, 4]) => "GroupInfo".into(),
        Some([0, 5]) => "KeyPackage".into(),
        _ => "unknown".into(),
    }
}

/// The members of one group (index = position in `m`).
pub struct Net<'c, 'a> {
    /// The scenario context.
    pub ctx: &'c Ctx<'a>,
    /// Everyone who is or was a member.
    pub m: Vec<Member>,
    /// Wire format every member's commits must have.
    pub handshake: &'static str,
}

impl<'c, 'a> Net<'c, 'a> {
    /// A group created by `creator`.
    pub fn create(ctx: &'c Ctx<'a>, mut creator: Member) -> Res<Self> {
        creator
            .p
            .create_group(b"interop group")
            .map_err(|e| format!("{} create: {e}", creator.name))?;
        creator.active = true;
        Ok(Self {
            ctx,
            m: vec![creator],
            handshake: "PublicMessage",
        })
    }

    /// Delivers `msg` from member `from` to every other active member; returns what each did.
    pub fn deliver(&mut self, from: usize, msg: &[u8]) -> Res<Vec<(usize, Received)>> {
        let from_kind = self.m[from].p.kind();
        let mut out = Vec::new();
        for i in 0..self.m.len() {
            if i == from || !self.m[i].active {
                continue;
            }
            self.ctx
                .record(from_kind, &self.m[i], wire_format(msg), msg);
            self.ctx.consume(msg);
            let r = self.m[i].p.process(msg).map_err(|e| {
                format!(
                    "{} rejected {} from {}: {e}",
                    self.m[i].name,
                    wire_format(msg),
                    self.m[from].name
                )
            })?;
            if r == (Received::Commit { self_removed: true }) {
                self.m[i].active = false;
            }
            out.push((i, r));
        }
        Ok(out)
    }

    /// `by` commits `req`; everyone else processes it; `by` merges. Returns the output.
    pub fn commit(&mut self, by: usize, req: &CommitRequest) -> Res<CommitResult> {
        for kp in &req.adds {
            self.ctx.consume(kp);
        }
        let out = self.m[by]
            .p
            .commit(req)
            .map_err(|e| format!("{} commit: {e}", self.m[by].name))?;
        if wire_format(&out.commit) != self.handshake {
            return Err(format!(
                "{} sent its commit as {}, {} expected",
                self.m[by].name,
                wire_format(&out.commit),
                self.handshake
            ));
        }
        let got = self.deliver(by, &out.commit)?;
        for (i, r) in got {
            if !matches!(r, Received::Commit { .. }) {
                return Err(format!("{} saw {r:?} for a commit", self.m[i].name));
            }
        }
        self.m[by]
            .p
            .merge_pending_commit()
            .map_err(|e| format!("{} merge: {e}", self.m[by].name))?;
        Ok(out)
    }

    /// `by` commits `req` and the new members in `joiners` (their KeyPackages are in
    /// `req.adds`, in order) join from the Welcome; with `tree_oob` they get the tree out of
    /// band. Agreement is checked afterwards.
    pub fn commit_welcome(
        &mut self,
        by: usize,
        req: &CommitRequest,
        joiners: Vec<Member>,
        tree_oob: bool,
    ) -> Res<Vec<usize>> {
        let out = self.commit(by, req)?;
        let tree = if tree_oob {
            Some(self.m[by].p.ratchet_tree()?)
        } else {
            None
        };
        let mut idx = Vec::new();
        if !joiners.is_empty() {
            let welcome = out.welcome.ok_or("commit with Adds but no Welcome")?;
            if let Some(t) = &tree {
                // A Welcome that carried the tree would be longer than the tree itself.
                if welcome.len() >= t.len() {
                    return Err(format!(
                        "{}'s Welcome ({} bytes) seems to carry the tree ({} bytes)",
                        self.m[by].name,
                        welcome.len(),
                        t.len()
                    ));
                }
            }
            let from_kind = self.m[by].p.kind();
            for mut j in joiners {
                self.ctx
                    .record_welcome(from_kind, &j, &welcome, tree.as_deref());
                self.ctx.consume(&welcome);
                j.p.join_welcome(&welcome, tree.as_deref()).map_err(|e| {
                    format!("{} join from {}'s Welcome: {e}", j.name, self.m[by].name)
                })?;
                j.active = true;
                self.m.push(j);
                idx.push(self.m.len() - 1);
            }
        }
        self.agree()?;
        Ok(idx)
    }

    /// Adds `joiners` in one commit by `by` (tree in the Welcome) and checks agreement.
    pub fn add(&mut self, by: usize, mut joiners: Vec<Member>) -> Res<Vec<usize>> {
        let mut kps = Vec::new();
        for j in &mut joiners {
            kps.push(
                j.p.key_package()
                    .map_err(|e| format!("{} key package: {e}", j.name))?,
            );
        }
        self.commit_welcome(by, &CommitRequest::add(kps), joiners, false)
    }

    /// A commit by `by` without Welcome, then the agreement check.
    pub fn commit_agree(&mut self, by: usize, req: &CommitRequest) -> Res<()> {
        self.commit(by, req)?;
        self.agree()
    }

    /// Every active member agrees on the epoch, `MLS-Exporter("interop", "", 32)` and the
    /// epoch authenticator.
    pub fn agree(&self) -> Res<()> {
        let active: Vec<&Member> = self.m.iter().filter(|m| m.active).collect();
        if active.len() < 2 {
            return Ok(());
        }
        let first = active[0];
        let e0 = first.p.epoch()?;
        let x0 = first.p.export(EXPORTER_LABEL, b"", 32)?;
        let a0 = first.p.epoch_authenticator()?;
        let n0 = first.p.member_count()?;
        for m in &active[1..] {
            let e = m.p.epoch()?;
            if e != e0 {
                return Err(format!("epoch: {} {e0}, {} {e}", first.name, m.name));
            }
            if m.p.export(EXPORTER_LABEL, b"", 32)? != x0 {
                return Err(format!(
                    "exporter differs between {} and {} (epoch {e0})",
                    first.name, m.name
                ));
            }
            if m.p.epoch_authenticator()? != a0 {
                return Err(format!(
                    "epoch authenticator differs between {} and {} (epoch {e0})",
                    first.name, m.name
                ));
            }
            if m.p.member_count()? != n0 {
                return Err(format!(
                    "member count differs: {} vs {}",
                    first.name, m.name
                ));
            }
        }
        if n0 != active.len() {
            return Err(format!(
                "{} members in the tree, {} expected",
                n0,
                active.len()
            ));
        }
        Ok(())
    }

    /// Every active member sends `data`-tagged application data; every other one decrypts it.
    pub fn chat(&mut self, tag: &str) -> Res<()> {
        for i in 0..self.m.len() {
            if !self.m[i].active {
                continue;
            }
            let data = format!("{tag}: hello from {}", self.m[i].name).into_bytes();
            let msg = self.m[i]
                .p
                .send_application(&data)
                .map_err(|e| format!("{} encrypt: {e}", self.m[i].name))?;
            for (j, r) in self.deliver(i, &msg)? {
                if r != Received::Application(data.clone()) {
                    return Err(format!(
                        "{} got {r:?} for {}'s application message",
                        self.m[j].name, self.m[i].name
                    ));
                }
            }
        }
        Ok(())
    }

    /// Leaf index of member `i` as it reports it.
    pub fn leaf(&self, i: usize) -> Res<u32> {
        self.m[i].p.own_leaf()
    }
}

/// A, B, C in one group: A creates and adds B and C in one commit (tree in the Welcome).
pub fn setup3<'c, 'a>(ctx: &'c Ctx<'a>, config: &PartyConfig) -> Res<Net<'c, 'a>> {
    let a = ctx.party(A, config)?;
    let b = ctx.party(B, config)?;
    let c = ctx.party(C, config)?;
    let mut net = Net::create(ctx, a)?;
    if config.handshake_private {
        net.handshake = "PrivateMessage";
    }
    net.add(0, vec![b, c])?;
    Ok(net)
}
