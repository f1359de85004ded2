//! Proposals and Commits: creating them (RFC 9420 sections 12.1, 12.4.1, 12.4.3) and applying a
//! received Commit (section 12.4.2).
use alloc::boxed::Box;
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Encode, OpaqueArray, VLBytes};
use vmls_crypto::{CipherSuite, HashValue, Secret, generate_hpke_key_pair};
use vmls_keyschedule::{GroupContext, NewEpoch, PreSharedKeyId, Psk, psk_secret};
use vmls_secret_tree::{RatchetType, SecretTree};
use vmls_tree::{
    Extension, LeafIndex, LeafNode, LeafNodeSource, LeafSigningContext, LeafValidationParams,
    RatchetTree, TreeError, TreePrivateKeys,
};

use super::error::{GroupError, ProposalError};
use super::process::{CommitSummary, leaves};
use super::proposals::{
    Applied, Committer, Resolved, check_leaf_supports, check_member_limit, required_capabilities,
};
use super::{CachedProposal, EpochState, Group, PendingCommit, encode_context};
use crate::commit::Commit;
use crate::extensions::{ExtensionBody, ExternalPub, RatchetTreeExtension};
use crate::framing::{
    AuthenticatedContent, Content, FramedContent, MLSMessage, MLSMessageBody, PrivateMessage,
    PublicMessage, Sender, WireFormat,
};
use crate::group_info::{GroupInfo, GroupInfoTBS};
use crate::key_package::KeyPackage;
use crate::proposals::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ProposalOrRef, ProposalRef, Remove, Update,
};
use crate::welcome::{GroupSecrets, PathSecret, Welcome};

/// HPKE exporter context of the external init secret (RFC 9420 section 8.3).
pub(crate) const EXTERNAL_INIT_LABEL: &[u8] = b"MLS 1.0 external init secret";

/// How to build a Commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitOptions {
    /// Proposals to include by value (the committer's own Add, Remove, PreSharedKey,
    /// GroupContextExtensions or ReInit proposals).
    pub proposals: Vec<Proposal>,
    /// Include the proposals cached in this epoch by reference (RFC 9420 section 12.4: the
    /// committer SHOULD include all valid ones). Conflicting ones are left out: Removes win over
    /// Updates of the same leaf, the latest Update of a leaf wins, this member's own Updates
    /// and Removes of itself are skipped (its UpdatePath replaces its leaf).
    pub include_pending: bool,
    /// Send an UpdatePath even when no proposal requires one (RFC 9420 section 12.4: "by
    /// default, the path field of a Commit MUST be populated").
    pub force_path: bool,
    /// Put the ratchet tree into the Welcome's GroupInfo (`ratchet_tree` extension). Without
    /// it the joiners need [`Group::ratchet_tree_bytes`] of the new epoch out of band.
    pub ratchet_tree_in_welcome: bool,
    /// Also return a signed GroupInfo of the new epoch with `external_pub` and the ratchet tree
    /// (for external joins, RFC 9420 section 12.4.3.2).
    pub group_info: bool,
    /// `FramedContent.authenticated_data`.
    pub authenticated_data: Vec<u8>,
}

impl Default for CommitOptions {
    fn default() -> Self {
        Self {
            proposals: Vec::new(),
            include_pending: true,
            force_path: true,
            ratchet_tree_in_welcome: true,
            group_info: false,
            authenticated_data: Vec::new(),
        }
    }
}

/// What [`Group::commit`] produces. Send `commit` to the group; once the Delivery Service
/// accepted it, call [`Group::merge_pending_commit`] (receiving the commit back does the same)
/// and send `welcome` to the new members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitOutput {
    /// The encoded `MLSMessage` carrying the Commit.
    pub commit: Vec<u8>,
    /// The encoded `MLSMessage(Welcome)` for the members added, if any.
    pub welcome: Option<Vec<u8>>,
    /// The encoded `MLSMessage(GroupInfo)` of the new epoch, if requested.
    pub group_info: Option<Vec<u8>>,
    /// What the Commit does.
    pub summary: CommitSummary,
}

