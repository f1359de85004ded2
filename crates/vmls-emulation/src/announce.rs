//! The announcement of a virtual client's actions: a `VirtualClientActions` SafeAAD item
//! (component `0x8001`) in the `authenticated_data` of a commit in the emulation group
//! (`CBST-CBAM.md`, "announcing actions"; SafeAAD of draft-ietf-mls-extensions).
//!
//! ```text
//! struct { ComponentID component_id; opaque aad_item_data<V>; } SafeAADItem;   // uint16 ComponentID
//! struct { SafeAADItem aad_items<V>; } SafeAAD;          // items sorted by component_id, unique
//! enum { create_vc(1), key_packages(2), join_group(3), commit(4), leave_group(5),
//!        provision(6), propose(7), create_group(8), announce(9), (255) } VcActionType;
//! struct { uint32 vc_id; VcActionType action; opaque target_group_id<V>; opaque detail<V>; }
//!     VirtualClientAction;
//! struct { VirtualClientAction actions<V>; } VirtualClientActions;
//! ```
//! The `detail` of each action is one of the structs of this module ([`CreateVcDetail`],
//! [`KeyPackagesDetail`], [`JoinDetail`], [`CommitDetail`], [`LeaveDetail`],
//! [`ProposeDetail`], [`AnnounceDetail`]), encoded exactly (no trailing bytes).
//!
//! Every decoder is bounded by its input and by the `MAX_*` constants here.
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer, encode_opaque, opaque_len};
use vmls_group::{KeyPackage, Proposal};
use vmls_tree::Credential;

/// The SafeAAD component (and safe-exporter component) of vmls's virtual clients.
pub const VC_COMPONENT_ID: u16 = vmls_group::group::VMLS_COMPONENT_ID;
/// Most actions in one announcement: enough for a device removal to update V in up to 128
/// groups in the same announcement (issue 18: "in the same announcement, V updates its leaf in
/// every higher-level group"); `EmulatorConfig::max_groups_per_vc` has the same default.
pub const MAX_ACTIONS: usize = 128;
/// Most bytes of a `target_group_id`.
pub const MAX_GROUP_ID_LEN: usize = 255;
/// Most bytes of one action's `detail`.
pub const MAX_DETAIL_LEN: usize = 32 * 1024;
/// Most bytes of a whole `authenticated_data` that carries an announcement.
pub const MAX_ANNOUNCEMENT_LEN: usize = 64 * 1024;
/// Most SafeAAD items in one `authenticated_data`.
pub const MAX_SAFE_AAD_ITEMS: usize = 16;
/// Most KeyPackages one `key_packages` action creates.
pub const MAX_KEY_PACKAGES_PER_ACTION: u16 = 32;
/// Most proposals by value in one `commit` action.
pub const MAX_COMMIT_PROPOSALS: usize = 16;

/// Why an announcement could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementError {
    /// The bytes do not decode (truncated, trailing bytes, bad enum value).
    Codec(CodecError),
    /// SafeAAD items are not strictly increasing by `component_id`.
    UnsortedSafeAad,
    /// A size or count above the bound named by the constant.
    TooLarge,
    /// An action type this build does not know or does not execute (e.g. `provision`).
    UnsupportedAction(u8),
    /// An `announce` action's `authenticated_data` carries no `VirtualClientActions` item.
    NotAnAnnouncement,
}

impl From<CodecError> for AnnouncementError {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}

/// `VcActionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum VcActionType {
    /// Create a virtual client: its `vc_id`, credential and signature key.
    CreateVc = 1,
    /// Create KeyPackages for V (their private keys are derived, so every emulator holds them).
    KeyPackages = 2,
    /// V joins `target_group_id` from a Welcome.
    JoinGroup = 3,
    /// V commits in `target_group_id`.
    Commit = 4,
    /// V leaves `target_group_id` (proposes its own removal).
    LeaveGroup = 5,
    /// Provision a new emulator (`crate::provision::ProvisionDetail`).
    Provision = 6,
    /// V sends a proposal in `target_group_id`.
    Propose = 7,
    /// V creates the one-member group `target_group_id` (requiring CBAM); empty detail.
    CreateGroup = 8,
    /// V commits in `target_group_id`, an emulation group in which V is itself an emulator
    /// (nesting, `crate::nest`), with the next level's announcement as the commit's
    /// `authenticated_data` ([`AnnounceDetail`]).
    Announce = 9,
}

impl VcActionType {
    fn from_u8(v: u8) -> Result<Self, AnnouncementError> {
        Ok(match v {
            1 => Self::CreateVc,
            2 => Self::KeyPackages,
            3 => Self::JoinGroup,
            4 => Self::Commit,
            5 => Self::LeaveGroup,
            6 => Self::Provision,
            7 => Self::Propose,
            8 => Self::CreateGroup,
            9 => Self::Announce,
            other => return Err(CodecError::InvalidEnum(u64::from(other)).into()),
        })
    }
}

