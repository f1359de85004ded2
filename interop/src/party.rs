//! The adapter trait: one MLS client of one implementation, seen only through wire bytes.
//!
//! Every byte string crossing this trait is an RFC 9420 encoding: `MLSMessage` for KeyPackages,
//! Welcomes, GroupInfos, PublicMessages and PrivateMessages; the `ratchet_tree` extension body
//! for an out-of-band tree. No implementation ever sees another implementation's types.

/// Result of an adapter call. The error is the implementation's own error, printed.
pub type Res<T> = Result<T, String>;

/// A non-default extension type every ordinary party advertises in its capabilities (private
/// use range, RFC 9420 section 17.3); the GroupContextExtensions scenarios require it.
pub const INTEROP_EXT: u16 = 0xff0a;

/// The exporter every agreement check compares: `MLS-Exporter("interop", "", 32)`.
pub const EXPORTER_LABEL: &str = "interop";

/// How a party is configured when it is made (some implementations fix these per client or per
/// group, so a scenario chooses them up front for all its parties).
#[derive(Clone, Debug)]
pub struct PartyConfig {
    /// Send handshake messages (proposals, commits) as PrivateMessage.
    pub handshake_private: bool,
    /// Pad PrivateMessage plaintexts (each implementation's own padding scheme).
    pub padding: bool,
    /// Non-default extension types to advertise in the leaf capabilities.
    pub extension_types: Vec<u16>,
}

impl Default for PartyConfig {
    fn default() -> Self {
        Self {
            handshake_private: false,
            padding: false,
            extension_types: vec![INTEROP_EXT],
        }
    }
}

/// Optional features a scenario may need; an adapter says why it lacks one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Handshake messages as PrivateMessage.
    PrivateHandshake,
    /// External PSK proposals.
    ExternalPsk,
    /// Padding of PrivateMessages.
    Padding,
}

/// What processing one incoming message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// Application data.
    Application(Vec<u8>),
    /// A proposal, now cached for a commit by reference.
    Proposal,
    /// A commit was applied (or removed this member).
    Commit {
        /// This member was removed by the commit.
        self_removed: bool,
    },
}

/// What a commit should contain. Proposals listed here go in by value; `by_reference` also
/// includes every proposal cached in the epoch.
#[derive(Clone, Debug, Default)]
pub struct CommitRequest {
    /// `MLSMessage(KeyPackage)` encodings to add.
    pub adds: Vec<Vec<u8>>,
    /// Leaf indices to remove.
    pub removes: Vec<u32>,
    /// External PSK ids to inject (the secret must be stored with `add_external_psk`).
    pub external_psks: Vec<Vec<u8>>,
    /// Replace the GroupContext extensions with one `required_capabilities` extension that
    /// requires these extension types.
    pub required_extensions: Option<Vec<u16>>,
    /// Put the ratchet tree in the Welcome's GroupInfo (`ratchet_tree` extension).
    pub tree_in_welcome: bool,
    /// Commit the proposals received in this epoch by reference.
    pub by_reference: bool,
}

impl CommitRequest {
    /// An empty commit with a path (a self-update).
    pub fn update() -> Self {
        Self {
            tree_in_welcome: true,
            ..Self::default()
        }
    }
    /// Adds these KeyPackages, tree in the Welcome.
    pub fn add(kps: Vec<Vec<u8>>) -> Self {
        Self {
            adds: kps,
            tree_in_welcome: true,
            ..Self::default()
        }
    }
    /// Removes these leaves.
    pub fn remove(leaves: Vec<u32>) -> Self {
        Self {
            removes: leaves,
            tree_in_welcome: true,
            ..Self::default()
        }
    }
}

/// What a commit produced.
#[derive(Clone, Debug)]
pub struct CommitResult {
    /// The `MLSMessage` with the Commit.
    pub commit: Vec<u8>,
    /// The `MLSMessage(Welcome)` for added members.
    pub welcome: Option<Vec<u8>>,
}

/// What a hostile-input target made of one mutant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MutantOutcome {
    /// A typed error, the state blob unchanged.
    Rejected,
    /// Processed without error.
    Accepted,
    /// An error, but the state blob changed.
    RejectedStateChanged,
    /// The implementation panicked.
    Panic,
}

