//! Typed errors of the CBST.
use core::fmt;

/// Why a CBST operation failed. A failed operation leaves the tree unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CbstError {
    /// The challenge's key is gone: the challenge was used already in this epoch (a replay or a
    /// collision), or it falls into a region deleted to keep the state bounded
    /// ([`crate::CbstConfig`]).
    ChallengeUnavailable,
    /// A challenge is not exactly 32 bytes.
    InvalidChallengeLength(usize),
    /// A configuration value is out of range (`prune_depth` must be 1..=64, `max_nodes` at least
    /// `prune_depth`).
    InvalidConfig,
    /// A `GroupChallengeContext` nests more levels than [`crate::MAX_CHALLENGE_LEVELS`].
    TooManyLevels,
    /// The stored state does not decode or is inconsistent.
    Codec(vmls_codec::Error),
    /// A key derivation failed.
    Crypto(vmls_crypto::Error),
}

impl From<vmls_codec::Error> for CbstError {
    fn from(e: vmls_codec::Error) -> Self {
        CbstError::Codec(e)
    }
}

impl From<vmls_crypto::Error> for CbstError {
    fn from(e: vmls_crypto::Error) -> Self {
        CbstError::Crypto(e)
    }
}

impl fmt::Display for CbstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CbstError::ChallengeUnavailable => {
                f.write_str("challenge already used in this epoch, or in a deleted region")
            }
            CbstError::InvalidChallengeLength(n) => write!(f, "challenge of {n} bytes, not 32"),
            other => fmt::Debug::fmt(other, f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CbstError {}
