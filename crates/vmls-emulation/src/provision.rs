//! Provisioning a new emulator with the virtual clients' state (issue 18;
//! draft-kohbrok-mls-virtual-clients-03 section 5.3, "Adding emulator clients").
//!
//! Why a sibling must send the state: an external commit (or a Welcome) into G gives the new
//! device G's secrets from its joining epoch on, and replay reproduces only what is announced
//! from then on. V's signature key, V's KeyPackage private keys and V's state in every
//! higher-level group were derived from, or moved by, G epochs and higher-level messages that
//! came before: none of it can be derived from G's current epoch (forward secrecy of G's key
//! schedule and of `MLS-FS-Export` forbids exactly that). So an existing emulator sends it.
//!
//! The protocol (all in G):
//! 1. An emulator adds the device to G (ordinary G commit, Welcome); the device starts with
//!    [`Emulator::new_awaiting_provisioning`]. From then on it processes G's commits (keeping
//!    their seeds) and logs their announcements instead of executing them.
//! 2. An emulator announces `provision` ([`Emulator::provision`]): a G commit whose action
//!    carries [`ProvisionDetail`] `{ new_emulator_leaf, snapshot_digest, snapshot_len,
//!    snapshot_epoch }`. The snapshot is taken when announcing: a `uint16` version and the
//!    emulator state blob's body without the device-local CBAM counters and sent-message
//!    digests (V's whole state, retained seeds, buffered messages, deferred actions, Welcomes,
//!    abandoned-commit snapshots, expiry records), never the sender's own G state. The commit
//!    authenticates the digest: it comes from a current member of G (only emulators are
//!    members), in G's agreed order.
//! 3. The emulator sends the snapshot as G application messages
//!    ([`Emulator::provisioning_messages`]), each `struct { opaque snapshot_digest[32];
//!    uint32 offset; opaque data<V>; } ProvisioningChunk;` sized so that no message exceeds
//!    G's `max_message_size`. They are encrypted to G's members and their sender is a G
//!    member; the digest announced in step 2 authenticates the content.
//! 4. The device stores chunks (in its state blob: an interrupted provisioning resumes; a
//!    chunk received twice is ignored), and once the bytes cover the snapshot and its
//!    SHA-256 equals the announced digest it installs it, adds the seeds it kept itself, and
//!    replays the announcements it logged after `snapshot_epoch`. Its V state is then
//!    byte-identical to every other emulator's.
//!
//! The device reads V's higher-level queues from the provisioner's read position at the time
//! of the announcement (the transport's job). Announcements logged while waiting are bounded by
//! `max_retained_seeds`: if more G epochs pass before the snapshot is complete, installing it
//! fails with [`EmulatorError::SeedExpired`] and the way back is a fresh `provision`.
//! A G commit that removed other emulators is logged too (an entry with an empty
//! announcement, before that epoch's announcement): on install it rotates V's signature key
//! and revokes V's KeyPackages as the other emulators did when they processed it. The log holds
//! at most two entries per retained epoch (`2 * max_retained_seeds`).
use alloc::vec;
use alloc::vec::Vec;

use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode, Reader, encode_opaque, opaque_len};
use vmls_crypto::hash;
use vmls_group::group::Group;
use zeroize::Zeroize;

use crate::announce::{AnnouncementError, VcActionType, VirtualClientAction};
use crate::emulator::{Emulator, EmulatorConfig, Event};
use crate::error::{EmulatorError, Store};
use crate::state::{Body, EMULATOR_STATE_VERSION};

/// `struct { uint32 new_emulator_leaf; opaque snapshot_digest[32]; uint32 snapshot_len;
/// uint64 snapshot_epoch; } ProvisionDetail;` (the `provision` action's detail; its `vc_id`
/// is 0 and its target group empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisionDetail {
    /// The new emulator's leaf in G.
    pub new_emulator_leaf: u32,
    /// SHA-256 of the snapshot.
    pub snapshot_digest: [u8; 32],
    /// Snapshot length in bytes.
    pub snapshot_len: u32,
    /// G epoch the snapshot was taken in (before the announcing commit).
    pub snapshot_epoch: u64,
}

impl ProvisionDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        let mut out = Vec::with_capacity(48);
        self.new_emulator_leaf.encode(&mut out)?;
        out.extend_from_slice(&self.snapshot_digest);
        self.snapshot_len.encode(&mut out)?;
        self.snapshot_epoch.encode(&mut out)?;
        Ok(out)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader::new(bytes);
        let d = Self {
            new_emulator_leaf: u32::decode(&mut r)?,
            snapshot_digest: r.read_array::<32>()?,
            snapshot_len: u32::decode(&mut r)?,
            snapshot_epoch: u64::decode(&mut r)?,
        };
        r.finish()?;
        Ok(d)
    }
}

