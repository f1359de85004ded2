//! `vmls demo`: the multi-device story of the virtual-clients draft
//! (draft-kohbrok-mls-virtual-clients-03, "Example protocol flow") on the in-memory Delivery
//! Service. Alice has three devices and Bob two; each is one virtual client (one leaf) in a
//! group they share with Carol, an ordinary single-device member. They send from several
//! devices in the same epoch; Alice's tablet updates for post-compromise security; her lost
//! phone is removed (and its kept state tried against what follows); a new laptop is added
//! and provisioned and sends as Alice at once. Every step records what each device sees
//! ([`Transcript`]) and prints it.
use core::fmt::Write as _;

use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_ds::DeliveryService;
use vmls_emulation::{Emulator, EmulatorConfig, EmulatorError, Event, Request};
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams,
    ProcessedMessage, PskStore, create_key_package,
};
use vmls_group::{Add, Proposal};
use vmls_tree::{Credential, Lifetime};

/// The shared group's id.
pub const SHARED: &[u8] = b"alice, bob and carol";

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

/// Why the demo stopped (a bug: the story has no failure in it but the lost phone's, which is
/// recorded, not returned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoError {
    /// The emulation layer refused a step.
    Emulator(EmulatorError),
    /// The group engine refused a step.
    Group(GroupError),
    /// The Delivery Service refused a message.
    Ds(vmls_ds::DsError),
    /// The cost report failed.
    Cost(vmls_cost::CostError),
    /// Something the story expects did not happen.
    Story(&'static str),
}

impl core::fmt::Display for DemoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Emulator(e) => write!(f, "emulation layer: {e}"),
            Self::Group(e) => write!(f, "group engine: {e}"),
            Self::Ds(e) => write!(f, "delivery service: {e:?}"),
            Self::Cost(e) => write!(f, "cost report: {e}"),
            Self::Story(s) => write!(f, "the story went wrong: {s}"),
        }
    }
}
impl std::error::Error for DemoError {}
impl From<EmulatorError> for DemoError {
    fn from(e: EmulatorError) -> Self {
        Self::Emulator(e)
    }
}
impl From<GroupError> for DemoError {
    fn from(e: GroupError) -> Self {
        Self::Group(e)
    }
}
impl From<vmls_ds::DsError> for DemoError {
    fn from(e: vmls_ds::DsError) -> Self {
        Self::Ds(e)
    }
}

/// A message sent: (label, sending device, plaintext).
pub type Sent = (String, String, String);

/// A commit V sends and its Welcome.
type Outgoing = (Vec<u8>, Option<Vec<u8>>);

/// What one device sees of one group at the end of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The device ("alice tablet", "carol").
    pub device: String,
    /// The group ("alice+bob+carol", "alice's devices").
    pub group: String,
    /// Leaves in that group's tree.
    pub leaves: usize,
    /// Its epoch.
    pub epoch: u64,
    /// Its epoch authenticator (RFC 9420 section 8.7), first 4 bytes in hex: equal on all
    /// devices that agree.
    pub authenticator: String,
}

/// One device's attempt to read one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The message's label ("m1").
    pub message: String,
    /// The reading device.
    pub reader: String,
    /// The plaintext, or the error.
    pub result: Result<String, String>,
}

/// One step of the story.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// What happened.
    pub title: String,
    /// Commits accepted in the shared group during the step.
    pub shared_commits: u64,
    /// Messages sent: (label, sending device, plaintext).
    pub sent: Vec<Sent>,
    /// Who read what.
    pub reads: Vec<Read>,
    /// Every device's view after the step.
    pub views: Vec<View>,
    /// Notes (errors shown, who announced what).
    pub notes: Vec<String>,
}

/// The whole story.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    /// The steps in order.
    pub steps: Vec<Step>,
    /// The cost table printed at the end (if asked for).
    pub cost_table: Option<String>,
}

struct Dev {
    name: String,
    em: Emulator,
    sent_app: Vec<Vec<u8>>,
}

struct Person {
    g_label: String,
    g_id: Vec<u8>,
    queue: String,
    vc: u32,
    devices: Vec<Dev>,
}

struct World {
    ds: DeliveryService,
    seed: u64,
    alice: Person,
    bob: Person,
    carol: Option<Group>,
    carol_signer: SignatureKeyPair,
    labels: Vec<(Vec<u8>, String)>,
    carol_sent: Vec<Vec<u8>>,
}