/// The per-epoch state derived once the new GroupContext is known.
pub(crate) struct Derived {
    pub(crate) new_epoch: NewEpoch,
}

impl<S: CipherSuite> Group<S> {
    /// A signed GroupInfo of `state` (RFC 9420 section 12.4.3) signed by this member.
    pub(crate) fn make_group_info(
        &self,
        state: &EpochState<S>,
        ratchet_tree: bool,
        external_pub: bool,
    ) -> Result<GroupInfo, GroupError> {
        let mut extensions = Vec::new();
        if ratchet_tree {
            extensions.push(RatchetTreeExtension::from_tree(&state.tree)?.to_extension()?);
        }
        if external_pub {
            let kp = state.secrets.external_key_pair()?;
            extensions.push(
                ExternalPub {
                    external_pub: OpaqueArray(kp.public),
                }
                .to_extension()?,
            );
        }
        Ok(GroupInfoTBS {
            group_context: state.context.clone(),
            extensions,
            confirmation_tag: OpaqueArray(state.confirmation_tag),
            signer: state.own_leaf.0,
        }
        .sign(&self.signer)?)
    }

    /// An encoded `MLSMessage(GroupInfo)` of the current epoch with `external_pub` (so that a
    /// new member, or a member that lost its state, can join by external Commit: RFC 9420
    /// section 12.4.3.2, RFC 9750 section 6.6) and, if `ratchet_tree`, the ratchet tree.
    pub fn group_info(&self, ratchet_tree: bool) -> Result<Vec<u8>, GroupError> {
        self.require_active()?;
        let gi = self.make_group_info(&self.epoch, ratchet_tree, true)?;
        Ok(MLSMessage::new(MLSMessageBody::GroupInfo(gi)).to_bytes()?)
    }

    /// Signs `content` and protects it for the current epoch with the configured handshake
    /// wire format. Returns the encoded message and the secret tree after the send key was
    /// taken (to install on success).
    fn protect_handshake<R: CryptoRng + ?Sized>(
        &self,
        auth: &AuthenticatedContent,
        rng: &mut R,
    ) -> Result<(Vec<u8>, Option<SecretTree<S>>), GroupError> {
        let e = &self.epoch;
        match auth.wire_format {
            WireFormat::PrivateMessage => {
                let mut tree = e.secret_tree.clone();
                let (generation, key) = tree.next_send_key(e.own_leaf.0, RatchetType::Handshake)?;
                let plain = auth.content.content.body_len() + auth.auth.encoded_len();
                let padding = self.config.padding_for(plain);
                let pm = PrivateMessage::protect::<S, R>(
                    auth,
                    generation,
                    &key,
                    &e.secrets.sender_data_secret,
                    padding,
                    rng,
                )?;
                let bytes = MLSMessage::new(MLSMessageBody::PrivateMessage(pm)).to_bytes()?;
                Ok((bytes, Some(tree)))
            }
            _ => {
                let pm = PublicMessage::protect(
                    auth.clone(),
                    &e.context,
                    Some(&e.secrets.membership_key),
                )?;
                Ok((
                    MLSMessage::new(MLSMessageBody::PublicMessage(pm)).to_bytes()?,
                    None,
                ))
            }
        }
    }

