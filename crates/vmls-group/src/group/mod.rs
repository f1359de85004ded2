//! The group engine: one member's state of an MLS group (RFC 9420) and every operation on it.
//!
//! A [`Group`] is a plain value holding the member's view of the current epoch (GroupContext,
//! ratchet tree, own leaf and private keys, epoch secrets, secret tree, transcript hashes), the
//! proposals received in the epoch, a bounded number of past epochs' secret trees for late
//! application messages, the PSKs it knows, and a commit it created and has not merged yet.
//!
//! * Creating: [`create_key_package`], [`Group::create`], [`Group::join_from_welcome`],
//!   [`Group::join_by_external_commit`]; [`Group::stage_welcome`] to inspect the members
//!   before joining ([`StagedWelcome::accept`]).
//! * Linked groups (RFC 9420 sections 11.2, 11.3): [`Group::reinit_successor`] and
//!   [`Group::branch`]; their joiners use [`Group::stage_reinit_welcome`] and
//!   [`Group::stage_branch_welcome`] on the old group.
//! * Changing the group: the `propose_*` methods and [`Group::commit`] (with
//!   [`CommitOptions`]), then [`Group::merge_pending_commit`] once the Delivery Service accepted
//!   the commit (or [`Group::clear_pending_commit`]).
//! * Receiving: [`Group::process_message`] (or [`Group::stage_message`] then
//!   [`Group::merge_staged`] to inspect first). Every check runs before anything changes: a
//!   rejected message leaves the group exactly as it was ([`Group::to_bytes`] is unchanged).
//! * Application data: [`Group::encrypt_application`] and [`Group::decrypt_application`] on
//!   caller buffers.
//! * Persisting: [`Group::to_bytes`] / [`Group::from_bytes`] (see docs/embedding.md for the
//!   rules that avoid key and nonce reuse).
//! * Limits: [`GroupConfig`].
use alloc::boxed::Box;
use alloc::vec::Vec;
use vmls_codec::Encode;
use vmls_crypto::{
    CipherSuite, HashValue, HpkePrivateKey, Mls128ChaCha, Secret, SignaturePrivateKey,
};
use vmls_keyschedule::{EpochSecrets, GroupContext};
use vmls_secret_tree::SecretTree;
use vmls_tree::{LeafIndex, LeafNode, RatchetTree, TreePrivateKeys};

use crate::framing::Sender;
use crate::framing::application::EncodedGroupContext;
use crate::labeled::PreparedSigner;
use crate::proposals::{Proposal, ProposalRef, ReInit};

mod application;
mod apply_commit;
mod cbam;
mod config;
mod create;
mod create_commit;
mod error;
mod external;
mod group_info;
mod join;
mod key_package;
mod policy;
mod process;
mod proposals;
mod propose;
mod psk;
mod reinit;
mod staged_welcome;
mod state;
#[cfg(test)]
mod tests;

pub use cbam::{CBAM_EXTENSION_TYPE, ReceivedCbam, VMLS_COMPONENT_ID};
pub use config::{GroupConfig, LatePolicy};
pub use create_commit::{CommitOptions, CommitOutput, DroppedProposal};
pub use error::{GroupError, KeyPackageError, LinkError, ProposalError};
pub use external::ExternalJoinOptions;
pub use key_package::{
    KeyPackageParams, KeyPackagePrivate, create_key_package, is_last_resort, validate_key_package,
};
pub use policy::{
    DefaultProposalPolicy, ExternalProposer, ProposalPolicy, RejectExternalProposals,
};
pub use process::{CommitSummary, NewLeaf, NewLeafSource, ProcessedMessage, StagedMessage};
pub use psk::PskStore;
pub use staged_welcome::StagedWelcome;
pub use state::{OLDEST_STATE_VERSION, STATE_VERSION};

/// Whether this member can still send in the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupStatus {
    /// A member of the current epoch.
    Active,
    /// Removed by a Commit: the state only decrypts late application messages of past epochs.
    Removed,
    /// A Commit with a ReInit proposal was applied (RFC 9420 section 11.2): the group must not
    /// be used to send any more; wait for the Welcome of the new group
    /// ([`Group::stage_reinit_welcome`]) or create it ([`Group::reinit_successor`]).
    ReInitialized(ReInit),
}

