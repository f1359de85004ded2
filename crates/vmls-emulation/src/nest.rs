//! Nesting of virtual clients (draft-kohbrok-mls-virtual-clients-03, "Client emulation":
//! "emulator clients may themselves be virtual"; issue 18 item 3).
//!
//! A device is a real member of its emulation group G₀ and emulates the virtual client V₀
//! (the person). V₀ is itself an emulator in a second emulation group G₁ (the team's), which
//! emulates V₁ (the team T); V₁ is a member of ordinary groups (the project group P), or an
//! emulator in G₂, and so on. An [`EmulationStack`] owns one [`Emulator`] per level:
//!
//! ```text
//! level 0: Emulator { g: the device's own Group in G₀,        virtual clients: V₀ (with V₀'s Group in G₁, ...) }
//! level 1: Emulator { g: mirror of V₀'s Group in G₁ (level 0), virtual clients: V₁ (with V₁'s Group in P, ...) }
//! level k: Emulator { g: mirror of V₍ₖ₋₁₎'s Group in Gₖ,       virtual clients: Vₖ ... }
//! ```
//!
//! **One code path for every level.** Level k ≥ 1 never changes its `g` itself: V₍ₖ₋₁₎'s state
//! in Gₖ belongs to level k − 1, which changes it by deterministic replay, and the stack copies
//! it up after every call. An announcement at level k is the commit of V₍ₖ₋₁₎ in Gₖ whose
//! `authenticated_data` carries level k's `VirtualClientActions`; that commit is itself an
//! `announce` action ([`crate::AnnounceDetail`]) of level k − 1, announced the same way, down to
//! a commit in G₀ ([`EmulationStack::announce`]). When Gₖ's Delivery Service hands the commit
//! back (in V₍ₖ₋₁₎'s queue), level k − 1 merges it and level k executes its announcement with
//! secrets from the Gₖ epoch it created: `vc_epoch_secret = MLS-FS-Export("Virtual Client
//! Seed", "", Nh)` of Gₖ — the derivation rules of `crate::derive`, one level up, no new label.
//! So every device of every emulator of Gₖ holds byte-identical Vₖ state.
//!
//! **CBAM.** A device sending as Vₖ uses the recursive `GroupChallengeContext` (draft 5.5.1:
//! "the confirmation tag of each hierarchical group between the sending (virtual) client and
//! the real client"): Vₖ's level in the target group (added by the group's encrypt), then
//! V₍ₖ₋₁₎'s leaf and Gₖ's confirmation tag, ..., down to the device's own leaf and G₀'s tag
//! ([`EmulationStack::challenge_context`]). Only the device keeps a generation counter (per
//! (Vₖ, group, epoch), in its level-k emulator): two devices of one person differ in their G₀
//! leaf, two persons in their leaf in G₁, one device's messages in the generation.
//!
//! **Order.** A commit of Gₖ whose announcement level k − 1 has not processed yet would be
//! buffered inside level k − 1, where the stack could not see it merge; the stack holds such
//! messages itself (bounded by [`EmulatorConfig::max_buffered`]) and retries them after every
//! call, so each Gₖ commit is merged exactly when the stack hands it over and level k runs its
//! announcement at once.
//!
//! **Limits.** At most [`MAX_LEVELS`] levels (a `GroupChallengeContext` has at most
//! `MAX_CHALLENGE_LEVELS` = 8: the target group plus seven emulation groups). Each level's
//! announcement travels inside the level below's `announce` detail, so level k's announcement
//! must fit [`crate::announce::MAX_DETAIL_LEN`] minus the framing of every level below.
//! Provisioning a new device and removing devices work per level-0 emulator only (not yet for
//! the levels above).
use alloc::vec;
use alloc::vec::Vec;

use rand_core::CryptoRng;
use vmls_cbst::{GroupChallengeContext, MAX_CHALLENGE_LEVELS};
use vmls_codec::{Decode, Encode, Reader, encode_opaque};
use vmls_group::group::ProcessedMessage;

use crate::announce::VirtualClientActions;
use crate::emulator::{
    Emulator, EmulatorConfig, Event, Request, commit_authenticated_data, digest, message_group_id,
};
use crate::error::{EmulatorError, Store};