    /// Signs a proposal, protects it, caches it by reference and returns the message.
    fn send_proposal<R: CryptoRng + ?Sized>(
        &mut self,
        proposal: Proposal,
        own_leaf_key: Option<vmls_crypto::HpkePrivateKey>,
        authenticated_data: &[u8],
        rng: &mut R,
    ) -> Result<(Vec<u8>, ProposalRef), GroupError> {
        self.require_active()?;
        if self.proposals.len() >= usize::from(self.config.max_pending_proposals) {
            return Err(GroupError::TooManyProposals {
                max: usize::from(self.config.max_pending_proposals),
            });
        }
        let own = Sender::Member(self.epoch.own_leaf.0);
        if !matches!(proposal, Proposal::Update(_)) {
            self.check_proposal(&proposal, &own)?;
        }
        let content = FramedContent {
            group_id: self.epoch.context.group_id.clone(),
            epoch: self.epoch(),
            sender: own,
            authenticated_data: VLBytes::from(authenticated_data),
            content: Content::Proposal(proposal.clone()),
        };
        let auth = AuthenticatedContent::sign(
            self.config.handshake_wire_format,
            content,
            &self.signer,
            Some(&self.epoch.context),
        )?;
        let reference = auth.make_proposal_ref()?;
        let (bytes, tree) = self.protect_handshake(&auth, rng)?;
        super::check_size(&self.config, bytes.len())?;
        if let Some(t) = tree {
            self.epoch.secret_tree = t;
        }
        self.proposals.push(CachedProposal {
            reference,
            sender: own,
            proposal,
            own_leaf_key,
        });
        Ok((bytes, reference))
    }

    /// Proposes adding the client of `key_package` (RFC 9420 section 12.1.1). Returns the
    /// encoded message and the proposal's reference; the proposal is cached for this member's
    /// next Commit too.
    pub fn propose_add<R: CryptoRng + ?Sized>(
        &mut self,
        key_package: KeyPackage,
        rng: &mut R,
    ) -> Result<(Vec<u8>, ProposalRef), GroupError> {
        self.send_proposal(Proposal::Add(Add { key_package }), None, &[], rng)
    }

    /// Proposes removing the member at `leaf` (RFC 9420 section 12.1.3).
    pub fn propose_remove<R: CryptoRng + ?Sized>(
        &mut self,
        leaf: u32,
        rng: &mut R,
    ) -> Result<(Vec<u8>, ProposalRef), GroupError> {
        self.send_proposal(Proposal::Remove(Remove { removed: leaf }), None, &[], rng)
    }

    /// Proposes injecting a PSK (RFC 9420 section 12.1.4): an external PSK from the store, or
    /// a resumption PSK (usage `application`) of a past epoch. The nonce comes from `rng`.
    pub fn propose_psk<R: CryptoRng + ?Sized>(
        &mut self,
        psk: Psk,
        rng: &mut R,
    ) -> Result<(Vec<u8>, ProposalRef), GroupError> {
        let id = PreSharedKeyId::new(psk, rng);
        if self.psks.get(&id).is_none() {
            return Err(GroupError::MissingPsk);
        }
        self.send_proposal(
            Proposal::PreSharedKey(PreSharedKey { psk: id }),
            None,
            &[],
            rng,
        )
    }

    /// Proposes replacing the GroupContext extensions (RFC 9420 section 12.1.7).
    pub fn propose_group_context_extensions<R: CryptoRng + ?Sized>(
        &mut self,
        extensions: Vec<Extension>,
        rng: &mut R,
    ) -> Result<(Vec<u8>, ProposalRef), GroupError> {
        self.send_proposal(
            Proposal::GroupContextExtensions(GroupContextExtensions { extensions }),
            None,
            &[],
            rng,
        )
    }

    /// Proposes an Update of this member's leaf with a fresh encryption key from `rng` (RFC
    /// 9420 section 12.1.2). The private key is kept until a Commit applies the Update.
    pub fn propose_update<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<(Vec<u8>, ProposalRef), GroupError> {
        self.require_active()?;
        let own = self.epoch.own_leaf;
        let mut content = self
            .epoch
            .tree
            .leaf(own)
            .ok_or(GroupError::UnknownMember { leaf: own.0 })?
            .content
            .clone();
        let kp = generate_hpke_key_pair(rng)?;
        content.encryption_key = OpaqueArray(kp.public);
        content.leaf_node_source = LeafNodeSource::Update;
        let leaf = LeafNode::sign(
            content,
            &self.signer,
            Some(LeafSigningContext {
                group_id: &self.epoch.context.group_id,
                leaf_index: own,
            }),
        )?;
        let req = required_capabilities(&self.epoch.context.extensions)?;
        self.epoch.tree.validate_new_leaf(
            &leaf,
            Some(own),
            Some(vmls_tree::LeafNodeSourceType::Update),
            &self.leaf_params(req.as_ref()),
        )?;
        self.send_proposal(
            Proposal::Update(Update { leaf_node: leaf }),
            Some(kp.private),
            &[],
            rng,
        )
    }