/// A member captured just before it processed a real message from a peer: it can be fed
/// mutants of that message, each from the captured state.
pub trait HostileTarget {
    /// Processes one mutant.
    fn try_mutant(&mut self, bytes: &[u8]) -> MutantOutcome;
    /// Processes the real message (after all mutants); `Ok` if it still works.
    fn try_real(&mut self, bytes: &[u8]) -> Res<()>;
    /// Why an accepted mutant is harmless, if the target can tell (e.g. it changed only a part
    /// of the message addressed to someone else).
    fn explain_accepted(&self, _original: &[u8], _mutant: &[u8]) -> Option<String> {
        None
    }
}

/// One MLS client (one identity, at most one group) of one implementation.
pub trait Party {
    /// The implementation's name, e.g. `"vmls"`.
    fn kind(&self) -> &'static str;
    /// Whether the implementation supports `feature`; `Err(reason)` if not.
    fn supports(&self, _feature: Feature) -> Result<(), &'static str> {
        Ok(())
    }
    /// A fresh `MLSMessage(KeyPackage)`; its private keys stay with the party.
    fn key_package(&mut self) -> Res<Vec<u8>>;
    /// Creates a one-member group.
    fn create_group(&mut self, group_id: &[u8]) -> Res<()>;
    /// Joins from `MLSMessage(Welcome)`, with the tree out of band if `tree` is given.
    fn join_welcome(&mut self, welcome: &[u8], tree: Option<&[u8]>) -> Res<()>;
    /// Joins by external commit from `MLSMessage(GroupInfo)` (with the tree inside). With
    /// `resync_leaf`, the commit removes this client's old leaf. Returns the commit.
    fn join_external(&mut self, group_info: &[u8], resync_leaf: Option<u32>) -> Res<Vec<u8>>;
    /// Drops the group state (the client keeps its identity and signature key).
    fn forget_group(&mut self);
    /// `MLSMessage(GroupInfo)` of the current epoch with `external_pub` and the ratchet tree.
    fn group_info(&mut self) -> Res<Vec<u8>>;
    /// The current ratchet tree (`ratchet_tree` extension body).
    fn ratchet_tree(&self) -> Res<Vec<u8>>;
    /// Creates a commit; it stays pending until `merge_pending_commit`.
    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult>;
    /// Applies this party's pending commit.
    fn merge_pending_commit(&mut self) -> Res<()>;
    /// Proposes adding a KeyPackage (by reference).
    fn propose_add(&mut self, key_package: &[u8]) -> Res<Vec<u8>>;
    /// Proposes removing a leaf (by reference).
    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>>;
    /// Proposes an Update of its own leaf (by reference).
    fn propose_update(&mut self) -> Res<Vec<u8>>;
    /// Processes an incoming `MLSMessage` (PublicMessage or PrivateMessage).
    fn process(&mut self, message: &[u8]) -> Res<Received>;
    /// Encrypts application data.
    fn send_application(&mut self, data: &[u8]) -> Res<Vec<u8>>;
    /// `MLS-Exporter(label, context, len)` of the current epoch.
    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>>;
    /// The epoch authenticator of the current epoch.
    fn epoch_authenticator(&self) -> Res<Vec<u8>>;
    /// The current epoch.
    fn epoch(&self) -> Res<u64>;
    /// This member's leaf index.
    fn own_leaf(&self) -> Res<u32>;
    /// Number of members in the current epoch.
    fn member_count(&self) -> Res<usize>;
    /// Stores an external PSK.
    fn add_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Res<()>;
    /// For the hostile-input run: this member as it is now, to be fed mutants of the message it
    /// is about to process. `None` if the implementation is not a target.
    fn hostile_target(&self) -> Option<Box<dyn HostileTarget>> {
        None
    }
    /// For the hostile-input run: this client about to join from a Welcome.
    fn hostile_welcome_target(&self, _tree: Option<&[u8]>) -> Option<Box<dyn HostileTarget>> {
        None
    }
}