/// Secret bytes (a snapshot): zeroized on drop, not printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct SecretBytes(pub(crate) Vec<u8>);

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}

/// The snapshot this emulator announced, kept until [`Emulator::finish_provisioning`].
#[derive(Clone, Debug)]
pub(crate) struct Outbox {
    pub(crate) digest: [u8; 32],
    pub(crate) snapshot: SecretBytes,
}

/// What the announced `provision` says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expected {
    pub(crate) digest: [u8; 32],
    pub(crate) len: u32,
    pub(crate) epoch: u64,
}

/// A device waiting for its snapshot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Inbox {
    pub(crate) expected: Option<Expected>,
    pub(crate) data: SecretBytes,
    /// Received byte ranges `(start, end)`, sorted and merged.
    pub(crate) ranges: Vec<(u32, u32)>,
    /// Announcements processed while waiting: (G epoch, `authenticated_data`).
    pub(crate) log: Vec<(u64, Vec<u8>)>,
}

/// Provisioning in progress on this device, either side.
#[derive(Clone, Debug, Default)]
pub(crate) struct Provisioning {
    pub(crate) outbox: Option<Outbox>,
    pub(crate) inbox: Option<Inbox>,
}

/// Most chunk ranges kept apart before they merge (a bound on hostile fragmentation).
const MAX_RANGES: usize = 1024;

fn add_range(ranges: &mut Vec<(u32, u32)>, start: u32, end: u32) -> Result<(), EmulatorError> {
    ranges.push((start, end));
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for &(s, e) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    if merged.len() > MAX_RANGES {
        return Err(EmulatorError::Full(Store::Buffered));
    }
    *ranges = merged;
    Ok(())
}

impl Emulator {
    /// A device that joined G (by Welcome) and waits to be provisioned by an existing
    /// emulator: it follows G (keeping seeds, logging announcements) until the snapshot is in.
    pub fn new_awaiting_provisioning(g: Group, config: EmulatorConfig) -> Self {
        let mut e = Self::new(g, config);
        e.provisioning.inbox = Some(Inbox::default());
        e
    }

    /// The way back for a device that can no longer follow V by replay (past the
    /// retained-seed bound: [`EmulatorError::SeedExpired`], [`Event::ActionExpired`]): it
    /// forgets its copies of the virtual clients and their buffers (keeping its G membership
    /// and its own seeds) and waits for a fresh snapshot, which any current emulator sends
    /// with [`Emulator::provision`] for this device's G leaf.
    pub fn await_reprovisioning(&mut self) {
        self.vcs.clear();
        self.buffered.clear();
        self.deferred.clear();
        self.welcomes.clear();
        self.cbam_counters.clear();
        self.sent_cbams.clear();
        self.retired.clear();
        self.expired.clear();
        self.provisioning.inbox = Some(Inbox::default());
    }

    /// Whether this device still waits for its provisioning snapshot.
    pub fn awaiting_provisioning(&self) -> bool {
        self.provisioning.inbox.is_some()
    }

    /// Announces the provisioning of the emulator at G leaf `new_emulator_leaf` (already a
    /// member of G) and keeps the snapshot for [`Emulator::provisioning_messages`]. Returns
    /// the G commit. Read V's queues up to their end first: the new device continues from
    /// there.
    pub fn provision<R: CryptoRng + ?Sized>(
        &mut self,
        new_emulator_leaf: u32,
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        if self.provisioning.inbox.is_some() {
            return Err(EmulatorError::NotProvisioned);
        }
        if self
            .g
            .tree()
            .leaf(vmls_tree::LeafIndex(new_emulator_leaf))
            .is_none()
            || new_emulator_leaf == self.g.own_leaf_index()
        {
            return Err(EmulatorError::Group(
                vmls_group::group::GroupError::UnknownMember {
                    leaf: new_emulator_leaf,
                },
            ));
        }
        let mut snapshot = SecretBytes(Vec::new());
        EMULATOR_STATE_VERSION.encode(&mut snapshot.0)?;
        self.encode_body(&mut snapshot.0, false)?;
        let len = u32::try_from(snapshot.0.len()).map_err(|_| EmulatorError::Internal)?;
        if len > self.config.max_provisioning_len {
            return Err(EmulatorError::Full(Store::Buffered));
        }
        let digest = digest32(&snapshot.0);
        let action = VirtualClientAction {
            vc_id: 0,
            action: VcActionType::Provision,
            target_group_id: Vec::new(),
            detail: ProvisionDetail {
                new_emulator_leaf,
                snapshot_digest: digest,
                snapshot_len: len,
                snapshot_epoch: self.g.epoch(),
            }
            .to_bytes()?,
        };
        let mut next = self.clone();
        next.provisioning.outbox = Some(Outbox { digest, snapshot });
        let commit = next.announce_with(&[], Vec::new(), vec![action], rng)?;
        *self = next;
        Ok(commit)
    }

