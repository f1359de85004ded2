//! Joining in two steps: a Welcome checked and its group computed ([`StagedWelcome`]), then
//! accepted or dropped by the application once it has validated the members' credentials
//! (RFC 9420 sections 5.3.1 and 12.4.3.1). Also the joiner's cross-group checks of a
//! reinitialization (section 11.2) and a branch (section 11.3).
use alloc::vec::Vec;
use vmls_codec::Decode;
use vmls_crypto::{CipherSuite, Mls128ChaCha};
use vmls_keyschedule::{GroupContext, PreSharedKeyId, Psk, ResumptionPskUsage};
use vmls_tree::{Credential, LeafNode, RatchetTree};

use super::error::{GroupError, LinkError};
use super::key_package::KeyPackagePrivate;
use super::reinit::same_client;
use super::{Group, GroupConfig, GroupStatus, PskStore};
use crate::framing::{MLSMessage, MLSMessageBody, WireFormat};
use crate::group_info::GroupInfo;
use crate::key_package::KeyPackage;
use crate::welcome::Welcome;

/// A Welcome that passed every check of RFC 9420 section 12.4.3.1, with the group it creates.
///
/// Nothing is kept anywhere until [`StagedWelcome::accept`]: inspect the GroupContext and the
/// members (section 5.3.1: the application validates each member's credential with its
/// Authentication Service, RFC 9750 section 5) and accept, or drop the value to refuse.
pub struct StagedWelcome<S: CipherSuite = Mls128ChaCha> {
    group: Group<S>,
    group_info: GroupInfo,
    psks: Vec<PreSharedKeyId>,
}

impl<S: CipherSuite> StagedWelcome<S> {
    pub(crate) fn new(group: Group<S>, group_info: GroupInfo, psks: Vec<PreSharedKeyId>) -> Self {
        Self {
            group,
            group_info,
            psks,
        }
    }

    /// The verified GroupInfo (signed by the member at [`StagedWelcome::signer`]).
    pub fn group_info(&self) -> &GroupInfo {
        &self.group_info
    }

    /// The GroupContext of the epoch joined.
    pub fn context(&self) -> &GroupContext {
        self.group.context()
    }

    /// The group ID.
    pub fn group_id(&self) -> &[u8] {
        self.group.group_id()
    }

    /// The epoch joined.
    pub fn epoch(&self) -> u64 {
        self.group.epoch()
    }

    /// The leaf index of the member that signed the GroupInfo (the committer that added this
    /// client).
    pub fn signer(&self) -> u32 {
        self.group_info.tbs.signer
    }

    /// The members: leaf index and LeafNode (credential, signature key, capabilities). Every
    /// LeafNode was validated (RFC 9420 section 7.3); whether its credential is acceptable is
    /// the application's decision.
    pub fn members(&self) -> impl Iterator<Item = (u32, &LeafNode)> {
        self.group.members()
    }

    /// The ratchet tree.
    pub fn tree(&self) -> &RatchetTree {
        self.group.tree()
    }

    /// This client's leaf index in the group.
    pub fn own_leaf_index(&self) -> u32 {
        self.group.own_leaf_index()
    }

    /// The PSKs the Welcome injected (GroupSecrets `psks`, in order).
    pub fn psks(&self) -> &[PreSharedKeyId] {
        &self.psks
    }

    /// `epoch_authenticator` of the epoch joined (RFC 9420 section 8.7), e.g. to compare with
    /// the other members out of band before accepting.
    pub fn epoch_authenticator(&self) -> &[u8; 32] {
        self.group.epoch_authenticator()
    }

    /// Accepts the Welcome: the group state, ready to use.
    pub fn accept(self) -> Group<S> {
        self.group
    }
}

impl<S: CipherSuite> core::fmt::Debug for StagedWelcome<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StagedWelcome")
            .field("group", &self.group)
            .field("signer", &self.group_info.tbs.signer)
            .field("psks", &self.psks.len())
            .finish()
    }
}