/// The per-epoch part of the state: everything a Commit replaces.
#[derive(Clone)]
pub(crate) struct EpochState<S: CipherSuite> {
    pub(crate) context: GroupContext,
    pub(crate) encoded_context: EncodedGroupContext,
    pub(crate) tree: RatchetTree,
    pub(crate) own_leaf: LeafIndex,
    pub(crate) tree_keys: TreePrivateKeys,
    pub(crate) secrets: EpochSecrets,
    pub(crate) secret_tree: SecretTree<S>,
    pub(crate) interim_transcript_hash: HashValue,
    pub(crate) confirmation_tag: HashValue,
    /// The epoch's forward-secure exports: CBST, CBAM sender-data secret, virtual-client seed.
    pub(crate) cbam: cbam::CbamEpoch<S>,
}

/// A proposal received (or sent) in the current epoch, cached for Commits by reference
/// (RFC 9420 section 12.1).
#[derive(Clone, Debug)]
pub(crate) struct CachedProposal {
    pub(crate) reference: ProposalRef,
    pub(crate) sender: Sender,
    pub(crate) proposal: Proposal,
    /// The private key of this member's own Update proposal.
    pub(crate) own_leaf_key: Option<HpkePrivateKey>,
}

/// What is kept of a past epoch to decrypt late application messages (RFC 9420 section 14.4):
/// its GroupContext (signatures cover it), `sender_data_secret`, secret tree and the members'
/// signature keys.
#[derive(Clone)]
pub(crate) struct PastEpoch<S: CipherSuite> {
    pub(crate) context: GroupContext,
    pub(crate) encoded_context: EncodedGroupContext,
    pub(crate) sender_data_secret: Secret,
    pub(crate) secret_tree: SecretTree<S>,
    pub(crate) signature_keys: PastSignatureKeys,
    /// The epoch's CBST and CBAM sender-data secret (`None` for an epoch restored from a blob
    /// older than format 3).
    pub(crate) cbam: Option<cbam::CbamEpoch<S>>,
    /// The leaves of this epoch that a Commit merged since replaced (UpdatePath, Update) or
    /// removed, sorted (empty for an epoch restored from a blob older than format 4): see
    /// [`LatePolicy`]. At most one entry per leaf of the epoch's tree.
    pub(crate) replaced: Vec<u32>,
}

impl<S: CipherSuite> PastEpoch<S> {
    /// Records that a later Commit replaced or removed `leaves` (only those that were members
    /// in this epoch matter).
    fn mark_replaced(&mut self, leaves: &[u32]) {
        for &l in leaves {
            if self.signature_keys.get(l).is_none() {
                continue;
            }
            if let Err(pos) = self.replaced.binary_search(&l) {
                self.replaced.insert(pos, l);
            }
        }
    }

    /// [`LatePolicy`]: whether a late message of this epoch from `leaf` may be read.
    pub(crate) fn check_late_sender(
        &self,
        leaf: u32,
        policy: LatePolicy,
    ) -> Result<(), GroupError> {
        match policy {
            LatePolicy::Accept => Ok(()),
            LatePolicy::Refuse if self.replaced.binary_search(&leaf).is_ok() => {
                Err(GroupError::LateMessageFromReplacedSender {
                    leaf,
                    epoch: self.context.epoch,
                })
            }
            LatePolicy::Refuse => Ok(()),
        }
    }
}

/// The members' signature keys of a past epoch.
#[derive(Clone)]
pub(crate) enum PastSignatureKeys {
    /// The epoch's leaves, sharing storage with the tree (about two bytes per leaf).
    Snapshot(vmls_tree::LeafSnapshot),
    /// Restored from a state blob: `(leaf, key)` sorted by leaf.
    Restored(Vec<(u32, [u8; 32])>),
}

impl PastSignatureKeys {
    /// The signature key of `leaf` in that epoch.
    pub(crate) fn get(&self, leaf: u32) -> Option<[u8; 32]> {
        match self {
            PastSignatureKeys::Snapshot(s) => s.leaf(LeafIndex(leaf)).map(|l| *l.signature_key()),
            PastSignatureKeys::Restored(v) => v
                .binary_search_by_key(&leaf, |(i, _)| *i)
                .ok()
                .and_then(|pos| v.get(pos))
                .map(|(_, k)| *k),
        }
    }

    /// Every `(leaf, key)` in leaf order (for the state blob).
    pub(crate) fn entries(&self) -> Vec<(u32, [u8; 32])> {
        match self {
            PastSignatureKeys::Snapshot(s) => s
                .members()
                .map(|(i, l)| (i.0, *l.signature_key()))
                .collect(),
            PastSignatureKeys::Restored(v) => v.clone(),
        }
    }
}