/// `VirtualClientAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualClientAction {
    /// The virtual client acting.
    pub vc_id: u32,
    /// What it does.
    pub action: VcActionType,
    /// The higher-level group (empty for `create_vc` and `key_packages`).
    pub target_group_id: Vec<u8>,
    /// The encoded detail struct of `action`.
    pub detail: Vec<u8>,
}

impl Encode for VirtualClientAction {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.vc_id.encode(w)?;
        (self.action as u8).encode(w)?;
        encode_opaque(w, &self.target_group_id)?;
        encode_opaque(w, &self.detail)
    }
    fn encoded_len(&self) -> usize {
        5 + opaque_len(self.target_group_id.len()) + opaque_len(self.detail.len())
    }
}

impl Decode for VirtualClientAction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let vc_id = u32::decode(r)?;
        let action = VcActionType::from_u8(u8::decode(r)?).map_err(|e| match e {
            AnnouncementError::Codec(c) => c,
            _ => CodecError::InvalidEnum(0),
        })?;
        let target_group_id = r.read_opaque()?;
        let detail = r.read_opaque()?;
        if target_group_id.len() > MAX_GROUP_ID_LEN || detail.len() > MAX_DETAIL_LEN {
            return Err(CodecError::LimitExceeded);
        }
        Ok(Self {
            vc_id,
            action,
            target_group_id: target_group_id.into(),
            detail: detail.into(),
        })
    }
}

/// `VirtualClientActions`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VirtualClientActions {
    /// The actions, executed in this order.
    pub actions: Vec<VirtualClientAction>,
}

impl VirtualClientActions {
    /// Encodes the actions.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        if self.actions.len() > MAX_ACTIONS {
            return Err(AnnouncementError::TooLarge);
        }
        let mut body = Vec::new();
        for a in &self.actions {
            if a.target_group_id.len() > MAX_GROUP_ID_LEN || a.detail.len() > MAX_DETAIL_LEN {
                return Err(AnnouncementError::TooLarge);
            }
            a.encode(&mut body)?;
        }
        let mut out = Vec::with_capacity(opaque_len(body.len()));
        encode_opaque(&mut out, &body)?;
        Ok(out)
    }

    /// Decodes exactly `bytes`, with at most [`MAX_ACTIONS`] actions.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut outer = Reader::new(bytes);
        let body = outer.read_opaque()?;
        outer.finish()?;
        let mut r = Reader::new(body);
        let mut actions = Vec::new();
        while !r.is_empty() {
            if actions.len() >= MAX_ACTIONS {
                return Err(AnnouncementError::TooLarge);
            }
            actions.push(VirtualClientAction::decode(&mut r)?);
        }
        Ok(Self { actions })
    }

    /// The `authenticated_data` of an announcing commit: a SafeAAD with this item only.
    pub fn to_authenticated_data(&self) -> Result<Vec<u8>, AnnouncementError> {
        let item = self.to_bytes()?;
        let aad = encode_safe_aad(&[(VC_COMPONENT_ID, &item)])?;
        if aad.len() > MAX_ANNOUNCEMENT_LEN {
            return Err(AnnouncementError::TooLarge);
        }
        Ok(aad)
    }

    /// Reads the announcement in a commit's `authenticated_data`: `None` when it is empty or
    /// has no item of component [`VC_COMPONENT_ID`] (an ordinary commit of the emulation group).
    pub fn from_authenticated_data(aad: &[u8]) -> Result<Option<Self>, AnnouncementError> {
        if aad.is_empty() {
            return Ok(None);
        }
        if aad.len() > MAX_ANNOUNCEMENT_LEN {
            return Err(AnnouncementError::TooLarge);
        }
        match find_safe_aad_item(aad, VC_COMPONENT_ID)? {
            Some(item) => Ok(Some(Self::from_bytes(item)?)),
            None => Ok(None),
        }
    }
}

/// Encodes a `SafeAAD` of `items` (which must be strictly increasing by component id).
pub fn encode_safe_aad(items: &[(u16, &[u8])]) -> Result<Vec<u8>, AnnouncementError> {
    if items.len() > MAX_SAFE_AAD_ITEMS {
        return Err(AnnouncementError::TooLarge);
    }
    let mut body = Vec::new();
    let mut last: Option<u16> = None;
    for (id, data) in items {
        if last.is_some_and(|l| l >= *id) {
            return Err(AnnouncementError::UnsortedSafeAad);
        }
        last = Some(*id);
        id.encode(&mut body)?;
        encode_opaque(&mut body, data)?;
    }
    let mut out = Vec::with_capacity(opaque_len(body.len()));
    encode_opaque(&mut out, &body)?;
    Ok(out)
}

