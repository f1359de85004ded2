//! Typed errors of the ratchet tree and TreeKEM.
use core::fmt;

use crate::math::{LeafIndex, NodeIndex};

/// Why a tree operation, a validation or a TreeKEM step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeError {
    /// Encoding or decoding failed.
    Codec(vmls_codec::Error),
    /// A cryptographic primitive failed (other than the checks named below).
    Crypto(vmls_crypto::Error),
    /// A `ratchet_tree` with no node at all (RFC 9420 section 12.4.3.3).
    EmptyTree,
    /// The last node of an encoded `ratchet_tree` is blank (RFC 9420 section 12.4.3.3).
    TrailingBlankNode,
    /// A leaf node at an odd (parent) position or a parent node at an even (leaf) position.
    NodeTypeMismatch {
        /// Position of the node in the array.
        node: NodeIndex,
    },
    /// The tree would have more leaves than allowed.
    TooManyLeaves {
        /// The configured or structural maximum.
        max: u32,
    },
    /// A leaf index outside the tree.
    LeafOutOfRange {
        /// The index.
        leaf: LeafIndex,
    },
    /// The operation needs a member at this leaf, but the leaf is blank.
    BlankLeaf {
        /// The index.
        leaf: LeafIndex,
    },
    /// A LeafNode signature does not verify (RFC 9420 section 7.3); `leaf` is its place in the
    /// tree when it has one.
    InvalidLeafSignature {
        /// Leaf index, if the leaf is (to be) in the tree.
        leaf: Option<LeafIndex>,
    },
    /// The signing key does not match the LeafNode's `signature_key`.
    SignatureKeyMismatch,
    /// A leaf of source `update` or `commit` was signed or verified without a group context
    /// (group_id and leaf index, RFC 9420 section 7.2).
    MissingLeafContext,
    /// The LeafNode's `leaf_node_source` is not the one its use requires (RFC 9420 section 7.3).
    WrongLeafNodeSource {
        /// Leaf index, if known.
        leaf: Option<LeafIndex>,
        /// The `LeafNodeSource` value required.
        expected: u8,
        /// The value found.
        got: u8,
    },
    /// A leaf's own credential type is not in its `capabilities.credentials` (section 7.2).
    CredentialTypeNotInCapabilities {
        /// Leaf index, if known.
        leaf: Option<LeafIndex>,
        /// The credential type.
        credential_type: u16,
    },
    /// A credential type in use in the group is not supported by a member (section 7.3).
    UnsupportedCredentialType {
        /// The leaf that lacks support.
        leaf: Option<LeafIndex>,
        /// The credential type.
        credential_type: u16,
    },
    /// A non-default extension of a leaf is not listed in its capabilities (section 7.3).
    UnsupportedExtension {
        /// Leaf index, if known.
        leaf: Option<LeafIndex>,
        /// The extension type.
        extension_type: u16,
    },
    /// The same extension type appears twice in a leaf (section 13).
    DuplicateExtension {
        /// Leaf index, if known.
        leaf: Option<LeafIndex>,
    },
    /// The leaf does not support a capability the group requires (`required_capabilities`,
    /// sections 7.3 and 11.1).
    MissingRequiredCapability {
        /// Leaf index, if known.
        leaf: Option<LeafIndex>,
    },
    /// The current time is outside the leaf's `lifetime`, or the lifetime is longer than the
    /// application allows (section 7.2).
    InvalidLifetime {
        /// Leaf index, if known.
        leaf: Option<LeafIndex>,
    },
    /// An encryption key appears in two nodes (sections 7.3, 12.4.2, 12.4.3.1).
    DuplicateEncryptionKey {
        /// A node that already holds the key (the new node, when checking a new key).
        node: NodeIndex,
    },
    /// A signature key appears in two leaves (section 7.3).
    DuplicateSignatureKey {
        /// A leaf that already holds the key.
        leaf: LeafIndex,
    },
    /// An Update or a Commit leaf kept the encryption key of the leaf it replaces (section 7.3).
    EncryptionKeyNotUpdated {
        /// The leaf.
        leaf: LeafIndex,
    },
    /// A parent node's `unmerged_leaves` list is unsorted, names a blank or foreign leaf, or is
    /// missing an entry below (section 12.4.3.1).
    InvalidUnmergedLeaves {
        /// The parent node.
        node: NodeIndex,
    },
    /// A non-blank parent node is not parent-hash valid (section 7.9.2).
    InvalidParentHash {
        /// The parent node.
        node: NodeIndex,
    },
    /// The committer's leaf `parent_hash` does not match the UpdatePath (section 7.9.2).
    LeafParentHashMismatch {
        /// The committer.
        leaf: LeafIndex,
    },
    /// The UpdatePath has a different number of nodes than the filtered direct path.
    PathLengthMismatch {
        /// Nodes in the filtered direct path.
        expected: usize,
        /// Nodes in the UpdatePath.
        got: usize,
    },
    /// An UpdatePathNode has a different number of ciphertexts than its copath resolution.
    CiphertextCountMismatch {
        /// The filtered-direct-path node.
        node: NodeIndex,
        /// Resolution size (without new members).
        expected: usize,
        /// Ciphertexts present.
        got: usize,
    },
    /// The receiver holds no private key for any node the path secret was encrypted to.
    NoDecryptionKey,
    /// The receiver is the committer (it cannot process its own UpdatePath).
    OwnUpdatePath,
    /// A decrypted path secret is not `Nh` bytes long, or HPKE decryption failed.
    PathSecretDecryptionFailed {
        /// The node whose path secret failed.
        node: NodeIndex,
    },
    /// A public key derived from a path secret differs from the key in the tree or UpdatePath.
    PathKeyMismatch {
        /// The node.
        node: NodeIndex,
    },
    /// A private key does not match the public key of its node, or the node is blank.
    PrivateKeyMismatch {
        /// The node.
        node: NodeIndex,
    },
    /// The path secrets were computed for a different tree shape than the current one.
    StalePathSecrets,
    /// A non-blank node on the member's direct path that does not list it as unmerged, for
    /// which it holds no private key (RFC 9420 sections 4.1 and 12.4.3.1: a joiner under the
    /// committer's path needs the Welcome's `path_secret`).
    MissingPathKey {
        /// The node.
        node: NodeIndex,
    },
    /// The node is not on the expected path (e.g. a private key for a node above another leaf).
    NodeNotOnPath {
        /// The node.
        node: NodeIndex,
    },
}

impl From<vmls_codec::Error> for TreeError {
    fn from(e: vmls_codec::Error) -> Self {
        TreeError::Codec(e)
    }
}

impl From<vmls_crypto::Error> for TreeError {
    fn from(e: vmls_crypto::Error) -> Self {
        TreeError::Crypto(e)
    }
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeError::Codec(e) => write!(f, "encoding: {e}"),
            TreeError::Crypto(e) => write!(f, "crypto: {e}"),
            other => fmt::Debug::fmt(other, f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TreeError {}
