//! mls-rs 0.57 (with mls-rs-crypto-rustcrypto) behind the adapter trait.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mls_rs::client_builder::MlsConfig;
use mls_rs::error::MlsError;
use mls_rs::extension::ExtensionType;
use mls_rs::extension::built_in::RequiredCapabilitiesExt;
use mls_rs::group::{CommitEffect, ExportedTree, GroupContext, ReceivedMessage, Roster};
use mls_rs::identity::SigningIdentity;
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::mls_rules::{
    CommitDirection, CommitOptions, CommitSource, EncryptionOptions, ProposalBundle,
};
use mls_rs::psk::{ExternalPskId, PreSharedKey};
use mls_rs::storage_provider::in_memory::InMemoryPreSharedKeyStorage;
use mls_rs::{
    CipherSuite, CipherSuiteProvider, Client, CryptoProvider, ExtensionList, Group, MlsMessage,
    MlsRules,
};
use mls_rs_crypto_rustcrypto::RustCryptoProvider;

use crate::party::{CommitRequest, CommitResult, Party, PartyConfig, Received, Res};

const SUITE: CipherSuite = CipherSuite::CURVE25519_CHACHA;

fn err<E: core::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// MlsRules with a per-commit switch for the ratchet tree in the Welcome.
#[derive(Clone, Debug)]
struct Rules {
    tree_in_welcome: Arc<AtomicBool>,
    encryption: EncryptionOptions,
}

impl MlsRules for Rules {
    type Error = MlsError;

    fn filter_proposals(
        &self,
        _direction: CommitDirection,
        _source: CommitSource,
        _roster: &Roster,
        _context: &GroupContext,
        proposals: ProposalBundle,
    ) -> Result<ProposalBundle, Self::Error> {
        Ok(proposals)
    }

    fn commit_options(
        &self,
        _roster: &Roster,
        _context: &GroupContext,
        _proposals: &ProposalBundle,
    ) -> Result<CommitOptions, Self::Error> {
        Ok(CommitOptions::new()
            .with_path_required(true)
            .with_ratchet_tree_extension(self.tree_in_welcome.load(Ordering::SeqCst))
            .with_single_welcome_message(true)
            .with_allow_external_commit(true))
    }

    fn encryption_options(
        &self,
        _roster: &Roster,
        _context: &GroupContext,
    ) -> Result<EncryptionOptions, Self::Error> {
        Ok(self.encryption)
    }
}

/// An mls-rs client.
pub struct MlsRsParty<C: MlsConfig> {
    client: Client<C>,
    tree_in_welcome: Arc<AtomicBool>,
    psks: InMemoryPreSharedKeyStorage,
    group: Option<Group<C>>,
}

/// A new mls-rs client named `identity`.
pub fn new_party(identity: &[u8], config: &PartyConfig) -> Res<Box<dyn Party>> {
    let crypto = RustCryptoProvider::default();
    let cs = crypto
        .cipher_suite_provider(SUITE)
        .ok_or("suite not supported")?;
    let (secret, public) = cs.signature_key_generate().map_err(err)?;
    let signing_identity = SigningIdentity::new(
        BasicCredential::new(identity.to_vec()).into_credential(),
        public,
    );
    let tree_in_welcome = Arc::new(AtomicBool::new(true));
    let padding = if config.padding {
        mls_rs::client_builder::PaddingMode::StepFunction
    } else {
        mls_rs::client_builder::PaddingMode::None
    };
    let rules = Rules {
        tree_in_welcome: tree_in_welcome.clone(),
        encryption: EncryptionOptions::new(config.handshake_private, padding),
    };
    let psks = InMemoryPreSharedKeyStorage::default();
    let client = Client::builder()
        .psk_store(psks.clone())
        .identity_provider(BasicIdentityProvider)
        .crypto_provider(crypto)
        .mls_rules(rules)
        .extension_types(
            config
                .extension_types
                .iter()
                .map(|&t| ExtensionType::new(t)),
        )
        .signing_identity(signing_identity, secret, SUITE)
        .build();
    Ok(Box::new(MlsRsParty {
        client,
        tree_in_welcome,
        psks,
        group: None,
    }))
}

impl<C: MlsConfig> MlsRsParty<C> {
    fn g(&self) -> Res<&Group<C>> {
        self.group.as_ref().ok_or_else(|| "no group".to_string())
    }
    fn gm(&mut self) -> Res<&mut Group<C>> {
        self.group.as_mut().ok_or_else(|| "no group".to_string())
    }
}

fn msg(bytes: &[u8]) -> Res<MlsMessage> {
    MlsMessage::from_bytes(bytes).map_err(err)
}

fn out(m: &MlsMessage) -> Res<Vec<u8>> {
    m.to_bytes().map_err(err)
}

