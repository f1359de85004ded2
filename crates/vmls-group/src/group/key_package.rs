//! KeyPackage creation and validation (RFC 9420 sections 10 and 10.1; last-resort KeyPackages,
//! RFC 9750 section 5.1).
use alloc::vec;
use alloc::vec::Vec;
use rand_core::CryptoRng;
use vmls_codec::{Decode, Encode, Error as CodecError, OpaqueArray, Reader, Writer};
use vmls_crypto::{
    CipherSuite, HpkePrivateKey, SignatureKeyPair, SignaturePrivateKey, generate_hpke_key_pair,
};
use vmls_tree::extension::{has_duplicate_extensions, is_default_extension};
use vmls_tree::{
    Capabilities, Credential, Extension, LeafNode, LeafNodeContent, LeafNodeSource,
    LeafNodeSourceType, LeafValidationParams, Lifetime, extension_type,
};

use super::error::{GroupError, KeyPackageError};
use crate::framing::ProtocolVersion;
use crate::key_package::{KeyPackage, KeyPackageTBS};

/// What a new KeyPackage says about its client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPackageParams {
    /// The client's credential.
    pub credential: Credential,
    /// Validity period of the leaf (RFC 9420 section 7.2).
    pub lifetime: Lifetime,
    /// Non-default extension types the client supports besides the ones it uses (those are
    /// added to the capabilities automatically).
    pub extra_extension_types: Vec<u16>,
    /// Non-default proposal types the client supports.
    pub proposal_types: Vec<u16>,
    /// Credential types the client supports besides its own.
    pub extra_credential_types: Vec<u16>,
    /// LeafNode extensions.
    pub leaf_extensions: Vec<Extension>,
    /// KeyPackage extensions (besides `last_resort`).
    pub extensions: Vec<Extension>,
    /// Marks the KeyPackage as a last-resort KeyPackage that the Delivery Service may hand out
    /// more than once (the `last_resort` KeyPackage extension, RFC 9750 section 5.1).
    pub last_resort: bool,
}

impl KeyPackageParams {
    /// A basic credential with `identity`, valid over `lifetime`, no extensions.
    pub fn basic(identity: &[u8], lifetime: Lifetime) -> Self {
        Self {
            credential: Credential::Basic(identity.into()),
            lifetime,
            extra_extension_types: Vec::new(),
            proposal_types: Vec::new(),
            extra_credential_types: Vec::new(),
            leaf_extensions: Vec::new(),
            extensions: Vec::new(),
            last_resort: false,
        }
    }

    /// The LeafNode capabilities these parameters advertise for suite `suite`.
    pub fn capabilities(&self, suite: u16) -> Capabilities {
        let mut extensions = self.extra_extension_types.clone();
        let used = self
            .leaf_extensions
            .iter()
            .chain(self.extensions.iter())
            .map(|e| e.extension_type)
            .chain(self.last_resort.then_some(extension_type::LAST_RESORT));
        for t in used {
            if !is_default_extension(t) && !extensions.contains(&t) {
                extensions.push(t);
            }
        }
        let mut credentials = vec![self.credential.credential_type()];
        for t in &self.extra_credential_types {
            if !credentials.contains(t) {
                credentials.push(*t);
            }
        }
        Capabilities {
            versions: vec![ProtocolVersion::MLS10.0],
            cipher_suites: vec![suite],
            extensions,
            proposals: self.proposal_types.clone(),
            credentials,
        }
    }
}

/// The private keys behind a KeyPackage: the HPKE init key (decrypts the Welcome), the leaf's
/// HPKE key, and the signature key. Zeroized on drop; never printed.
#[derive(Clone, Debug)]
pub struct KeyPackagePrivate {
    /// Private key of `init_key`.
    pub init_key: HpkePrivateKey,
    /// Private key of `leaf_node.encryption_key`.
    pub leaf_key: HpkePrivateKey,
    /// Private key of `leaf_node.signature_key`.
    pub signature_key: SignaturePrivateKey,
}

/// `struct { opaque init_key[32]; opaque leaf_key[32]; opaque signature_key[32]; }` (secret:
/// store it protected).
impl Encode for KeyPackagePrivate {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        w.put(self.init_key.as_bytes())?;
        w.put(self.leaf_key.as_bytes())?;
        w.put(self.signature_key.to_bytes().as_ref())
    }
    fn encoded_len(&self) -> usize {
        96
    }
}

impl Decode for KeyPackagePrivate {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let bad = CodecError::WrongLength {
            expected: 32,
            got: 0,
        };
        let init_key = HpkePrivateKey::from_slice(r.take(32)?).map_err(|_| bad)?;
        let leaf_key = HpkePrivateKey::from_slice(r.take(32)?).map_err(|_| bad)?;
        let signature_key = SignaturePrivateKey::from_slice(r.take(32)?).map_err(|_| bad)?;
        Ok(Self {
            init_key,
            leaf_key,
            signature_key,
        })
    }
}

