//! Typed GroupContext and GroupInfo extensions ([`RequiredCapabilities`] is vmls-tree's type) (RFC 9420 sections 11.1, 12.1.8.1, 12.4.3.2,
//! 12.4.3.3) and their conversion to and from [`Extension`].
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer, tls_struct};
use vmls_tree::node::{HpkePublicKeyBytes, SignaturePublicKeyBytes};
use vmls_tree::{Credential, Extension, Node, RatchetTree, RequiredCapabilities, extension_type};

use crate::Error;

/// An extension with a typed body.
pub trait ExtensionBody: Encode + Decode {
    /// Its `ExtensionType`.
    const EXTENSION_TYPE: u16;

    /// Wraps the encoded body in an [`Extension`].
    fn to_extension(&self) -> Result<Extension, Error> {
        Ok(Extension {
            extension_type: Self::EXTENSION_TYPE,
            extension_data: self.to_bytes()?.into(),
        })
    }

    /// Decodes the body of `extension` (its whole `extension_data`), which must have this type.
    fn from_extension(extension: &Extension) -> Result<Self, Error> {
        if extension.extension_type != Self::EXTENSION_TYPE {
            return Err(Error::InvalidExtension(extension.extension_type));
        }
        Self::decode_exact(&extension.extension_data)
            .map_err(|_| Error::InvalidExtension(Self::EXTENSION_TYPE))
    }
}

/// The extension of type `T` in `extensions`, decoded; `Ok(None)` if absent.
pub fn find<T: ExtensionBody>(extensions: &[Extension]) -> Result<Option<T>, Error> {
    extensions
        .iter()
        .find(|e| e.extension_type == T::EXTENSION_TYPE)
        .map(T::from_extension)
        .transpose()
}

impl ExtensionBody for RequiredCapabilities {
    const EXTENSION_TYPE: u16 = extension_type::REQUIRED_CAPABILITIES;
}

tls_struct! {
    /// `ExternalSender` (RFC 9420 section 12.1.8.1).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ExternalSender {
        /// Key that signs the sender's external proposals.
        pub signature_key: SignaturePublicKeyBytes,
        /// The sender's credential.
        pub credential: Credential,
    }
}

/// `ExternalSender external_senders<V>` (RFC 9420 section 12.1.8.1), a GroupContext extension.
/// `Sender::External(i)` names entry `i`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ExternalSenders(pub Vec<ExternalSender>);

impl Encode for ExternalSenders {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.0.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.0.encoded_len()
    }
}

impl Decode for ExternalSenders {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Vec::decode(r).map(Self)
    }
}

impl ExtensionBody for ExternalSenders {
    const EXTENSION_TYPE: u16 = extension_type::EXTERNAL_SENDERS;
}

tls_struct! {
    /// `ExternalPub` (RFC 9420 section 12.4.3.2), a GroupInfo extension.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ExternalPub {
        /// The group's external HPKE public key.
        pub external_pub: HpkePublicKeyBytes,
    }
}

impl ExtensionBody for ExternalPub {
    const EXTENSION_TYPE: u16 = extension_type::EXTERNAL_PUB;
}

/// `optional<Node> ratchet_tree<V>` (RFC 9420 section 12.4.3.3), a GroupInfo extension: the
/// tree's nodes in array order, `None` for a blank node. Only the syntax is checked here (the
/// tree crate checks the shape, e.g. that the last node is not blank, and the hashes).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RatchetTreeExtension(pub Vec<Option<Node>>);

impl Encode for RatchetTreeExtension {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.0.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.0.encoded_len()
    }
}

impl Decode for RatchetTreeExtension {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Vec::decode(r).map(Self)
    }
}

impl RatchetTreeExtension {
    /// The nodes of `tree` as they are sent.
    pub fn from_tree(tree: &RatchetTree) -> Result<Self, Error> {
        Ok(Self::decode_exact(&tree.to_bytes()?)?)
    }

    /// Builds the ratchet tree (shape checks and tree hashes in vmls-tree), with at most
    /// `max_leaves` leaves.
    pub fn into_tree(self, max_leaves: u32) -> Result<RatchetTree, vmls_tree::TreeError> {
        RatchetTree::from_nodes(self.0, max_leaves)
    }
}

impl ExtensionBody for RatchetTreeExtension {
    const EXTENSION_TYPE: u16 = extension_type::RATCHET_TREE;
}