impl<C: MlsConfig> Party for MlsRsParty<C> {
    fn kind(&self) -> &'static str {
        "mls-rs"
    }

    fn key_package(&mut self) -> Res<Vec<u8>> {
        let m = self
            .client
            .generate_key_package_message(ExtensionList::default(), ExtensionList::default(), None)
            .map_err(err)?;
        out(&m)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Res<()> {
        let g = self
            .client
            .create_group_with_id(
                group_id.to_vec(),
                ExtensionList::default(),
                ExtensionList::default(),
                None,
            )
            .map_err(err)?;
        self.group = Some(g);
        Ok(())
    }

    fn join_welcome(&mut self, welcome: &[u8], tree: Option<&[u8]>) -> Res<()> {
        let tree = match tree {
            Some(t) => Some(ExportedTree::from_bytes(t).map_err(err)?),
            None => None,
        };
        let (g, _) = self
            .client
            .join_group(tree, &msg(welcome)?, None)
            .map_err(err)?;
        self.group = Some(g);
        Ok(())
    }

    fn join_external(&mut self, group_info: &[u8], resync_leaf: Option<u32>) -> Res<Vec<u8>> {
        let mut b = self.client.external_commit_builder().map_err(err)?;
        if let Some(leaf) = resync_leaf {
            b = b.with_removal(leaf);
        }
        let (g, commit) = b.build(msg(group_info)?).map_err(err)?;
        self.group = Some(g);
        out(&commit)
    }

    fn forget_group(&mut self) {
        self.group = None;
    }

    fn group_info(&mut self) -> Res<Vec<u8>> {
        let m = self
            .g()?
            .group_info_message_allowing_ext_commit(true)
            .map_err(err)?;
        out(&m)
    }

    fn ratchet_tree(&self) -> Res<Vec<u8>> {
        self.g()?.export_tree().to_bytes().map_err(err)
    }

    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult> {
        self.tree_in_welcome
            .store(req.tree_in_welcome, Ordering::SeqCst);
        let g = self.gm()?;
        if !req.by_reference {
            g.clear_proposal_cache();
        }
        let mut b = g.commit_builder();
        for kp in &req.adds {
            b = b.add_member(msg(kp)?).map_err(err)?;
        }
        for &leaf in &req.removes {
            b = b.remove_member(leaf).map_err(err)?;
        }
        for id in &req.external_psks {
            b = b
                .add_external_psk(ExternalPskId::new(id.clone()))
                .map_err(err)?;
        }
        if let Some(types) = &req.required_extensions {
            let mut list = ExtensionList::new();
            list.set_from(RequiredCapabilitiesExt {
                extensions: types.iter().map(|&t| ExtensionType::new(t)).collect(),
                proposals: vec![],
                credentials: vec![],
            })
            .map_err(err)?;
            b = b.set_group_context_ext(list).map_err(err)?;
        }
        let output = b.build().map_err(err)?;
        Ok(CommitResult {
            commit: out(&output.commit_message)?,
            welcome: output.welcome_messages.first().map(out).transpose()?,
        })
    }

    fn merge_pending_commit(&mut self) -> Res<()> {
        self.gm()?.apply_pending_commit().map_err(err)?;
        Ok(())
    }

    fn propose_add(&mut self, key_package: &[u8]) -> Res<Vec<u8>> {
        let kp = msg(key_package)?;
        let m = self.gm()?.propose_add(kp, vec![]).map_err(err)?;
        out(&m)
    }

    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>> {
        let m = self.gm()?.propose_remove(leaf, vec![]).map_err(err)?;
        out(&m)
    }

    fn propose_update(&mut self) -> Res<Vec<u8>> {
        let m = self.gm()?.propose_update(vec![]).map_err(err)?;
        out(&m)
    }

    fn process(&mut self, message: &[u8]) -> Res<Received> {
        let m = msg(message)?;
        match self.gm()?.process_incoming_message(m).map_err(err)? {
            ReceivedMessage::ApplicationMessage(a) => Ok(Received::Application(a.data().to_vec())),
            ReceivedMessage::Proposal(_) => Ok(Received::Proposal),
            ReceivedMessage::Commit(c) => Ok(Received::Commit {
                self_removed: matches!(c.effect, CommitEffect::Removed { .. }),
            }),
            other => Err(format!("unexpected message {other:?}")),
        }
    }

    fn send_application(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        let m = self
            .gm()?
            .encrypt_application_message(data, vec![])
            .map_err(err)?;
        out(&m)
    }

    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>> {
        Ok(self
            .g()?
            .export_secret(label.as_bytes(), context, len)
            .map_err(err)?
            .as_bytes()
            .to_vec())
    }

    fn epoch_authenticator(&self) -> Res<Vec<u8>> {
        Ok(self
            .g()?
            .epoch_authenticator()
            .map_err(err)?
            .as_bytes()
            .to_vec())
    }

    fn epoch(&self) -> Res<u64> {
        Ok(self.g()?.current_epoch())
    }

    fn own_leaf(&self) -> Res<u32> {
        Ok(self.g()?.current_member_index())
    }

    fn member_count(&self) -> Res<usize> {
        Ok(self.g()?.roster().members_iter().count())
    }

    fn add_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Res<()> {
        self.psks.insert(
            ExternalPskId::new(id.to_vec()),
            PreSharedKey::new(secret.to_vec()),
        );
        Ok(())
    }
}
