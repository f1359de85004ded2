//! Stable integer error codes and their mapping from the facade's typed errors.
//!
//! The numbers are ABI: a code keeps its number and meaning forever; new codes take new numbers.
//! `include/vmls.h` and docs/embedding.md carry the same table; `tests/header.rs` checks that
//! the header's `#define`s equal [`ERROR_CODES`].
use core::ffi::{c_char, c_int};

use vmls::GroupError;
use vmls::group::Error as MessageError;

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        $($(#[$doc])* pub const $name: c_int = $value;)*

        /// Every code with its name, in numeric order. `vmls_error_name` reads it; the header
        /// test compares it with `include/vmls.h`.
        pub const ERROR_CODES: &[(c_int, &str)] = &[$(($name, stringify!($name))),*];

        /// The same names, NUL-terminated for C.
        const C_NAMES: &[(c_int, &str)] = &[$(($name, concat!(stringify!($name), "\0"))),*];
    };
}

codes! {
    /// Success.
    VMLS_OK = 0;
    /// A pointer argument that must not be NULL was NULL (or an input pointer was NULL with a
    /// non-zero length, or an output buffer was NULL with a non-zero capacity).
    VMLS_ERR_NULL_POINTER = 1;
    /// An argument is out of range: a length above its documented bound, or an output buffer that
    /// overlaps an input.
    VMLS_ERR_INVALID_ARGUMENT = 2;
    /// An output buffer is too small; every `*out_len` of the call now holds the size it needs and
    /// nothing changed.
    VMLS_ERR_BUFFER_TOO_SMALL = 3;
    /// The caller's RNG callback returned non-zero; nothing changed.
    VMLS_ERR_RNG = 4;
    /// A panic was caught at the boundary (a bug in vmls: never expected). Free the handles the
    /// call was given.
    VMLS_ERR_PANIC = 5;
    /// Bytes do not decode (truncated, trailing bytes, bad enumeration value, ...).
    VMLS_ERR_MALFORMED = 16;
    /// A signature did not verify (FramedContent, KeyPackage, GroupInfo, LeafNode).
    VMLS_ERR_INVALID_SIGNATURE = 17;
    /// A PublicMessage membership tag did not verify (RFC 9420 section 6.2).
    VMLS_ERR_INVALID_MEMBERSHIP_TAG = 18;
    /// A confirmation tag did not verify.
    VMLS_ERR_INVALID_CONFIRMATION_TAG = 19;
    /// AEAD or HPKE decryption failed: a tampered message, or not encrypted for this member.
    VMLS_ERR_DECRYPTION_FAILED = 20;
    /// The message is for another group.
    VMLS_ERR_WRONG_GROUP = 21;
    /// The message is for an epoch this member cannot process (too old, or in the future).
    VMLS_ERR_WRONG_EPOCH = 22;
    /// The secret tree has no key for this generation: a replay, a deleted key, or too far ahead
    /// (RFC 9420 section 9); also a CBST challenge used twice.
    VMLS_ERR_GENERATION = 23;
    /// The message exceeds the configured maximum message size.
    VMLS_ERR_MESSAGE_TOO_LARGE = 24;
    /// The message has a wire format or content type that this call does not take (e.g. a
    /// Welcome given to `vmls_group_process`).
    VMLS_ERR_UNEXPECTED_MESSAGE = 25;
    /// The sender is not a member (blank or out-of-range leaf, unknown external sender).
    VMLS_ERR_UNKNOWN_MEMBER = 26;
    /// A KeyPackage is invalid (RFC 9420 section 10.1), or its private keys do not match it.
    VMLS_ERR_INVALID_KEY_PACKAGE = 27;
    /// A proposal or proposal list is invalid (RFC 9420 section 12.2).
    VMLS_ERR_INVALID_PROPOSAL = 28;
    /// A ratchet tree is invalid or does not match the GroupContext (RFC 9420 sections 7.8, 7.9,
    /// 12.4.3.1).
    VMLS_ERR_INVALID_TREE = 29;
    /// A Welcome has no ratchet tree and none was passed.
    VMLS_ERR_MISSING_RATCHET_TREE = 30;
    /// A Welcome is not for this KeyPackage.
    VMLS_ERR_NO_MATCHING_KEY_PACKAGE = 31;
    /// The group would exceed its maximum member count.
    VMLS_ERR_TOO_MANY_MEMBERS = 32;
    /// A configured bound other than size and members was reached (cached proposals, CBAM
    /// generations of an epoch).
    VMLS_ERR_LIMIT_EXCEEDED = 33;
    /// Valid MLS that this build or this C ABI does not support (another cipher suite, an
    /// unsupported extension, a PSK the ABI cannot supply, reinitialization links, CBAM in a group
    /// that did not enable it).
    VMLS_ERR_UNSUPPORTED = 34;
    /// This member was removed from the group (or the group was reinitialized).
    VMLS_ERR_INACTIVE = 35;
    /// A commit of this member is pending: merge or clear it first.
    VMLS_ERR_COMMIT_PENDING = 36;
    /// No commit of this member is pending.
    VMLS_ERR_NO_PENDING_COMMIT = 37;
    /// Proposals were received in this epoch: commit before sending application data (RFC 9420
    /// section 12.4).
    VMLS_ERR_PROPOSALS_PENDING = 38;
    /// A state blob decodes but is inconsistent.
    VMLS_ERR_INVALID_STATE = 39;
    /// A state blob has a version this build cannot read.
    VMLS_ERR_UNSUPPORTED_STATE_VERSION = 40;
    /// Another rule of RFC 9420 is violated (sender type not allowed, unauthorized external
    /// proposal, a returned own commit that does not match, ...).
    VMLS_ERR_PROTOCOL = 41;
    /// A cryptographic derivation failed in a way the library does not expect.
    VMLS_ERR_INTERNAL = 42;
    /// A late message (of a retained past epoch) from a sender whose leaf a later commit
    /// replaced or removed, refused by the group's late-message policy (docs/spec-decisions.md,
    /// "Late messages from replaced leaves"); nothing changed.
    VMLS_ERR_LATE_MESSAGE_REFUSED = 43;
}

