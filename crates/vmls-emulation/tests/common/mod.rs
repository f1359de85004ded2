//! A world of people, each a virtual client emulated by several devices, and an in-memory
//! Delivery Service.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    missing_docs
)]

use vmls_crypto::{SeededPrng, SignatureKeyPair};
use vmls_ds::DeliveryService;
use vmls_emulation::{Emulator, EmulatorConfig, Event, Request};
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, KeyPackageParams, PskStore,
    create_key_package,
};
use vmls_group::{Add, Proposal};
use vmls_tree::{Credential, Lifetime};

pub const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

pub fn rng(seed: u64) -> SeededPrng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    s[31] = 0xE5;
    SeededPrng::from_seed(s)
}

pub fn params(name: &str) -> KeyPackageParams {
    KeyPackageParams {
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(name.as_bytes(), FOREVER)
    }
}

pub struct Device {
    pub name: String,
    pub em: Emulator,
}

pub struct Person {
    pub name: String,
    pub g_id: Vec<u8>,
    pub queue: String,
    pub vc: u32,
    pub devices: Vec<Device>,
}

pub struct World {
    pub ds: DeliveryService,
    pub seed: u64,
}

/// What one G sync produced on the device that announced.
#[derive(Default, Debug)]
pub struct Synced {
    /// Per device, every event.
    pub events: Vec<Vec<Event>>,
    /// Outgoing messages of the announcing device.
    pub outgoing: Vec<(Vec<u8>, Vec<u8>, Option<Vec<u8>>)>,
}

impl World {
    pub fn new() -> Self {
        Self {
            ds: DeliveryService::new(),
            seed: 1000,
        }
    }

    pub fn rng(&mut self) -> SeededPrng {
        self.seed += 1;
        rng(self.seed)
    }

    /// A person with `devices` emulators in G (created by the first, the others added by
    /// Welcome) and virtual client `vc` with two KeyPackages.
    pub fn person(&mut self, name: &str, devices: &[&str], vc: u32) -> Person {
        self.person_with(name, devices, vc, EmulatorConfig::default())
    }

    pub fn person_with(
        &mut self,
        name: &str,
        devices: &[&str],
        vc: u32,
        config: EmulatorConfig,
    ) -> Person {
        let g_id = format!("{name} devices").into_bytes();
        let mut first = Group::create(
            &g_id,
            &params(devices[0]),
            &SignatureKeyPair::generate(&mut self.rng()),
            vec![],
            GroupConfig::default(),
            &mut self.rng(),
        )
        .unwrap();
        let mut kps = Vec::new();
        for d in &devices[1..] {
            let kp = create_key_package::<vmls_crypto::Mls128ChaCha, _>(
                &params(d),
                &SignatureKeyPair::generate(&mut self.rng()),
                &mut self.rng(),
            )
            .unwrap();
            kps.push(kp);
        }
        let mut groups = vec![];
        if !kps.is_empty() {
            let out = first
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
                    &mut self.rng(),
                )
                .unwrap();
            first.merge_pending_commit().unwrap();
            let w = out.welcome.unwrap();
            for (k, p) in &kps {
                groups.push(
                    Group::join_from_welcome_bytes(
                        &w,
                        k,
                        p,
                        None,
                        PskStore::new(),
                        GroupConfig::default(),
                    )
                    .unwrap(),
                );
            }
        }
        self.ds.create_group(&g_id, first.epoch(), devices);
        let mut all = vec![first];
        all.extend(groups);
        let devices: Vec<Device> = devices
            .iter()
            .zip(all)
            .map(|(n, g)| Device {
                name: n.to_string(),
                em: Emulator::new(g, config),
            })
            .collect();
        let mut p = Person {
            name: name.to_string(),
            g_id,
            queue: format!("{name} V"),
            vc,
            devices,
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
        );
        self.sync_g(&mut p);
        p.assert_consistent();
        p
    }

    /// Device `d` announces `requests` and sends the G commit to G's DS.
    pub fn announce(&mut self, p: &mut Person, d: usize, requests: &[Request]) {
        let mut r = self.rng();
        let commit = p.devices[d].em.announce(requests, &mut r).unwrap();
        self.ds.send(&commit).unwrap();
    }

    /// Every device of `p` reads its G queue.
    pub fn sync_g(&mut self, p: &mut Person) -> Synced {
        let mut s = Synced::default();
        for d in 0..p.devices.len() {
            let one = self.sync_g_device(p, d);
            s.outgoing.extend(one.outgoing);
            s.events.extend(one.events);
        }
        s
    }

    /// Device `d` of `p` reads its G queue.
    pub fn sync_g_device(&mut self, p: &mut Person, d: usize) -> Synced {
        let mut s = Synced::default();
        let dev = &mut p.devices[d];
        let mut evs = Vec::new();
        for m in self.ds.read(&dev.name, &dev.name) {
            let out = dev.em.process_emulation_message(&m).unwrap();
            if out.own {
                for e in &out.events {
                    if let Event::Outgoing {
                        group_id,
                        message,
                        welcome,
                        ..
                    } = e
                    {
                        s.outgoing
                            .push((group_id.clone(), message.clone(), welcome.clone()));
                    }
                }
            }
            evs.extend(out.events);
        }
        s.events.push(evs);
        s
    }

    /// Device `d` of `p` reads V's queue (Welcomes and group messages).
    pub fn sync_v_device(&mut self, p: &mut Person, d: usize) -> Vec<Event> {
        let dev = &mut p.devices[d];
        let mut evs = Vec::new();
        for m in self.ds.read(&p.queue, &dev.name) {
            if u16::from_be_bytes([m[2], m[3]]) == 3 {
                evs.extend(dev.em.receive_welcome(p.vc, &m).unwrap());
            } else {
                evs.extend(dev.em.process_group_message(p.vc, &m).unwrap());
            }
        }
        evs
    }

    /// Every device of `p` reads V's queue.
    pub fn sync_v(&mut self, p: &mut Person) -> Vec<Vec<Event>> {
        (0..p.devices.len())
            .map(|d| self.sync_v_device(p, d))
            .collect()
    }
}

impl Person {
    /// Every device holds a byte-identical V.
    pub fn assert_consistent(&self) {
        let first = self.devices[0].em.virtual_client_bytes(self.vc).unwrap();
        for d in &self.devices[1..] {
            assert!(
                d.em.virtual_client_bytes(self.vc).unwrap() == first,
                "{}: V's state differs on {}",
                self.name,
                d.name
            );
        }
    }

    pub fn group(&self, d: usize, gid: &[u8]) -> &Group {
        self.devices[d].em.vc_group(self.vc, gid).unwrap()
    }
}

/// All devices of all people agree on S's epoch authenticator.
pub fn assert_agree(people: &[&Person], gid: &[u8]) {
    let want = *people[0].group(0, gid).epoch_authenticator();
    for p in people {
        p.assert_consistent();
        for d in 0..p.devices.len() {
            assert_eq!(
                *p.group(d, gid).epoch_authenticator(),
                want,
                "{} device {d}",
                p.name
            );
        }
    }
}