    /// The cached proposals this member commits by reference (see
    /// [`CommitOptions::include_pending`]).
    fn select_pending(&self) -> Vec<Resolved> {
        let own = self.epoch.own_leaf.0;
        let mut removed: Vec<u32> = Vec::new();
        for p in &self.proposals {
            if let Proposal::Remove(r) = &p.proposal
                && r.removed != own
                && !removed.contains(&r.removed)
            {
                removed.push(r.removed);
            }
        }
        let mut out: Vec<Resolved> = Vec::new();
        let mut removes_taken: Vec<u32> = Vec::new();
        let mut psks: Vec<PreSharedKeyId> = Vec::new();
        let mut sig_keys: Vec<[u8; 32]> = Vec::new();
        let last_gce = self
            .proposals
            .iter()
            .rposition(|p| matches!(p.proposal, Proposal::GroupContextExtensions(_)));
        for (idx, p) in self.proposals.iter().enumerate() {
            let keep = match (&p.proposal, p.sender) {
                (Proposal::Update(_), Sender::Member(i)) => {
                    i != own
                        && !removed.contains(&i)
                        && !self.proposals.iter().skip(idx + 1).any(|q| {
                            matches!(q.proposal, Proposal::Update(_)) && q.sender == p.sender
                        })
                }
                (Proposal::Update(_), _) => false,
                (Proposal::Remove(r), _) => {
                    let ok = r.removed != own && !removes_taken.contains(&r.removed);
                    if ok {
                        removes_taken.push(r.removed);
                    }
                    ok
                }
                (Proposal::Add(a), _) => {
                    let k = a.key_package.tbs.leaf_node.content.signature_key.0;
                    let ok = !sig_keys.contains(&k);
                    sig_keys.push(k);
                    ok
                }
                (Proposal::PreSharedKey(ps), _) => {
                    let ok = !psks.contains(&ps.psk) && self.psks.get(&ps.psk).is_some();
                    psks.push(ps.psk.clone());
                    ok
                }
                (Proposal::GroupContextExtensions(_), _) => Some(idx) == last_gce,
                (Proposal::ReInit(_), _) | (Proposal::ExternalInit(_), _) => false,
            };
            if keep {
                out.push(Resolved {
                    proposal: p.proposal.clone(),
                    sender: p.sender,
                    reference: Some(p.reference),
                });
            }
        }
        out
    }

