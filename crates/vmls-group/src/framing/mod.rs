//! Message framing (RFC 9420 section 6): the structures every handshake and application message
//! is carried in, and `MLSMessage`.
//!
//! * [`public`]: signing `FramedContent` (6.1) and the PublicMessage membership tag (6.2),
//! * [`private`]: PrivateMessage encryption and decryption (6.3),
//! * [`application`]: the application-message path on caller buffers, without heap allocation.
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error, OpaqueArray, Reader, VLBytes, Writer, tls_struct};
use vmls_crypto::NH;
use vmls_tree::node::SignatureBytes;

use crate::commit::Commit;
use crate::group_info::GroupInfo;
use crate::key_package::KeyPackage;
use crate::proposals::Proposal;
use crate::welcome::Welcome;

pub mod application;
pub mod cbam;
pub mod private;
pub mod public;

/// `MAC` (RFC 9420 section 6.1): `opaque<V>` holding one `KDF.Nh`-byte HMAC output.
pub type Mac = OpaqueArray<NH>;

/// `ProtocolVersion` (RFC 9420 section 6). Any value decodes (a ReInit may name a later
/// version); [`MLSMessage`] accepts only [`ProtocolVersion::MLS10`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// `mls10(1)`.
    pub const MLS10: Self = Self(1);
}

impl Encode for ProtocolVersion {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.0.encode(w)
    }
    fn encoded_len(&self) -> usize {
        2
    }
}

impl Decode for ProtocolVersion {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        u16::decode(r).map(Self)
    }
}

/// `WireFormat` (RFC 9420 sections 6 and 17.2). Values outside the registry decode as
/// [`Error::InvalidEnum`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// `mls_public_message(1)`.
    PublicMessage,
    /// `mls_private_message(2)`.
    PrivateMessage,
    /// `mls_welcome(3)`.
    Welcome,
    /// `mls_group_info(4)`.
    GroupInfo,
    /// `mls_key_package(5)`.
    KeyPackage,
}

impl WireFormat {
    /// The value on the wire.
    pub fn value(self) -> u16 {
        match self {
            WireFormat::PublicMessage => 1,
            WireFormat::PrivateMessage => 2,
            WireFormat::Welcome => 3,
            WireFormat::GroupInfo => 4,
            WireFormat::KeyPackage => 5,
        }
    }

    /// The wire format with value `v`.
    pub fn from_value(v: u16) -> Result<Self, Error> {
        Ok(match v {
            1 => WireFormat::PublicMessage,
            2 => WireFormat::PrivateMessage,
            3 => WireFormat::Welcome,
            4 => WireFormat::GroupInfo,
            5 => WireFormat::KeyPackage,
            v => return Err(Error::InvalidEnum(u64::from(v))),
        })
    }
}

impl Encode for WireFormat {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.value().encode(w)
    }
    fn encoded_len(&self) -> usize {
        2
    }
}

impl Decode for WireFormat {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Self::from_value(u16::decode(r)?)
    }
}

/// `ContentType` (RFC 9420 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `application(1)`.
    Application,
    /// `proposal(2)`.
    Proposal,
    /// `commit(3)`.
    Commit,
}

impl ContentType {
    /// The value on the wire.
    pub fn value(self) -> u8 {
        match self {
            ContentType::Application => 1,
            ContentType::Proposal => 2,
            ContentType::Commit => 3,
        }
    }

    /// The content type with value `v`.
    pub fn from_value(v: u8) -> Result<Self, Error> {
        Ok(match v {
            1 => ContentType::Application,
            2 => ContentType::Proposal,
            3 => ContentType::Commit,
            v => return Err(Error::InvalidEnum(u64::from(v))),
        })
    }
}

impl Encode for ContentType {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.value().encode(w)
    }
    fn encoded_len(&self) -> usize {
        1
    }
}

impl Decode for ContentType {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Self::from_value(u8::decode(r)?)
    }
}

