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

/// Bytes [`SmallVLBytes`] stores inline.
const SMALL: usize = 32;

/// An owned `opaque<V>` that stores up to 32 bytes (a hash of the SHA-256 suites, e.g. a
/// `parent_hash`, RFC 9420 section 7.9) inline, without a heap allocation, and longer values on
/// the heap. Encodes exactly like [`VLBytes`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SmallVLBytes(SmallRepr);

/// Invariant: `Heap` only for more than [`SMALL`] bytes, so equal values have equal
/// representations.
#[derive(Clone, PartialEq, Eq, Hash)]
enum SmallRepr {
    Inline { len: u8, bytes: [u8; SMALL] },
    Heap(alloc::boxed::Box<[u8]>),
}

impl SmallVLBytes {
    /// A copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let mut inline = [0u8; SMALL];
        match inline.get_mut(..bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Self(SmallRepr::Inline {
                    len: bytes.len() as u8,
                    bytes: inline,
                })
            }
            None => Self(SmallRepr::Heap(bytes.into())),
        }
    }
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            SmallRepr::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            SmallRepr::Heap(b) => b,
        }
    }
}

impl Default for SmallVLBytes {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl core::fmt::Debug for SmallVLBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SmallVLBytes(")?;
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl Deref for SmallVLBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for SmallVLBytes {
    fn from(v: &[u8]) -> Self {
        Self::new(v)
    }
}

impl From<Vec<u8>> for SmallVLBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::new(&v)
    }
}

impl Encode for SmallVLBytes {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        encode_opaque(w, self.as_slice())
    }
    fn encoded_len(&self) -> usize {
        opaque_len(self.as_slice().len())
    }
}

impl Decode for SmallVLBytes {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self::new(r.read_opaque()?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Inline and heap values encode as `VLBytes` does and decode back to equal values.
    #[test]
    fn small_bytes_round_trip_like_vlbytes() {
        for n in [0usize, 1, 31, 32, 33, 100] {
            let v: Vec<u8> = (0..n as u8).collect();
            let small = SmallVLBytes::from(&v[..]);
            let wire = VLBytes(v.clone()).to_bytes().unwrap();
            assert_eq!(small.to_bytes().unwrap(), wire);
            assert_eq!(small.encoded_len(), wire.len());
            assert_eq!(SmallVLBytes::decode_exact(&wire).unwrap(), small);
            assert_eq!(small.as_slice(), &v[..]);
        }
    }
}