/// Name of an error code, as a static NUL-terminated string (`"VMLS_ERR_UNKNOWN"` for a
/// number that is not a code). The strings are constants in the image: never free them.
#[unsafe(no_mangle)]
pub extern "C" fn vmls_error_name(code: c_int) -> *const c_char {
    C_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(c"VMLS_ERR_UNKNOWN".as_ptr(), |(_, name)| {
            name.as_ptr().cast()
        })
}

/// The code for a facade error. Exhaustive over [`GroupError`]: a new variant does not build
/// until it is given a code here.
pub fn code_of(e: GroupError) -> c_int {
    match e {
        GroupError::Message(m) => message_code(m),
        GroupError::Tree(_) | GroupError::TreeHashMismatch => VMLS_ERR_INVALID_TREE,
        GroupError::KeySchedule(_) => VMLS_ERR_INTERNAL,
        GroupError::SecretTree(_) => VMLS_ERR_GENERATION,
        GroupError::Codec(_) | GroupError::DuplicateGroupInfoExtension(_) => VMLS_ERR_MALFORMED,
        GroupError::InvalidSignature => VMLS_ERR_INVALID_SIGNATURE,
        GroupError::InvalidMembershipTag => VMLS_ERR_INVALID_MEMBERSHIP_TAG,
        GroupError::InvalidConfirmationTag => VMLS_ERR_INVALID_CONFIRMATION_TAG,
        GroupError::WrongGroupId => VMLS_ERR_WRONG_GROUP,
        GroupError::WrongEpoch { .. } => VMLS_ERR_WRONG_EPOCH,
        GroupError::MessageTooLarge { .. } => VMLS_ERR_MESSAGE_TOO_LARGE,
        GroupError::TooManyMembers { .. } => VMLS_ERR_TOO_MANY_MEMBERS,
        GroupError::TooManyProposals { .. } | GroupError::CbamGenerationsExhausted => {
            VMLS_ERR_LIMIT_EXCEEDED
        }
        GroupError::UnexpectedWireFormat(_) => VMLS_ERR_UNEXPECTED_MESSAGE,
        GroupError::UnknownMember { .. }
        | GroupError::UnknownExternalSender { .. }
        | GroupError::SignerNotMember => VMLS_ERR_UNKNOWN_MEMBER,
        GroupError::SenderNotAllowed
        | GroupError::ProposalNotAuthorized
        | GroupError::UnexpectedOwnCommit => VMLS_ERR_PROTOCOL,
        GroupError::InvalidProposal(_) => VMLS_ERR_INVALID_PROPOSAL,
        GroupError::InvalidKeyPackage(_) | GroupError::PrivateKeyMismatch => {
            VMLS_ERR_INVALID_KEY_PACKAGE
        }
        GroupError::MissingPsk
        | GroupError::UnsupportedGroupContextExtension(_)
        | GroupError::MissingExternalPub
        | GroupError::CipherSuiteMismatch { .. }
        | GroupError::InvalidResumptionPsk
        | GroupError::Link(_)
        | GroupError::CbamNotEnabled => VMLS_ERR_UNSUPPORTED,
        GroupError::MissingRatchetTree => VMLS_ERR_MISSING_RATCHET_TREE,
        GroupError::OwnLeafNotFound => VMLS_ERR_NO_MATCHING_KEY_PACKAGE,
        GroupError::Inactive => VMLS_ERR_INACTIVE,
        GroupError::Cbst(_) => VMLS_ERR_GENERATION,
        GroupError::CommitPending => VMLS_ERR_COMMIT_PENDING,
        GroupError::NoPendingCommit => VMLS_ERR_NO_PENDING_COMMIT,
        GroupError::ProposalsPending => VMLS_ERR_PROPOSALS_PENDING,
        GroupError::UnsupportedStateVersion(_) => VMLS_ERR_UNSUPPORTED_STATE_VERSION,
        GroupError::InvalidState => VMLS_ERR_INVALID_STATE,
        GroupError::BufferTooSmall { .. } => VMLS_ERR_BUFFER_TOO_SMALL,
        GroupError::LateMessageFromReplacedSender { .. } => VMLS_ERR_LATE_MESSAGE_REFUSED,
    }
}

