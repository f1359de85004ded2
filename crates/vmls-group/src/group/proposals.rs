//! Proposal validation (RFC 9420 sections 12.1 and 12.2) and application (section 12.3),
//! shared by the committer and the receivers of a Commit.
use alloc::vec::Vec;
use vmls_codec::VLBytes;
use vmls_crypto::{CipherSuite, NH};
use vmls_keyschedule::{PreSharedKeyId, Psk, ResumptionPskUsage};
use vmls_tree::extension::{has_duplicate_extensions, is_default_extension};
use vmls_tree::leaf::supports_required;
use vmls_tree::{
    Extension, LeafIndex, LeafNode, LeafNodeSourceType, LeafValidationParams, RatchetTree,
    RequiredCapabilities, extension_type,
};

use super::error::{GroupError, ProposalError};
use super::key_package::validate_key_package;
use super::{Group, GroupConfig};
use crate::extensions::{ExtensionBody, ExternalSenders, find};
use crate::framing::Sender;
use crate::key_package::KeyPackage;
use crate::proposals::{Proposal, ProposalRef, ReInit};
use vmls_tree::TreeError;

/// A proposal of a Commit with its sender (the committer for proposals by value).
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) proposal: Proposal,
    pub(crate) sender: Sender,
    pub(crate) reference: Option<ProposalRef>,
}

/// Who commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Committer {
    /// A member at this leaf.
    Member(LeafIndex),
    /// A new member (external Commit).
    External,
}

/// The result of applying a valid proposal list (RFC 9420 section 12.3).
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pub(crate) tree: RatchetTree,
    pub(crate) extensions: Vec<Extension>,
    pub(crate) extensions_changed: bool,
    pub(crate) added: Vec<(LeafIndex, KeyPackage)>,
    pub(crate) removed: Vec<LeafIndex>,
    pub(crate) updated: Vec<LeafIndex>,
    pub(crate) psks: Vec<PreSharedKeyId>,
    pub(crate) external_init: Option<VLBytes>,
    pub(crate) reinit: Option<ReInit>,
    pub(crate) path_required: bool,
    /// The reference of this member's own Update proposal, if the list applies it.
    pub(crate) own_update: Option<ProposalRef>,
    /// The credential of the leaf a resync external Commit removes.
    pub(crate) removed_credentials: Vec<(LeafIndex, vmls_tree::Credential)>,
}

/// The group's `required_capabilities`, if any.
pub(crate) fn required_capabilities(
    extensions: &[Extension],
) -> Result<Option<RequiredCapabilities>, GroupError> {
    find::<RequiredCapabilities>(extensions).map_err(|_| {
        GroupError::InvalidProposal(ProposalError::MalformedGroupContextExtension {
            extension_type: extension_type::REQUIRED_CAPABILITIES,
        })
    })
}

/// GroupContext extensions are well formed: no repeated type, and the typed ones decode.
pub(crate) fn check_group_context_extensions(extensions: &[Extension]) -> Result<(), GroupError> {
    if has_duplicate_extensions(extensions) {
        let t = extensions.first().map_or(0, |e| e.extension_type);
        return Err(ProposalError::MalformedGroupContextExtension { extension_type: t }.into());
    }
    required_capabilities(extensions)?;
    find::<ExternalSenders>(extensions).map_err(|_| {
        GroupError::InvalidProposal(ProposalError::MalformedGroupContextExtension {
            extension_type: ExternalSenders::EXTENSION_TYPE,
        })
    })?;
    Ok(())
}

/// Every member of `tree` supports the GroupContext `extensions` (its `required_capabilities`
/// and every non-default extension type; RFC 9420 sections 11.1 and 12.1.7).
fn check_members_support(tree: &RatchetTree, extensions: &[Extension]) -> Result<(), GroupError> {
    let req = required_capabilities(extensions)?;
    for (_, m) in tree.members() {
        check_leaf_supports(m, req.as_ref(), extensions)?;
    }
    Ok(())
}

/// `leaf` supports the GroupContext `extensions`: the group's `required_capabilities` `req` and
/// every non-default extension type (RFC 9420 sections 11.1 and 13.4: "an extension in use by
/// the group MUST be supported by all members").
pub(crate) fn check_leaf_supports(
    leaf: &LeafNode,
    req: Option<&RequiredCapabilities>,
    extensions: &[Extension],
) -> Result<(), GroupError> {
    if let Some(r) = req
        && !supports_required(&leaf.content, r)
    {
        return Err(ProposalError::UnsupportedGroupContextExtension {
            extension_type: extension_type::REQUIRED_CAPABILITIES,
        }
        .into());
    }
    let caps = &leaf.content.capabilities;
    for e in extensions {
        if !is_default_extension(e.extension_type) && !caps.extensions.contains(&e.extension_type) {
            return Err(ProposalError::UnsupportedGroupContextExtension {
                extension_type: e.extension_type,
            }
            .into());
        }
    }
    Ok(())
}

