//! The `panic-handler` feature: a `#[panic_handler]` for bare-metal builds.
//!
//! vmls never panics on input (the workspace denies `unwrap`, `expect`, `panic!` and slice
//! indexing in library code), so this runs only on a bug or when the allocator fails (Rust's
//! `alloc` turns an out-of-memory into a panic in `no_std`). It stops the core in a spin loop:
//! a firmware's watchdog then resets the device. rustc requires a panic handler in a `no_std`
//! static library, so the bare-metal staticlib always needs this feature (part of `embedded`);
//! a firmware written in Rust, with its own handler, links the `vmls` crate instead of this ABI.
use core::panic::PanicInfo;

#[panic_handler]
fn panic(_info: &PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
