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

#[test]
fn init_sql_files_are_read_only_inside_the_spec_folder_and_bounded() {
    let dir = workdir("spec_files");
    fs::create_dir_all(dir.join("repo/db")).unwrap();
    fs::write(dir.join("secret.sql"), format!("{SECRET}\n")).unwrap();
    let hello = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello/spec.kdl")).unwrap();
    let with = |path: &str| {
        hello.replacen(
            "domain \"greeting\" team=\"hello-team\" {",
            &format!("domain \"greeting\" team=\"hello-team\" {{\n    postgres \"db\" init-sql-file=\"{path}\""),
            1,
        )
    };
    let check = |path: &str| {
        fs::write(dir.join("repo/spec.kdl"), with(path)).unwrap();
        berth(&dir.join("repo"), &["check", "spec.kdl"])
    };
    // A plain file inside the folder is read (and reaches the ConfigMap).
    fs::write(dir.join("repo/db/init.sql"), "CREATE TABLE t (id int);\n").unwrap();
    check("db/init.sql").expect(0);
    let out = dir.join("out");
    berth(&dir.join("repo"), &["build", "spec.kdl", "-o", out.to_str().unwrap()]).expect(0);
    let configmap = fs::read_to_string(out.join("dev/onprem/greeting/configmap-db-init-sql.yaml")).unwrap();
    assert!(configmap.contains("CREATE TABLE t (id int);"), "{configmap}");
    // A link, to a file or through a folder, is refused without reading it.
    symlink("../../secret.sql", dir.join("repo/db/linked.sql")).unwrap();
    symlink("..", dir.join("repo/up")).unwrap();
    for path in ["db/linked.sql", "up/secret.sql"] {
        let result = check(path);
        result.expect(1);
        assert!(result.stderr.contains("symbolic link") && !result.stderr.contains("hunter2"), "{}", result.stderr);
    }
    // `..` and absolute paths are refused before any read.
    for path in ["../secret.sql", "/etc/passwd"] {
        let result = check(path);
        result.expect(1);
        assert!(
            result.stderr.contains("resolve::spec_file_path") && !result.stderr.contains("hunter2"),
            "{}",
            result.stderr
        );
    }
    // A FIFO does not hang the run; a file over the bound is refused.
    assert!(Command::new("mkfifo").arg(dir.join("repo/db/fifo.sql")).status().unwrap().success());
    let result = check("db/fifo.sql");
    result.expect(1);
    assert!(result.stderr.contains("not a regular file"), "{}", result.stderr);
    fs::write(dir.join("repo/db/big.sql"), "-- x\n".repeat(60_000)).unwrap();
    let result = check("db/big.sql");
    result.expect(1);
    assert!(result.stderr.contains("larger than 262144"), "{}", result.stderr);
}

// ── Inputs ──────────────────────────────────────────────────────────────────────────

