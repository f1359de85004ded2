//! Virtual-client mode (draft-kohbrok-mls-virtual-clients-03): per user an emulation group G
//! of its D devices, and one leaf V per user in every shared group.
use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_ds::DeliveryService;
use vmls_emulation::announce::{MAX_ACTIONS, MAX_COMMIT_PROPOSALS};
use vmls_emulation::{Emulator, EmulatorConfig, Event, Request};
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, KeyPackageParams, ProcessedMessage,
    PskStore, create_key_package,
};
use vmls_group::{Add, Proposal};
use vmls_tree::Credential;

use crate::meter::{DeviceId, Meter};
use crate::{CostError, FOREVER, Scenario, device_name, group_id, seeded, wire_format};

struct Device {
    name: String,
    em: Emulator,
    /// G application messages (provisioning chunks) this device sent.
    sent_app: Vec<Vec<u8>>,
}

struct Person {
    g_id: Vec<u8>,
    queue: String,
    vc: u32,
    devices: Vec<Device>,
}

/// One outgoing message of V: (group id, message, Welcome).
type Outgoing = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

/// U users, each a virtual client emulated by D devices, all in G shared groups.
pub struct VirtualWorld {
    ds: DeliveryService,
    people: Vec<Person>,
    group_ids: Vec<Vec<u8>>,
    rng: SeededPrng,
    config: EmulatorConfig,
    devices_per_user: usize,
}

fn params(name: &str) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(name.as_bytes(), FOREVER)
    }
}

/// The emulator configuration for `groups` shared groups (the default allows 64 groups per
/// virtual client; a larger G raises it).
pub fn emulator_config(groups: usize) -> EmulatorConfig {
    let mut c = EmulatorConfig::default();
    c.max_groups_per_vc = c.max_groups_per_vc.max(groups.saturating_add(1));
    c.max_key_packages = c.max_key_packages.max(groups.saturating_add(2));
    c
}

impl VirtualWorld {
    /// Builds the world: every user's emulation group and V (with G+1 KeyPackages); for each
    /// shared group, user 0's V creates it and adds every other V with one commit, and each
    /// other user announces the join.
    pub fn build(users: usize, devices: usize, groups: usize) -> Result<Self, CostError> {
        let mut w = Self {
            ds: DeliveryService::new(),
            people: Vec::new(),
            group_ids: Vec::new(),
            rng: seeded(0x5643),
            config: emulator_config(groups),
            devices_per_user: devices,
        };
        let mut scratch = Meter::default();
        for u in 0..users {
            w.person(u, devices, groups, &mut scratch)?;
        }
        for gi in 0..groups {
            w.shared_group(gi, &mut scratch)?;
        }
        w.ds.reset_traffic();
        Ok(w)
    }

