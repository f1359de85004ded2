//! Creating a group linked to this one by a resumption PSK: the successor of a reinitialized
//! group (RFC 9420 section 11.2) and a subgroup branched from the current epoch (section 11.3).
//! The joiner's side is in `staged_welcome.rs`.
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_crypto::{CipherSuite, Secret, SignatureKeyPair};
use vmls_keyschedule::{MLS10, PreSharedKeyId, Psk, ResumptionPskUsage};
use vmls_tree::{Credential, Extension};

use super::create_commit::{CommitOptions, CommitOutput};
use super::error::{GroupError, LinkError};
use super::key_package::KeyPackageParams;
use super::{Group, GroupConfig, GroupStatus};
use crate::key_package::KeyPackage;
use crate::proposals::{Add, Proposal};

/// What the first Commit of a linked group is made of.
struct LinkedGroup<'a> {
    group_id: &'a [u8],
    extensions: Vec<Extension>,
    /// The resumption PSK that links the new group to the old one, and its value.
    psk: PreSharedKeyId,
    psk_value: Secret,
}

/// Whether `credential` is among `credentials` (how members of two groups are matched: RFC 9420
/// sections 11.2 and 11.3 leave it to the application; this engine compares credentials,
/// docs/spec-decisions.md).
pub(crate) fn same_client(credentials: &[&Credential], credential: &Credential) -> bool {
    credentials.contains(&credential)
}

impl<S: CipherSuite> Group<S> {
    /// Creates the successor of a reinitialized group (RFC 9420 section 11.2, step 3): `self`
    /// is the old group, whose last Commit carried a ReInit ([`GroupStatus::ReInitialized`]).
    ///
    /// The new group has the ReInit's `group_id`, `version`, `cipher_suite` and `extensions`.
    /// Its creator's leaf is made from `params` and `signer` (as in [`Group::create`]); its
    /// first Commit adds the clients of `key_packages` and carries a PreSharedKey proposal for
    /// the `resumption_psk` of the old group's current epoch (the epoch the ReInit Commit
    /// created, section 12.4.1) with usage `reinit` and a fresh `psk_nonce` from `rng`. Every
    /// member of the old group must be in the new one and the new one has no other members
    /// (sections 11.2 and 12.4.1: "the same members"): members match when their credentials
    /// are equal, the creator's is the one in `params`.
    ///
    /// Returns the new group, already at epoch 1 (its first Commit needs no Delivery Service:
    /// the creator was its only member), and the Commit's output, whose `welcome` goes to the
    /// added members; they join with [`Group::stage_reinit_welcome`]. The old group is not
    /// changed: it stays reinitialized and can still decrypt late application messages.
    ///
    /// Errors: [`LinkError::NotReInitialized`]; [`LinkError::VersionMismatch`] or
    /// [`LinkError::CipherSuiteMismatch`] if the ReInit names a version or suite this build does
    /// not implement; [`LinkError::MissingOldMember`]; [`LinkError::NotOldMember`] (the leaf
    /// the client would get: 0 for the creator, then the KeyPackages in order); and every error of [`Group::create`] and
    /// [`Group::commit`] (e.g. an invalid KeyPackage).
    pub fn reinit_successor<R: CryptoRng + ?Sized>(
        &self,
        params: &KeyPackageParams,
        signer: &SignatureKeyPair,
        key_packages: Vec<KeyPackage>,
        config: GroupConfig,
        rng: &mut R,
    ) -> Result<(Group<S>, CommitOutput), GroupError> {
        let GroupStatus::ReInitialized(reinit) = &self.status else {
            return Err(LinkError::NotReInitialized.into());
        };
        if reinit.version.0 != MLS10 {
            return Err(LinkError::VersionMismatch {
                expected: reinit.version.0,
                got: MLS10,
            }
            .into());
        }
        if reinit.cipher_suite != S::ID {
            return Err(LinkError::CipherSuiteMismatch {
                expected: reinit.cipher_suite,
                got: S::ID,
            }
            .into());
        }
        let credentials: Vec<&Credential> = core::iter::once(&params.credential)
            .chain(
                key_packages
                    .iter()
                    .map(|kp| &kp.tbs.leaf_node.content.credential),
            )
            .collect();
        for (leaf, member) in self.members() {
            if !same_client(&credentials, &member.content.credential) {
                return Err(LinkError::MissingOldMember { leaf }.into());
            }
        }
        let old: Vec<&Credential> = self.members().map(|(_, l)| &l.content.credential).collect();
        for (leaf, credential) in (0u32..).zip(credentials) {
            if !same_client(&old, credential) {
                return Err(LinkError::NotOldMember { leaf }.into());
            }
        }
        let psk = PreSharedKeyId::new(
            Psk::Resumption {
                usage: ResumptionPskUsage::Reinit,
                psk_group_id: self.epoch.context.group_id.clone(),
                psk_epoch: self.epoch(),
            },
            rng,
        );
        let spec = LinkedGroup {
            group_id: &reinit.group_id,
            extensions: reinit.extensions.clone(),
            psk,
            psk_value: self.epoch.secrets.resumption_psk.clone(),
        };
        create_linked(spec, params, signer, key_packages, config, rng)
    }