/// Most levels of an [`EmulationStack`] (the device's level included).
pub const MAX_LEVELS: usize = MAX_CHALLENGE_LEVELS - 1;

/// Version of the [`EmulationStack`] state blob this build writes.
pub const STACK_STATE_VERSION: u16 = 1;

/// One level above the device's: the virtual client of the level below that is the emulator
/// here, and this level's emulator (its `g` mirrors that client's group).
#[derive(Clone, Debug)]
struct Level {
    vc_id: u32,
    em: Emulator,
}

/// A message of an emulation group that must wait for its announcement.
#[derive(Clone, Debug)]
struct Held {
    /// The level whose virtual client reads it (the group is level `level + 1`'s G).
    level: u8,
    message: Vec<u8>,
}

/// What one message did at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelEvents {
    /// The level (0: the device's own emulation group).
    pub level: usize,
    /// Whether this device announced the action that produced these events: it sends their
    /// [`Event::Outgoing`] messages (every device computes the same bytes).
    pub own: bool,
    /// The events.
    pub events: Vec<Event>,
}

/// A device's emulators at every level of a nesting (module documentation). Every method is
/// transactional: on error nothing changed, at any level.
#[derive(Clone, Debug)]
pub struct EmulationStack {
    config: EmulatorConfig,
    base: Emulator,
    upper: Vec<Level>,
    /// Digests of emulation-group commits this device announced (it sends them, and runs
    /// their announcement as `own`).
    initiated: Vec<[u8; 32]>,
    held: Vec<Held>,
}

impl EmulationStack {
    /// A stack of one level: the device's emulator.
    pub fn new(base: Emulator) -> Self {
        Self {
            config: *base.config(),
            base,
            upper: Vec::new(),
            initiated: Vec::new(),
            held: Vec::new(),
        }
    }

    /// How many levels.
    pub fn depth(&self) -> usize {
        1 + self.upper.len()
    }

    /// The emulator of `level`.
    pub fn level(&self, level: usize) -> Result<&Emulator, EmulatorError> {
        match level.checked_sub(1) {
            None => Ok(&self.base),
            Some(i) => self
                .upper
                .get(i)
                .map(|l| &l.em)
                .ok_or(EmulatorError::NoSuchLevel(level)),
        }
    }

    fn level_mut(&mut self, level: usize) -> Result<&mut Emulator, EmulatorError> {
        match level.checked_sub(1) {
            None => Ok(&mut self.base),
            Some(i) => self
                .upper
                .get_mut(i)
                .map(|l| &mut l.em)
                .ok_or(EmulatorError::NoSuchLevel(level)),
        }
    }

    /// For `level` ≥ 1: the virtual client of the level below that emulates here, and this
    /// level's emulation group id.
    pub fn link(&self, level: usize) -> Result<(u32, Vec<u8>), EmulatorError> {
        let l = level
            .checked_sub(1)
            .and_then(|i| self.upper.get(i))
            .ok_or(EmulatorError::NoSuchLevel(level))?;
        Ok((l.vc_id, l.em.g.group_id().to_vec()))
    }

    /// Emulation-group messages held for their announcement.
    pub fn held_messages(&self) -> usize {
        self.held.len()
    }

    /// Adds a level on top: `vc_id` of the top level, already a member of `group_id` (by
    /// `create_group` or `join_group`), becomes the emulator there. Call it right after the
    /// join, before the group's next commit (announcements of earlier epochs are not seen).
    /// Refused with [`EmulatorError::NoSuchLevel`] when the stack is full, when the group is
    /// already a level, or while the top level still buffers messages of that group (their
    /// merge would happen inside it, unseen by the new level: process its announcements
    /// first).
    pub fn attach(&mut self, vc_id: u32, group_id: &[u8]) -> Result<(), EmulatorError> {
        let depth = self.depth();
        let top = self.level(depth - 1)?;
        if depth >= MAX_LEVELS
            || self.base.g.group_id() == group_id
            || self.upper.iter().any(|l| l.em.g.group_id() == group_id)
            || top
                .buffered
                .iter()
                .any(|b| b.vc_id == vc_id && b.group_id == group_id)
        {
            return Err(EmulatorError::NoSuchLevel(depth));
        }
        let group = top.vc_group(vc_id, group_id)?.clone();
        self.upper.push(Level {
            vc_id,
            em: Emulator::new(group, self.config),
        });
        Ok(())
    }