/// A Commit this member created and has not merged yet.
#[derive(Clone)]
pub(crate) struct PendingCommit<S: CipherSuite> {
    /// The encoded MLSMessage that was handed to the application.
    pub(crate) message: Vec<u8>,
    pub(crate) next: EpochState<S>,
    pub(crate) summary: CommitSummary,
    /// The new signature key the Commit's UpdatePath installs in this member's leaf
    /// ([`CommitOptions::new_signature_key`]); it becomes the group's signer on merge.
    pub(crate) new_signer: Option<SignaturePrivateKey>,
}

/// One member's state of an MLS group for cipher suite `S` (RFC 9420). See the
/// [module documentation](self).
#[derive(Clone)]
pub struct Group<S: CipherSuite = Mls128ChaCha> {
    pub(crate) config: GroupConfig,
    pub(crate) epoch: EpochState<S>,
    pub(crate) signer: SignaturePrivateKey,
    /// `signer` expanded once for the application path (not persisted).
    pub(crate) prepared_signer: PreparedSigner,
    pub(crate) proposals: Vec<CachedProposal>,
    /// Oldest first, at most `config.max_past_epochs`.
    pub(crate) past_epochs: Vec<PastEpoch<S>>,
    pub(crate) psks: PskStore,
    pub(crate) pending_commit: Option<Box<PendingCommit<S>>>,
    pub(crate) status: GroupStatus,
}

impl<S: CipherSuite> core::fmt::Debug for Group<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Group")
            .field("group_id", &self.epoch.context.group_id)
            .field("epoch", &self.epoch.context.epoch)
            .field("own_leaf", &self.epoch.own_leaf.0)
            .field("members", &self.epoch.tree.members().count())
            .field("pending_proposals", &self.proposals.len())
            .field("pending_commit", &self.pending_commit.is_some())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl<S: CipherSuite> EpochState<S> {
    /// The signature key of the member at `leaf`.
    pub(crate) fn member_signature_key(&self, leaf: u32) -> Result<[u8; 32], GroupError> {
        self.tree
            .leaf(LeafIndex(leaf))
            .map(|l| *l.signature_key())
            .ok_or(GroupError::UnknownMember { leaf })
    }
}

impl<S: CipherSuite> Group<S> {
    /// The group ID.
    pub fn group_id(&self) -> &[u8] {
        &self.epoch.context.group_id
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch.context.epoch
    }

    /// The GroupContext of the current epoch.
    pub fn context(&self) -> &GroupContext {
        &self.epoch.context
    }

    /// The public ratchet tree.
    pub fn tree(&self) -> &RatchetTree {
        &self.epoch.tree
    }

    /// The encoded ratchet tree (the `ratchet_tree` extension value, RFC 9420 section
    /// 12.4.3.3), for joiners that get the tree out of band.
    pub fn ratchet_tree_bytes(&self) -> Result<Vec<u8>, GroupError> {
        Ok(self.epoch.tree.to_bytes()?)
    }

    /// This member's leaf index.
    pub fn own_leaf_index(&self) -> u32 {
        self.epoch.own_leaf.0
    }

    /// This member's LeafNode.
    pub fn own_leaf(&self) -> Option<&LeafNode> {
        self.epoch.tree.leaf(self.epoch.own_leaf)
    }

    /// The members: leaf index and LeafNode.
    pub fn members(&self) -> impl Iterator<Item = (u32, &LeafNode)> {
        self.epoch.tree.members().map(|(i, l)| (i.0, l))
    }

    /// Number of members.
    pub fn member_count(&self) -> usize {
        self.epoch.tree.members().count()
    }

    /// The configuration.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Replaces the configuration (e.g. to update `current_time`). A smaller
    /// `max_retained_keys` deletes retained keys at once; a smaller `max_past_epochs` deletes
    /// old epochs at once.
    pub fn set_config(&mut self, config: GroupConfig) {
        self.config = config;
        self.epoch.secret_tree.set_config(config.secret_tree());
        for p in &mut self.past_epochs {
            p.secret_tree.set_config(config.secret_tree());
        }
        self.trim_past_epochs();
    }

    /// Whether this member can still send.
    pub fn status(&self) -> &GroupStatus {
        &self.status
    }

    /// `epoch_authenticator` of the current epoch (RFC 9420 section 8.7): members that agree on
    /// it agree on the whole group state.
    pub fn epoch_authenticator(&self) -> &[u8; 32] {
        self.epoch.secrets.epoch_authenticator.as_bytes()
    }

    /// `MLS-Exporter(label, context, out.len())` of the current epoch (RFC 9420 section 8.5).
    pub fn export_secret(
        &self,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), GroupError> {
        Ok(self.epoch.secrets.export(label, context, out)?)
    }