    /// Branches a subgroup from the current epoch (RFC 9420 section 11.3): a new group
    /// `group_id` with this group's version, cipher suite and GroupContext extensions ("the
    /// same parameters as the old group"), whose creator's leaf is made from `params` and
    /// `signer`, and whose first Commit adds the clients of `key_packages` (fresh KeyPackages of
    /// members of this group) and carries a PreSharedKey proposal for this epoch's
    /// `resumption_psk` with usage `branch` and a fresh `psk_nonce` from `rng`.
    ///
    /// Every member of the subgroup must match a member of this group (section 11.3): the
    /// creator's credential (in `params`) and each KeyPackage's credential must be some
    /// member's here. Returns the subgroup, already at epoch 1, and the Commit's output, whose
    /// `welcome` goes to the added members; they join with [`Group::stage_branch_welcome`].
    /// This group is not changed.
    ///
    /// Errors: [`GroupError::Inactive`] if this member was removed or the group was
    /// reinitialized; [`LinkError::SameGroupId`]; [`LinkError::NotParentMember`] (the leaf the
    /// client would get in the subgroup: 0 for the creator, then the KeyPackages in order); and
    /// every error of [`Group::create`] and [`Group::commit`].
    pub fn branch<R: CryptoRng + ?Sized>(
        &self,
        group_id: &[u8],
        params: &KeyPackageParams,
        signer: &SignatureKeyPair,
        key_packages: Vec<KeyPackage>,
        config: GroupConfig,
        rng: &mut R,
    ) -> Result<(Group<S>, CommitOutput), GroupError> {
        self.require_active()?;
        if group_id == self.group_id() {
            return Err(LinkError::SameGroupId.into());
        }
        let parent: Vec<&Credential> = self.members().map(|(_, l)| &l.content.credential).collect();
        let new_members = core::iter::once(&params.credential).chain(
            key_packages
                .iter()
                .map(|kp| &kp.tbs.leaf_node.content.credential),
        );
        for (leaf, credential) in (0u32..).zip(new_members) {
            if !same_client(&parent, credential) {
                return Err(LinkError::NotParentMember { leaf }.into());
            }
        }
        let psk = PreSharedKeyId::new(
            Psk::Resumption {
                usage: ResumptionPskUsage::Branch,
                psk_group_id: self.epoch.context.group_id.clone(),
                psk_epoch: self.epoch(),
            },
            rng,
        );
        let spec = LinkedGroup {
            group_id,
            extensions: self.epoch.context.extensions.clone(),
            psk,
            psk_value: self.epoch.secrets.resumption_psk.clone(),
        };
        create_linked(spec, params, signer, key_packages, config, rng)
    }
}

/// Creates the new group at epoch 0, commits the Adds and the linking PSK, and merges: the
/// creator is the only member of epoch 0, so nobody else processes that Commit (the joiners
/// start from the Welcome). The linking PSK's value is in the new group's store only while
/// the Commit is computed.
fn create_linked<S: CipherSuite, R: CryptoRng + ?Sized>(
    spec: LinkedGroup<'_>,
    params: &KeyPackageParams,
    signer: &SignatureKeyPair,
    key_packages: Vec<KeyPackage>,
    config: GroupConfig,
    rng: &mut R,
) -> Result<(Group<S>, CommitOutput), GroupError> {
    let mut group =
        Group::<S>::create(spec.group_id, params, signer, spec.extensions, config, rng)?;
    let Psk::Resumption {
        psk_group_id,
        psk_epoch,
        ..
    } = &spec.psk.psk
    else {
        return Err(GroupError::InvalidState);
    };
    group
        .psks
        .insert_resumption(psk_group_id, *psk_epoch, spec.psk_value);
    let options = CommitOptions {
        proposals: key_packages
            .into_iter()
            .map(|key_package| Proposal::Add(Add { key_package }))
            .collect(),
        include_pending: false,
        force_path: true,
        ratchet_tree_in_welcome: true,
        group_info: false,
        authenticated_data: Vec::new(),
        new_signature_key: None,
    };
    let out = group.commit_with_link(&options, Some(&spec.psk), rng)?;
    group.psks.remove_resumption(psk_group_id, *psk_epoch);
    group.merge_pending_commit()?;
    Ok((group, out))
}
