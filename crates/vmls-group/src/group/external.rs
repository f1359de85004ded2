//! Joining by external Commit (RFC 9420 sections 8.3, 12.4.3.2; rejoining after state loss,
//! RFC 9750 section 6.6).
use alloc::boxed::Box;
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode, OpaqueArray, VLBytes};
use vmls_crypto::{CipherSuite, Secret, SignatureKeyPair, generate_hpke_key_pair};
use vmls_keyschedule::{GroupContext, PreSharedKeyId, interim_transcript_hash};
use vmls_secret_tree::SecretTree;
use vmls_tree::{
    LeafIndex, LeafNode, LeafNodeContent, LeafNodeSource, RatchetTree, TreePrivateKeys,
};

use super::apply_commit::{EXTERNAL_INIT_LABEL, next_epoch_state};
use super::error::GroupError;
use super::join::verify_group_info;
use super::key_package::KeyPackageParams;
use super::proposals::{Applied, Committer, Resolved};
use super::{EpochState, Group, GroupConfig, GroupStatus, PskStore, encode_context};
use crate::commit::Commit;
use crate::extensions::{ExternalPub, find};
use crate::framing::{
    AuthenticatedContent, Content, FramedContent, MLSMessage, MLSMessageBody, PublicMessage,
    Sender, WireFormat,
};
use crate::group_info::GroupInfo;
use crate::labeled::PreparedSigner;
use crate::proposals::{ExternalInit, PreSharedKey, Proposal, ProposalOrRef, Remove};

/// Options of an external join.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternalJoinOptions {
    /// Remove this leaf in the same Commit: a "resync" of a member that lost its state
    /// (RFC 9420 section 12.4.3.2, RFC 9750 section 6.6). The removed leaf must have the
    /// joiner's credential.
    pub resync_leaf: Option<u32>,
    /// PSKs to inject (their values must be in the PSK store given to the join).
    pub psks: Vec<PreSharedKeyId>,
    /// `FramedContent.authenticated_data` of the Commit.
    pub authenticated_data: Vec<u8>,
}

impl<S: CipherSuite> Group<S> {
    /// Joins a group by external Commit (RFC 9420 section 12.4.3.2) from an encoded
    /// `MLSMessage(GroupInfo)` with an `external_pub` extension: verifies the GroupInfo and the
    /// tree as a joiner must, derives the init secret with HPKE to `external_pub`
    /// (section 8.3), places this client at the leftmost free leaf with a fresh UpdatePath, and
    /// signs the Commit as `new_member_commit`. Returns the group at the new epoch and the
    /// encoded Commit (a PublicMessage) to send; if the Delivery Service rejects it, drop the
    /// returned group.
    #[allow(clippy::too_many_arguments)]
    pub fn join_by_external_commit<R: CryptoRng + ?Sized>(
        group_info: &[u8],
        ratchet_tree: Option<&[u8]>,
        params: &KeyPackageParams,
        signer: &SignatureKeyPair,
        options: &ExternalJoinOptions,
        psks: PskStore,
        config: GroupConfig,
        rng: &mut R,
    ) -> Result<(Self, Vec<u8>), GroupError> {
        super::check_size(&config, group_info.len())?;
        let MLSMessageBody::GroupInfo(gi) = MLSMessage::decode_exact(group_info)?.body else {
            return Err(GroupError::UnexpectedWireFormat(
                WireFormat::GroupInfo.value(),
            ));
        };
        let tree = match ratchet_tree {
            Some(b) => Some(RatchetTree::from_bytes(b, config.max_tree_leaves())?),
            None => None,
        };
        Self::external_join(&gi, tree, params, signer, options, psks, config, rng)
    }