/// The group a Welcome must be checked against.
pub(crate) enum Link<'a, S: CipherSuite> {
    /// An ordinary Welcome: no PSK of usage `reinit` or `branch` allowed.
    None,
    /// The old group of a reinitialization (RFC 9420 section 11.2).
    ReInit(&'a Group<S>),
    /// The parent of a branch (RFC 9420 section 11.3).
    Branch(&'a Group<S>),
}

impl<S: CipherSuite> Link<'_, S> {
    /// The GroupSecrets' PSKs (RFC 9420 section 12.4.3.1): at most one of usage `reinit` or
    /// `branch`, and for a linked join exactly one, of the expected usage, naming the old
    /// group at the epoch that links it (sections 11.2, 11.3). Returns the PSK store to look
    /// the PSKs up in: `store` plus the linking resumption PSK.
    pub(crate) fn check_psks(
        &self,
        ids: &[PreSharedKeyId],
        store: &PskStore,
    ) -> Result<Option<PskStore>, GroupError> {
        let mut linking = ids.iter().filter_map(|id| match &id.psk {
            Psk::Resumption {
                usage: usage @ (ResumptionPskUsage::Reinit | ResumptionPskUsage::Branch),
                psk_group_id,
                psk_epoch,
            } => Some((*usage, psk_group_id, *psk_epoch)),
            _ => None,
        });
        let first = linking.next();
        if linking.next().is_some() {
            return Err(GroupError::InvalidResumptionPsk);
        }
        let (old, expected) = match self {
            Link::None => {
                return match first {
                    Some((usage, _, _)) => Err(LinkError::UncheckedLink { usage }.into()),
                    None => Ok(None),
                };
            }
            Link::ReInit(old) => {
                if !matches!(old.status, GroupStatus::ReInitialized(_)) {
                    return Err(LinkError::NotReInitialized.into());
                }
                (old, ResumptionPskUsage::Reinit)
            }
            Link::Branch(parent) => {
                parent.require_active()?;
                (parent, ResumptionPskUsage::Branch)
            }
        };
        let (usage, group_id, epoch) = first.ok_or(LinkError::MissingResumptionPsk)?;
        if usage != expected {
            return Err(LinkError::WrongPskUsage {
                expected,
                got: usage,
            }
            .into());
        }
        if group_id.as_slice() != old.group_id() {
            return Err(LinkError::WrongPskGroup.into());
        }
        if epoch != old.epoch() {
            return Err(LinkError::WrongPskEpoch {
                expected: old.epoch(),
                got: epoch,
            }
            .into());
        }
        let mut lookup = store.clone();
        lookup.insert_resumption(group_id, epoch, old.resumption_psk().clone());
        Ok(Some(lookup))
    }

    /// The new group against the old one (RFC 9420 section 12.4.3.1, last step): for a
    /// reinitialization, the ReInit's `group_id`, `version`, `cipher_suite` and `extensions`,
    /// and every old member in the new group; for a branch, the parent's `version` and
    /// `cipher_suite`, another group ID, and every new member a member of the parent. Members
    /// match when their credentials are equal (docs/spec-decisions.md).
    pub(crate) fn check_group(
        &self,
        ctx: &GroupContext,
        tree: &RatchetTree,
    ) -> Result<(), GroupError> {
        match self {
            Link::None => Ok(()),
            Link::ReInit(old) => {
                let GroupStatus::ReInitialized(reinit) = &old.status else {
                    return Err(LinkError::NotReInitialized.into());
                };
                if ctx.group_id.as_slice() != reinit.group_id.as_slice() {
                    return Err(LinkError::GroupIdMismatch.into());
                }
                if ctx.version != reinit.version.0 {
                    return Err(LinkError::VersionMismatch {
                        expected: reinit.version.0,
                        got: ctx.version,
                    }
                    .into());
                }
                if ctx.cipher_suite != reinit.cipher_suite {
                    return Err(LinkError::CipherSuiteMismatch {
                        expected: reinit.cipher_suite,
                        got: ctx.cipher_suite,
                    }
                    .into());
                }
                if ctx.extensions != reinit.extensions {
                    return Err(LinkError::ExtensionsMismatch.into());
                }
                let new: Vec<&Credential> =
                    tree.members().map(|(_, l)| &l.content.credential).collect();
                for (leaf, member) in old.members() {
                    if !same_client(&new, &member.content.credential) {
                        return Err(LinkError::MissingOldMember { leaf }.into());
                    }
                }
                Ok(())
            }
            Link::Branch(parent) => {
                let pc = parent.context();
                if ctx.version != pc.version {
                    return Err(LinkError::VersionMismatch {
                        expected: pc.version,
                        got: ctx.version,
                    }
                    .into());
                }
                if ctx.cipher_suite != pc.cipher_suite {
                    return Err(LinkError::CipherSuiteMismatch {
                        expected: pc.cipher_suite,
                        got: ctx.cipher_suite,
                    }
                    .into());
                }
                if ctx.group_id == pc.group_id {
                    return Err(LinkError::SameGroupId.into());
                }
                let old: Vec<&Credential> = parent
                    .members()
                    .map(|(_, l)| &l.content.credential)
                    .collect();
                for (leaf, member) in tree.members() {
                    if !same_client(&old, &member.content.credential) {
                        return Err(LinkError::NotParentMember { leaf: leaf.0 }.into());
                    }
                }
                Ok(())
            }
        }
    }
}

