//! Hostile input from real peers: every recorded message a peer sent to a vmls member is
//! mutated, and each mutant is fed to that member restored from its state blob.
use std::collections::BTreeMap;

use crate::harness::Recorded;
use crate::party::MutantOutcome;

/// Mutation operators (counted separately).
pub const OPS: &[&str] = &[
    "bitflip", "set00", "setff", "set7f", "truncate", "append", "insert", "delete", "splice",
];

/// Every mutant of `m`, with its operator index. `other` is another message to splice with.
pub fn mutants(m: &[u8], other: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let n = m.len();
    let mut out = Vec::new();
    for i in 0..n {
        let mut v = m.to_vec();
        v[i] ^= 1 << (i % 8);
        out.push((0, v));
        for (op, val) in [(1, 0x00u8), (2, 0xff), (3, 0x7f)] {
            if m[i] != val {
                let mut v = m.to_vec();
                v[i] = val;
                out.push((op, v));
            }
        }
    }
    // Truncation: every length up to 96, then every 7th length.
    for len in (0..n).filter(|&l| l <= 96 || l % 7 == 0) {
        out.push((4, m[..len].to_vec()));
    }
    // Trailing bytes.
    for tail in [&[0u8][..], &[0xff], &[0, 0, 0, 0], &[0x55; 32]] {
        let mut v = m.to_vec();
        v.extend_from_slice(tail);
        out.push((5, v));
    }
    // Inserted and deleted bytes: every position up to 64, then every 5th.
    for i in (0..n).filter(|&i| i < 64 || i % 5 == 0) {
        for b in [0x00u8, 0x80] {
            let mut v = m.to_vec();
            v.insert(i, b);
            out.push((6, v));
        }
        let mut v = m.to_vec();
        v.remove(i);
        out.push((7, v));
    }
    // Splices: a prefix of this message with a suffix of the other.
    if !other.is_empty() {
        for cut in (1..n).step_by((n / 16).max(1)) {
            let oc = cut.min(other.len());
            let mut v = m[..cut].to_vec();
            v.extend_from_slice(&other[oc..]);
            // A splice that reproduces the other message is that message, not a mutant.
            if v != m && v != other {
                out.push((8, v));
            }
        }
    }
    out
}

/// The counts of one hostile-input run.
#[derive(Default, Debug)]
pub struct Counts {
    /// Messages mutated.
    pub messages: usize,
    /// Mutants fed.
    pub mutants: usize,
    /// Rejected with the state blob unchanged.
    pub rejected: usize,
    /// Accepted.
    pub accepted: usize,
    /// Accepted, and the target explained why that is harmless (by reason).
    pub explained: BTreeMap<String, usize>,
    /// Rejected but the state blob changed.
    pub state_changed: usize,
    /// Panics.
    pub panics: usize,
    /// Real messages that no longer processed after their mutants.
    pub real_failed: usize,
    /// Per operator: (mutants, accepted).
    pub per_op: BTreeMap<&'static str, (usize, usize)>,
    /// Per message kind: (messages, mutants, accepted).
    pub per_kind: BTreeMap<String, (usize, usize, usize)>,
    /// Examples of accepted mutants: (message kind, sender, operator, position/len info).
    pub accepted_examples: Vec<String>,
}

impl Counts {
    /// Accepted and not explained.
    pub fn unexplained(&self) -> usize {
        self.accepted - self.explained.values().sum::<usize>()
    }
}

/// Picks the messages to mutate: all of them, or (`sample`) the first of each (scenario,
/// sender, kind).
pub fn select(recorded: Vec<Recorded>, sample: bool) -> Vec<Recorded> {
    if !sample {
        return recorded;
    }
    let mut seen = std::collections::BTreeSet::new();
    recorded
        .into_iter()
        .filter(|r| seen.insert((r.scenario, r.from, r.what.clone())))
        .collect()
}

/// Runs every mutant of every selected message.
pub fn run(mut recorded: Vec<Recorded>) -> Counts {
    let mut c = Counts::default();
    let n = recorded.len();
    let messages: Vec<Vec<u8>> = recorded.iter().map(|r| r.message.clone()).collect();
    for (k, r) in recorded.iter_mut().enumerate() {
        let other = &messages[(k + 1) % n];
        let kind = format!("{} from {}", r.what, r.from);
        let muts = mutants(&r.message, other);
        c.messages += 1;
        let e = c.per_kind.entry(kind.clone()).or_default();
        e.0 += 1;
        e.1 += muts.len();
        for (op, m) in muts {
            c.mutants += 1;
            let po = c.per_op.entry(OPS[op]).or_default();
            po.0 += 1;
            match r.target.try_mutant(&m) {
                MutantOutcome::Rejected => c.rejected += 1,
                MutantOutcome::Accepted => {
                    c.accepted += 1;
                    if let Some(why) = r.target.explain_accepted(&r.message, &m) {
                        *c.explained
                            .entry(format!("{} from {}: {why}", r.what, r.from))
                            .or_default() += 1;
                        continue;
                    }
                    po.1 += 1;
                    c.per_kind.entry(kind.clone()).or_default().2 += 1;
                    if c.accepted_examples.len() < 200 {
                        let diff = first_diff(&r.message, &m);
                        c.accepted_examples.push(format!(
                            "{kind} [{}]: {} len {} -> {}, first difference at {diff} ({})",
                            r.scenario,
                            OPS[op],
                            r.message.len(),
                            m.len(),
                            hex(&m[diff.saturating_sub(4)..(diff + 4).min(m.len())])
                        ));
                    }
                }
                MutantOutcome::RejectedStateChanged => c.state_changed += 1,
                MutantOutcome::Panic => c.panics += 1,
            }
        }
        if let Err(e) = r.target.try_real(&r.message) {
            c.real_failed += 1;
            eprintln!("real message no longer processes ({kind}): {e}");
        }
    }
    c
}

fn first_diff(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
