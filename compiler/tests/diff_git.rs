//! `berth diff` and `berth build --check` through the real binary.
//!
//! The git test builds a throw-away repository in `CARGO_TARGET_TMPDIR`: the enterprise
//! example committed on `main`, then a branch that lowers a production replica count and
//! adds a service. `berth diff --base HEAD~1 spec.kdl` reads the old spec from git objects
//! (no checkout). Author, committer and config come from the environment, so the test
//! runs on a machine without any git configuration.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workdir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff").join(test);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn example() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/enterprise/spec.kdl")).unwrap()
}

/// Run `git ARGS` in `dir` with a fixed identity and no user or system config.
fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Berth Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Berth Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// Run `berth ARGS` in `dir`; exit code, stdout, stderr.
fn berth(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The enterprise example with payment-api's production replicas lowered from 3 to 2
/// and a new `refund-api` service in the payment domain.
fn modified(spec: &str) -> String {
    let lowered = spec.replacen(
        "        in \"prod\" {\n            replicas 3\n            config PSP_ENDPOINT",
        "        in \"prod\" {\n            replicas 2\n            config PSP_ENDPOINT",
        1,
    );
    assert_ne!(lowered, spec, "the example changed: update the replica edit");
    let added = lowered.replacen(
        "    service \"payment-api\" {",
        "    service \"refund-api\" {\n        image \"refund-api\" tag=\"1.0.0\"\n        port \"http\" 8080\n        health \"/healthz\"\n        resources cpu=\"100m\" memory=\"128Mi\"\n        in \"prod\" {\n            replicas 2\n        }\n        in \"dr\" {\n            replicas 2\n        }\n    }\n\n    service \"payment-api\" {",
        1,
    );
    assert_ne!(added, lowered, "the example changed: update the service edit");
    added
}

#[test]
fn diff_against_a_git_base() {
    let dir = workdir("git-base");
    git(&dir, &["init", "-q", "-b", "main"]);
    fs::write(dir.join("spec.kdl"), example()).unwrap();
    git(&dir, &["add", "spec.kdl"]);
    git(&dir, &["commit", "-q", "-m", "enterprise example"]);
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    fs::write(dir.join("spec.kdl"), modified(&example())).unwrap();
    git(&dir, &["commit", "-q", "-a", "-m", "fewer payment replicas, a refund service"]);

    let (code, stdout, stderr) = berth(&dir, &["diff", "--base", "HEAD~1", "spec.kdl"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains('\x1b'), "no colour when stdout is not a terminal");
    assert!(stdout.contains("+ Deployment refund-api (added)"), "{stdout}");
    assert!(stdout.contains("~ Rollout payment-api (changed)"), "{stdout}");
    assert!(stdout.contains("spec.replicas: 3 → 2"), "{stdout}");
    assert!(stdout.contains("fewer replicas in production: `payment/payment-api`"), "{stdout}");
    assert!(!stdout.contains("refund-api` in production"), "a new service is not a reduction: {stdout}");

    // Without --base: the merge base with `main` (no origin here), i.e. the first commit.
    let (code, default_stdout, stderr) = berth(&dir, &["diff", "spec.kdl"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(default_stdout, stdout);

    let (code, _, _) = berth(&dir, &["diff", "--base", "HEAD~1", "--exit-code", "spec.kdl"]);
    assert_eq!(code, Some(1), "--exit-code with differences");
    let (code, stdout, _) = berth(&dir, &["diff", "--base", "HEAD", "--exit-code", "spec.kdl"]);
    assert_eq!(code, Some(0), "--exit-code without differences");
    assert_eq!(stdout, "no differences\n");

    let (code, markdown, _) = berth(&dir, &["diff", "--base", "HEAD~1", "--format", "markdown", "spec.kdl"]);
    assert_eq!(code, Some(0));
    assert!(markdown.starts_with("<!-- berth-diff -->\n"));
    assert!(markdown.chars().count() <= 65_536);
    assert!(markdown.contains("<details>"));

    let (code, json, _) = berth(&dir, &["diff", "--base", "HEAD~1", "--format", "json", "spec.kdl"]);
    assert_eq!(code, Some(0));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(value["risks"].as_array().unwrap().iter().any(|r| r["kind"] == "production-replicas-reduced"));

    let (code, _, stderr) = berth(&dir, &["diff", "--base", "no-such-rev", "spec.kdl"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _, stderr) = berth(&dir, &["diff", "--base", "--output=x", "spec.kdl"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!dir.join("x").exists());
}

#[test]
fn diff_of_two_files() {
    let dir = workdir("two-files");
    fs::write(dir.join("old.kdl"), example()).unwrap();
    fs::write(dir.join("new.kdl"), modified(&example())).unwrap();
    let (code, stdout, stderr) = berth(&dir, &["diff", "old.kdl", "new.kdl", "--exit-code"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("+ Deployment refund-api (added)"), "{stdout}");
}

#[test]
fn build_check_reports_stale_output_and_writes_nothing() {
    let dir = workdir("build-check");
    fs::write(dir.join("spec.kdl"), example()).unwrap();
    let (code, _, stderr) = berth(&dir, &["build", "spec.kdl", "-o", "out"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "");

    fs::write(dir.join("spec.kdl"), modified(&example())).unwrap();
    let manifest = fs::read(dir.join("out/.berth/manifest.json")).unwrap();
    let (code, stdout, stderr) = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("added: prod/"), "{stdout}");
    assert!(stdout.contains("changed: prod/"), "{stdout}");
    assert!(stdout.contains("+  replicas: 2"), "{stdout}");
    assert!(stderr.contains("stale"), "{stderr}");
    assert_eq!(fs::read(dir.join("out/.berth/manifest.json")).unwrap(), manifest, "--check writes nothing");
    assert!(
        !fs::read_dir(dir.join("out/prod"))
            .unwrap()
            .any(|e| { e.unwrap().path().join("payment/deployment-refund-api.yaml").exists() })
    );

    // Files berth wrote and would no longer produce are listed as removed.
    let (code, _, stderr) = berth(&dir, &["build", "spec.kdl", "-o", "out"]);
    assert_eq!(code, Some(0), "{stderr}");
    fs::write(dir.join("spec.kdl"), example()).unwrap();
    let (code, stdout, stderr) = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("removed: ") && line.ends_with("/payment/deployment-refund-api.yaml")),
        "{stdout}"
    );
}

#[test]
fn a_spec_new_since_the_base_is_all_added() {
    let dir = workdir("new-spec");
    git(&dir, &["init", "-q", "-b", "main"]);
    fs::write(dir.join("README.md"), "before the spec\n").unwrap();
    git(&dir, &["add", "README.md"]);
    git(&dir, &["commit", "-q", "-m", "readme"]);
    fs::write(dir.join("spec.kdl"), example()).unwrap();
    git(&dir, &["add", "spec.kdl"]);
    git(&dir, &["commit", "-q", "-m", "the spec"]);

    let (code, stdout, stderr) = berth(&dir, &["diff", "--base", "HEAD~1", "spec.kdl"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("does not exist at HEAD~1"), "{stderr}");
    assert!(stdout.contains(" 0 removed, 0 changed"), "{stdout}");
    assert!(!stdout.contains("(changed)") && stdout.contains("(added)"), "{stdout}");
}
