//! Running the scenarios in both modes, extrapolating in G, and printing the table.
use core::fmt::{self, Write as _};

use vmls_crypto::op_count::OpCounts;
use vmls_ds::Traffic;
use vmls_emulation::announce::MAX_ACTIONS;

use crate::meter::{DeviceId, Meter, exclusive};
use crate::{CostError, MultiWorld, Scenario, VirtualWorld};

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Users (U).
    pub users: usize,
    /// Devices per user (D).
    pub devices: usize,
    /// Shared groups (G).
    pub groups: usize,
    /// Up to this many groups the run is complete; above, it runs at G' = 1 and 2 and
    /// extrapolates linearly in G.
    pub max_measured_groups: usize,
    /// Fill every parent node of the shared groups' trees before measuring (every second
    /// leaf commits an UpdatePath: the steady state of a group whose members update). Off:
    /// the trees are as one batch Add left them (all parents blank but the creator's path),
    /// the worst case for a committer (RFC 9420 section 4.1.1 resolutions).
    pub warm_trees: bool,
}

impl Params {
    /// The large case: U = 50, D = 4, G = 100.
    pub const LARGE: Params = Params {
        users: 50,
        devices: 4,
        groups: 100,
        max_measured_groups: 3,
        warm_trees: true,
    };
    /// The small case, run completely: U = 4, D = 2, G = 3.
    pub const SMALL: Params = Params {
        users: 4,
        devices: 2,
        groups: 3,
        max_measured_groups: 3,
        warm_trees: true,
    };

    fn check(&self) -> Result<(), CostError> {
        if self.users < 2 {
            return Err(CostError::Params("at least 2 users"));
        }
        if self.devices < 2 {
            return Err(CostError::Params(
                "at least 2 devices per user (a device is removed)",
            ));
        }
        if self.groups < 1 {
            return Err(CostError::Params("at least 1 group"));
        }
        if self.users > 1000 || self.devices > 64 || self.groups > 100_000 {
            return Err(CostError::Params(
                "at most 1000 users, 64 devices per user, 100000 groups",
            ));
        }
        if self.users.saturating_mul(self.devices).saturating_add(1) > 1024 {
            return Err(CostError::Params(
                "U x D + 1 must fit a group (GroupConfig::max_members = 1024)",
            ));
        }
        if self.max_measured_groups < 2 {
            return Err(CostError::Params("max_measured_groups must be at least 2"));
        }
        Ok(())
    }
}

/// The cost of one scenario in one mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// The device that acts (sends, commits, announces, adds, removes).
    pub actor: OpCounts,
    /// The acting user's other devices: the largest of them (not counting a new or removed
    /// device).
    pub sibling: OpCounts,
    /// A device of another user: the largest of them.
    pub other: OpCounts,
    /// The new device (adding a device only).
    pub new_device: OpCounts,
    /// All devices together.
    pub total: OpCounts,
    /// Bytes and messages at the Delivery Service.
    pub traffic: Traffic,
    /// The acting device's time, microseconds.
    pub actor_us: u64,
    /// All devices' time, microseconds.
    pub total_us: u64,
}

fn max_ops<'a>(it: impl Iterator<Item = &'a OpCounts>) -> OpCounts {
    it.copied()
        .max_by_key(|o| (o.public_key_ops(), o.hpke_open, o.verify))
        .unwrap_or_default()
}

impl Cost {
    /// Collects the meter's per-device figures: user 0's device 0 acts; `new_device` is
    /// reported on its own.
    pub fn from_meter(meter: &Meter, traffic: Traffic, new_device: Option<DeviceId>) -> Self {
        let actor: DeviceId = (0, 0);
        let sibling = max_ops(
            meter
                .ops
                .iter()
                .filter(|(id, _)| id.0 == 0 && **id != actor && Some(**id) != new_device)
                .map(|(_, o)| o),
        );
        let other = max_ops(meter.ops.iter().filter(|(id, _)| id.0 != 0).map(|(_, o)| o));
        let total = meter
            .ops
            .values()
            .fold(OpCounts::default(), |a, o| a.plus(o));
        let us = |d: core::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Cost {
            actor: meter.of(actor),
            sibling,
            other,
            new_device: new_device.map(|n| meter.of(n)).unwrap_or_default(),
            total,
            traffic,
            actor_us: meter.time.get(&actor).copied().map_or(0, us),
            total_us: meter.time.values().copied().map(us).sum(),
        }
    }