/// `Sender` (RFC 9420 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sender {
    /// `member(1)`: the member at this leaf index.
    Member(u32),
    /// `external(2)`: the entry at this index of the `external_senders` extension.
    External(u32),
    /// `new_member_proposal(3)`: a joiner proposing its own Add.
    NewMemberProposal,
    /// `new_member_commit(4)`: a joiner sending an external Commit.
    NewMemberCommit,
}

impl Sender {
    /// The `SenderType` value on the wire.
    pub fn sender_type(&self) -> u8 {
        match self {
            Sender::Member(_) => 1,
            Sender::External(_) => 2,
            Sender::NewMemberProposal => 3,
            Sender::NewMemberCommit => 4,
        }
    }

    /// Whether `FramedContentTBS` carries the GroupContext for this sender (RFC 9420 section
    /// 6.1: `member` and `new_member_commit`).
    pub fn signs_group_context(&self) -> bool {
        matches!(self, Sender::Member(_) | Sender::NewMemberCommit)
    }
}

impl Encode for Sender {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.sender_type().encode(w)?;
        match self {
            Sender::Member(i) | Sender::External(i) => i.encode(w),
            Sender::NewMemberProposal | Sender::NewMemberCommit => Ok(()),
        }
    }
    fn encoded_len(&self) -> usize {
        match self {
            Sender::Member(_) | Sender::External(_) => 5,
            Sender::NewMemberProposal | Sender::NewMemberCommit => 1,
        }
    }
}

impl Decode for Sender {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match u8::decode(r)? {
            1 => Sender::Member(u32::decode(r)?),
            2 => Sender::External(u32::decode(r)?),
            3 => Sender::NewMemberProposal,
            4 => Sender::NewMemberCommit,
            t => return Err(Error::InvalidEnum(u64::from(t))),
        })
    }
}

/// The `content_type`-dependent body of a `FramedContent` or `PrivateMessageContent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// `application`: `opaque application_data<V>`.
    Application(VLBytes),
    /// `proposal`.
    Proposal(Proposal),
    /// `commit`.
    Commit(Commit),
}

impl Content {
    /// The content type of the body.
    pub fn content_type(&self) -> ContentType {
        match self {
            Content::Application(_) => ContentType::Application,
            Content::Proposal(_) => ContentType::Proposal,
            Content::Commit(_) => ContentType::Commit,
        }
    }

    /// Encodes the body without the content type (as in `PrivateMessageContent`).
    pub fn encode_body<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        match self {
            Content::Application(a) => a.encode(w),
            Content::Proposal(p) => p.encode(w),
            Content::Commit(c) => c.encode(w),
        }
    }

    /// Length of [`Content::encode_body`].
    pub fn body_len(&self) -> usize {
        match self {
            Content::Application(a) => a.encoded_len(),
            Content::Proposal(p) => p.encoded_len(),
            Content::Commit(c) => c.encoded_len(),
        }
    }

    /// Decodes a body of type `content_type`.
    pub fn decode_body(r: &mut Reader<'_>, content_type: ContentType) -> Result<Self, Error> {
        Ok(match content_type {
            ContentType::Application => Content::Application(VLBytes::decode(r)?),
            ContentType::Proposal => Content::Proposal(Proposal::decode(r)?),
            ContentType::Commit => Content::Commit(Commit::decode(r)?),
        })
    }
}

/// The content type, then the body.
impl Encode for Content {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.content_type().encode(w)?;
        self.encode_body(w)
    }
    fn encoded_len(&self) -> usize {
        1 + self.body_len()
    }
}

impl Decode for Content {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let t = ContentType::decode(r)?;
        Self::decode_body(r, t)
    }
}

tls_struct! {
    /// `FramedContent` (RFC 9420 section 6).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct FramedContent {
        /// The group.
        pub group_id: VLBytes,
        /// The epoch the content was sent in.
        pub epoch: u64,
        /// Who sent it.
        pub sender: Sender,
        /// Application-chosen data authenticated with the content.
        pub authenticated_data: VLBytes,
        /// `content_type` and the matching body.
        pub content: Content,
    }
}

