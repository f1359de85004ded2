use core::fmt;

use crate::RatchetType;

/// Why a secret-tree operation failed. The tree is unchanged after every error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretTreeError {
    /// The leaf index is not a leaf of this tree.
    LeafOutOfRange {
        /// Requested leaf.
        leaf: u32,
        /// Number of leaves of the tree.
        n_leaves: u32,
    },
    /// The leaf's secret was already taken out of the tree (RFC 9420 section 9.2: it is deleted
    /// once consumed). For a [`crate::SecretTree`] this cannot happen; for a
    /// [`crate::LazySecretTree`] (e.g. the safe exporter) it means the leaf was exported before.
    LeafConsumed {
        /// The leaf whose secret is gone.
        leaf: u32,
    },
    /// The key for this generation was used already or was discarded (it was below the window of
    /// retained out-of-order keys), and its secret has been deleted (RFC 9420 section 9.2).
    GenerationConsumed {
        /// Sender leaf.
        leaf: u32,
        /// Which ratchet.
        ratchet: RatchetType,
        /// Requested generation.
        generation: u32,
        /// The ratchet's next generation not derived yet.
        current: u32,
    },
    /// The generation is more than the configured maximum forward distance ahead of the ratchet
    /// (RFC 9750 section 7: a bound on how far a ratchet moves for one message).
    TooFarAhead {
        /// Sender leaf.
        leaf: u32,
        /// Which ratchet.
        ratchet: RatchetType,
        /// Requested generation.
        generation: u32,
        /// The ratchet's next generation not derived yet.
        current: u32,
        /// The configured maximum distance.
        max_forward: u32,
    },
    /// The ratchet reached generation 2^32 - 1 and has no further keys.
    RatchetExhausted {
        /// Sender leaf.
        leaf: u32,
        /// Which ratchet.
        ratchet: RatchetType,
    },
    /// The number of leaves is zero or larger than 2^31.
    InvalidLeafCount(u64),
    /// A key derivation failed.
    Crypto(vmls_crypto::Error),
}

impl From<vmls_crypto::Error> for SecretTreeError {
    fn from(e: vmls_crypto::Error) -> Self {
        Self::Crypto(e)
    }
}

impl fmt::Display for SecretTreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LeafOutOfRange { leaf, n_leaves } => {
                write!(f, "leaf {leaf} outside a tree of {n_leaves} leaves")
            }
            Self::LeafConsumed { leaf } => write!(f, "secret of leaf {leaf} already consumed"),
            Self::GenerationConsumed {
                leaf,
                ratchet,
                generation,
                current,
            } => write!(
                f,
                "{ratchet:?} generation {generation} of leaf {leaf} consumed or discarded \
                 (ratchet at {current})"
            ),
            Self::TooFarAhead {
                leaf,
                ratchet,
                generation,
                current,
                max_forward,
            } => write!(
                f,
                "{ratchet:?} generation {generation} of leaf {leaf} is too far ahead \
                 (ratchet at {current}, max forward {max_forward})"
            ),
            Self::RatchetExhausted { leaf, ratchet } => {
                write!(f, "{ratchet:?} ratchet of leaf {leaf} exhausted")
            }
            Self::InvalidLeafCount(n) => write!(f, "invalid leaf count {n}"),
            Self::Crypto(e) => write!(f, "key derivation: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SecretTreeError {}
