//! vmls behind the adapter trait.
use std::panic::{AssertUnwindSafe, catch_unwind};

use vmls::codec::{Decode, Encode, VLBytes};
use vmls::group::{
    ExtensionBody, GroupContextExtensions, MLSMessage, MLSMessageBody, PreSharedKey,
    PreSharedKeyId, Psk, WireFormat,
};
use vmls::tree::RequiredCapabilities;
use vmls::{
    CommitOptions, ExternalJoinOptions, Group, GroupConfig, KeyPackage, KeyPackageParams,
    KeyPackagePrivate, Lifetime, Mls128ChaCha, ProcessedMessage, Proposal, PskStore, SeededPrng,
    SignatureKeyPair, create_key_package,
};

use crate::party::{
    CommitRequest, CommitResult, HostileTarget, MutantOutcome, Party, PartyConfig, Received, Res,
};

fn err<E: core::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// A vmls client.
pub struct VmlsParty {
    identity: Vec<u8>,
    config: PartyConfig,
    signer: SignatureKeyPair,
    rng: SeededPrng,
    key_packages: Vec<(KeyPackage, KeyPackagePrivate)>,
    psks: PskStore,
    group: Option<Group>,
    now: u64,
}

impl VmlsParty {
    /// A new client named `identity`; `seed` makes its randomness reproducible.
    pub fn new(identity: &[u8], config: &PartyConfig, seed: u64) -> Self {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        s[8..8 + identity.len().min(24)].copy_from_slice(&identity[..identity.len().min(24)]);
        let mut rng = SeededPrng::from_seed(s);
        let signer = SignatureKeyPair::generate(&mut rng);
        let now = crate::now();
        Self {
            identity: identity.to_vec(),
            config: config.clone(),
            signer,
            rng,
            key_packages: Vec::new(),
            psks: PskStore::new(),
            group: None,
            now,
        }
    }

    fn params(&self) -> KeyPackageParams {
        let mut p = KeyPackageParams::basic(
            &self.identity,
            Lifetime {
                not_before: self.now - 3600,
                not_after: self.now + 30 * 86400,
            },
        );
        p.extra_extension_types = self.config.extension_types.clone();
        p
    }

    fn group_config(&self) -> GroupConfig {
        GroupConfig {
            handshake_wire_format: if self.config.handshake_private {
                WireFormat::PrivateMessage
            } else {
                WireFormat::PublicMessage
            },
            padding_block: if self.config.padding { 32 } else { 0 },
            current_time: Some(self.now),
            ..GroupConfig::default()
        }
    }

    /// The group with its clock set to now (the library has no clock of its own).
    fn clocked(&mut self) -> Res<&mut Group> {
        self.now = crate::now();
        let config = self.group_config();
        let g = self.group.as_mut().ok_or("no group")?;
        g.set_config(config);
        Ok(g)
    }

    fn g(&self) -> Res<&Group> {
        self.group.as_ref().ok_or_else(|| "no group".to_string())
    }

    fn gm(&mut self) -> Res<&mut Group> {
        self.group.as_mut().ok_or_else(|| "no group".to_string())
    }

    fn decode_key_package(bytes: &[u8]) -> Res<KeyPackage> {
        match MLSMessage::decode_exact(bytes).map_err(err)?.body {
            MLSMessageBody::KeyPackage(kp) => Ok(kp),
            _ => Err("not a KeyPackage".into()),
        }
    }
}

