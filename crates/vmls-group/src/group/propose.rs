//! Sending proposals (RFC 9420 section 12.1) and protecting this member's handshake messages
//! (section 6).
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Encode, OpaqueArray, VLBytes};
use vmls_crypto::{CipherSuite, generate_hpke_key_pair};
use vmls_keyschedule::{PreSharedKeyId, Psk};
use vmls_secret_tree::{RatchetType, SecretTree};
use vmls_tree::{Extension, LeafNode, LeafNodeSource, LeafSigningContext};

use super::error::GroupError;
use super::proposals::required_capabilities;
use super::{CachedProposal, Group};
use crate::framing::{
    AuthenticatedContent, Content, FramedContent, MLSMessage, MLSMessageBody, PrivateMessage,
    PublicMessage, Sender, WireFormat,
};
use crate::key_package::KeyPackage;
use crate::proposals::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ProposalRef, Remove, Update,
};

impl<S: CipherSuite> Group<S> {
    /// Signs `content` and protects it for the current epoch with the configured handshake
    /// wire format. Returns the encoded message and the secret tree after the send key was
    /// taken (to install on success).
    pub(crate) fn protect_handshake<R: CryptoRng + ?Sized>(
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
            self.check_proposal_on_receipt(&proposal, &own, self.config.own_lifetime_now())?;
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
            &self.leaf_params(req.as_ref(), self.config.own_lifetime_now()),
        )?;
        self.send_proposal(
            Proposal::Update(Update { leaf_node: leaf }),
            Some(kp.private),
            &[],
            rng,
        )
    }
}
