//! The filesystem suite: the output folder and the spec files as an attacker or an
//! accident leaves them. Symbolic links on every path component, hostile and damaged
//! manifests, oversized and endless inputs, file modes; (more below: scoped builds,
//! interrupted builds, concurrent builds, full disks).
//!
//! Runs the real `berth` binary; each test works in its own folder under
//! `CARGO_TARGET_TMPDIR`.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn expect(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}

fn run(output: Output) -> Run {
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn workdir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("filesystem").join(test);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1").stdin(std::process::Stdio::null());
    command
}

fn berth(dir: &Path, args: &[&str]) -> Run {
    run(command(dir, args).output().unwrap())
}

/// A two-environment spec (dev and prod on one target), written to `dir/spec.kdl`.
fn spec(dir: &Path) {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello/spec.kdl")).unwrap();
    fs::write(dir.join("spec.kdl"), text).unwrap();
}

/// Every file under `root` (relative, sorted), links included, not followed.
fn files(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

fn first_yaml(root: &Path) -> String {
    files(root).into_iter().find(|f| f.ends_with(".yaml")).unwrap()
}

const SECRET: &str = "RUNNER_TOKEN=hunter2-very-secret";

// ── Symbolic links ──────────────────────────────────────────────────────────────────

#[test]
fn build_check_never_follows_a_linked_file() {
    let dir = workdir("check_linked_file");
    spec(&dir);
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect(0);
    fs::write(dir.join("secret.txt"), SECRET).unwrap();
    let victim = first_yaml(&dir.join("out"));
    fs::remove_file(dir.join("out").join(&victim)).unwrap();
    symlink(dir.join("secret.txt"), dir.join("out").join(&victim)).unwrap();
    let result = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    result.expect(2);
    assert!(
        !result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"),
        "{}{}",
        result.stdout,
        result.stderr
    );
    assert!(result.stderr.contains("symbolic link"), "{}", result.stderr);
}

#[test]
fn build_check_never_follows_a_linked_folder_or_removed_entry() {
    let dir = workdir("check_linked_folder");
    spec(&dir);
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect(0);
    let victim = first_yaml(&dir.join("out"));
    // A folder link on the first component, holding a "copy" that is really elsewhere.
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let first = victim.split('/').next().unwrap().to_owned();
    fs::rename(dir.join("out").join(&first), elsewhere.join(&first)).unwrap();
    fs::write(elsewhere.join(&victim), SECRET).unwrap();
    symlink(elsewhere.join(&first), dir.join("out").join(&first)).unwrap();
    let result = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    result.expect(2);
    assert!(!result.stdout.contains("hunter2"), "{}", result.stdout);

    // A manifest entry no longer produced, linked to a secret: not printed as "removed".
    let dir = workdir("check_linked_removed");
    spec(&dir);
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect(0);
    let manifest = dir.join("out/.berth/manifest.json");
    let text = fs::read_to_string(&manifest).unwrap();
    let hash = "0".repeat(64);
    fs::write(&manifest, text.replacen("\"files\": {", &format!("\"files\": {{\n    \"gone.yaml\": \"{hash}\","), 1))
        .unwrap();
    fs::write(dir.join("secret.txt"), SECRET).unwrap();
    symlink(dir.join("secret.txt"), dir.join("out/gone.yaml")).unwrap();
    let result = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    result.expect(2);
    assert!(!result.stdout.contains("hunter2"), "{}", result.stdout);
}

#[test]
fn build_check_refuses_fifos_and_devices_without_hanging() {
    let dir = workdir("check_fifo");
    spec(&dir);
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect(0);
    let victim = dir.join("out").join(first_yaml(&dir.join("out")));
    fs::remove_file(&victim).unwrap();
    let status = Command::new("mkfifo").arg(&victim).status().unwrap();
    assert!(status.success());
    let result = berth(&dir, &["build", "spec.kdl", "--check", "out"]);
    result.expect(2);
    assert!(result.stderr.contains("not a regular file"), "{}", result.stderr);
}

#[test]
fn state_folder_may_not_be_a_link() {
    let dir = workdir("state_link");
    spec(&dir);
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect(0);
    fs::rename(dir.join("out/.berth"), dir.join("elsewhere")).unwrap();
    symlink(dir.join("elsewhere"), dir.join("out/.berth")).unwrap();
    let before = fs::read_to_string(dir.join("elsewhere/manifest.json")).unwrap();
    let result = berth(&dir, &["build", "spec.kdl", "-o", "out"]);
    result.expect(2);
    assert!(result.stderr.contains("symbolic link"), "{}", result.stderr);
    berth(&dir, &["build", "spec.kdl", "--check", "out"]).expect(2);
    assert_eq!(fs::read_to_string(dir.join("elsewhere/manifest.json")).unwrap(), before);
}

#[test]
fn specs_and_library_files_linking_out_of_their_folder_are_refused() {
    let dir = workdir("spec_links");
    fs::create_dir_all(dir.join("repo/lib")).unwrap();
    fs::write(dir.join("secret.kdl"), format!("{SECRET}\n")).unwrap();
    symlink("../secret.kdl", dir.join("repo/berth.kdl")).unwrap();
    let result = berth(&dir.join("repo"), &["check", "berth.kdl"]);
    result.expect(2);
    assert!(!result.stderr.contains("hunter2") && result.stderr.contains("outside its folder"), "{}", result.stderr);

    spec(&dir.join("repo"));
    symlink("../../secret.kdl", dir.join("repo/lib/profile.kdl")).unwrap();
    let result = berth(&dir.join("repo"), &["check", "--lib", "lib", "spec.kdl"]);
    result.expect(2);
    assert!(!result.stderr.contains("hunter2"), "{}", result.stderr);

    // A link that stays in the folder is fine.
    fs::remove_file(dir.join("repo/berth.kdl")).unwrap();
    symlink("spec.kdl", dir.join("repo/berth.kdl")).unwrap();
    berth(&dir.join("repo"), &["check", "berth.kdl"]).expect(0);
}

// ── Inputs ──────────────────────────────────────────────────────────────────────────

#[test]
fn endless_and_oversized_inputs_fail_fast() {
    let dir = workdir("endless");
    let started = std::time::Instant::now();
    let result = berth(&dir, &["check", "/dev/zero"]);
    result.expect(2);
    assert!(result.stderr.contains("larger than the limit"), "{}", result.stderr);
    // Generous: reading /dev/zero whole would never end; this is not a timing assertion
    // of normal work.
    assert!(started.elapsed().as_secs() < 30);
    fs::write(dir.join("big.kdl"), "// x\n".repeat(1_000_000)).unwrap();
    berth(&dir, &["check", "big.kdl"]).expect(2);
}

// ── Manifests ───────────────────────────────────────────────────────────────────────

#[test]
fn damaged_or_hostile_manifests_are_clear_errors_and_nothing_is_written() {
    for (name, manifest) in [
        ("garbage", "not json at all".to_owned()),
        ("escape", format!("{{\"files\": {{\"../../victim.txt\": \"{}\"}}}}", "0".repeat(64))),
        ("absolute", format!("{{\"files\": {{\"/etc/passwd\": \"{}\"}}}}", "0".repeat(64))),
        ("nohash", "{\"files\": {\"a.yaml\": 7}}".to_owned()),
    ] {
        let dir = workdir(&format!("manifest_{name}"));
        spec(&dir);
        fs::create_dir_all(dir.join("out/.berth")).unwrap();
        fs::write(dir.join("out/.berth/manifest.json"), &manifest).unwrap();
        let result = berth(&dir, &["build", "spec.kdl", "-o", "out"]);
        result.expect(2);
        assert!(result.stderr.contains("is not a valid berth manifest"), "{name}: {}", result.stderr);
        assert!(result.stderr.contains("manifest.json"), "{name}: {}", result.stderr);
        assert!(!result.stderr.contains("bug in Berth"), "{name}: {}", result.stderr);
        assert_eq!(files(&dir.join("out")), vec![".berth/manifest.json"], "{name}: nothing written");
        assert_eq!(fs::read_to_string(dir.join("out/.berth/manifest.json")).unwrap(), manifest);
        berth(&dir, &["build", "spec.kdl", "--check", "out"]).expect(2);
    }
}
