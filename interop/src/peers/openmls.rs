//! OpenMLS 0.9 (with openmls_rust_crypto and openmls_basic_credential) behind the adapter trait.
use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::*;
use openmls::schedule::PreSharedKeyId;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;

use crate::party::{CommitRequest, CommitResult, Party, PartyConfig, Received, Res};

const SUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519;

fn err<E: core::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// An OpenMLS client.
pub struct OpenMlsParty {
    config: PartyConfig,
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
    credential: CredentialWithKey,
    group: Option<MlsGroup>,
}

impl OpenMlsParty {
    /// A new client named `identity`.
    pub fn new(identity: &[u8], config: &PartyConfig) -> Res<Self> {
        let provider = OpenMlsRustCrypto::default();
        let signer = SignatureKeyPair::new(SUITE.signature_algorithm()).map_err(err)?;
        signer.store(provider.storage()).map_err(err)?;
        let credential = CredentialWithKey {
            credential: BasicCredential::new(identity.to_vec()).into(),
            signature_key: signer.public().into(),
        };
        Ok(Self {
            config: config.clone(),
            provider,
            signer,
            credential,
            group: None,
        })
    }

    fn capabilities(&self) -> Capabilities {
        let ext: Vec<ExtensionType> = self
            .config
            .extension_types
            .iter()
            .map(|&t| ExtensionType::from(t))
            .collect();
        Capabilities::new(None, Some(&[SUITE]), Some(&ext), None, None)
    }

    fn wire_format_policy(&self) -> WireFormatPolicy {
        if self.config.handshake_private {
            MIXED_CIPHERTEXT_WIRE_FORMAT_POLICY
        } else {
            MIXED_PLAINTEXT_WIRE_FORMAT_POLICY
        }
    }

    fn padding(&self) -> usize {
        if self.config.padding { 32 } else { 0 }
    }

    fn join_config(&self) -> MlsGroupJoinConfig {
        MlsGroupJoinConfig::builder()
            .wire_format_policy(self.wire_format_policy())
            .padding_size(self.padding())
            .use_ratchet_tree_extension(true)
            .build()
    }

    fn g(&self) -> Res<&MlsGroup> {
        self.group.as_ref().ok_or_else(|| "no group".to_string())
    }

    fn decode(bytes: &[u8]) -> Res<MlsMessageBodyIn> {
        Ok(MlsMessageIn::tls_deserialize_exact(bytes)
            .map_err(err)?
            .extract())
    }

    fn key_package_in(&self, bytes: &[u8]) -> Res<KeyPackage> {
        match Self::decode(bytes)? {
            MlsMessageBodyIn::KeyPackage(kp) => kp
                .validate(self.provider.crypto(), ProtocolVersion::Mls10)
                .map_err(err),
            _ => Err("not a KeyPackage".into()),
        }
    }

    fn out(m: MlsMessageOut) -> Res<Vec<u8>> {
        m.tls_serialize_detached().map_err(err)
    }
}

