//! Ratchet tree node structures (RFC 9420 sections 5.3, 7.1, 7.2, 7.6).
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vmls_codec::{
    Decode, Encode, Error, OpaqueArray, Reader, SmallVLBytes, VLBytes, Writer, tls_struct,
};

use crate::extension::Extension;

/// `HPKEPublicKey` of suites 1 and 3 (X25519).
pub type HpkePublicKeyBytes = OpaqueArray<32>;
/// `SignaturePublicKey` of suites 1 and 3 (Ed25519).
pub type SignaturePublicKeyBytes = OpaqueArray<32>;
/// An Ed25519 signature.
pub type SignatureBytes = OpaqueArray<64>;

/// `CredentialType` values (RFC 9420 section 17.5).
pub mod credential_type {
    /// `basic`.
    pub const BASIC: u16 = 1;
    /// `x509`.
    pub const X509: u16 = 2;
}

/// `Credential` (RFC 9420 section 5.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `basic`: an application-defined identity.
    Basic(VLBytes),
    /// `x509`: a certificate chain, leaf first (boxed: keeps the enum at the size of `basic`).
    X509(Box<[VLBytes]>),
}

impl Credential {
    /// The credential's `CredentialType`.
    pub fn credential_type(&self) -> u16 {
        match self {
            Credential::Basic(_) => credential_type::BASIC,
            Credential::X509(_) => credential_type::X509,
        }
    }
}

impl Encode for Credential {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.credential_type().encode(w)?;
        match self {
            Credential::Basic(id) => id.encode(w),
            Credential::X509(certs) => vmls_codec::encode_vec(w, certs),
        }
    }
    fn encoded_len(&self) -> usize {
        2 + match self {
            Credential::Basic(id) => id.encoded_len(),
            Credential::X509(certs) => vmls_codec::vec_len(certs),
        }
    }
}

impl Decode for Credential {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match u16::decode(r)? {
            credential_type::BASIC => Ok(Credential::Basic(VLBytes::decode(r)?)),
            credential_type::X509 => Ok(Credential::X509(Vec::decode(r)?.into_boxed_slice())),
            t => Err(Error::InvalidEnum(u64::from(t))),
        }
    }
}

tls_struct! {
    /// `Capabilities` (RFC 9420 section 7.2).
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
    pub struct Capabilities {
        /// Supported protocol versions.
        pub versions: Vec<u16>,
        /// Supported cipher suites.
        pub cipher_suites: Vec<u16>,
        /// Supported non-default extension types.
        pub extensions: Vec<u16>,
        /// Supported non-default proposal types.
        pub proposals: Vec<u16>,
        /// Supported credential types.
        pub credentials: Vec<u16>,
    }
}

tls_struct! {
    /// `Lifetime` (RFC 9420 section 7.2): seconds since the Unix epoch.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct Lifetime {
        /// Not valid before.
        pub not_before: u64,
        /// Not valid after.
        pub not_after: u64,
    }
}

/// `LeafNodeSource` and the field that depends on it (RFC 9420 section 7.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafNodeSource {
    /// `key_package(1)`: the leaf came in a KeyPackage.
    KeyPackage(Lifetime),
    /// `update(2)`: the leaf came in an Update proposal.
    Update,
    /// `commit(3)`: the leaf came in a Commit's UpdatePath.
    Commit(SmallVLBytes),
}

impl LeafNodeSource {
    /// The `LeafNodeSource` value on the wire.
    pub fn value(&self) -> u8 {
        match self {
            LeafNodeSource::KeyPackage(_) => 1,
            LeafNodeSource::Update => 2,
            LeafNodeSource::Commit(_) => 3,
        }
    }
}

impl Encode for LeafNodeSource {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        self.value().encode(w)?;
        match self {
            LeafNodeSource::KeyPackage(l) => l.encode(w),
            LeafNodeSource::Update => Ok(()),
            LeafNodeSource::Commit(ph) => ph.encode(w),
        }
    }
    fn encoded_len(&self) -> usize {
        1 + match self {
            LeafNodeSource::KeyPackage(l) => l.encoded_len(),
            LeafNodeSource::Update => 0,
            LeafNodeSource::Commit(ph) => ph.encoded_len(),
        }
    }
}

impl Decode for LeafNodeSource {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(r)? {
            1 => Ok(LeafNodeSource::KeyPackage(Lifetime::decode(r)?)),
            2 => Ok(LeafNodeSource::Update),
            3 => Ok(LeafNodeSource::Commit(SmallVLBytes::decode(r)?)),
            t => Err(Error::InvalidEnum(u64::from(t))),
        }
    }
}

tls_struct! {
    /// The signed part of a `LeafNode`, in wire order, without the TBS-only fields.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LeafNodeContent {
        /// HPKE key of the leaf.
        pub encryption_key: HpkePublicKeyBytes,
        /// Ed25519 key that signs for the member.
        pub signature_key: SignaturePublicKeyBytes,
        /// The member's credential.
        pub credential: Credential,
        /// What the member supports: shared, because nearly every member supports the same
        /// (the tree storage stores one copy of each distinct value).
        pub capabilities: Arc<Capabilities>,
        /// Where the leaf came from.
        pub leaf_node_source: LeafNodeSource,
        /// Leaf extensions.
        pub extensions: Vec<Extension>,
    }
}

tls_struct! {
    /// `LeafNode` (RFC 9420 section 7.2).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LeafNode {
        /// Everything the signature covers (besides the TBS context).
        pub content: LeafNodeContent,
        /// `SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)`.
        pub signature: SignatureBytes,
    }
}

tls_struct! {
    /// `ParentNode` (RFC 9420 section 7.1).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ParentNode {
        /// HPKE key of the node.
        pub encryption_key: HpkePublicKeyBytes,
        /// Parent hash of the node's parent (empty at the root's parent level).
        pub parent_hash: SmallVLBytes,
        /// Leaves below this node that do not know its private key.
        pub unmerged_leaves: Vec<u32>,
    }
}

/// `Node` (RFC 9420 section 7.8 / 12.4.3.3): a leaf or a parent.
// Leaves are larger than parents; the tree storage decides how to lay them out.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// `leaf(1)`.
    Leaf(LeafNode),
    /// `parent(2)`.
    Parent(ParentNode),
}

impl Encode for Node {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        match self {
            Node::Leaf(l) => {
                1u8.encode(w)?;
                l.encode(w)
            }
            Node::Parent(p) => {
                2u8.encode(w)?;
                p.encode(w)
            }
        }
    }
    fn encoded_len(&self) -> usize {
        1 + match self {
            Node::Leaf(l) => l.encoded_len(),
            Node::Parent(p) => p.encoded_len(),
        }
    }
}

impl Decode for Node {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(r)? {
            1 => Ok(Node::Leaf(LeafNode::decode(r)?)),
            2 => Ok(Node::Parent(ParentNode::decode(r)?)),
            t => Err(Error::InvalidEnum(u64::from(t))),
        }
    }
}

tls_struct! {
    /// `UpdatePathNode` (RFC 9420 section 7.6).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct UpdatePathNode {
        /// New public key of the path node.
        pub encryption_key: HpkePublicKeyBytes,
        /// The path secret, encrypted to each node of the copath node's resolution.
        pub encrypted_path_secret: Vec<vmls_crypto::HpkeCiphertext>,
    }
}

tls_struct! {
    /// `UpdatePath` (RFC 9420 section 7.6).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct UpdatePath {
        /// The committer's new leaf.
        pub leaf_node: LeafNode,
        /// One entry per node of the committer's filtered direct path.
        pub nodes: Vec<UpdatePathNode>,
    }
}