/// Parses a whole `SafeAAD` (exactly, sorted, at most [`MAX_SAFE_AAD_ITEMS`] items) and returns
/// the data of `component`'s item, if any.
pub fn find_safe_aad_item(aad: &[u8], component: u16) -> Result<Option<&[u8]>, AnnouncementError> {
    let mut outer = Reader::new(aad);
    let body = outer.read_opaque()?;
    outer.finish()?;
    let mut r = Reader::new(body);
    let mut last: Option<u16> = None;
    let mut found = None;
    let mut n = 0usize;
    while !r.is_empty() {
        n += 1;
        if n > MAX_SAFE_AAD_ITEMS {
            return Err(AnnouncementError::TooLarge);
        }
        let id = u16::decode(&mut r)?;
        let data = r.read_opaque()?;
        if last.is_some_and(|l| l >= id) {
            return Err(AnnouncementError::UnsortedSafeAad);
        }
        last = Some(id);
        if id == component {
            found = Some(data);
        }
    }
    Ok(found)
}

fn decode_exact<T: Decode>(bytes: &[u8]) -> Result<T, AnnouncementError> {
    Ok(T::decode_exact(bytes)?)
}

/// `struct { Credential credential; } CreateVcDetail;` V's credential (RFC 9420 `Credential`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateVcDetail {
    /// V's credential in every group it joins.
    pub credential: Credential,
}

impl CreateVcDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        Ok(self.credential.to_bytes()?)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        Ok(Self {
            credential: decode_exact(bytes)?,
        })
    }
}

/// `struct { uint16 count; uint64 not_before; uint64 not_after; } KeyPackagesDetail;`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPackagesDetail {
    /// How many KeyPackages (1..=[`MAX_KEY_PACKAGES_PER_ACTION`]).
    pub count: u16,
    /// Lifetime start of every leaf.
    pub not_before: u64,
    /// Lifetime end of every leaf.
    pub not_after: u64,
}

impl KeyPackagesDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        let mut out = Vec::with_capacity(18);
        self.count.encode(&mut out)?;
        self.not_before.encode(&mut out)?;
        self.not_after.encode(&mut out)?;
        Ok(out)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader::new(bytes);
        let d = Self {
            count: u16::decode(&mut r)?,
            not_before: u64::decode(&mut r)?,
            not_after: u64::decode(&mut r)?,
        };
        r.finish()?;
        if d.count == 0 || d.count > MAX_KEY_PACKAGES_PER_ACTION {
            return Err(AnnouncementError::TooLarge);
        }
        Ok(d)
    }
}

/// `struct { opaque key_package_ref<V>; opaque welcome_digest<V>; } JoinDetail;` both `Nh` = 32
/// bytes: the KeyPackageRef of V's KeyPackage the Welcome is for, and SHA-256 of the encoded
/// `MLSMessage(Welcome)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinDetail {
    /// `MakeKeyPackageRef` of the KeyPackage used.
    pub key_package_ref: [u8; 32],
    /// SHA-256 of the Welcome message.
    pub welcome_digest: [u8; 32],
}

impl JoinDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        let mut out = Vec::with_capacity(66);
        encode_opaque(&mut out, &self.key_package_ref)?;
        encode_opaque(&mut out, &self.welcome_digest)?;
        Ok(out)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader::new(bytes);
        let d = Self {
            key_package_ref: r.read_opaque_array()?,
            welcome_digest: r.read_opaque_array()?,
        };
        r.finish()?;
        Ok(d)
    }
}

/// `struct { uint64 epoch; uint8 include_pending; Proposal proposals<V>; } CommitDetail;`
/// V commits in the target group at `epoch` (V's epoch there when announced), with an
/// UpdatePath always, the given proposals by value, and the cached ones by reference if
/// `include_pending` is 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDetail {
    /// The target group's epoch the commit is made in.
    pub epoch: u64,
    /// Include the proposals cached in that epoch by reference.
    pub include_pending: bool,
    /// Proposals by value (Add, Remove, ...), at most [`MAX_COMMIT_PROPOSALS`].
    pub proposals: Vec<Proposal>,
}

impl CommitDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        if self.proposals.len() > MAX_COMMIT_PROPOSALS {
            return Err(AnnouncementError::TooLarge);
        }
        let mut out = Vec::new();
        self.epoch.encode(&mut out)?;
        self.include_pending.encode(&mut out)?;
        self.proposals.encode(&mut out)?;
        Ok(out)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader::new(bytes);
        let epoch = u64::decode(&mut r)?;
        let include_pending = bool::decode(&mut r)?;
        let list = r.read_opaque()?;
        r.finish()?;
        let mut lr = Reader::new(list);
        let mut proposals = Vec::new();
        while !lr.is_empty() {
            if proposals.len() >= MAX_COMMIT_PROPOSALS {
                return Err(AnnouncementError::TooLarge);
            }
            proposals.push(Proposal::decode(&mut lr)?);
        }
        Ok(Self {
            epoch,
            include_pending,
            proposals,
        })
    }
}