impl Party for OpenMlsParty {
    fn kind(&self) -> &'static str {
        "openmls"
    }

    fn key_package(&mut self) -> Res<Vec<u8>> {
        let bundle = KeyPackage::builder()
            .leaf_node_capabilities(self.capabilities())
            .build(SUITE, &self.provider, &self.signer, self.credential.clone())
            .map_err(err)?;
        Self::out(MlsMessageOut::from(bundle.key_package().clone()))
    }

    fn create_group(&mut self, group_id: &[u8]) -> Res<()> {
        let g = MlsGroup::builder()
            .with_group_id(GroupId::from_slice(group_id))
            .ciphersuite(SUITE)
            .with_capabilities(self.capabilities())
            .with_wire_format_policy(self.wire_format_policy())
            .padding_size(self.padding())
            .use_ratchet_tree_extension(true)
            .build(&self.provider, &self.signer, self.credential.clone())
            .map_err(err)?;
        self.group = Some(g);
        Ok(())
    }

    fn join_welcome(&mut self, welcome: &[u8], tree: Option<&[u8]>) -> Res<()> {
        let MlsMessageBodyIn::Welcome(w) = Self::decode(welcome)? else {
            return Err("not a Welcome".into());
        };
        let tree = match tree {
            Some(t) => Some(RatchetTreeIn::tls_deserialize_exact(t).map_err(err)?),
            None => None,
        };
        let g = StagedWelcome::new_from_welcome(&self.provider, &self.join_config(), w, tree)
            .map_err(err)?
            .into_group(&self.provider)
            .map_err(err)?;
        self.group = Some(g);
        Ok(())
    }

    fn join_external(&mut self, group_info: &[u8], _resync_leaf: Option<u32>) -> Res<Vec<u8>> {
        // OpenMLS removes the member with this client's signature key by itself (resync).
        let MlsMessageBodyIn::GroupInfo(gi) = Self::decode(group_info)? else {
            return Err("not a GroupInfo".into());
        };
        let (g, bundle) = MlsGroup::external_commit_builder()
            .with_config(self.join_config())
            .build_group(&self.provider, gi, self.credential.clone())
            .map_err(err)?
            .leaf_node_parameters(
                LeafNodeParameters::builder()
                    .with_capabilities(self.capabilities())
                    .build(),
            )
            .load_psks(self.provider.storage())
            .map_err(err)?
            .build(
                self.provider.rand(),
                self.provider.crypto(),
                &self.signer,
                |_| true,
            )
            .map_err(err)?
            .finalize(&self.provider)
            .map_err(err)?;
        self.group = Some(g);
        Self::out(bundle.into_commit())
    }

    fn forget_group(&mut self) {
        // A client that lost its state: new storage, same signature key.
        self.group = None;
        self.provider = OpenMlsRustCrypto::default();
        let _ = self.signer.store(self.provider.storage());
    }

    fn group_info(&mut self) -> Res<Vec<u8>> {
        let m = self
            .g()?
            .export_group_info(self.provider.crypto(), &self.signer, true)
            .map_err(err)?;
        Self::out(m)
    }

    fn ratchet_tree(&self) -> Res<Vec<u8>> {
        self.g()?
            .export_ratchet_tree()
            .tls_serialize_detached()
            .map_err(err)
    }

    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult> {
        let mut kps = Vec::new();
        for kp in &req.adds {
            kps.push(self.key_package_in(kp)?);
        }
        let mut extra = Vec::new();
        for id in &req.external_psks {
            let nonce = self.provider.rand().random_vec(32).map_err(err)?;
            let psk = PreSharedKeyId::external(id.clone(), nonce);
            extra.push(Proposal::PreSharedKey(Box::new(PreSharedKeyProposal::new(
                psk,
            ))));
        }
        let provider = &self.provider;
        let signer = &self.signer;
        let g = self.group.as_mut().ok_or("no group")?;
        let mut b = g
            .commit_builder()
            .consume_proposal_store(req.by_reference)
            .force_self_update(true)
            .propose_adds(kps)
            .propose_removals(req.removes.iter().map(|&l| LeafNodeIndex::new(l)))
            .add_proposals(extra);
        if let Some(types) = &req.required_extensions {
            let types: Vec<ExtensionType> = types.iter().map(|&t| ExtensionType::from(t)).collect();
            let ext = Extension::RequiredCapabilities(RequiredCapabilitiesExtension::new(
                &types,
                &[],
                &[],
            ));
            b = b
                .propose_group_context_extensions(Extensions::single(ext).map_err(err)?)
                .map_err(err)?;
        }
        let bundle = b
            .load_psks(provider.storage())
            .map_err(err)?
            .use_ratchet_tree_extension(req.tree_in_welcome)
            .build(provider.rand(), provider.crypto(), signer, |_| true)
            .map_err(err)?
            .stage_commit(provider)
            .map_err(err)?;
        let (commit, welcome, _) = bundle.into_messages();
        Ok(CommitResult {
            commit: Self::out(commit)?,
            welcome: welcome.map(Self::out).transpose()?,
        })
    }

    fn merge_pending_commit(&mut self) -> Res<()> {
        let provider = &self.provider;
        let g = self.group.as_mut().ok_or("no group")?;
        g.merge_pending_commit(provider).map_err(err)
    }

    fn propose_add(&mut self, key_package: &[u8]) -> Res<Vec<u8>> {
        let kp = self.key_package_in(key_package)?;
        let (provider, signer) = (&self.provider, &self.signer);
        let g = self.group.as_mut().ok_or("no group")?;
        let (m, _) = g.propose_add_member(provider, signer, &kp).map_err(err)?;
        Self::out(m)
    }

    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>> {
        let (provider, signer) = (&self.provider, &self.signer);
        let g = self.group.as_mut().ok_or("no group")?;
        let (m, _) = g
            .propose_remove_member(provider, signer, LeafNodeIndex::new(leaf))
            .map_err(err)?;
        Self::out(m)
    }

    fn propose_update(&mut self) -> Res<Vec<u8>> {
        let (provider, signer) = (&self.provider, &self.signer);
        let g = self.group.as_mut().ok_or("no group")?;
        let (m, _) = g
            .propose_self_update(provider, signer, LeafNodeParameters::default())
            .map_err(err)?;
        Self::out(m)
    }

    fn process(&mut self, message: &[u8]) -> Res<Received> {
        let pm = MlsMessageIn::tls_deserialize_exact(message)
            .map_err(err)?
            .try_into_protocol_message()
            .map_err(err)?;
        let provider = &self.provider;
        let g = self.group.as_mut().ok_or("no group")?;
        let processed = g.process_message(provider, pm).map_err(err)?;
        match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(a) => {
                Ok(Received::Application(a.into_bytes()))
            }
            ProcessedMessageContent::ProposalMessage(p) => {
                g.store_pending_proposal(provider.storage(), *p)
                    .map_err(err)?;
                Ok(Received::Proposal)
            }
            ProcessedMessageContent::StagedCommitMessage(staged) => {
                let self_removed = staged.self_removed();
                g.merge_staged_commit(provider, *staged).map_err(err)?;
                Ok(Received::Commit { self_removed })
            }
            other => Err(format!("unexpected content {other:?}")),
        }
    }

    fn send_application(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        let (provider, signer) = (&self.provider, &self.signer);
        let g = self.group.as_mut().ok_or("no group")?;
        let m = g.create_message(provider, signer, data).map_err(err)?;
        Self::out(m)
    }

    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>> {
        self.g()?
            .export_secret(self.provider.crypto(), label, context, len)
            .map_err(err)
    }

    fn epoch_authenticator(&self) -> Res<Vec<u8>> {
        Ok(self.g()?.epoch_authenticator().as_slice().to_vec())
    }

    fn epoch(&self) -> Res<u64> {
        Ok(self.g()?.epoch().as_u64())
    }

    fn own_leaf(&self) -> Res<u32> {
        Ok(self.g()?.own_leaf_index().u32())
    }

    fn member_count(&self) -> Res<usize> {
        Ok(self.g()?.members().count())
    }

    fn add_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Res<()> {
        PreSharedKeyId::external(id.to_vec(), vec![0; 32])
            .store(&self.provider, secret)
            .map_err(err)
    }
}
