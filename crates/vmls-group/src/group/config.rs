//! Limits and policies of a group (DESIGN.md: "every length and count read from the wire is
//! bounded by configurable limits"; RFC 9750 section 7 lists the parameters deployments agree
//! on).
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_secret_tree::SecretTreeConfig;

use crate::framing::WireFormat;

/// Limits and policies of one member's view of a group. All limits are enforced:
///
/// * `max_members`: an Add (or external join) that would make the group larger fails with
///   [`crate::group::GroupError::TooManyMembers`]; a Welcome or GroupInfo whose ratchet tree has
///   more leaves than the next power of two above it is rejected while decoding.
/// * `max_message_size`: `process_message` and the application-message functions reject
///   longer input with [`crate::group::GroupError::MessageTooLarge`] before decoding it, and
///   the sender refuses to produce a longer application message.
/// * `max_forward_distance` / `max_retained_keys`: the secret tree's out-of-order window
///   (a message more than `max_forward_distance` generations ahead is rejected; at most
///   `max_retained_keys` keys of skipped generations are kept per sender and ratchet).
/// * `max_past_epochs`: how many past epochs' secret trees are kept to decrypt late application
///   messages (0 = none; older epochs are deleted, RFC 9420 section 14.4).
/// * `max_pending_proposals`: how many proposals are cached per epoch.
/// * `max_resumption_psks`: how many past epochs' `resumption_psk` are kept for resumption
///   PSK proposals.
/// * `late_messages_from_updated_senders`: whether a late application message or CBAM of a
///   past epoch is read when its sender's leaf was replaced since ([`LatePolicy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    /// Largest number of members (non-blank leaves). Default 1024.
    pub max_members: u32,
    /// Largest encoded MLSMessage accepted or produced, in bytes. Default 1 MiB.
    pub max_message_size: u32,
    /// Secret-tree forward window (generations). Default 1000.
    pub max_forward_distance: u32,
    /// Skipped keys kept per sender ratchet. Default 64.
    pub max_retained_keys: u32,
    /// Past epochs whose secret trees are kept for late application messages. Default 2.
    pub max_past_epochs: u16,
    /// Proposals cached per epoch. Default 256.
    pub max_pending_proposals: u16,
    /// Past epochs whose resumption PSK is kept. Default 8.
    pub max_resumption_psks: u16,
    /// Wire format of handshake messages this member sends: `PublicMessage` or
    /// `PrivateMessage`. Default `PrivateMessage`.
    pub handshake_wire_format: WireFormat,
    /// PrivateMessage plaintexts are padded with zeros to a multiple of this many bytes
    /// (0 or 1 = no padding). Default 32.
    pub padding_block: u16,
    /// The current time (seconds since the Unix epoch), for LeafNode lifetime checks (RFC 9420
    /// section 7.3). `None` = the lifetime is not checked. The library has no clock: update it
    /// with [`crate::group::Group::set_config`].
    pub current_time: Option<u64>,
    /// Longest acceptable LeafNode lifetime (`not_after - not_before`, seconds) of KeyPackage
    /// leaves. RFC 9420 section 7.2: "Applications MUST define a maximum total lifetime that is
    /// acceptable for a LeafNode, and reject any LeafNode where the total lifetime is longer
    /// than this duration." The right value is a deployment decision (how often key packages
    /// are rotated), so the default is `None` (no bound) and an application sets it.
    pub max_lifetime: Option<u64>,
    /// Whether `current_time` also applies to leaves this member *receives*: the leaves of a
    /// Welcome's or GroupInfo's tree, of received proposals and of received Commits. Default
    /// `false`: RFC 9420 section 7.3 makes that check only RECOMMENDED, because members whose
    /// clocks differ (or that process a Commit late) would disagree and fork the group. The
    /// lifetime is always checked where this member is the sender: KeyPackages it adds and its
    /// own leaves (docs/spec-decisions.md, "Lifetimes and the local clock").
    pub check_received_lifetimes: bool,
    /// CBST state bounds (draft-kohbrok-mls-virtual-clients-03 section 5.5.6): siblings are
    /// kept down to this depth, 1..=64. Default 32 (docs/performance.md).
    pub cbst_prune_depth: u8,
    /// CBST state bounds: stored nodes at most (48 bytes each). Default 2048.
    pub cbst_max_nodes: u32,
    /// Late messages (application PrivateMessages and CBAMs of a retained past epoch, RFC 9420
    /// section 14.4) whose sender's leaf a later Commit this member merged has replaced
    /// (UpdatePath, Update proposal) or removed. Default [`LatePolicy::Refuse`]
    /// (docs/spec-decisions.md, "Late messages from replaced leaves").
    pub late_messages_from_updated_senders: LatePolicy,
}

