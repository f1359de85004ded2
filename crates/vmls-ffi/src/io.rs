//! Checked conversions from the caller's pointers: input slices, output buffers with
//! `size_t *out_len` (capacity in, length out), handles.
use core::ffi::c_int;

use crate::error::{VMLS_ERR_BUFFER_TOO_SMALL, VMLS_ERR_INVALID_ARGUMENT, VMLS_ERR_NULL_POINTER};

/// Largest input of any call, in bytes (messages, Welcomes, state blobs, ratchet trees):
/// 16 MiB. The group's own `max_message_size` (1 MiB by default) is stricter for messages.
pub const VMLS_MAX_INPUT_LEN: usize = 16 << 20;
/// Largest identity (basic credential) or group ID, in bytes.
pub const VMLS_MAX_ID_LEN: usize = 1024;

/// An input byte string: `len` bytes at `ptr`; `ptr` may be NULL only when `len` is 0.
///
/// # Safety
/// If `len > 0`, `ptr` is NULL or valid for reads of `len` bytes that nobody writes while the
/// returned slice lives.
pub(crate) unsafe fn input<'a>(ptr: *const u8, len: usize, max: usize) -> Result<&'a [u8], c_int> {
    if len > max {
        return Err(VMLS_ERR_INVALID_ARGUMENT);
    }
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(VMLS_ERR_NULL_POINTER);
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable, unchanging bytes; `len` is at
    // most `max` (16 MiB), far below `isize::MAX`.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// An output buffer: `*len` bytes of capacity at `ptr` on entry; the length written (or needed)
/// on return. `ptr` may be NULL only when the capacity is 0 (a size query).
pub(crate) struct Out {
    ptr: *mut u8,
    capacity: usize,
    len: *mut usize,
}

impl Out {
    /// # Safety
    /// `len` is NULL or valid for reads and writes of a `size_t`; if `*len > 0`, `ptr` is NULL
    /// or valid for writes of `*len` bytes. Neither is accessed by anyone else during the call.
    pub(crate) unsafe fn new(ptr: *mut u8, len: *mut usize) -> Result<Self, c_int> {
        if len.is_null() {
            return Err(VMLS_ERR_NULL_POINTER);
        }
        // SAFETY: non-NULL, and the caller guarantees it is valid for reads of a `size_t`.
        let capacity = unsafe { len.read_unaligned() };
        if capacity > isize::MAX as usize {
            return Err(VMLS_ERR_INVALID_ARGUMENT);
        }
        if capacity > 0 && ptr.is_null() {
            return Err(VMLS_ERR_NULL_POINTER);
        }
        Ok(Self { ptr, capacity, len })
    }

    /// Whether `n` bytes fit.
    pub(crate) fn fits(&self, n: usize) -> bool {
        n <= self.capacity
    }

    /// The whole buffer as a slice (for calls that write into it directly).
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        if self.capacity == 0 {
            return &mut [];
        }
        // SAFETY: `ptr` is non-NULL (checked in `new` for a non-zero capacity) and valid for
        // writes of `capacity` bytes, which `new`'s caller reserved for us for the whole call;
        // `disjoint` was checked against every input before this is called.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.capacity) }
    }

    /// Copies `bytes` (which must fit) and sets the length.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), c_int> {
        let dst = self
            .as_mut_slice()
            .get_mut(..bytes.len())
            .ok_or(VMLS_ERR_BUFFER_TOO_SMALL)?;
        dst.copy_from_slice(bytes);
        self.set_len(bytes.len());
        Ok(())
    }

    /// Sets `*out_len` (the length written, or needed).
    pub(crate) fn set_len(&mut self, n: usize) {
        // SAFETY: `len` was checked non-NULL in `new`, and its caller guarantees it is valid for
        // writes of a `size_t` during the call (a raw write: two outputs may share it).
        unsafe { self.len.write_unaligned(n) }
    }

    /// Address range of the buffer.
    fn range(&self) -> (usize, usize) {
        (self.ptr as usize, self.capacity)
    }
}

/// Sets each output's length to the size it needs if any does not fit, and returns
/// `VMLS_ERR_BUFFER_TOO_SMALL`; checks before anything is written or changed.
pub(crate) fn ensure_fit(outs: &mut [(&mut Out, usize)]) -> Result<(), c_int> {
    if outs.iter().all(|(o, n)| o.fits(*n)) {
        return Ok(());
    }
    for (o, n) in outs.iter_mut() {
        o.set_len(*n);
    }
    Err(VMLS_ERR_BUFFER_TOO_SMALL)
}

/// `VMLS_ERR_INVALID_ARGUMENT` if any output buffer overlaps an input or another output
/// (Rust may not write memory it also reads through a shared slice).
pub(crate) fn disjoint(outs: &[&Out], inputs: &[&[u8]]) -> Result<(), c_int> {
    let overlap = |(a, la): (usize, usize), (b, lb): (usize, usize)| {
        la > 0 && lb > 0 && a < b.saturating_add(lb) && b < a.saturating_add(la)
    };
    for (i, o) in outs.iter().enumerate() {
        let r = o.range();
        let with_inputs = inputs
            .iter()
            .any(|s| overlap(r, (s.as_ptr() as usize, s.len())));
        let with_outputs = outs.iter().skip(i + 1).any(|p| overlap(r, p.range()));
        if with_inputs || with_outputs {
            return Err(VMLS_ERR_INVALID_ARGUMENT);
        }
    }
    Ok(())
}
