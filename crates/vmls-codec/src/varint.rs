//! The MLS variable-length integer (RFC 9420 section 2.1.2).
use crate::{Error, Reader, Writer};

/// Largest value a variable-length integer can hold (2^30 - 1).
pub const MAX_VARINT: usize = (1 << 30) - 1;

/// Bytes the minimal encoding of `v` takes (values above [`MAX_VARINT`] report 4; encoding fails).
pub fn varint_len(v: usize) -> usize {
    if v < 1 << 6 {
        1
    } else if v < 1 << 14 {
        2
    } else {
        4
    }
}

/// Writes `v` with the shortest encoding.
pub fn encode_varint<W: Writer + ?Sized>(w: &mut W, v: usize) -> Result<(), Error> {
    let v32 = u32::try_from(v).map_err(|_| Error::VarintTooLarge)?;
    if v < 1 << 6 {
        w.put(&[v32 as u8])
    } else if v < 1 << 14 {
        w.put(&(0x4000u16 | v32 as u16).to_be_bytes())
    } else if v <= MAX_VARINT {
        w.put(&(0x8000_0000u32 | v32).to_be_bytes())
    } else {
        Err(Error::VarintTooLarge)
    }
}

/// Reads a variable-length integer, rejecting the `0b11` prefix and non-minimal encodings.
pub fn decode_varint(r: &mut Reader<'_>) -> Result<usize, Error> {
    let [first] = r.read_array::<1>()?;
    let (len, min) = match first >> 6 {
        0 => return Ok(usize::from(first)),
        1 => (2usize, 1usize << 6),
        2 => (4, 1 << 14),
        _ => return Err(Error::InvalidVarintPrefix),
    };
    let mut v = usize::from(first & 0x3f);
    for b in r.take(len - 1)? {
        v = (v << 8) | usize::from(*b);
    }
    if v < min {
        return Err(Error::NonMinimalVarint);
    }
    Ok(v)
}