    #[allow(clippy::too_many_arguments)]
    fn external_join<R: CryptoRng + ?Sized>(
        gi: &GroupInfo,
        ratchet_tree: Option<RatchetTree>,
        params: &KeyPackageParams,
        signer: &SignatureKeyPair,
        options: &ExternalJoinOptions,
        psks: PskStore,
        config: GroupConfig,
        rng: &mut R,
    ) -> Result<(Self, Vec<u8>), GroupError> {
        let capabilities = params.capabilities(S::ID);
        let tree = verify_group_info::<S>(gi, ratchet_tree, &capabilities, &config)?;
        let external_pub =
            find::<ExternalPub>(&gi.tbs.extensions)?.ok_or(GroupError::MissingExternalPub)?;
        let old_ctx = gi.tbs.group_context.clone();
        let (kem_output, init_secret) = vmls_crypto::export_sender::<S, R>(
            &external_pub.external_pub.0,
            &[],
            EXTERNAL_INIT_LABEL,
            rng,
        )?;

        // A provisional "group" at the GroupInfo's epoch, used for proposal validation only: it
        // has no secrets of the epoch.
        let mut proposals = Vec::new();
        proposals.push(Proposal::ExternalInit(ExternalInit {
            kem_output: VLBytes::from(kem_output),
        }));
        if let Some(leaf) = options.resync_leaf {
            proposals.push(Proposal::Remove(Remove { removed: leaf }));
        }
        for id in &options.psks {
            proposals.push(Proposal::PreSharedKey(PreSharedKey { psk: id.clone() }));
        }
        let list: Vec<Resolved> = proposals
            .iter()
            .map(|p| Resolved {
                proposal: p.clone(),
                sender: Sender::NewMemberCommit,
                reference: None,
            })
            .collect();
        let shell = Self::validation_shell(&old_ctx, tree, signer, &psks, config)?;
        let applied: Applied =
            shell.apply_proposals(&list, Committer::External, shell.config.own_lifetime_now())?;
        for (_, cred) in &applied.removed_credentials {
            if *cred != params.credential {
                return Err(super::ProposalError::ResyncCredentialMismatch.into());
            }
        }
        let mut tree = applied.tree.clone();
        let own = tree.leftmost_free_leaf()?;
        if tree.members().count() >= config.max_members as usize {
            return Err(GroupError::TooManyMembers {
                max: config.max_members,
            });
        }
        let placeholder = generate_hpke_key_pair(rng)?;
        let content = LeafNodeContent {
            encryption_key: OpaqueArray(placeholder.public),
            signature_key: OpaqueArray(signer.public),
            credential: params.credential.clone(),
            capabilities: capabilities.into(),
            leaf_node_source: LeafNodeSource::Commit(Default::default()),
            extensions: params.leaf_extensions.clone(),
        };
        let (secrets, tree_keys) =
            tree.apply_own_update_path(own, content, &signer.private, &old_ctx.group_id, rng)?;
        let base = GroupContext {
            version: old_ctx.version,
            cipher_suite: old_ctx.cipher_suite,
            group_id: old_ctx.group_id.clone(),
            epoch: old_ctx
                .epoch
                .checked_add(1)
                .ok_or(GroupError::InvalidState)?,
            tree_hash: VLBytes::default(),
            confirmed_transcript_hash: old_ctx.confirmed_transcript_hash.clone(),
            extensions: applied.extensions.clone(),
        };
        let mut provisional = base.clone();
        provisional.tree_hash = tree.tree_hash()?.to_vec().into();
        let path =
            tree.encrypt_update_path::<S, R>(&secrets, &provisional.to_bytes()?, &[], rng)?;
        // The joiner's own leaf must be valid in the new tree.
        let leaf: &LeafNode = tree.leaf(own).ok_or(GroupError::InvalidState)?;
        leaf.verify(Some(vmls_tree::LeafSigningContext {
            group_id: &old_ctx.group_id,
            leaf_index: own,
        }))?;
        let commit = Commit {
            proposals: proposals
                .into_iter()
                .map(|p| ProposalOrRef::Proposal(Box::new(p)))
                .collect(),
            path: Some(path),
        };
        let content = FramedContent {
            group_id: old_ctx.group_id.clone(),
            epoch: old_ctx.epoch,
            sender: Sender::NewMemberCommit,
            authenticated_data: VLBytes::from(options.authenticated_data.as_slice()),
            content: Content::Commit(commit),
        };
        let mut auth = AuthenticatedContent::sign(
            WireFormat::PublicMessage,
            content,
            &signer.private,
            Some(&old_ctx),
        )?;
        let interim_prev = interim_transcript_hash(
            &old_ctx.confirmed_transcript_hash,
            gi.tbs.confirmation_tag.as_slice(),
        )?;
        let (next, _) = next_epoch_state::<S>(
            &config,
            &psks,
            &interim_prev,
            &mut auth,
            &applied,
            base,
            tree,
            own,
            tree_keys,
            &init_secret,
            secrets.commit_secret(),
        )?;
        let pm = PublicMessage::protect(auth, &old_ctx, None)?;
        let message = MLSMessage::new(MLSMessageBody::PublicMessage(pm)).to_bytes()?;
        super::check_size(&config, message.len())?;
        let mut group = Self {
            config,
            epoch: next,
            signer: signer.private.clone(),
            prepared_signer: PreparedSigner::new(&signer.private),
            proposals: Vec::new(),
            past_epochs: Vec::new(),
            psks,
            pending_commit: None,
            status: GroupStatus::Active,
        };
        group.record_resumption_psk();
        Ok((group, message))
    }

    /// A group value at the GroupInfo's epoch with placeholder secrets, only used to run the
    /// proposal-list rules for an external Commit.
    fn validation_shell(
        ctx: &GroupContext,
        tree: RatchetTree,
        signer: &SignatureKeyPair,
        psks: &PskStore,
        config: GroupConfig,
    ) -> Result<Self, GroupError> {
        let placeholder = Secret::zero();
        let (_, mut secrets) = vmls_keyschedule::EpochSecrets::from_epoch_secret(&placeholder)?;
        let cbam = super::cbam::CbamEpoch::derive(&mut secrets, config.cbst())?;
        let n = tree.n_leaves();
        Ok(Self {
            config,
            epoch: EpochState {
                encoded_context: encode_context(ctx)?,
                context: ctx.clone(),
                tree_keys: TreePrivateKeys::new(
                    LeafIndex(u32::MAX),
                    vmls_crypto::HpkePrivateKey::from_slice(&[0u8; 32])?,
                ),
                tree,
                own_leaf: LeafIndex(u32::MAX),
                secrets,
                secret_tree: SecretTree::with_config(Secret::zero(), n, config.secret_tree())?,
                interim_transcript_hash: [0; 32],
                confirmation_tag: [0; 32],
                cbam,
            },
            signer: signer.private.clone(),
            prepared_signer: PreparedSigner::new(&signer.private),
            proposals: Vec::new(),
            past_epochs: Vec::new(),
            psks: psks.clone(),
            pending_commit: None,
            status: GroupStatus::Active,
        })
    }
}

impl<S: CipherSuite> Group<S> {
    /// Decodes an `MLSMessage(GroupInfo)` (to inspect it before an external join).
    pub fn decode_group_info(bytes: &[u8]) -> Result<GroupInfo, GroupError> {
        match MLSMessage::decode_exact(bytes)?.body {
            MLSMessageBody::GroupInfo(gi) => Ok(gi),
            other => Err(GroupError::UnexpectedWireFormat(
                other.wire_format().value(),
            )),
        }
    }
}
