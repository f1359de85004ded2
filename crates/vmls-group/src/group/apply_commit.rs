//! Applying a received Commit (RFC 9420 section 12.4.2), and the epoch derivation shared with
//! Commit creation and external joins (sections 8, 8.2, 12.4.1).
use alloc::vec::Vec;
use vmls_codec::{Encode, OpaqueArray, VLBytes};
use vmls_crypto::{CipherSuite, HashValue, Secret};
use vmls_keyschedule::{GroupContext, NewEpoch, PreSharedKeyId, psk_secret};
use vmls_secret_tree::SecretTree;
use vmls_tree::{LeafIndex, LeafValidationParams, RatchetTree, TreeError, TreePrivateKeys};

use super::error::{GroupError, ProposalError};
use super::process::{CommitSummary, NewLeaf, NewLeafSource, leaves};
use super::proposals::{Applied, Committer, Resolved, check_leaf_supports, required_capabilities};
use super::{EpochState, Group, encode_context};
use crate::commit::Commit;
use crate::framing::{AuthenticatedContent, Content, Sender};
use crate::proposals::ProposalOrRef;

/// HPKE exporter context of the external init secret (RFC 9420 section 8.3).
pub(crate) const EXTERNAL_INIT_LABEL: &[u8] = b"MLS 1.0 external init secret";

/// The per-epoch state derived once the new GroupContext is known.
pub(crate) struct Derived {
    pub(crate) new_epoch: NewEpoch,
}

impl<S: CipherSuite> Group<S> {
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
    /// new epoch (`None` if the Commit removes this member), what changed, and every leaf the
    /// Commit adds or changes (for the application's credential check before merging).
    pub(crate) fn stage_commit(
        &self,
        auth: &AuthenticatedContent,
    ) -> Result<StagedCommit<S>, GroupError> {
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
        let applied =
            self.apply_proposals(&list, committer, self.config.received_lifetime_now())?;
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
                now: self.config.received_lifetime_now(),
                max_lifetime: self.config.max_lifetime,
            };
            tree.merge_update_path(committer_leaf, path, &params)?;
            // Section 13.4: the committer's new leaf (an external joiner's first) supports the
            // GroupContext extensions, as every member's must.
            check_leaf_supports(&path.leaf_node, req.as_ref(), &applied.extensions)?;
        }
        let new_leaves = new_leaves(&applied, commit, committer, committer_leaf);
        if applied.removed.contains(&own) {
            let s = summary(
                &applied,
                sender,
                committer_leaf,
                epoch,
                commit.path.is_some(),
            );
            return Ok(StagedCommit {
                next: None,
                summary: CommitSummary {
                    self_removed: true,
                    ..s
                },
                new_leaves,
            });
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
        Ok(StagedCommit {
            next: Some(next),
            summary: summary(
                &applied,
                sender,
                committer_leaf,
                epoch,
                commit.path.is_some(),
            ),
            new_leaves,
        })
    }
}

/// A received Commit applied to a copy of the state.
pub(crate) struct StagedCommit<S: CipherSuite> {
    /// The new epoch; `None` if the Commit removes this member.
    pub(crate) next: Option<EpochState<S>>,
    pub(crate) summary: CommitSummary,
    /// Every leaf the Commit adds or changes.
    pub(crate) new_leaves: Vec<NewLeaf>,
}

/// The leaves a Commit adds or changes (see [`crate::group::StagedMessage::new_leaves`]).
fn new_leaves(
    applied: &Applied,
    commit: &Commit,
    committer: Committer,
    committer_leaf: LeafIndex,
) -> Vec<NewLeaf> {
    let mut out: Vec<NewLeaf> = applied
        .added
        .iter()
        .map(|(at, kp)| NewLeaf {
            leaf_index: Some(at.0),
            source: NewLeafSource::Add,
            leaf_node: kp.tbs.leaf_node.clone(),
        })
        .collect();
    out.extend(applied.updated.iter().filter_map(|at| {
        applied.tree.leaf(*at).map(|l| NewLeaf {
            leaf_index: Some(at.0),
            source: NewLeafSource::Update,
            leaf_node: l.clone(),
        })
    }));
    if let Some(path) = &commit.path {
        out.push(NewLeaf {
            leaf_index: Some(committer_leaf.0),
            source: match committer {
                Committer::External => NewLeafSource::ExternalJoin,
                Committer::Member(_) => NewLeafSource::CommitPath,
            },
            leaf_node: path.leaf_node.clone(),
        });
    }
    out
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
    let mut secrets = new_epoch.secrets.clone();
    let cbam = super::cbam::CbamEpoch::derive(&mut secrets, config.cbst())?;
    let state = EpochState {
        encoded_context: encode_context(&context)?,
        context: context.clone(),
        tree,
        own_leaf,
        tree_keys,
        secrets,
        secret_tree,
        interim_transcript_hash: interim,
        confirmation_tag: tag.0,
        cbam,
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