impl Party for VmlsParty {
    fn kind(&self) -> &'static str {
        "vmls"
    }

    fn key_package(&mut self) -> Res<Vec<u8>> {
        let params = self.params();
        let (kp, private) =
            create_key_package::<Mls128ChaCha, _>(&params, &self.signer, &mut self.rng)
                .map_err(err)?;
        let bytes = MLSMessage::new(MLSMessageBody::KeyPackage(kp.clone()))
            .to_bytes()
            .map_err(err)?;
        self.key_packages.push((kp, private));
        Ok(bytes)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Res<()> {
        let params = self.params();
        let mut g: Group = Group::create(
            group_id,
            &params,
            &self.signer,
            vec![],
            self.group_config(),
            &mut self.rng,
        )
        .map_err(err)?;
        *g.psk_store_mut() = self.psks.clone();
        self.group = Some(g);
        Ok(())
    }

    fn join_welcome(&mut self, welcome: &[u8], tree: Option<&[u8]>) -> Res<()> {
        self.now = crate::now();
        let mut last = String::from("no KeyPackage");
        for i in 0..self.key_packages.len() {
            let (kp, private) = &self.key_packages[i];
            match Group::join_from_welcome_bytes(
                welcome,
                kp,
                private,
                tree,
                self.psks.clone(),
                self.group_config(),
            ) {
                Ok(g) => {
                    self.key_packages.remove(i);
                    self.group = Some(g);
                    return Ok(());
                }
                Err(e) => last = err(e),
            }
        }
        Err(last)
    }

    fn join_external(&mut self, group_info: &[u8], resync_leaf: Option<u32>) -> Res<Vec<u8>> {
        self.now = crate::now();
        let params = self.params();
        let options = ExternalJoinOptions {
            resync_leaf,
            ..ExternalJoinOptions::default()
        };
        let (g, commit) = Group::join_by_external_commit(
            group_info,
            None,
            &params,
            &self.signer,
            &options,
            self.psks.clone(),
            self.group_config(),
            &mut self.rng,
        )
        .map_err(err)?;
        self.group = Some(g);
        Ok(commit)
    }

    fn forget_group(&mut self) {
        self.group = None;
    }

    fn group_info(&mut self) -> Res<Vec<u8>> {
        self.g()?.group_info(true).map_err(err)
    }

    fn ratchet_tree(&self) -> Res<Vec<u8>> {
        self.g()?.ratchet_tree_bytes().map_err(err)
    }

    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult> {
        let mut proposals = Vec::new();
        for kp in &req.adds {
            proposals.push(Proposal::Add(vmls::Add {
                key_package: Self::decode_key_package(kp)?,
            }));
        }
        for &leaf in &req.removes {
            proposals.push(Proposal::Remove(vmls::Remove { removed: leaf }));
        }
        for id in &req.external_psks {
            let psk = PreSharedKeyId::new(
                Psk::External {
                    psk_id: VLBytes::from(id.clone()),
                },
                &mut self.rng,
            );
            proposals.push(Proposal::PreSharedKey(PreSharedKey { psk }));
        }
        if let Some(types) = &req.required_extensions {
            let ext = RequiredCapabilities {
                extension_types: types.clone(),
                proposal_types: vec![],
                credential_types: vec![],
            }
            .to_extension()
            .map_err(err)?;
            proposals.push(Proposal::GroupContextExtensions(GroupContextExtensions {
                extensions: vec![ext],
            }));
        }
        let options = CommitOptions {
            proposals,
            include_pending: req.by_reference,
            force_path: true,
            ratchet_tree_in_welcome: req.tree_in_welcome,
            ..CommitOptions::default()
        };
        self.clocked()?;
        let rng = &mut self.rng;
        let g = self.group.as_mut().ok_or("no group")?;
        let out = g.commit(&options, rng).map_err(err)?;
        Ok(CommitResult {
            commit: out.commit,
            welcome: out.welcome,
        })
    }

    fn merge_pending_commit(&mut self) -> Res<()> {
        self.gm()?.merge_pending_commit().map_err(err)
    }

    fn propose_add(&mut self, key_package: &[u8]) -> Res<Vec<u8>> {
        let kp = Self::decode_key_package(key_package)?;
        self.clocked()?;
        let rng = &mut self.rng;
        let g = self.group.as_mut().ok_or("no group")?;
        Ok(g.propose_add(kp, rng).map_err(err)?.0)
    }

    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>> {
        let rng = &mut self.rng;
        let g = self.group.as_mut().ok_or("no group")?;
        Ok(g.propose_remove(leaf, rng).map_err(err)?.0)
    }

    fn propose_update(&mut self) -> Res<Vec<u8>> {
        let rng = &mut self.rng;
        let g = self.group.as_mut().ok_or("no group")?;
        Ok(g.propose_update(rng).map_err(err)?.0)
    }

    fn process(&mut self, message: &[u8]) -> Res<Received> {
        match self.clocked()?.process_message(message).map_err(err)? {
            ProcessedMessage::Application { data, .. } | ProcessedMessage::Cbam { data, .. } => {
                Ok(Received::Application(data))
            }
            ProcessedMessage::Proposal { .. } => Ok(Received::Proposal),
            ProcessedMessage::Commit(s) => Ok(Received::Commit {
                self_removed: s.self_removed,
            }),
        }
    }

    fn send_application(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        let rng = &mut self.rng;
        let g = self.group.as_mut().ok_or("no group")?;
        let mut out = vec![0u8; g.application_message_len(0, data.len())];
        let n = g
            .encrypt_application(b"", data, rng, &mut out)
            .map_err(err)?;
        out.truncate(n);
        Ok(out)
    }

    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>> {
        let mut out = vec![0u8; len];
        self.g()?
            .export_secret(label.as_bytes(), context, &mut out)
            .map_err(err)?;
        Ok(out)
    }

    fn epoch_authenticator(&self) -> Res<Vec<u8>> {
        Ok(self.g()?.epoch_authenticator().to_vec())
    }

    fn epoch(&self) -> Res<u64> {
        Ok(self.g()?.epoch())
    }

    fn own_leaf(&self) -> Res<u32> {
        Ok(self.g()?.own_leaf_index())
    }

    fn member_count(&self) -> Res<usize> {
        Ok(self.g()?.member_count())
    }

    fn add_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Res<()> {
        self.psks.insert_external(id, secret);
        if let Some(g) = self.group.as_mut() {
            g.psk_store_mut().insert_external(id, secret);
        }
        Ok(())
    }

    fn hostile_target(&self) -> Option<Box<dyn HostileTarget>> {
        // Captured as `process` will run it: with the clock set to now.
        let mut g = self.group.as_ref()?.clone();
        g.set_config(GroupConfig {
            current_time: Some(crate::now()),
            ..*g.config()
        });
        let blob = g.to_bytes().ok()?;
        Some(Box::new(VmlsMessageTarget { blob, group: None }))
    }

    fn hostile_welcome_target(&self, tree: Option<&[u8]>) -> Option<Box<dyn HostileTarget>> {
        Some(Box::new(VmlsWelcomeTarget {
            key_packages: self.key_packages.clone(),
            tree: tree.map(<[u8]>::to_vec),
            psks: self.psks.clone(),
            config: self.group_config(),
        }))
    }
}