    /// The announced snapshot as G application messages (`ProvisioningChunk`s), none larger
    /// than G's `max_message_size`. Call again to resend (an interrupted provisioning): the
    /// device ignores what it already has.
    pub fn provisioning_messages<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<Vec<Vec<u8>>, EmulatorError> {
        let mut next = self.clone();
        let outbox = next
            .provisioning
            .outbox
            .clone()
            .ok_or(EmulatorError::NotProvisioned)?;
        let max = usize::try_from(next.g.config().max_message_size)
            .map_err(|_| EmulatorError::Internal)?;
        // The largest chunk whose message fits.
        let mut n = max;
        while n > 0 && next.g.application_message_len(0, chunk_len(n)) > max {
            n = n.saturating_sub(16.max(n / 64));
        }
        if n == 0 {
            return Err(EmulatorError::Full(Store::Buffered));
        }
        let mut out = Vec::new();
        let mut offset = 0usize;
        while offset < outbox.snapshot.0.len() {
            let end = offset.saturating_add(n).min(outbox.snapshot.0.len());
            let data = outbox
                .snapshot
                .0
                .get(offset..end)
                .ok_or(EmulatorError::Internal)?;
            let offset_u32 = u32::try_from(offset).map_err(|_| EmulatorError::Internal)?;
            let chunk = SecretBytes(encode_chunk(&outbox.digest, offset_u32, data)?);
            let mut msg = vec![0u8; next.g.application_message_len(0, chunk.0.len())];
            let k = next.g.encrypt_application(&[], &chunk.0, rng, &mut msg)?;
            msg.truncate(k);
            out.push(msg);
            offset = end;
        }
        *self = next;
        Ok(out)
    }

    /// Drops the kept snapshot (the new device confirmed it is provisioned).
    pub fn finish_provisioning(&mut self) {
        self.provisioning.outbox = None;
    }

    /// While waiting: note a `provision` for this device, log the announcement.
    pub(crate) fn log_while_awaiting(
        &mut self,
        epoch: u64,
        aad: &[u8],
    ) -> Result<Vec<Event>, EmulatorError> {
        let own = self.g.own_leaf_index();
        let Some(announcement) =
            crate::announce::VirtualClientActions::from_authenticated_data(aad)?
        else {
            return Ok(Vec::new());
        };
        let max_len = self.config.max_provisioning_len;
        let keep = self.config.max_retained_seeds.max(1);
        let inbox = self
            .provisioning
            .inbox
            .as_mut()
            .ok_or(EmulatorError::Internal)?;
        for a in &announcement.actions {
            if a.action == VcActionType::Provision {
                let d = ProvisionDetail::from_bytes(&a.detail)?;
                // A later `provision` for this device replaces an earlier one (a fresh
                // snapshot: the way back when the first could not be installed).
                if d.new_emulator_leaf == own {
                    if d.snapshot_len > max_len {
                        return Err(EmulatorError::Full(Store::Buffered));
                    }
                    let len =
                        usize::try_from(d.snapshot_len).map_err(|_| EmulatorError::Internal)?;
                    inbox.expected = Some(Expected {
                        digest: d.snapshot_digest,
                        len: d.snapshot_len,
                        epoch: d.snapshot_epoch,
                    });
                    inbox.data = SecretBytes(vec![0u8; len]);
                    inbox.ranges.clear();
                }
            }
        }
        push_log(&mut inbox.log, keep, epoch, aad.to_vec());
        Ok(Vec::new())
    }

    /// While waiting: a G commit of `epoch` removed other emulators; logged as an entry with an
    /// empty announcement so that the snapshot's virtual clients get the same rotation on
    /// install ([`Emulator::after_removal`]).
    pub(crate) fn log_removal_while_awaiting(&mut self, epoch: u64) -> Result<(), EmulatorError> {
        let keep = self.config.max_retained_seeds.max(1);
        let inbox = self
            .provisioning
            .inbox
            .as_mut()
            .ok_or(EmulatorError::Internal)?;
        push_log(&mut inbox.log, keep, epoch, Vec::new());
        Ok(())
    }