    fn to_vec(self) -> Vec<u64> {
        let mut v = Vec::new();
        for o in [
            self.actor,
            self.sibling,
            self.other,
            self.new_device,
            self.total,
        ] {
            v.extend([
                o.sign,
                o.verify,
                o.hpke_seal,
                o.hpke_open,
                o.hpke_keygen,
                o.sig_keygen,
                o.x25519,
            ]);
        }
        let t = self.traffic;
        v.extend([
            t.sent_messages,
            t.sent_bytes,
            t.fanned_out_messages,
            t.fanned_out_bytes,
            t.received_messages,
            t.received_bytes,
            self.actor_us,
            self.total_us,
        ]);
        v
    }

    fn from_vec(v: &[u64]) -> Self {
        let g = |i: usize| v.get(i).copied().unwrap_or(0);
        let ops = |b: usize| OpCounts {
            sign: g(b),
            verify: g(b + 1),
            hpke_seal: g(b + 2),
            hpke_open: g(b + 3),
            hpke_keygen: g(b + 4),
            sig_keygen: g(b + 5),
            x25519: g(b + 6),
        };
        Cost {
            actor: ops(0),
            sibling: ops(7),
            other: ops(14),
            new_device: ops(21),
            total: ops(28),
            traffic: Traffic {
                sent_messages: g(35),
                sent_bytes: g(36),
                fanned_out_messages: g(37),
                fanned_out_bytes: g(38),
                received_messages: g(39),
                received_bytes: g(40),
            },
            actor_us: g(41),
            total_us: g(42),
        }
    }

    /// Every figure multiplied by `k` (saturating).
    pub fn scale(&self, k: usize) -> Cost {
        let k = u64::try_from(k).unwrap_or(u64::MAX);
        let v: Vec<u64> = self.to_vec().iter().map(|x| x.saturating_mul(k)).collect();
        Cost::from_vec(&v)
    }

    /// Linear extrapolation in G from runs at `g1` and `g1 + 1` groups: `fixed * batches(G) +
    /// slope * G`, where `slope = c2 - c1` is the per-group part and `fixed = c1 - slope * g1`
    /// the part paid once per announcement (`batches`: how many announcements G groups need;
    /// 1 where nothing is batched).
    pub fn extrapolate(
        c1: &Cost,
        c2: &Cost,
        g1: usize,
        g: usize,
        batches: impl Fn(usize) -> usize,
    ) -> Cost {
        let (v1, v2) = (c1.to_vec(), c2.to_vec());
        let b1 = batches(g1) as i128;
        let bg = batches(g) as i128;
        let out: Vec<u64> = v1
            .iter()
            .zip(&v2)
            .map(|(&a, &b)| {
                let slope = i128::from(b) - i128::from(a);
                let fixed = i128::from(a) - slope * g1 as i128;
                // `fixed` was measured with b1 announcements.
                let per_batch = if b1 > 0 { fixed / b1 } else { fixed };
                let v = per_batch * bg + slope * g as i128;
                // Every cost grows with G: a noisy timing is never extrapolated below what
                // was measured.
                let v = v.max(i128::from(a.max(b)));
                u64::try_from(v.max(0)).unwrap_or(u64::MAX)
            })
            .collect();
        Cost::from_vec(&out)
    }
}

/// Whether a figure was measured at the requested G or extrapolated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// Run at the requested parameters.
    Measured,
    /// Measured with `from` groups (full U and D) and multiplied by G / `from`.
    Scaled {
        /// The G' of the run.
        from: usize,
    },
    /// Measured at G' = `from` and `from + 1` groups (full U and D) and extrapolated to G.
    Extrapolated {
        /// The smaller G'.
        from: usize,
    },
}

/// One mode's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeReport {
    /// Leaves in each shared group (measured).
    pub leaves_per_group: usize,
    /// Per scenario: the cost and where it comes from.
    pub scenarios: Vec<(Scenario, Cost, Provenance)>,
}

