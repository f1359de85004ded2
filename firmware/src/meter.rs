//! Measurement for the budgets table: a counting global allocator around embedded-alloc, a
//! painted stack, an instruction clock (SysTick under `qemu -icount shift=0`), and output over
//! semihosting without `core::fmt` (so the measured flash is the client's, not a formatter's).
//!
//! The `unsafe` here is what a bare-metal binary needs and the library crates forbid: the heap's
//! memory, the GlobalAlloc contract, and reading/writing the unused stack below the stack
//! pointer. Each block says why it is sound.
use core::alloc::{GlobalAlloc, Layout};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};

use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::exception;
use cortex_m_semihosting::hio;
use embedded_alloc::LlffHeap;

/// Heap size. The budgets are measured, not imposed: this is far above what a session needs.
const HEAP_SIZE: usize = 2 * 1024 * 1024;

/// The global allocator: embedded-alloc's first-fit heap, counting bytes in use and their peak.
pub struct Counting {
    heap: LlffHeap,
}

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicU32 = AtomicU32::new(0);

#[global_allocator]
static HEAP: Counting = Counting {
    heap: LlffHeap::empty(),
};

// SAFETY: every call is forwarded to `LlffHeap` with the caller's arguments unchanged, so its
// GlobalAlloc guarantees carry over; the counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size).
        let p = unsafe { self.heap.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
            ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by `alloc` above with this `layout` (caller's contract).
        unsafe { self.heap.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }
}

/// Bytes on the heap now.
pub fn heap_in_use() -> usize {
    CURRENT.load(Relaxed)
}

/// Starts the heap and the instruction clock. Call once, first thing.
pub fn init() {
    static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once, before any allocation; HEAP_MEM is used by nothing else.
    unsafe { HEAP.heap.init(&raw mut HEAP_MEM as usize, HEAP_SIZE) }
    if let Some(p) = cortex_m::Peripherals::take() {
        let mut syst = p.SYST;
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
    }
}

static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Relaxed);
}

/// SysTick ticks since [`init`] (the core clock: 25 MHz on the MPS2).
fn ticks() -> u64 {
    loop {
        let w = WRAPS.load(Relaxed);
        let cur = SYST::get_current();
        if WRAPS.load(Relaxed) == w {
            return u64::from(w) * 0x0100_0000 + u64::from(0x00FF_FFFF - cur);
        }
    }
}

/// Instructions per SysTick tick under `-icount shift=0` (one instruction per virtual
/// nanosecond, SysTick at the 25 MHz system clock).
const INSNS_PER_TICK: u64 = 40;

unsafe extern "C" {
    /// End of .bss (cortex-m-rt's link.x): the lowest address the stack may grow to.
    static _stack_end: u32;
}

const PAINT: u32 = 0xC5C5_C5C5;
/// How far below the caller's stack pointer [`measure`] paints.
const PAINT_DEPTH: usize = 256 * 1024;

/// Paints the unused stack below the current stack pointer (leaving a small margin for this
/// function's own calls) and returns (stack pointer, lowest painted address).
#[inline(never)]
fn paint() -> (usize, usize) {
    let sp = cortex_m::register::msp::read() as usize;
    let top = (sp - 64) & !3;
    let bottom = top
        .saturating_sub(PAINT_DEPTH)
        .max(&raw const _stack_end as usize);
    let mut a = bottom;
    while a < top {
        // SAFETY: [bottom, top) lies between the end of .bss and below the stack pointer: RAM
        // that nothing uses (no interrupt handler but SysTick, which only touches its frame).
        unsafe { (a as *mut u32).write_volatile(PAINT) };
        a += 4;
    }
    (sp, bottom)
}

/// Deepest stack use since [`paint`] returned (sp, bottom), in bytes below that sp.
#[inline(never)]
fn stack_used(sp: usize, bottom: usize) -> usize {
    let mut a = bottom;
    // SAFETY: reads the RAM painted by `paint` (aligned, in range, below our frame).
    while a < sp && unsafe { (a as *const u32).read_volatile() } == PAINT {
        a += 4;
    }
    sp - a
}

/// What one operation cost.
#[derive(Clone, Copy, Default)]
pub struct Cost {
    /// Highest heap use during the operation above the use before it.
    pub heap_peak: usize,
    /// Heap use after minus before.
    pub heap_delta: isize,
    /// Allocations made.
    pub allocs: u32,
    /// Deepest stack use, bytes.
    pub stack: usize,
    /// Instructions (under `-icount shift=0`), rounded to the SysTick resolution.
    pub insns: u64,
}

/// Calls `f` in a frame of its own below the painted stack pointer: were the operation inlined
/// into the caller, its locals would sit in the caller's frame, above the paint, and not count.
#[inline(never)]
fn run<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Runs `f` and measures it.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let (sp, bottom) = paint();
    let before = CURRENT.load(Relaxed);
    PEAK.store(before, Relaxed);
    let a0 = ALLOCS.load(Relaxed);
    let t0 = ticks();
    let r = run(f);
    let t1 = ticks();
    let after = CURRENT.load(Relaxed);
    let cost = Cost {
        heap_peak: PEAK.load(Relaxed) - before,
        heap_delta: after as isize - before as isize,
        allocs: ALLOCS.load(Relaxed) - a0,
        stack: stack_used(sp, bottom),
        insns: (t1 - t0) * INSNS_PER_TICK,
    };
    (r, cost)
}

/// A line of output built on the stack.
pub struct Line {
    buf: [u8; 160],
    len: usize,
}

impl Line {
    pub fn new() -> Self {
        Self {
            buf: [0; 160],
            len: 0,
        }
    }

    pub fn s(&mut self, s: &str) -> &mut Self {
        for &b in s.as_bytes() {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        self
    }

    pub fn u(&mut self, mut v: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 || i == 0 {
                break;
            }
        }
        for &d in digits.get(i..).unwrap_or(&[]) {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = d;
                self.len += 1;
            }
        }
        self
    }

    pub fn i(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.s("-");
        }
        self.u(v.unsigned_abs())
    }

    /// Writes the line and a newline to the host's stdout.
    pub fn print(&mut self) {
        self.s("\n");
        if let Ok(mut out) = hio::hstdout() {
            let _ = out.write_all(self.buf.get(..self.len).unwrap_or(&[]));
        }
        self.len = 0;
    }
}

/// Prints one measured operation: `N=<n> op=<name> heap_peak=.. heap_delta=.. allocs=..
/// stack=.. insns=..`.
pub fn report(n: u32, op: &str, c: &Cost) {
    Line::new()
        .s("N=")
        .u(u64::from(n))
        .s(" op=")
        .s(op)
        .s(" heap_peak=")
        .u(c.heap_peak as u64)
        .s(" heap_delta=")
        .i(c.heap_delta as i64)
        .s(" allocs=")
        .u(u64::from(c.allocs))
        .s(" stack=")
        .u(c.stack as u64)
        .s(" insns=")
        .u(c.insns)
        .print();
}
