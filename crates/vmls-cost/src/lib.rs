//! The emulation cost report (issue 18, "Costs"): multi-client mode, where every device is its
//! own leaf in every shared group, against virtual-client mode, where a user's D devices
//! emulate one leaf V (draft-kohbrok-mls-virtual-clients-03; draft-robert-mls-multi-device-
//! modes-00 names the two modes). Both run on the real code (`vmls-group`,
//! `vmls-emulation`) over the in-memory Delivery Service (`vmls-ds`), which counts bytes, and
//! with `vmls-crypto`'s `op-count` measurement hook, which counts public-key operations per
//! device (each device's step runs alone between two counter reads).
//!
//! For U users with D devices each in G shared groups, each scenario is run at a few small G'
//! and extrapolated linearly in G when G is larger than [`Params::max_measured_groups`]
//! (see [`Report`] for which figures are measured and which extrapolated). The pinned
//! counting conventions are in docs/performance.md, "Emulation costs".
#![forbid(unsafe_code)]
// Indices into the worlds' user and device lists are in range by construction.
#![allow(clippy::indexing_slicing)]

mod error;
pub mod meter;
mod multi;
mod report;
mod virt;

pub use error::CostError;
pub use meter::{DeviceId, Meter};
pub use multi::MultiWorld;
pub use report::{
    Cost, ModeReport, Params, Progress, Provenance, Report, announcements, measure_at, run,
    run_with_progress,
};
pub use virt::{VirtualWorld, emulator_config};
pub use vmls_crypto::op_count::OpCounts;
pub use vmls_ds::Traffic;

use vmls_crypto::SeededPrng;
use vmls_tree::Lifetime;

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    /// One PCS update of one user (what it means in each mode: [`Scenario::describe`]).
    PcsUpdate,
    /// One application message from one device in one group, read by every other device.
    Message,
    /// Adding a device to user 0.
    AddDevice,
    /// Removing a device of user 0.
    RemoveDevice,
}

impl Scenario {
    /// Every scenario, in the order they run on one world.
    pub const ALL: [Scenario; 4] = [
        Scenario::PcsUpdate,
        Scenario::Message,
        Scenario::AddDevice,
        Scenario::RemoveDevice,
    ];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::PcsUpdate => "PCS update of one user",
            Scenario::Message => "one application message",
            Scenario::AddDevice => "add a device",
            Scenario::RemoveDevice => "remove a device",
        }
    }

    /// What the scenario does in each mode: (multi-client, virtual-client).
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Scenario::PcsUpdate => (
                "the healing device commits an UpdatePath in each of the G groups (G commits): \
                 a compromise of one device exposes only that device's leaves",
                "one announcement in the user's emulation group (a G_user commit with path; one \
                 per 128 groups) and V's commit with path in each of the G groups: a compromise of \
                 any device exposes V, so V and G_user are refreshed",
            ),
            Scenario::Message => (
                "a PrivateMessage from one device in one group",
                "a CBAM from one emulator of V in one group",
            ),
            Scenario::AddDevice => (
                "the new device publishes G KeyPackages; an existing device commits an Add \
                 (no path) in each group; the new device joins G groups from Welcomes",
                "an existing device adds the new one to the emulation group (Add commit + \
                 Welcome) and provisions it (announcement + V's state in chunks); the shared \
                 groups see nothing",
            ),
            Scenario::RemoveDevice => (
                "an existing device commits a Remove (with path) of the lost device's leaf in \
                 each group",
                "an existing device removes the lost device from the emulation group and, in \
                 the same announcement, V commits with path in each group (issue 18)",
            ),
        }
    }
}

/// The lifetime of every leaf in the runs.
pub(crate) const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

/// The application message's payload (100 bytes).
pub fn message_payload() -> Vec<u8> {
    let mut v = b"vmls cost report: one application message of one hundred bytes ".to_vec();
    v.resize(100, b'.');
    v
}

pub(crate) fn seeded(tag: u64) -> SeededPrng {
    let mut s = [0u8; 32];
    for (d, b) in s.iter_mut().zip(tag.to_be_bytes()) {
        *d = b;
    }
    s[31] = 0xC0;
    SeededPrng::from_seed(s)
}

/// The name (and DS queue) of device `d` of user `u`.
pub fn device_name(u: usize, d: usize) -> String {
    format!("user {u:03} device {d}")
}

/// The id of shared group `gi` (all ids have the same length, so every group's messages have
/// the same size).
pub fn group_id(gi: usize) -> Vec<u8> {
    format!("shared group {gi:05}").into_bytes()
}

/// The MLSMessage wire format of `m` (3 = Welcome).
pub(crate) fn wire_format(m: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(2)?, *m.get(3)?]))
}
