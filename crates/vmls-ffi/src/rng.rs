//! The caller's RNG: a C callback behind `rand_core`'s traits.
use core::convert::Infallible;
use core::ffi::{c_int, c_void};

use rand_core::{TryCryptoRng, TryRng};
use zeroize::Zeroizing;

use crate::error::{VMLS_ERR_NULL_POINTER, VMLS_ERR_RNG};

/// `int (*fill)(void *ctx, uint8_t *buf, size_t len)`: writes `len` cryptographically secure
/// random bytes to `buf` and returns 0, or returns non-zero if it cannot.
pub type VmlsFillFn = unsafe extern "C" fn(ctx: *mut c_void, buf: *mut u8, len: usize) -> c_int;

/// `vmls_rng`: the caller's random source, passed to every call that needs randomness. vmls
/// keeps no RNG of its own (no global state): `fill` is called only during the call that was
/// given this struct, with `ctx` as its first argument.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VmlsRng {
    /// The callback (NULL is refused with `VMLS_ERR_NULL_POINTER`).
    pub fill: Option<VmlsFillFn>,
    /// Passed to `fill` unchanged; vmls never dereferences it.
    pub ctx: *mut c_void,
}

/// Bytes drawn through one `fill` call when an operation starts. An operation that needs no
/// more than this (an application message needs 4: the `reuse_guard`) cannot see the callback
/// fail after it changed the state.
const PREFETCH: usize = 32;

/// A [`VmlsRng`] as a `rand_core` RNG for one call.
///
/// The traits are infallible, the callback is not: a failing callback marks the RNG as failed
/// and the bytes it should have produced are zeros. [`CallbackRng::finish`] turns that into
/// `VMLS_ERR_RNG`, and every caller of `finish` discards what the operation produced (and the
/// state it would have moved to), so no output made from those zeros ever leaves vmls.
pub(crate) struct CallbackRng {
    fill: VmlsFillFn,
    ctx: *mut c_void,
    prefetched: Zeroizing<[u8; PREFETCH]>,
    used: usize,
    failed: bool,
}

impl CallbackRng {
    /// Reads the caller's struct and draws the first [`PREFETCH`] bytes.
    ///
    /// # Safety
    /// `rng` is NULL or points to a readable `vmls_rng` whose `fill`, if not NULL, follows the
    /// contract of [`VmlsFillFn`] for `ctx`.
    pub(crate) unsafe fn new(rng: *const VmlsRng) -> Result<Self, c_int> {
        // SAFETY: the caller guarantees `rng` is NULL or valid for reads; `as_ref` checks NULL.
        let rng = unsafe { rng.as_ref() }.ok_or(VMLS_ERR_NULL_POINTER)?;
        let fill = rng.fill.ok_or(VMLS_ERR_NULL_POINTER)?;
        let mut this = Self {
            fill,
            ctx: rng.ctx,
            prefetched: Zeroizing::new([0; PREFETCH]),
            used: 0,
            failed: false,
        };
        let mut first = Zeroizing::new([0u8; PREFETCH]);
        if !this.call(first.as_mut()) {
            return Err(VMLS_ERR_RNG);
        }
        this.prefetched = first;
        Ok(this)
    }

    /// Calls the callback for `dst`; false if it failed (then `dst` is zeroed).
    fn call(&mut self, dst: &mut [u8]) -> bool {
        if dst.is_empty() {
            return true;
        }
        // SAFETY: `dst` is a live, writable buffer of `dst.len()` bytes for the whole call, and
        // `fill`/`ctx` come from the caller's `vmls_rng`, whose contract (see `new`) is that
        // `fill(ctx, buf, len)` writes at most `len` bytes to `buf`.
        let rc = unsafe { (self.fill)(self.ctx, dst.as_mut_ptr(), dst.len()) };
        if rc != 0 {
            self.failed = true;
            dst.fill(0);
            return false;
        }
        true
    }

    /// `Err(VMLS_ERR_RNG)` if any callback failed during the operation.
    pub(crate) fn finish(&self) -> Result<(), c_int> {
        if self.failed {
            Err(VMLS_ERR_RNG)
        } else {
            Ok(())
        }
    }
}

impl TryRng for CallbackRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let available = self.prefetched.get(self.used..).unwrap_or_default();
        let n = available.len().min(dst.len());
        let (head, tail) = dst.split_at_mut(n);
        if let Some(src) = available.get(..n) {
            head.copy_from_slice(src);
        }
        // Prefetched bytes are used once: zero them as they go.
        if let Some(spent) = self.prefetched.get_mut(self.used..self.used + n) {
            spent.fill(0);
        }
        self.used += n;
        if self.failed {
            tail.fill(0);
        } else {
            self.call(tail);
        }
        Ok(())
    }
}

/// The callback must deliver cryptographically secure bytes (the `vmls_rng` contract).
impl TryCryptoRng for CallbackRng {}
