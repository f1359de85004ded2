//! `vmls`: the multi-device demo, the conformance run and the emulation cost report.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// vmls: MLS (RFC 9420, cipher suite 0x0003) with virtual clients, on the in-memory
/// Delivery Service. No files or network needed (except the vector files for `vectors`).
#[derive(Parser, Debug)]
#[command(name = "vmls", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the multi-device story: Alice (3 devices) and Bob (2) as virtual clients in a group
    /// with Carol; concurrent messages, a PCS update, a lost phone removed, a new laptop
    /// provisioned; then the multi-client versus virtual-client cost table (small case).
    Demo {
        /// Leave out the cost table at the end.
        #[arg(long)]
        no_cost: bool,
    },
    /// Run the conformance suite: the published MLS test vectors in DIR, then vmls's own
    /// vectors (test-vectors/vmls/). Exits non-zero on any failure.
    Vectors {
        /// The published vectors' directory [default: $VMLS_TEST_VECTORS, else
        /// test-vectors/mlswg, else ../shared/test-vectors/mlswg].
        dir: Option<PathBuf>,
        /// Run only these files (e.g. --only treekem.json cbam.json).
        #[arg(long = "only", value_name = "FILE", num_args = 1..)]
        only: Vec<String>,
        /// No progress lines on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the emulation cost table: multi-client mode (every device a leaf) against
    /// virtual clients (one leaf per user), measured on the real code.
    Cost {
        /// Users (U).
        #[arg(long, short, default_value_t = 50, value_parser = clap::value_parser!(u32).range(2..=1000))]
        users: u32,
        /// Devices per user (D).
        #[arg(long, short, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
        devices: u32,
        /// Shared groups (G).
        #[arg(long, short, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        groups: u32,
        /// Run completely up to this many groups; above, run 1 and 2 groups and extrapolate
        /// linearly in G.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=1000))]
        max_measured_groups: u32,
        /// Measure on trees as one batch Add leaves them (all parents blank: the worst case
        /// for a committer) instead of trees whose parents are all set.
        #[arg(long)]
        cold: bool,
        /// The small case: U = 4, D = 2, G = 3 (overrides -u, -d, -g).
        #[arg(long)]
        small: bool,
        /// No progress lines on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { no_cost } => {
            let cost = (!no_cost).then_some(vmls_cost::Params::SMALL);
            match vmls_cli::demo::run(cost) {
                Ok(t) => {
                    print!("{}", t.to_text());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("vmls demo: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Vectors { dir, only, quiet } => {
            let dir = dir.unwrap_or_else(vmls_vectors::default_dir);
            match vmls_vectors::run_suite(&dir, &only, !quiet, &mut std::io::stdout()) {
                Ok(t) if t.failed == 0 => ExitCode::SUCCESS,
                Ok(t) => {
                    eprintln!("vmls vectors: {} case(s) failed", t.failed);
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("vmls vectors: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Cost {
            users,
            devices,
            groups,
            max_measured_groups,
            cold,
            small,
            quiet,
        } => {
            let p = if small {
                vmls_cost::Params {
                    warm_trees: !cold,
                    ..vmls_cost::Params::SMALL
                }
            } else {
                vmls_cost::Params {
                    users: users as usize,
                    devices: devices as usize,
                    groups: groups as usize,
                    max_measured_groups: max_measured_groups as usize,
                    warm_trees: !cold,
                }
            };
            let start = std::time::Instant::now();
            let mut progress = |m: &str| {
                if !quiet {
                    eprintln!("{m}");
                }
            };
            match vmls_cost::run_with_progress(p, &mut progress) {
                Ok(r) => {
                    print!("{}", r.to_markdown());
                    if !quiet {
                        eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("vmls cost: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
