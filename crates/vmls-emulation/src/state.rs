//! The emulator's versioned state blob.
//!
//! ```text
//! struct {
//!   uint16 version = 2;
//!   opaque emulation_group<V>;                 // Group::to_bytes of this emulator's G state
//!   VirtualClientState virtual_clients<V>;
//!   struct { uint64 epoch; opaque vc_epoch_secret[32]; } seeds<V>;
//!   struct { uint32 vc_id; opaque group_id<V>; opaque message<V>; } buffered<V>;
//!   struct { uint64 g_epoch; uint32 counter; VirtualClientAction action; } deferred<V>;
//!   struct { uint32 vc_id; opaque digest[32]; opaque welcome<V>; } welcomes<V>;
//!   struct { uint32 vc_id; opaque group_id<V>; uint64 epoch; uint64 generation; } cbam_counters<V>;
//!   opaque sent_cbams[32]<V>;
//!   struct { uint32 vc_id; opaque group_blob<V>; } retired<V>;   // V's group before an abandoned commit
//!   struct { uint32 vc_id; opaque group_id<V>; uint64 epoch; uint64 g_epoch; } expired<V>;
//!   opaque provisioning<V>;                    // crate::provision (empty: none in progress)
//! } EmulatorState;
//! struct {
//!   uint32 vc_id; Credential credential; opaque signature_seed[32];
//!   opaque groups<V>;                          // each: opaque group_blob<V>
//!   struct { KeyPackage key_package; KeyPackagePrivate private; } key_packages<V>;
//! } VirtualClientState;                        // identical on every emulator of G
//! ```
//! The blob holds secrets (G's and V's): store it protected. Restoring an older blob can reuse
//! CBAM generations and replay KeyPackages: the rule of docs/embedding.md for group blobs applies.
//! The [`EmulatorConfig`] is not in the blob: the application passes it to
//! [`Emulator::from_bytes`].
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Reader, encode_opaque};
use vmls_crypto::Secret;
use vmls_group::KeyPackage;
use vmls_group::group::{Group, KeyPackagePrivate};
use vmls_tree::Credential;

use crate::announce::VirtualClientAction;
use crate::emulator::{
    Buffered, CbamCounter, Deferred, Emulator, EmulatorConfig, Expired, Retired, VirtualClient,
};
use crate::error::{EmulatorError, Store};

/// Version of the state blob this build writes. Version 2 added `retired` and `expired`;
/// version 1 blobs (without them) are still read.
pub const EMULATOR_STATE_VERSION: u16 = 2;

fn opaque_of<F>(out: &mut Vec<u8>, f: F) -> Result<(), EmulatorError>
where
    F: FnOnce(&mut Vec<u8>) -> Result<(), EmulatorError>,
{
    let mut body = Vec::new();
    f(&mut body)?;
    encode_opaque(out, &body)?;
    Ok(())
}

fn secret(r: &mut Reader<'_>) -> Result<Secret, EmulatorError> {
    Ok(Secret::from_bytes(r.read_array::<32>()?))
}

fn bounded(n: usize, max: usize, store: Store) -> Result<(), EmulatorError> {
    if n >= max {
        return Err(EmulatorError::Full(store));
    }
    Ok(())
}

impl VirtualClient {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EmulatorError> {
        self.vc_id.encode(out)?;
        self.credential.encode(out)?;
        out.extend_from_slice(self.signature_seed.as_bytes());
        opaque_of(out, |b| {
            for g in &self.groups {
                encode_opaque(b, &g.to_bytes()?)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for (kp, private) in &self.key_packages {
                kp.encode(b)?;
                private.encode(b)?;
            }
            Ok(())
        })
    }

