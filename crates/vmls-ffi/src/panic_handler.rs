//! The `panic-handler` feature: a `#[panic_handler]` for bare-metal builds.
//!
//! vmls never panics on input (the workspace denies `unwrap`, `expect`, `panic!` and slice
//! indexing in library code), so this runs only on a bug or when the allocator fails (Rust's
//! `alloc` turns an out-of-memory into a panic in `no_std`). It stops the core in a spin loop:
//! a firmware's watchdog then resets the device. A firmware that has its own panic handler
//! builds without this feature (`--no-default-features --features malloc`) and links its own
//! Rust crate that provides one.
use core::panic::PanicInfo;

#[panic_handler]
fn panic(_info: &PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
