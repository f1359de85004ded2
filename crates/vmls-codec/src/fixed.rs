use crate::{Decode, Encode, Error, Reader, Writer, encode_opaque, opaque_len};

/// An `opaque<V>` that must hold exactly `N` bytes (a public key, a signature, a hash), stored
/// inline. Decoding any other length is [`Error::WrongLength`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpaqueArray<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for OpaqueArray<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> core::fmt::Debug for OpaqueArray<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl<const N: usize> core::ops::Deref for OpaqueArray<N> {
    type Target = [u8; N];
    fn deref(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> From<[u8; N]> for OpaqueArray<N> {
    fn from(v: [u8; N]) -> Self {
        Self(v)
    }
}

impl<const N: usize> Encode for OpaqueArray<N> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        encode_opaque(w, &self.0)
    }
    fn encoded_len(&self) -> usize {
        opaque_len(N)
    }
}

impl<const N: usize> Decode for OpaqueArray<N> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        r.read_opaque_array::<N>().map(Self)
    }
}
