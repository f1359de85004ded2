//! Creating a Commit (RFC 9420 section 12.4.1) and merging it once the Delivery Service
//! accepted it.
use alloc::boxed::Box;
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Encode, VLBytes};
use vmls_crypto::{CipherSuite, Secret, SignaturePrivateKey};
use vmls_keyschedule::{GroupContext, PreSharedKeyId};
use vmls_tree::LeafIndex;

use super::apply_commit::summary;
use super::error::GroupError;
use super::process::CommitSummary;
use super::proposals::{Applied, Committer, Resolved, check_member_limit};
use super::{Group, PendingCommit};
use crate::commit::Commit;
use crate::framing::{
    AuthenticatedContent, Content, FramedContent, MLSMessage, MLSMessageBody, Sender,
};
use crate::key_package::KeyPackage;
use crate::proposals::{Proposal, ProposalOrRef, ProposalRef};
use crate::welcome::{GroupSecrets, PathSecret, Welcome};

/// How to build a Commit.
#[derive(Clone, Debug)]
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
    /// A new signature key for this member's leaf (RFC 9420 section 5.3.1 lists "a Commit with
    /// an UpdatePath whose LeafNode has a new credential" among the credential changes; the
    /// leaf's `signature_key` travels with the credential). The Commit then carries an
    /// UpdatePath (forced) whose LeafNode has the new key and is signed with it; the Commit's
    /// FramedContent is signed with the current key (section 6.1: the sender's leaf in the
    /// current tree), as is nothing else. The key must differ from every other member's
    /// ([`vmls_tree::TreeError::DuplicateSignatureKey`], section 7.3). It becomes this member's
    /// signer when the Commit is merged ([`Group::merge_pending_commit`]); until then the old
    /// key signs. Keep the credential: receivers compare it against what they expect of the
    /// member (docs/spec-decisions.md, "Signature-key rotation").
    pub new_signature_key: Option<SignaturePrivateKey>,
}

/// Compares the new signature key by its public key (the private key is never compared nor
/// printed).
impl PartialEq for CommitOptions {
    fn eq(&self, other: &Self) -> bool {
        self.proposals == other.proposals
            && self.include_pending == other.include_pending
            && self.force_path == other.force_path
            && self.ratchet_tree_in_welcome == other.ratchet_tree_in_welcome
            && self.group_info == other.group_info
            && self.authenticated_data == other.authenticated_data
            && self.new_signature_key.as_ref().map(|k| k.public_key())
                == other.new_signature_key.as_ref().map(|k| k.public_key())
    }
}

impl Eq for CommitOptions {}

impl Default for CommitOptions {
    fn default() -> Self {
        Self {
            proposals: Vec::new(),
            include_pending: true,
            force_path: true,
            ratchet_tree_in_welcome: true,
            group_info: false,
            authenticated_data: Vec::new(),
            new_signature_key: None,
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
    /// Cached proposals left out because they are invalid (RFC 9420 section 12.4), with why.
    pub dropped: Vec<DroppedProposal>,
}

/// A cached proposal that [`Group::commit`] left out of the Commit because it is invalid: on
/// its own against the current tree, together with the other proposals, or expired (this
/// member, as the committer, checks lifetimes against its clock: RFC 9420 section 7.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedProposal {
    /// The proposal's reference.
    pub reference: ProposalRef,
    /// Who proposed it.
    pub sender: Sender,
    /// Why it is invalid.
    pub reason: GroupError,
}

impl DroppedProposal {
    /// `None` for a proposal by value (never dropped: only cached proposals are).
    fn new(r: &Resolved, reason: GroupError) -> Option<Self> {
        r.reference.map(|reference| Self {
            reference,
            sender: r.sender,
            reason,
        })
    }
}

impl<S: CipherSuite> Group<S> {
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
        self.commit_with_link(options, None, rng)
    }