impl FramedContent {
    /// The content type.
    pub fn content_type(&self) -> ContentType {
        self.content.content_type()
    }
}

/// `FramedContentAuthData` (RFC 9420 section 6.1). `confirmation_tag` is present exactly for
/// commits, so decoding needs the content type ([`FramedContentAuthData::decode_for`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramedContentAuthData {
    /// `SignWithLabel(., "FramedContentTBS", FramedContentTBS)`.
    pub signature: SignatureBytes,
    /// `MAC(confirmation_key, confirmed_transcript_hash)`: `Some` for commits only.
    pub confirmation_tag: Option<Mac>,
}

impl FramedContentAuthData {
    /// Decodes the auth data of content of type `content_type`.
    pub fn decode_for(r: &mut Reader<'_>, content_type: ContentType) -> Result<Self, Error> {
        let signature = SignatureBytes::decode(r)?;
        let confirmation_tag = match content_type {
            ContentType::Commit => Some(Mac::decode(r)?),
            ContentType::Application | ContentType::Proposal => None,
        };
        Ok(Self {
            signature,
            confirmation_tag,
        })
    }

    /// Whether the tag is present exactly when `content_type` is commit.
    pub fn check_for(&self, content_type: ContentType) -> Result<(), crate::Error> {
        match (content_type, self.confirmation_tag.is_some()) {
            (ContentType::Commit, false) => Err(crate::Error::MissingConfirmationTag),
            (ContentType::Application | ContentType::Proposal, true) => {
                Err(crate::Error::UnexpectedConfirmationTag)
            }
            _ => Ok(()),
        }
    }
}

/// The signature, then the confirmation tag if present (no presence byte: the content type
/// says whether it is there).
impl Encode for FramedContentAuthData {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.signature.encode(w)?;
        if let Some(t) = &self.confirmation_tag {
            t.encode(w)?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        self.signature.encoded_len()
            + self
                .confirmation_tag
                .as_ref()
                .map_or(0, Encode::encoded_len)
    }
}

/// `AuthenticatedContent` (RFC 9420 section 6): a FramedContent with its authentication, as it
/// is signed, hashed into the transcript and referenced by `ProposalRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedContent {
    /// The wire format the content is (or will be) sent in.
    pub wire_format: WireFormat,
    /// The content.
    pub content: FramedContent,
    /// Signature and, for commits, confirmation tag.
    pub auth: FramedContentAuthData,
}

impl Encode for AuthenticatedContent {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.wire_format.encode(w)?;
        self.content.encode(w)?;
        self.auth.encode(w)
    }
    fn encoded_len(&self) -> usize {
        2 + self.content.encoded_len() + self.auth.encoded_len()
    }
}

impl Decode for AuthenticatedContent {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let wire_format = WireFormat::decode(r)?;
        let content = FramedContent::decode(r)?;
        let auth = FramedContentAuthData::decode_for(r, content.content_type())?;
        Ok(Self {
            wire_format,
            content,
            auth,
        })
    }
}

/// `PublicMessage` (RFC 9420 section 6.2). `membership_tag` is present exactly for `member`
/// senders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicMessage {
    /// The content.
    pub content: FramedContent,
    /// Its authentication.
    pub auth: FramedContentAuthData,
    /// `MAC(membership_key, AuthenticatedContentTBM)`: `Some` for member senders only.
    pub membership_tag: Option<Mac>,
}

impl Encode for PublicMessage {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.content.encode(w)?;
        self.auth.encode(w)?;
        if let Some(t) = &self.membership_tag {
            t.encode(w)?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        self.content.encoded_len()
            + self.auth.encoded_len()
            + self.membership_tag.as_ref().map_or(0, Encode::encoded_len)
    }
}

impl Decode for PublicMessage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let content = FramedContent::decode(r)?;
        let auth = FramedContentAuthData::decode_for(r, content.content_type())?;
        let membership_tag = match content.sender {
            Sender::Member(_) => Some(Mac::decode(r)?),
            _ => None,
        };
        Ok(Self {
            content,
            auth,
            membership_tag,
        })
    }
}