    /// Creates a Commit (RFC 9420 section 12.4.1) of the proposals chosen by `options`, with an
    /// UpdatePath when required or forced, and a Welcome for the members it adds
    /// (section 12.4.3.1). The group stays in the current epoch with the Commit pending: call
    /// [`Group::merge_pending_commit`] once the Delivery Service accepted it, or
    /// [`Group::clear_pending_commit`] if it was rejected.
    ///
    /// If the configured handshake wire format is PrivateMessage, a handshake generation is
    /// taken from the secret tree: persist the state before sending (docs/embedding.md).
    pub fn commit<R: CryptoRng + ?Sized>(
        &mut self,
        options: &CommitOptions,
        rng: &mut R,
    ) -> Result<CommitOutput, GroupError> {
        self.require_active()?;
        if self.pending_commit.is_some() {
            return Err(GroupError::CommitPending);
        }
        let own = self.epoch.own_leaf;
        let mut list = if options.include_pending {
            self.select_pending()
        } else {
            Vec::new()
        };
        for p in &options.proposals {
            list.push(Resolved {
                proposal: p.clone(),
                sender: Sender::Member(own.0),
                reference: None,
            });
        }
        let applied = self.apply_proposals(&list, Committer::Member(own))?;
        check_member_limit(&applied.tree, &self.config)?;
        let with_path = options.force_path || applied.path_required;
        let mut tree = applied.tree.clone();
        let mut tree_keys = self.epoch.tree_keys.clone();
        tree_keys.prune(&tree);
        let new_members: Vec<LeafIndex> = applied.added.iter().map(|(i, _)| *i).collect();
        let base = GroupContext {
            version: self.epoch.context.version,
            cipher_suite: self.epoch.context.cipher_suite,
            group_id: self.epoch.context.group_id.clone(),
            epoch: self
                .epoch()
                .checked_add(1)
                .ok_or(GroupError::InvalidState)?,
            tree_hash: VLBytes::default(),
            confirmed_transcript_hash: self.epoch.context.confirmed_transcript_hash.clone(),
            extensions: applied.extensions.clone(),
        };
        let (path, path_secrets, commit_secret) = if with_path {
            let content = tree
                .leaf(own)
                .ok_or(GroupError::UnknownMember { leaf: own.0 })?
                .content
                .clone();
            let (secrets, keys) = tree.apply_own_update_path(
                own,
                content,
                &self.signer,
                &self.epoch.context.group_id,
                rng,
            )?;
            let mut provisional = base.clone();
            provisional.tree_hash = tree.tree_hash()?.to_vec().into();
            let gc = provisional.to_bytes()?;
            let path = tree.encrypt_update_path::<S, R>(&secrets, &gc, &new_members, rng)?;
            tree_keys = keys;
            let cs = secrets.commit_secret().clone();
            (Some(path), Some(secrets), cs)
        } else {
            (None, None, Secret::zero())
        };
        let commit = Commit {
            proposals: list
                .iter()
                .map(|r| match r.reference {
                    Some(rf) => ProposalOrRef::Reference(rf),
                    None => ProposalOrRef::Proposal(Box::new(r.proposal.clone())),
                })
                .collect(),
            path,
        };
        let content = FramedContent {
            group_id: self.epoch.context.group_id.clone(),
            epoch: self.epoch(),
            sender: Sender::Member(own.0),
            authenticated_data: VLBytes::from(options.authenticated_data.as_slice()),
            content: Content::Commit(commit),
        };
        let mut auth = AuthenticatedContent::sign(
            self.config.handshake_wire_format,
            content,
            &self.signer,
            Some(&self.epoch.context),
        )?;
        let init_secret = self.epoch.secrets.init_secret.clone();
        let (next, derived) = self.finish_epoch(
            &mut auth,
            &applied,
            base,
            tree,
            own,
            tree_keys,
            &init_secret,
            &commit_secret,
        )?;
        let (message, secret_tree) = self.protect_handshake(&auth, rng)?;
        super::check_size(&self.config, message.len())?;

        let welcome = if applied.added.is_empty() {
            None
        } else {
            let gi = self.make_group_info(&next, options.ratchet_tree_in_welcome, false)?;
            let secrets: Vec<GroupSecrets> = applied
                .added
                .iter()
                .map(|(leaf, _)| GroupSecrets {
                    joiner_secret: derived.new_epoch.joiner_secret.clone(),
                    path_secret: path_secrets
                        .as_ref()
                        .and_then(|ps| ps.path_secret_for_joiner(*leaf))
                        .map(|s| PathSecret {
                            path_secret: s.clone(),
                        }),
                    psks: applied.psks.clone(),
                })
                .collect();
            let joiners: Vec<(&KeyPackage, &GroupSecrets)> = applied
                .added
                .iter()
                .map(|(_, kp)| kp)
                .zip(secrets.iter())
                .collect();
            let w = Welcome::new::<S, R>(&gi, &derived.new_epoch.welcome_secret, &joiners, rng)?;
            Some(MLSMessage::new(MLSMessageBody::Welcome(w)).to_bytes()?)
        };
        let group_info = if options.group_info {
            let gi = self.make_group_info(&next, true, true)?;
            Some(MLSMessage::new(MLSMessageBody::GroupInfo(gi)).to_bytes()?)
        } else {
            None
        };
        let summary = summary(
            &applied,
            Sender::Member(own.0),
            own,
            next.context.epoch,
            with_path,
        );
        // Commit point: everything succeeded.
        if let Some(t) = secret_tree {
            self.epoch.secret_tree = t;
        }
        self.pending_commit = Some(Box::new(PendingCommit {
            message: message.clone(),
            next,
            summary: summary.clone(),
        }));
        Ok(CommitOutput {
            commit: message,
            welcome,
            group_info,
            summary,
        })
    }

