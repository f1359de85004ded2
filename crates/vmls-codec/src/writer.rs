use crate::Error;

/// A sink for encoded bytes.
pub trait Writer {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error>;
}

#[cfg(feature = "alloc")]
impl Writer for alloc::vec::Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// Writes into a caller-provided buffer; fails with [`Error::BufferTooSmall`] instead of growing.
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> SliceWriter<'a> {
    /// A writer that fills `buf` from the start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.pos
    }

    /// The written prefix of the buffer.
    pub fn into_written(self) -> &'a mut [u8] {
        let pos = self.pos;
        let (head, _) = self.buf.split_at_mut(pos);
        head
    }
}

impl Writer for SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(Error::BufferTooSmall)?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(Error::BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
}

/// Counts bytes without storing them (to size a buffer before encoding).
#[derive(Debug, Default)]
pub struct CountingWriter(pub usize);

impl Writer for CountingWriter {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.0 += bytes.len();
        Ok(())
    }
}
