//! The emulator client: its membership in the emulation group G and its copies of G's virtual
//! clients.
use alloc::vec;
use alloc::vec::Vec;

use rand_core::CryptoRng;
use vmls_cbst::GroupChallengeContext;
use vmls_codec::{Decode, Reader};
use vmls_crypto::{Mls128ChaCha, Secret, SignatureKeyPair, SignaturePrivateKey, hash};
use vmls_group::group::{
    CBAM_EXTENSION_TYPE, CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams,
    KeyPackagePrivate, ProcessedMessage, PskStore, create_key_package,
};
use vmls_group::{
    ContentType, ExtensionBody, KeyPackage, MLSMessage, MLSMessageBody, Proposal, Sender,
    WireFormat,
};
use vmls_tree::{Credential, Lifetime};

use crate::announce::{
    AnnounceDetail, CommitDetail, CreateVcDetail, JoinDetail, KeyPackagesDetail, LeaveDetail,
    ProposalRequest, ProposeDetail, VcActionType, VirtualClientAction, VirtualClientActions,
};
use crate::derive::{
    Operation, OperationContext, OperationRng, label, operation_derive, operation_secret,
    rotated_signature_seed,
};
use crate::error::{EmulatorError, Store};

/// Limits and the configuration of the virtual clients' groups. Every emulator of G must use
/// the same `vc_group_config` (it is part of V's state, which must be byte-identical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// The [`GroupConfig`] of every higher-level group a virtual client joins.
    pub vc_group_config: GroupConfig,
    /// G epochs whose `vc_epoch_secret` is kept for late replay (deferred actions).
    pub max_retained_seeds: usize,
    /// Higher-level messages kept while they wait for their announcement (all groups).
    pub max_buffered: usize,
    /// Announced actions kept while they wait for the higher-level group or the Welcome.
    pub max_deferred: usize,
    /// Virtual clients of G.
    pub max_virtual_clients: usize,
    /// Higher-level groups per virtual client.
    pub max_groups_per_vc: usize,
    /// Unused KeyPackages per virtual client.
    pub max_key_packages: usize,
    /// Welcomes kept before their join is announced.
    pub max_welcomes: usize,
    /// Digests of this emulator's own CBAMs and of V's proposals kept to recognise their echo.
    pub max_sent_cbams: usize,
    /// Most bytes of a provisioning snapshot a new device accepts (`crate::provision`).
    pub max_provisioning_len: u32,
}

