//! Typed errors of the emulation layer.
use crate::announce::AnnouncementError;
use vmls_group::GroupError;

/// Why an emulator operation failed. Every failing operation leaves the emulator unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmulatorError {
    /// The core refused (in G or in a higher-level group).
    Group(GroupError),
    /// Bytes that do not decode (a state blob, a message header).
    Codec(vmls_codec::Error),
    /// A cryptographic derivation failed.
    Crypto(vmls_crypto::Error),
    /// The announcement in a G commit does not decode or is too large.
    Announcement(AnnouncementError),
    /// An announcement (or a request) names a virtual client G does not have.
    UnknownVirtualClient(u32),
    /// `create_vc` for a `vc_id` G already has.
    VirtualClientExists(u32),
    /// An action for a group the virtual client is not in.
    NotInGroup {
        /// The virtual client.
        vc_id: u32,
    },
    /// `join_group` for a group the virtual client is already in.
    AlreadyInGroup {
        /// The virtual client.
        vc_id: u32,
    },
    /// An action names an epoch of the higher-level group that is in the past for V.
    StaleEpoch {
        /// Epoch in the announcement.
        announced: u64,
        /// V's epoch there.
        current: u64,
    },
    /// `join_group` names a KeyPackage V does not hold (used or never made).
    UnknownKeyPackage,
    /// The Welcome does not match the announced digest or KeyPackage.
    WelcomeMismatch,
    /// An announcement outside a Commit (a proposal or application message in G).
    AnnouncementNotInCommit,
    /// A higher-level message for a group no virtual client of this emulator is in.
    UnknownGroup,
    /// A bounded store is full (buffered messages, deferred actions, KeyPackages, virtual
    /// clients, groups, Welcomes, retained seeds): see [`crate::EmulatorConfig`].
    Full(Store),
    /// A state blob of a version this build does not read.
    UnsupportedStateVersion(u16),
    /// A replayed operation did not draw its pinned secrets first (the core changed).
    DerivationMismatch,
    /// The G seed an action needs has been deleted (older than the retention bound).
    SeedExpired {
        /// The G epoch.
        epoch: u64,
    },
    /// An action type this build does not execute.
    UnsupportedAction(u8),
    /// Provisioning: this device is not in the right phase (not provisioned yet for acting;
    /// no snapshot announced or kept for sending or receiving chunks).
    NotProvisioned,
    /// Provisioning: a chunk or snapshot that does not match the announced digest or length.
    ProvisioningMismatch,
    /// Nesting (`crate::nest`): no emulation level with this index, or no room for another
    /// (at most [`crate::nest::MAX_LEVELS`]), or the group is already a level of the stack.
    NoSuchLevel(usize),
    /// An invariant of the emulator broke (a bug, never input).
    Internal,
}

/// The bounded stores of an emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// Higher-level messages waiting for their announcement.
    Buffered,
    /// Announced actions waiting for the higher-level group (or the Welcome).
    Deferred,
    /// Unused KeyPackages of one virtual client.
    KeyPackages,
    /// Virtual clients of G.
    VirtualClients,
    /// Higher-level groups of one virtual client.
    Groups,
    /// Welcomes received for a virtual client before the join was announced.
    Welcomes,
}

impl From<GroupError> for EmulatorError {
    fn from(e: GroupError) -> Self {
        Self::Group(e)
    }
}

impl From<vmls_group::Error> for EmulatorError {
    fn from(e: vmls_group::Error) -> Self {
        Self::Group(e.into())
    }
}

impl From<vmls_codec::Error> for EmulatorError {
    fn from(e: vmls_codec::Error) -> Self {
        Self::Codec(e)
    }
}

impl From<vmls_crypto::Error> for EmulatorError {
    fn from(e: vmls_crypto::Error) -> Self {
        Self::Crypto(e)
    }
}

impl From<AnnouncementError> for EmulatorError {
    fn from(e: AnnouncementError) -> Self {
        match e {
            AnnouncementError::UnsupportedAction(a) => Self::UnsupportedAction(a),
            other => Self::Announcement(other),
        }
    }
}

impl core::fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EmulatorError {}
