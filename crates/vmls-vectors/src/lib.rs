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
    run_file_with_progress(path, &mut |_, _| {})
}

/// [`run_file`], calling `progress(done, total)` after each case.
pub fn run_file_with_progress(
    path: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<FileReport, String> {
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
    let total = cases.len();
    for (i, case) in cases.iter().enumerate() {
        progress(i, total);
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
    progress(total, total);
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

/// The vector directory when none is given: `$VMLS_TEST_VECTORS`, else `test-vectors/mlswg`,
/// else `../shared/test-vectors/mlswg` (the CI layout), relative to the working directory.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("VMLS_TEST_VECTORS") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("test-vectors/mlswg");
    if local.is_dir() {
        return local;
    }
    let shared = PathBuf::from("../shared/test-vectors/mlswg");
    if shared.is_dir() {
        return shared;
    }
    local
}

/// Totals of a whole run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Cases that passed.
    pub passed: usize,
    /// Cases (or files) that failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
}

/// Why a whole run could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteError {
    /// The directory cannot be read.
    Unreadable(String),
    /// It holds no `*.json` file.
    Empty(PathBuf),
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(e) => write!(
                f,
                "cannot read the vector directory: {e}\n(run test-vectors/fetch.sh, or pass the \
                 directory, e.g. ../shared/test-vectors/mlswg)"
            ),
            Self::Empty(d) => write!(f, "no *.json files in {}", d.display()),
        }
    }
}

impl std::error::Error for SuiteError {}

/// The conformance run: every published file of `dir` (or only those named in `only`), then
/// vmls's own vectors. Per-file results go to `out`; with `progress`, files with many cases
/// show their progress on stderr.
pub fn run_suite(
    dir: &Path,
    only: &[String],
    progress: bool,
    out: &mut dyn std::io::Write,
) -> Result<Totals, SuiteError> {
    let files = vector_files(dir).map_err(SuiteError::Unreadable)?;
    if files.is_empty() {
        return Err(SuiteError::Empty(dir.to_path_buf()));
    }
    let _ = writeln!(out, "vector directory: {}", dir.display());
    let mut t = Totals::default();
    let one = |path: &Path, out: &mut dyn std::io::Write, t: &mut Totals| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let start = std::time::Instant::now();
        let mut last = start;
        let mut shown = false;
        let mut show = |done: usize, total: usize| {
            // Long files (more than a second so far) show where they are, once a second.
            if progress && last.elapsed().as_secs_f64() >= 1.0 {
                last = std::time::Instant::now();
                shown = true;
                eprint!(
                    "\r  {name}: {done}/{total} cases ({:.0} s)   ",
                    start.elapsed().as_secs_f64()
                );
            }
        };
        let r = run_file_with_progress(path, &mut show);
        if shown {
            eprintln!();
        }
        match r {
            Ok(r) => {
                let _ = write!(out, "{r}");
                t.passed += r.passed;
                t.failed += r.failed;
                t.skipped += r.skipped;
            }
            Err(e) => {
                let _ = writeln!(out, "{e}");
                t.failed += 1;
            }
        }
    };
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if !only.is_empty() && !name.as_ref().is_some_and(|n| only.contains(n)) {
            continue;
        }
        one(&path, out, &mut t);
    }
    let own = own_vector_dir();
    let _ = writeln!(out, "vmls's own vectors: {}", own.display());
    for name in OWN_VECTOR_FILES {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        one(&own.join(name), out, &mut t);
    }
    let _ = writeln!(
        out,
        "vectors: {} passed, {} failed, {} skipped",
        t.passed, t.failed, t.skipped
    );
    Ok(t)
}
