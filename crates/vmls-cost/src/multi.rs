//! Multi-client mode (draft-robert-mls-multi-device-modes-00): every device is an ordinary
//! member with its own leaf in every shared group.
use std::collections::BTreeMap;

use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
use vmls_ds::DeliveryService;
use vmls_group::group::{
    CommitOptions, Group, GroupConfig, KeyPackageParams, ProcessedMessage, PskStore,
    create_key_package,
};
use vmls_group::{Add, Proposal, Remove};

use crate::meter::{DeviceId, Meter};
use crate::{CostError, FOREVER, Scenario, device_name, group_id, seeded, wire_format};

struct Device {
    name: String,
    signer: SignatureKeyPair,
    groups: BTreeMap<Vec<u8>, Group>,
    /// Messages this device sent (their echo from the DS is its own).
    sent: Vec<Vec<u8>>,
}

/// U users with D devices each, all devices members of G shared groups.
pub struct MultiWorld {
    ds: DeliveryService,
    users: Vec<Vec<Device>>,
    group_ids: Vec<Vec<u8>>,
    rng: SeededPrng,
    devices_per_user: usize,
}

fn params(name: &str) -> KeyPackageParams {
    KeyPackageParams::basic(name.as_bytes(), FOREVER)
}

impl MultiWorld {
    /// Builds the world: for each group, the first device of user 0 creates it and adds every
    /// other device with one commit; they join from the Welcome.
    pub fn build(users: usize, devices: usize, groups: usize) -> Result<Self, CostError> {
        let mut rng = seeded(0x4d55);
        let mut all: Vec<Vec<Device>> = (0..users)
            .map(|u| {
                (0..devices)
                    .map(|d| Device {
                        name: device_name(u, d),
                        signer: SignatureKeyPair::generate(&mut rng),
                        groups: BTreeMap::new(),
                        sent: Vec::new(),
                    })
                    .collect()
            })
            .collect();
        let mut ds = DeliveryService::new();
        let config = GroupConfig::default();
        let mut group_ids = Vec::new();
        for gi in 0..groups {
            let gid = group_id(gi);
            let creator = &all[0][0];
            let mut g = Group::create(
                &gid,
                &params(&creator.name),
                &creator.signer,
                vec![],
                config,
                &mut rng,
            )?;
            let mut kps = Vec::new();
            for (u, devs) in all.iter().enumerate() {
                for (d, dev) in devs.iter().enumerate() {
                    if (u, d) != (0, 0) {
                        let kp = create_key_package::<Mls128ChaCha, _>(
                            &params(&dev.name),
                            &dev.signer,
                            &mut rng,
                        )?;
                        kps.push(((u, d), kp));
                    }
                }
            }
            let out = g.commit(
                &CommitOptions {
                    proposals: kps
                        .iter()
                        .map(|(_, (kp, _))| {
                            Proposal::Add(Add {
                                key_package: kp.clone(),
                            })
                        })
                        .collect(),
                    ..CommitOptions::default()
                },
                &mut rng,
            )?;
            g.merge_pending_commit()?;
            let welcome = out.welcome.ok_or(CostError::Scenario("no Welcome"))?;
            for ((u, d), (kp, private)) in &kps {
                let joined = Group::join_from_welcome_bytes(
                    &welcome,
                    kp,
                    private,
                    None,
                    PskStore::new(),
                    config,
                )?;
                all[*u][*d].groups.insert(gid.clone(), joined);
            }
            let names: Vec<String> = all.iter().flatten().map(|d| d.name.clone()).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            ds.create_group(&gid, g.epoch(), &names);
            all[0][0].groups.insert(gid.clone(), g);
            group_ids.push(gid);
        }
        ds.reset_traffic();
        Ok(Self {
            ds,
            users: all,
            group_ids,
            rng,
            devices_per_user: devices,
        })
    }

