//! CLI tests through the real `berth` binary: exit codes, what is written to disk, and
//! snapshots of what a user reads on stderr.
//!
//! Each test works in its own folder under `CARGO_TARGET_TMPDIR` and runs `berth` there
//! with relative paths, so snapshots do not contain machine-specific paths.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The output of one run, decoded.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A fresh, empty folder for one test.
fn workdir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join(test);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `berth ARGS` in `dir` with a plain, narrow, colourless terminal.
fn berth(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CLICOLOR", "0")
        .env("COLUMNS", "100")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    Run::from(output)
}

/// The text of `examples/<name>/spec.kdl`.
fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name).join("spec.kdl");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// All files under `root`, as sorted `/`-separated relative paths.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let parts: Vec<_> =
                    relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                files.push(parts.join("/"));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    files
}

/// A spec with a misspelt setting (a model error) and a `uses` edge to nothing (a
/// resolve error, not reported: the driver stops after model errors, no cascades).
const BROKEN_SPEC: &str = r#"platform "broken" {
    registry "registry.example.internal/broken"
}

target "onprem" cloud="onprem" {
    dns "apps.example.internal"
}

environment "dev" target="onprem"

domain "shop" team="shop-team" {
    service "cart" {
        image "cart" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        replica 2
        uses "no-such-service"
    }
}
"#;

/// hello, plus a second service, so that removing it leaves stale files.
fn hello_with_extra_service() -> String {
    let spec = example("hello");
    let extra = r#"    service "extra-api" {
        image "extra-api" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        resources cpu="100m" memory="128Mi"
    }
}
"#;
    let end = spec.trim_end().strip_suffix('}').expect("hello ends with its domain's `}`");
    format!("{end}{extra}")
}

#[test]
fn check_ok_exits_0() {
    let dir = workdir("check_ok_exits_0");
    fs::write(dir.join("spec.kdl"), example("hello")).unwrap();
    berth(&dir, &["check", "spec.kdl"]).expect_code(0);
}

