//! Receiving handshake and application messages (RFC 9420 sections 6, 12.1, 12.4.2).
//!
//! [`Group::stage_message`] takes `&self`: it decodes, authenticates, decrypts and validates a
//! message and computes the state change without touching the group. [`Group::merge_staged`]
//! then applies the change. [`Group::process_message`] does both. A message that fails any check
//! changes nothing.
use alloc::boxed::Box;
use alloc::vec::Vec;
use vmls_codec::Decode;
use vmls_crypto::CipherSuite;
use vmls_secret_tree::RatchetType;
use vmls_tree::{LeafIndex, LeafNode};

use super::cbam::CbamSource;
use super::error::{GroupError, ProposalError};
use super::policy::{DefaultProposalPolicy, ExternalProposer, ProposalPolicy};
use super::{CachedProposal, EpochState, Group, GroupStatus, check_size};
use crate::extensions::{ExternalSenders, find};
use crate::framing::{
    AuthenticatedContent, Content, ContentType, MLSMessage, MLSMessageBody, PrivateMessage,
    PublicMessage, Sender,
};
use crate::proposals::{Proposal, ProposalRef, ReInit};

/// What a Commit changed, as seen by a member that applied it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitSummary {
    /// The committer (`Member(leaf)` or `NewMemberCommit`).
    pub sender: Sender,
    /// The committer's leaf index in the new epoch.
    pub committer: u32,
    /// The new epoch.
    pub epoch: u64,
    /// Leaves added by Add proposals.
    pub added: Vec<u32>,
    /// Leaves removed.
    pub removed: Vec<u32>,
    /// Leaves updated by Update proposals.
    pub updated: Vec<u32>,
    /// Whether the Commit carried an UpdatePath.
    pub has_path: bool,
    /// Number of PSKs injected.
    pub psks: usize,
    /// Whether a GroupContextExtensions proposal replaced the extensions.
    pub extensions_changed: bool,
    /// Whether this member was removed (the group is now [`GroupStatus::Removed`]).
    pub self_removed: bool,
    /// A committed ReInit proposal (the group is now [`GroupStatus::ReInitialized`]).
    pub reinit: Option<ReInit>,
}

impl CommitSummary {
    /// The leaves of the epoch before the Commit whose LeafNode it replaced or removed: the
    /// removed ones, the ones updated by Update proposals, and a member committer's own if the
    /// Commit had an UpdatePath (an external joiner's leaf is new, its resync Remove is in
    /// `removed`). Sorted, without duplicates ([`crate::group::LatePolicy`]).
    pub fn replaced_leaves(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self.removed.iter().chain(&self.updated).copied().collect();
        if let (true, Sender::Member(c)) = (self.has_path, self.sender) {
            out.push(c);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The outcome of processing a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessedMessage {
    /// Application data from a member.
    Application {
        /// Sender leaf index.
        sender: u32,
        /// Epoch the message was sent in (the current one or a retained past one).
        epoch: u64,
        /// The application data.
        data: Vec<u8>,
        /// The message's authenticated data.
        authenticated_data: Vec<u8>,
    },
    /// A valid proposal, now cached for Commits by reference.
    Proposal {
        /// Who proposed.
        sender: Sender,
        /// Its reference (RFC 9420 section 5.2).
        reference: ProposalRef,
        /// The proposal (boxed: an Add carries a whole KeyPackage).
        proposal: Box<Proposal>,
    },
    /// A Commit was applied: the group is in a new epoch (or this member was removed).
    Commit(CommitSummary),
    /// Application data in a challenge-based application message (CBAM,
    /// draft-kohbrok-mls-virtual-clients-03 section 5.5).
    Cbam {
        /// Sender leaf index (a virtual client's leaf: which emulator sent is not visible).
        sender: u32,
        /// Epoch the message was sent in.
        epoch: u64,
        /// The application data.
        data: Vec<u8>,
        /// The message's authenticated data.
        authenticated_data: Vec<u8>,
    },
}

/// Which secret tree a message's key comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeySource {
    Current,
    Past(u64),
}

/// A generation to consume when the staged message is merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Consume {
    source: KeySource,
    leaf: u32,
    kind: RatchetType,
    generation: u32,
}

enum Change<S: CipherSuite> {
    None,
    CacheProposal(Box<CachedProposal>),
    NewEpoch(Box<EpochState<S>>),
    Removed,
    ReInit(Box<EpochState<S>>, ReInit),
    MergePending,
}

/// A message that passed every check, with the state change it causes; apply it with
/// [`Group::merge_staged`] (in the same epoch, before any other change to the group).
pub struct StagedMessage<S: CipherSuite> {
    epoch: u64,
    /// Whether the group was active when the message was staged: a message staged before this
    /// member was removed must not be merged after (issue 14.5: no replay, no new epoch).
    active: bool,
    consume: Option<Consume>,
    change: Change<S>,
    outcome: ProcessedMessage,
    new_leaves: Vec<NewLeaf>,
    /// A verified CBAM's challenge, punctured when merged.
    cbst_puncture: Option<(CbamSource, vmls_cbst::PuncturePlan)>,
}

impl<S: CipherSuite> StagedMessage<S> {
    /// What merging will report.
    pub fn outcome(&self) -> &ProcessedMessage {
        &self.outcome
    }