    /// Fills every parent node of every group's tree (RFC 9420 section 7: after a batch Add
    /// only the committer's direct path is set, every other parent is blank): the device at
    /// every even leaf commits an UpdatePath, so each parent node lies on some committer's
    /// direct path. This is the steady state of a group whose members update now and then.
    pub fn warm(&mut self) -> Result<(), CostError> {
        let mut scratch = Meter::default();
        let d = self.devices_per_user;
        for u in 0..self.users.len() {
            for dd in 0..d {
                if !(u * d + dd).is_multiple_of(2) {
                    continue;
                }
                let dev = &mut self.users[u][dd];
                for gid in &self.group_ids {
                    let g = dev
                        .groups
                        .get_mut(gid)
                        .ok_or(CostError::Scenario("device not in group"))?;
                    let out = g.commit(
                        &CommitOptions {
                            force_path: true,
                            ..CommitOptions::default()
                        },
                        &mut self.rng,
                    )?;
                    self.ds.send(&out.commit)?;
                    dev.sent.push(out.commit);
                }
                self.deliver(&mut scratch)?;
            }
        }
        self.ds.reset_traffic();
        Ok(())
    }

    /// Leaves in shared group 0.
    pub fn leaves_per_group(&self) -> usize {
        self.users
            .first()
            .and_then(|u| u.first())
            .and_then(|d| d.groups.values().next())
            .map_or(0, Group::member_count)
    }

    /// Every device reads its queue and processes what it finds (its own commits are merged).
    fn deliver(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        for (u, devs) in self.users.iter_mut().enumerate() {
            for (d, dev) in devs.iter_mut().enumerate() {
                for m in self.ds.read(&dev.name, &dev.name) {
                    let Some((gid, _, is_commit)) = vmls_ds::header(&m) else {
                        continue; // Welcomes are read by the scenario that expects them
                    };
                    let g = dev
                        .groups
                        .get_mut(&gid)
                        .ok_or(CostError::Scenario("message for an unknown group"))?;
                    if dev.sent.contains(&m) {
                        if is_commit {
                            meter.step((u, d), || g.merge_pending_commit())?;
                        }
                        continue;
                    }
                    meter.step((u, d), || g.process_message(&m))?;
                }
                dev.sent.clear();
            }
        }
        Ok(())
    }

    /// Runs one scenario and returns what each device did.
    pub fn run(&mut self, scenario: Scenario, meter: &mut Meter) -> Result<(), CostError> {
        self.ds.reset_traffic();
        match scenario {
            Scenario::PcsUpdate => self.pcs_update(meter),
            Scenario::Message => self.message(meter),
            Scenario::AddDevice => self.add_device(meter),
            Scenario::RemoveDevice => self.remove_device(meter),
        }
    }

    /// The DS's counters since the last scenario started.
    pub fn traffic(&self) -> vmls_ds::Traffic {
        self.ds.traffic()
    }

    /// One device heals: it commits an UpdatePath in every shared group.
    fn pcs_update(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let actor = &mut self.users[0][0];
        for gid in &self.group_ids {
            let g = actor
                .groups
                .get_mut(gid)
                .ok_or(CostError::Scenario("actor not in group"))?;
            let out = meter.step((0, 0), || {
                g.commit(
                    &CommitOptions {
                        force_path: true,
                        ..CommitOptions::default()
                    },
                    &mut self.rng,
                )
            })?;
            self.ds.send(&out.commit)?;
            actor.sent.push(out.commit);
        }
        self.deliver(meter)
    }

    /// One application message (PrivateMessage) from device (0, 0) in group 0.
    fn message(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let actor = &mut self.users[0][0];
        let gid = self
            .group_ids
            .first()
            .ok_or(CostError::Params("no groups"))?;
        let g = actor
            .groups
            .get_mut(gid)
            .ok_or(CostError::Scenario("actor not in group"))?;
        let data = crate::message_payload();
        let mut buf = vec![0u8; g.application_message_len(0, data.len())];
        let n = meter.step((0, 0), || {
            g.encrypt_application(&[], &data, &mut self.rng, &mut buf)
        })?;
        buf.truncate(n);
        self.ds.send(&buf)?;
        actor.sent.push(buf);
        // Receivers check what they got.
        for (u, devs) in self.users.iter_mut().enumerate() {
            for (d, dev) in devs.iter_mut().enumerate() {
                for m in self.ds.read(&dev.name, &dev.name) {
                    if dev.sent.contains(&m) {
                        continue;
                    }
                    let g = dev
                        .groups
                        .get_mut(gid)
                        .ok_or(CostError::Scenario("receiver not in group"))?;
                    match meter.step((u, d), || g.process_message(&m))? {
                        ProcessedMessage::Application { data: got, .. } if got == data => {}
                        _ => return Err(CostError::Scenario("message not read back")),
                    }
                }
                dev.sent.clear();
            }
        }
        Ok(())
    }

