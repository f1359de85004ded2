use crate::{Error, varint};

/// A cursor over borrowed input that cannot read past its end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The unread bytes, without consuming them.
    pub fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Fails with [`Error::TrailingBytes`] unless all input was consumed.
    pub fn finish(&self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes(self.rest.len()))
        }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.rest.len() {
            return Err(Error::EndOfInput {
                needed: n,
                remaining: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Takes the next `N` bytes as an array.
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Reads an MLS variable-length integer (RFC 9420 2.1.2).
    pub fn read_varint(&mut self) -> Result<usize, Error> {
        varint::decode_varint(self)
    }

    /// Reads `opaque<V>` and returns the borrowed bytes.
    pub fn read_opaque(&mut self) -> Result<&'a [u8], Error> {
        let n = self.read_varint()?;
        self.take(n)
    }

    /// Reads `opaque<V>` that must hold exactly `N` bytes (a key or a hash of fixed size).
    pub fn read_opaque_array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let s = self.read_opaque()?;
        let mut out = [0u8; N];
        if s.len() != N {
            return Err(Error::WrongLength {
                expected: N,
                got: s.len(),
            });
        }
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Reads the length prefix of a vector `T<V>` and returns a reader over its body.
    pub fn read_vec_body(&mut self) -> Result<Reader<'a>, Error> {
        Ok(Reader::new(self.read_opaque()?))
    }
}