tls_struct! {
    /// `PrivateMessage` (RFC 9420 section 6.3).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct PrivateMessage {
        /// The group.
        pub group_id: VLBytes,
        /// The epoch.
        pub epoch: u64,
        /// Type of the encrypted content.
        pub content_type: ContentType,
        /// Application-chosen data authenticated (not encrypted) with the content.
        pub authenticated_data: VLBytes,
        /// The encrypted [`SenderData`].
        pub encrypted_sender_data: VLBytes,
        /// The encrypted [`PrivateMessageContent`].
        pub ciphertext: VLBytes,
    }
}

/// `PrivateMessageContent` (RFC 9420 section 6.3.1): the plaintext of `PrivateMessage.ciphertext`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivateMessageContent {
    /// The body (its type is `PrivateMessage.content_type`).
    pub content: Content,
    /// Its authentication.
    pub auth: FramedContentAuthData,
    /// Number of zero bytes of padding.
    pub padding: usize,
}

impl PrivateMessageContent {
    /// Parses a whole plaintext of type `content_type`: the body, the auth data, then padding
    /// that must be all zero ([`crate::Error::NonZeroPadding`] otherwise).
    pub fn decode_plaintext(
        plaintext: &[u8],
        content_type: ContentType,
    ) -> Result<Self, crate::Error> {
        let mut r = Reader::new(plaintext);
        let content = Content::decode_body(&mut r, content_type)?;
        let auth = FramedContentAuthData::decode_for(&mut r, content_type)?;
        let padding = r.peek_rest();
        if !all_zero(padding) {
            return Err(crate::Error::NonZeroPadding);
        }
        Ok(Self {
            content,
            auth,
            padding: padding.len(),
        })
    }
}

/// Whether every byte is zero, in time independent of where a non-zero byte is.
pub(crate) fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |acc, b| acc | b) == 0
}

impl Encode for PrivateMessageContent {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.content.encode_body(w)?;
        self.auth.encode(w)?;
        let zeros = [0u8; 64];
        let mut left = self.padding;
        while left > 0 {
            let n = left.min(zeros.len());
            w.put(zeros.get(..n).unwrap_or(&[]))?;
            left -= n;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        self.content.body_len() + self.auth.encoded_len() + self.padding
    }
}

tls_struct! {
    /// `SenderData` (RFC 9420 section 6.3.2).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SenderData {
        /// Leaf index of the sender.
        pub leaf_index: u32,
        /// Generation of the sender's ratchet the content key comes from.
        pub generation: u32,
        /// Random value XORed into the first four bytes of the content nonce.
        pub reuse_guard: [u8; 4],
    }
}

/// `SenderDataAAD` (RFC 9420 section 6.3.2): the first three fields of a PrivateMessage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderDataAAD<'a> {
    /// The group.
    pub group_id: &'a [u8],
    /// The epoch.
    pub epoch: u64,
    /// The content type.
    pub content_type: ContentType,
}

impl Encode for SenderDataAAD<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        vmls_codec::encode_opaque(w, self.group_id)?;
        self.epoch.encode(w)?;
        self.content_type.encode(w)
    }
    fn encoded_len(&self) -> usize {
        vmls_codec::opaque_len(self.group_id.len()) + 8 + 1
    }
}

/// `PrivateContentAAD` (RFC 9420 section 6.3.1): the AAD of `PrivateMessage.ciphertext`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivateContentAAD<'a> {
    /// The group.
    pub group_id: &'a [u8],
    /// The epoch.
    pub epoch: u64,
    /// The content type.
    pub content_type: ContentType,
    /// The authenticated data.
    pub authenticated_data: &'a [u8],
}

