//! CLI tests of the CI-native reports through the real binary: `--deny warnings` turns a
//! warning into exit 1 (and `build` then writes nothing); `--format sarif|github` print
//! the report on stdout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/reports").join(format!("{name}.kdl"))
}

fn berth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth")).args(args).output().expect("berth runs")
}

#[test]
fn warnings_pass_by_default_and_fail_with_deny_warnings() {
    let spec = fixture("egress-warning");
    let spec = spec.to_str().unwrap();
    let allowed = berth(&["check", spec]);
    assert_eq!(allowed.status.code(), Some(0), "{}", String::from_utf8_lossy(&allowed.stderr));
    let denied = berth(&["check", spec, "--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(stderr.contains("emit::unenforced_egress"), "{stderr}");
    assert!(stderr.contains("error: 1 warning denied by `--deny warnings`"), "{stderr}");
}

#[test]
fn build_with_denied_warnings_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let spec = fixture("egress-warning");
    let denied = berth(&["build", spec.to_str().unwrap(), "-o", out.path().to_str().unwrap(), "--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    let allowed = berth(&["build", spec.to_str().unwrap(), "-o", out.path().to_str().unwrap()]);
    assert_eq!(allowed.status.code(), Some(0), "{}", String::from_utf8_lossy(&allowed.stderr));
    assert!(out.path().join("dev").is_dir());
}

#[test]
fn sarif_and_github_formats_print_on_stdout() {
    let spec = fixture("several-errors");
    let sarif = berth(&["check", spec.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF on stdout");
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(3));
    let github = berth(&["check", spec.to_str().unwrap(), "--format", "github"]);
    assert_eq!(github.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&github.stdout);
    assert_eq!(stdout.lines().filter(|line| line.starts_with("::error file=")).count(), 3, "{stdout}");
    let warning =
        berth(&["check", fixture("egress-warning").to_str().unwrap(), "--format", "github", "--deny", "warnings"]);
    assert_eq!(warning.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&warning.stdout).starts_with("::warning file="));
}

#[test]
fn schema_prints_the_committed_estate_schema() {
    let output = berth(&["schema"]);
    assert_eq!(output.status.code(), Some(0));
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/berth-estate.schema.json"))
            .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), committed);
}
