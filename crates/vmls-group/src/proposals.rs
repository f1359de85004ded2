//! Proposals (RFC 9420 section 12.1) and `ProposalOrRef` (section 12.4).
use alloc::boxed::Box;
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error, OpaqueArray, Reader, VLBytes, Writer, tls_struct};
use vmls_crypto::NH;
use vmls_tree::{Extension, LeafNode};

use crate::framing::ProtocolVersion;
use crate::key_package::KeyPackage;
use vmls_keyschedule::PreSharedKeyId;

/// `ProposalType` values (RFC 9420 section 17.4).
pub mod proposal_type {
    /// `add`.
    pub const ADD: u16 = 0x0001;
    /// `update`.
    pub const UPDATE: u16 = 0x0002;
    /// `remove`.
    pub const REMOVE: u16 = 0x0003;
    /// `psk`.
    pub const PSK: u16 = 0x0004;
    /// `reinit`.
    pub const REINIT: u16 = 0x0005;
    /// `external_init`.
    pub const EXTERNAL_INIT: u16 = 0x0006;
    /// `group_context_extensions`.
    pub const GROUP_CONTEXT_EXTENSIONS: u16 = 0x0007;
}

tls_struct! {
    /// `Add` (RFC 9420 section 12.1.1).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Add {
        /// The KeyPackage of the client to add.
        pub key_package: KeyPackage,
    }
}

tls_struct! {
    /// `Update` (RFC 9420 section 12.1.2).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Update {
        /// The sender's new leaf (`leaf_node_source` = `update`).
        pub leaf_node: LeafNode,
    }
}

tls_struct! {
    /// `Remove` (RFC 9420 section 12.1.3).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Remove {
        /// Leaf index of the member to remove.
        pub removed: u32,
    }
}

tls_struct! {
    /// `PreSharedKey` (RFC 9420 section 12.1.4).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct PreSharedKey {
        /// The PSK to inject.
        pub psk: PreSharedKeyId,
    }
}

tls_struct! {
    /// `ReInit` (RFC 9420 section 12.1.5).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ReInit {
        /// Group ID of the new group.
        pub group_id: VLBytes,
        /// Protocol version of the new group.
        pub version: ProtocolVersion,
        /// Cipher suite of the new group.
        pub cipher_suite: u16,
        /// GroupContext extensions of the new group.
        pub extensions: Vec<Extension>,
    }
}

tls_struct! {
    /// `ExternalInit` (RFC 9420 section 12.1.6).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ExternalInit {
        /// KEM output to the group's `external_pub`.
        pub kem_output: VLBytes,
    }
}

tls_struct! {
    /// `GroupContextExtensions` (RFC 9420 section 12.1.7).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct GroupContextExtensions {
        /// The full new list of GroupContext extensions.
        pub extensions: Vec<Extension>,
    }
}

/// `Proposal` (RFC 9420 section 12.1). A proposal type outside the seven of RFC 9420 cannot be
/// parsed (its body has no length prefix) and decodes as [`Error::InvalidEnum`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proposal {
    /// `add`.
    Add(Add),
    /// `update`.
    Update(Update),
    /// `remove`.
    Remove(Remove),
    /// `psk`.
    PreSharedKey(PreSharedKey),
    /// `reinit`.
    ReInit(ReInit),
    /// `external_init`.
    ExternalInit(ExternalInit),
    /// `group_context_extensions`.
    GroupContextExtensions(GroupContextExtensions),
}

impl Proposal {
    /// The `ProposalType` of this proposal.
    pub fn proposal_type(&self) -> u16 {
        match self {
            Proposal::Add(_) => proposal_type::ADD,
            Proposal::Update(_) => proposal_type::UPDATE,
            Proposal::Remove(_) => proposal_type::REMOVE,
            Proposal::PreSharedKey(_) => proposal_type::PSK,
            Proposal::ReInit(_) => proposal_type::REINIT,
            Proposal::ExternalInit(_) => proposal_type::EXTERNAL_INIT,
            Proposal::GroupContextExtensions(_) => proposal_type::GROUP_CONTEXT_EXTENSIONS,
        }
    }