/// What to do with a late message (an application PrivateMessage or CBAM of a retained past
/// epoch) whose sender's leaf was replaced or removed by a Commit this member merged after that
/// epoch.
///
/// RFC 9420 section 14.4 lets a member keep past epochs' keys for late messages; it does not
/// say which senders to accept. A leaf is replaced because its old secrets may be known to
/// someone else: a device removed from a virtual client's emulation group held all of the
/// virtual client's secrets of the epochs before the removal (issue 18), and a compromised
/// member heals by an Update. Anyone who still holds those secrets can forge a "late" message of
/// the old epoch that no cryptography tells apart from a genuine one. Refusing them closes that
/// hole; the price is that a genuine message which its sender sent just before replacing its
/// leaf and which arrives after the Commit is lost (docs/security.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LatePolicy {
    /// Refuse with [`crate::group::GroupError::LateMessageFromReplacedSender`] (the default).
    #[default]
    Refuse,
    /// Accept as long as the epoch is retained (the behaviour before state format 4; a sender
    /// whose old secrets leaked can forge messages of the retained epochs).
    Accept,
}

impl LatePolicy {
    fn to_u8(self) -> u8 {
        match self {
            LatePolicy::Refuse => 0,
            LatePolicy::Accept => 1,
        }
    }
    fn from_u8(v: u8) -> Result<Self, CodecError> {
        match v {
            0 => Ok(LatePolicy::Refuse),
            1 => Ok(LatePolicy::Accept),
            b => Err(CodecError::InvalidEnum(u64::from(b))),
        }
    }
}

impl GroupConfig {
    /// The defaults listed on each field.
    pub const DEFAULT: Self = Self {
        max_members: 1024,
        max_message_size: 1 << 20,
        max_forward_distance: vmls_secret_tree::DEFAULT_MAX_FORWARD_DISTANCE,
        max_retained_keys: vmls_secret_tree::DEFAULT_MAX_RETAINED_KEYS,
        max_past_epochs: 2,
        max_pending_proposals: 256,
        max_resumption_psks: 8,
        handshake_wire_format: WireFormat::PrivateMessage,
        padding_block: 32,
        current_time: None,
        max_lifetime: None,
        check_received_lifetimes: false,
        cbst_prune_depth: vmls_cbst::DEFAULT_PRUNE_DEPTH,
        cbst_max_nodes: vmls_cbst::DEFAULT_MAX_NODES,
        late_messages_from_updated_senders: LatePolicy::Refuse,
    };

    /// The CBST's part.
    pub fn cbst(&self) -> vmls_cbst::CbstConfig {
        vmls_cbst::CbstConfig {
            prune_depth: self.cbst_prune_depth,
            max_nodes: self.cbst_max_nodes,
        }
    }

    /// The secret tree's part.
    pub fn secret_tree(&self) -> SecretTreeConfig {
        SecretTreeConfig {
            max_forward_distance: self.max_forward_distance,
            max_retained_keys: self.max_retained_keys,
        }
    }

    /// Largest number of leaves a decoded ratchet tree may have (the next power of two above
    /// `max_members`, at least 1).
    pub fn max_tree_leaves(&self) -> u32 {
        self.max_members
            .max(1)
            .checked_next_power_of_two()
            .unwrap_or(1 << 31)
    }

    /// The time to check the lifetime of a leaf this member sends or adds against (RFC 9420
    /// section 7.3 "MUST"): `current_time`.
    pub fn own_lifetime_now(&self) -> Option<u64> {
        self.current_time
    }

