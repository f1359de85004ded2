//! Per-device attribution of public-key operations and time.
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use vmls_crypto::op_count::{self, OpCounts};

/// A device: (user index, device index within the user).
pub type DeviceId = (usize, usize);

/// The op counters are process-wide: one measurement at a time.
static LOCK: Mutex<()> = Mutex::new(());

/// Takes the measurement lock (a poisoned lock is still a lock: the counters are reset by every
/// measurement that follows).
pub(crate) fn exclusive() -> MutexGuard<'static, ()> {
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What each device did during one scenario.
#[derive(Debug, Default, Clone)]
pub struct Meter {
    /// Public-key operations per device.
    pub ops: BTreeMap<DeviceId, OpCounts>,
    /// Wall-clock time per device.
    pub time: BTreeMap<DeviceId, Duration>,
}

impl Meter {
    /// Runs `f` as device `who`'s step, adding the operations it made to `who`.
    pub fn step<T>(&mut self, who: DeviceId, f: impl FnOnce() -> T) -> T {
        let before = op_count::snapshot();
        let start = Instant::now();
        let out = f();
        let elapsed = start.elapsed();
        let done = op_count::snapshot().since(&before);
        let e = self.ops.entry(who).or_default();
        *e = e.plus(&done);
        *self.time.entry(who).or_default() += elapsed;
        out
    }

    /// Operations of `who` (zero if it did nothing).
    pub fn of(&self, who: DeviceId) -> OpCounts {
        self.ops.get(&who).copied().unwrap_or_default()
    }
}
