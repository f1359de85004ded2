//! The `vmls` binary's interface: complete help, human-readable errors, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

fn vmls(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmls"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_command_and_option() {
    let (code, out, _) = vmls(&["--help"]);
    assert_eq!(code, Some(0));
    for c in ["demo", "vectors", "cost"] {
        assert!(out.contains(c), "{out}");
    }
    let (code, out, _) = vmls(&["cost", "--help"]);
    assert_eq!(code, Some(0));
    for o in [
        "--users",
        "--devices",
        "--groups",
        "--max-measured-groups",
        "--cold",
        "--small",
    ] {
        assert!(out.contains(o), "{out}");
    }
    let (_, out, _) = vmls(&["vectors", "--help"]);
    assert!(
        out.contains("[DIR]") && out.contains("VMLS_TEST_VECTORS"),
        "{out}"
    );
}

#[test]
fn errors_say_what_is_wrong() {
    // clap: a value out of range, exit code 2.
    let (code, _, err) = vmls(&["cost", "--users", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--users") && err.contains("1"), "{err}");
    let (code, _, err) = vmls(&["frobnicate"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("frobnicate"), "{err}");
    // A missing vector directory: exit code 2 and how to get the files.
    let (code, _, err) = vmls(&["vectors", "/nonexistent/vmls-vectors"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("/nonexistent/vmls-vectors") && err.contains("fetch.sh"),
        "{err}"
    );
}

#[test]
fn a_vector_file_run_reports_per_file_and_fails_on_failure() {
    let dir = std::env::temp_dir().join(format!("vmls-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // tree-math.json with one correct case (RFC 9420 Appendix C: n_leaves = 1 has root 0,
    // one node, no parents or siblings to speak of) and one wrong root.
    let good = r#"{"n_leaves": 1, "n_nodes": 1, "root": 0, "left": [null], "right": [null], "parent": [null], "sibling": [null]}"#;
    let bad = r#"{"n_leaves": 1, "n_nodes": 1, "root": 5, "left": [null], "right": [null], "parent": [null], "sibling": [null]}"#;
    std::fs::write(dir.join("tree-math.json"), format!("[{good}, {bad}]")).unwrap();
    let (code, out, _) = vmls(&[
        "vectors",
        dir.to_str().unwrap(),
        "--only",
        "tree-math.json",
        "-q",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("tree-math.json"), "{out}");
    assert!(out.contains("passed    1  failed    1"), "{out}");
}