/// The code for a message-layer error.
fn message_code(m: MessageError) -> c_int {
    match m {
        MessageError::Codec(_) | MessageError::InvalidExtension(_) => VMLS_ERR_MALFORMED,
        MessageError::InvalidSignature => VMLS_ERR_INVALID_SIGNATURE,
        MessageError::InvalidMembershipTag => VMLS_ERR_INVALID_MEMBERSHIP_TAG,
        MessageError::InvalidConfirmationTag => VMLS_ERR_INVALID_CONFIRMATION_TAG,
        MessageError::ContentDecryptionFailed
        | MessageError::SenderDataDecryptionFailed
        | MessageError::GroupSecretsDecryptionFailed
        | MessageError::GroupInfoDecryptionFailed => VMLS_ERR_DECRYPTION_FAILED,
        MessageError::WrongWireFormat { .. } | MessageError::WrongContentType { .. } => {
            VMLS_ERR_UNEXPECTED_MESSAGE
        }
        MessageError::WrongGroupId => VMLS_ERR_WRONG_GROUP,
        MessageError::WrongEpoch { .. } => VMLS_ERR_WRONG_EPOCH,
        MessageError::CipherSuiteMismatch { .. } => VMLS_ERR_UNSUPPORTED,
        MessageError::SecretTree(_) => VMLS_ERR_GENERATION,
        MessageError::NoMatchingKeyPackage => VMLS_ERR_NO_MATCHING_KEY_PACKAGE,
        MessageError::BufferTooSmall { .. } => VMLS_ERR_BUFFER_TOO_SMALL,
        MessageError::SenderNotMember => VMLS_ERR_UNKNOWN_MEMBER,
        MessageError::NonZeroPadding
        | MessageError::ApplicationDataInPublicMessage
        | MessageError::MissingConfirmationTag
        | MessageError::UnexpectedConfirmationTag => VMLS_ERR_PROTOCOL,
        MessageError::Crypto(_)
        | MessageError::KeySchedule(_)
        | MessageError::MissingMembershipKey
        | MessageError::MissingGroupContext => VMLS_ERR_INTERNAL,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn c_names_match_the_table() {
        assert_eq!(C_NAMES.len(), ERROR_CODES.len());
        for ((c, name), (c2, cname)) in ERROR_CODES.iter().zip(C_NAMES) {
            assert_eq!(c, c2);
            assert_eq!(cname.strip_suffix('\0'), Some(*name));
            assert!(!name.contains('\0'));
        }
        // Numbers are unique and increasing (the table is the ABI).
        assert!(ERROR_CODES.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