/// Decodes an `MLSMessage(Welcome)` and the optional out-of-band ratchet tree.
fn decode_welcome(
    welcome: &[u8],
    ratchet_tree: Option<&[u8]>,
    config: &GroupConfig,
) -> Result<(Welcome, Option<RatchetTree>), GroupError> {
    super::check_size(config, welcome.len())?;
    let MLSMessageBody::Welcome(w) = MLSMessage::decode_exact(welcome)?.body else {
        return Err(GroupError::UnexpectedWireFormat(
            WireFormat::Welcome.value(),
        ));
    };
    let tree = match ratchet_tree {
        Some(b) => Some(RatchetTree::from_bytes(b, config.max_tree_leaves())?),
        None => None,
    };
    Ok((w, tree))
}

impl<S: CipherSuite> Group<S> {
    /// Checks a Welcome and computes the group it creates, without keeping anything (RFC 9420
    /// section 12.4.3.1): the entry for `key_package`, the GroupSecrets decrypted with the init
    /// key, the PSKs (from `psks`), the GroupInfo decrypted and its signature verified with the
    /// signer's leaf, the suite, the ratchet tree (given out of band in `ratchet_tree`, or in
    /// the `ratchet_tree` extension) validated in full and matched against the `tree_hash`,
    /// this client's leaf found, the path secret's keys checked against the tree, the key
    /// schedule from the joiner secret and the confirmation tag verified.
    ///
    /// The application then inspects the members' credentials ([`StagedWelcome::members`];
    /// RFC 9420 section 5.3.1) and calls [`StagedWelcome::accept`], or drops the staged
    /// Welcome to refuse. The group ID's uniqueness among the application's groups is the
    /// application's check too.
    ///
    /// A Welcome with a resumption PSK of usage `reinit` or `branch` is rejected with
    /// [`LinkError::UncheckedLink`]: join it with [`Group::stage_reinit_welcome`] or
    /// [`Group::stage_branch_welcome`], which check it against the old group.
    ///
    /// ```
    /// use vmls_crypto::{Mls128ChaCha, SeededPrng, SignatureKeyPair};
    /// use vmls_group::group::{
    ///     create_key_package, CommitOptions, Group, GroupConfig, GroupError, KeyPackageParams,
    ///     PskStore,
    /// };
    /// use vmls_group::{Add, Proposal};
    /// use vmls_tree::{Credential, Lifetime};
    ///
    /// # fn main() -> Result<(), GroupError> {
    /// let mut rng = SeededPrng::from_seed([1; 32]);
    /// let forever = Lifetime { not_before: 0, not_after: u64::MAX };
    /// let basic = |name: &[u8]| KeyPackageParams::basic(name, forever);
    ///
    /// // The application's Authentication Service, reduced to an allow-list.
    /// let trusted = |c: &Credential| {
    ///     matches!(c, Credential::Basic(id) if [&b"alice"[..], b"bob"].contains(&id.as_slice()))
    /// };
    ///
    /// // Alice creates a group and adds the clients of `joiners` (Bob first).
    /// let welcome_for_bob = |joiners: &[&[u8]], rng: &mut SeededPrng| {
    ///     let alice_key = SignatureKeyPair::generate(rng);
    ///     let mut alice: Group =
    ///         Group::create(b"g", &basic(b"alice"), &alice_key, vec![], GroupConfig::default(), rng)?;
    ///     let mut adds = Vec::new();
    ///     let mut bob = None;
    ///     for name in joiners {
    ///         let key = SignatureKeyPair::generate(rng);
    ///         let (kp, private) = create_key_package::<Mls128ChaCha, _>(&basic(name), &key, rng)?;
    ///         bob.get_or_insert((kp.clone(), private));
    ///         adds.push(Proposal::Add(Add { key_package: kp }));
    ///     }
    ///     let options = CommitOptions { proposals: adds, ..CommitOptions::default() };
    ///     let out = alice.commit(&options, rng)?;
    ///     alice.merge_pending_commit()?;
    ///     let (kp, private) = bob.expect("Bob's KeyPackage");
    ///     Ok::<_, GroupError>((out.welcome.expect("a Welcome"), kp, private, alice))
    /// };
    ///
    /// // Bob's side: stage, inspect every member's credential, then accept or refuse.
    /// let join = |welcome: &[u8], kp, private| -> Result<Option<Group>, GroupError> {
    ///     let staged = Group::stage_welcome_bytes(
    ///         welcome, kp, private, None, PskStore::new(), GroupConfig::default(),
    ///     )?;
    ///     if staged.members().all(|(_, leaf)| trusted(&leaf.content.credential)) {
    ///         Ok(Some(staged.accept()))
    ///     } else {
    ///         Ok(None) // dropping the staged Welcome refuses it: nothing was kept
    ///     }
    /// };
    ///
    /// // Only trusted members: Bob joins and agrees with Alice on the epoch.
    /// let (welcome, kp, private, alice) = welcome_for_bob(&[b"bob"], &mut rng)?;
    /// let bob = join(&welcome, &kp, &private)?.expect("accepted");
    /// assert_eq!(bob.epoch_authenticator(), alice.epoch_authenticator());
    ///
    /// // The tree also holds "mallory", whom Bob's application does not accept: refused.
    /// let (welcome, kp, private, _) = welcome_for_bob(&[b"bob", b"mallory"], &mut rng)?;
    /// assert!(join(&welcome, &kp, &private)?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn stage_welcome(
        welcome: &Welcome,
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<RatchetTree>,
        psks: PskStore,
        config: GroupConfig,
    ) -> Result<StagedWelcome<S>, GroupError> {
        Self::stage_welcome_linked(
            welcome,
            key_package,
            private,
            ratchet_tree,
            psks,
            config,
            Link::None,
        )
    }

    /// [`Group::stage_welcome`] for an encoded `MLSMessage(Welcome)` and, optionally, the
    /// encoded ratchet tree given out of band.
    pub fn stage_welcome_bytes(
        welcome: &[u8],
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<&[u8]>,
        psks: PskStore,
        config: GroupConfig,
    ) -> Result<StagedWelcome<S>, GroupError> {
        let (w, tree) = decode_welcome(welcome, ratchet_tree, &config)?;
        Self::stage_welcome(&w, key_package, private, tree, psks, config)
    }

    /// Stages the Welcome (encoded `MLSMessage`) of the successor of this reinitialized group
    /// (RFC 9420 sections 11.2 and 12.4.3.1): every check of [`Group::stage_welcome`], and
    ///
    /// * this group's last Commit carried a ReInit ([`LinkError::NotReInitialized`]);
    /// * the GroupSecrets name exactly one resumption PSK of usage `reinit` or `branch`
    ///   ([`GroupError::InvalidResumptionPsk`] if more, [`LinkError::MissingResumptionPsk`] if
    ///   none), of usage `reinit` ([`LinkError::WrongPskUsage`]), for this group
    ///   ([`LinkError::WrongPskGroup`]) at its current epoch, the one the ReInit Commit created
    ///   ([`LinkError::WrongPskEpoch`]); its value is this group's `resumption_psk`, the other
    ///   PSKs come from `psks`;
    /// * the GroupInfo's epoch is 1 ([`GroupError::InvalidResumptionPsk`]);
    /// * the new GroupContext has the ReInit's `group_id`, `version`, `cipher_suite` and
    ///   `extensions` ([`LinkError::GroupIdMismatch`], [`LinkError::VersionMismatch`],
    ///   [`LinkError::CipherSuiteMismatch`], [`LinkError::ExtensionsMismatch`]);
    /// * every member of this group has a member with the same credential in the new group
    ///   ([`LinkError::MissingOldMember`]).
    ///
    /// This group is not changed. `psks` becomes the new group's PSK store.
    pub fn stage_reinit_welcome(
        &self,
        welcome: &[u8],
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<&[u8]>,
        psks: PskStore,
        config: GroupConfig,
    ) -> Result<StagedWelcome<S>, GroupError> {
        let (w, tree) = decode_welcome(welcome, ratchet_tree, &config)?;
        Self::stage_welcome_linked(
            &w,
            key_package,
            private,
            tree,
            psks,
            config,
            Link::ReInit(self),
        )
    }

    /// Stages the Welcome (encoded `MLSMessage`) of a subgroup branched from this group (RFC
    /// 9420 sections 11.3 and 12.4.3.1): every check of [`Group::stage_welcome`], and
    ///
    /// * this member is active in this group ([`GroupError::Inactive`]);
    /// * the GroupSecrets name exactly one resumption PSK of usage `reinit` or `branch`
    ///   ([`GroupError::InvalidResumptionPsk`] if more, [`LinkError::MissingResumptionPsk`] if
    ///   none), of usage `branch` ([`LinkError::WrongPskUsage`]), for this group
    ///   ([`LinkError::WrongPskGroup`]) at its current epoch ([`LinkError::WrongPskEpoch`]);
    ///   its value is this epoch's `resumption_psk`, the other PSKs come from `psks`;
    /// * the GroupInfo's epoch is 1 ([`GroupError::InvalidResumptionPsk`]);
    /// * the subgroup has this group's `version` and `cipher_suite`
    ///   ([`LinkError::VersionMismatch`], [`LinkError::CipherSuiteMismatch`]) and another group
    ///   ID ([`LinkError::SameGroupId`]);
    /// * every member of the subgroup has a member with the same credential in this group
    ///   ([`LinkError::NotParentMember`]).
    ///
    /// This group is not changed. `psks` becomes the subgroup's PSK store.
    pub fn stage_branch_welcome(
        &self,
        welcome: &[u8],
        key_package: &KeyPackage,
        private: &KeyPackagePrivate,
        ratchet_tree: Option<&[u8]>,
        psks: PskStore,
        config: GroupConfig,
    ) -> Result<StagedWelcome<S>, GroupError> {
        let (w, tree) = decode_welcome(welcome, ratchet_tree, &config)?;
        Self::stage_welcome_linked(
            &w,
            key_package,
            private,
            tree,
            psks,
            config,
            Link::Branch(self),
        )
    }
}
