//! The `malloc` feature: Rust's heap over the C library's `malloc`, `realloc` and `free`, so a
//! C firmware gives vmls the same heap as the rest of its code (newlib, picolibc, its RTOS's
//! allocator). Part of the `embedded` feature; it also works on a host (the CI runs the FFI
//! tests with it).
//!
//! `malloc` returns memory aligned for any fundamental type: [`MIN_ALIGN`] bytes, at least.
//! Larger alignments are served by over-allocating and keeping the pointer `malloc` returned
//! just below the aligned block.
use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

/// Alignment every C `malloc` guarantees on the targets we build (8 on ARM EABI, where
/// `max_align_t` is 8 bytes; at least that on the 64-bit hosts).
pub const MIN_ALIGN: usize = 8;

/// The global allocator of a build with the `malloc` feature.
pub struct CMalloc;

#[global_allocator]
static ALLOCATOR: CMalloc = CMalloc;

// SAFETY: `alloc` returns NULL or a block of at least `layout.size()` bytes aligned to
// `layout.align()` that stays valid until `dealloc`; `dealloc` and `realloc` receive only
// pointers `alloc`/`realloc` returned for the same layout and take the same path (small or
// over-aligned) that produced them, since the path depends only on `layout.align()`.
unsafe impl GlobalAlloc for CMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            // SAFETY: plain C `malloc`; its result is MIN_ALIGN-aligned or NULL.
            return unsafe { malloc(layout.size()) }.cast();
        }
        // Over-aligned: room for the block, the alignment slack and the stored pointer.
        let Some(total) = layout.size().checked_add(layout.align()) else {
            return core::ptr::null_mut();
        };
        // SAFETY: plain C `malloc`.
        let raw: *mut u8 = unsafe { malloc(total) }.cast();
        if raw.is_null() {
            return raw;
        }
        // `raw` is MIN_ALIGN-aligned, so the offset to the next `align` boundary strictly above
        // it is between MIN_ALIGN and `align`: at least one pointer fits below the block.
        let offset = layout.align() - (raw as usize % layout.align());
        // SAFETY: `offset <= align`, so `raw + offset` is inside the `size + align` block.
        let aligned = unsafe { raw.add(offset) };
        // SAFETY: `aligned - size_of::<*mut u8>() >= raw` (offset >= MIN_ALIGN >= pointer size),
        // inside the block; an unaligned write needs no alignment.
        unsafe { aligned.cast::<*mut u8>().sub(1).write_unaligned(raw) };
        aligned
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() <= MIN_ALIGN {
            // SAFETY: `ptr` came from `malloc`/`realloc` on this path (see the impl's comment).
            unsafe { free(ptr.cast()) };
            return;
        }
        // SAFETY: over-aligned blocks keep `malloc`'s pointer just below `ptr` (see `alloc`).
        let raw = unsafe { ptr.cast::<*mut u8>().sub(1).read_unaligned() };
        // SAFETY: `raw` is the pointer `malloc` returned for this block.
        unsafe { free(raw.cast()) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            // SAFETY: `ptr` came from `malloc`/`realloc` on this path; C `realloc` keeps the
            // contents up to the smaller size and MIN_ALIGN alignment.
            return unsafe { realloc(ptr.cast(), new_size) }.cast();
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        // SAFETY: `new_layout` has a non-zero size (GlobalAlloc::realloc's contract) and the
        // same alignment.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for `min(old, new)` bytes and distinct allocations.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: `ptr` was allocated with `layout` by this allocator.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use core::alloc::Layout;

    use super::*;

    #[test]
    fn over_aligned_blocks_are_aligned_usable_and_freed() {
        for align in [16usize, 64, 4096] {
            for size in [1usize, 7, 100, 5000] {
                let layout = Layout::from_size_align(size, align).unwrap_or(Layout::new::<u8>());
                // SAFETY: non-zero size.
                let p = unsafe { CMalloc.alloc(layout) };
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "size {size} align {align}");
                // SAFETY: `p` is valid for `size` bytes.
                unsafe { core::ptr::write_bytes(p, 0xA5, size) };
                // SAFETY: grows the block, keeping the alignment and the contents.
                let q = unsafe { CMalloc.realloc(p, layout, size * 3) };
                assert!(!q.is_null());
                assert_eq!(q as usize % align, 0);
                // SAFETY: the first `size` bytes were copied.
                let kept = unsafe { core::slice::from_raw_parts(q, size) };
                assert!(kept.iter().all(|b| *b == 0xA5));
                let grown = Layout::from_size_align(size * 3, align).unwrap_or(layout);
                // SAFETY: `q` was allocated with `grown`.
                unsafe { CMalloc.dealloc(q, grown) };
            }
        }
    }
}