    /// A new device of user 0 (its signature key made beforehand): it publishes one
    /// KeyPackage per group, device (0, 0) adds it
    /// in every group (an Add-only commit, no path: RFC 9420 section 12.4), it joins each from
    /// the Welcome.
    fn add_device(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let new_id: DeviceId = (0, self.users[0].len());
        let name = device_name(new_id.0, new_id.1);
        // The device's identity key exists before it joins anything: not counted.
        let signer = SignatureKeyPair::generate(&mut self.rng);
        let mut kps = Vec::new();
        for _ in &self.group_ids {
            kps.push(meter.step(new_id, || {
                create_key_package::<Mls128ChaCha, _>(&params(&name), &signer, &mut self.rng)
            })?);
        }
        let actor = &mut self.users[0][0];
        for (gid, (kp, _)) in self.group_ids.iter().zip(&kps) {
            let g = actor
                .groups
                .get_mut(gid)
                .ok_or(CostError::Scenario("actor not in group"))?;
            let out = meter.step((0, 0), || {
                g.commit(
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
            actor.sent.push(out.commit);
            self.ds.add_member(gid, &name);
            let welcome = out.welcome.ok_or(CostError::Scenario("no Welcome"))?;
            self.ds.send_to(&name, &welcome);
        }
        self.deliver(meter)?;
        let mut dev = Device {
            name: name.clone(),
            signer,
            groups: BTreeMap::new(),
            sent: Vec::new(),
        };
        let welcomes = self.ds.read(&name, &name);
        if welcomes.len() != kps.len() {
            return Err(CostError::Scenario("Welcome missing"));
        }
        for ((gid, (kp, private)), w) in self.group_ids.iter().zip(&kps).zip(&welcomes) {
            if wire_format(w) != Some(3) {
                return Err(CostError::Scenario("not a Welcome"));
            }
            let g = meter.step(new_id, || {
                Group::join_from_welcome_bytes(
                    w,
                    kp,
                    private,
                    None,
                    PskStore::new(),
                    GroupConfig::default(),
                )
            })?;
            dev.groups.insert(gid.clone(), g);
        }
        self.users[0].push(dev);
        Ok(())
    }

    /// Device (0, D-1) is lost: device (0, 0) removes its leaf in every group (a Remove
    /// commit, which carries a path: RFC 9420 section 12.4).
    fn remove_device(&mut self, meter: &mut Meter) -> Result<(), CostError> {
        let victim = self.devices_per_user.saturating_sub(1);
        if victim == 0 {
            return Err(CostError::Params(
                "removing a device needs 2 devices per user",
            ));
        }
        let victim_dev = self.users[0].remove(victim);
        for gid in &self.group_ids {
            let leaf = victim_dev
                .groups
                .get(gid)
                .map(Group::own_leaf_index)
                .ok_or(CostError::Scenario("victim not in group"))?;
            let actor = &mut self.users[0][0];
            let g = actor
                .groups
                .get_mut(gid)
                .ok_or(CostError::Scenario("actor not in group"))?;
            let out = meter.step((0, 0), || {
                g.commit(
                    &CommitOptions {
                        proposals: vec![Proposal::Remove(Remove { removed: leaf })],
                        ..CommitOptions::default()
                    },
                    &mut self.rng,
                )
            })?;
            self.ds.send(&out.commit)?;
            self.ds.remove_member(gid, &victim_dev.name);
            actor.sent.push(out.commit);
        }
        // The removed device keeps its device index out of the table: re-key the meter so
        // indices stay those of the remaining devices.
        self.deliver_after_removal(meter, victim)
    }

    /// `deliver`, with meter ids of the devices after `victim` shifted back to their
    /// original index.
    fn deliver_after_removal(&mut self, meter: &mut Meter, victim: usize) -> Result<(), CostError> {
        let mut inner = Meter::default();
        self.deliver(&mut inner)?;
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

    /// Number of devices of user 0 now.
    pub fn devices_of_user0(&self) -> usize {
        self.users.first().map_or(0, Vec::len)
    }
}