impl Encode for PrivateContentAAD<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        vmls_codec::encode_opaque(w, self.group_id)?;
        self.epoch.encode(w)?;
        self.content_type.encode(w)?;
        vmls_codec::encode_opaque(w, self.authenticated_data)
    }
    fn encoded_len(&self) -> usize {
        vmls_codec::opaque_len(self.group_id.len())
            + 9
            + vmls_codec::opaque_len(self.authenticated_data.len())
    }
}

/// The `wire_format`-dependent body of an [`MLSMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MLSMessageBody {
    /// `mls_public_message`.
    PublicMessage(PublicMessage),
    /// `mls_private_message`.
    PrivateMessage(PrivateMessage),
    /// `mls_welcome`.
    Welcome(Welcome),
    /// `mls_group_info`.
    GroupInfo(GroupInfo),
    /// `mls_key_package`.
    KeyPackage(KeyPackage),
}

impl MLSMessageBody {
    /// The wire format of the body.
    pub fn wire_format(&self) -> WireFormat {
        match self {
            MLSMessageBody::PublicMessage(_) => WireFormat::PublicMessage,
            MLSMessageBody::PrivateMessage(_) => WireFormat::PrivateMessage,
            MLSMessageBody::Welcome(_) => WireFormat::Welcome,
            MLSMessageBody::GroupInfo(_) => WireFormat::GroupInfo,
            MLSMessageBody::KeyPackage(_) => WireFormat::KeyPackage,
        }
    }
}

/// `MLSMessage` (RFC 9420 section 6). Only `mls10` decodes; any other version is
/// [`Error::InvalidEnum`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MLSMessage {
    /// The body; `wire_format` follows from it.
    pub body: MLSMessageBody,
}

impl MLSMessage {
    /// Wraps a body (version mls10).
    pub fn new(body: MLSMessageBody) -> Self {
        Self { body }
    }

    /// The protocol version (always mls10).
    pub fn version(&self) -> ProtocolVersion {
        ProtocolVersion::MLS10
    }

    /// The wire format.
    pub fn wire_format(&self) -> WireFormat {
        self.body.wire_format()
    }
}

impl Encode for MLSMessage {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        ProtocolVersion::MLS10.encode(w)?;
        self.wire_format().encode(w)?;
        match &self.body {
            MLSMessageBody::PublicMessage(m) => m.encode(w),
            MLSMessageBody::PrivateMessage(m) => m.encode(w),
            MLSMessageBody::Welcome(m) => m.encode(w),
            MLSMessageBody::GroupInfo(m) => m.encode(w),
            MLSMessageBody::KeyPackage(m) => m.encode(w),
        }
    }
    fn encoded_len(&self) -> usize {
        4 + match &self.body {
            MLSMessageBody::PublicMessage(m) => m.encoded_len(),
            MLSMessageBody::PrivateMessage(m) => m.encoded_len(),
            MLSMessageBody::Welcome(m) => m.encoded_len(),
            MLSMessageBody::GroupInfo(m) => m.encoded_len(),
            MLSMessageBody::KeyPackage(m) => m.encoded_len(),
        }
    }
}

impl Decode for MLSMessage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let version = ProtocolVersion::decode(r)?;
        if version != ProtocolVersion::MLS10 {
            return Err(Error::InvalidEnum(u64::from(version.0)));
        }
        let body = match WireFormat::decode(r)? {
            WireFormat::PublicMessage => MLSMessageBody::PublicMessage(PublicMessage::decode(r)?),
            WireFormat::PrivateMessage => {
                MLSMessageBody::PrivateMessage(PrivateMessage::decode(r)?)
            }
            WireFormat::Welcome => MLSMessageBody::Welcome(Welcome::decode(r)?),
            WireFormat::GroupInfo => MLSMessageBody::GroupInfo(GroupInfo::decode(r)?),
            WireFormat::KeyPackage => MLSMessageBody::KeyPackage(KeyPackage::decode(r)?),
        };
        Ok(Self { body })
    }
}

