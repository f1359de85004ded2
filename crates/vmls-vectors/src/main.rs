//! `vmls-vectors [--dir DIR] [FILE...]`: runs the vector files and prints passed / failed /
//! skipped per file with the reason for each skip. Exits non-zero if any case failed.
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
                println!("DIR defaults to $VMLS_TEST_VECTORS, else test-vectors/mlswg");
                return ExitCode::SUCCESS;
            }
            _ => only.push(a),
        }
    }
    let dir = dir
        .or_else(|| std::env::var_os("VMLS_TEST_VECTORS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("test-vectors/mlswg"));
    let files = match vmls_vectors::vector_files(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vmls-vectors: cannot read vector directory: {e}");
            eprintln!("run test-vectors/fetch.sh or pass --dir ../shared/test-vectors/mlswg");
            return ExitCode::from(2);
        }
    };
    if files.is_empty() {
        eprintln!("vmls-vectors: no *.json files in {}", dir.display());
        return ExitCode::from(2);
    }
    println!("vector directory: {}", dir.display());
    let (mut p, mut f, mut s) = (0, 0, 0);
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if !only.is_empty() && !name.as_ref().is_some_and(|n| only.contains(n)) {
            continue;
        }
        match vmls_vectors::run_file(&path) {
            Ok(r) => {
                print!("{r}");
                p += r.passed;
                f += r.failed;
                s += r.skipped;
            }
            Err(e) => {
                println!("{e}");
                f += 1;
            }
        }
    }
    let own = vmls_vectors::own_vector_dir();
    println!("vmls's own vectors: {}", own.display());
    for name in vmls_vectors::OWN_VECTOR_FILES {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        match vmls_vectors::run_file(&own.join(name)) {
            Ok(r) => {
                print!("{r}");
                p += r.passed;
                f += r.failed;
                s += r.skipped;
            }
            Err(e) => {
                println!("{e}");
                f += 1;
            }
        }
    }
    println!("vectors: {p} passed, {f} failed, {s} skipped");
    if f == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
