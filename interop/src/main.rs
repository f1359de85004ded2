//! vmls cross-implementation interop suite: every scenario for every ordered pair of
//! implementations (creator A, joiner B) with a third member C of each kind, the negative
//! controls, and the hostile-input run against vmls. See interop/README.md.
mod harness;
mod mutate;
mod party;
mod peers;
mod scenarios;
mod wrappers;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Instant;

use harness::{Ctx, Done, Recorded};
use party::Party;
use peers::KINDS;
use scenarios::{ALL, Scenario};
use wrappers::{CLASSES, Corrupt, WrongExporter};

/// Known failures: (creator, joiner, third, scenario, reason). Keep this list short; each entry
/// is a reported issue. A listed case that passes is an error too (the list must stay true).
const KNOWN_FAILURES: &[(&str, &str, &str, &str, &str)] = &[];

/// Seconds since the Unix epoch (for KeyPackage lifetimes).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn no_wrap(_: usize, p: Box<dyn Party>) -> Box<dyn Party> {
    p
}

/// Runs one scenario; a panic is a failure.
fn run_one(
    s: &Scenario,
    kinds: [&'static str; 3],
    wrap: harness::Wrap<'_>,
    rec: Option<&RefCell<Vec<Recorded>>>,
) -> Result<Done, String> {
    run_one_consumed(s, kinds, wrap, rec).0
}

/// Runs one scenario; also returns every message a party was given.
fn run_one_consumed(
    s: &Scenario,
    kinds: [&'static str; 3],
    wrap: harness::Wrap<'_>,
    rec: Option<&RefCell<Vec<Recorded>>>,
) -> (Result<Done, String>, HashSet<Vec<u8>>) {
    let ctx = Ctx::new(kinds, s.name, wrap, rec);
    let r = match catch_unwind(AssertUnwindSafe(|| (s.run)(&ctx))) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    };
    (r, ctx.consumed.into_inner())
}

struct Args {
    mutations: String,
    negative: bool,
    only: Option<String>,
    markdown: bool,
    verbose: bool,
}

fn args() -> Args {
    let mut a = Args {
        mutations: "sample".into(),
        negative: true,
        only: None,
        markdown: false,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--mutations" => a.mutations = it.next().unwrap_or_default(),
            "--no-negative" => a.negative = false,
            "--scenario" => a.only = it.next(),
            "--markdown" => a.markdown = true,
            "-v" | "--verbose" => a.verbose = true,
            "-h" | "--help" => {
                println!(
                    "vmls-interop [--mutations off|sample|full] [--no-negative] [--scenario NAME] [--markdown] [-v]"
                );
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    a
}

fn main() {
    let args = args();
    let t0 = Instant::now();
    let scen: Vec<&Scenario> = ALL
        .iter()
        .filter(|s| args.only.as_deref().is_none_or(|o| o == s.name))
        .collect();
    let mut problems: Vec<String> = Vec::new();

    // 1. The matrix.
    let rec = RefCell::new(Vec::new());
    let mut rows = Vec::new();
    let (mut pass, mut fail, mut skip, mut known) = (0, 0, 0, 0);
    for &a in KINDS {
        for &b in KINDS {
            let mut cells = Vec::new();
            for s in &scen {
                let mut cell_fail = Vec::new();
                let mut cell_skip = None;
                let mut cell_known = Vec::new();
                for &c in KINDS {
                    let r = run_one(s, [a, b, c], &no_wrap, Some(&rec));
                    let kf = KNOWN_FAILURES
                        .iter()
                        .find(|k| (k.0, k.1, k.2, k.3) == (a, b, c, s.name));
                    match (r, kf) {
                        (Ok(Done::Pass), None) => pass += 1,
                        (Ok(Done::Pass), Some(k)) => {
                            problems.push(format!(
                                "known failure {a}/{b}/{c} {} passes now: remove it ({})",
                                s.name, k.4
                            ));
                        }
                        (Ok(Done::Skip(why)), _) => {
                            skip += 1;
                            cell_skip = Some(why);
                        }
                        (Err(e), Some(k)) => {
                            known += 1;
                            cell_known.push(c);
                            if args.verbose {
                                println!("KNOWN {a}/{b}/{c} {}: {e} ({})", s.name, k.4);
                            }
                        }
                        (Err(e), None) => {
                            fail += 1;
                            cell_fail.push(c);
                            println!("FAIL {a}->{b} (C {c}) {}: {e}", s.name);
                            problems.push(format!("{a}/{b}/{c} {}: {e}", s.name));
                        }
                    }
                }
                cells.push(if !cell_fail.is_empty() {
                    format!("FAIL (C: {})", cell_fail.join(", "))
                } else if !cell_known.is_empty() {
                    format!("FAIL-known (C: {})", cell_known.join(", "))
                } else if let Some(why) = cell_skip {
                    format!("SKIP ({why})")
                } else {
                    "PASS".to_string()
                });
            }
            rows.push((format!("{a} -> {b}"), cells));
        }
    }
    println!(
        "\nmatrix: {} pairs x {} scenarios x {} third members = {} runs: {pass} passed, {fail} failed, {known} known failures, {skip} skipped ({:.1}s)",
        KINDS.len() * KINDS.len(),
        scen.len(),
        KINDS.len(),
        KINDS.len() * KINDS.len() * scen.len() * KINDS.len(),
        t0.elapsed().as_secs_f64()
    );
    print_matrix(&scen, &rows, args.markdown);

    // 2. Negative controls.
    if args.negative {
        let t = Instant::now();
        let (runs, errs) = negative_controls(&scen, args.verbose);
        println!(
            "\nnegative controls: {runs} runs, {} unexpected outcomes ({:.1}s)",
            errs.len(),
            t.elapsed().as_secs_f64()
        );
        for e in &errs {
            println!("  NEGATIVE-CONTROL MISS: {e}");
        }
        problems.extend(errs);
    }

    // 3. Hostile input.
    if args.mutations != "off" {
        let t = Instant::now();
        let recorded = rec.into_inner();
        let total = recorded.len();
        let selected = mutate::select(recorded, args.mutations != "full");
        println!(
            "\nhostile input ({}): {} of {total} recorded peer->vmls messages",
            args.mutations,
            selected.len()
        );
        let default_hook = std::panic::take_hook();
        let panics_seen = Rc::new(Cell::new(0usize));
        std::panic::set_hook(Box::new(|info| {
            eprintln!("panic in mutant: {info}");
        }));
        let c = mutate::run(selected);
        std::panic::set_hook(default_hook);
        let _ = panics_seen;
        println!(
            "mutants {}, rejected {}, accepted {}, rejected-but-state-changed {}, panics {}, real message failed afterwards {} ({:.1}s)",
            c.mutants,
            c.rejected,
            c.accepted,
            c.state_changed,
            c.panics,
            c.real_failed,
            t.elapsed().as_secs_f64()
        );
        println!(
            "  accepted and explained as harmless: {}; accepted and unexplained: {}",
            c.accepted - c.unexplained(),
            c.unexplained()
        );
        for (why, n) in &c.explained {
            println!("    {n:7} {why}");
        }
        println!("  per operator (mutants / unexplained accepted):");
        for (op, (n, acc)) in &c.per_op {
            println!("    {op:10} {n:8} / {acc}");
        }
        println!("  per message kind (messages / mutants / unexplained accepted):");
        for (k, (m, n, acc)) in &c.per_kind {
            println!("    {k:50} {m:5} / {n:8} / {acc}");
        }
        for e in c
            .accepted_examples
            .iter()
            .take(if args.verbose { 200 } else { 20 })
        {
            println!("  accepted: {e}");
        }
        if c.panics > 0 || c.state_changed > 0 || c.real_failed > 0 || c.unexplained() > 0 {
            problems.push(format!(
                "hostile input: {} panics, {} state changes, {} real messages failed, {} unexplained accepted mutants",
                c.panics, c.state_changed, c.real_failed, c.unexplained()
            ));
        }
    }

    println!("\ntotal {:.1}s", t0.elapsed().as_secs_f64());
    if problems.is_empty() {
        println!("interop: OK");
    } else {
        println!("interop: {} problem(s)", problems.len());
        std::process::exit(1);
    }
}

fn print_matrix(scen: &[&Scenario], rows: &[(String, Vec<String>)], markdown: bool) {
    if markdown {
        print!("| creator -> joiner |");
        for s in scen {
            print!(" {} |", s.name);
        }
        println!();
        print!("| --- |");
        for _ in scen {
            print!(" --- |");
        }
        println!();
        for (pair, cells) in rows {
            println!("| {pair} | {} |", cells.join(" | "));
        }
    } else {
        for (i, s) in scen.iter().enumerate() {
            println!("  [{i:2}] {:20} {}", s.name, s.about);
        }
        print!("{:22}", "creator -> joiner");
        for i in 0..scen.len() {
            print!(" {i:>4}");
        }
        println!();
        for (pair, cells) in rows {
            print!("{pair:22}");
            for c in cells {
                let short = if c == "PASS" {
                    "ok"
                } else if c.starts_with("SKIP") {
                    "skip"
                } else if c.starts_with("FAIL-known") {
                    "KNOWN"
                } else {
                    "FAIL"
                };
                print!(" {short:>4}");
            }
            println!();
        }
    }
}

/// Each wrapper in each role with each implementation; a scenario must fail exactly when the
/// wrapper did something it should notice.
fn negative_controls(scen: &[&Scenario], verbose: bool) -> (usize, Vec<String>) {
    let mut errs = Vec::new();
    let mut runs = 0;
    let mut total_failed = 0;
    for role in 0..3 {
        for rot in 0..KINDS.len() {
            let kinds = [
                KINDS[rot % KINDS.len()],
                KINDS[(rot + 1) % KINDS.len()],
                KINDS[(rot + 2) % KINDS.len()],
            ];
            let wrapped = kinds[role];
            for &class in CLASSES {
                for s in scen {
                    let damaged = Rc::new(RefCell::new(Vec::new()));
                    let dmg = damaged.clone();
                    let wrap = move |r: usize, p: Box<dyn Party>| -> Box<dyn Party> {
                        if r == role {
                            Box::new(Corrupt {
                                inner: p,
                                class,
                                damaged: dmg.clone(),
                            })
                        } else {
                            p
                        }
                    };
                    runs += 1;
                    let (r, consumed) = run_one_consumed(s, kinds, &wrap, None);
                    // Damaged messages that some party was given in a checked step.
                    let n = damaged
                        .borrow()
                        .iter()
                        .filter(|m| consumed.contains(*m))
                        .count();
                    let label = format!(
                        "corrupt {class:?} of role {} ({wrapped}) in {}/{}/{} {}",
                        ["A", "B", "C"][role],
                        kinds[0],
                        kinds[1],
                        kinds[2],
                        s.name
                    );
                    match (&r, n) {
                        (Ok(Done::Skip(_)), _) => {}
                        (Ok(Done::Pass), 0) => {}
                        (Err(_), n) if n > 0 => total_failed += 1,
                        (Ok(Done::Pass), n) => {
                            errs.push(format!("{label}: {n} damaged message(s) went unnoticed"))
                        }
                        (Err(e), _) => errs.push(format!("{label}: failed without damage: {e}")),
                    }
                    if verbose {
                        println!("  {label}: damaged {n}, result {r:?}");
                    }
                }
            }
            for s in scen {
                let count = Rc::new(Cell::new(0));
                let cnt = count.clone();
                let wrap = move |r: usize, p: Box<dyn Party>| -> Box<dyn Party> {
                    if r == role {
                        Box::new(WrongExporter {
                            inner: p,
                            count: cnt.clone(),
                        })
                    } else {
                        p
                    }
                };
                runs += 1;
                let r = run_one(s, kinds, &wrap, None);
                let label = format!(
                    "wrong exporter of role {} ({wrapped}) in {}/{}/{} {}",
                    ["A", "B", "C"][role],
                    kinds[0],
                    kinds[1],
                    kinds[2],
                    s.name
                );
                match (&r, count.get()) {
                    (Ok(Done::Skip(_)), _) => {}
                    (Err(e), n) if n > 0 && e.contains("exporter differs") => total_failed += 1,
                    (r, n) => errs.push(format!(
                        "{label}: expected an exporter mismatch, got {r:?} after {n} exporter calls"
                    )),
                }
            }
        }
    }
    println!("\nnegative controls: {total_failed} runs failed as they should");
    (runs, errs)
}