#[test]
fn endless_and_oversized_inputs_fail_fast() {
    let dir = workdir("endless");
    let started = std::time::Instant::now();
    // Too large is a spec error at the place of the limit (exit 1), found without
    // reading the rest.
    let result = berth(&dir, &["check", "/dev/zero"]);
    result.expect(1);
    assert!(result.stderr.contains("larger than the limit"), "{}", result.stderr);
    // Generous: reading /dev/zero whole would never end; this is not a timing assertion
    // of normal work.
    assert!(started.elapsed().as_secs() < 30);
    fs::write(dir.join("big.kdl"), "// x\n".repeat(1_000_000)).unwrap();
    berth(&dir, &["check", "big.kdl"]).expect(1);
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

// ── Scoped builds ───────────────────────────────────────────────────────────────────

#[test]
fn a_scoped_build_owns_only_its_scope() {
    let dir = workdir("scoped");
    spec(&dir);
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect(0);
    let all = files(&dir.join("out"));
    assert!(all.iter().any(|f| f.starts_with("prod/")) && all.iter().any(|f| f.starts_with("dev/")));
    let result = berth(&dir, &["build", "spec.kdl", "-o", "out", "--env", "dev"]);
    result.expect(0);
    assert!(result.stderr.contains("0 removed"), "{}", result.stderr);
    assert_eq!(files(&dir.join("out")), all, "prod's files are kept");
    berth(&dir, &["build", "spec.kdl", "--check", "out", "--env", "dev"]).expect(0);
    berth(&dir, &["build", "spec.kdl", "--check", "out", "--target", "onprem"]).expect(0);
    // The manifest still records prod, so a full --check and a full build agree.
    berth(&dir, &["build", "spec.kdl", "--check", "out"]).expect(0);
    let result = berth(&dir, &["build", "spec.kdl", "-o", "out"]);
    result.expect(0);
    assert!(result.stderr.contains("0 changed") && result.stderr.contains("0 removed"), "{}", result.stderr);
}

// ── Interrupted, failing and concurrent builds ──────────────────────────────────────

/// The tree a clean build of `dir/spec.kdl` writes: path -> bytes.
fn reference(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let out = dir.join("reference");
    if out.exists() {
        fs::remove_dir_all(&out).unwrap();
    }
    berth(dir, &["build", "spec.kdl", "-o", "reference"]).expect(0);
    contents(&out)
}

/// Every file under `root` with its bytes, except the stamp record (`.berth/stamps`: the
/// files' modification times, a local cache that differs between any two builds).
fn contents(root: &Path) -> Vec<(String, Vec<u8>)> {
    files(root)
        .into_iter()
        .filter(|f| f != ".berth/stamps")
        .map(|f| (f.clone(), fs::read(root.join(&f)).unwrap()))
        .collect()
}

/// A second revision of the hello spec: one service renamed (files added and removed).
fn edit_spec(dir: &Path) {
    let text = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    let edited = text.replace("hello-api", "hello-web");
    assert_ne!(text, edited);
    fs::write(dir.join("spec.kdl"), edited).unwrap();
}

#[test]
fn a_build_killed_at_any_point_converges_on_the_next() {
    let dir = workdir("killed");
    spec(&dir);
    let first = reference(&dir);
    // Every point of a first build: after 0, 1, 2, ... writes (journal, files, manifest).
    for after in (0..first.len() + 3).step_by(3) {
        let out = dir.join(format!("out-first-{after}"));
        let out_name = out.file_name().unwrap().to_str().unwrap().to_owned();
        let killed = command(&dir, &["build", "spec.kdl", "-o", &out_name])
            .env("BERTH_TEST_ABORT_AFTER", after.to_string())
            .output()
            .unwrap();
        if after < first.len() {
            assert!(!killed.status.success(), "aborted after {after} writes");
        }
        berth(&dir, &["build", "spec.kdl", "-o", &out_name]).expect(0);
        assert_eq!(contents(&out), first, "first build killed after {after} writes");
    }
    // Every point of a rebuild that adds and removes files.
    edit_spec(&dir);
    let second = reference(&dir);
    for after in (0..12).step_by(2) {
        let out_name = format!("out-re-{after}");
        fs::write(dir.join("edited.kdl"), fs::read(dir.join("spec.kdl")).unwrap()).unwrap();
        spec(&dir);
        berth(&dir, &["build", "spec.kdl", "-o", &out_name]).expect(0);
        edit_spec(&dir);
        let _ = command(&dir, &["build", "spec.kdl", "-o", &out_name])
            .env("BERTH_TEST_ABORT_AFTER", after.to_string())
            .output()
            .unwrap();
        berth(&dir, &["build", "spec.kdl", "-o", &out_name]).expect(0);
        assert_eq!(contents(&dir.join(&out_name)), second, "rebuild killed after {after} writes");
    }
}

#[test]
fn a_full_disk_fails_clearly_and_the_next_build_converges() {
    let dir = workdir("full_disk");
    spec(&dir);
    let first = reference(&dir);
    for after in [0, 1, 4, first.len() - 1, first.len() + 1] {
        let out_name = format!("out-{after}");
        let failed = run(command(&dir, &["build", "spec.kdl", "-o", &out_name])
            .env("BERTH_TEST_FAIL_AFTER", after.to_string())
            .output()
            .unwrap());
        failed.expect(2);
        assert!(failed.stderr.contains("No space left on device"), "{}", failed.stderr);
        berth(&dir, &["build", "spec.kdl", "-o", &out_name]).expect(0);
        assert_eq!(contents(&dir.join(&out_name)), first, "disk full after {after} writes");
    }
}

#[test]
fn concurrent_builds_wait_for_each_other_and_leave_one_whole_tree() {
    let dir = workdir("concurrent");
    spec(&dir);
    fs::copy(dir.join("spec.kdl"), dir.join("a.kdl")).unwrap();
    let first = reference(&dir);
    edit_spec(&dir);
    let second = reference(&dir);
    fs::copy(dir.join("spec.kdl"), dir.join("b.kdl")).unwrap();
    for round in 0..3 {
        let out_name = format!("out-{round}");
        let a = command(&dir, &["build", "a.kdl", "-o", &out_name]).spawn().unwrap();
        let b = command(&dir, &["build", "b.kdl", "-o", &out_name]).spawn().unwrap();
        let (a, b) = (run(a.wait_with_output().unwrap()), run(b.wait_with_output().unwrap()));
        a.expect(0);
        b.expect(0);
        let tree = contents(&dir.join(&out_name));
        assert!(tree == first || tree == second, "round {round}: a mix of two builds");
    }
}

// ── Modes ───────────────────────────────────────────────────────────────────────────

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn output_files_honour_the_umask() {
    let dir = workdir("umask");
    spec(&dir);
    for (umask, expected) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let out_name = format!("out-{umask}");
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" build spec.kdl -o {out_name}"))
            .arg(env!("CARGO_BIN_EXE_berth"))
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success());
        let out = dir.join(&out_name);
        for file in files(&out) {
            assert_eq!(mode(&out.join(&file)), expected, "umask {umask}: {file}");
        }
    }
}