    /// [`Group::commit`], with `link` (a resumption PSK of usage `reinit` or `branch`) appended
    /// as the last PreSharedKey proposal by value. Only the first Commit of a successor or
    /// branch group uses it (`reinit.rs`, RFC 9420 sections 11.2 and 11.3): it bypasses the
    /// proposal check that rejects these usages everywhere else (section 12.1.4).
    pub(crate) fn commit_with_link<R: CryptoRng + ?Sized>(
        &mut self,
        options: &CommitOptions,
        link: Option<&PreSharedKeyId>,
        rng: &mut R,
    ) -> Result<CommitOutput, GroupError> {
        self.require_active()?;
        if self.pending_commit.is_some() {
            return Err(GroupError::CommitPending);
        }
        let own = self.epoch.own_leaf;
        let pending = if options.include_pending {
            self.select_pending()
        } else {
            Vec::new()
        };
        let by_value: Vec<Resolved> = options
            .proposals
            .iter()
            .map(|p| Resolved {
                proposal: p.clone(),
                sender: Sender::Member(own.0),
                reference: None,
            })
            .collect();
        let (mut list, mut applied, dropped) = self.valid_proposal_list(pending, by_value)?;
        if let Some(id) = link {
            applied.psks.push(id.clone());
            list.push(Resolved {
                proposal: Proposal::PreSharedKey(crate::proposals::PreSharedKey {
                    psk: id.clone(),
                }),
                sender: Sender::Member(own.0),
                reference: None,
            });
        }
        check_member_limit(&applied.tree, &self.config)?;
        let new_signer = options.new_signature_key.as_ref();
        if let Some(k) = new_signer {
            let pk = k.public_key();
            if let Some((j, _)) = applied
                .tree
                .members()
                .find(|(j, l)| *j != own && *l.signature_key() == pk)
            {
                return Err(vmls_tree::TreeError::DuplicateSignatureKey { leaf: j }.into());
            }
        }
        let with_path = options.force_path || applied.path_required || new_signer.is_some();
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
            let mut content = tree
                .leaf(own)
                .ok_or(GroupError::UnknownMember { leaf: own.0 })?
                .content
                .clone();
            if let Some(k) = new_signer {
                content.signature_key = vmls_codec::OpaqueArray(k.public_key());
            }
            let (secrets, keys) = tree.apply_own_update_path(
                own,
                content,
                new_signer.unwrap_or(&self.signer),
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
            let gi = self.make_group_info(
                &next,
                new_signer.unwrap_or(&self.signer),
                options.ratchet_tree_in_welcome,
                false,
            )?;
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
            let gi = self.make_group_info(&next, new_signer.unwrap_or(&self.signer), true, true)?;
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
            new_signer: new_signer.cloned(),
        }));
        Ok(CommitOutput {
            commit: message,
            welcome,
            group_info,
            summary,
            dropped,
        })
    }

    /// The proposal list of a Commit: the cached proposals chosen by
    /// [`Group::select_pending`] that are valid, then the committer's own by value (RFC 9420
    /// section 12.4: include valid proposals "as long as this results in a valid proposal
    /// list"). A cached proposal that is invalid against the tree, together with the others, or
    /// (as this member is the committer, section 7.3) expired, is left out and reported. The
    /// committer's by-value proposals are never left out: if they are invalid, so is the
    /// Commit.
    ///
    /// Cost: one validation of the whole list when it is valid (the usual case); otherwise
    /// one per cached proposal, and only if pairs of proposals conflict, one per cached
    /// proposal for each one kept (at most `max_pending_proposals`^2 / 2).
    #[allow(clippy::type_complexity)]
    fn valid_proposal_list(
        &self,
        pending: Vec<Resolved>,
        by_value: Vec<Resolved>,
    ) -> Result<(Vec<Resolved>, Applied, Vec<DroppedProposal>), GroupError> {
        let committer = Committer::Member(self.epoch.own_leaf);
        let now = self.config.own_lifetime_now();
        let with = |kept: &[Resolved], extra: Option<&Resolved>| -> Vec<Resolved> {
            let mut l: Vec<Resolved> = kept.to_vec();
            l.extend(extra.cloned());
            l.extend(by_value.iter().cloned());
            l
        };
        let all = with(&pending, None);
        if pending.is_empty() {
            let applied = self.apply_proposals(&all, committer, now)?;
            return Ok((all, applied, Vec::new()));
        }
        if let Ok(applied) = self.apply_proposals(&all, committer, now) {
            return Ok((all, applied, Vec::new()));
        }
        // The committer's own proposals decide alone whether a Commit can be made.
        self.apply_proposals(&by_value, committer, now)?;
        let mut dropped = Vec::new();
        let mut alone_ok = Vec::with_capacity(pending.len());
        for p in pending {
            match self.apply_proposals(&with(&[], Some(&p)), committer, now) {
                Ok(_) => alone_ok.push(p),
                Err(e) => dropped.extend(DroppedProposal::new(&p, e)),
            }
        }
        let mut kept: Vec<Resolved> = Vec::with_capacity(alone_ok.len());
        if self
            .apply_proposals(&with(&alone_ok, None), committer, now)
            .is_ok()
        {
            kept = alone_ok;
        } else {
            for p in alone_ok {
                match self.apply_proposals(&with(&kept, Some(&p)), committer, now) {
                    Ok(_) => kept.push(p),
                    Err(e) => dropped.extend(DroppedProposal::new(&p, e)),
                }
            }
        }
        let list = with(&kept, None);
        let applied = self.apply_proposals(&list, committer, now)?;
        Ok((list, applied, dropped))
    }

    /// Moves to the epoch of this member's pending Commit (RFC 9420 section 12.4.1: the
    /// committer merges its own Commit without re-processing it).
    pub fn merge_pending_commit(&mut self) -> Result<(), GroupError> {
        let pending = self
            .pending_commit
            .take()
            .ok_or(GroupError::NoPendingCommit)?;
        let reinit = pending.summary.reinit.clone();
        self.install_epoch(pending.next, &pending.summary);
        if let Some(k) = pending.new_signer {
            self.prepared_signer = crate::labeled::PreparedSigner::new(&k);
            self.signer = k;
        }
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
}