impl EmulatorConfig {
    /// The defaults: 4 retained seeds, 64 buffered messages, 16 deferred actions, 16 virtual
    /// clients, 64 groups and 64 KeyPackages per virtual client, 8 Welcomes, 256 sent CBAMs,
    /// 4 MiB provisioning snapshots.
    pub const DEFAULT: Self = Self {
        vc_group_config: GroupConfig::DEFAULT,
        max_retained_seeds: 4,
        max_buffered: 64,
        max_deferred: 16,
        max_virtual_clients: 16,
        max_groups_per_vc: crate::announce::MAX_ACTIONS,
        max_key_packages: 64,
        max_welcomes: 8,
        max_sent_cbams: 256,
        max_provisioning_len: 4 * 1024 * 1024,
    };
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What an emulator asks G to announce (turned into a `VirtualClientAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // built once per announcement
pub enum Request {
    /// Create virtual client `vc_id` with `credential`.
    CreateVirtualClient {
        /// Fresh id, unique in G.
        vc_id: u32,
        /// V's credential.
        credential: Credential,
    },
    /// Create `count` KeyPackages for V.
    PublishKeyPackages {
        /// The virtual client.
        vc_id: u32,
        /// How many.
        count: u16,
        /// Their leaves' lifetime.
        lifetime: Lifetime,
    },
    /// V joins a group from a Welcome (the encoded `MLSMessage(Welcome)`, read from V's queue).
    JoinGroup {
        /// The virtual client.
        vc_id: u32,
        /// The Welcome.
        welcome: Vec<u8>,
    },
    /// V commits in a group (always with an UpdatePath).
    Commit {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// Proposals by value.
        proposals: Vec<Proposal>,
        /// Include the cached proposals by reference.
        include_pending: bool,
    },
    /// V proposes in a group.
    Propose {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// The proposal.
        request: ProposalRequest,
    },
    /// V creates a one-member group that requires CBAM (then adds members with a commit).
    CreateGroup {
        /// The virtual client.
        vc_id: u32,
        /// The new group's id (distinct from G's and every other group's).
        group_id: Vec<u8>,
    },
    /// V proposes its own removal from a group.
    Leave {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
    /// V commits in `group_id`, an emulation group one level up where V is itself an emulator,
    /// carrying that level's announcement (nesting: built by [`crate::nest::EmulationStack`]).
    Announce {
        /// The virtual client.
        vc_id: u32,
        /// The emulation group one level up.
        group_id: Vec<u8>,
        /// Proposals by value in that commit.
        proposals: Vec<Proposal>,
        /// The commit's `authenticated_data` (a SafeAAD with a `VirtualClientActions` item).
        authenticated_data: Vec<u8>,
    },
}

/// What happened, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A virtual client was created.
    VirtualClientCreated {
        /// Its id.
        vc_id: u32,
    },
    /// KeyPackages were created for V (upload them: every emulator holds their private keys).
    KeyPackages {
        /// The virtual client.
        vc_id: u32,
        /// The KeyPackages.
        key_packages: Vec<KeyPackage>,
    },
    /// V joined a group.
    Joined {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
    /// A message V sends in a group (a commit, now V's pending commit there, or a proposal),
    /// and the Welcome of a commit that adds members. Every emulator computes the same bytes;
    /// the one that announced the action sends them (any other may resend them).
    Outgoing {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// The encoded MLSMessage.
        message: Vec<u8>,
        /// The encoded `MLSMessage(Welcome)`, if the commit adds members.
        welcome: Option<Vec<u8>>,
    },
    /// An announced action waits: V's copy of the group is behind the announced epoch, or the
    /// Welcome has not arrived.
    Deferred {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
    /// An announced action was not executed: the group moved past the announced epoch (another
    /// commit won).
    Superseded {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// The announced epoch.
        epoch: u64,
    },
    /// A higher-level message was processed for V.
    Processed {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// What it did.
        outcome: ProcessedMessage,
    },
    /// A higher-level message from V waits for the announcement that produces it.
    Buffered {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
    /// This emulator's own CBAM came back from the Delivery Service (already applied).
    OwnCbamEcho {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
    /// V's own proposal (or leave) came back from the Delivery Service: already cached when the
    /// action ran (a PrivateMessage from V's own leaf cannot be decrypted again).
    OwnProposalEcho {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
    /// A buffered higher-level message failed when its turn came (for example V's commit
    /// that lost to another one, or a message of an epoch V's copy has left): it is dropped.
    BufferedDropped {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// Why it failed.
        error: EmulatorError,
    },
    /// A deferred action was dropped because its G seed expired (older than
    /// [`EmulatorConfig::max_retained_seeds`] G epochs). If the higher-level group accepted V's
    /// message of that action, this emulator cannot follow it: processing it later fails with
    /// [`EmulatorError::SeedExpired`] and the way back is re-provisioning V's state from a
    /// sibling (docs/spec-decisions.md, "Seeds kept").
    ActionExpired {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// The G epoch that announced the action.
        g_epoch: u64,
    },
    /// V had a pending commit in the group at the epoch a new action of V was announced for:
    /// the commit never came back and lost to nothing, so every emulator abandons it before
    /// running the new action (docs/spec-decisions.md, "Abandoned pending commits"). If it
    /// does come back after all (accepted by the Delivery Service), it is still merged.
    PendingCommitAbandoned {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
        /// V's epoch in the group.
        epoch: u64,
    },
    /// A G commit removed other emulators: V's unused KeyPackages are deleted here, because
    /// the removed devices hold their private keys. Delete them from the KeyPackage directory
    /// (and publish fresh ones, e.g. in the same announcement).
    KeyPackagesRevoked {
        /// The virtual client.
        vc_id: u32,
        /// The revoked KeyPackages.
        key_packages: Vec<KeyPackage>,
    },
    /// Provisioning progressed: `received` of `total` snapshot bytes are in.
    ProvisioningProgress {
        /// Bytes received.
        received: u32,
        /// Snapshot length.
        total: u32,
    },
    /// This device now holds the virtual clients' state (the snapshot, then the announcements
    /// it logged while waiting, replayed).
    Provisioned,
    /// A G commit removed this emulator: its copies of the virtual clients, seeds and buffers
    /// are deleted (only its own, now inactive, G state is left).
    EmulatorRemoved,
    /// V was removed from a group; its state there is deleted.
    Removed {
        /// The virtual client.
        vc_id: u32,
        /// The group.
        group_id: Vec<u8>,
    },
}

/// The outcome of a message of the emulation group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulationOutcome {
    /// What the message did in G.
    pub processed: ProcessedMessage,
    /// Whether this emulator sent it (it then sends the [`Event::Outgoing`] messages).
    pub own: bool,
    /// The executed announcement's effects.
    pub events: Vec<Event>,
}

/// A virtual client: everything every emulator holds identically.
#[derive(Clone, Debug)]
pub(crate) struct VirtualClient {
    pub(crate) vc_id: u32,
    pub(crate) credential: Credential,
    pub(crate) signature_seed: Secret,
    pub(crate) groups: Vec<Group>,
    pub(crate) key_packages: Vec<(KeyPackage, KeyPackagePrivate)>,
}

impl VirtualClient {
    fn signer(&self) -> SignatureKeyPair {
        let private = SignaturePrivateKey::from_bytes(self.signature_seed.as_bytes());
        let public = private.public_key();
        SignatureKeyPair { private, public }
    }

    fn group_index(&self, group_id: &[u8]) -> Option<usize> {
        self.groups.iter().position(|g| g.group_id() == group_id)
    }
}

/// A higher-level message waiting for its announcement.
#[derive(Clone, Debug)]
pub(crate) struct Buffered {
    pub(crate) vc_id: u32,
    pub(crate) group_id: Vec<u8>,
    pub(crate) message: Vec<u8>,
}

/// An announced action waiting for V's copy of the group (or the Welcome).
#[derive(Clone, Debug)]
pub(crate) struct Deferred {
    pub(crate) g_epoch: u64,
    pub(crate) counter: u32,
    pub(crate) action: VirtualClientAction,
}

/// V's group as it was before an abandoned pending commit (kept in case the commit comes back).
#[derive(Clone, Debug)]
pub(crate) struct Retired {
    pub(crate) vc_id: u32,
    pub(crate) group: Group,
}

/// An action whose G seed expired while it was deferred.
#[derive(Clone, Debug)]
pub(crate) struct Expired {
    pub(crate) vc_id: u32,
    pub(crate) group_id: Vec<u8>,
    /// V's epoch in the group the action named (0 for a join).
    pub(crate) epoch: u64,
    pub(crate) g_epoch: u64,
}

/// This emulator's CBAM generation counter for V in a group (draft 5.5.1: per sending client).
#[derive(Clone, Debug)]
pub(crate) struct CbamCounter {
    pub(crate) vc_id: u32,
    pub(crate) group_id: Vec<u8>,
    pub(crate) epoch: u64,
    pub(crate) generation: u64,
}

/// An emulator client (draft-kohbrok-mls-virtual-clients-03, "Client emulation").
///
/// Holds its membership in the emulation group G, a full copy of each virtual client's state,
/// the `vc_epoch_secret` of the last few G epochs, and the bounded buffers for messages and
/// actions that arrive out of order. Every method is transactional: on error nothing changed.
#[derive(Clone, Debug)]
pub struct Emulator {
    pub(crate) config: EmulatorConfig,
    pub(crate) g: Group,
    pub(crate) vcs: Vec<VirtualClient>,
    pub(crate) seeds: Vec<(u64, Secret)>,
    pub(crate) buffered: Vec<Buffered>,
    pub(crate) deferred: Vec<Deferred>,
    pub(crate) welcomes: Vec<(u32, [u8; 32], Vec<u8>)>,
    pub(crate) cbam_counters: Vec<CbamCounter>,
    pub(crate) sent_cbams: Vec<[u8; 32]>,
    pub(crate) retired: Vec<Retired>,
    pub(crate) expired: Vec<Expired>,
    pub(crate) provisioning: crate::provision::Provisioning,
}

/// The group id of an encoded PublicMessage, PrivateMessage or CBAM (the field after the
/// 4-byte header in all three).
pub fn message_group_id(message: &[u8]) -> Result<&[u8], EmulatorError> {
    let mut r = Reader::new(message);
    let _version = u16::decode(&mut r)?;
    let wf = u16::decode(&mut r)?;
    if wf != WireFormat::PublicMessage.value()
        && wf != WireFormat::PrivateMessage.value()
        && wf != CBAM_EXTENSION_TYPE
    {
        return Err(EmulatorError::Group(GroupError::UnexpectedWireFormat(wf)));
    }
    Ok(r.read_opaque()?)
}

/// The `authenticated_data` of an encoded Commit (PublicMessage or PrivateMessage), `None`
/// for other content. Only trusted after the group verified the message.
pub(crate) fn commit_authenticated_data(message: &[u8]) -> Result<Option<Vec<u8>>, EmulatorError> {
    let msg = MLSMessage::decode_exact(message)?;
    Ok(match msg.body {
        MLSMessageBody::PublicMessage(pm) => match pm.content.content.content_type() {
            ContentType::Commit => Some(pm.content.authenticated_data.0),
            _ => None,
        },
        MLSMessageBody::PrivateMessage(pm) if pm.content_type == ContentType::Commit => {
            Some(pm.authenticated_data.0)
        }
        _ => None,
    })
}

pub(crate) fn digest(bytes: &[u8]) -> [u8; 32] {
    let h = hash(bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(h.as_ref());
    out
}

/// What handling one higher-level message did.
enum Handled {
    Done(Vec<Event>),
    NeedsAnnouncement,
}

impl Emulator {
    /// An emulator from its membership in G (created, or joined by Welcome) and the limits.
    /// Records the current epoch's seed.
    pub fn new(g: Group, config: EmulatorConfig) -> Self {
        let seeds = vec![(g.epoch(), g.virtual_client_seed().clone())];
        Self {
            config,
            g,
            vcs: Vec::new(),
            seeds,
            buffered: Vec::new(),
            deferred: Vec::new(),
            welcomes: Vec::new(),
            cbam_counters: Vec::new(),
            sent_cbams: Vec::new(),
            retired: Vec::new(),
            expired: Vec::new(),
            provisioning: Default::default(),
        }
    }

    /// The limits.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// This emulator's membership in G.
    pub fn emulation_group(&self) -> &Group {
        &self.g
    }

    /// This emulator's membership in G, for ordinary G operations (adding emulators, ...).
    /// Process every G message through [`Emulator::process_emulation_message`], not here.
    pub fn emulation_group_mut(&mut self) -> &mut Group {
        &mut self.g
    }

    /// The ids of G's virtual clients, ascending.
    pub fn virtual_clients(&self) -> impl Iterator<Item = u32> + '_ {
        self.vcs.iter().map(|v| v.vc_id)
    }

    fn vc(&self, vc_id: u32) -> Result<&VirtualClient, EmulatorError> {
        self.vcs
            .iter()
            .find(|v| v.vc_id == vc_id)
            .ok_or(EmulatorError::UnknownVirtualClient(vc_id))
    }

    fn vc_mut(&mut self, vc_id: u32) -> Result<&mut VirtualClient, EmulatorError> {
        self.vcs
            .iter_mut()
            .find(|v| v.vc_id == vc_id)
            .ok_or(EmulatorError::UnknownVirtualClient(vc_id))
    }

    /// V's signature public key.
    pub fn signature_public_key(&self, vc_id: u32) -> Result<[u8; 32], EmulatorError> {
        Ok(self.vc(vc_id)?.signer().public)
    }

    /// V's state in a group.
    pub fn vc_group(&self, vc_id: u32, group_id: &[u8]) -> Result<&Group, EmulatorError> {
        let vc = self.vc(vc_id)?;
        vc.groups
            .iter()
            .find(|g| g.group_id() == group_id)
            .ok_or(EmulatorError::NotInGroup { vc_id })
    }

    /// The group ids V is in.
    pub fn vc_groups(&self, vc_id: u32) -> Result<Vec<Vec<u8>>, EmulatorError> {
        Ok(self
            .vc(vc_id)?
            .groups
            .iter()
            .map(|g| g.group_id().to_vec())
            .collect())
    }

    /// V's unused KeyPackages.
    pub fn key_packages(&self, vc_id: u32) -> Result<Vec<KeyPackage>, EmulatorError> {
        Ok(self
            .vc(vc_id)?
            .key_packages
            .iter()
            .map(|(k, _)| k.clone())
            .collect())
    }

    /// Messages buffered for their announcement.
    pub fn buffered_messages(&self) -> usize {
        self.buffered.len()
    }

    /// Announced actions waiting.
    pub fn deferred_actions(&self) -> usize {
        self.deferred.len()
    }

    /// G epochs whose seed is retained, oldest first.
    pub fn retained_seed_epochs(&self) -> impl Iterator<Item = u64> + '_ {
        self.seeds.iter().map(|(e, _)| *e)
    }

    // ------------------------------------------------------------------ announcing

    pub(crate) fn request_to_action(
        &mut self,
        req: &Request,
    ) -> Result<VirtualClientAction, EmulatorError> {
        Ok(match req {
            Request::CreateVirtualClient { vc_id, credential } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::CreateVc,
                target_group_id: Vec::new(),
                detail: CreateVcDetail {
                    credential: credential.clone(),
                }
                .to_bytes()?,
            },
            Request::PublishKeyPackages {
                vc_id,
                count,
                lifetime,
            } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::KeyPackages,
                target_group_id: Vec::new(),
                detail: KeyPackagesDetail {
                    count: *count,
                    not_before: lifetime.not_before,
                    not_after: lifetime.not_after,
                }
                .to_bytes()?,
            },
            Request::JoinGroup { vc_id, welcome } => {
                let (group_id, kp_ref) = self.welcome_target(*vc_id, welcome)?;
                let welcome_digest = digest(welcome);
                self.store_welcome(*vc_id, welcome)?;
                VirtualClientAction {
                    vc_id: *vc_id,
                    action: VcActionType::JoinGroup,
                    target_group_id: group_id,
                    detail: JoinDetail {
                        key_package_ref: kp_ref,
                        welcome_digest,
                    }
                    .to_bytes()?,
                }
            }
            Request::Commit {
                vc_id,
                group_id,
                proposals,
                include_pending,
            } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::Commit,
                target_group_id: group_id.clone(),
                detail: CommitDetail {
                    epoch: self.vc_group(*vc_id, group_id)?.epoch(),
                    include_pending: *include_pending,
                    proposals: proposals.clone(),
                }
                .to_bytes()?,
            },
            Request::Propose {
                vc_id,
                group_id,
                request,
            } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::Propose,
                target_group_id: group_id.clone(),
                detail: ProposeDetail {
                    epoch: self.vc_group(*vc_id, group_id)?.epoch(),
                    request: request.clone(),
                }
                .to_bytes()?,
            },
            Request::CreateGroup { vc_id, group_id } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::CreateGroup,
                target_group_id: group_id.clone(),
                detail: Vec::new(),
            },
            Request::Leave { vc_id, group_id } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::LeaveGroup,
                target_group_id: group_id.clone(),
                detail: LeaveDetail {
                    epoch: self.vc_group(*vc_id, group_id)?.epoch(),
                }
                .to_bytes()?,
            },
            Request::Announce {
                vc_id,
                group_id,
                proposals,
                authenticated_data,
            } => VirtualClientAction {
                vc_id: *vc_id,
                action: VcActionType::Announce,
                target_group_id: group_id.clone(),
                detail: AnnounceDetail {
                    epoch: self.vc_group(*vc_id, group_id)?.epoch(),
                    proposals: proposals.clone(),
                    authenticated_data: authenticated_data.clone(),
                }
                .to_bytes()?,
            },
        })
    }

    /// The group id a Welcome is for, and which of V's KeyPackages it uses.
    fn welcome_target(
        &self,
        vc_id: u32,
        welcome: &[u8],
    ) -> Result<(Vec<u8>, [u8; 32]), EmulatorError> {
        let vc = self.vc(vc_id)?;
        let msg = MLSMessage::decode_exact(welcome)?;
        let MLSMessageBody::Welcome(w) = msg.body else {
            return Err(EmulatorError::WelcomeMismatch);
        };
        for (kp, private) in &vc.key_packages {
            let r = kp.make_ref()?;
            if w.find_secrets(&r).is_some() {
                let group = Group::<Mls128ChaCha>::stage_welcome(
                    &w,
                    kp,
                    private,
                    None,
                    PskStore::new(),
                    self.config.vc_group_config,
                )?;
                let id = group.group_id().to_vec();
                return Ok((id, r.0));
            }
        }
        Err(EmulatorError::UnknownKeyPackage)
    }

    fn store_welcome(&mut self, vc_id: u32, welcome: &[u8]) -> Result<(), EmulatorError> {
        let d = digest(welcome);
        if self.welcomes.iter().any(|(v, w, _)| *v == vc_id && *w == d) {
            return Ok(());
        }
        if self.welcomes.len() >= self.config.max_welcomes {
            return Err(EmulatorError::Full(Store::Welcomes));
        }
        self.welcomes.push((vc_id, d, welcome.to_vec()));
        Ok(())
    }

    /// Announces `requests` with a commit in G (an UpdatePath, so the new epoch's secrets are
    /// fresh) and returns it for G's Delivery Service. The actions run when the commit comes
    /// back through [`Emulator::process_emulation_message`] (on every emulator); they are
    /// first run on a copy here, so a request that would fail is refused before anything is
    /// sent.
    pub fn announce<R: CryptoRng + ?Sized>(
        &mut self,
        requests: &[Request],
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        self.announce_with(requests, Vec::new(), Vec::new(), rng)
    }

    /// Removes emulator devices (their leaves in G) with one G commit that, in the same
    /// announcement, has every virtual client commit in every higher-level group it is in
    /// (issue 18, draft-kohbrok-mls-virtual-clients-03 section 5.3 and "Example protocol
    /// flow"): the commits' path secrets and leaf keys come from the G epoch the removal
    /// creates, which the removed devices never learn, so after those commits they can decrypt
    /// nothing in any of V's groups. On every remaining emulator the G commit also revokes
    /// V's unused KeyPackages (the removed devices hold their private keys):
    /// [`Event::KeyPackagesRevoked`]. At most [`crate::announce::MAX_ACTIONS`] (V, group)
    /// pairs fit one announcement (`AnnouncementError::TooLarge` beyond).
    pub fn remove_emulators<R: CryptoRng + ?Sized>(
        &mut self,
        leaves: &[u32],
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        let mut requests = Vec::new();
        for vc in &self.vcs {
            for g in &vc.groups {
                requests.push(Request::Commit {
                    vc_id: vc.vc_id,
                    group_id: g.group_id().to_vec(),
                    proposals: Vec::new(),
                    include_pending: false,
                });
            }
        }
        let proposals = leaves
            .iter()
            .map(|l| Proposal::Remove(vmls_group::Remove { removed: *l }))
            .collect();
        self.announce_with(&requests, proposals, Vec::new(), rng)
    }

    /// [`Emulator::announce`] with G proposals by value in the announcing commit.
    pub(crate) fn announce_with<R: CryptoRng + ?Sized>(
        &mut self,
        requests: &[Request],
        g_proposals: Vec<Proposal>,
        extra: Vec<VirtualClientAction>,
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        let mut next = self.clone();
        let mut actions = Vec::with_capacity(requests.len());
        for r in requests {
            actions.push(next.request_to_action(r)?);
        }
        actions.extend(extra);
        let aad = VirtualClientActions { actions }.to_authenticated_data()?;
        let out = next.g.commit(
            &CommitOptions {
                proposals: g_proposals,
                force_path: true,
                include_pending: true,
                authenticated_data: aad.clone(),
                ..CommitOptions::default()
            },
            rng,
        )?;
        let mut dry = next.clone();
        dry.g.merge_pending_commit()?;
        dry.after_g_commit(&out.summary, Some(&aad))?;
        *self = next;
        Ok(out.commit)
    }

    // ------------------------------------------------------------------ processing G

    /// Processes a message of the emulation group: a commit carrying an announcement executes
    /// its actions on this emulator's copies of the virtual clients (with secrets from the
    /// epoch the commit created). A hostile announcement is a typed error and changes nothing
    /// (G included: every honest emulator refuses the same commit).
    pub fn process_emulation_message(
        &mut self,
        message: &[u8],
    ) -> Result<EmulationOutcome, EmulatorError> {
        let mut next = self.clone();
        let own_leaf = next.g.own_leaf_index();
        let aad = commit_authenticated_data(message)?;
        let staged = next.g.stage_message(message)?;
        let processed = next.g.merge_staged(staged)?;
        let (own, events) = match &processed {
            ProcessedMessage::Commit(summary) => {
                let own = summary.sender == Sender::Member(own_leaf);
                let events = next.after_g_commit(summary, aad.as_deref())?;
                (own, events)
            }
            ProcessedMessage::Application { data, .. } if next.provisioning.inbox.is_some() => {
                (false, next.receive_chunk(data)?)
            }
            _ => (false, Vec::new()),
        };
        *self = next;
        Ok(EmulationOutcome {
            processed,
            own,
            events,
        })
    }

    /// After a G commit. If it removed this emulator, V's state here is deleted (this device
    /// no longer learns G's seeds, so it could not follow V anyway) and nothing is executed.
    /// If it removed other emulators, V's signature key is rotated
    /// ([`rotated_signature_seed`]) and V's unused KeyPackages are revoked first (the removed
    /// devices hold their private keys). Then the new epoch's seed is kept and the
    /// announcement executed.
    pub(crate) fn after_g_commit(
        &mut self,
        summary: &vmls_group::group::CommitSummary,
        aad: Option<&[u8]>,
    ) -> Result<Vec<Event>, EmulatorError> {
        if summary.self_removed {
            self.vcs.clear();
            self.seeds.clear();
            self.buffered.clear();
            self.deferred.clear();
            self.welcomes.clear();
            self.cbam_counters.clear();
            self.sent_cbams.clear();
            self.retired.clear();
            self.expired.clear();
            return Ok(vec![Event::EmulatorRemoved]);
        }
        let mut events = Vec::new();
        if !summary.removed.is_empty() {
            let seed = self.g.virtual_client_seed().clone();
            if self.provisioning.inbox.is_some() {
                self.log_removal_while_awaiting(self.g.epoch())?;
            }
            events.extend(self.after_removal(&seed)?);
        }
        events.extend(self.on_new_g_epoch(aad)?);
        Ok(events)
    }

    /// After a G commit that removed other emulators, with the `vc_epoch_secret` of the epoch
    /// it created. The removed devices knew V's signature key: every remaining emulator derives
    /// the same new one ([`rotated_signature_seed`], which the removed devices cannot: they
    /// never learn that epoch), and V's next commit in each group installs it (in
    /// [`Emulator::remove_emulators`], the same announcement's). V's unused KeyPackages carry
    /// the old key and init keys the removed devices hold: they are revoked.
    pub(crate) fn after_removal(&mut self, seed: &Secret) -> Result<Vec<Event>, EmulatorError> {
        let mut events = Vec::new();
        for vc in &mut self.vcs {
            vc.signature_seed = rotated_signature_seed(seed, vc.vc_id)?;
        }
        for vc in &mut self.vcs {
            if vc.key_packages.is_empty() {
                continue;
            }
            let key_packages = vc.key_packages.drain(..).map(|(k, _)| k).collect();
            events.push(Event::KeyPackagesRevoked {
                vc_id: vc.vc_id,
                key_packages,
            });
        }
        Ok(events)
    }

    /// After G moved to a new epoch: keep its seed, execute the announcement if any.
    fn on_new_g_epoch(&mut self, aad: Option<&[u8]>) -> Result<Vec<Event>, EmulatorError> {
        let epoch = self.g.epoch();
        let seed = self.g.virtual_client_seed().clone();
        self.seeds.push((epoch, seed));
        let mut events = Vec::new();
        while self.seeds.len() > self.config.max_retained_seeds.max(1) {
            let (old, _) = self.seeds.remove(0);
            // Deferred actions of an expired epoch can never run: drop them.
            let mut i = 0;
            while i < self.deferred.len() {
                if self.deferred.get(i).is_some_and(|d| d.g_epoch == old) {
                    let d = self.deferred.remove(i);
                    let epoch = action_epoch(&d.action).unwrap_or(0);
                    if self.expired.len() >= self.config.max_deferred {
                        self.expired.remove(0);
                    }
                    self.expired.push(Expired {
                        vc_id: d.action.vc_id,
                        group_id: d.action.target_group_id.clone(),
                        epoch,
                        g_epoch: old,
                    });
                    events.push(Event::ActionExpired {
                        vc_id: d.action.vc_id,
                        group_id: d.action.target_group_id,
                        g_epoch: old,
                    });
                } else {
                    i += 1;
                }
            }
        }
        let Some(aad) = aad else {
            return Ok(events);
        };
        if self.provisioning.inbox.is_some() {
            // Not provisioned yet: keep the announcement for after the snapshot.
            events.extend(self.log_while_awaiting(epoch, aad)?);
            return Ok(events);
        }
        events.extend(self.run_announcement(epoch, aad)?);
        Ok(events)
    }

    /// Executes the announcement in `aad` of G epoch `epoch` (its seed must be retained).
    pub(crate) fn run_announcement(
        &mut self,
        epoch: u64,
        aad: &[u8],
    ) -> Result<Vec<Event>, EmulatorError> {
        let mut events = Vec::new();
        let Some(announcement) = VirtualClientActions::from_authenticated_data(aad)? else {
            return Ok(events);
        };
        // Counters per (vc_id, target group, operation), in announcement order.
        let mut counters: Vec<(u32, Vec<u8>, u8, u32)> = Vec::new();
        for action in announcement.actions {
            let (op, n) = secrets_of(&action)?;
            let slot = match counters
                .iter_mut()
                .find(|c| c.0 == action.vc_id && c.1 == action.target_group_id && c.2 == op as u8)
            {
                Some(c) => c,
                None => {
                    counters.push((action.vc_id, action.target_group_id.clone(), op as u8, 0));
                    counters.last_mut().ok_or(EmulatorError::Internal)?
                }
            };
            let counter = slot.3;
            slot.3 = slot.3.checked_add(n).ok_or(EmulatorError::Internal)?;
            events.extend(self.execute(epoch, counter, action)?);
        }
        Ok(events)
    }

    pub(crate) fn seed(&self, g_epoch: u64) -> Result<&Secret, EmulatorError> {
        self.seeds
            .iter()
            .find(|(e, _)| *e == g_epoch)
            .map(|(_, s)| s)
            .ok_or(EmulatorError::SeedExpired { epoch: g_epoch })
    }

    fn op_secret(
        &self,
        g_epoch: u64,
        vc_id: u32,
        target: &[u8],
        operation: Operation,
        counter: u32,
    ) -> Result<Secret, EmulatorError> {
        operation_secret(
            self.seed(g_epoch)?,
            &OperationContext {
                vc_id,
                target_group_id: target,
                operation,
                counter,
            },
        )
    }

    fn defer(
        &mut self,
        g_epoch: u64,
        counter: u32,
        action: VirtualClientAction,
    ) -> Result<Event, EmulatorError> {
        if self.deferred.len() >= self.config.max_deferred {
            return Err(EmulatorError::Full(Store::Deferred));
        }
        let ev = Event::Deferred {
            vc_id: action.vc_id,
            group_id: action.target_group_id.clone(),
        };
        self.deferred.push(Deferred {
            g_epoch,
            counter,
            action,
        });
        Ok(ev)
    }

    /// Executes one announced action (or defers it).
    fn execute(
        &mut self,
        g_epoch: u64,
        counter: u32,
        action: VirtualClientAction,
    ) -> Result<Vec<Event>, EmulatorError> {
        let vc_id = action.vc_id;
        match action.action {
            VcActionType::CreateVc => {
                let d = CreateVcDetail::from_bytes(&action.detail)?;
                if !action.target_group_id.is_empty() {
                    return Err(EmulatorError::Announcement(
                        crate::announce::AnnouncementError::Codec(vmls_codec::Error::LimitExceeded),
                    ));
                }
                if self.vcs.iter().any(|v| v.vc_id == vc_id) {
                    return Err(EmulatorError::VirtualClientExists(vc_id));
                }
                if self.vcs.len() >= self.config.max_virtual_clients {
                    return Err(EmulatorError::Full(Store::VirtualClients));
                }
                let op = self.op_secret(g_epoch, vc_id, &[], Operation::SignatureKey, counter)?;
                let signature_seed = operation_derive(&op, label::SIGNATURE_KEY)?;
                let pos = self
                    .vcs
                    .iter()
                    .position(|v| v.vc_id > vc_id)
                    .unwrap_or(self.vcs.len());
                self.vcs.insert(
                    pos,
                    VirtualClient {
                        vc_id,
                        credential: d.credential,
                        signature_seed,
                        groups: Vec::new(),
                        key_packages: Vec::new(),
                    },
                );
                Ok(vec![Event::VirtualClientCreated { vc_id }])
            }
            VcActionType::KeyPackages => {
                let d = KeyPackagesDetail::from_bytes(&action.detail)?;
                let vc = self.vc(vc_id)?;
                if !action.target_group_id.is_empty() {
                    return Err(EmulatorError::NotInGroup { vc_id });
                }
                if vc.key_packages.len() + usize::from(d.count) > self.config.max_key_packages {
                    return Err(EmulatorError::Full(Store::KeyPackages));
                }
                let params = vc_params(
                    &vc.credential,
                    Lifetime {
                        not_before: d.not_before,
                        not_after: d.not_after,
                    },
                );
                let signer = vc.signer();
                let mut made = Vec::new();
                for i in 0..u32::from(d.count) {
                    let c = counter.checked_add(i).ok_or(EmulatorError::Internal)?;
                    let op = self.op_secret(g_epoch, vc_id, &[], Operation::KeyPackage, c)?;
                    let mut rng = OperationRng::new(&op, Operation::KeyPackage)?;
                    let (kp, private) =
                        create_key_package::<Mls128ChaCha, _>(&params, &signer, &mut rng)?;
                    if !rng.prefix_consumed() {
                        return Err(EmulatorError::DerivationMismatch);
                    }
                    made.push((kp, private));
                }
                let key_packages = made.iter().map(|(k, _)| k.clone()).collect();
                self.vc_mut(vc_id)?.key_packages.extend(made);
                Ok(vec![Event::KeyPackages {
                    vc_id,
                    key_packages,
                }])
            }
            VcActionType::JoinGroup => {
                let d = JoinDetail::from_bytes(&action.detail)?;
                let vc = self.vc(vc_id)?;
                if vc.group_index(&action.target_group_id).is_some() {
                    return Err(EmulatorError::AlreadyInGroup { vc_id });
                }
                let kp_index = vc
                    .key_packages
                    .iter()
                    .position(|(k, _)| k.make_ref().is_ok_and(|r| r.0 == d.key_package_ref))
                    .ok_or(EmulatorError::UnknownKeyPackage)?;
                let Some(w_index) = self
                    .welcomes
                    .iter()
                    .position(|(v, dg, _)| *v == vc_id && *dg == d.welcome_digest)
                else {
                    return Ok(vec![self.defer(g_epoch, counter, action)?]);
                };
                if vc.groups.len() >= self.config.max_groups_per_vc {
                    return Err(EmulatorError::Full(Store::Groups));
                }
                let (kp, private) = vc
                    .key_packages
                    .get(kp_index)
                    .ok_or(EmulatorError::Internal)?;
                let welcome = self.welcomes.get(w_index).ok_or(EmulatorError::Internal)?;
                let group = Group::join_from_welcome_bytes(
                    &welcome.2,
                    kp,
                    private,
                    None,
                    PskStore::new(),
                    self.config.vc_group_config,
                )?;
                if group.group_id() != action.target_group_id.as_slice() {
                    return Err(EmulatorError::WelcomeMismatch);
                }
                self.welcomes.remove(w_index);
                let vc = self.vc_mut(vc_id)?;
                vc.key_packages.remove(kp_index);
                vc.groups.push(group);
                let mut events = vec![Event::Joined {
                    vc_id,
                    group_id: action.target_group_id.clone(),
                }];
                events.extend(self.drain_buffered(vc_id, &action.target_group_id)?);
                Ok(events)
            }
            VcActionType::Commit
            | VcActionType::Announce
            | VcActionType::Propose
            | VcActionType::LeaveGroup => {
                let epoch = action_epoch(&action)?;
                let gid = action.target_group_id.clone();
                let vc = self.vc(vc_id)?;
                let gi = vc
                    .group_index(&gid)
                    .ok_or(EmulatorError::NotInGroup { vc_id })?;
                let group = vc.groups.get(gi).ok_or(EmulatorError::Internal)?;
                let current = group.epoch();
                if epoch > current {
                    return Ok(vec![self.defer(g_epoch, counter, action)?]);
                }
                if epoch < current {
                    return Ok(vec![Event::Superseded {
                        vc_id,
                        group_id: gid,
                        epoch,
                    }]);
                }
                let mut group = group.clone();
                let mut events = Vec::new();
                if group.has_pending_commit() {
                    // V's commit at this epoch never came back and nothing beat it: every
                    // emulator reaches this announcement at the same point of G's order with
                    // the same pending commit, so all abandon it alike. The group as it was
                    // is kept in case the commit comes back after all.
                    self.retired
                        .retain(|r| !(r.vc_id == vc_id && r.group.group_id() == gid.as_slice()));
                    self.retired.push(Retired {
                        vc_id,
                        group: group.clone(),
                    });
                    group.clear_pending_commit();
                    events.push(Event::PendingCommitAbandoned {
                        vc_id,
                        group_id: gid.clone(),
                        epoch,
                    });
                }
                let (message, welcome) = match action.action {
                    VcActionType::Commit | VcActionType::Announce => {
                        let (proposals, include_pending, authenticated_data) =
                            commit_parts(&action)?;
                        // V's signature key was rotated (a device was removed) and its leaf
                        // here still has the old one: this commit installs the new key
                        // (docs/spec-decisions.md, "Signature-key rotation on device removal").
                        let signer = self.vc(vc_id)?.signer();
                        let new_signature_key = group
                            .own_leaf()
                            .is_some_and(|l| *l.signature_key() != signer.public)
                            .then_some(signer.private);
                        let op =
                            self.op_secret(g_epoch, vc_id, &gid, Operation::CommitPath, counter)?;
                        let mut rng = OperationRng::new(&op, Operation::CommitPath)?;
                        let out = group.commit(
                            &CommitOptions {
                                proposals,
                                include_pending,
                                force_path: true,
                                ratchet_tree_in_welcome: true,
                                group_info: false,
                                authenticated_data,
                                new_signature_key,
                            },
                            &mut rng,
                        )?;
                        if !rng.prefix_consumed() {
                            return Err(EmulatorError::DerivationMismatch);
                        }
                        (out.commit, out.welcome)
                    }
                    VcActionType::Propose => {
                        let d = ProposeDetail::from_bytes(&action.detail)?;
                        let (operation, _) = secrets_of(&action)?;
                        let op = self.op_secret(g_epoch, vc_id, &gid, operation, counter)?;
                        let mut rng = OperationRng::new(&op, operation)?;
                        let (m, _) = match d.request {
                            ProposalRequest::Update => group.propose_update(&mut rng)?,
                            ProposalRequest::Add(kp) => group.propose_add(*kp, &mut rng)?,
                            ProposalRequest::Remove(leaf) => {
                                group.propose_remove(leaf, &mut rng)?
                            }
                        };
                        if !rng.prefix_consumed() {
                            return Err(EmulatorError::DerivationMismatch);
                        }
                        (m, None)
                    }
                    _ => {
                        LeaveDetail::from_bytes(&action.detail)?;
                        let op =
                            self.op_secret(g_epoch, vc_id, &gid, Operation::Proposal, counter)?;
                        let mut rng = OperationRng::new(&op, Operation::Proposal)?;
                        let own = group.own_leaf_index();
                        let (m, _) = group.propose_remove(own, &mut rng)?;
                        (m, None)
                    }
                };
                if !matches!(action.action, VcActionType::Commit | VcActionType::Announce) {
                    // The echo of V's proposal is recognised by its digest (as own CBAMs are).
                    if self.sent_cbams.len() >= self.config.max_sent_cbams.max(1) {
                        self.sent_cbams.remove(0);
                    }
                    self.sent_cbams.push(digest(&message));
                }
                let vc = self.vc_mut(vc_id)?;
                let slot = vc.groups.get_mut(gi).ok_or(EmulatorError::Internal)?;
                *slot = group;
                events.push(Event::Outgoing {
                    vc_id,
                    group_id: gid.clone(),
                    message,
                    welcome,
                });
                events.extend(self.drain_buffered(vc_id, &gid)?);
                Ok(events)
            }
            VcActionType::CreateGroup => {
                if !action.detail.is_empty() {
                    return Err(EmulatorError::Announcement(
                        crate::announce::AnnouncementError::Codec(
                            vmls_codec::Error::TrailingBytes(action.detail.len()),
                        ),
                    ));
                }
                let gid = action.target_group_id.clone();
                let vc = self.vc(vc_id)?;
                if gid.is_empty() || gid.as_slice() == self.g.group_id() {
                    return Err(EmulatorError::Group(GroupError::InvalidState));
                }
                if vc.group_index(&gid).is_some() {
                    return Err(EmulatorError::AlreadyInGroup { vc_id });
                }
                if vc.groups.len() >= self.config.max_groups_per_vc {
                    return Err(EmulatorError::Full(Store::Groups));
                }
                let op = self.op_secret(g_epoch, vc_id, &gid, Operation::GroupCreation, counter)?;
                let mut rng = OperationRng::new(&op, Operation::GroupCreation)?;
                let params = vc_params(
                    &vc.credential,
                    Lifetime {
                        not_before: 0,
                        not_after: u64::MAX,
                    },
                );
                let required = vmls_tree::RequiredCapabilities {
                    extension_types: vec![CBAM_EXTENSION_TYPE],
                    proposal_types: Vec::new(),
                    credential_types: Vec::new(),
                }
                .to_extension()?;
                let group = Group::create(
                    &gid,
                    &params,
                    &vc.signer(),
                    vec![required],
                    self.config.vc_group_config,
                    &mut rng,
                )?;
                self.vc_mut(vc_id)?.groups.push(group);
                Ok(vec![Event::Joined {
                    vc_id,
                    group_id: gid,
                }])
            }
            // Acted on by the new device only, while it awaits provisioning
            // (`crate::provision`); checked here so every emulator refuses the same bad one.
            VcActionType::Provision => {
                crate::provision::ProvisionDetail::from_bytes(&action.detail)?;
                Ok(Vec::new())
            }
        }
    }

    /// Runs the deferred actions of (V, group) that are due (and drops the stale ones).
    fn run_deferred(&mut self, vc_id: u32, group_id: &[u8]) -> Result<Vec<Event>, EmulatorError> {
        let mut events = Vec::new();
        let mut i = 0;
        while i < self.deferred.len() {
            let due = match self.deferred.get(i) {
                Some(d) if d.action.vc_id == vc_id && d.action.target_group_id == group_id => {
                    match d.action.action {
                        VcActionType::JoinGroup => false,
                        _ => {
                            let epoch = action_epoch(&d.action)?;
                            let current = self
                                .vc(vc_id)?
                                .groups
                                .iter()
                                .find(|g| g.group_id() == group_id)
                                .map(|g| g.epoch());
                            current.is_none_or(|c| c >= epoch)
                        }
                    }
                }
                _ => false,
            };
            if due {
                let d = self.deferred.remove(i);
                if self.vc(vc_id)?.group_index(group_id).is_none() {
                    // V left the group meanwhile.
                    continue;
                }
                events.extend(self.execute(d.g_epoch, d.counter, d.action)?);
            } else {
                i += 1;
            }
        }
        Ok(events)
    }

    // ------------------------------------------------------------------ higher-level groups

    /// Stores a Welcome read from V's queue; runs a join announced before it arrived.
    pub fn receive_welcome(
        &mut self,
        vc_id: u32,
        welcome: &[u8],
    ) -> Result<Vec<Event>, EmulatorError> {
        let mut next = self.clone();
        next.vc(vc_id)?;
        let d = digest(welcome);
        next.store_welcome(vc_id, welcome)?;
        let mut events = Vec::new();
        let mut i = 0;
        while i < next.deferred.len() {
            let hit = next.deferred.get(i).is_some_and(|x| {
                x.action.vc_id == vc_id
                    && x.action.action == VcActionType::JoinGroup
                    && JoinDetail::from_bytes(&x.action.detail).is_ok_and(|j| j.welcome_digest == d)
            });
            if hit {
                let x = next.deferred.remove(i);
                events.extend(next.execute(x.g_epoch, x.counter, x.action)?);
            } else {
                i += 1;
            }
        }
        *self = next;
        Ok(events)
    }

    /// Processes a message of a higher-level group read from V's queue. A commit or proposal
    /// of V whose announcement has not arrived is buffered (bounded) and applied once it has;
    /// this emulator's own CBAM coming back is recognised. On error nothing changed.
    pub fn process_group_message(
        &mut self,
        vc_id: u32,
        message: &[u8],
    ) -> Result<Vec<Event>, EmulatorError> {
        let mut next = self.clone();
        let gid = message_group_id(message)?.to_vec();
        if next.vc(vc_id)?.group_index(&gid).is_none() {
            // Not in the group (yet): buffered while V's join is on its way (a join announced
            // and waiting, or a Welcome for the group in store), refused otherwise.
            if let Some(x) = next
                .expired
                .iter()
                .find(|x| x.vc_id == vc_id && x.group_id == gid)
            {
                return Err(EmulatorError::SeedExpired { epoch: x.g_epoch });
            }
            if !next.join_pending(vc_id, &gid) {
                return Err(EmulatorError::NotInGroup { vc_id });
            }
            let events = next.buffer(vc_id, &gid, message)?;
            *self = next;
            return Ok(events);
        }
        let events = if next
            .buffered
            .iter()
            .any(|b| b.vc_id == vc_id && b.group_id == gid)
        {
            next.buffer(vc_id, &gid, message)?
        } else {
            match next.handle(vc_id, &gid, message)? {
                Handled::Done(ev) => ev,
                Handled::NeedsAnnouncement => next.buffer(vc_id, &gid, message)?,
            }
        };
        *self = next;
        Ok(events)
    }

    /// Whether V's join of `gid` is on its way: a deferred `join_group` for it, or a stored
    /// Welcome of V for it.
    fn join_pending(&self, vc_id: u32, gid: &[u8]) -> bool {
        self.deferred.iter().any(|d| {
            d.action.vc_id == vc_id
                && d.action.action == VcActionType::JoinGroup
                && d.action.target_group_id == gid
        }) || self.welcomes.iter().any(|(v, _, w)| {
            *v == vc_id
                && self
                    .welcome_target(vc_id, w)
                    .is_ok_and(|(g, _)| g.as_slice() == gid)
        })
    }

    fn buffer(
        &mut self,
        vc_id: u32,
        gid: &[u8],
        message: &[u8],
    ) -> Result<Vec<Event>, EmulatorError> {
        if self.buffered.len() >= self.config.max_buffered {
            return Err(EmulatorError::Full(Store::Buffered));
        }
        self.buffered.push(Buffered {
            vc_id,
            group_id: gid.to_vec(),
            message: message.to_vec(),
        });
        Ok(vec![Event::Buffered {
            vc_id,
            group_id: gid.to_vec(),
        }])
    }

    /// Applies buffered messages of (V, group) in order until one still waits.
    fn drain_buffered(&mut self, vc_id: u32, gid: &[u8]) -> Result<Vec<Event>, EmulatorError> {
        let mut events = Vec::new();
        while let Some(i) = self
            .buffered
            .iter()
            .position(|b| b.vc_id == vc_id && b.group_id == gid)
        {
            if self.vc(vc_id)?.group_index(gid).is_none() {
                let before = self.buffered.len();
                self.buffered
                    .retain(|b| !(b.vc_id == vc_id && b.group_id == gid));
                for _ in self.buffered.len()..before {
                    events.push(Event::BufferedDropped {
                        vc_id,
                        group_id: gid.to_vec(),
                        error: EmulatorError::NotInGroup { vc_id },
                    });
                }
                break;
            }
            let msg = self
                .buffered
                .get(i)
                .ok_or(EmulatorError::Internal)?
                .message
                .clone();
            match self.handle(vc_id, gid, &msg) {
                Ok(Handled::NeedsAnnouncement) => break,
                Ok(Handled::Done(ev)) => {
                    self.buffered.remove(i);
                    events.extend(ev);
                }
                Err(error) => {
                    // A buffered message that fails now (e.g. V's commit that lost to another
                    // one) is dropped, and reported: it can never apply.
                    self.buffered.remove(i);
                    events.push(Event::BufferedDropped {
                        vc_id,
                        group_id: gid.to_vec(),
                        error,
                    });
                }
            }
        }
        Ok(events)
    }

    /// One higher-level message, in order.
    fn handle(&mut self, vc_id: u32, gid: &[u8], message: &[u8]) -> Result<Handled, EmulatorError> {
        let d = digest(message);
        if let Some(i) = self.sent_cbams.iter().position(|x| *x == d) {
            self.sent_cbams.remove(i);
            let group_id = gid.to_vec();
            return Ok(Handled::Done(vec![
                if vmls_group::framing::cbam::is_cbam(message) {
                    Event::OwnCbamEcho { vc_id, group_id }
                } else {
                    Event::OwnProposalEcho { vc_id, group_id }
                },
            ]));
        }
        let vc = self.vc(vc_id)?;
        let gi = vc
            .group_index(gid)
            .ok_or(EmulatorError::NotInGroup { vc_id })?;
        if !vmls_group::framing::cbam::is_cbam(message)
            && let Some(done) = self.try_retired(vc_id, gi, gid, message)?
        {
            return Ok(done);
        }
        let vc = self.vc(vc_id)?;
        let group = vc.groups.get(gi).ok_or(EmulatorError::Internal)?;
        let own = Sender::Member(group.own_leaf_index());
        let staged = match group.stage_message(message) {
            Err(GroupError::UnexpectedOwnCommit) => {
                return self.own_commit_without_pending(vc_id, gi, gid);
            }
            Err(e) => return Err(e.into()),
            Ok(s) => s,
        };
        if let ProcessedMessage::Proposal {
            sender, reference, ..
        } = staged.outcome()
            && *sender == own
            && !group.pending_proposals().any(|(r, _, _)| r == reference)
        {
            return Ok(Handled::NeedsAnnouncement);
        }
        let vc = self.vc_mut(vc_id)?;
        let group = vc.groups.get_mut(gi).ok_or(EmulatorError::Internal)?;
        let outcome = group.merge_staged(staged)?;
        let mut events = Vec::new();
        let removed = matches!(&outcome, ProcessedMessage::Commit(s) if s.self_removed);
        let is_commit = matches!(&outcome, ProcessedMessage::Commit(_));
        events.push(Event::Processed {
            vc_id,
            group_id: gid.to_vec(),
            outcome,
        });
        if removed {
            vc.groups.remove(gi);
            self.deferred
                .retain(|d| !(d.action.vc_id == vc_id && d.action.target_group_id == gid));
            self.cbam_counters
                .retain(|c| !(c.vc_id == vc_id && c.group_id == gid));
            self.retired
                .retain(|r| !(r.vc_id == vc_id && r.group.group_id() == gid));
            self.expired
                .retain(|x| !(x.vc_id == vc_id && x.group_id == gid));
            events.push(Event::Removed {
                vc_id,
                group_id: gid.to_vec(),
            });
        } else if is_commit {
            self.prune_after_commit(vc_id, gid)?;
            events.extend(self.run_deferred(vc_id, gid)?);
        }
        Ok(Handled::Done(events))
    }

    /// Drops the abandoned-commit snapshots and expiry records of (V, group) that the group's
    /// new epoch made moot.
    fn prune_after_commit(&mut self, vc_id: u32, gid: &[u8]) -> Result<(), EmulatorError> {
        let epoch = self.vc_group(vc_id, gid)?.epoch();
        self.retired.retain(|r| {
            !(r.vc_id == vc_id && r.group.group_id() == gid && r.group.epoch() < epoch)
        });
        self.expired
            .retain(|x| !(x.vc_id == vc_id && x.group_id == gid && x.epoch < epoch));
        Ok(())
    }

    /// An abandoned commit of V that the Delivery Service accepted after all: it is V's
    /// pending commit in the snapshot kept when it was abandoned, so it merges there and the
    /// snapshot replaces V's group (whatever V did meanwhile at that epoch lost to it).
    fn try_retired(
        &mut self,
        vc_id: u32,
        gi: usize,
        gid: &[u8],
        message: &[u8],
    ) -> Result<Option<Handled>, EmulatorError> {
        let epoch = self
            .vc(vc_id)?
            .groups
            .get(gi)
            .ok_or(EmulatorError::Internal)?
            .epoch();
        if let Some(ri) = self
            .retired
            .iter()
            .position(|r| r.vc_id == vc_id && r.group.group_id() == gid && r.group.epoch() == epoch)
        {
            let mut snapshot = self
                .retired
                .get(ri)
                .ok_or(EmulatorError::Internal)?
                .group
                .clone();
            let own = Sender::Member(snapshot.own_leaf_index());
            if let Ok(staged) = snapshot.stage_message(message)
                && matches!(staged.outcome(), ProcessedMessage::Commit(s) if s.sender == own)
            {
                let outcome = snapshot.merge_staged(staged)?;
                self.retired.remove(ri);
                let vc = self.vc_mut(vc_id)?;
                let slot = vc.groups.get_mut(gi).ok_or(EmulatorError::Internal)?;
                *slot = snapshot;
                let mut events = vec![Event::Processed {
                    vc_id,
                    group_id: gid.to_vec(),
                    outcome,
                }];
                self.prune_after_commit(vc_id, gid)?;
                events.extend(self.run_deferred(vc_id, gid)?);
                return Ok(Some(Handled::Done(events)));
            }
        }
        Ok(None)
    }

    /// A commit from V's own leaf that is not V's pending commit: the commit of an action
    /// whose seed expired here ([`EmulatorError::SeedExpired`]), or one whose announcement
    /// has not been processed yet (buffered).
    fn own_commit_without_pending(
        &mut self,
        vc_id: u32,
        gi: usize,
        gid: &[u8],
    ) -> Result<Handled, EmulatorError> {
        let epoch = self
            .vc(vc_id)?
            .groups
            .get(gi)
            .ok_or(EmulatorError::Internal)?
            .epoch();
        if let Some(x) = self
            .expired
            .iter()
            .find(|x| x.vc_id == vc_id && x.group_id == gid && x.epoch == epoch)
        {
            return Err(EmulatorError::SeedExpired { epoch: x.g_epoch });
        }
        Ok(Handled::NeedsAnnouncement)
    }

    /// Sends `data` as V in a group: a CBAM whose challenge context carries this emulator's
    /// own level in G (so emulators never collide), with this emulator's generation counter.
    /// The other emulators and members read it as coming from V's leaf.
    pub fn send_cbam<R: CryptoRng + ?Sized>(
        &mut self,
        vc_id: u32,
        group_id: &[u8],
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        let sub = GroupChallengeContext::real(self.g.challenge_level());
        self.send_cbam_as(&sub, vc_id, group_id, authenticated_data, data, rng)
    }

    /// [`Emulator::send_cbam`] with this emulator's own `GroupChallengeContext` given: for an
    /// emulator that is itself virtual (nesting, `crate::nest`), its context in G down to the
    /// real device.
    pub(crate) fn send_cbam_as<R: CryptoRng + ?Sized>(
        &mut self,
        sub: &GroupChallengeContext,
        vc_id: u32,
        group_id: &[u8],
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, EmulatorError> {
        let mut next = self.clone();
        let max_sent = next.config.max_sent_cbams;
        let mut generation = 0;
        let vc = next
            .vcs
            .iter_mut()
            .find(|v| v.vc_id == vc_id)
            .ok_or(EmulatorError::UnknownVirtualClient(vc_id))?;
        let group = vc
            .groups
            .iter_mut()
            .find(|g| g.group_id() == group_id)
            .ok_or(EmulatorError::NotInGroup { vc_id })?;
        let epoch = group.epoch();
        let mut out = vec![0u8; group.cbam_message_len(authenticated_data.len(), data.len())];
        if let Some(c) = next
            .cbam_counters
            .iter()
            .find(|c| c.vc_id == vc_id && c.group_id == group_id && c.epoch == epoch)
        {
            generation = c.generation;
        }
        let n = group.encrypt_cbam_with_generation(
            &mut generation,
            Some(sub),
            &[],
            authenticated_data,
            data,
            rng,
            &mut out,
        )?;
        out.truncate(n);
        next.cbam_counters
            .retain(|c| !(c.vc_id == vc_id && c.group_id == group_id));
        next.cbam_counters.push(CbamCounter {
            vc_id,
            group_id: group_id.to_vec(),
            epoch,
            generation,
        });
        if next.sent_cbams.len() >= max_sent.max(1) {
            next.sent_cbams.remove(0);
        }
        next.sent_cbams.push(digest(&out));
        *self = next;
        Ok(out)
    }
}

/// The operation whose secrets an action uses, and how many counters it takes.
fn secrets_of(action: &VirtualClientAction) -> Result<(Operation, u32), EmulatorError> {
    Ok(match action.action {
        VcActionType::CreateVc => (Operation::SignatureKey, 1),
        VcActionType::KeyPackages => (
            Operation::KeyPackage,
            u32::from(KeyPackagesDetail::from_bytes(&action.detail)?.count),
        ),
        VcActionType::JoinGroup => (Operation::Proposal, 0),
        VcActionType::Commit | VcActionType::Announce => (Operation::CommitPath, 1),
        VcActionType::LeaveGroup => (Operation::Proposal, 1),
        VcActionType::Propose => match ProposeDetail::from_bytes(&action.detail)?.request {
            ProposalRequest::Update => (Operation::LeafUpdate, 1),
            _ => (Operation::Proposal, 1),
        },
        VcActionType::CreateGroup => (Operation::GroupCreation, 1),
        VcActionType::Provision => (Operation::Proposal, 0),
    })
}

/// V's KeyPackage and leaf parameters: its credential, CBAM in its capabilities.
fn vc_params(credential: &Credential, lifetime: Lifetime) -> KeyPackageParams {
    KeyPackageParams {
        credential: credential.clone(),
        extra_extension_types: vec![CBAM_EXTENSION_TYPE],
        ..KeyPackageParams::basic(&[], lifetime)
    }
}

/// The higher-level epoch an action names.
fn action_epoch(action: &VirtualClientAction) -> Result<u64, EmulatorError> {
    Ok(match action.action {
        VcActionType::Commit => CommitDetail::from_bytes(&action.detail)?.epoch,
        VcActionType::Announce => AnnounceDetail::from_bytes(&action.detail)?.epoch,
        VcActionType::Propose => ProposeDetail::from_bytes(&action.detail)?.epoch,
        VcActionType::LeaveGroup => LeaveDetail::from_bytes(&action.detail)?.epoch,
        _ => 0,
    })
}

/// The proposals, `include_pending` and `authenticated_data` of a `commit` or `announce`
/// action (an `announce` includes the cached proposals, as [`Emulator::announce`] does in G).
fn commit_parts(
    action: &VirtualClientAction,
) -> Result<(Vec<Proposal>, bool, Vec<u8>), EmulatorError> {
    Ok(if action.action == VcActionType::Announce {
        let d = AnnounceDetail::from_bytes(&action.detail)?;
        (d.proposals, true, d.authenticated_data)
    } else {
        let d = CommitDetail::from_bytes(&action.detail)?;
        (d.proposals, d.include_pending, Vec::new())
    })
}
