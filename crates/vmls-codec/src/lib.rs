//! TLS presentation language as used by MLS (RFC 9420 section 2.1).
//!
//! * fixed-width big-endian integers,
//! * the MLS variable-length integer (section 2.1.2): minimal encodings only, the `0b11` prefix is
//!   rejected,
//! * `opaque<V>` and `T<V>` vectors whose length prefix counts bytes,
//! * `optional<T>` (one presence byte, then the value).
//!
//! Decoding runs on a [`Reader`] over a borrowed slice. It never panics, it never reads past the
//! input, and every length prefix is checked against the bytes that remain before anything is
//! allocated, so a decoder allocates at most as much as its input is long.
//!
//! Encoding writes into a [`Writer`]: a `Vec<u8>` (feature `alloc`) or a caller buffer
//! ([`SliceWriter`]), so the application-message path can encode without a heap.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod reader;
pub mod sort;
mod varint;
mod writer;

#[cfg(feature = "alloc")]
mod owned;

pub use error::Error;
pub use reader::Reader;
pub use varint::{MAX_VARINT, varint_len};
pub use writer::{CountingWriter, SliceWriter, Writer};

#[cfg(feature = "alloc")]
pub use owned::{SmallVLBytes, VLBytes};

/// A value with a TLS presentation-language encoding.
pub trait Encode {
    /// Appends the encoding of `self` to `w`.
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error>;

    /// Number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;

    /// The encoding as a fresh vector.
    #[cfg(feature = "alloc")]
    fn to_bytes(&self) -> Result<alloc::vec::Vec<u8>, Error> {
        let mut v = alloc::vec::Vec::with_capacity(self.encoded_len());
        self.encode(&mut v)?;
        Ok(v)
    }
}

/// A value that can be read from a TLS presentation-language encoding.
pub trait Decode: Sized {
    /// Reads one value from `r`, advancing it.
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error>;

    /// Decodes a whole message: `bytes` must hold exactly one value, trailing bytes are an error.
    fn decode_exact(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

macro_rules! impl_uint {
    ($t:ty, $n:expr) => {
        impl Encode for $t {
            fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
                w.put(&self.to_be_bytes())
            }
            fn encoded_len(&self) -> usize {
                $n
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
                Ok(<$t>::from_be_bytes(r.read_array::<$n>()?))
            }
        }
    };
}
impl_uint!(u8, 1);
impl_uint!(u16, 2);
impl_uint!(u32, 4);
impl_uint!(u64, 8);

impl<const N: usize> Encode for [u8; N] {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        w.put(self)
    }
    fn encoded_len(&self) -> usize {
        N
    }
}

impl<const N: usize> Decode for [u8; N] {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        r.read_array::<N>()
    }
}

/// `optional<T>`: a presence byte (0 or 1) followed by the value when present.
impl<T: Encode> Encode for Option<T> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        match self {
            None => w.put(&[0]),
            Some(v) => {
                w.put(&[1])?;
                v.encode(w)
            }
        }
    }
    fn encoded_len(&self) -> usize {
        1 + self.as_ref().map_or(0, Encode::encoded_len)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(r)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(r)?)),
            b => Err(Error::InvalidOptional(b)),
        }
    }
}

/// A shared value encodes as the value itself (used to share identical parts of stored
/// structures, e.g. leaf capabilities).
#[cfg(feature = "alloc")]
impl<T: Encode + ?Sized> Encode for alloc::sync::Arc<T> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        (**self).encode(w)
    }
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
}

#[cfg(feature = "alloc")]
impl<T: Decode> Decode for alloc::sync::Arc<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        T::decode(r).map(alloc::sync::Arc::new)
    }
}

impl Encode for bool {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        w.put(&[u8::from(*self)])
    }
    fn encoded_len(&self) -> usize {
        1
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(r)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::InvalidEnum(u64::from(b))),
        }
    }
}

/// Writes `opaque<V>`: a varint byte count, then the bytes.
pub fn encode_opaque<W: Writer + ?Sized>(w: &mut W, bytes: &[u8]) -> Result<(), Error> {
    varint::encode_varint(w, bytes.len())?;
    w.put(bytes)
}

/// Length of `opaque<V>` holding `n` bytes.
pub fn opaque_len(n: usize) -> usize {
    varint_len(n) + n
}

/// Writes a vector `T<V>` whose elements are `items`: a varint byte count, then the elements.
pub fn encode_vec<T: Encode, W: Writer + ?Sized>(w: &mut W, items: &[T]) -> Result<(), Error> {
    let body: usize = items.iter().map(Encode::encoded_len).sum();
    varint::encode_varint(w, body)?;
    for item in items {
        item.encode(w)?;
    }
    Ok(())
}

/// Length of the vector `T<V>` holding `items`.
pub fn vec_len<T: Encode>(items: &[T]) -> usize {
    let body: usize = items.iter().map(Encode::encoded_len).sum();
    varint_len(body) + body
}

pub use varint::{decode_varint, encode_varint};

#[cfg(feature = "alloc")]
impl<T: Encode> Encode for alloc::vec::Vec<T> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        encode_vec(w, self)
    }
    fn encoded_len(&self) -> usize {
        vec_len(self)
    }
}

#[cfg(feature = "alloc")]
impl<T: Decode> Decode for alloc::vec::Vec<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let mut sub = r.read_vec_body()?;
        let mut out = alloc::vec::Vec::new();
        while !sub.is_empty() {
            out.push(T::decode(&mut sub)?);
        }
        Ok(out)
    }
}

mod fixed;
pub use fixed::OpaqueArray;

/// Declares a struct whose encoding is its fields in order (a TLS `struct`), implementing
/// [`Encode`] and [`Decode`].
#[macro_export]
macro_rules! tls_struct {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fm:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$m])*
        $vis struct $name {
            $( $(#[$fm])* $fvis $field : $ty ),*
        }
        impl $crate::Encode for $name {
            fn encode<W: $crate::Writer + ?Sized>(&self, w: &mut W) -> ::core::result::Result<(), $crate::Error> {
                $( $crate::Encode::encode(&self.$field, w)?; )*
                Ok(())
            }
            fn encoded_len(&self) -> usize {
                0 $( + $crate::Encode::encoded_len(&self.$field) )*
            }
        }
        impl $crate::Decode for $name {
            fn decode(r: &mut $crate::Reader<'_>) -> ::core::result::Result<Self, $crate::Error> {
                Ok(Self { $( $field: $crate::Decode::decode(r)? ),* })
            }
        }
    };
}