    /// The `resumption_psk` of the current epoch (RFC 9420 section 8.6).
    pub fn resumption_psk(&self) -> &Secret {
        &self.epoch.secrets.resumption_psk
    }

    /// The PSK store (external PSKs and resumption PSKs).
    pub fn psk_store(&self) -> &PskStore {
        &self.psks
    }

    /// Mutable access to the PSK store, e.g. to add an external PSK before processing a Commit
    /// that uses it.
    pub fn psk_store_mut(&mut self) -> &mut PskStore {
        &mut self.psks
    }

    /// The references and proposals cached in the current epoch.
    pub fn pending_proposals(&self) -> impl Iterator<Item = (&ProposalRef, &Sender, &Proposal)> {
        self.proposals
            .iter()
            .map(|p| (&p.reference, &p.sender, &p.proposal))
    }

    /// Drops every cached proposal of the epoch (e.g. before committing without them).
    pub fn clear_pending_proposals(&mut self) {
        self.proposals.clear();
    }

    /// Whether a Commit created by this member awaits [`Group::merge_pending_commit`].
    pub fn has_pending_commit(&self) -> bool {
        self.pending_commit.is_some()
    }

    /// Past epochs whose application messages can still be decrypted, oldest first.
    pub fn retained_epochs(&self) -> impl Iterator<Item = u64> + '_ {
        self.past_epochs.iter().map(|p| p.context.epoch)
    }

    pub(crate) fn require_active(&self) -> Result<(), GroupError> {
        match self.status {
            GroupStatus::Active => Ok(()),
            _ => Err(GroupError::Inactive),
        }
    }

    fn trim_past_epochs(&mut self) {
        let keep = usize::from(self.config.max_past_epochs);
        if self.past_epochs.len() > keep {
            let drop_n = self.past_epochs.len() - keep;
            self.past_epochs.drain(..drop_n);
        }
    }

    /// Keeps the current epoch's secret tree for late application messages (bounded).
    fn retire_current_epoch(&mut self) {
        if self.config.max_past_epochs == 0 {
            return;
        }
        let e = &self.epoch;
        self.past_epochs.push(PastEpoch {
            context: e.context.clone(),
            encoded_context: e.encoded_context.clone(),
            sender_data_secret: e.secrets.sender_data_secret.clone(),
            secret_tree: e.secret_tree.clone(),
            signature_keys: PastSignatureKeys::Snapshot(e.tree.leaf_snapshot()),
            cbam: Some(e.cbam.clone()),
            replaced: Vec::new(),
        });
        self.trim_past_epochs();
    }

    /// Retires the current epoch (see `retire_current_epoch`) and records in every retained
    /// epoch the leaves the Commit that ends it replaced or removed (`summary`, [`LatePolicy`]).
    pub(crate) fn retire_after_commit(&mut self, summary: &CommitSummary) {
        self.retire_current_epoch();
        let leaves = summary.replaced_leaves();
        for p in &mut self.past_epochs {
            p.mark_replaced(&leaves);
        }
    }

    /// Moves to a new epoch after the Commit `summary` describes: the current one becomes a
    /// past epoch, the epoch's proposals and any pending commit are dropped, and the new
    /// epoch's resumption PSK is recorded.
    pub(crate) fn install_epoch(&mut self, next: EpochState<S>, summary: &CommitSummary) {
        self.retire_after_commit(summary);
        self.epoch = next;
        self.proposals.clear();
        self.pending_commit = None;
        self.record_resumption_psk();
    }

    pub(crate) fn record_resumption_psk(&mut self) {
        let ctx = &self.epoch.context;
        self.psks.insert_resumption(
            &ctx.group_id,
            ctx.epoch,
            self.epoch.secrets.resumption_psk.clone(),
        );
        let keep = usize::from(self.config.max_resumption_psks).max(1);
        let gid = ctx.group_id.clone();
        self.psks.trim_resumption(&gid, keep);
    }
}

/// Encodes `context` for the application path (cached per epoch).
pub(crate) fn encode_context(context: &GroupContext) -> Result<EncodedGroupContext, GroupError> {
    Ok(EncodedGroupContext::new(context)?)
}

/// The encoded length of an MLSMessage, for the size limit.
pub(crate) fn check_size(config: &GroupConfig, len: usize) -> Result<(), GroupError> {
    let max = config.max_message_size as usize;
    if len > max {
        return Err(GroupError::MessageTooLarge { size: len, max });
    }
    Ok(())
}