    /// Whether a Commit covering this proposal must carry a path (RFC 9420 section 12.4:
    /// `update`, `remove`, `external_init`, `group_context_extensions`).
    pub fn requires_path(&self) -> bool {
        matches!(
            self,
            Proposal::Update(_)
                | Proposal::Remove(_)
                | Proposal::ExternalInit(_)
                | Proposal::GroupContextExtensions(_)
        )
    }

    /// Whether an `external` sender may send this proposal (RFC 9420 section 12.1.8).
    pub fn allowed_from_external_sender(&self) -> bool {
        matches!(
            self,
            Proposal::Add(_)
                | Proposal::Remove(_)
                | Proposal::PreSharedKey(_)
                | Proposal::ReInit(_)
                | Proposal::GroupContextExtensions(_)
        )
    }
}

impl Encode for Proposal {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.proposal_type().encode(w)?;
        match self {
            Proposal::Add(p) => p.encode(w),
            Proposal::Update(p) => p.encode(w),
            Proposal::Remove(p) => p.encode(w),
            Proposal::PreSharedKey(p) => p.encode(w),
            Proposal::ReInit(p) => p.encode(w),
            Proposal::ExternalInit(p) => p.encode(w),
            Proposal::GroupContextExtensions(p) => p.encode(w),
        }
    }
    fn encoded_len(&self) -> usize {
        2 + match self {
            Proposal::Add(p) => p.encoded_len(),
            Proposal::Update(p) => p.encoded_len(),
            Proposal::Remove(p) => p.encoded_len(),
            Proposal::PreSharedKey(p) => p.encoded_len(),
            Proposal::ReInit(p) => p.encoded_len(),
            Proposal::ExternalInit(p) => p.encoded_len(),
            Proposal::GroupContextExtensions(p) => p.encoded_len(),
        }
    }
}

impl Decode for Proposal {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match u16::decode(r)? {
            proposal_type::ADD => Proposal::Add(Add::decode(r)?),
            proposal_type::UPDATE => Proposal::Update(Update::decode(r)?),
            proposal_type::REMOVE => Proposal::Remove(Remove::decode(r)?),
            proposal_type::PSK => Proposal::PreSharedKey(PreSharedKey::decode(r)?),
            proposal_type::REINIT => Proposal::ReInit(ReInit::decode(r)?),
            proposal_type::EXTERNAL_INIT => Proposal::ExternalInit(ExternalInit::decode(r)?),
            proposal_type::GROUP_CONTEXT_EXTENSIONS => {
                Proposal::GroupContextExtensions(GroupContextExtensions::decode(r)?)
            }
            t => return Err(Error::InvalidEnum(u64::from(t))),
        })
    }
}

/// `ProposalRef` = `MakeProposalRef(AuthenticatedContent)` (RFC 9420 section 5.2).
pub type ProposalRef = OpaqueArray<NH>;

/// `ProposalOrRef` (RFC 9420 section 12.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalOrRef {
    /// `proposal(1)`: the proposal inline (boxed: an Add carries a whole KeyPackage, a reference
    /// 32 bytes).
    Proposal(Box<Proposal>),
    /// `reference(2)`: a proposal sent earlier in the epoch.
    Reference(ProposalRef),
}

impl Encode for ProposalOrRef {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        match self {
            ProposalOrRef::Proposal(p) => {
                1u8.encode(w)?;
                p.encode(w)
            }
            ProposalOrRef::Reference(r) => {
                2u8.encode(w)?;
                r.encode(w)
            }
        }
    }
    fn encoded_len(&self) -> usize {
        1 + match self {
            ProposalOrRef::Proposal(p) => p.encoded_len(),
            ProposalOrRef::Reference(r) => r.encoded_len(),
        }
    }
}

impl Decode for ProposalOrRef {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(r)? {
            1 => Ok(ProposalOrRef::Proposal(Box::new(Proposal::decode(r)?))),
            2 => Ok(ProposalOrRef::Reference(ProposalRef::decode(r)?)),
            t => Err(Error::InvalidEnum(u64::from(t))),
        }
    }
}