    /// Every LeafNode the message adds to the tree or changes, for the application to validate
    /// its credential before [`Group::merge_staged`] (RFC 9420 section 7.3: "the credential
    /// ... is valid" is the application's check, with its Authentication Service; section
    /// 5.3.1). A Commit lists its Adds (by value and by reference), the Updates it applies, and
    /// the committer's new leaf from its UpdatePath (a new member's first leaf for an external
    /// Commit); a proposal lists the leaf of an Add or Update. Drop the staged message to
    /// refuse: nothing has changed.
    pub fn new_leaves(&self) -> &[NewLeaf] {
        &self.new_leaves
    }
}

/// Why a leaf is in [`StagedMessage::new_leaves`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewLeafSource {
    /// An Add proposal's KeyPackage leaf (a new member).
    Add,
    /// An Update proposal's leaf (a member's new leaf).
    Update,
    /// The committer's new leaf from its UpdatePath.
    CommitPath,
    /// The leaf of a client joining by external Commit (its UpdatePath leaf).
    ExternalJoin,
}

/// A LeafNode that a staged message adds or changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLeaf {
    /// Its leaf index in the new epoch (`None` for a proposal not yet committed).
    pub leaf_index: Option<u32>,
    /// What puts it in the tree.
    pub source: NewLeafSource,
    /// The leaf: its `credential` and `signature_key` are what to check.
    pub leaf_node: LeafNode,
}

impl<S: CipherSuite> core::fmt::Debug for StagedMessage<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StagedMessage")
            .field("epoch", &self.epoch)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// A verified handshake content and the secret-tree generation it used.
struct Verified {
    auth: AuthenticatedContent,
    consume: Option<Consume>,
}

impl<S: CipherSuite> Group<S> {
    /// Processes one encoded MLSMessage (PublicMessage or PrivateMessage): stages it and
    /// merges it. On error the group is unchanged.
    ///
    /// Proposals from outside the group are authorized by [`DefaultProposalPolicy`]
    /// (`new_member_proposal` refused); see [`Group::process_message_with_policy`].
    pub fn process_message(&mut self, message: &[u8]) -> Result<ProcessedMessage, GroupError> {
        self.process_message_with_policy(message, &DefaultProposalPolicy)
    }

    /// [`Group::process_message`] with the application's [`ProposalPolicy`] for proposals from
    /// `new_member_proposal` and `external` senders (RFC 9420 section 12.1.8).
    pub fn process_message_with_policy<P: ProposalPolicy + ?Sized>(
        &mut self,
        message: &[u8],
        policy: &P,
    ) -> Result<ProcessedMessage, GroupError> {
        let staged = self.stage_message_with_policy(message, policy)?;
        self.merge_staged(staged)
    }

    /// [`Group::stage_message_with_policy`] with [`DefaultProposalPolicy`].
    pub fn stage_message(&self, message: &[u8]) -> Result<StagedMessage<S>, GroupError> {
        self.stage_message_with_policy(message, &DefaultProposalPolicy)
    }

