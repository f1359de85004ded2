//! # vmls-ffi: the C ABI of vmls
//!
//! A C interface over the [`vmls`] facade for C firmware and mobile cores: opaque handles
//! (`vmls_key_package`, `vmls_group`), caller-provided output buffers with the length in/out
//! (`uint8_t *out, size_t *out_len`: capacity in, length written or needed out), stable integer
//! error codes ([`error`], `vmls_error_name`), and the caller's RNG as a callback
//! ([`VmlsRng`]) passed to every call that needs randomness. The header is
//! `include/vmls.h`; docs/embedding.md ("C ABI") is the guide.
//!
//! ## Rules every function follows
//! * **No global state**: no statics, no thread-locals; everything lives in the handles the
//!   caller holds. Separate handles are independent and may be used from different threads; one
//!   handle must not be used by two threads at once (it is not `Sync`).
//! * **Transactional**: a call that fails (bad input, a buffer too small, a failing RNG) leaves
//!   every handle it was given as it was (its state blob is byte-identical), and creates no
//!   handle. On `VMLS_ERR_BUFFER_TOO_SMALL` every `*out_len` of the call holds the size it
//!   needs.
//! * **Checked pointers**: every pointer is checked for NULL; an input may be NULL only with
//!   length 0, an output buffer only with capacity 0; lengths are bounded
//!   ([`VMLS_MAX_INPUT_LEN`], [`VMLS_MAX_ID_LEN`]); output buffers must not overlap inputs
//!   (refused with `VMLS_ERR_INVALID_ARGUMENT`).
//! * **No panic crosses the boundary**: the library never panics on input (the workspace
//!   denies `unwrap`, `expect`, `panic!` and indexing); with `std`, `catch_unwind` is the
//!   backstop (`VMLS_ERR_PANIC`); without it, the `panic-handler` feature stops the core.
//!
//! ## `unsafe`
//! This is the only crate of the workspace with `unsafe` code: dereferencing the caller's
//! pointers (in the `io` module and the handle accessors), calling the RNG callback (the `rng` module), turning
//! handles into boxes and back, and the optional allocator over `malloc`/`free`. Every block
//! says why it is sound in a `// SAFETY:` comment (clippy's `undocumented_unsafe_blocks` is
//! denied), and `unsafe_op_in_unsafe_fn` is denied so each unsafe operation is visible.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(all(feature = "panic-handler", feature = "std"))]
compile_error!("the `panic-handler` feature is for no_std builds: use --no-default-features");

pub mod error;
pub mod group;
mod io;
pub mod key_package;
pub mod rng;

#[cfg(feature = "malloc")]
pub mod malloc;
#[cfg(all(feature = "panic-handler", not(feature = "std"), not(test)))]
mod panic_handler;

use core::ffi::c_int;

pub use error::{ERROR_CODES, code_of, vmls_error_name};
pub use group::VmlsGroup;
pub use io::{VMLS_MAX_ID_LEN, VMLS_MAX_INPUT_LEN};
pub use key_package::VmlsKeyPackage;
pub use rng::{VmlsFillFn, VmlsRng};

/// `vmls_group_process` kind: application data (written to `out`).
pub const VMLS_MSG_APPLICATION: u32 = 1;
/// `vmls_group_process` kind: a proposal, cached for the next commit.
pub const VMLS_MSG_PROPOSAL: u32 = 2;
/// `vmls_group_process` kind: a commit, merged (the group is in a new epoch).
pub const VMLS_MSG_COMMIT: u32 = 3;
/// `vmls_group_process` kind: application data in a CBAM (written to `out`).
pub const VMLS_MSG_CBAM: u32 = 4;
/// Sender leaf index reported for senders that are not members (external senders, joiners).
pub const VMLS_SENDER_NONE: u32 = u32::MAX;
/// Version of this C ABI (`vmls_abi_version`): bumped when a signature or a code changes.
pub const VMLS_ABI_VERSION: u32 = 1;

/// The ABI version this library implements (compare with `VMLS_ABI_VERSION` in the header).
#[unsafe(no_mangle)]
pub extern "C" fn vmls_abi_version() -> u32 {
    VMLS_ABI_VERSION
}

/// Runs one exported function's body: its error code, or `VMLS_OK`. With `std`, a panic (a
/// bug: the library does not panic on input) is caught here and becomes `VMLS_ERR_PANIC`
/// instead of unwinding into C.
pub(crate) fn guard<F: FnOnce() -> Result<(), c_int>>(f: F) -> c_int {
    #[cfg(feature = "std")]
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or(Err(error::VMLS_ERR_PANIC));
    #[cfg(not(feature = "std"))]
    let result = f();
    match result {
        Ok(()) => error::VMLS_OK,
        Err(code) => code,
    }
}

/// Writes a new handle to the caller's `*out` (checked non-NULL by the caller of this).
///
/// # Safety
/// `out` is non-NULL and valid for writing one pointer.
pub(crate) unsafe fn give<T>(out: *mut *mut T, value: T) {
    let raw = alloc::boxed::Box::into_raw(alloc::boxed::Box::new(value));
    // SAFETY: the caller guarantees `out` is non-NULL and writable (unaligned writes allowed).
    unsafe { out.write_unaligned(raw) }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::panic)]
    fn a_panic_becomes_an_error_code_instead_of_unwinding() {
        assert_eq!(guard(|| Ok(())), error::VMLS_OK);
        assert_eq!(guard(|| Err(error::VMLS_ERR_RNG)), error::VMLS_ERR_RNG);
        assert_eq!(guard(|| panic!("a bug")), error::VMLS_ERR_PANIC);
    }
}