    /// The `GroupChallengeContext` of this device as an emulator at `level` (the
    /// `subgroup_context` of its CBAMs as a virtual client of that level): the top level's
    /// emulating client in its group, down to this device in G₀. Outermost first.
    pub fn challenge_context(&self, level: usize) -> Result<GroupChallengeContext, EmulatorError> {
        let mut ctx = GroupChallengeContext::real(self.base.g.challenge_level());
        for i in 1..=level {
            let em = self.level(i)?;
            ctx = GroupChallengeContext::virtual_sender(em.g.challenge_level(), &ctx)
                .map_err(|e| EmulatorError::Group(e.into()))?;
        }
        Ok(ctx)
    }

    // ------------------------------------------------------------------ announcing

    /// Announces `requests` for the virtual clients of `level` and returns the G₀ commit to
    /// send to G₀'s Delivery Service. At level k ≥ 1 the requests become the
    /// `authenticated_data` of V₍ₖ₋₁₎'s commit in Gₖ, announced at level k − 1, and so on
    /// down. The whole round trip (G₀ commit back, each level's commit back, each level's
    /// actions) is first run on a copy, so a request that would fail is refused here.
    pub fn announce<R: CryptoRng + ?Sized>(
        &mut self,
        level: usize,
        requests: &[Request],
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        let mut next = self.clone();
        let mut reqs = requests.to_vec();
        let mut l = level;
        while l > 0 {
            let (vc_id, group_id) = next.link(l)?;
            let em = next.level_mut(l)?;
            let mut actions = Vec::with_capacity(reqs.len());
            for r in &reqs {
                actions.push(em.request_to_action(r)?);
            }
            let authenticated_data = VirtualClientActions { actions }.to_authenticated_data()?;
            reqs = vec![Request::Announce {
                vc_id,
                group_id,
                proposals: Vec::new(),
                authenticated_data,
            }];
            l -= 1;
        }
        let commit = next.base.announce(&reqs, rng)?;
        next.mirror()?;
        if level > 0 {
            next.clone().round_trip(level, &commit)?;
        }
        *self = next;
        Ok(commit)
    }

