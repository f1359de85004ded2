//! `KeyPackage` (RFC 9420 section 10).
use alloc::vec::Vec;
use vmls_codec::{Encode, OpaqueArray, tls_struct};
use vmls_crypto::{NH, SignaturePrivateKey};
use vmls_tree::Extension;
use vmls_tree::LeafNode;
use vmls_tree::node::{HpkePublicKeyBytes, SignatureBytes};

use crate::Error;
use crate::framing::ProtocolVersion;

/// `KeyPackageRef` = `MakeKeyPackageRef(KeyPackage)` (RFC 9420 section 5.2): `opaque<V>` of `Nh`
/// bytes.
pub type KeyPackageRef = OpaqueArray<NH>;

/// Signature label of a KeyPackage (RFC 9420 section 10).
pub const KEY_PACKAGE_TBS_LABEL: &[u8] = b"KeyPackageTBS";

tls_struct! {
    /// `KeyPackageTBS` (RFC 9420 section 10): every field of a KeyPackage but the signature.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct KeyPackageTBS {
        /// Protocol version the client supports (mls10).
        pub version: ProtocolVersion,
        /// Cipher suite of this KeyPackage.
        pub cipher_suite: u16,
        /// HPKE key a Welcome is encrypted to (`init_key`).
        pub init_key: HpkePublicKeyBytes,
        /// The leaf the client will occupy (`leaf_node_source` = `key_package`).
        pub leaf_node: LeafNode,
        /// KeyPackage extensions.
        pub extensions: Vec<Extension>,
    }
}

tls_struct! {
    /// `KeyPackage` (RFC 9420 section 10): the signed [`KeyPackageTBS`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct KeyPackage {
        /// The signed fields.
        pub tbs: KeyPackageTBS,
        /// `SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)` with the leaf's signature key.
        pub signature: SignatureBytes,
    }
}

impl KeyPackageTBS {
    /// Signs with the private key of `leaf_node.signature_key` (RFC 9420 section 10).
    pub fn sign(self, signer: &SignaturePrivateKey) -> Result<KeyPackage, Error> {
        let tbs = self.to_bytes()?;
        let signature = vmls_crypto::sign_with_label(signer, KEY_PACKAGE_TBS_LABEL, &tbs)?;
        Ok(KeyPackage {
            tbs: self,
            signature: OpaqueArray(signature),
        })
    }
}

impl KeyPackage {
    /// Verifies the signature with `leaf_node.signature_key` (RFC 9420 section 10: a KeyPackage
    /// with an invalid signature is malformed). The rest of KeyPackage validation (10.1) needs
    /// the group and is done there.
    pub fn verify_signature(&self) -> Result<(), Error> {
        let tbs = self.tbs.to_bytes()?;
        let key = &self.tbs.leaf_node.content.signature_key;
        vmls_crypto::verify_with_label(
            key.as_slice(),
            KEY_PACKAGE_TBS_LABEL,
            &tbs,
            self.signature.as_slice(),
        )
        .map_err(|_| Error::InvalidSignature)
    }

    /// `MakeKeyPackageRef(KeyPackage)` (RFC 9420 section 5.2).
    pub fn make_ref(&self) -> Result<KeyPackageRef, Error> {
        Ok(OpaqueArray(vmls_crypto::make_key_package_ref(
            &self.to_bytes()?,
        )?))
    }
}