    /// Verifies, decrypts and validates one encoded MLSMessage and computes its effect, without
    /// changing the group (RFC 9420 sections 6.2, 6.3, 12.1, 12.4.2).
    ///
    /// * Handshake messages must be for the current epoch ([`GroupError::WrongEpoch`]);
    ///   application messages for the current epoch or a retained past one.
    /// * A Commit this member created comes back as its own pending commit and is merged as
    ///   such, without re-processing.
    /// * A proposal from `new_member_proposal` or an `external` sender is cached only if
    ///   `policy` authorizes it ([`GroupError::ProposalNotAuthorized`]).
    /// * [`StagedMessage::new_leaves`] lists the leaves whose credentials the application should
    ///   check before merging.
    pub fn stage_message_with_policy<P: ProposalPolicy + ?Sized>(
        &self,
        message: &[u8],
        policy: &P,
    ) -> Result<StagedMessage<S>, GroupError> {
        let mut staged = self.stage_unchecked_policy(message, policy)?;
        staged.active = self.status == GroupStatus::Active;
        Ok(staged)
    }

    fn stage_unchecked_policy<P: ProposalPolicy + ?Sized>(
        &self,
        message: &[u8],
        policy: &P,
    ) -> Result<StagedMessage<S>, GroupError> {
        check_size(&self.config, message.len())?;
        let epoch = self.epoch();
        if crate::framing::cbam::is_cbam(message) {
            return self.stage_cbam(message);
        }
        if let Some(p) = &self.pending_commit
            && p.message.as_slice() == message
        {
            return Ok(StagedMessage {
                epoch,
                active: true,
                new_leaves: Vec::new(),
                cbst_puncture: None,
                consume: None,
                change: Change::MergePending,
                outcome: ProcessedMessage::Commit(p.summary.clone()),
            });
        }
        let msg = MLSMessage::decode_exact(message)?;
        let verified = match msg.body {
            MLSMessageBody::PublicMessage(pm) => self.verify_public(pm)?,
            MLSMessageBody::PrivateMessage(pm) => {
                if pm.content_type == ContentType::Application
                    && (pm.epoch != epoch || self.status != GroupStatus::Active)
                {
                    return self.stage_past_application(&pm);
                }
                self.verify_private(&pm)?
            }
            other => {
                return Err(GroupError::UnexpectedWireFormat(
                    other.wire_format().value(),
                ));
            }
        };
        self.stage_verified(verified, policy)
    }

    /// Applies a staged message. Fails (and changes nothing) if the group changed since it was
    /// staged.
    pub fn merge_staged(
        &mut self,
        staged: StagedMessage<S>,
    ) -> Result<ProcessedMessage, GroupError> {
        if staged.epoch != self.epoch() {
            return Err(GroupError::WrongEpoch {
                got: staged.epoch,
                expected: self.epoch(),
            });
        }
        if staged.active && self.status != GroupStatus::Active {
            // Staged before a Commit removed this member (or reinitialized the group): its
            // key is no longer the current epoch's, and a Commit must not start an epoch now.
            return Err(GroupError::Inactive);
        }
        if let Change::MergePending = staged.change {
            self.merge_pending_commit()?;
            return Ok(staged.outcome);
        }
        if let Change::CacheProposal(p) = &staged.change
            && self.proposals.len() >= usize::from(self.config.max_pending_proposals)
            && !self.proposals.iter().any(|c| c.reference == p.reference)
        {
            return Err(GroupError::TooManyProposals {
                max: usize::from(self.config.max_pending_proposals),
            });
        }
        if let Some((source, plan)) = staged.cbst_puncture {
            self.puncture_cbam(source, plan)?;
        }
        if let Some(c) = staged.consume {
            let tree = match c.source {
                KeySource::Current => &mut self.epoch.secret_tree,
                KeySource::Past(e) => {
                    &mut self
                        .past_epochs
                        .iter_mut()
                        .find(|p| p.context.epoch == e)
                        .ok_or(GroupError::WrongEpoch {
                            got: e,
                            expected: self.epoch.context.epoch,
                        })?
                        .secret_tree
                }
            };
            tree.consume_key(c.leaf, c.kind, c.generation)?;
        }
        match staged.change {
            Change::None | Change::MergePending => {}
            Change::CacheProposal(p) => {
                if !self.proposals.iter().any(|c| c.reference == p.reference) {
                    self.proposals.push(*p);
                }
            }
            Change::NewEpoch(next) => self.install_epoch(*next, commit_summary(&staged.outcome)?),
            Change::Removed => {
                self.retire_after_commit(commit_summary(&staged.outcome)?);
                self.proposals.clear();
                self.pending_commit = None;
                self.status = GroupStatus::Removed;
            }
            Change::ReInit(next, reinit) => {
                self.install_epoch(*next, commit_summary(&staged.outcome)?);
                self.status = GroupStatus::ReInitialized(reinit);
            }
        }
        Ok(staged.outcome)
    }