    /// Moves to the epoch of this member's pending Commit (RFC 9420 section 12.4.1: the
    /// committer merges its own Commit without re-processing it).
    pub fn merge_pending_commit(&mut self) -> Result<(), GroupError> {
        let pending = self
            .pending_commit
            .take()
            .ok_or(GroupError::NoPendingCommit)?;
        let reinit = pending.summary.reinit.clone();
        self.install_epoch(pending.next);
        if let Some(r) = reinit {
            self.status = super::GroupStatus::ReInitialized(r);
        }
        Ok(())
    }

    /// Drops the pending Commit (the Delivery Service rejected it, or another Commit won). The
    /// handshake generation it used stays consumed.
    pub fn clear_pending_commit(&mut self) {
        self.pending_commit = None;
    }

    /// The confirmed transcript hash, new GroupContext, key schedule, confirmation tag
    /// (set into `auth` if it has none yet, checked otherwise), interim transcript hash and
    /// new secret tree of a Commit (RFC 9420 sections 8, 8.2, 12.4.1, 12.4.2).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish_epoch(
        &self,
        auth: &mut AuthenticatedContent,
        applied: &Applied,
        base: GroupContext,
        tree: RatchetTree,
        own_leaf: LeafIndex,
        tree_keys: TreePrivateKeys,
        init_secret: &Secret,
        commit_secret: &Secret,
    ) -> Result<(EpochState<S>, Derived), GroupError> {
        next_epoch_state(
            &self.config,
            &self.psks,
            &self.epoch.interim_transcript_hash,
            auth,
            applied,
            base,
            tree,
            own_leaf,
            tree_keys,
            init_secret,
            commit_secret,
        )
    }

    /// Applies a received Commit (RFC 9420 section 12.4.2) to a copy of the state. Returns the
    /// new epoch, or `None` if the Commit removes this member.
    pub(crate) fn stage_commit(
        &self,
        auth: &AuthenticatedContent,
    ) -> Result<(Option<EpochState<S>>, CommitSummary), GroupError> {
        let Content::Commit(commit) = &auth.content.content else {
            return Err(GroupError::SenderNotAllowed);
        };
        let sender = auth.content.sender;
        let committer = match sender {
            Sender::Member(i) => Committer::Member(LeafIndex(i)),
            Sender::NewMemberCommit => Committer::External,
            _ => return Err(GroupError::SenderNotAllowed),
        };
        let mut list = Vec::with_capacity(commit.proposals.len());
        for p in &commit.proposals {
            match p {
                ProposalOrRef::Proposal(p) => list.push(Resolved {
                    proposal: (**p).clone(),
                    sender,
                    reference: None,
                }),
                ProposalOrRef::Reference(r) => {
                    if committer == Committer::External {
                        return Err(ProposalError::ExternalCommitProposals.into());
                    }
                    let c = self
                        .proposals
                        .iter()
                        .find(|c| c.reference == *r)
                        .ok_or(ProposalError::UnknownReference)?;
                    list.push(Resolved {
                        proposal: c.proposal.clone(),
                        sender: c.sender,
                        reference: Some(c.reference),
                    });
                }
            }
        }
        let applied = self.apply_proposals(&list, committer)?;
        if (applied.path_required || committer == Committer::External) && commit.path.is_none() {
            return Err(ProposalError::PathRequired.into());
        }
        let own = self.epoch.own_leaf;
        let mut tree = applied.tree.clone();
        let committer_leaf = match committer {
            Committer::Member(c) => c,
            Committer::External => tree.leftmost_free_leaf()?,
        };
        let epoch = self
            .epoch()
            .checked_add(1)
            .ok_or(GroupError::InvalidState)?;
        let req = required_capabilities(&applied.extensions)?;
        // RFC 9420 section 12.4.2: every receiver validates and merges the UpdatePath, the
        // member this Commit removes included (it cannot decrypt the path, but it must not
        // leave the group on a Commit the other members reject).
        if let Some(path) = &commit.path {
            if committer == Committer::External {
                check_member_limit_plus_one(&tree, self.config.max_members)?;
                // Section 12.4.3.2: a resync leaf meets the criteria of an Update of the
                // removed leaf: its credential, and a new encryption key (section 7.3).
                for (at, cred) in &applied.removed_credentials {
                    if *cred != path.leaf_node.content.credential {
                        return Err(ProposalError::ResyncCredentialMismatch.into());
                    }
                    if self
                        .epoch
                        .tree
                        .leaf(*at)
                        .is_some_and(|l| l.encryption_key() == path.leaf_node.encryption_key())
                    {
                        return Err(TreeError::EncryptionKeyNotUpdated { leaf: *at }.into());
                    }
                }
            }
            let params = LeafValidationParams {
                group_id: &self.epoch.context.group_id,
                required_capabilities: req.as_ref(),
                now: self.config.current_time,
                max_lifetime: self.config.max_lifetime,
            };
            tree.merge_update_path(committer_leaf, path, &params)?;
            // Section 13.4: the committer's new leaf (an external joiner's first) supports the
            // GroupContext extensions, as every member's must.
            check_leaf_supports(&path.leaf_node, req.as_ref(), &applied.extensions)?;
        }
        if applied.removed.contains(&own) {
            let s = summary(
                &applied,
                sender,
                committer_leaf,
                epoch,
                commit.path.is_some(),
            );
            return Ok((
                None,
                CommitSummary {
                    self_removed: true,
                    ..s
                },
            ));
        }
        let mut tree_keys = self.epoch.tree_keys.clone();
        if let Some(r) = applied.own_update {
            let key = self
                .proposals
                .iter()
                .find(|c| c.reference == r)
                .and_then(|c| c.own_leaf_key.clone())
                .ok_or(GroupError::InvalidState)?;
            tree_keys.set_leaf_key(key);
        }
        tree_keys.prune(&tree);
        let base = GroupContext {
            version: self.epoch.context.version,
            cipher_suite: self.epoch.context.cipher_suite,
            group_id: self.epoch.context.group_id.clone(),
            epoch,
            tree_hash: VLBytes::default(),
            confirmed_transcript_hash: self.epoch.context.confirmed_transcript_hash.clone(),
            extensions: applied.extensions.clone(),
        };
        let commit_secret = match &commit.path {
            Some(path) => {
                let mut provisional = base.clone();
                provisional.tree_hash = tree.tree_hash()?.to_vec().into();
                let gc = provisional.to_bytes()?;
                let new_members: Vec<LeafIndex> = applied.added.iter().map(|(i, _)| *i).collect();
                let secrets = tree_keys.process_update_path::<S>(
                    &tree,
                    committer_leaf,
                    path,
                    &gc,
                    &new_members,
                )?;
                secrets.commit_secret().clone()
            }
            None => Secret::zero(),
        };
        let init_secret = match &applied.external_init {
            Some(kem_output) => {
                let kp = self.epoch.secrets.external_key_pair()?;
                vmls_crypto::export_receiver::<S>(
                    &kp.private,
                    kem_output,
                    &[],
                    EXTERNAL_INIT_LABEL,
                )?
            }
            None => self.epoch.secrets.init_secret.clone(),
        };
        let mut auth = auth.clone();
        let (next, _) = self.finish_epoch(
            &mut auth,
            &applied,
            base,
            tree,
            own,
            tree_keys,
            &init_secret,
            &commit_secret,
        )?;
        Ok((
            Some(next),
            summary(
                &applied,
                sender,
                committer_leaf,
                epoch,
                commit.path.is_some(),
            ),
        ))
    }
}

