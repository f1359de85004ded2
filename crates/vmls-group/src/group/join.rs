//! Joining a group from a Welcome (RFC 9420 section 12.4.3.1).
use alloc::vec::Vec;
use vmls_crypto::CipherSuite;
use vmls_keyschedule::{
    GroupContext, MLS10, NewEpoch, PreSharedKeyId, Psk, ResumptionPskUsage, interim_transcript_hash,
};
use vmls_secret_tree::SecretTree;
use vmls_tree::{LeafIndex, LeafNode, LeafValidationParams, RatchetTree, TreePrivateKeys};

use super::apply_commit::psk_secret_from_store;
use super::error::GroupError;
use super::key_package::KeyPackagePrivate;
use super::proposals::{check_group_context_extensions, required_capabilities};
use super::staged_welcome::{Link, StagedWelcome};
use super::{EpochState, Group, GroupConfig, GroupStatus, PskStore, encode_context};
use crate::extensions::{RatchetTreeExtension, find};
use crate::group_info::GroupInfo;
use crate::key_package::KeyPackage;
use crate::labeled::PreparedSigner;
use crate::welcome::Welcome;

/// Checks a GroupInfo and the ratchet tree it describes as a joiner must (RFC 9420 sections
/// 12.4.3.1 and 12.4.3.2): suite and version, the tree (from `ratchet_tree` or the `ratchet_tree`
/// extension) with its hash, every tree-validation rule, the signer's leaf and the signature,
/// and the GroupContext extensions against `own_leaf`'s capabilities. Returns the tree.
pub(crate) fn verify_group_info<S: CipherSuite>(
    group_info: &GroupInfo,
    ratchet_tree: Option<RatchetTree>,
    own_capabilities: &vmls_tree::Capabilities,
    config: &GroupConfig,
) -> Result<RatchetTree, GroupError> {
    let ctx = &group_info.tbs.group_context;
    // Section 13.4: no list of extensions repeats a type (unknown ones are ignored).
    if let Some(t) = duplicate_extension(&group_info.tbs.extensions) {
        return Err(GroupError::DuplicateGroupInfoExtension(t));
    }
    if ctx.cipher_suite != S::ID {
        return Err(GroupError::CipherSuiteMismatch {
            expected: S::ID,
            got: ctx.cipher_suite,
        });
    }
    if ctx.version != MLS10 {
        return Err(GroupError::CipherSuiteMismatch {
            expected: MLS10,
            got: ctx.version,
        });
    }
    let tree = match ratchet_tree {
        Some(t) => t,
        None => find::<RatchetTreeExtension>(&group_info.tbs.extensions)?
            .ok_or(GroupError::MissingRatchetTree)?
            .into_tree(config.max_tree_leaves())?,
    };
    if tree.tree_hash()?.as_slice() != ctx.tree_hash.as_slice() {
        return Err(GroupError::TreeHashMismatch);
    }
    let signer = tree
        .leaf(LeafIndex(group_info.tbs.signer))
        .ok_or(GroupError::SignerNotMember)?;
    group_info.verify_signature(signer.signature_key())?;
    check_group_context_extensions(&ctx.extensions)?;
    for e in &ctx.extensions {
        if !vmls_tree::extension::is_default_extension(e.extension_type)
            && !own_capabilities.extensions.contains(&e.extension_type)
        {
            return Err(GroupError::UnsupportedGroupContextExtension(
                e.extension_type,
            ));
        }
    }
    let req = required_capabilities(&ctx.extensions)?;
    tree.validate(&LeafValidationParams {
        group_id: &ctx.group_id,
        required_capabilities: req.as_ref(),
        now: config.received_lifetime_now(),
        max_lifetime: config.max_lifetime,
    })?;
    if tree.members().count() > config.max_members as usize {
        return Err(GroupError::TooManyMembers {
            max: config.max_members,
        });
    }
    Ok(tree)
}

/// An extension type that appears twice in `extensions` (sorting: n log n on any input).
fn duplicate_extension(extensions: &[vmls_tree::Extension]) -> Option<u16> {
    let mut types: Vec<u16> = extensions.iter().map(|e| e.extension_type).collect();
    vmls_codec::sort::sort_unstable(&mut types);
    types.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(*a),
        _ => None,
    })
}

/// The resumption PSKs of usage `reinit` or `branch` in a Welcome's list: at most one (other
/// PSKs may come with it), and only in a GroupInfo of epoch 1 (RFC 9420 section 12.4.3.1).
fn check_welcome_psks(psks: &[PreSharedKeyId], ctx: &GroupContext) -> Result<(), GroupError> {
    let special = psks
        .iter()
        .filter(|p| {
            matches!(
                p.psk,
                Psk::Resumption {
                    usage: ResumptionPskUsage::Reinit | ResumptionPskUsage::Branch,
                    ..
                }
            )
        })
        .count();
    if special > 1 {
        return Err(GroupError::InvalidResumptionPsk);
    }
    if special == 1 && ctx.epoch != 1 {
        return Err(GroupError::InvalidResumptionPsk);
    }
    Ok(())
}