    /// A CBAM: verified and decrypted now, its challenge punctured when merged.
    fn stage_cbam(&self, message: &[u8]) -> Result<StagedMessage<S>, GroupError> {
        let mut buf = alloc::vec![0u8; message.len()];
        let (r, source, plan) = self.open_cbam(message, &mut buf)?;
        buf.truncate(r.len);
        Ok(StagedMessage {
            epoch: self.epoch(),
            active: true,
            consume: None,
            change: Change::None,
            new_leaves: Vec::new(),
            cbst_puncture: Some((source, plan)),
            outcome: ProcessedMessage::Cbam {
                sender: r.sender,
                epoch: r.epoch,
                data: buf,
                authenticated_data: r.authenticated_data.to_vec(),
            },
        })
    }

    /// The signature key of a PublicMessage's sender (RFC 9420 section 6.1) and the sender-type
    /// rules on its content.
    fn public_sender_key(&self, pm: &PublicMessage) -> Result<[u8; 32], GroupError> {
        let content = &pm.content.content;
        match pm.content.sender {
            Sender::Member(i) => self.epoch.member_signature_key(i),
            Sender::External(i) => {
                let Content::Proposal(p) = content else {
                    return Err(GroupError::SenderNotAllowed);
                };
                if !p.allowed_from_external_sender() {
                    return Err(GroupError::SenderNotAllowed);
                }
                let senders =
                    find::<ExternalSenders>(&self.epoch.context.extensions)?.unwrap_or_default();
                senders
                    .0
                    .get(i as usize)
                    .map(|s| s.signature_key.0)
                    .ok_or(GroupError::UnknownExternalSender { index: i })
            }
            Sender::NewMemberProposal => match content {
                Content::Proposal(Proposal::Add(a)) => {
                    Ok(a.key_package.tbs.leaf_node.content.signature_key.0)
                }
                _ => Err(GroupError::SenderNotAllowed),
            },
            Sender::NewMemberCommit => match content {
                Content::Commit(c) => c
                    .path
                    .as_ref()
                    .map(|p| p.leaf_node.content.signature_key.0)
                    .ok_or(GroupError::InvalidProposal(ProposalError::PathRequired)),
                _ => Err(GroupError::SenderNotAllowed),
            },
        }
    }

    fn verify_public(&self, pm: PublicMessage) -> Result<Verified, GroupError> {
        let ctx = &self.epoch.context;
        if pm.content.group_id.as_slice() != ctx.group_id.as_slice() {
            return Err(GroupError::WrongGroupId);
        }
        if pm.content.epoch != ctx.epoch {
            return Err(GroupError::WrongEpoch {
                got: pm.content.epoch,
                expected: ctx.epoch,
            });
        }
        let key = self.public_sender_key(&pm)?;
        let auth = pm.unprotect(&key, ctx, Some(&self.epoch.secrets.membership_key))?;
        Ok(Verified {
            auth,
            consume: None,
        })
    }