/// `struct { uint64 epoch; } LeaveDetail;` V proposes its own removal at `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaveDetail {
    /// The target group's epoch.
    pub epoch: u64,
}

impl LeaveDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        Ok(self.epoch.to_bytes()?)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        Ok(Self {
            epoch: decode_exact(bytes)?,
        })
    }
}

/// What V proposes:
/// `struct { uint8 kind; select (kind) { case 1 update: struct {}; case 2 add: KeyPackage;
/// case 3 remove: uint32 leaf; } } ProposalRequest;`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalRequest {
    /// An Update of V's leaf (fresh encryption key, operation `leaf_update`).
    Update,
    /// Add the client of a KeyPackage.
    Add(alloc::boxed::Box<KeyPackage>),
    /// Remove the member at a leaf.
    Remove(u32),
}

/// `struct { uint64 epoch; ProposalRequest request; } ProposeDetail;`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposeDetail {
    /// The target group's epoch.
    pub epoch: u64,
    /// The proposal.
    pub request: ProposalRequest,
}

impl ProposeDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        let mut out = Vec::new();
        self.epoch.encode(&mut out)?;
        match &self.request {
            ProposalRequest::Update => 1u8.encode(&mut out)?,
            ProposalRequest::Add(kp) => {
                2u8.encode(&mut out)?;
                kp.encode(&mut out)?;
            }
            ProposalRequest::Remove(leaf) => {
                3u8.encode(&mut out)?;
                leaf.encode(&mut out)?;
            }
        }
        Ok(out)
    }
    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader::new(bytes);
        let epoch = u64::decode(&mut r)?;
        let request = match u8::decode(&mut r)? {
            1 => ProposalRequest::Update,
            2 => ProposalRequest::Add(alloc::boxed::Box::new(KeyPackage::decode(&mut r)?)),
            3 => ProposalRequest::Remove(u32::decode(&mut r)?),
            other => return Err(CodecError::InvalidEnum(u64::from(other)).into()),
        };
        r.finish()?;
        Ok(Self { epoch, request })
    }
}

/// `struct { uint64 epoch; Proposal proposals<V>; opaque authenticated_data<V>; } AnnounceDetail;`
/// (nesting, `crate::nest`): V commits in the target group, an emulation group one level up in
/// which V is an emulator, at `epoch`, with an UpdatePath, the given proposals by value and the
/// cached ones by reference (as [`crate::Emulator::announce`] commits in G), and
/// `authenticated_data` as the commit's `authenticated_data`. `authenticated_data` must be a
/// `SafeAAD` that carries a `VirtualClientActions` item (checked on decoding): the
/// announcement of the level above, which that level's emulators execute when the commit
/// comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceDetail {
    /// The target group's epoch the commit is made in.
    pub epoch: u64,
    /// Proposals by value, at most [`MAX_COMMIT_PROPOSALS`].
    pub proposals: Vec<Proposal>,
    /// The commit's `authenticated_data`: a SafeAAD with a `VirtualClientActions` item.
    pub authenticated_data: Vec<u8>,
}

impl AnnounceDetail {
    /// Encodes the detail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnouncementError> {
        if self.proposals.len() > MAX_COMMIT_PROPOSALS {
            return Err(AnnouncementError::TooLarge);
        }
        Self::check_announcement(&self.authenticated_data)?;
        let mut out = Vec::new();
        self.epoch.encode(&mut out)?;
        self.proposals.encode(&mut out)?;
        encode_opaque(&mut out, &self.authenticated_data)?;
        Ok(out)
    }

    /// Decodes exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader::new(bytes);
        let epoch = u64::decode(&mut r)?;
        let list = r.read_opaque()?;
        let authenticated_data = r.read_opaque()?;
        r.finish()?;
        let mut lr = Reader::new(list);
        let mut proposals = Vec::new();
        while !lr.is_empty() {
            if proposals.len() >= MAX_COMMIT_PROPOSALS {
                return Err(AnnouncementError::TooLarge);
            }
            proposals.push(Proposal::decode(&mut lr)?);
        }
        Self::check_announcement(authenticated_data)?;
        Ok(Self {
            epoch,
            proposals,
            authenticated_data: authenticated_data.into(),
        })
    }

    /// The nested `authenticated_data` must decode as an announcement (bounded as one).
    fn check_announcement(aad: &[u8]) -> Result<(), AnnouncementError> {
        match VirtualClientActions::from_authenticated_data(aad)? {
            Some(_) => Ok(()),
            None => Err(AnnouncementError::NotAnAnnouncement),
        }
    }
}