fn params(name: &str) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(name.as_bytes(), FOREVER)
    }
}

fn hex4(b: &[u8; 32]) -> String {
    b.iter().take(4).map(|x| format!("{x:02x}")).collect()
}

impl World {
    fn rng(&mut self) -> SeededPrng {
        self.seed += 1;
        let mut s = [0u8; 32];
        for (d, b) in s.iter_mut().zip(self.seed.to_be_bytes()) {
            *d = b;
        }
        s[31] = 0xDE;
        SeededPrng::from_seed(s)
    }

    fn person(&mut self, name: &str, devices: &[&str], vc: u32) -> Result<Person, DemoError> {
        let g_id = format!("{name}'s devices").into_bytes();
        let first_name = devices.first().ok_or(DemoError::Story("no devices"))?;
        let mut first = Group::create(
            &g_id,
            &params(first_name),
            &SignatureKeyPair::generate(&mut self.rng()),
            vec![],
            GroupConfig::default(),
            &mut self.rng(),
        )?;
        let mut kps = Vec::new();
        for d in devices.iter().skip(1) {
            kps.push(create_key_package::<Mls128ChaCha, _>(
                &params(d),
                &SignatureKeyPair::generate(&mut self.rng()),
                &mut self.rng(),
            )?);
        }
        let mut groups = vec![];
        if !kps.is_empty() {
            let out = first.commit(
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
                &mut self.rng(),
            )?;
            first.merge_pending_commit()?;
            let w = out.welcome.ok_or(DemoError::Story("no Welcome"))?;
            for (k, p) in &kps {
                groups.push(Group::join_from_welcome_bytes(
                    &w,
                    k,
                    p,
                    None,
                    PskStore::new(),
                    GroupConfig::default(),
                )?);
            }
        }
        self.ds.create_group(&g_id, first.epoch(), devices);
        groups.insert(0, first);
        let mut p = Person {
            g_label: format!("{name}'s devices"),
            g_id,
            queue: format!("{name} V"),
            vc,
            devices: devices
                .iter()
                .zip(groups)
                .map(|(n, g)| Dev {
                    name: n.to_string(),
                    em: Emulator::new(g, EmulatorConfig::default()),
                    sent_app: Vec::new(),
                })
                .collect(),
        };
        self.announce(
            &mut p,
            0,
            &[
                Request::CreateVirtualClient {
                    vc_id: vc,
                    credential: Credential::Basic(name.as_bytes().into()),
                },
                Request::PublishKeyPackages {
                    vc_id: vc,
                    count: 2,
                    lifetime: FOREVER,
                },
            ],
        )?;
        sync_g(&mut self.ds, &mut p)?;
        Ok(p)
    }

    fn announce(
        &mut self,
        p: &mut Person,
        d: usize,
        requests: &[Request],
    ) -> Result<(), DemoError> {
        let mut r = self.rng();
        let dev = p
            .devices
            .get_mut(d)
            .ok_or(DemoError::Story("no such device"))?;
        let commit = dev.em.announce(requests, &mut r)?;
        self.ds.send(&commit)?;
        Ok(())
    }

    fn label(&self, m: &[u8]) -> String {
        self.labels
            .iter()
            .find(|(b, _)| b == m)
            .map_or_else(|| "?".to_string(), |(_, l)| l.clone())
    }

