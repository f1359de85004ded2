//! SHA-256 and RFC 9420 section 5.2 hash-based identifiers.
use sha2::{Digest, Sha256};
use vmls_codec::{Writer, encode_opaque};

use crate::NH;

/// A hash output (`Nh` bytes). Not secret.
pub type HashValue = [u8; NH];

/// SHA-256 of `data`.
pub fn hash(data: &[u8]) -> HashValue {
    Sha256::digest(data).into()
}

/// Incremental SHA-256 that is also a [`Writer`], so a structure can be hashed while it is encoded
/// without materializing the encoding.
#[derive(Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self(Sha256::new())
    }
    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// The digest.
    pub fn finish(self) -> HashValue {
        self.0.finalize().into()
    }
}

impl Writer for Hasher {
    fn put(&mut self, bytes: &[u8]) -> Result<(), vmls_codec::Error> {
        self.0.update(bytes);
        Ok(())
    }
}

/// `RefHash(label, value) = Hash(RefHashInput { opaque label<V>; opaque value<V>; })`
/// (RFC 9420 section 5.2).
pub fn ref_hash(label: &[u8], value: &[u8]) -> Result<HashValue, vmls_codec::Error> {
    let mut h = Hasher::new();
    encode_opaque(&mut h, label)?;
    encode_opaque(&mut h, value)?;
    Ok(h.finish())
}

/// `MakeKeyPackageRef(value) = RefHash("MLS 1.0 KeyPackage Reference", value)`.
pub fn make_key_package_ref(key_package: &[u8]) -> Result<HashValue, vmls_codec::Error> {
    ref_hash(b"MLS 1.0 KeyPackage Reference", key_package)
}

/// `MakeProposalRef(value) = RefHash("MLS 1.0 Proposal Reference", value)`.
pub fn make_proposal_ref(authenticated_content: &[u8]) -> Result<HashValue, vmls_codec::Error> {
    ref_hash(b"MLS 1.0 Proposal Reference", authenticated_content)
}
