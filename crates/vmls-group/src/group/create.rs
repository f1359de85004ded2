//! Group creation (RFC 9420 section 11).
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{OpaqueArray, VLBytes};
use vmls_crypto::{CipherSuite, Secret, SignatureKeyPair, generate_hpke_key_pair};
use vmls_keyschedule::{EpochSecrets, GroupContext, MLS10, interim_transcript_hash};
use vmls_secret_tree::SecretTree;
use vmls_tree::{
    Extension, LeafIndex, LeafNode, LeafNodeContent, LeafNodeSource, RatchetTree, TreePrivateKeys,
};

use super::error::GroupError;
use super::key_package::KeyPackageParams;
use super::proposals::{check_group_context_extensions, required_capabilities};
use super::{EpochState, Group, GroupConfig, GroupStatus, PskStore, encode_context};
use crate::labeled::PreparedSigner;

impl<S: CipherSuite> Group<S> {
    /// Creates a one-member group (RFC 9420 section 11) at epoch 0: the creator's leaf (a fresh
    /// encryption key from `rng`, the credential and capabilities of `params`, signed with
    /// `signer`), the GroupContext with `extensions`, a random `epoch_secret` from `rng`, the
    /// confirmation tag over the empty confirmed transcript hash and the interim transcript
    /// hash.
    pub fn create<R: CryptoRng + ?Sized>(
        group_id: &[u8],
        params: &KeyPackageParams,
        signer: &SignatureKeyPair,
        extensions: Vec<Extension>,
        config: GroupConfig,
        rng: &mut R,
    ) -> Result<Self, GroupError> {
        check_group_context_extensions(&extensions)?;
        let leaf_keys = generate_hpke_key_pair(rng)?;
        let capabilities = params.capabilities(S::ID);
        for e in &extensions {
            if !vmls_tree::extension::is_default_extension(e.extension_type)
                && !capabilities.extensions.contains(&e.extension_type)
            {
                return Err(GroupError::UnsupportedGroupContextExtension(
                    e.extension_type,
                ));
            }
        }
        let content = LeafNodeContent {
            encryption_key: OpaqueArray(leaf_keys.public),
            signature_key: OpaqueArray(signer.public),
            credential: params.credential.clone(),
            capabilities: capabilities.into(),
            leaf_node_source: LeafNodeSource::KeyPackage(params.lifetime),
            extensions: params.leaf_extensions.clone(),
        };
        let leaf = LeafNode::sign(content, &signer.private, None)?;
        let req = required_capabilities(&extensions)?;
        leaf.validate(
            None,
            Some(LeafIndex(0)),
            &vmls_tree::LeafValidationParams {
                group_id,
                required_capabilities: req.as_ref(),
                now: config.current_time,
                max_lifetime: config.max_lifetime,
            },
        )?;
        let tree = RatchetTree::new(leaf)?;
        let context = GroupContext {
            version: MLS10,
            cipher_suite: S::ID,
            group_id: VLBytes::from(group_id),
            epoch: 0,
            tree_hash: tree.tree_hash()?.to_vec().into(),
            confirmed_transcript_hash: VLBytes::default(),
            extensions,
        };
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        let epoch_secret = Secret::from_bytes(*seed);
        let (encryption_secret, mut secrets) = EpochSecrets::from_epoch_secret(&epoch_secret)?;
        let cbam = super::cbam::CbamEpoch::derive(&mut secrets, config.cbst())?;
        let confirmation_tag = secrets.confirmation_tag(&[]);
        let interim = interim_transcript_hash(&[], &confirmation_tag)?;
        let secret_tree =
            SecretTree::with_config(encryption_secret, tree.n_leaves(), config.secret_tree())?;
        let own = LeafIndex(0);
        let mut group = Self {
            config,
            epoch: EpochState {
                encoded_context: encode_context(&context)?,
                context,
                tree,
                own_leaf: own,
                tree_keys: TreePrivateKeys::new(own, leaf_keys.private),
                secrets,
                secret_tree,
                interim_transcript_hash: interim,
                confirmation_tag,
                cbam,
            },
            signer: signer.private.clone(),
            prepared_signer: PreparedSigner::new(&signer.private),
            proposals: Vec::new(),
            past_epochs: Vec::new(),
            psks: PskStore::new(),
            pending_commit: None,
            status: GroupStatus::Active,
        };
        group.record_resumption_psk();
        Ok(group)
    }
}