    /// Every device of both people and Carol read their queues; application data is recorded.
    fn deliver(&mut self, step: &mut Step) -> Result<(), DemoError> {
        for who in [0, 1] {
            let p = if who == 0 {
                &mut self.alice
            } else {
                &mut self.bob
            };
            for dev in &mut p.devices {
                for m in self.ds.read(&p.queue, &dev.name) {
                    let label = self
                        .labels
                        .iter()
                        .find(|(b, _)| *b == m)
                        .map_or_else(|| "?".to_string(), |(_, l)| l.clone());
                    let events = if m.get(2..4) == Some(&[0, 3]) {
                        dev.em.receive_welcome(p.vc, &m)?
                    } else {
                        dev.em.process_group_message(p.vc, &m)?
                    };
                    for e in events {
                        if let Event::Processed {
                            outcome:
                                ProcessedMessage::Cbam { data, .. }
                                | ProcessedMessage::Application { data, .. },
                            ..
                        } = e
                        {
                            step.reads.push(Read {
                                message: label.clone(),
                                reader: dev.name.clone(),
                                result: Ok(String::from_utf8_lossy(&data).into_owned()),
                            });
                        }
                    }
                }
            }
        }
        if let Some(g) = self.carol.as_mut() {
            for m in self.ds.read("carol", "carol") {
                if self.carol_sent.contains(&m) {
                    continue; // her own message's echo
                }
                let label = self
                    .labels
                    .iter()
                    .find(|(b, _)| *b == m)
                    .map_or_else(|| "?".to_string(), |(_, l)| l.clone());
                match g.process_message(&m)? {
                    ProcessedMessage::Cbam { data, .. }
                    | ProcessedMessage::Application { data, .. } => step.reads.push(Read {
                        message: label,
                        reader: "carol".into(),
                        result: Ok(String::from_utf8_lossy(&data).into_owned()),
                    }),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn views(&self) -> Result<Vec<View>, DemoError> {
        let mut v = Vec::new();
        for p in [&self.alice, &self.bob] {
            for d in &p.devices {
                let g = d.em.emulation_group();
                v.push(View {
                    device: d.name.clone(),
                    group: p.g_label.clone(),
                    leaves: g.member_count(),
                    epoch: g.epoch(),
                    authenticator: hex4(g.epoch_authenticator()),
                });
                if let Ok(s) = d.em.vc_group(p.vc, SHARED) {
                    v.push(View {
                        device: d.name.clone(),
                        group: "alice+bob+carol".into(),
                        leaves: s.member_count(),
                        epoch: s.epoch(),
                        authenticator: hex4(s.epoch_authenticator()),
                    });
                }
            }
        }
        if let Some(g) = &self.carol {
            v.push(View {
                device: "carol".into(),
                group: "alice+bob+carol".into(),
                leaves: g.member_count(),
                epoch: g.epoch(),
                authenticator: hex4(g.epoch_authenticator()),
            });
        }
        Ok(v)
    }

    /// Device `d` of Alice (`who` 0) or Bob (1) sends `text` as a CBAM.
    fn cbam(
        &mut self,
        who: usize,
        d: usize,
        label: &str,
        text: &str,
    ) -> Result<(Vec<u8>, Sent), DemoError> {
        let mut r = self.rng();
        let p = if who == 0 {
            &mut self.alice
        } else {
            &mut self.bob
        };
        let vc = p.vc;
        let dev = p
            .devices
            .get_mut(d)
            .ok_or(DemoError::Story("no such device"))?;
        let m = dev.em.send_cbam(vc, SHARED, b"", text.as_bytes(), &mut r)?;
        let name = dev.name.clone();
        self.labels.push((m.clone(), label.to_string()));
        Ok((m, (label.to_string(), name, text.to_string())))
    }

    fn carol_says(&mut self, label: &str, text: &str) -> Result<(Vec<u8>, Sent), DemoError> {
        let mut r = self.rng();
        let g = self
            .carol
            .as_mut()
            .ok_or(DemoError::Story("carol is not in the group"))?;
        let mut buf = vec![0u8; g.application_message_len(0, text.len())];
        let n = g.encrypt_application(&[], text.as_bytes(), &mut r, &mut buf)?;
        buf.truncate(n);
        self.labels.push((buf.clone(), label.to_string()));
        self.carol_sent.push(buf.clone());
        Ok((buf, (label.to_string(), "carol".into(), text.to_string())))
    }
}

/// Every device of `p` reads its G queue; the announcing device's outgoing messages.
fn sync_g(ds: &mut DeliveryService, p: &mut Person) -> Result<Vec<Outgoing>, DemoError> {
    let mut out = Vec::new();
    for dev in &mut p.devices {
        for m in ds.read(&dev.name, &dev.name) {
            if dev.sent_app.contains(&m) {
                continue;
            }
            let o = dev.em.process_emulation_message(&m)?;
            if o.own {
                for e in o.events {
                    if let Event::Outgoing {
                        message, welcome, ..
                    } = e
                    {
                        out.push((message, welcome));
                    }
                }
            }
        }
        dev.sent_app.clear();
    }
    Ok(out)
}

/// Runs the story; `cost` is the cost table's parameters (none: no table).
pub fn run(cost: Option<vmls_cost::Params>) -> Result<Transcript, DemoError> {
    let mut w = World {
        ds: DeliveryService::new(),
        seed: 2026,
        alice: Person {
            g_label: String::new(),
            g_id: Vec::new(),
            queue: String::new(),
            vc: 0,
            devices: Vec::new(),
        },
        bob: Person {
            g_label: String::new(),
            g_id: Vec::new(),
            queue: String::new(),
            vc: 0,
            devices: Vec::new(),
        },
        carol: None,
        carol_signer: SignatureKeyPair::generate(&mut SeededPrng::from_seed([0xCA; 32])),
        labels: Vec::new(),
        carol_sent: Vec::new(),
    };
    let mut t = Transcript::default();

    // 1. Devices and virtual clients.
    let mut step = Step {
        title: "Alice's 3 devices and Bob's 2 each form an emulation group and create their virtual client".into(),
        ..Step::default()
    };
    w.alice = w.person(
        "alice",
        &["alice phone", "alice tablet", "alice laptop-old"],
        1,
    )?;
    w.bob = w.person("bob", &["bob phone", "bob laptop"], 2)?;
    step.notes.push("each emulation group announced CreateVirtualClient + PublishKeyPackages(2); every device holds V's keys by replay".into());
    step.views = w.views()?;
    t.steps.push(step);

    // 2. The shared group.
    let mut step = Step {
        title: "Alice (from her phone) creates the shared group and adds Bob's virtual client and Carol (one commit); Bob (from his laptop) announces the join".into(),
        ..Step::default()
    };
    let mut a = core::mem::replace(&mut w.alice, empty_person());
    w.announce(
        &mut a,
        0,
        &[Request::CreateGroup {
            vc_id: 1,
            group_id: SHARED.to_vec(),
        }],
    )?;
    sync_g(&mut w.ds, &mut a)?;
    w.ds.create_group(SHARED, 0, &["alice V"]);
    let bob_kp = w
        .bob
        .devices
        .first()
        .ok_or(DemoError::Story("bob has no device"))?
        .em
        .key_packages(2)?
        .into_iter()
        .next()
        .ok_or(DemoError::Story("bob has no KeyPackage"))?;
    let carol_signer = w.carol_signer.clone();
    let (carol_kp, carol_private) =
        create_key_package::<Mls128ChaCha, _>(&params("carol"), &carol_signer, &mut w.rng())?;
    w.announce(
        &mut a,
        0,
        &[Request::Commit {
            vc_id: 1,
            group_id: SHARED.to_vec(),
            proposals: vec![
                Proposal::Add(Add {
                    key_package: bob_kp,
                }),
                Proposal::Add(Add {
                    key_package: carol_kp.clone(),
                }),
            ],
            include_pending: false,
        }],
    )?;
    let (commit, welcome) = sync_g(&mut w.ds, &mut a)?
        .into_iter()
        .next()
        .ok_or(DemoError::Story("no commit"))?;
    let welcome = welcome.ok_or(DemoError::Story("no Welcome"))?;
    w.ds.send(&commit)?;
    step.shared_commits += 1;
    w.alice = a;
    w.ds.add_member(SHARED, "bob V");
    w.ds.add_member(SHARED, "carol");
    w.ds.send_to("bob V", &welcome);
    w.carol = Some(Group::join_from_welcome_bytes(
        &welcome,
        &carol_kp,
        &carol_private,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )?);
    w.deliver(&mut step)?;
    let mut b = core::mem::replace(&mut w.bob, empty_person());
    w.announce(&mut b, 1, &[Request::JoinGroup { vc_id: 2, welcome }])?;
    sync_g(&mut w.ds, &mut b)?;
    w.bob = b;
    step.views = w.views()?;
    t.steps.push(step);

    // 3. Concurrent messages: all encrypted in the same epoch before any is delivered.
    let mut step = Step {
        title: "Concurrent messages: Alice's phone and old laptop, Bob's laptop (CBAMs) and Carol (a PrivateMessage) all send in the same epoch before anything is delivered".into(),
        ..Step::default()
    };
    let mut out = Vec::new();
    for (m, s) in [
        w.cbam(0, 0, "m1", "alice phone: lunch at noon?")?,
        w.cbam(0, 2, "m2", "alice laptop-old: here is the agenda")?,
        w.cbam(1, 1, "m3", "bob laptop: noon works")?,
        w.carol_says("m4", "carol: count me in")?,
    ] {
        out.push(m);
        step.sent.push(s);
    }
    for m in &out {
        w.ds.send(m)?;
    }
    w.deliver(&mut step)?;
    step.views = w.views()?;
    t.steps.push(step);

    // 4. PCS update from the tablet.
    let mut step = Step {
        title: "Alice's tablet updates for post-compromise security: an announcement in Alice's emulation group (a commit with path) and V's commit with path in the shared group".into(),
        ..Step::default()
    };
    let mut a = core::mem::replace(&mut w.alice, empty_person());
    w.announce(
        &mut a,
        1,
        &[Request::Commit {
            vc_id: 1,
            group_id: SHARED.to_vec(),
            proposals: vec![],
            include_pending: false,
        }],
    )?;
    let out = sync_g(&mut w.ds, &mut a)?;
    w.alice = a;
    for (m, _) in &out {
        w.ds.send(m)?;
        step.shared_commits += 1;
    }
    w.deliver(&mut step)?;
    step.notes.push("every Alice device replayed the same commit from secrets of the announcement's epoch: their copies of V stay byte-identical".into());
    step.views = w.views()?;
    t.steps.push(step);

    // 5. The phone is lost.
    let mut step = Step {
        title: "Alice's phone is lost: her old laptop removes it from her emulation group and, in the same announcement, V commits with path in the shared group".into(),
        ..Step::default()
    };
    let lost = w
        .alice
        .devices
        .first()
        .ok_or(DemoError::Story("no phone"))?
        .em
        .clone();
    let lost_group = lost.vc_group(1, SHARED)?.clone();
    let phone_leaf = lost.emulation_group().own_leaf_index();
    let mut a = core::mem::replace(&mut w.alice, empty_person());
    let mut r = w.rng();
    let g_commit = a
        .devices
        .get_mut(2)
        .ok_or(DemoError::Story("no old laptop"))?
        .em
        .remove_emulators(&[phone_leaf], &mut r)?;
    w.ds.send(&g_commit)?;
    let phone = a.devices.remove(0);
    w.ds.remove_member(&a.g_id, &phone.name);
    let out = sync_g(&mut w.ds, &mut a)?;
    w.alice = a;
    let mut v_commit = Vec::new();
    for (m, _) in &out {
        w.ds.send(m)?;
        v_commit = m.clone();
        step.shared_commits += 1;
    }
    w.labels
        .push((v_commit.clone(), "V's commit after the removal".into()));
    w.deliver(&mut step)?;
    // Afterwards: Bob's phone and Carol send.
    let mut sent = Vec::new();
    for (m, s) in [
        w.cbam(1, 0, "m5", "bob phone: did Alice find her phone?")?,
        w.carol_says("m6", "carol: the new plan is secret")?,
    ] {
        w.ds.send(&m)?;
        sent.push(m);
        step.sent.push(s);
    }
    w.deliver(&mut step)?;
    step.notes.push("the lost phone's last state (an attacker's copy) tries what was sent after the removal: V's commit carries path secrets from the emulation group's new epoch, which the phone never saw, so it cannot follow V into the new epoch nor read anything in it".into());
    // The lost phone's state (an attacker's copy) tries everything sent since.
    for m in std::iter::once(&v_commit).chain(sent.iter()) {
        let mut g = lost_group.clone();
        let result = match g.process_message(m) {
            Ok(
                ProcessedMessage::Cbam { data, .. } | ProcessedMessage::Application { data, .. },
            ) => Ok(String::from_utf8_lossy(&data).into_owned()),
            Ok(other) => Ok(format!("{other:?}")),
            Err(e) => Err(e.to_string()),
        };
        step.reads.push(Read {
            message: w.label(m),
            reader: "alice phone (lost copy)".into(),
            result,
        });
    }
    step.views = w.views()?;
    t.steps.push(step);

    // 6. A new laptop.
    let mut step = Step {
        title: "Alice's new laptop: the old laptop adds it to her emulation group and provisions it with V's state; it sends as Alice at once".into(),
        ..Step::default()
    };
    let (kp, kp_private) = create_key_package::<Mls128ChaCha, _>(
        &params("alice laptop"),
        &SignatureKeyPair::generate(&mut w.rng()),
        &mut w.rng(),
    )?;
    let mut a = core::mem::replace(&mut w.alice, empty_person());
    let mut r = w.rng();
    let old = a
        .devices
        .get_mut(1)
        .ok_or(DemoError::Story("no old laptop"))?;
    let old_name = old.name.clone();
    let add = old.em.emulation_group_mut().commit(
        &CommitOptions {
            proposals: vec![Proposal::Add(Add {
                key_package: kp.clone(),
            })],
            ..CommitOptions::default()
        },
        &mut r,
    )?;
    w.ds.send(&add.commit)?;
    sync_g(&mut w.ds, &mut a)?;
    w.ds.add_member(&a.g_id, "alice laptop");
    let g = Group::join_from_welcome_bytes(
        &add.welcome.ok_or(DemoError::Story("no Welcome"))?,
        &kp,
        &kp_private,
        None,
        PskStore::new(),
        GroupConfig::default(),
    )?;
    let leaf = g.own_leaf_index();
    w.ds.start_reader_at(&a.queue, "alice laptop", &old_name);
    a.devices.push(Dev {
        name: "alice laptop".into(),
        em: Emulator::new_awaiting_provisioning(g, EmulatorConfig::default()),
        sent_app: Vec::new(),
    });
    let mut r = w.rng();
    let old = a
        .devices
        .get_mut(1)
        .ok_or(DemoError::Story("no old laptop"))?;
    let p = old.em.provision(leaf, &mut r)?;
    w.ds.send(&p)?;
    sync_g(&mut w.ds, &mut a)?;
    let mut r = w.rng();
    let old = a
        .devices
        .get_mut(1)
        .ok_or(DemoError::Story("no old laptop"))?;
    let chunks = old.em.provisioning_messages(&mut r)?;
    for c in &chunks {
        w.ds.send(c)?;
    }
    old.sent_app = chunks.clone();
    sync_g(&mut w.ds, &mut a)?;
    if let Some(old) = a.devices.get_mut(1) {
        old.em.finish_provisioning();
    }
    let provisioned = a
        .devices
        .last()
        .is_some_and(|d| !d.em.awaiting_provisioning());
    if !provisioned {
        return Err(DemoError::Story("the new laptop was not provisioned"));
    }
    step.notes.push(format!(
        "provisioning: one announcement, then V's state in {} G application message(s)",
        chunks.len()
    ));
    w.alice = a;
    let new_index = w.alice.devices.len() - 1;
    let (m, s) = w.cbam(0, new_index, "m7", "alice laptop: hello from my new laptop")?;
    w.ds.send(&m)?;
    step.sent.push(s);
    w.deliver(&mut step)?;
    step.views = w.views()?;
    t.steps.push(step);

    if let Some(p) = cost {
        t.cost_table = Some(vmls_cost::run(p).map_err(DemoError::Cost)?.to_markdown());
    }
    Ok(t)
}

fn empty_person() -> Person {
    Person {
        g_label: String::new(),
        g_id: Vec::new(),
        queue: String::new(),
        vc: 0,
        devices: Vec::new(),
    }
}

impl Transcript {
    /// The story as text, step by step.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (i, st) in self.steps.iter().enumerate() {
            let _ = writeln!(s, "== Step {}: {}", i + 1, st.title);
            if st.shared_commits > 0 {
                let _ = writeln!(
                    s,
                    "   commits accepted in the shared group: {}",
                    st.shared_commits
                );
            }
            for (label, from, text) in &st.sent {
                let _ = writeln!(s, "   sent {label} from {from}: \"{text}\"");
            }
            for n in &st.notes {
                let _ = writeln!(s, "   note: {n}");
            }
            for r in &st.reads {
                match &r.result {
                    Ok(text) => {
                        let _ = writeln!(s, "   {:<24} read {:<4} \"{text}\"", r.reader, r.message);
                    }
                    Err(e) => {
                        let _ = writeln!(s, "   {:<24} CANNOT read {}: {e}", r.reader, r.message);
                    }
                }
            }
            let _ = writeln!(
                s,
                "   {:<18} {:<17} {:>6} {:>6}  authenticator",
                "device", "group", "leaves", "epoch"
            );
            for v in &st.views {
                let _ = writeln!(
                    s,
                    "   {:<18} {:<17} {:>6} {:>6}  {}",
                    v.device, v.group, v.leaves, v.epoch, v.authenticator
                );
            }
            let _ = writeln!(s);
        }
        if let Some(c) = &self.cost_table {
            let _ = writeln!(s, "== Multi-client versus virtual-client costs (vmls cost)");
            s.push_str(c);
        }
        s
    }
}