/// Creates a KeyPackage for suite `S` (RFC 9420 section 10): a fresh init key and leaf
/// encryption key from `rng`, the leaf signed with `signer` as source `key_package`, and the
/// KeyPackage signed with `signer`. Returns the public KeyPackage and its private keys.
pub fn create_key_package<S: CipherSuite, R: CryptoRng + ?Sized>(
    params: &KeyPackageParams,
    signer: &SignatureKeyPair,
    rng: &mut R,
) -> Result<(KeyPackage, KeyPackagePrivate), GroupError> {
    let init = generate_hpke_key_pair(rng)?;
    let leaf = generate_hpke_key_pair(rng)?;
    let content = LeafNodeContent {
        encryption_key: OpaqueArray(leaf.public),
        signature_key: OpaqueArray(signer.public),
        credential: params.credential.clone(),
        capabilities: params.capabilities(S::ID).into(),
        leaf_node_source: LeafNodeSource::KeyPackage(params.lifetime),
        extensions: params.leaf_extensions.clone(),
    };
    let leaf_node = LeafNode::sign(content, &signer.private, None)?;
    let mut extensions = params.extensions.clone();
    if params.last_resort
        && !extensions
            .iter()
            .any(|e| e.extension_type == extension_type::LAST_RESORT)
    {
        extensions.push(Extension {
            extension_type: extension_type::LAST_RESORT,
            extension_data: Vec::new().into(),
        });
    }
    let kp = KeyPackageTBS {
        version: ProtocolVersion::MLS10,
        cipher_suite: S::ID,
        init_key: OpaqueArray(init.public),
        leaf_node,
        extensions,
    }
    .sign(&signer.private)?;
    // Both signatures were just made with `signer` (LeafNode::sign refuses a mismatched key),
    // so only the structural rules of 10.1 are checked, not the signatures again.
    check_key_package_content::<S>(&kp, &LeafValidationParams::default(), false)?;
    Ok((
        kp,
        KeyPackagePrivate {
            init_key: init.private,
            leaf_key: leaf.private,
            signature_key: signer.private.clone(),
        },
    ))
}

/// Whether the KeyPackage carries the `last_resort` extension.
pub fn is_last_resort(kp: &KeyPackage) -> bool {
    kp.tbs
        .extensions
        .iter()
        .any(|e| e.extension_type == extension_type::LAST_RESORT)
}

/// KeyPackage validation (RFC 9420 section 10.1) against suite `S` and the group parameters in
/// `params` (group ID, required capabilities, current time): version mls10 and cipher suite `S`,
/// the leaf valid for a KeyPackage (section 7.3, source `key_package`), the KeyPackage
/// signature, `encryption_key != init_key`, and every non-default KeyPackage extension listed in
/// the leaf's capabilities. The checks against the other members (credential support, unique
/// keys) are done when the Add is applied.
pub fn validate_key_package<S: CipherSuite>(
    kp: &KeyPackage,
    params: &LeafValidationParams<'_>,
) -> Result<(), GroupError> {
    check_key_package_content::<S>(kp, params, true)
}

/// The rules of [`validate_key_package`]; the two signatures only when `verify_signatures`.
fn check_key_package_content<S: CipherSuite>(
    kp: &KeyPackage,
    params: &LeafValidationParams<'_>,
    verify_signatures: bool,
) -> Result<(), GroupError> {
    let tbs = &kp.tbs;
    if tbs.version != ProtocolVersion::MLS10 {
        return Err(KeyPackageError::Version(tbs.version.0).into());
    }
    if tbs.cipher_suite != S::ID {
        return Err(KeyPackageError::CipherSuite(tbs.cipher_suite).into());
    }
    let source = Some(LeafNodeSourceType::KeyPackage);
    if verify_signatures {
        tbs.leaf_node.validate(source, None, params)
    } else {
        tbs.leaf_node.validate_unsigned(source, None, params)
    }
    .map_err(KeyPackageError::Leaf)?;
    if verify_signatures {
        kp.verify_signature()
            .map_err(|_| KeyPackageError::Signature)?;
    }
    if tbs.init_key.0 == tbs.leaf_node.content.encryption_key.0 {
        return Err(KeyPackageError::InitKeyEqualsEncryptionKey.into());
    }
    if has_duplicate_extensions(&tbs.extensions) {
        return Err(KeyPackageError::DuplicateExtension.into());
    }
    let mut listed = tbs.leaf_node.content.capabilities.extensions.clone();
    vmls_codec::sort::sort_unstable(&mut listed);
    for e in &tbs.extensions {
        if !is_default_extension(e.extension_type)
            && listed.binary_search(&e.extension_type).is_err()
        {
            return Err(KeyPackageError::UnsupportedExtension(e.extension_type).into());
        }
    }
    Ok(())
}