/// `ConfirmedTranscriptHashInput` (RFC 9420 section 8.2): the part of a commit's
/// AuthenticatedContent hashed into the confirmed transcript hash.
#[derive(Clone, Copy, Debug)]
pub struct ConfirmedTranscriptHashInput<'a> {
    /// Wire format the commit was sent in.
    pub wire_format: WireFormat,
    /// The commit's FramedContent.
    pub content: &'a FramedContent,
    /// Its signature.
    pub signature: &'a SignatureBytes,
}

impl Encode for ConfirmedTranscriptHashInput<'_> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.wire_format.encode(w)?;
        self.content.encode(w)?;
        self.signature.encode(w)
    }
    fn encoded_len(&self) -> usize {
        2 + self.content.encoded_len() + self.signature.encoded_len()
    }
}

tls_struct! {
    /// `InterimTranscriptHashInput` (RFC 9420 section 8.2).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct InterimTranscriptHashInput {
        /// The commit's confirmation tag.
        pub confirmation_tag: Mac,
    }
}

impl AuthenticatedContent {
    /// The commit's `ConfirmedTranscriptHashInput` (RFC 9420 section 8.2); `None` unless the
    /// content is a commit.
    pub fn confirmed_transcript_hash_input(&self) -> Option<ConfirmedTranscriptHashInput<'_>> {
        match self.content.content {
            Content::Commit(_) => Some(ConfirmedTranscriptHashInput {
                wire_format: self.wire_format,
                content: &self.content,
                signature: &self.auth.signature,
            }),
            _ => None,
        }
    }

    /// `confirmed_transcript_hash = Hash(interim_transcript_hash_prev ||
    /// ConfirmedTranscriptHashInput)` for this commit (RFC 9420 section 8.2).
    pub fn confirmed_transcript_hash(
        &self,
        interim_transcript_hash_prev: &[u8],
    ) -> Result<vmls_crypto::HashValue, crate::Error> {
        let input = self
            .confirmed_transcript_hash_input()
            .ok_or(crate::Error::WrongContentType {
                expected: ContentType::Commit.value(),
                got: self.content.content_type().value(),
            })?
            .to_bytes()?;
        Ok(vmls_keyschedule::confirmed_transcript_hash(
            interim_transcript_hash_prev,
            &input,
        ))
    }

    /// `interim_transcript_hash = Hash(confirmed_transcript_hash ||
    /// InterimTranscriptHashInput)` with this commit's confirmation tag (RFC 9420 section 8.2).
    pub fn interim_transcript_hash(
        &self,
        confirmed_transcript_hash: &[u8],
    ) -> Result<vmls_crypto::HashValue, crate::Error> {
        let tag = self
            .auth
            .confirmation_tag
            .as_ref()
            .ok_or(crate::Error::MissingConfirmationTag)?;
        Ok(vmls_keyschedule::interim_transcript_hash(
            confirmed_transcript_hash,
            tag.as_slice(),
        )?)
    }

    /// Checks the commit's `confirmation_tag == MAC(confirmation_key, confirmed_transcript_hash)`
    /// of the new epoch (RFC 9420 section 6.1), in constant time.
    pub fn verify_confirmation_tag(
        &self,
        confirmation_key: &vmls_crypto::Secret,
        confirmed_transcript_hash: &[u8],
    ) -> Result<(), crate::Error> {
        let tag = self
            .auth
            .confirmation_tag
            .as_ref()
            .ok_or(crate::Error::MissingConfirmationTag)?;
        vmls_crypto::verify_mac(
            confirmation_key.as_bytes(),
            confirmed_transcript_hash,
            tag.as_slice(),
        )
        .map_err(|_| crate::Error::InvalidConfirmationTag)
    }

    /// `MakeProposalRef(AuthenticatedContent)` (RFC 9420 section 5.2), the reference a Commit
    /// uses for a proposal sent in this content.
    pub fn make_proposal_ref(&self) -> Result<crate::proposals::ProposalRef, crate::Error> {
        let bytes: Vec<u8> = self.to_bytes()?;
        Ok(OpaqueArray(vmls_crypto::make_proposal_ref(&bytes)?))
    }
}
