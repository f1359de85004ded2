use alloc::vec::Vec;
use core::ops::Deref;

use crate::{Decode, Encode, Error, Reader, Writer, encode_opaque, opaque_len};

/// An owned `opaque<V>` (bytes with a variable-length size prefix).
#[derive(Clone, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct VLBytes(pub Vec<u8>);

impl core::fmt::Debug for VLBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "VLBytes(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl VLBytes {
    /// Wraps `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Deref for VLBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for VLBytes {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl From<&[u8]> for VLBytes {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

impl Encode for VLBytes {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        encode_opaque(w, &self.0)
    }
    fn encoded_len(&self) -> usize {
        opaque_len(self.0.len())
    }
}

impl Decode for VLBytes {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self(r.read_opaque()?.to_vec()))
    }
}