#[test]
fn fmt_keeps_the_mode_and_writes_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workdir("fmt_mode");
    fs::create_dir_all(dir.join("specs")).unwrap();
    fs::write(dir.join("specs/real.kdl"), "platform   \"x\"\n").unwrap();
    fs::set_permissions(dir.join("specs/real.kdl"), fs::Permissions::from_mode(0o640)).unwrap();
    symlink("real.kdl", dir.join("specs/berth.kdl")).unwrap();
    berth(&dir, &["fmt", "specs/berth.kdl"]).expect(0);
    assert!(fs::symlink_metadata(dir.join("specs/berth.kdl")).unwrap().file_type().is_symlink(), "still a link");
    assert_eq!(fs::read_to_string(dir.join("specs/real.kdl")).unwrap(), "platform \"x\"\n");
    assert_eq!(mode(&dir.join("specs/real.kdl")), 0o640);
    assert_eq!(files(&dir.join("specs")), vec!["berth.kdl", "real.kdl"], "no temporary file left");
}

#[test]
fn output_is_byte_identical_with_one_or_many_threads() {
    let dir = workdir("threads");
    let enterprise = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/enterprise/spec.kdl");
    fs::copy(enterprise, dir.join("spec.kdl")).unwrap();
    for threads in ["1", "2", "5"] {
        let out_name = format!("out-{threads}");
        run(command(&dir, &["build", "spec.kdl", "-o", &out_name]).env("BERTH_THREADS", threads).output().unwrap())
            .expect(0);
    }
    let one = contents(&dir.join("out-1"));
    assert!(one.len() > 100);
    assert_eq!(contents(&dir.join("out-2")), one);
    assert_eq!(contents(&dir.join("out-5")), one);
}