fn check_member_limit_plus_one(tree: &RatchetTree, max: u32) -> Result<(), GroupError> {
    if tree.members().count() >= max as usize {
        return Err(GroupError::TooManyMembers { max });
    }
    Ok(())
}

/// `psk_secret` for `ids` with every PSK taken from `store` ([`GroupError::MissingPsk`] if one
/// is unknown).
pub(crate) fn psk_secret_from_store(
    store: &super::PskStore,
    ids: &[PreSharedKeyId],
) -> Result<Secret, GroupError> {
    let mut values: Vec<(&PreSharedKeyId, &[u8])> = Vec::with_capacity(ids.len());
    for id in ids {
        let s = store.get(id).ok_or(GroupError::MissingPsk)?;
        values.push((id, s));
    }
    Ok(psk_secret(values)?)
}

/// The second half of Commit creation and processing (RFC 9420 sections 12.4.1, 12.4.2):
/// transcript hashes, key schedule, confirmation tag, secret tree.
#[allow(clippy::too_many_arguments)]
pub(crate) fn next_epoch_state<S: CipherSuite>(
    config: &super::GroupConfig,
    psks: &super::PskStore,
    interim_prev: &HashValue,
    auth: &mut AuthenticatedContent,
    applied: &Applied,
    base: GroupContext,
    tree: RatchetTree,
    own_leaf: LeafIndex,
    tree_keys: TreePrivateKeys,
    init_secret: &Secret,
    commit_secret: &Secret,
) -> Result<(EpochState<S>, Derived), GroupError> {
    let confirmed = auth.confirmed_transcript_hash(interim_prev)?;
    let mut context = base;
    context.tree_hash = tree.tree_hash()?.to_vec().into();
    context.confirmed_transcript_hash = confirmed.to_vec().into();
    let psk = psk_secret_from_store(psks, &applied.psks)?;
    let new_epoch = NewEpoch::from_commit(init_secret, commit_secret, &psk, &context)?;
    match &auth.auth.confirmation_tag {
        Some(_) => auth.verify_confirmation_tag(&new_epoch.secrets.confirmation_key, &confirmed)?,
        None => {
            auth.auth.confirmation_tag =
                Some(OpaqueArray(new_epoch.secrets.confirmation_tag(&confirmed)));
        }
    }
    let tag = auth
        .auth
        .confirmation_tag
        .ok_or(GroupError::InvalidConfirmationTag)?;
    let interim = auth.interim_transcript_hash(&confirmed)?;
    let secret_tree = SecretTree::with_config(
        new_epoch.encryption_secret.clone(),
        tree.n_leaves(),
        config.secret_tree(),
    )?;
    tree_keys.check_consistent(&tree)?;
    let state = EpochState {
        encoded_context: encode_context(&context)?,
        context: context.clone(),
        tree,
        own_leaf,
        tree_keys,
        secrets: new_epoch.secrets.clone(),
        secret_tree,
        interim_transcript_hash: interim,
        confirmation_tag: tag.0,
    };
    Ok((state, Derived { new_epoch }))
}

pub(crate) fn summary(
    applied: &Applied,
    sender: Sender,
    committer: LeafIndex,
    epoch: u64,
    has_path: bool,
) -> CommitSummary {
    CommitSummary {
        sender,
        committer: committer.0,
        epoch,
        added: applied.added.iter().map(|(i, _)| i.0).collect(),
        removed: leaves(&applied.removed),
        updated: leaves(&applied.updated),
        has_path,
        psks: applied.psks.len(),
        extensions_changed: applied.extensions_changed,
        self_removed: false,
        reinit: applied.reinit.clone(),
    }
}