impl ModeReport {
    /// The cost of one scenario.
    pub fn cost(&self, s: Scenario) -> Option<&Cost> {
        self.scenarios.iter().find(|x| x.0 == s).map(|x| &x.1)
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// What was asked.
    pub params: Params,
    /// Multi-client mode.
    pub multi: ModeReport,
    /// Virtual-client mode.
    pub virtual_clients: ModeReport,
}

/// Announcements V needs for `g` groups (each holds at most `MAX_ACTIONS` actions).
pub fn announcements(g: usize) -> usize {
    g.div_ceil(MAX_ACTIONS).max(1)
}

/// Progress notes for a caller that shows them (the CLI prints them to stderr).
pub type Progress<'a> = &'a mut dyn FnMut(&str);

fn run_multi(
    p: &Params,
    groups: usize,
    progress: Progress<'_>,
) -> Result<(usize, Vec<(Scenario, Cost)>), CostError> {
    let t = std::time::Instant::now();
    let mut w = MultiWorld::build(p.users, p.devices, groups)?;
    if p.warm_trees {
        w.warm()?;
    }
    progress(&format!(
        "multi-client: built {groups} group(s) of {} leaves in {:.1} s",
        w.leaves_per_group(),
        t.elapsed().as_secs_f64()
    ));
    let leaves = w.leaves_per_group();
    let mut out = Vec::new();
    for s in Scenario::ALL {
        let mut meter = Meter::default();
        let new = (s == Scenario::AddDevice).then_some((0, w.devices_of_user0()));
        let t = std::time::Instant::now();
        w.run(s, &mut meter)?;
        progress(&format!(
            "  {}: {:.1} s",
            s.name(),
            t.elapsed().as_secs_f64()
        ));
        out.push((s, Cost::from_meter(&meter, w.traffic(), new)));
    }
    Ok((leaves, out))
}

fn run_virtual(
    p: &Params,
    groups: usize,
    progress: Progress<'_>,
) -> Result<(usize, Vec<(Scenario, Cost)>), CostError> {
    let t = std::time::Instant::now();
    let mut w = VirtualWorld::build(p.users, p.devices, groups)?;
    if p.warm_trees {
        w.warm()?;
    }
    progress(&format!(
        "virtual-client: built {} emulation groups and {groups} group(s) of {} leaves in {:.1} s",
        p.users,
        w.leaves_per_group(),
        t.elapsed().as_secs_f64()
    ));
    let leaves = w.leaves_per_group();
    let mut out = Vec::new();
    for s in Scenario::ALL {
        let mut meter = Meter::default();
        let new = (s == Scenario::AddDevice).then_some((0, p.devices));
        let t = std::time::Instant::now();
        w.run(s, &mut meter)?;
        progress(&format!(
            "  {}: {:.1} s",
            s.name(),
            t.elapsed().as_secs_f64()
        ));
        out.push((s, Cost::from_meter(&meter, w.traffic(), new)));
    }
    Ok((leaves, out))
}

type RunFn = fn(&Params, usize, Progress<'_>) -> Result<(usize, Vec<(Scenario, Cost)>), CostError>;

fn mode(
    p: &Params,
    run: RunFn,
    virtual_mode: bool,
    progress: Progress<'_>,
) -> Result<ModeReport, CostError> {
    if p.groups <= p.max_measured_groups {
        let (leaves, s) = run(p, p.groups, progress)?;
        return Ok(ModeReport {
            leaves_per_group: leaves,
            scenarios: s
                .into_iter()
                .map(|(s, c)| (s, c, Provenance::Measured))
                .collect(),
        });
    }
    if !virtual_mode {
        // Multi-client mode shares nothing between groups (each device has its own leaf and
        // state in each): every figure but the message is G times one group's.
        let (leaves, s1) = run(p, 1, progress)?;
        let scenarios = s1
            .into_iter()
            .map(|(s, c)| match s {
                Scenario::Message => (s, c, Provenance::Measured),
                _ => (s, c.scale(p.groups), Provenance::Scaled { from: 1 }),
            })
            .collect();
        return Ok(ModeReport {
            leaves_per_group: leaves,
            scenarios,
        });
    }
    let (leaves, s1) = run(p, 1, progress)?;
    let (_, s2) = run(p, 2, progress)?;
    let scenarios = s1
        .into_iter()
        .zip(s2)
        .map(|((s, c1), (_, c2))| match s {
            // One message in one group: independent of G, measured.
            Scenario::Message => (s, c2, Provenance::Measured),
            // V's commits in G groups take one announcement per `MAX_ACTIONS` groups.
            Scenario::PcsUpdate | Scenario::RemoveDevice => (
                s,
                Cost::extrapolate(&c1, &c2, 1, p.groups, announcements),
                Provenance::Extrapolated { from: 1 },
            ),
            Scenario::AddDevice => (
                s,
                Cost::extrapolate(&c1, &c2, 1, p.groups, |_| 1),
                Provenance::Extrapolated { from: 1 },
            ),
        })
        .collect();
    Ok(ModeReport {
        leaves_per_group: leaves,
        scenarios,
    })
}

/// The figures of one mode run completely at `groups` shared groups (U and D from `params`):
/// leaves per group and each scenario's cost. `virtual_mode` picks the mode.
pub fn measure_at(
    params: &Params,
    groups: usize,
    virtual_mode: bool,
) -> Result<(usize, Vec<(Scenario, Cost)>), CostError> {
    params.check()?;
    let _guard = exclusive();
    if virtual_mode {
        run_virtual(params, groups, &mut |_| {})
    } else {
        run_multi(params, groups, &mut |_| {})
    }
}

/// Runs both modes for `params` (one measurement at a time in the process: the op counters
/// are global).
pub fn run(params: Params) -> Result<Report, CostError> {
    run_with_progress(params, &mut |_| {})
}

/// [`run`], telling `progress` what it is doing.
pub fn run_with_progress(params: Params, progress: Progress<'_>) -> Result<Report, CostError> {
    params.check()?;
    let _guard = exclusive();
    Ok(Report {
        params,
        multi: mode(&params, run_multi, false, progress)?,
        virtual_clients: mode(&params, run_virtual, true, progress)?,
    })
}

fn ops(o: &OpCounts) -> String {
    format!(
        "{} ({} sig, {} vfy, {} seal, {} open, {} kg)",
        o.public_key_ops(),
        o.sign,
        o.verify,
        o.hpke_seal,
        o.hpke_open,
        o.hpke_keygen + o.sig_keygen
    )
}

fn bytes(b: u64) -> String {
    if b >= 10 * 1024 * 1024 {
        format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
    } else if b >= 10 * 1024 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

fn time(us: u64) -> String {
    if us >= 10_000 {
        format!("{:.0} ms", us as f64 / 1000.0)
    } else {
        format!("{:.2} ms", us as f64 / 1000.0)
    }
}

impl Report {
    /// The table (Markdown), with the parameters and which figures are extrapolated.
    pub fn to_markdown(&self) -> String {
        let p = &self.params;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "U = {} users, D = {} devices each, G = {} shared groups",
            p.users, p.devices, p.groups
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "| | multi-client | virtual-client |");
        let _ = writeln!(s, "| --- | --- | --- |");
        let _ = writeln!(
            s,
            "| leaves per shared group (measured) | {} | {} |",
            self.multi.leaves_per_group, self.virtual_clients.leaves_per_group
        );
        for sc in Scenario::ALL {
            let (Some((_, m, pm)), Some((_, v, pv))) = (
                self.multi.scenarios.iter().find(|x| x.0 == sc),
                self.virtual_clients.scenarios.iter().find(|x| x.0 == sc),
            ) else {
                continue;
            };
            let prov = |p: &Provenance| match p {
                Provenance::Measured => "measured".to_string(),
                Provenance::Scaled { from } => format!("measured at G' = {from}, x G"),
                Provenance::Extrapolated { from } => {
                    format!("extrapolated from G' = {from}, {}", from + 1)
                }
            };
            let _ = writeln!(s, "| **{}** | {} | {} |", sc.name(), prov(pm), prov(pv));
            let mut row = |label: &str, f: &dyn Fn(&Cost) -> String| {
                let _ = writeln!(s, "| {label} | {} | {} |", f(m), f(v));
            };
            row("messages uploaded", &|c| {
                c.traffic.sent_messages.to_string()
            });
            row("bytes uploaded (sent)", &|c| bytes(c.traffic.sent_bytes));
            row("bytes delivered (fan-out to queues)", &|c| {
                bytes(c.traffic.fanned_out_bytes)
            });
            row("bytes downloaded by devices", &|c| {
                bytes(c.traffic.received_bytes)
            });
            row("pk ops, acting device", &|c| ops(&c.actor));
            if sc != Scenario::Message || p.devices > 1 {
                row("pk ops, each other device of the user (max)", &|c| {
                    ops(&c.sibling)
                });
            }
            row("pk ops, each device of another user (max)", &|c| {
                ops(&c.other)
            });
            if sc == Scenario::AddDevice {
                row("pk ops, the new device", &|c| ops(&c.new_device));
            }
            row("pk ops, all devices", &|c| ops(&c.total));
            // Wall-clock times extrapolated from two noisy runs mean little: shown only where
            // measured (or multiplied by G).
            let t = |p: &Provenance, us: u64| match p {
                Provenance::Extrapolated { .. } => "-".to_string(),
                _ => time(us),
            };
            let _ = writeln!(
                s,
                "| time, acting device | {} | {} |",
                t(pm, m.actor_us),
                t(pv, v.actor_us)
            );
            let _ = writeln!(
                s,
                "| time, all devices (one after another) | {} | {} |",
                t(pm, m.total_us),
                t(pv, v.total_us)
            );
        }
        s
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_markdown())
    }
}
