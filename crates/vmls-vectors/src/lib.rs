//! Conformance runner for the published MLS interoperability vectors
//! (`mlswg/mls-implementations`, `test-vectors/*.json`) and vmls's own vectors.
//!
//! Every file has one handler module; a handler runs one case and says whether it passed,
//! failed (with the reason) or was skipped (with the reason, e.g. an unsupported suite). A file
//! without a handler is reported with all its cases skipped, never as passed.
#![forbid(unsafe_code)]
#![allow(clippy::indexing_slicing)] // host tool over trusted files; lookups go through helpers

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub mod util;

mod crypto_basics;
mod deserialization;
mod key_schedule;
mod message_protection;
mod messages;
mod passive_client;
mod psk_secret;
mod secret_tree;
mod transcript_hashes;
mod tree_math;
mod tree_operations;
mod tree_validation;
mod treekem;
mod vmls_own;
mod welcome;

/// What happened to one test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every check of the case held.
    Pass,
    /// A check failed.
    Fail(String),
    /// The case was not run.
    Skip(String),
}

/// Runs one case of a vector file.
pub type CaseFn = fn(&Value) -> Outcome;

/// The handler for each published vector file.
pub fn handler(file_name: &str) -> Option<CaseFn> {
    Some(match file_name {
        "tree-math.json" => tree_math::run,
        "crypto-basics.json" => crypto_basics::run,
        "deserialization.json" => deserialization::run,
        "key-schedule.json" => key_schedule::run,
        "psk_secret.json" => psk_secret::run,
        "secret-tree.json" => secret_tree::run,
        "tree-validation.json" => tree_validation::run,
        "treekem.json" => treekem::run,
        "tree-operations.json" => tree_operations::run,
        "messages.json" => messages::run,
        "message-protection.json" => message_protection::run,
        "transcript-hashes.json" => transcript_hashes::run,
        "welcome.json" => welcome::run,
        "passive-client-welcome.json"
        | "passive-client-handling-commit.json"
        | "passive-client-random.json" => passive_client::run,
        // vmls's own vectors (test-vectors/vmls/).
        "cbst.json" => vmls_own::run_cbst,
        "cbam.json" => vmls_own::run_cbam,
        "emulation.json" => vmls_own::run_emulation,
        _ => return None,
    })
}

/// Results for one file.
#[derive(Debug, Default, Clone)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
    /// Skip reasons with their counts.
    pub skip_reasons: BTreeMap<String, usize>,
    /// Failures: case index and reason.
    pub failures: Vec<(usize, String)>,
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<36} passed {:>4}  failed {:>4}  skipped {:>4}",
            self.file, self.passed, self.failed, self.skipped
        )?;
        for (reason, n) in &self.skip_reasons {
            writeln!(f, "    skipped {n:>4}: {reason}")?;
        }
        for (i, why) in self.failures.iter().take(10) {
            writeln!(f, "    FAILED case {i}: {why}")?;
        }
        if self.failures.len() > 10 {
            writeln!(f, "    ... and {} more failures", self.failures.len() - 10)?;
        }
        Ok(())
    }
}

/// Runs every case of one file.
pub fn run_file(path: &Path) -> Result<FileReport, String> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: bad JSON: {e}", path.display()))?;
    // Published files are arrays of cases; ours are `{"description", "cases": [...]}`.
    let cases = json
        .as_array()
        .or_else(|| json.get("cases").and_then(Value::as_array))
        .ok_or_else(|| format!("{file}: top level is not an array of cases"))?;
    let mut report = FileReport {
        file: file.clone(),
        ..FileReport::default()
    };
    let run = handler(&file);
    for (i, case) in cases.iter().enumerate() {
        let outcome = match run {
            Some(run) => run_guarded(run, case),
            None => Outcome::Skip("no handler for this file yet".into()),
        };
        match outcome {
            Outcome::Pass => report.passed += 1,
            Outcome::Fail(why) => {
                report.failed += 1;
                report.failures.push((i, why));
            }
            Outcome::Skip(why) => {
                report.skipped += 1;
                *report.skip_reasons.entry(why).or_default() += 1;
            }
        }
    }
    Ok(report)
}

/// A handler that panics fails its case instead of aborting the run.
fn run_guarded(run: CaseFn, case: &Value) -> Outcome {
    match std::panic::catch_unwind(|| run(case)) {
        Ok(o) => o,
        Err(_) => Outcome::Fail("handler panicked".into()),
    }
}

/// The `*.json` files of a directory, sorted by name.
pub fn vector_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// vmls's own vector files that the runner checks (in `test-vectors/vmls/`, found from the
/// crate's location so no `--dir` is needed).
pub const OWN_VECTOR_FILES: &[&str] = &["cbst.json", "cbam.json", "emulation.json"];

/// The directory of vmls's own vectors.
pub fn own_vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors/vmls")
}