    fn decode_from(r: &mut Reader<'_>, config: &EmulatorConfig) -> Result<Self, EmulatorError> {
        let vc_id = u32::decode(r)?;
        let credential = Credential::decode(r)?;
        let signature_seed = secret(r)?;
        let mut groups = Vec::new();
        let mut gr = Reader::new(r.read_opaque()?);
        while !gr.is_empty() {
            bounded(groups.len(), config.max_groups_per_vc, Store::Groups)?;
            groups.push(Group::from_bytes(gr.read_opaque()?)?);
        }
        let mut key_packages = Vec::new();
        let mut kr = Reader::new(r.read_opaque()?);
        while !kr.is_empty() {
            bounded(
                key_packages.len(),
                config.max_key_packages,
                Store::KeyPackages,
            )?;
            let kp = KeyPackage::decode(&mut kr)?;
            let private = KeyPackagePrivate::decode(&mut kr)?;
            key_packages.push((kp, private));
        }
        Ok(Self {
            vc_id,
            credential,
            signature_seed,
            groups,
            key_packages,
        })
    }
}

impl Emulator {
    /// V's whole state (credential, signature key, every group, unused KeyPackages) as the
    /// `VirtualClientState` encoding: byte-identical on every emulator once all have processed
    /// the same messages (this emulator's own pending CBAM echoes aside).
    pub fn virtual_client_bytes(&self, vc_id: u32) -> Result<Vec<u8>, EmulatorError> {
        let vc = self
            .vcs
            .iter()
            .find(|v| v.vc_id == vc_id)
            .ok_or(EmulatorError::UnknownVirtualClient(vc_id))?;
        let mut out = Vec::new();
        vc.encode_into(&mut out)?;
        Ok(out)
    }

