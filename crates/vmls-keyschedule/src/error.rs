use core::fmt;

/// Why a key-schedule operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScheduleError {
    /// A derivation or MAC check failed (e.g. [`vmls_crypto::Error::InvalidMac`] for a wrong
    /// confirmation or membership tag).
    Crypto(vmls_crypto::Error),
    /// Encoding a structure (GroupContext, PSKLabel) failed.
    Codec(vmls_codec::Error),
    /// More PSKs than a `uint16` count can describe (RFC 9420 section 8.4 `PSKLabel.count`).
    TooManyPsks(usize),
    /// The safe exporter's secret for this component was already exported in this epoch and has
    /// been deleted (draft-ietf-mls-extensions, "Exported Secrets").
    SafeExportConsumed {
        /// The component whose secret is gone.
        component_id: u16,
    },
    /// A secret-tree operation failed.
    SecretTree(vmls_secret_tree::SecretTreeError),
}

impl From<vmls_crypto::Error> for KeyScheduleError {
    fn from(e: vmls_crypto::Error) -> Self {
        Self::Crypto(e)
    }
}

impl From<vmls_codec::Error> for KeyScheduleError {
    fn from(e: vmls_codec::Error) -> Self {
        Self::Codec(e)
    }
}

impl From<vmls_secret_tree::SecretTreeError> for KeyScheduleError {
    fn from(e: vmls_secret_tree::SecretTreeError) -> Self {
        Self::SecretTree(e)
    }
}

impl fmt::Display for KeyScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Crypto(e) => write!(f, "crypto: {e}"),
            Self::Codec(e) => write!(f, "encoding: {e}"),
            Self::TooManyPsks(n) => write!(f, "{n} PSKs exceed the uint16 count"),
            Self::SafeExportConsumed { component_id } => write!(
                f,
                "safe export secret of component {component_id:#06x} already consumed"
            ),
            Self::SecretTree(e) => write!(f, "secret tree: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KeyScheduleError {}