    fn verify_private(&self, pm: &PrivateMessage) -> Result<Verified, GroupError> {
        let ctx = &self.epoch.context;
        if pm.group_id.as_slice() != ctx.group_id.as_slice() {
            return Err(GroupError::WrongGroupId);
        }
        if pm.epoch != ctx.epoch {
            return Err(GroupError::WrongEpoch {
                got: pm.epoch,
                expected: ctx.epoch,
            });
        }
        let sender_data = pm.decrypt_sender_data::<S>(&self.epoch.secrets.sender_data_secret)?;
        let leaf = sender_data.leaf_index;
        let signature_key = self.epoch.member_signature_key(leaf)?;
        let kind = match pm.content_type {
            ContentType::Application => RatchetType::Application,
            _ => RatchetType::Handshake,
        };
        let key = self
            .epoch
            .secret_tree
            .peek_key(leaf, kind, sender_data.generation)?;
        let auth = pm
            .decrypt::<S>(&sender_data, &key)?
            .verify(&signature_key, ctx)?;
        Ok(Verified {
            auth,
            consume: Some(Consume {
                source: KeySource::Current,
                leaf,
                kind,
                generation: sender_data.generation,
            }),
        })
    }

    /// An application message of a retained past epoch (RFC 9420 section 14.4).
    fn stage_past_application(&self, pm: &PrivateMessage) -> Result<StagedMessage<S>, GroupError> {
        let current = self.epoch();
        let wrong = if self.status != GroupStatus::Active && pm.epoch == current {
            GroupError::Inactive
        } else {
            GroupError::WrongEpoch {
                got: pm.epoch,
                expected: current,
            }
        };
        if pm.group_id.as_slice() != self.group_id() {
            return Err(GroupError::WrongGroupId);
        }
        let past = self
            .past_epochs
            .iter()
            .find(|p| p.context.epoch == pm.epoch)
            .ok_or(wrong)?;
        let sender_data = pm.decrypt_sender_data::<S>(&past.sender_data_secret)?;
        let leaf = sender_data.leaf_index;
        past.check_late_sender(leaf, self.config.late_messages_from_updated_senders)?;
        let signature_key = past
            .signature_keys
            .get(leaf)
            .ok_or(GroupError::UnknownMember { leaf })?;
        let key =
            past.secret_tree
                .peek_key(leaf, RatchetType::Application, sender_data.generation)?;
        let auth = pm
            .decrypt::<S>(&sender_data, &key)?
            .verify(&signature_key, &past.context)?;
        let Content::Application(data) = auth.content.content else {
            return Err(GroupError::SenderNotAllowed);
        };
        Ok(StagedMessage {
            epoch: current,
            active: true,
            new_leaves: Vec::new(),
            cbst_puncture: None,
            consume: Some(Consume {
                source: KeySource::Past(pm.epoch),
                leaf,
                kind: RatchetType::Application,
                generation: sender_data.generation,
            }),
            change: Change::None,
            outcome: ProcessedMessage::Application {
                sender: leaf,
                epoch: pm.epoch,
                data: data.0,
                authenticated_data: auth.content.authenticated_data.0,
            },
        })
    }

