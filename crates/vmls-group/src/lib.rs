//! MLS messages (RFC 9420): framing (section 6), KeyPackage (section 10), proposals and Commit
//! (section 12), Welcome and GroupInfo (section 12.4.3), and the typed GroupContext/GroupInfo
//! extensions.
//!
//! Every structure has the TLS encoding of the RFC ([`vmls_codec::Encode`] / [`vmls_codec::Decode`]).
//! Decoding is bounded by the input, unknown enumeration values are
//! [`vmls_codec::Error::InvalidEnum`], and everything cryptographic returns a typed [`Error`].
//! The application-message path ([`framing::application`]) works on caller buffers without heap
//! allocation.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod labeled;

pub mod commit;
pub mod extensions;
pub mod framing;
pub mod group;
pub mod group_info;
pub mod key_package;
pub mod proposals;
pub mod welcome;

pub use commit::Commit;
pub use error::Error;
pub use extensions::{
    ExtensionBody, ExternalPub, ExternalSender, ExternalSenders, RatchetTreeExtension,
};
pub use framing::application::{
    ApplicationSender, EncodedGroupContext, PrivateMessageView, ReceivedApplication,
    application_message_len, decrypt_application_into, encrypt_application_into,
};
pub use framing::private::UnverifiedContent;
pub use framing::public::{AuthenticatedContentTBM, FramedContentTBS};
pub use framing::{
    AuthenticatedContent, ConfirmedTranscriptHashInput, Content, ContentType, FramedContent,
    FramedContentAuthData, InterimTranscriptHashInput, MLSMessage, MLSMessageBody, Mac,
    PrivateContentAAD, PrivateMessage, PrivateMessageContent, ProtocolVersion, PublicMessage,
    Sender, SenderData, SenderDataAAD, WireFormat,
};
pub use group::{
    CommitOptions, CommitOutput, CommitSummary, DefaultProposalPolicy, DroppedProposal,
    ExternalJoinOptions, ExternalProposer, Group, GroupConfig, GroupError, GroupStatus,
    KeyPackageParams, KeyPackagePrivate, LinkError, NewLeaf, NewLeafSource, ProcessedMessage,
    ProposalPolicy, PskStore, RejectExternalProposals, StagedMessage, StagedWelcome,
};
pub use group_info::{GroupInfo, GroupInfoTBS};
pub use key_package::{KeyPackage, KeyPackageRef, KeyPackageTBS};
pub use labeled::PreparedSigner;
pub use proposals::{
    Add, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal, ProposalOrRef, ProposalRef,
    ReInit, Remove, Update,
};
pub use vmls_keyschedule::{PreSharedKeyId, Psk, ResumptionPskUsage};
pub use vmls_secret_tree::KeyNonce;
pub use vmls_tree::RequiredCapabilities;
pub use welcome::{EncryptedGroupSecrets, GroupSecrets, PathSecret, Welcome};
