//! `vmls-vectors [--dir DIR] [FILE...]`: runs the vector files and prints passed / failed /
//! skipped per file with the reason for each skip. Exits non-zero if any case failed. (The
//! same run is `vmls vectors [DIR]`; both call [`vmls_vectors::run_suite`].)
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: vmls-vectors [--dir DIR] [FILE.json ...]");
                println!(
                    "DIR defaults to $VMLS_TEST_VECTORS, else test-vectors/mlswg, else ../shared/test-vectors/mlswg"
                );
                return ExitCode::SUCCESS;
            }
            _ => only.push(a),
        }
    }
    let dir = dir.unwrap_or_else(vmls_vectors::default_dir);
    match vmls_vectors::run_suite(&dir, &only, true, &mut std::io::stdout()) {
        Ok(t) if t.failed == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("vmls-vectors: {e}");
            ExitCode::from(2)
        }
    }
}