/// Number of non-blank leaves.
pub(crate) fn member_count(tree: &RatchetTree) -> usize {
    tree.members().count()
}

/// Fails if the tree has more members than allowed.
pub(crate) fn check_member_limit(
    tree: &RatchetTree,
    config: &GroupConfig,
) -> Result<(), GroupError> {
    if member_count(tree) > config.max_members as usize {
        return Err(GroupError::TooManyMembers {
            max: config.max_members,
        });
    }
    Ok(())
}

impl<S: CipherSuite> Group<S> {
    /// The leaf-validation parameters of the current epoch, with `required` as the group's
    /// required capabilities and `now` the time lifetimes are checked against (see
    /// [`GroupConfig::own_lifetime_now`] and [`GroupConfig::received_lifetime_now`]).
    pub(crate) fn leaf_params<'a>(
        &'a self,
        required: Option<&'a RequiredCapabilities>,
        now: Option<u64>,
    ) -> LeafValidationParams<'a> {
        LeafValidationParams {
            group_id: &self.epoch.context.group_id,
            required_capabilities: required,
            now,
            max_lifetime: self.config.max_lifetime,
        }
    }

    /// The validity of one proposal on its own and for its sender type (RFC 9420 sections
    /// 6.1, 12.1.x, 12.1.8), against the current epoch. Checks that depend on the other
    /// proposals of a Commit are in [`Group::apply_proposals`].
    pub(crate) fn check_proposal(
        &self,
        proposal: &Proposal,
        sender: &Sender,
        now: Option<u64>,
    ) -> Result<(), GroupError> {
        self.check_sender_type(proposal, sender)?;
        let req = required_capabilities(&self.epoch.context.extensions)?;
        self.check_proposal_body(proposal, sender, req.as_ref(), now)
    }

    /// The checks of a proposal that arrives on its own (or that this member sends), before it
    /// is cached for Commits by reference: [`Group::check_proposal`], plus the checks against
    /// the current tree that no other proposal of a later Commit could make pass
    /// (docs/spec-decisions.md, "Proposals validated on receipt"):
    ///
    /// * an Add's leaf uses a credential type every member supports, supports every credential
    ///   type in use and every GroupContext extension, and has an `encryption_key` no node of
    ///   the tree has (RFC 9420 sections 7.3, 12.1.1);
    /// * a GroupContextExtensions proposal is supported by every member (section 12.1.7).
    ///
    /// A signature key that equals a member's is left to the Commit: RFC 9420 section 12.2
    /// makes it valid together with a Remove of that member.
    pub(crate) fn check_proposal_on_receipt(
        &self,
        proposal: &Proposal,
        sender: &Sender,
        now: Option<u64>,
    ) -> Result<(), GroupError> {
        self.check_proposal(proposal, sender, now)?;
        let extensions = &self.epoch.context.extensions;
        match proposal {
            Proposal::Add(add) => {
                let leaf = &add.key_package.tbs.leaf_node;
                let req = required_capabilities(extensions)?;
                check_leaf_supports(leaf, req.as_ref(), extensions)?;
                let ct = leaf.content.credential.credential_type();
                for (j, m) in self.epoch.tree.members() {
                    let mct = m.content.credential.credential_type();
                    let (leaf_at, missing) = if !m.content.capabilities.credentials.contains(&ct) {
                        (Some(j), ct)
                    } else if !leaf.content.capabilities.credentials.contains(&mct) {
                        (None, mct)
                    } else {
                        continue;
                    };
                    return Err(TreeError::UnsupportedCredentialType {
                        leaf: leaf_at,
                        credential_type: missing,
                    }
                    .into());
                }
                if let Some(node) = self
                    .epoch
                    .tree
                    .find_encryption_key(core::slice::from_ref(leaf.encryption_key()))
                {
                    return Err(TreeError::DuplicateEncryptionKey { node }.into());
                }
                Ok(())
            }
            Proposal::GroupContextExtensions(g) => {
                check_members_support(&self.epoch.tree, &g.extensions)
            }
            _ => Ok(()),
        }
    }

    /// Which proposal types each sender type may send (RFC 9420 sections 6.1 and 12.1.8), and
    /// Updates only from members.
    fn check_sender_type(&self, proposal: &Proposal, sender: &Sender) -> Result<(), GroupError> {
        match sender {
            Sender::External(_) if !proposal.allowed_from_external_sender() => {
                return Err(ProposalError::SenderNotAllowed.into());
            }
            Sender::NewMemberProposal if !matches!(proposal, Proposal::Add(_)) => {
                return Err(ProposalError::SenderNotAllowed.into());
            }
            _ => {}
        }
        if matches!(proposal, Proposal::Update(_)) && !matches!(sender, Sender::Member(_)) {
            return Err(ProposalError::UpdateNotFromMember.into());
        }
        Ok(())
    }

    fn check_proposal_body(
        &self,
        proposal: &Proposal,
        sender: &Sender,
        req: Option<&RequiredCapabilities>,
        now: Option<u64>,
    ) -> Result<(), GroupError> {
        let params = self.leaf_params(req, now);
        match proposal {
            Proposal::Add(add) => validate_key_package::<S>(&add.key_package, &params)?,
            Proposal::Update(u) => {
                let Sender::Member(i) = sender else {
                    return Err(ProposalError::UpdateNotFromMember.into());
                };
                self.epoch.tree.validate_new_leaf(
                    &u.leaf_node,
                    Some(LeafIndex(*i)),
                    Some(LeafNodeSourceType::Update),
                    &params,
                )?;
            }
            Proposal::Remove(r) => {
                if self.epoch.tree.leaf(LeafIndex(r.removed)).is_none() {
                    return Err(ProposalError::RemoveBlankLeaf { leaf: r.removed }.into());
                }
            }
            Proposal::PreSharedKey(p) => check_psk_id(&p.psk)?,
            Proposal::ReInit(r) => {
                if r.version.0 < self.epoch.context.version {
                    return Err(ProposalError::ReInitVersion.into());
                }
                check_group_context_extensions(&r.extensions)?;
            }
            Proposal::ExternalInit(_) => {}
            Proposal::GroupContextExtensions(g) => check_group_context_extensions(&g.extensions)?,
        }
        Ok(())
    }

    /// Validates a proposal list (RFC 9420 section 12.2) and applies it (section 12.3) to a copy
    /// of the tree and GroupContext extensions.
    pub(crate) fn apply_proposals(
        &self,
        list: &[Resolved],
        committer: Committer,
        now: Option<u64>,
    ) -> Result<Applied, GroupError> {
        // List rules of section 12.2.
        let mut targets: Vec<u32> = Vec::new();
        let mut psks: Vec<PreSharedKeyId> = Vec::new();
        let mut gce: Option<&Vec<Extension>> = None;
        let mut external_inits = 0usize;
        let mut removes = 0usize;
        let mut reinit: Option<ReInit> = None;
        for r in list {
            match r.proposal {
                // Fully validated when applied below (with the new extensions).
                Proposal::Add(_) | Proposal::Update(_) => {
                    self.check_sender_type(&r.proposal, &r.sender)?
                }
                _ => self.check_proposal(&r.proposal, &r.sender, now)?,
            }
            if committer == Committer::External {
                match r.proposal {
                    Proposal::ExternalInit(_) | Proposal::Remove(_) | Proposal::PreSharedKey(_) => {
                    }
                    _ => return Err(ProposalError::ExternalCommitProposals.into()),
                }
                if r.reference.is_some() {
                    return Err(ProposalError::ExternalCommitProposals.into());
                }
            }
            match &r.proposal {
                Proposal::Update(_) => {
                    let Sender::Member(i) = r.sender else {
                        return Err(ProposalError::UpdateNotFromMember.into());
                    };
                    if committer == Committer::Member(LeafIndex(i)) {
                        return Err(ProposalError::UpdateByCommitter.into());
                    }
                    if targets.contains(&i) {
                        return Err(ProposalError::DuplicateTarget { leaf: i }.into());
                    }
                    targets.push(i);
                }
                Proposal::Remove(rm) => {
                    if committer == Committer::Member(LeafIndex(rm.removed)) {
                        return Err(ProposalError::RemovesCommitter.into());
                    }
                    if targets.contains(&rm.removed) {
                        return Err(ProposalError::DuplicateTarget { leaf: rm.removed }.into());
                    }
                    targets.push(rm.removed);
                    removes += 1;
                }
                Proposal::PreSharedKey(p) => {
                    if psks.contains(&p.psk) {
                        return Err(ProposalError::DuplicatePsk.into());
                    }
                    psks.push(p.psk.clone());
                }
                Proposal::GroupContextExtensions(g) => {
                    if gce.is_some() {
                        return Err(ProposalError::MultipleGroupContextExtensions.into());
                    }
                    gce = Some(&g.extensions);
                }
                Proposal::ReInit(ri) => {
                    if list.len() > 1 {
                        return Err(ProposalError::ReInitNotAlone.into());
                    }
                    reinit = Some(ri.clone());
                }
                Proposal::ExternalInit(_) => {
                    if committer != Committer::External {
                        return Err(ProposalError::ExternalInit.into());
                    }
                    external_inits += 1;
                }
                Proposal::Add(_) => {}
            }
        }
        if committer == Committer::External && (external_inits != 1 || removes > 1) {
            return Err(if external_inits != 1 {
                ProposalError::ExternalInit
            } else {
                ProposalError::ExternalCommitProposals
            }
            .into());
        }

        // Application in the order of section 12.3.
        let extensions = gce
            .cloned()
            .unwrap_or_else(|| self.epoch.context.extensions.clone());
        let req = required_capabilities(&extensions)?;
        let params = self.leaf_params(req.as_ref(), now);
        let mut tree = self.epoch.tree.clone();
        let mut own_update = None;
        let mut updated = Vec::new();
        for r in list {
            if let (Proposal::Update(u), Sender::Member(i)) = (&r.proposal, r.sender) {
                let at = LeafIndex(i);
                tree.validate_new_leaf(
                    &u.leaf_node,
                    Some(at),
                    Some(LeafNodeSourceType::Update),
                    &params,
                )?;
                tree.update_leaf(at, u.leaf_node.clone())?;
                if at == self.epoch.own_leaf {
                    own_update = r.reference;
                }
                updated.push(at);
            }
        }
        let mut removed = Vec::new();
        let mut removed_credentials = Vec::new();
        for r in list {
            if let Proposal::Remove(rm) = &r.proposal {
                let at = LeafIndex(rm.removed);
                let leaf = tree
                    .leaf(at)
                    .ok_or(ProposalError::RemoveBlankLeaf { leaf: rm.removed })?;
                removed_credentials.push((at, leaf.content.credential.clone()));
                tree.remove_leaf(at)?;
                removed.push(at);
            }
        }
        let mut added = Vec::new();
        for r in list {
            if let Proposal::Add(a) = &r.proposal {
                let kp = &a.key_package;
                validate_key_package::<S>(kp, &params)?;
                tree.validate_new_leaf(
                    &kp.tbs.leaf_node,
                    None,
                    Some(LeafNodeSourceType::KeyPackage),
                    &params,
                )
                .map_err(|e| match e {
                    vmls_tree::TreeError::DuplicateSignatureKey { .. } => {
                        GroupError::InvalidProposal(ProposalError::DuplicateClient)
                    }
                    other => GroupError::from(other),
                })?;
                if member_count(&tree) >= self.config.max_members as usize {
                    return Err(GroupError::TooManyMembers {
                        max: self.config.max_members,
                    });
                }
                let at = tree.add_leaf(kp.tbs.leaf_node.clone())?;
                added.push((at, kp.clone()));
            }
        }
        check_members_support(&tree, &extensions)?;
        let external_init = list.iter().find_map(|r| match &r.proposal {
            Proposal::ExternalInit(e) => Some(e.kem_output.clone()),
            _ => None,
        });
        let path_required = list.is_empty() || list.iter().any(|r| r.proposal.requires_path());
        Ok(Applied {
            tree,
            extensions_changed: gce.is_some(),
            extensions,
            added,
            removed,
            updated,
            psks,
            external_init,
            reinit,
            path_required,
            own_update,
            removed_credentials,
        })
    }
}

/// A PreSharedKeyID is acceptable in a proposal (RFC 9420 section 12.1.4): `psk_nonce` is
/// `KDF.Nh` bytes, and no resumption PSK of usage `reinit` or `branch` (sections 11.2, 11.3:
/// such a proposal "MUST be considered invalid" outside a reinitialization or branch; the one
/// place they belong, the first Commit of the new group, is built by `reinit.rs` without this
/// check).
pub(crate) fn check_psk_id(id: &PreSharedKeyId) -> Result<(), GroupError> {
    if id.psk_nonce.len() != NH {
        return Err(ProposalError::InvalidPskNonce.into());
    }
    if let Psk::Resumption { usage, .. } = &id.psk
        && *usage != ResumptionPskUsage::Application
    {
        return Err(ProposalError::InvalidPskUsage.into());
    }
    if let Psk::Application { .. } = &id.psk {
        return Err(ProposalError::InvalidPskUsage.into());
    }
    Ok(())
}