    /// The dry run of [`EmulationStack::announce`]: every level's commit comes back at once.
    fn round_trip(&mut self, level: usize, commit: &[u8]) -> Result<(), EmulatorError> {
        let mut out = self.process_emulation_message(commit)?;
        for k in 0..level {
            let (vc_id, gid) = self.link(k + 1)?;
            let next = out
                .iter()
                .filter(|le| le.level == k && le.own)
                .flat_map(|le| le.events.iter())
                .find_map(|e| match e {
                    Event::Outgoing {
                        vc_id: v,
                        group_id,
                        message,
                        ..
                    } if *v == vc_id && *group_id == gid => Some(message.clone()),
                    _ => None,
                });
            // Deferred below: nothing more to run now.
            let Some(message) = next else {
                return Ok(());
            };
            out = self.process_group_message(k, vc_id, &message)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------------ processing

    /// Processes a message of G₀ (see [`Emulator::process_emulation_message`]); what it
    /// unblocks above runs too.
    pub fn process_emulation_message(
        &mut self,
        message: &[u8],
    ) -> Result<Vec<LevelEvents>, EmulatorError> {
        let mut next = self.clone();
        let outcome = next.base.process_emulation_message(message)?;
        next.note_initiated(0, outcome.own, &outcome.events);
        let mut out = vec![LevelEvents {
            level: 0,
            own: outcome.own,
            events: outcome.events,
        }];
        next.settle(&mut out)?;
        *self = next;
        Ok(out)
    }

    /// Processes a message read from the queue of `vc_id`, a virtual client of `level` (see
    /// [`Emulator::process_group_message`]). A commit of the emulation group one level up is
    /// merged there and that level executes its announcement; a bad announcement there is an
    /// error and changes nothing at any level.
    pub fn process_group_message(
        &mut self,
        level: usize,
        vc_id: u32,
        message: &[u8],
    ) -> Result<Vec<LevelEvents>, EmulatorError> {
        let mut next = self.clone();
        let mut out = Vec::new();
        next.route(level, vc_id, message, &mut out)?;
        next.settle(&mut out)?;
        *self = next;
        Ok(out)
    }

    /// Stores a Welcome read from the queue of `vc_id`, a virtual client of `level` (see
    /// [`Emulator::receive_welcome`]).
    pub fn receive_welcome(
        &mut self,
        level: usize,
        vc_id: u32,
        welcome: &[u8],
    ) -> Result<Vec<LevelEvents>, EmulatorError> {
        let mut next = self.clone();
        let events = next.level_mut(level)?.receive_welcome(vc_id, welcome)?;
        let mut out = vec![LevelEvents {
            level,
            own: false,
            events,
        }];
        next.settle(&mut out)?;
        *self = next;
        Ok(out)
    }

    /// Sends `data` as `vc_id`, a virtual client of `level`, in `group_id`: a CBAM whose
    /// `GroupChallengeContext` is [`EmulationStack::challenge_context`] of `level` under the
    /// target group's level, with this device's generation counter.
    #[allow(clippy::too_many_arguments)]
    pub fn send_cbam<R: CryptoRng + ?Sized>(
        &mut self,
        level: usize,
        vc_id: u32,
        group_id: &[u8],
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        let sub = self.challenge_context(level)?;
        let mut next = self.clone();
        let message = next.level_mut(level)?.send_cbam_as(
            &sub,
            vc_id,
            group_id,
            authenticated_data,
            data,
            rng,
        )?;
        // A CBAM in an emulation group (a client of level k sending in G_k+1) punctures that
        // group's CBST: the level above mirrors it.
        next.mirror()?;
        *self = next;
        Ok(message)
    }

    fn route(
        &mut self,
        level: usize,
        vc_id: u32,
        message: &[u8],
        out: &mut Vec<LevelEvents>,
    ) -> Result<(), EmulatorError> {
        let gid = message_group_id(message)?.to_vec();
        let lifts = self
            .upper
            .get(level)
            .is_some_and(|u| u.vc_id == vc_id && u.em.g.group_id() == gid.as_slice());
        if !lifts {
            let events = self
                .level_mut(level)?
                .process_group_message(vc_id, message)?;
            out.push(LevelEvents {
                level,
                own: false,
                events,
            });
            return Ok(());
        }
        let waiting = self.held.iter().any(|h| usize::from(h.level) == level);
        if waiting || !self.apply_lifting(level, vc_id, message, out)? {
            self.hold(level, message)?;
            out.push(LevelEvents {
                level,
                own: false,
                events: vec![Event::Buffered {
                    vc_id,
                    group_id: gid,
                }],
            });
        }
        Ok(())
    }

    /// A message of level `level + 1`'s emulation group, through `level`: `false` (and nothing
    /// changed) when it must wait for its announcement.
    fn apply_lifting(
        &mut self,
        level: usize,
        vc_id: u32,
        message: &[u8],
        out: &mut Vec<LevelEvents>,
    ) -> Result<bool, EmulatorError> {
        let mut trial = self.level(level)?.clone();
        let events = trial.process_group_message(vc_id, message)?;
        if events.iter().any(|e| matches!(e, Event::Buffered { .. })) {
            return Ok(false);
        }
        *self.level_mut(level)? = trial;
        let lifted = self.lift(level + 1, message, &events)?;
        out.push(LevelEvents {
            level,
            own: false,
            events,
        });
        out.extend(lifted);
        Ok(true)
    }

    /// After level `up − 1` processed `message` of level `up`'s emulation group: mirror the
    /// group up and, for a commit, execute level `up`'s announcement.
    fn lift(
        &mut self,
        up: usize,
        message: &[u8],
        events: &[Event],
    ) -> Result<Vec<LevelEvents>, EmulatorError> {
        let (vc_id, gid) = self.link(up)?;
        let ours = |v: &u32, g: &Vec<u8>| *v == vc_id && *g == gid;
        if events
            .iter()
            .any(|e| matches!(e, Event::Removed { vc_id: v, group_id: g } if ours(v, g)))
        {
            // The emulating client left the emulation group: nothing above is emulated here
            // any more.
            self.upper.truncate(up - 1);
            self.held.retain(|h| usize::from(h.level) < up - 1);
            return Ok(vec![LevelEvents {
                level: up,
                own: false,
                events: vec![Event::EmulatorRemoved],
            }]);
        }
        let summary = events.iter().find_map(|e| match e {
            Event::Processed {
                vc_id: v,
                group_id: g,
                outcome: ProcessedMessage::Commit(s),
            } if ours(v, g) => Some(s.clone()),
            _ => None,
        });
        let group = self.level(up - 1)?.vc_group(vc_id, &gid)?.clone();
        self.level_mut(up)?.g = group;
        let Some(summary) = summary else {
            return Ok(Vec::new());
        };
        let aad = commit_authenticated_data(message)?;
        let d = digest(message);
        let own = match self.initiated.iter().position(|x| *x == d) {
            Some(i) => {
                self.initiated.remove(i);
                true
            }
            None => false,
        };
        let events = self
            .level_mut(up)?
            .after_g_commit(&summary, aad.as_deref())?;
        self.note_initiated(up, own, &events);
        Ok(vec![LevelEvents {
            level: up,
            own,
            events,
        }])
    }

    /// Records the emulation-group commits among `level`'s own outgoing messages.
    fn note_initiated(&mut self, level: usize, own: bool, events: &[Event]) {
        let Some(u) = self.upper.get(level) else {
            return;
        };
        if !own {
            return;
        }
        let mut found = Vec::new();
        for e in events {
            if let Event::Outgoing {
                vc_id,
                group_id,
                message,
                ..
            } = e
                && *vc_id == u.vc_id
                && group_id.as_slice() == u.em.g.group_id()
            {
                found.push(digest(message));
            }
        }
        for d in found {
            if self.initiated.len() >= self.config.max_deferred.max(1) {
                self.initiated.remove(0);
            }
            self.initiated.push(d);
        }
    }

    fn hold(&mut self, level: usize, message: &[u8]) -> Result<(), EmulatorError> {
        if self.held.len() >= self.config.max_buffered {
            return Err(EmulatorError::Full(Store::Buffered));
        }
        let level = u8::try_from(level).map_err(|_| EmulatorError::Internal)?;
        self.held.push(Held {
            level,
            message: message.to_vec(),
        });
        Ok(())
    }

    /// Copies every level's emulating client's group up, then retries held messages (in
    /// order per level) until none moves. A held message that fails now is dropped and
    /// reported (`BufferedDropped`), as a buffered one is inside an emulator.
    fn settle(&mut self, out: &mut Vec<LevelEvents>) -> Result<(), EmulatorError> {
        self.mirror()?;
        loop {
            let mut progressed = false;
            for level in 0..self.upper.len() {
                let Some(i) = self.held.iter().position(|h| usize::from(h.level) == level) else {
                    continue;
                };
                let Some(u) = self.upper.get(level) else {
                    continue;
                };
                let vc_id = u.vc_id;
                let group_id = u.em.g.group_id().to_vec();
                let message = self
                    .held
                    .get(i)
                    .ok_or(EmulatorError::Internal)?
                    .message
                    .clone();
                let mut t = self.clone();
                t.held.remove(i);
                let mut evs = Vec::new();
                match t.apply_lifting(level, vc_id, &message, &mut evs) {
                    Ok(true) => {
                        t.mirror()?;
                        *self = t;
                        out.extend(evs);
                        progressed = true;
                    }
                    Ok(false) => {}
                    Err(error) => {
                        self.held.remove(i);
                        out.push(LevelEvents {
                            level,
                            own: false,
                            events: vec![Event::BufferedDropped {
                                vc_id,
                                group_id,
                                error,
                            }],
                        });
                        progressed = true;
                    }
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Each level's `g` := the emulating client's group in the level below.
    fn mirror(&mut self) -> Result<(), EmulatorError> {
        for i in 0..self.upper.len() {
            let (vc_id, gid) = self.link(i + 1)?;
            if let Ok(g) = self.level(i)?.vc_group(vc_id, &gid) {
                let g = g.clone();
                self.level_mut(i + 1)?.g = g;
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ state

    /// The state blob:
    ///
    /// ```text
    /// struct {
    ///   uint16 version = 1;
    ///   opaque base<V>;                                   // Emulator::to_bytes, level 0
    ///   struct { uint32 vc_id; opaque emulator<V>; } upper<V>;  // levels 1.., Emulator::to_bytes
    ///   opaque initiated[32]<V>;                          // digests of own emulation-group commits
    ///   struct { uint8 level; opaque message<V>; } held<V>;
    /// } EmulationStackState;
    /// ```
    /// Each upper emulator's blob repeats its `g` (the mirror of the level below's group): one
    /// more copy of each emulation group's state, kept for a self-contained level blob.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EmulatorError> {
        let mut out = Vec::new();
        STACK_STATE_VERSION.encode(&mut out)?;
        encode_opaque(&mut out, &self.base.to_bytes()?)?;
        let mut upper = Vec::new();
        for l in &self.upper {
            l.vc_id.encode(&mut upper)?;
            encode_opaque(&mut upper, &l.em.to_bytes()?)?;
        }
        encode_opaque(&mut out, &upper)?;
        let mut initiated = Vec::new();
        for d in &self.initiated {
            initiated.extend_from_slice(d);
        }
        encode_opaque(&mut out, &initiated)?;
        let mut held = Vec::new();
        for h in &self.held {
            h.level.encode(&mut held)?;
            encode_opaque(&mut held, &h.message)?;
        }
        encode_opaque(&mut out, &held)?;
        Ok(out)
    }

    /// Restores a blob of [`EmulationStack::to_bytes`] with the limits `config` (at most
    /// [`MAX_LEVELS`] levels, `max_deferred` initiated digests, `max_buffered` held messages).
    /// A level whose `g` is not the mirror of the level below's group is
    /// [`EmulatorError::NoSuchLevel`] of that level (not one device's blob).
    pub fn from_bytes(bytes: &[u8], config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if version != STACK_STATE_VERSION {
            return Err(EmulatorError::UnsupportedStateVersion(version));
        }
        let base = Emulator::from_bytes(r.read_opaque()?, config)?;
        let mut ur = Reader::new(r.read_opaque()?);
        let mut upper = Vec::new();
        while !ur.is_empty() {
            if upper.len() + 1 >= MAX_LEVELS {
                return Err(EmulatorError::NoSuchLevel(upper.len() + 1));
            }
            let vc_id = u32::decode(&mut ur)?;
            let em = Emulator::from_bytes(ur.read_opaque()?, config)?;
            upper.push(Level { vc_id, em });
        }
        let initiated_bytes = r.read_opaque()?;
        if initiated_bytes.len() % 32 != 0
            || initiated_bytes.len() / 32 > config.max_deferred.max(1)
        {
            return Err(EmulatorError::Codec(vmls_codec::Error::LimitExceeded));
        }
        let mut initiated = Vec::new();
        for c in initiated_bytes.chunks_exact(32) {
            let mut d = [0u8; 32];
            d.copy_from_slice(c);
            initiated.push(d);
        }
        let mut hr = Reader::new(r.read_opaque()?);
        let mut held = Vec::new();
        while !hr.is_empty() {
            if held.len() >= config.max_buffered {
                return Err(EmulatorError::Full(Store::Buffered));
            }
            let level = u8::decode(&mut hr)?;
            if usize::from(level) >= upper.len() {
                return Err(EmulatorError::NoSuchLevel(usize::from(level)));
            }
            held.push(Held {
                level,
                message: hr.read_opaque()?.to_vec(),
            });
        }
        r.finish()?;
        let stack = Self {
            config,
            base,
            upper,
            initiated,
            held,
        };
        // Every level's `g` must be the mirror of the level below (a blob of one device).
        for i in 0..stack.upper.len() {
            let (vc_id, gid) = stack.link(i + 1)?;
            let below = stack.level(i)?.vc_group(vc_id, &gid)?;
            if below.to_bytes()? != stack.level(i + 1)?.g.to_bytes()? {
                return Err(EmulatorError::NoSuchLevel(i + 1));
            }
        }
        Ok(stack)
    }
}