    /// Everything after `emulation_group`; without this device's own CBAM counters and sent
    /// digests unless `local` (a provisioning snapshot, `crate::provision`).
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>, local: bool) -> Result<(), EmulatorError> {
        opaque_of(out, |b| {
            for vc in &self.vcs {
                vc.encode_into(b)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for (e, s) in &self.seeds {
                e.encode(b)?;
                b.extend_from_slice(s.as_bytes());
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for x in &self.buffered {
                x.vc_id.encode(b)?;
                encode_opaque(b, &x.group_id)?;
                encode_opaque(b, &x.message)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for d in &self.deferred {
                d.g_epoch.encode(b)?;
                d.counter.encode(b)?;
                d.action.encode(b)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for (v, d, w) in &self.welcomes {
                v.encode(b)?;
                b.extend_from_slice(d);
                encode_opaque(b, w)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for c in self.cbam_counters.iter().filter(|_| local) {
                c.vc_id.encode(b)?;
                encode_opaque(b, &c.group_id)?;
                c.epoch.encode(b)?;
                c.generation.encode(b)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for d in self.sent_cbams.iter().filter(|_| local) {
                b.extend_from_slice(d);
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for x in &self.retired {
                x.vc_id.encode(b)?;
                encode_opaque(b, &x.group.to_bytes()?)?;
            }
            Ok(())
        })?;
        opaque_of(out, |b| {
            for x in &self.expired {
                x.vc_id.encode(b)?;
                encode_opaque(b, &x.group_id)?;
                x.epoch.encode(b)?;
                x.g_epoch.encode(b)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The state blob (see the module documentation).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EmulatorError> {
        let mut out = Vec::new();
        EMULATOR_STATE_VERSION.encode(&mut out)?;
        encode_opaque(&mut out, &self.g.to_bytes()?)?;
        self.encode_body(&mut out, true)?;
        opaque_of(&mut out, |b| self.encode_provisioning(b))?;
        Ok(out)
    }

    /// Restores a state blob written by [`Emulator::to_bytes`], with the limits `config`
    /// (every stored collection must fit them).
    pub fn from_bytes(bytes: &[u8], config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if !(1..=EMULATOR_STATE_VERSION).contains(&version) {
            return Err(EmulatorError::UnsupportedStateVersion(version));
        }
        let g = Group::from_bytes(r.read_opaque()?)?;
        let body = Body::decode(&mut r, version, &config)?;
        let provisioning = if version >= 2 {
            let mut pr = Reader::new(r.read_opaque()?);
            let p = crate::provision::decode_provisioning(&mut pr, &config)?;
            pr.finish()?;
            p
        } else {
            Default::default()
        };
        r.finish()?;
        let Body {
            vcs,
            seeds,
            buffered,
            deferred,
            welcomes,
            cbam_counters,
            sent_cbams,
            retired,
            expired,
        } = body;
        Ok(Self {
            config,
            g,
            vcs,
            seeds,
            buffered,
            deferred,
            welcomes,
            cbam_counters,
            sent_cbams,
            retired,
            expired,
            provisioning,
        })
    }
}

/// The decoded fields after `emulation_group`.
pub(crate) struct Body {
    pub(crate) vcs: Vec<VirtualClient>,
    pub(crate) seeds: Vec<(u64, Secret)>,
    pub(crate) buffered: Vec<Buffered>,
    pub(crate) deferred: Vec<Deferred>,
    pub(crate) welcomes: Vec<(u32, [u8; 32], Vec<u8>)>,
    pub(crate) cbam_counters: Vec<CbamCounter>,
    pub(crate) sent_cbams: Vec<[u8; 32]>,
    pub(crate) retired: Vec<Retired>,
    pub(crate) expired: Vec<Expired>,
}

impl Body {
    /// Decodes the fields written by `Emulator::encode_body` (blob `version`).
    pub(crate) fn decode(
        r: &mut Reader<'_>,
        version: u16,
        config: &EmulatorConfig,
    ) -> Result<Self, EmulatorError> {
        let config = *config;
        let mut vcs = Vec::new();
        let mut vr = Reader::new(r.read_opaque()?);
        while !vr.is_empty() {
            bounded(vcs.len(), config.max_virtual_clients, Store::VirtualClients)?;
            vcs.push(VirtualClient::decode_from(&mut vr, &config)?);
        }
        let mut seeds = Vec::new();
        let mut sr = Reader::new(r.read_opaque()?);
        while !sr.is_empty() {
            bounded(
                seeds.len(),
                config.max_retained_seeds.max(1),
                Store::Deferred,
            )?;
            let e = u64::decode(&mut sr)?;
            seeds.push((e, secret(&mut sr)?));
        }
        let mut buffered = Vec::new();
        let mut br = Reader::new(r.read_opaque()?);
        while !br.is_empty() {
            bounded(buffered.len(), config.max_buffered, Store::Buffered)?;
            buffered.push(Buffered {
                vc_id: u32::decode(&mut br)?,
                group_id: br.read_opaque()?.to_vec(),
                message: br.read_opaque()?.to_vec(),
            });
        }
        let mut deferred = Vec::new();
        let mut dr = Reader::new(r.read_opaque()?);
        while !dr.is_empty() {
            bounded(deferred.len(), config.max_deferred, Store::Deferred)?;
            deferred.push(Deferred {
                g_epoch: u64::decode(&mut dr)?,
                counter: u32::decode(&mut dr)?,
                action: VirtualClientAction::decode(&mut dr)?,
            });
        }
        let mut welcomes = Vec::new();
        let mut wr = Reader::new(r.read_opaque()?);
        while !wr.is_empty() {
            bounded(welcomes.len(), config.max_welcomes, Store::Welcomes)?;
            let v = u32::decode(&mut wr)?;
            let d = wr.read_array::<32>()?;
            welcomes.push((v, d, wr.read_opaque()?.to_vec()));
        }
        let mut cbam_counters = Vec::new();
        let mut cr = Reader::new(r.read_opaque()?);
        while !cr.is_empty() {
            bounded(
                cbam_counters.len(),
                config
                    .max_virtual_clients
                    .saturating_mul(config.max_groups_per_vc),
                Store::Groups,
            )?;
            cbam_counters.push(CbamCounter {
                vc_id: u32::decode(&mut cr)?,
                group_id: cr.read_opaque()?.to_vec(),
                epoch: u64::decode(&mut cr)?,
                generation: u64::decode(&mut cr)?,
            });
        }
        let mut sent_cbams = Vec::new();
        let mut xr = Reader::new(r.read_opaque()?);
        while !xr.is_empty() {
            bounded(
                sent_cbams.len(),
                config.max_sent_cbams.max(1),
                Store::Buffered,
            )?;
            sent_cbams.push(xr.read_array::<32>()?);
        }
        let groups_bound = config
            .max_virtual_clients
            .saturating_mul(config.max_groups_per_vc);
        let mut retired = Vec::new();
        let mut rr = Reader::new(if version >= 2 { r.read_opaque()? } else { &[] });
        while !rr.is_empty() {
            bounded(retired.len(), groups_bound, Store::Groups)?;
            retired.push(Retired {
                vc_id: u32::decode(&mut rr)?,
                group: Group::from_bytes(rr.read_opaque()?)?,
            });
        }
        let mut expired = Vec::new();
        let mut er = Reader::new(if version >= 2 { r.read_opaque()? } else { &[] });
        while !er.is_empty() {
            bounded(expired.len(), config.max_deferred, Store::Deferred)?;
            expired.push(Expired {
                vc_id: u32::decode(&mut er)?,
                group_id: er.read_opaque()?.to_vec(),
                epoch: u64::decode(&mut er)?,
                g_epoch: u64::decode(&mut er)?,
            });
        }
        Ok(Self {
            vcs,
            seeds,
            buffered,
            deferred,
            welcomes,
            cbam_counters,
            sent_cbams,
            retired,
            expired,
        })
    }
}
