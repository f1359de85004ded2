use core::fmt;

/// Why a message could not be built, protected, unprotected or verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The bytes do not decode (truncated, trailing bytes, unknown enumeration value, ...).
    Codec(vmls_codec::Error),
    /// A cryptographic primitive failed in a way not covered by a more specific variant.
    Crypto(vmls_crypto::Error),
    /// A signature (FramedContent, KeyPackage, GroupInfo) did not verify.
    InvalidSignature,
    /// A PublicMessage `membership_tag` did not verify (RFC 9420 section 6.2).
    InvalidMembershipTag,
    /// A `confirmation_tag` did not verify.
    InvalidConfirmationTag,
    /// A member's PublicMessage was protected or unprotected without the membership key.
    MissingMembershipKey,
    /// A Commit's FramedContentAuthData has no `confirmation_tag`.
    MissingConfirmationTag,
    /// A Proposal or application FramedContentAuthData carries a `confirmation_tag`.
    UnexpectedConfirmationTag,
    /// Signing for a `member` or `new_member_commit` sender needs the GroupContext.
    MissingGroupContext,
    /// The AEAD rejected `PrivateMessage.ciphertext` (wrong key, nonce, AAD or a forgery).
    ContentDecryptionFailed,
    /// The AEAD rejected `PrivateMessage.encrypted_sender_data`.
    SenderDataDecryptionFailed,
    /// `PrivateMessageContent.padding` has a non-zero byte (RFC 9420 section 6.3.1).
    NonZeroPadding,
    /// Application data may only be sent as a PrivateMessage (RFC 9420 section 6).
    ApplicationDataInPublicMessage,
    /// Only `member` senders can send a PrivateMessage (RFC 9420 section 6.3.2).
    SenderNotMember,
    /// The message's wire format is not the one expected here.
    WrongWireFormat {
        /// Wire format required.
        expected: u16,
        /// Wire format found.
        got: u16,
    },
    /// The message's content type is not the one expected here.
    WrongContentType {
        /// Content type required.
        expected: u8,
        /// Content type found.
        got: u8,
    },
    /// The message is for another group.
    WrongGroupId,
    /// The message is for another epoch.
    WrongEpoch {
        /// The epoch of the group context.
        expected: u64,
        /// The epoch in the message.
        got: u64,
    },
    /// The cipher suite of a Welcome, KeyPackage or GroupInfo is not the one in use.
    CipherSuiteMismatch {
        /// The suite in use.
        expected: u16,
        /// The suite in the message.
        got: u16,
    },
    /// A key-schedule derivation failed.
    KeySchedule(vmls_keyschedule::KeyScheduleError),
    /// The secret tree has no key for the sender and generation (consumed, too far ahead, ...).
    SecretTree(vmls_secret_tree::SecretTreeError),
    /// No `EncryptedGroupSecrets` of the Welcome is for this KeyPackage.
    NoMatchingKeyPackage,
    /// HPKE decryption of `encrypted_group_secrets` failed.
    GroupSecretsDecryptionFailed,
    /// AEAD decryption of `encrypted_group_info` failed.
    GroupInfoDecryptionFailed,
    /// An extension's `extension_data` does not decode as its type.
    InvalidExtension(u16),
    /// The caller's output buffer is too small.
    BufferTooSmall {
        /// Bytes the operation needs.
        needed: usize,
    },
}

impl From<vmls_codec::Error> for Error {
    fn from(e: vmls_codec::Error) -> Self {
        Error::Codec(e)
    }
}

impl From<vmls_crypto::Error> for Error {
    fn from(e: vmls_crypto::Error) -> Self {
        match e {
            vmls_crypto::Error::InvalidSignature => Error::InvalidSignature,
            vmls_crypto::Error::Codec(c) => Error::Codec(c),
            other => Error::Crypto(other),
        }
    }
}

impl From<vmls_keyschedule::KeyScheduleError> for Error {
    fn from(e: vmls_keyschedule::KeyScheduleError) -> Self {
        match e {
            vmls_keyschedule::KeyScheduleError::Codec(c) => Error::Codec(c),
            vmls_keyschedule::KeyScheduleError::Crypto(c) => Error::from(c),
            other => Error::KeySchedule(other),
        }
    }
}

impl From<vmls_secret_tree::SecretTreeError> for Error {
    fn from(e: vmls_secret_tree::SecretTreeError) -> Self {
        Error::SecretTree(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Codec(e) => write!(f, "malformed message: {e}"),
            Error::Crypto(e) => write!(f, "cryptographic failure: {e}"),
            Error::InvalidSignature => f.write_str("invalid signature"),
            Error::InvalidMembershipTag => f.write_str("invalid membership tag"),
            Error::InvalidConfirmationTag => f.write_str("invalid confirmation tag"),
            Error::MissingMembershipKey => f.write_str("membership key required"),
            Error::MissingConfirmationTag => f.write_str("commit without confirmation tag"),
            Error::UnexpectedConfirmationTag => {
                f.write_str("confirmation tag on a non-commit content")
            }
            Error::MissingGroupContext => f.write_str("group context required to sign"),
            Error::ContentDecryptionFailed => f.write_str("content decryption failed"),
            Error::SenderDataDecryptionFailed => f.write_str("sender data decryption failed"),
            Error::NonZeroPadding => f.write_str("non-zero padding"),
            Error::ApplicationDataInPublicMessage => {
                f.write_str("application data in a public message")
            }
            Error::SenderNotMember => f.write_str("sender is not a member"),
            Error::WrongWireFormat { expected, got } => {
                write!(f, "wire format {got}, expected {expected}")
            }
            Error::WrongContentType { expected, got } => {
                write!(f, "content type {got}, expected {expected}")
            }
            Error::WrongGroupId => f.write_str("message for another group"),
            Error::WrongEpoch { expected, got } => write!(f, "epoch {got}, expected {expected}"),
            Error::CipherSuiteMismatch { expected, got } => {
                write!(f, "cipher suite {got}, expected {expected}")
            }
            Error::KeySchedule(e) => write!(f, "key schedule: {e}"),
            Error::SecretTree(e) => write!(f, "secret tree: {e}"),
            Error::NoMatchingKeyPackage => {
                f.write_str("welcome has no secrets for this key package")
            }
            Error::GroupSecretsDecryptionFailed => f.write_str("group secrets decryption failed"),
            Error::GroupInfoDecryptionFailed => f.write_str("group info decryption failed"),
            Error::InvalidExtension(t) => write!(f, "extension {t} does not decode"),
            Error::BufferTooSmall { needed } => {
                write!(f, "buffer too small: {needed} bytes needed")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