    fn person(
        &mut self,
        u: usize,
        devices: usize,
        groups: usize,
        meter: &mut Meter,
    ) -> Result<(), CostError> {
        let g_id = format!("user {u:03} devices").into_bytes();
        let names: Vec<String> = (0..devices).map(|d| device_name(u, d)).collect();
        let first_name = names.first().ok_or(CostError::Params("no devices"))?;
        let mut first = Group::create(
            &g_id,
            &params(first_name),
            &SignatureKeyPair::generate(&mut self.rng),
            vec![],
            GroupConfig::default(),
            &mut self.rng,
        )?;
        let mut kps = Vec::new();
        for n in names.iter().skip(1) {
            kps.push(create_key_package::<Mls128ChaCha, _>(
                &params(n),
                &SignatureKeyPair::generate(&mut self.rng),
                &mut self.rng,
            )?);
        }
        let mut all = Vec::new();
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
                &mut self.rng,
            )?;
            first.merge_pending_commit()?;
            let welcome = out.welcome.ok_or(CostError::Scenario("no Welcome"))?;
            for (k, p) in &kps {
                all.push(Group::join_from_welcome_bytes(
                    &welcome,
                    k,
                    p,
                    None,
                    PskStore::new(),
                    GroupConfig::default(),
                )?);
            }
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        self.ds.create_group(&g_id, first.epoch(), &refs);
        all.insert(0, first);
        let vc = u32::try_from(u + 1).map_err(|_| CostError::Params("too many users"))?;
        self.people.push(Person {
            g_id,
            queue: format!("user {u:03} V"),
            vc,
            devices: names
                .into_iter()
                .zip(all)
                .map(|(name, g)| Device {
                    name,
                    em: Emulator::new(g, self.config),
                    sent_app: Vec::new(),
                })
                .collect(),
        });
        let count = u16::try_from(groups + 1).map_err(|_| CostError::Params("too many groups"))?;
        self.announce(
            u,
            0,
            &[
                Request::CreateVirtualClient {
                    vc_id: vc,
                    credential: Credential::Basic(format!("user {u}").into_bytes().into()),
                },
                Request::PublishKeyPackages {
                    vc_id: vc,
                    count,
                    lifetime: FOREVER,
                },
            ],
            meter,
        )?;
        self.sync_g(u, meter)?;
        Ok(())
    }

    fn shared_group(&mut self, gi: usize, meter: &mut Meter) -> Result<(), CostError> {
        let gid = group_id(gi);
        let vc0 = self
            .people
            .first()
            .map(|p| p.vc)
            .ok_or(CostError::Params("no users"))?;
        self.announce(
            0,
            0,
            &[Request::CreateGroup {
                vc_id: vc0,
                group_id: gid.clone(),
            }],
            meter,
        )?;
        self.sync_g(0, meter)?;
        let q0 = self.people[0].queue.clone();
        self.ds.create_group(&gid, 0, &[q0.as_str()]);
        let mut adds = Vec::new();
        for p in self.people.iter().skip(1) {
            let kp = p.devices[0]
                .em
                .key_packages(p.vc)?
                .into_iter()
                .next()
                .ok_or(CostError::Scenario("no KeyPackage left"))?;
            adds.push(Proposal::Add(Add { key_package: kp }));
        }
        // V commits at most `MAX_COMMIT_PROPOSALS` proposals per announced commit.
        for (batch, chunk) in adds.chunks(MAX_COMMIT_PROPOSALS).enumerate() {
            self.announce(
                0,
                0,
                &[Request::Commit {
                    vc_id: vc0,
                    group_id: gid.clone(),
                    proposals: chunk.to_vec(),
                    include_pending: false,
                }],
                meter,
            )?;
            let out = self.sync_g(0, meter)?;
            let (_, commit, welcome) = out
                .into_iter()
                .next()
                .ok_or(CostError::Scenario("no commit"))?;
            let welcome = welcome.ok_or(CostError::Scenario("no Welcome"))?;
            self.ds.send(&commit)?;
            let first = 1 + batch * MAX_COMMIT_PROPOSALS;
            for u in first..first + chunk.len() {
                let q = self.people[u].queue.clone();
                self.ds.add_member(&gid, &q);
                self.ds.send_to(&q, &welcome);
            }
            // V (and whoever already joined) processes the commit; the new members join.
            for u in 0..first {
                self.sync_v(u, meter)?;
            }
            for u in first..first + chunk.len() {
                self.sync_v(u, meter)?;
                let vc = self.people[u].vc;
                self.announce(
                    u,
                    0,
                    &[Request::JoinGroup {
                        vc_id: vc,
                        welcome: welcome.clone(),
                    }],
                    meter,
                )?;
                self.sync_g(u, meter)?;
            }
        }
        self.group_ids.push(gid);
        Ok(())
    }

    /// Fills every parent node of every shared group's tree: the V at every even leaf
    /// commits an UpdatePath (announced by its device 0), as [`crate::MultiWorld::warm`].
    pub fn warm(&mut self) -> Result<(), CostError> {
        let mut scratch = Meter::default();
        let gids = self.group_ids.clone();
        for u in (0..self.people.len()).step_by(2) {
            let vc = self.people[u].vc;
            for chunk in gids.chunks(MAX_ACTIONS) {
                let requests: Vec<Request> = chunk
                    .iter()
                    .map(|g| Request::Commit {
                        vc_id: vc,
                        group_id: g.clone(),
                        proposals: vec![],
                        include_pending: false,
                    })
                    .collect();
                self.announce(u, 0, &requests, &mut scratch)?;
                for (_, m, _) in self.sync_g(u, &mut scratch)? {
                    self.ds.send(&m)?;
                }
                for x in 0..self.people.len() {
                    self.sync_v(x, &mut scratch)?;
                }
            }
        }
        self.ds.reset_traffic();
        Ok(())
    }

    /// Device `d` of user `u` announces `requests` (metered) and sends the G commit.
    fn announce(
        &mut self,
        u: usize,
        d: usize,
        requests: &[Request],
        meter: &mut Meter,
    ) -> Result<(), CostError> {
        let dev = &mut self.people[u].devices[d];
        let commit = meter.step((u, d), || dev.em.announce(requests, &mut self.rng))?;
        self.ds.send(&commit)?;
        Ok(())
    }

    /// Every device of user `u` reads its G queue; returns the announcing device's outgoing
    /// messages.
    fn sync_g(&mut self, u: usize, meter: &mut Meter) -> Result<Vec<Outgoing>, CostError> {
        let mut outgoing = Vec::new();
        for (d, dev) in self.people[u].devices.iter_mut().enumerate() {
            for m in self.ds.read(&dev.name, &dev.name) {
                if dev.sent_app.contains(&m) {
                    continue;
                }
                let out = meter.step((u, d), || dev.em.process_emulation_message(&m))?;
                if out.own {
                    for e in out.events {
                        if let Event::Outgoing {
                            group_id,
                            message,
                            welcome,
                            ..
                        } = e
                        {
                            outgoing.push((group_id, message, welcome));
                        }
                    }
                }
            }
            dev.sent_app.clear();
        }
        Ok(outgoing)
    }

    /// Every device of user `u` reads V's queue; returns every CBAM payload each read.
    fn sync_v(&mut self, u: usize, meter: &mut Meter) -> Result<Vec<Vec<u8>>, CostError> {
        let p = &mut self.people[u];
        let mut read = Vec::new();
        for (d, dev) in p.devices.iter_mut().enumerate() {
            for m in self.ds.read(&p.queue, &dev.name) {
                let events = if wire_format(&m) == Some(3) {
                    meter.step((u, d), || dev.em.receive_welcome(p.vc, &m))?
                } else {
                    meter.step((u, d), || dev.em.process_group_message(p.vc, &m))?
                };
                for e in events {
                    if let Event::Processed {
                        outcome: ProcessedMessage::Cbam { data, .. },
                        ..
                    } = e
                    {
                        read.push(data);
                    }
                }
            }
        }
        Ok(read)
    }

    /// Leaves in shared group 0 (as user 0's first device sees it).
    pub fn leaves_per_group(&self) -> usize {
        let (Some(p), Some(gid)) = (self.people.first(), self.group_ids.first()) else {
            return 0;
        };
        p.devices
            .first()
            .and_then(|d| d.em.vc_group(p.vc, gid).ok())
            .map_or(0, Group::member_count)
    }

    /// Leaves in user 0's emulation group.
    pub fn emulation_group_leaves(&self) -> usize {
        self.people
            .first()
            .and_then(|p| p.devices.first())
            .map_or(0, |d| d.em.emulation_group().member_count())
    }

    /// The DS's counters since the last scenario started.
    pub fn traffic(&self) -> vmls_ds::Traffic {
        self.ds.traffic()
    }

    /// Runs one scenario and records what each device did.
    pub fn run(&mut self, scenario: Scenario, meter: &mut Meter) -> Result<(), CostError> {
        self.ds.reset_traffic();
        match scenario {
            Scenario::PcsUpdate => self.pcs_update(meter),
            Scenario::Message => self.message(meter),
            Scenario::AddDevice => self.add_device(meter),
            Scenario::RemoveDevice => self.remove_device(meter),
        }
    }

    /// V's update everywhere: device (0, 0) announces a Commit (with path) for every shared
    /// group, [`MAX_ACTIONS`] groups per announcement; every device of user 0 replays them;
    /// the S commits go to the shared groups and everyone processes them.
    fn pcs_update(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let vc = self.people[0].vc;
        let gids = self.group_ids.clone();
        for chunk in gids.chunks(MAX_ACTIONS) {
            let requests: Vec<Request> = chunk
                .iter()
                .map(|g| Request::Commit {
                    vc_id: vc,
                    group_id: g.clone(),
                    proposals: vec![],
                    include_pending: false,
                })
                .collect();
            self.announce(0, 0, &requests, meter)?;
            let out = self.sync_g(0, meter)?;
            if out.len() != chunk.len() {
                return Err(CostError::Scenario("a commit is missing"));
            }
            for (_, m, _) in out {
                self.ds.send(&m)?;
            }
            for u in 0..self.people.len() {
                self.sync_v(u, meter)?;
            }
        }
        Ok(())
    }

    /// One CBAM from device (0, 0) in group 0; every device of every user reads it.
    fn message(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let gid = self
            .group_ids
            .first()
            .cloned()
            .ok_or(CostError::Params("no groups"))?;
        let data = crate::message_payload();
        let vc = self.people[0].vc;
        let dev = &mut self.people[0].devices[0];
        let m = meter.step((0, 0), || {
            dev.em.send_cbam(vc, &gid, b"", &data, &mut self.rng)
        })?;
        self.ds.send(&m)?;
        for u in 0..self.people.len() {
            let read = self.sync_v(u, meter)?;
            // Every other device of every user reads it (the sender sees its echo).
            let readers = self.people[u].devices.len() - usize::from(u == 0);
            if read.len() != readers || read.iter().any(|r| *r != data) {
                return Err(CostError::Scenario("CBAM not read back by every device"));
            }
        }
        Ok(())
    }

    /// A new device of user 0: device (0, 0) adds it to the emulation group (an ordinary G
    /// commit), it joins from the Welcome, and device (0, 0) provisions it with V's state
    /// (an announcement, then the snapshot in G application messages). Nothing happens in
    /// the shared groups.
    fn add_device(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let new_id: DeviceId = (0, self.people[0].devices.len());
        let name = device_name(new_id.0, new_id.1);
        // The device's identity key exists before it joins anything: not counted.
        let signer = SignatureKeyPair::generate(&mut self.rng);
        let (kp, private) = meter.step(new_id, || {
            create_key_package::<Mls128ChaCha, _>(&params(&name), &signer, &mut self.rng)
        })?;
        let actor = &mut self.people[0].devices[0];
        let out = meter.step((0, 0), || {
            actor.em.emulation_group_mut().commit(
                &CommitOptions {
                    proposals: vec![Proposal::Add(Add {
                        key_package: kp.clone(),
                    })],
                    force_path: false,
                    ..CommitOptions::default()
                },
                &mut self.rng,
            )
        })?;
        self.ds.send(&out.commit)?;
        self.sync_g(0, meter)?;
        let g_id = self.people[0].g_id.clone();
        self.ds.add_member(&g_id, &name);
        let welcome = out.welcome.ok_or(CostError::Scenario("no Welcome"))?;
        self.ds.send_to(&name, &welcome);
        let w = self
            .ds
            .read(&name, &name)
            .into_iter()
            .next()
            .ok_or(CostError::Scenario("Welcome missing"))?;
        let g = meter.step(new_id, || {
            Group::join_from_welcome_bytes(
                &w,
                &kp,
                &private,
                None,
                PskStore::new(),
                GroupConfig::default(),
            )
        })?;
        let leaf = g.own_leaf_index();
        let queue = self.people[0].queue.clone();
        let first = self.people[0].devices[0].name.clone();
        self.ds.start_reader_at(&queue, &name, &first);
        self.people[0].devices.push(Device {
            name,
            em: Emulator::new_awaiting_provisioning(g, self.config),
            sent_app: Vec::new(),
        });
        let actor = &mut self.people[0].devices[0];
        let p = meter.step((0, 0), || actor.em.provision(leaf, &mut self.rng))?;
        self.ds.send(&p)?;
        self.sync_g(0, meter)?;
        let actor = &mut self.people[0].devices[0];
        let chunks = meter.step((0, 0), || actor.em.provisioning_messages(&mut self.rng))?;
        for c in &chunks {
            self.ds.send(c)?;
        }
        actor.sent_app = chunks;
        self.sync_g(0, meter)?;
        let actor = &mut self.people[0].devices[0];
        actor.em.finish_provisioning();
        let new = self.people[0]
            .devices
            .last()
            .ok_or(CostError::Scenario("new device missing"))?;
        if new.em.awaiting_provisioning() {
            return Err(CostError::Scenario("new device not provisioned"));
        }
        Ok(())
    }

    /// Device (0, D-1) is lost: device (0, 0) removes it from the emulation group and, in the
    /// same announcement, V commits (with path) in every shared group.
    fn remove_device(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let victim = self.devices_per_user.saturating_sub(1);
        if victim == 0 {
            return Err(CostError::Params(
                "removing a device needs 2 devices per user",
            ));
        }
        let leaf = self.people[0].devices[victim]
            .em
            .emulation_group()
            .own_leaf_index();
        let actor = &mut self.people[0].devices[0];
        let commit = meter.step((0, 0), || actor.em.remove_emulators(&[leaf], &mut self.rng))?;
        self.ds.send(&commit)?;
        let g_id = self.people[0].g_id.clone();
        let gone = self.people[0].devices.remove(victim);
        self.ds.remove_member(&g_id, &gone.name);
        let mut inner = Meter::default();
        let out = self.sync_g(0, &mut inner)?;
        if out.len() != self.group_ids.len() {
            return Err(CostError::Scenario("a commit is missing"));
        }
        for (_, m, _) in out {
            self.ds.send(&m)?;
        }
        for u in 0..self.people.len() {
            self.sync_v(u, &mut inner)?;
        }
        for ((u, d), ops) in inner.ops {
            let d = if u == 0 && d >= victim { d + 1 } else { d };
            let e = meter.ops.entry((u, d)).or_default();
            *e = e.plus(&ops);
        }
        for ((u, d), t) in inner.time {
            let d = if u == 0 && d >= victim { d + 1 } else { d };
            *meter.time.entry((u, d)).or_default() += t;
        }
        Ok(())
    }

    /// Access for the demo and tests: the emulator of device `d` of user `u`.
    pub fn emulator(&self, u: usize, d: usize) -> Option<&Emulator> {
        self.people.get(u)?.devices.get(d).map(|x| &x.em)
    }
}