/// A vmls member restored from its state blob, fed mutants of one incoming message.
struct VmlsMessageTarget {
    blob: Vec<u8>,
    /// The restored group; reused while its blob is unchanged, restored again otherwise.
    group: Option<Group>,
}

impl VmlsMessageTarget {
    fn restored(&mut self) -> Res<&mut Group> {
        if self.group.is_none() {
            self.group = Some(Group::from_bytes(&self.blob).map_err(err)?);
        }
        self.group.as_mut().ok_or_else(|| "no group".into())
    }
}

impl HostileTarget for VmlsMessageTarget {
    fn try_mutant(&mut self, bytes: &[u8]) -> MutantOutcome {
        let Ok(g) = self.restored() else {
            return MutantOutcome::Panic;
        };
        let r = catch_unwind(AssertUnwindSafe(|| {
            let res = g.process_message(bytes);
            let after = g.to_bytes();
            (res.is_ok(), after)
        }));
        let blob = &self.blob;
        match r {
            Err(_) => {
                self.group = None;
                MutantOutcome::Panic
            }
            Ok((true, _)) => {
                self.group = None;
                MutantOutcome::Accepted
            }
            Ok((false, Ok(after))) if after == *blob => MutantOutcome::Rejected,
            Ok((false, _)) => {
                self.group = None;
                MutantOutcome::RejectedStateChanged
            }
        }
    }

    fn try_real(&mut self, bytes: &[u8]) -> Res<()> {
        self.restored()?.process_message(bytes).map_err(err)?;
        Ok(())
    }
}

/// A vmls client with one KeyPackage, fed mutants of the Welcome for it.
struct VmlsWelcomeTarget {
    key_packages: Vec<(KeyPackage, KeyPackagePrivate)>,
    tree: Option<Vec<u8>>,
    psks: PskStore,
    config: GroupConfig,
}

impl VmlsWelcomeTarget {
    fn join(&self, bytes: &[u8]) -> Result<Group, vmls::GroupError> {
        let mut last = Err(vmls::GroupError::OwnLeafNotFound);
        for (kp, private) in &self.key_packages {
            last = Group::join_from_welcome_bytes(
                bytes,
                kp,
                private,
                self.tree.as_deref(),
                self.psks.clone(),
                self.config,
            );
            if last.is_ok() {
                break;
            }
        }
        last
    }
}

impl HostileTarget for VmlsWelcomeTarget {
    fn try_mutant(&mut self, bytes: &[u8]) -> MutantOutcome {
        match catch_unwind(AssertUnwindSafe(|| self.join(bytes).is_ok())) {
            Err(_) => MutantOutcome::Panic,
            Ok(true) => MutantOutcome::Accepted,
            Ok(false) => MutantOutcome::Rejected,
        }
    }

    fn try_real(&mut self, bytes: &[u8]) -> Res<()> {
        self.join(bytes).map(|_| ()).map_err(err)
    }

    /// A Welcome carries one EncryptedGroupSecrets per joiner and nothing authenticates the
    /// entries of the others to this joiner: a change there cannot reach it.
    fn explain_accepted(&self, original: &[u8], mutant: &[u8]) -> Option<String> {
        let MLSMessageBody::Welcome(w) = MLSMessage::decode_exact(original).ok()?.body else {
            return None;
        };
        let mine: Vec<_> = self
            .key_packages
            .iter()
            .filter_map(|(kp, _)| kp.make_ref().ok())
            .collect();
        let total: usize = w.secrets.iter().map(|e| e.encoded_len()).sum();
        let mut at = 4 + 2 + vmls::codec::varint_len(total);
        let mut ranges = Vec::new();
        for e in &w.secrets {
            let len = e.encoded_len();
            if !mine.contains(&e.new_member) {
                ranges.push(at..at + len);
            }
            at += len;
        }
        let first = original.iter().zip(mutant).position(|(a, b)| a != b)?;
        let last_from_end = original
            .iter()
            .rev()
            .zip(mutant.iter().rev())
            .position(|(a, b)| a != b)?;
        let last = original.len() - 1 - last_from_end;
        if original.len() != mutant.len() {
            return None;
        }
        ranges
            .iter()
            .any(|r| r.contains(&first) && r.contains(&last))
            .then(|| "inside another joiner's EncryptedGroupSecrets".to_string())
    }
}