    /// The time to check the lifetime of a received leaf against: `current_time` only if
    /// `check_received_lifetimes` is set, else none (the lifetime is not checked; `max_lifetime`
    /// still is).
    pub fn received_lifetime_now(&self) -> Option<u64> {
        if self.check_received_lifetimes {
            self.current_time
        } else {
            None
        }
    }

    /// Decodes the configuration of a state blob of format `version` (1: without
    /// `check_received_lifetimes`, which then takes its default; before 3 without the CBST
    /// bounds; before 4 without `late_messages_from_updated_senders`, which then takes its
    /// default, `Refuse`).
    pub(crate) fn decode_versioned(r: &mut Reader<'_>, version: u16) -> Result<Self, CodecError> {
        let mut c = Self::decode_fields(r)?;
        if version >= 2 {
            c.check_received_lifetimes = bool::decode(r)?;
        }
        if version >= 3 {
            c.cbst_prune_depth = u8::decode(r)?;
            c.cbst_max_nodes = u32::decode(r)?;
            c.cbst()
                .validate()
                .map_err(|_| CodecError::InvalidEnum(u64::from(c.cbst_prune_depth)))?;
        }
        if version >= 4 {
            c.late_messages_from_updated_senders = LatePolicy::from_u8(u8::decode(r)?)?;
        }
        Ok(c)
    }

    /// Zero bytes to pad a plaintext of `len` bytes with.
    pub fn padding_for(&self, len: usize) -> usize {
        let block = usize::from(self.padding_block);
        if block <= 1 {
            return 0;
        }
        (block - len % block) % block
    }
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Encoding inside the state blob: the fields in order, the wire format as uint16.
impl Encode for GroupConfig {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.max_members.encode(w)?;
        self.max_message_size.encode(w)?;
        self.max_forward_distance.encode(w)?;
        self.max_retained_keys.encode(w)?;
        self.max_past_epochs.encode(w)?;
        self.max_pending_proposals.encode(w)?;
        self.max_resumption_psks.encode(w)?;
        self.handshake_wire_format.encode(w)?;
        self.padding_block.encode(w)?;
        self.current_time.encode(w)?;
        self.max_lifetime.encode(w)?;
        self.check_received_lifetimes.encode(w)?;
        self.cbst_prune_depth.encode(w)?;
        self.cbst_max_nodes.encode(w)?;
        self.late_messages_from_updated_senders.to_u8().encode(w)
    }
    fn encoded_len(&self) -> usize {
        4 * 4
            + 2 * 3
            + 2
            + 2
            + self.current_time.encoded_len()
            + self.max_lifetime.encoded_len()
            + 1
            + 1
            + 4
            + 1
    }
}

impl Decode for GroupConfig {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Self::decode_versioned(r, super::STATE_VERSION)
    }
}

impl GroupConfig {
    /// The fields of format version 1.
    fn decode_fields(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let c = Self {
            max_members: u32::decode(r)?,
            max_message_size: u32::decode(r)?,
            max_forward_distance: u32::decode(r)?,
            max_retained_keys: u32::decode(r)?,
            max_past_epochs: u16::decode(r)?,
            max_pending_proposals: u16::decode(r)?,
            max_resumption_psks: u16::decode(r)?,
            handshake_wire_format: WireFormat::decode(r)?,
            padding_block: u16::decode(r)?,
            current_time: Option::<u64>::decode(r)?,
            max_lifetime: Option::<u64>::decode(r)?,
            check_received_lifetimes: false,
            cbst_prune_depth: vmls_cbst::DEFAULT_PRUNE_DEPTH,
            cbst_max_nodes: vmls_cbst::DEFAULT_MAX_NODES,
            late_messages_from_updated_senders: LatePolicy::Refuse,
        };
        if !matches!(
            c.handshake_wire_format,
            WireFormat::PublicMessage | WireFormat::PrivateMessage
        ) {
            return Err(CodecError::InvalidEnum(u64::from(
                c.handshake_wire_format.value(),
            )));
        }
        Ok(c)
    }
}