    fn stage_verified<P: ProposalPolicy + ?Sized>(
        &self,
        v: Verified,
        policy: &P,
    ) -> Result<StagedMessage<S>, GroupError> {
        let epoch = self.epoch();
        let sender = v.auth.content.sender;
        match &v.auth.content.content {
            Content::Application(data) => {
                let Sender::Member(leaf) = sender else {
                    return Err(GroupError::SenderNotAllowed);
                };
                if self.status != GroupStatus::Active {
                    return Err(GroupError::Inactive);
                }
                Ok(StagedMessage {
                    epoch,
                    active: true,
                    new_leaves: Vec::new(),
                    cbst_puncture: None,
                    consume: v.consume,
                    change: Change::None,
                    outcome: ProcessedMessage::Application {
                        sender: leaf,
                        epoch,
                        data: data.0.clone(),
                        authenticated_data: v.auth.content.authenticated_data.0.clone(),
                    },
                })
            }
            Content::Proposal(p) => {
                self.require_active()?;
                if let Proposal::ExternalInit(_) = p {
                    return Err(ProposalError::ExternalInit.into());
                }
                let reference = v.auth.make_proposal_ref()?;
                let outcome = ProcessedMessage::Proposal {
                    sender,
                    reference,
                    proposal: Box::new(p.clone()),
                };
                if self.proposals.iter().any(|c| c.reference == reference) {
                    // Seen already (e.g. this member's own proposal echoed back).
                    return Ok(StagedMessage {
                        epoch,
                        active: true,
                        new_leaves: Vec::new(),
                        cbst_puncture: None,
                        consume: v.consume,
                        change: Change::None,
                        outcome,
                    });
                }
                if sender == Sender::Member(self.epoch.own_leaf.0)
                    && matches!(p, Proposal::Update(_))
                {
                    // An Update of this member it has no private key for.
                    return Err(GroupError::SenderNotAllowed);
                }
                self.check_proposal_on_receipt(p, &sender, self.config.received_lifetime_now())?;
                self.authorize_external(&sender, p, policy)?;
                // The cache bound is checked here too, so that staging already tells. Members
                // with the same bound refuse the same proposal (handshake messages arrive in
                // one order), so none of them can process a Commit that references it.
                if self.proposals.len() >= usize::from(self.config.max_pending_proposals) {
                    return Err(GroupError::TooManyProposals {
                        max: usize::from(self.config.max_pending_proposals),
                    });
                }
                let new_leaves = match (p, sender) {
                    (Proposal::Add(a), _) => alloc::vec![NewLeaf {
                        leaf_index: None,
                        source: NewLeafSource::Add,
                        leaf_node: a.key_package.tbs.leaf_node.clone(),
                    }],
                    (Proposal::Update(u), Sender::Member(i)) => alloc::vec![NewLeaf {
                        leaf_index: Some(i),
                        source: NewLeafSource::Update,
                        leaf_node: u.leaf_node.clone(),
                    }],
                    _ => Vec::new(),
                };
                Ok(StagedMessage {
                    epoch,
                    active: true,
                    new_leaves,
                    cbst_puncture: None,
                    consume: v.consume,
                    change: Change::CacheProposal(Box::new(CachedProposal {
                        reference,
                        sender,
                        proposal: p.clone(),
                        own_leaf_key: None,
                    })),
                    outcome,
                })
            }
            Content::Commit(_) => {
                self.require_active()?;
                if sender == Sender::Member(self.epoch.own_leaf.0) {
                    return Err(GroupError::UnexpectedOwnCommit);
                }
                let super::apply_commit::StagedCommit {
                    next,
                    summary,
                    new_leaves,
                } = self.stage_commit(&v.auth)?;
                let change = match (next, &summary.reinit) {
                    (None, _) => Change::Removed,
                    (Some(n), Some(r)) => Change::ReInit(Box::new(n), r.clone()),
                    (Some(n), None) => Change::NewEpoch(Box::new(n)),
                };
                Ok(StagedMessage {
                    epoch,
                    active: true,
                    new_leaves,
                    cbst_puncture: None,
                    consume: v.consume,
                    change,
                    outcome: ProcessedMessage::Commit(summary),
                })
            }
        }
    }
}

impl<S: CipherSuite> Group<S> {
    /// RFC 9420 section 12.1.8: a proposal from `new_member_proposal` or an `external` sender
    /// must be authorized by the application's policy.
    fn authorize_external<P: ProposalPolicy + ?Sized>(
        &self,
        sender: &Sender,
        proposal: &Proposal,
        policy: &P,
    ) -> Result<(), GroupError> {
        let senders;
        let proposer = match sender {
            Sender::Member(_) | Sender::NewMemberCommit => return Ok(()),
            Sender::NewMemberProposal => ExternalProposer::NewMember,
            Sender::External(index) => {
                senders =
                    find::<ExternalSenders>(&self.epoch.context.extensions)?.unwrap_or_default();
                let sender = senders
                    .0
                    .get(*index as usize)
                    .ok_or(GroupError::UnknownExternalSender { index: *index })?;
                ExternalProposer::External {
                    index: *index,
                    sender,
                }
            }
        };
        if policy.authorize(&proposer, proposal) {
            Ok(())
        } else {
            Err(GroupError::ProposalNotAuthorized)
        }
    }
}

/// The leaf indices as `u32`.
pub(crate) fn leaves(v: &[LeafIndex]) -> Vec<u32> {
    v.iter().map(|l| l.0).collect()
}

/// The summary of a staged Commit (a new epoch is only staged for one).
fn commit_summary(outcome: &ProcessedMessage) -> Result<&CommitSummary, GroupError> {
    match outcome {
        ProcessedMessage::Commit(s) => Ok(s),
        _ => Err(GroupError::InvalidState),
    }
}