#[test]
fn check_every_example_exits_0() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut names: Vec<String> = fs::read_dir(&examples)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| examples.join(name).join("spec.kdl").is_file())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no examples/*/spec.kdl");
    for name in names {
        let dir = workdir(&format!("check_every_example_exits_0/{name}"));
        fs::write(dir.join("spec.kdl"), example(&name)).unwrap();
        let run = berth(&dir, &["check", "spec.kdl"]);
        assert_eq!(run.code, Some(0), "examples/{name}: {}", run.stderr);
    }
}

#[test]
fn check_with_errors_exits_1_and_points_at_the_spec() {
    let dir = workdir("check_with_errors");
    fs::write(dir.join("spec.kdl"), BROKEN_SPEC).unwrap();
    let run = berth(&dir, &["check", "spec.kdl"]);
    run.expect_code(1);
    insta::assert_snapshot!("check_with_errors_stderr", run.stderr);
}

#[test]
fn check_with_a_dangling_uses_edge_exits_1() {
    let dir = workdir("check_dangling_uses");
    fs::write(dir.join("spec.kdl"), BROKEN_SPEC.replace("        replica 2\n", "")).unwrap();
    let run = berth(&dir, &["check", "spec.kdl"]);
    run.expect_code(1);
    insta::assert_snapshot!("check_dangling_uses_stderr", run.stderr);
}

#[test]
fn check_json_format_is_machine_readable() {
    let dir = workdir("check_json_format");
    fs::write(dir.join("spec.kdl"), BROKEN_SPEC).unwrap();
    let run = berth(&dir, &["check", "spec.kdl", "--format", "json"]);
    run.expect_code(1);
    let text = if run.stdout.trim().is_empty() { &run.stderr } else { &run.stdout };
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(text);
    let lines_parse =
        text.lines().filter(|l| !l.trim().is_empty()).all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok());
    assert!(parsed.is_ok() || lines_parse, "not JSON (or JSON lines):\n{text}");
    insta::assert_snapshot!("check_json_output", text);
}

#[test]
fn bad_usage_exits_2() {
    let dir = workdir("bad_usage_exits_2");
    fs::write(dir.join("spec.kdl"), example("hello")).unwrap();
    berth(&dir, &["frobnicate"]).expect_code(2);
    berth(&dir, &[]).expect_code(2);
    berth(&dir, &["check"]).expect_code(2);
    // `build` needs `-o DIR`.
    berth(&dir, &["build", "spec.kdl"]).expect_code(2);
    berth(&dir, &["check", "spec.kdl", "--format", "yaml"]).expect_code(2);
}

#[test]
fn missing_file_exits_2() {
    let dir = workdir("missing_file_exits_2");
    let run = berth(&dir, &["check", "no-such-spec.kdl"]);
    run.expect_code(2);
    assert!(run.stderr.contains("no-such-spec.kdl"), "stderr should name the file:\n{}", run.stderr);
    berth(&dir, &["build", "no-such-spec.kdl", "-o", "out"]).expect_code(2);
    assert!(!dir.join("out").exists(), "a failed build must not create the output folder");
}

#[test]
fn build_writes_files_and_manifest() {
    let dir = workdir("build_writes_files_and_manifest");
    fs::write(dir.join("spec.kdl"), example("hello")).unwrap();
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect_code(0);
    let files = tree(&dir.join("out"));
    assert!(files.contains(&".berth/manifest.json".to_owned()), "no manifest: {files:#?}");
    assert!(files.contains(&"docs/estate.md".to_owned()), "no estate index: {files:#?}");
    for file in &files {
        // Berth's bookkeeping, the estate-wide index (a Markdown file) and the Helm charts.
        if file.starts_with(".berth/") || file == "docs/estate.md" || file.starts_with("charts/") {
            continue;
        }
        let parts: Vec<&str> = file.split('/').collect();
        // The view folder's kustomization.yaml lists its domain folders.
        if parts.len() == 3 && parts[2] == "kustomization.yaml" {
            continue;
        }
        assert_eq!(parts.len(), 4, "not <env>/<target>/<domain>/<kind>-<name>.yaml: {file}");
        assert!(file.ends_with(".yaml"), "{file}");
        let text = fs::read_to_string(dir.join("out").join(file)).unwrap();
        assert!(!text.contains('\r'), "{file} has CR line endings");
        assert!(text.ends_with('\n'), "{file} does not end with a newline");
    }
    insta::assert_snapshot!("build_hello_tree", files.join("\n"));
}

/// `--lib DIR` reads a folder of library files: the fixture folder adds a cloud profile,
/// a backing kind and a realisation, and the spec that needs them builds; without the
/// folder it fails with exit 1.
#[test]
fn build_with_a_library_folder() {
    let dir = workdir("build_with_a_library_folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/library");
    fs::create_dir_all(dir.join("platform-lib")).unwrap();
    for entry in fs::read_dir(fixtures.join("platform-lib")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join("platform-lib").join(path.file_name().unwrap())).unwrap();
    }
    fs::copy(fixtures.join("spec.kdl"), dir.join("spec.kdl")).unwrap();
    berth(&dir, &["check", "spec.kdl"]).expect_code(1);
    berth(&dir, &["build", "--lib", "platform-lib", "spec.kdl", "-o", "out"]).expect_code(0);
    let files = tree(&dir.join("out"));
    assert!(files.contains(&"dev/dc2/search/elasticsearch-catalog-index.yaml".to_owned()), "{files:#?}");
    assert!(files.contains(&"dev/dc2/search/configmap-catalog-db-farm-request.yaml".to_owned()), "{files:#?}");
}

#[test]
fn build_with_errors_writes_nothing() {
    let dir = workdir("build_with_errors_writes_nothing");
    fs::write(dir.join("spec.kdl"), BROKEN_SPEC).unwrap();
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect_code(1);
    assert_eq!(tree(&dir.join("out")), Vec::<String>::new());

    // Nor does it touch an earlier build's output.
    fs::write(dir.join("good.kdl"), example("hello")).unwrap();
    berth(&dir, &["build", "good.kdl", "-o", "out"]).expect_code(0);
    let before = tree(&dir.join("out"));
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect_code(1);
    assert_eq!(tree(&dir.join("out")), before);
}

#[test]
fn rebuild_removes_stale_files_it_wrote_and_keeps_others() {
    let dir = workdir("rebuild_removes_stale_files");
    fs::write(dir.join("spec.kdl"), hello_with_extra_service()).unwrap();
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect_code(0);
    let first = tree(&dir.join("out"));
    assert!(first.iter().any(|f| f.contains("extra-api")), "extra-api was not built: {first:#?}");

    // Files a user put there: at the top, inside a folder berth writes to, and one that
    // looks like berth's own output.
    let out = dir.join("out");
    let env_dir = first.iter().find(|f| f.contains("extra-api")).unwrap();
    let berth_folder = Path::new(env_dir).parent().unwrap();
    fs::write(out.join("NOTES.md"), "mine\n").unwrap();
    fs::write(out.join(berth_folder).join("handwritten.yaml"), "kind: ConfigMap\n").unwrap();
    fs::write(out.join(berth_folder).join("deployment-not-berth.yaml"), "kind: Deployment\n").unwrap();

    fs::write(dir.join("spec.kdl"), example("hello")).unwrap();
    berth(&dir, &["build", "spec.kdl", "-o", "out"]).expect_code(0);
    let second = tree(&out);
    assert!(!second.iter().any(|f| f.contains("extra-api")), "stale files left: {second:#?}");
    assert!(second.contains(&"NOTES.md".to_owned()));
    let kept = berth_folder.join("handwritten.yaml");
    assert!(out.join(&kept).is_file(), "removed a file berth did not write: {}", kept.display());
    assert!(out.join(berth_folder).join("deployment-not-berth.yaml").is_file());

    // Everything else is what a fresh build gives.
    let fresh = dir.join("fresh");
    berth(&dir, &["build", "spec.kdl", "-o", "fresh"]).expect_code(0);
    let mut expected = tree(&fresh);
    expected.push("NOTES.md".to_owned());
    expected.push(berth_folder.join("handwritten.yaml").to_string_lossy().replace('\\', "/"));
    expected.push(berth_folder.join("deployment-not-berth.yaml").to_string_lossy().replace('\\', "/"));
    expected.sort();
    assert_eq!(second, expected);
    for file in tree(&fresh) {
        if file.starts_with(".berth/") {
            continue;
        }
        assert_eq!(fs::read(fresh.join(&file)).unwrap(), fs::read(out.join(&file)).unwrap(), "{file}");
    }
}

#[test]
fn build_env_filter_writes_only_that_environment() {
    let dir = workdir("build_env_filter");
    fs::write(dir.join("spec.kdl"), example("hello")).unwrap();
    berth(&dir, &["build", "spec.kdl", "-o", "out", "--env", "dev"]).expect_code(0);
    let files = tree(&dir.join("out"));
    assert!(files.iter().any(|f| f.starts_with("dev/")), "{files:#?}");
    for file in &files {
        assert!(
            file.starts_with("dev/") || file.starts_with(".berth/") || file == "docs/estate.md",
            "not in dev: {file}"
        );
    }
    // An environment the spec does not declare is an error, and writes nothing.
    let run = berth(&dir, &["build", "spec.kdl", "-o", "other", "--env", "qa"]);
    assert!(matches!(run.code, Some(1 | 2)), "exit {:?}: {}", run.code, run.stderr);
    assert!(tree(&dir.join("other")).is_empty());
}

#[test]
fn fmt_check_reports_unformatted_specs() {
    let dir = workdir("fmt_check");
    let messy = "platform   \"fmt\"   {\n registry \"r.example/fmt\"\n}\ntarget \"onprem\"   cloud=\"onprem\" {\n        dns \"apps.example.internal\"\n}\nenvironment \"dev\"     target=\"onprem\"\n";
    fs::write(dir.join("spec.kdl"), messy).unwrap();
    let run = berth(&dir, &["fmt", "spec.kdl", "--check"]);
    assert!(matches!(run.code, Some(1)), "fmt --check on a messy spec: exit {:?}: {}", run.code, run.stderr);
    assert_eq!(fs::read_to_string(dir.join("spec.kdl")).unwrap(), messy, "--check must not write");

    berth(&dir, &["fmt", "spec.kdl"]).expect_code(0);
    let formatted = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    assert_ne!(formatted, messy);
    berth(&dir, &["fmt", "spec.kdl", "--check"]).expect_code(0);
    // Formatting is idempotent.
    berth(&dir, &["fmt", "spec.kdl"]).expect_code(0);
    assert_eq!(fs::read_to_string(dir.join("spec.kdl")).unwrap(), formatted);
}

#[test]
fn init_writes_a_spec_that_checks_ok() {
    let dir = workdir("init");
    berth(&dir, &["init", "new.kdl"]).expect_code(0);
    assert!(dir.join("new.kdl").is_file());
    berth(&dir, &["check", "new.kdl"]).expect_code(0);
    berth(&dir, &["build", "new.kdl", "-o", "out"]).expect_code(0);
    assert!(!tree(&dir.join("out")).is_empty());
    // init never overwrites an existing file.
    let before = fs::read_to_string(dir.join("new.kdl")).unwrap();
    let run = berth(&dir, &["init", "new.kdl"]);
    assert_ne!(run.code, Some(0), "init overwrote an existing spec");
    assert_eq!(fs::read_to_string(dir.join("new.kdl")).unwrap(), before);
}

/// Malformed specs through the binary: exit 1 with a report, never a crash (101 is a Rust
/// panic, 134 an abort) and never an output folder. `tests/suite/robustness.rs` runs
/// many more variants in-process.
#[test]
fn malformed_specs_exit_1_without_crashing_or_writing() {
    let dir = workdir("malformed_specs");
    let text = example("online-boutique");
    let mut variants: Vec<(String, String)> = Vec::new();
    // Cuts after the opening comments and the platform (a cut there can leave a
    // complete, valid spec): inside the domain, every cut leaves a node open.
    for fraction in [2, 3, 5, 7] {
        let mut at = text.len() * fraction / 8;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        variants.push((format!("truncated at byte {at}"), text[..at].to_owned()));
    }
    for insert in ["{", "\"", "/-", "\u{202E}", "99999999999999999999999"] {
        let at = text.find("service ").expect("a service node");
        variants.push((format!("{insert:?} inserted"), format!("{}{insert}{}", &text[..at], &text[at..])));
    }
    variants.push(("not UTF-8".to_owned(), String::new()));
    for (index, (label, variant)) in variants.iter().enumerate() {
        let spec = dir.join(format!("spec-{index}.kdl"));
        if label == "not UTF-8" {
            fs::write(&spec, b"platform \"\xff\xfe\" {}\n").unwrap();
        } else {
            fs::write(&spec, variant).unwrap();
        }
        let spec_name = format!("spec-{index}.kdl");
        let out = format!("out-{index}");
        let run = berth(&dir, &["build", &spec_name, "-o", &out]);
        // A file that is not UTF-8 is bad input like any other.
        assert_eq!(run.code, Some(1), "{label}: exit {:?}\n{}", run.code, run.stderr);
        assert!(!run.stderr.trim().is_empty(), "{label}: no diagnostics");
        assert!(!dir.join(&out).exists(), "{label}: wrote output despite errors");
    }
}

/// A spec that is not UTF-8, or too large, is a spec error at its place (exit 1, with the
/// line and column of the first bad byte), in every report format; not an I/O error.
#[test]
fn a_spec_that_is_not_utf8_is_an_error_at_the_first_bad_byte() {
    let dir = workdir("not_utf8");
    fs::write(dir.join("latin1.kdl"), b"platform \"shop\"\n// caf\xe9 au lait\n").unwrap();
    let run = berth(&dir, &["check", "latin1.kdl"]);
    run.expect_code(1);
    insta::assert_snapshot!("not_utf8", run.stderr);
    let run = berth(&dir, &["check", "--format", "json", "latin1.kdl"]);
    run.expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report[0]["code"], "syntax::not_utf8");
    assert_eq!((report[0]["line"].as_u64(), report[0]["column"].as_u64()), (Some(2), Some(7)));
    berth(&dir, &["fmt", "latin1.kdl"]).expect_code(1);
    berth(&dir, &["build", "latin1.kdl", "-o", "out"]).expect_code(1);
    assert!(!dir.join("out").exists());
    let big = "// filler\n".repeat(500_000);
    fs::write(dir.join("big.kdl"), big).unwrap();
    let run = berth(&dir, &["check", "big.kdl"]);
    run.expect_code(1);
    assert!(run.stderr.contains("syntax::too_large"), "{}", run.stderr);
    assert!(run.stderr.contains("big.kdl:419431:"), "the place of the limit: {}", run.stderr);
    assert!(!run.stderr.contains("--max-input-bytes"), "no such option: {}", run.stderr);
}

/// Standard output closed or full is an I/O error (exit 2) with a message, never a panic.
#[test]
fn an_unwritable_stdout_is_an_error_not_a_panic() {
    let dir = workdir("unwritable_stdout");
    fs::write(dir.join("spec.kdl"), example("hello")).unwrap();
    let run = |args: &[&str], stdout: std::process::Stdio| {
        let output = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(args)
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(stdout)
            .output()
            .unwrap();
        Run::from(output)
    };
    for args in
        [&["check", "--format", "json", "spec.kdl"][..], &["inspect", "spec.kdl"], &["schema"], &["graph", "spec.kdl"]]
    {
        let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let result = run(args, full.into());
        result.expect_code(2);
        assert!(result.stderr.contains("cannot write to standard output"), "{args:?}: {}", result.stderr);
        assert!(!result.stderr.contains("panicked"), "{args:?}: {}", result.stderr);
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let result = run(args, writer.into());
        result.expect_code(2);
        assert!(result.stderr.contains("cannot write to standard output"), "{args:?}: {}", result.stderr);
    }
}

/// The estate index (`docs/estate.md`, a Markdown artifact, not a Kubernetes object) goes
/// through the same ownership record, `build --check` and `berth diff` as every manifest.
#[test]
fn estate_index_is_written_checked_and_diffed_like_every_artifact() {
    let dir = workdir("estate_index_is_written_checked_and_diffed");
    let old = example("hello");
    // An approval group changes no Kubernetes object, only the index.
    let new = old.replace(
        "environment \"prod\" target=\"onprem\" production=#true",
        "environment \"prod\" target=\"onprem\" production=#true {\n    approval \"release-managers\"\n}",
    );
    assert_ne!(old, new);
    fs::write(dir.join("old.kdl"), &old).unwrap();
    fs::write(dir.join("new.kdl"), &new).unwrap();

    berth(&dir, &["build", "old.kdl", "-o", "out"]).expect_code(0);
    let index = fs::read_to_string(dir.join("out/docs/estate.md")).unwrap();
    assert!(index.starts_with("<!-- Generated by berth from platform hello. DO NOT EDIT. -->\n"), "{index}");
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out/.berth/manifest.json")).unwrap()).unwrap();
    assert!(manifest["files"]["docs/estate.md"].is_string(), "not owned: {manifest}");

    // `build --check` sees exactly the index as stale.
    let check = berth(&dir, &["build", "new.kdl", "--check", "out"]);
    assert_ne!(check.code, Some(0), "{}", check.stdout);
    let stale: Vec<&str> = check.stdout.lines().filter(|line| line.starts_with("changed: ")).collect();
    assert_eq!(stale, ["changed: docs/estate.md"], "{}", check.stdout);

    // `berth diff` reports the index's change, and nothing else.
    let diff = berth(&dir, &["diff", "old.kdl", "new.kdl", "--format", "json"]);
    diff.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    let resources = report["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{}", diff.stdout);
    assert_eq!(resources[0]["path"], "docs/estate.md");
    assert_eq!(resources[0]["kind"], "Markdown");
    assert_eq!(resources[0]["change"], "changed");
    assert!(
        resources[0]["text"].as_str().unwrap().contains("+| `prod` | `onprem` | yes | release-managers |"),
        "{}",
        diff.stdout
    );
    let terminal = berth(&dir, &["diff", "old.kdl", "new.kdl"]);
    assert!(terminal.stdout.starts_with("estate\n  ~ Markdown docs/estate.md (changed)\n"), "{}", terminal.stdout);

    // Rebuilding rewrites the owned index in place.
    berth(&dir, &["build", "new.kdl", "-o", "out"]).expect_code(0);
    assert!(fs::read_to_string(dir.join("out/docs/estate.md")).unwrap().contains("release-managers"));
    berth(&dir, &["build", "new.kdl", "--check", "out"]).expect_code(0);
}

/// `berth inspect` prints, for every example, JSON that `berth schema` validates; the
/// schema's `exposure` admits every exposure the stdlib profiles use (`gateway` too).
#[test]
fn inspect_output_of_every_example_matches_the_schema() {
    let dir = workdir("inspect_output_matches_the_schema");
    let schema = berth(&dir, &["schema"]);
    schema.expect_code(0);
    let schema: serde_json::Value = serde_json::from_str(&schema.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut names: Vec<String> = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples"))
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("spec.kdl").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut exposures = std::collections::BTreeSet::new();
    for name in &names {
        fs::write(dir.join("spec.kdl"), example(name)).unwrap();
        let run = berth(&dir, &["inspect", "spec.kdl"]);
        assert_eq!(run.code, Some(0), "examples/{name}: {}", run.stderr);
        let estate: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&estate).map(|e| format!("{}: {e}", e.instance_path())).take(5).collect();
        assert!(errors.is_empty(), "examples/{name}: {errors:#?}");
        assert!(!estate["views"].as_array().unwrap().is_empty(), "examples/{name}: no views");
        for view in estate["views"].as_array().unwrap() {
            exposures.insert(view["profile"]["exposure"].as_str().unwrap().to_owned());
        }
        // A filter keeps only the matching views.
        let env = estate["views"][0]["env"].as_str().unwrap().to_owned();
        let run = berth(&dir, &["inspect", "spec.kdl", "--env", &env]);
        let filtered: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(filtered["views"].as_array().unwrap().iter().all(|v| v["env"] == env.as_str()));
    }
    assert!(exposures.contains("gateway") && exposures.contains("ingress"), "{exposures:?}");
}

/// #18's acceptance through the real binary: on any hostile input (every file of the
/// fuzzer's regression corpus, and the attack's cases built here) `build` exits 1, writes
/// nothing, and keeps stderr under 1 MB; `check --format json` puts a line on every error.
#[test]
fn hostile_inputs_exit_1_with_positioned_errors_nothing_written_bounded_stderr() {
    const MAX_BYTES: usize = 1_000_000;
    let dir = workdir("hostile_inputs");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz-corpus");
    let mut inputs: Vec<(String, String)> = fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "kdl"))
        .map(|path| (path.display().to_string(), fs::read_to_string(&path).unwrap()))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 7, "the corpus is there");
    let policy = |expression: &str| {
        format!(
            "platform \"p\"\npolicy \"p\" severity=\"error\" {{\n    match \"service\"\n    require \"{expression}\"\n}}\n"
        )
    };
    inputs.extend([
        ("VT then deep nesting".to_owned(), format!("// x\u{0B}{}", "a{".repeat(40_000))),
        ("unclosed string then deep nesting".to_owned(), format!("a \"oops\n{}", "a{".repeat(45_000))),
        ("10,000-term CEL".to_owned(), policy(&vec!["1"; 10_000].join("+"))),
        ("20,000-step member chain".to_owned(), policy(&format!("ports{}", ".b".repeat(20_000)))),
        ("70 KB value".to_owned(), format!("platform \"p\"\nfrobnicate \"{}\" x=1\n", "x".repeat(70_000))),
        ("32 KB of x\"\"".to_owned(), "x\"\"".repeat(11_000)),
        ("bidi escape".to_owned(), "platform \"a\\u{202E}b\"\n".to_owned()),
        (
            "42-digit integer".to_owned(),
            "platform \"p\"\nenvironment \"e\" x=999999999999999999999999999999999999999999\n".to_owned(),
        ),
    ]);
    for (index, (label, text)) in inputs.iter().enumerate() {
        let spec = format!("spec-{index}.kdl");
        fs::write(dir.join(&spec), text).unwrap();
        let out = format!("out-{index}");
        let run = berth(&dir, &["build", &spec, "-o", &out]);
        run.expect_code(1);
        assert!(!dir.join(&out).exists(), "{label}: wrote output despite errors");
        assert!(run.stderr.len() <= MAX_BYTES, "{label}: {} bytes on stderr", run.stderr.len());
        assert!(!run.stderr.contains("bug in Berth"), "{label}: {}", run.stderr);
        let run = berth(&dir, &["check", "--format", "json", &spec]);
        run.expect_code(1);
        assert!(run.stdout.len() <= MAX_BYTES, "{label}: {} bytes on stdout", run.stdout.len());
        let report: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        let errors: Vec<_> = report.iter().filter(|item| item["severity"] == "error").collect();
        assert!(!errors.is_empty(), "{label}: exit 1 without an error");
        for error in errors {
            assert!(error["line"].as_u64().is_some_and(|line| line >= 1), "{label}: no position: {error}");
        }
    }
}

/// `diff` reports the new revision's errors and stops there: the old revision is compiled
/// only when the new one is sound (a parse that ran out of budget would otherwise be paid
/// for twice), and its errors are reported when it is the broken one.
#[test]
fn diff_reports_the_new_revisions_errors_first_and_stops() {
    let dir = workdir("diff_reports_the_new_revisions_errors_first");
    let good = example("hello");
    fs::write(dir.join("good.kdl"), &good).unwrap();
    fs::write(dir.join("old-broken.kdl"), "platform \"old\" {\n    registri \"x\"\n}\n").unwrap();
    fs::write(dir.join("new-broken.kdl"), "platform \"new\" {\n    kubernets \"1.33\"\n}\n").unwrap();

    let both = berth(&dir, &["diff", "old-broken.kdl", "new-broken.kdl"]);
    both.expect_code(1);
    assert!(both.stderr.contains("kubernets"), "{}", both.stderr);
    assert!(!both.stderr.contains("registri"), "the old revision was compiled too:\n{}", both.stderr);
    assert!(both.stderr.contains("new-broken.kdl has errors; nothing to compare"), "{}", both.stderr);

    let old_only = berth(&dir, &["diff", "old-broken.kdl", "good.kdl"]);
    old_only.expect_code(1);
    assert!(old_only.stderr.contains("registri"), "{}", old_only.stderr);
    assert!(old_only.stderr.contains("old-broken.kdl has errors; nothing to compare"), "{}", old_only.stderr);
    assert!(old_only.stdout.is_empty(), "{}", old_only.stdout);
}

/// `diff` compiles both revisions at once, their parses out of one budget: two specs the
/// parser gives up on are one `syntax::too_complex` error, the new revision's, and the old
/// revision's errors are not reported (issue 17 item 6; `tests/suite/hostile.rs` checks the
/// budget is spent once).
#[test]
fn diff_of_two_specs_too_complex_to_parse_reports_the_new_one() {
    let dir = workdir("diff_of_two_specs_too_complex_to_parse");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz-corpus");
    let hostile = fs::read_to_string(corpus.join("unterminated-raw-strings-repeated-400-times.kdl")).unwrap();
    fs::write(dir.join("old.kdl"), &hostile).unwrap();
    fs::write(dir.join("new.kdl"), hostile.replace("platform \"shop\"", "platform \"shop2\"")).unwrap();
    let run = berth(&dir, &["diff", "old.kdl", "new.kdl"]);
    run.expect_code(1);
    assert_eq!(run.stderr.matches("syntax::too_complex").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("new.kdl has errors; nothing to compare"), "{}", run.stderr);
    assert!(!run.stderr.contains("old.kdl"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