impl<S: CipherSuite> Group<S> {
    /// Joins a group from an encoded `MLSMessage(Welcome)`; see [`Group::join_from_welcome`].
    pub fn join_from_welcome_bytes(
        welcome: &[u8],
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<&[u8]>,
        psks: PskStore,
        config: GroupConfig,
    ) -> Result<Self, GroupError> {
        Ok(
            Self::stage_welcome_bytes(welcome, key_package, private, ratchet_tree, psks, config)?
                .accept(),
        )
    }

    /// Joins a group from a Welcome (RFC 9420 section 12.4.3.1): [`Group::stage_welcome`]
    /// accepted at once, for applications that validate the members' credentials elsewhere
    /// (or not at all).
    pub fn join_from_welcome(
        welcome: &Welcome,
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<RatchetTree>,
        psks: PskStore,
        config: GroupConfig,
    ) -> Result<Self, GroupError> {
        Ok(
            Self::stage_welcome(welcome, key_package, private, ratchet_tree, psks, config)?
                .accept(),
        )
    }

    /// Every check of a Welcome (RFC 9420 section 12.4.3.1) and the group it creates; `link`
    /// adds the cross-group checks of a resumption PSK of usage `reinit` or `branch`
    /// (sections 11.2, 11.3). See [`Group::stage_welcome`].
    pub(crate) fn stage_welcome_linked(
        welcome: &Welcome,
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<RatchetTree>,
        psks: PskStore,
        config: GroupConfig,
        link: Link<'_, S>,
    ) -> Result<StagedWelcome<S>, GroupError> {
        let leaf = &key_package.tbs.leaf_node;
        if private.init_key.public_key() != key_package.tbs.init_key.0
            || private.leaf_key.public_key() != *leaf.encryption_key()
            || private.signature_key.public_key() != *leaf.signature_key()
        {
            return Err(GroupError::PrivateKeyMismatch);
        }
        let secrets = welcome.decrypt_group_secrets::<S>(key_package, &private.init_key)?;
        let lookup = link.check_psks(&secrets.psks, &psks)?;
        let psk_secret = psk_secret_from_store(lookup.as_ref().unwrap_or(&psks), &secrets.psks)?;
        let welcome_secret = vmls_keyschedule::welcome_secret(&secrets.joiner_secret, &psk_secret)?;
        let group_info = welcome.decrypt_group_info::<S>(&welcome_secret)?;
        if group_info.tbs.group_context.cipher_suite != key_package.tbs.cipher_suite {
            return Err(GroupError::CipherSuiteMismatch {
                expected: key_package.tbs.cipher_suite,
                got: group_info.tbs.group_context.cipher_suite,
            });
        }
        let tree = verify_group_info::<S>(
            &group_info,
            ratchet_tree,
            &leaf.content.capabilities,
            &config,
        )?;
        let ctx = group_info.tbs.group_context.clone();
        check_welcome_psks(&secrets.psks, &ctx)?;
        link.check_group(&ctx, &tree)?;
        let own = find_own_leaf(&tree, leaf)?;
        let mut tree_keys = TreePrivateKeys::new(own, private.leaf_key.clone());
        if let Some(ps) = &secrets.path_secret {
            tree_keys.join_with_path_secret(
                &tree,
                LeafIndex(group_info.tbs.signer),
                &ps.path_secret,
            )?;
        }
        tree_keys.check_consistent(&tree)?;
        tree_keys.check_complete(&tree)?;
        let new_epoch = NewEpoch::from_joiner_secret(&secrets.joiner_secret, &psk_secret, &ctx)?;
        group_info.verify_confirmation_tag(&new_epoch.secrets.confirmation_key)?;
        let interim = interim_transcript_hash(
            &ctx.confirmed_transcript_hash,
            group_info.tbs.confirmation_tag.as_slice(),
        )?;
        let secret_tree = SecretTree::with_config(
            new_epoch.encryption_secret.clone(),
            tree.n_leaves(),
            config.secret_tree(),
        )?;
        let mut epoch_secrets = new_epoch.secrets.clone();
        let cbam = super::cbam::CbamEpoch::derive(&mut epoch_secrets, config.cbst())?;
        let mut group = Self {
            config,
            epoch: EpochState {
                encoded_context: encode_context(&ctx)?,
                context: ctx,
                tree,
                own_leaf: own,
                tree_keys,
                secrets: epoch_secrets,
                secret_tree,
                interim_transcript_hash: interim,
                confirmation_tag: group_info.tbs.confirmation_tag.0,
                cbam,
            },
            signer: private.signature_key.clone(),
            prepared_signer: PreparedSigner::new(&private.signature_key),
            proposals: Vec::new(),
            past_epochs: Vec::new(),
            psks,
            pending_commit: None,
            status: GroupStatus::Active,
        };
        group.record_resumption_psk();
        Ok(StagedWelcome::new(group, group_info, secrets.psks))
    }
}

/// The leaf of the tree identical to `leaf` (RFC 9420 section 12.4.3.1).
fn find_own_leaf(tree: &RatchetTree, leaf: &LeafNode) -> Result<LeafIndex, GroupError> {
    tree.find_leaf(leaf).ok_or(GroupError::OwnLeafNotFound)
}