    /// A G application message while waiting: a `ProvisioningChunk`.
    pub(crate) fn receive_chunk(&mut self, data: &[u8]) -> Result<Vec<Event>, EmulatorError> {
        let inbox = self
            .provisioning
            .inbox
            .as_mut()
            .ok_or(EmulatorError::Internal)?;
        let expected = inbox.expected.ok_or(EmulatorError::NotProvisioned)?;
        let (digest, offset, bytes) = decode_chunk(data)?;
        if digest != expected.digest {
            return Err(EmulatorError::ProvisioningMismatch);
        }
        let len = u32::try_from(bytes.len()).map_err(|_| EmulatorError::ProvisioningMismatch)?;
        let end = offset
            .checked_add(len)
            .filter(|e| *e <= expected.len)
            .ok_or(EmulatorError::ProvisioningMismatch)?;
        let start_u = usize::try_from(offset).map_err(|_| EmulatorError::Internal)?;
        let end_u = usize::try_from(end).map_err(|_| EmulatorError::Internal)?;
        inbox
            .data
            .0
            .get_mut(start_u..end_u)
            .ok_or(EmulatorError::ProvisioningMismatch)?
            .copy_from_slice(bytes);
        add_range(&mut inbox.ranges, offset, end)?;
        let received: u32 = inbox.ranges.iter().map(|(s, e)| e - s).sum();
        if inbox.ranges.as_slice() != [(0, expected.len)] {
            return Ok(vec![Event::ProvisioningProgress {
                received,
                total: expected.len,
            }]);
        }
        if digest32(&inbox.data.0) != expected.digest {
            return Err(EmulatorError::ProvisioningMismatch);
        }
        self.install(expected)
    }

    /// Installs the complete snapshot, then replays the announcements logged after it.
    fn install(&mut self, expected: Expected) -> Result<Vec<Event>, EmulatorError> {
        let inbox = self
            .provisioning
            .inbox
            .take()
            .ok_or(EmulatorError::Internal)?;
        let mut r = Reader::new(&inbox.data.0);
        let version = u16::decode(&mut r)?;
        if !(2..=EMULATOR_STATE_VERSION).contains(&version) {
            return Err(EmulatorError::UnsupportedStateVersion(version));
        }
        let body = Body::decode(&mut r, version, &self.config)?;
        r.finish()?;
        self.vcs = body.vcs;
        self.buffered = body.buffered;
        self.deferred = body.deferred;
        self.welcomes = body.welcomes;
        self.retired = body.retired;
        self.expired = body.expired;
        // Seeds: the snapshot's up to its epoch, this device's own after it.
        let own: Vec<_> = self
            .seeds
            .drain(..)
            .filter(|(e, _)| *e > expected.epoch)
            .collect();
        let mut seeds = body.seeds;
        seeds.retain(|(e, _)| *e <= expected.epoch);
        seeds.extend(own);
        while seeds.len() > self.config.max_retained_seeds.max(1) {
            seeds.remove(0);
        }
        self.seeds = seeds;
        let mut events = vec![Event::Provisioned];
        for (epoch, aad) in inbox.log {
            if epoch > expected.epoch {
                let seed = self.seed(epoch)?.clone();
                if aad.is_empty() {
                    events.extend(self.after_removal(&seed)?);
                } else {
                    events.extend(self.run_announcement(epoch, &aad)?);
                }
            }
        }
        Ok(events)
    }

    pub(crate) fn encode_provisioning(&self, out: &mut Vec<u8>) -> Result<(), EmulatorError> {
        let p = &self.provisioning;
        if p.outbox.is_none() && p.inbox.is_none() {
            return Ok(());
        }
        match &p.outbox {
            None => 0u8.encode(out)?,
            Some(o) => {
                1u8.encode(out)?;
                out.extend_from_slice(&o.digest);
                encode_opaque(out, &o.snapshot.0)?;
            }
        }
        match &p.inbox {
            None => 0u8.encode(out)?,
            Some(i) => {
                1u8.encode(out)?;
                match &i.expected {
                    None => 0u8.encode(out)?,
                    Some(x) => {
                        1u8.encode(out)?;
                        out.extend_from_slice(&x.digest);
                        x.len.encode(out)?;
                        x.epoch.encode(out)?;
                    }
                }
                encode_opaque(out, &i.data.0)?;
                let mut ranges = Vec::new();
                for (s, e) in &i.ranges {
                    s.encode(&mut ranges)?;
                    e.encode(&mut ranges)?;
                }
                encode_opaque(out, &ranges)?;
                let mut log = Vec::new();
                for (e, a) in &i.log {
                    e.encode(&mut log)?;
                    encode_opaque(&mut log, a)?;
                }
                encode_opaque(out, &log)?;
            }
        }
        Ok(())
    }
}

/// Decodes the `provisioning` field of the state blob.
pub(crate) fn decode_provisioning(
    r: &mut Reader<'_>,
    config: &EmulatorConfig,
) -> Result<Provisioning, EmulatorError> {
    let mut p = Provisioning::default();
    if r.is_empty() {
        return Ok(p);
    }
    let max = usize::try_from(config.max_provisioning_len).map_err(|_| EmulatorError::Internal)?;
    if u8::decode(r)? == 1 {
        let digest = r.read_array::<32>()?;
        let snapshot = r.read_opaque()?;
        if snapshot.len() > max {
            return Err(EmulatorError::Full(Store::Buffered));
        }
        p.outbox = Some(Outbox {
            digest,
            snapshot: SecretBytes(snapshot.to_vec()),
        });
    }
    if u8::decode(r)? == 1 {
        let mut i = Inbox::default();
        if u8::decode(r)? == 1 {
            i.expected = Some(Expected {
                digest: r.read_array::<32>()?,
                len: u32::decode(r)?,
                epoch: u64::decode(r)?,
            });
        }
        let data = r.read_opaque()?;
        if data.len() > max || i.expected.is_some_and(|x| x.len as usize != data.len()) {
            return Err(EmulatorError::ProvisioningMismatch);
        }
        i.data = SecretBytes(data.to_vec());
        let mut rr = Reader::new(r.read_opaque()?);
        while !rr.is_empty() {
            if i.ranges.len() >= MAX_RANGES {
                return Err(EmulatorError::Full(Store::Buffered));
            }
            i.ranges
                .push((u32::decode(&mut rr)?, u32::decode(&mut rr)?));
        }
        let mut lr = Reader::new(r.read_opaque()?);
        while !lr.is_empty() {
            if i.log.len() >= log_bound(config.max_retained_seeds.max(1)) {
                return Err(EmulatorError::Full(Store::Deferred));
            }
            i.log
                .push((u64::decode(&mut lr)?, lr.read_opaque()?.to_vec()));
        }
        p.inbox = Some(i);
    }
    Ok(p)
}

/// Encodes a `ProvisioningChunk` (`struct { opaque snapshot_digest[32]; uint32 offset;
/// opaque data<V>; }`).
pub fn encode_chunk(
    snapshot_digest: &[u8; 32],
    offset: u32,
    data: &[u8],
) -> Result<Vec<u8>, EmulatorError> {
    let mut out = Vec::with_capacity(chunk_len(data.len()));
    out.extend_from_slice(snapshot_digest);
    offset.encode(&mut out)?;
    encode_opaque(&mut out, data)?;
    Ok(out)
}

/// Decodes exactly one `ProvisioningChunk` (the inverse of [`encode_chunk`]): the snapshot
/// digest, the offset and the data, borrowed from `chunk`. Checks only the framing; whether the
/// chunk fits the announced snapshot is the receiver's check.
pub fn decode_chunk(chunk: &[u8]) -> Result<([u8; 32], u32, &[u8]), EmulatorError> {
    let mut r = Reader::new(chunk);
    let digest = r.read_array::<32>()?;
    let offset = u32::decode(&mut r)?;
    let bytes = r.read_opaque()?;
    r.finish()?;
    Ok((digest, offset, bytes))
}

fn chunk_len(data_len: usize) -> usize {
    32 + 4 + opaque_len(data_len)
}

fn digest32(bytes: &[u8]) -> [u8; 32] {
    let h = hash(bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(h.as_ref());
    out
}

/// Most entries of the log kept while awaiting the snapshot: an announcement and a removal per
/// retained G epoch.
fn log_bound(keep: usize) -> usize {
    keep.saturating_mul(2)
}

/// Appends to the log, dropping the oldest entry beyond [`log_bound`].
fn push_log(log: &mut Vec<(u64, Vec<u8>)>, keep: usize, epoch: u64, aad: Vec<u8>) {
    if log.len() >= log_bound(keep) {
        log.remove(0);
    }
    log.push((epoch, aad));
}
