//! `berth set-image`: the real binary edits a copy of an example in place; `berth fmt
//! --check` still passes, `berth check` still passes, and one line changed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DIGEST: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn workdir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("set-image").join(test);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/enterprise/spec.kdl");
    fs::copy(example, dir.join("spec.kdl")).unwrap();
    dir
}

fn berth(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Lines of `after` that differ from `before` (both with the same number of lines), or
/// the added lines when one is longer.
fn changed(before: &str, after: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    if a.len() == b.len() {
        return a.iter().zip(&b).filter(|(x, y)| x != y).map(|(_, y)| (*y).to_owned()).collect();
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    b[prefix..b.len() - suffix].iter().map(|l| (*l).to_owned()).collect()
}

#[test]
fn set_image_round_trips_through_fmt_and_check() {
    let dir = workdir("round-trip");
    let before = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    assert_eq!(code(&berth(&dir, &["fmt", "--check", "spec.kdl"])), Some(0), "the example is formatted");

    let run = berth(&dir, &["set-image", "order/order-api", "--digest", DIGEST, "spec.kdl"]);
    assert_eq!(code(&run), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let after = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    assert_eq!(changed(&before, &after), [format!("        image \"order-api\" tag=\"1.4.2\" digest=\"{DIGEST}\"")]);
    assert_eq!(code(&berth(&dir, &["fmt", "--check", "spec.kdl"])), Some(0));
    assert_eq!(code(&berth(&dir, &["check", "spec.kdl"])), Some(0));

    // Again with another digest: the same line, replaced.
    let other = DIGEST.replace("9f86", "0000");
    assert_eq!(code(&berth(&dir, &["set-image", "order/order-api", "--digest", &other, "spec.kdl"])), Some(0));
    let again = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    assert_eq!(changed(&after, &again).len(), 1);
    assert!(again.contains(&other) && !again.contains(DIGEST));
}

#[test]
fn set_image_for_one_environment_edits_its_in_block() {
    let dir = workdir("env");
    let before = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    let run = berth(&dir, &["set-image", "order/order-api", "--digest", DIGEST, "--env", "prod", "spec.kdl"]);
    assert_eq!(code(&run), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let after = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    assert_eq!(
        changed(&before, &after),
        [format!("            image \"order-api\" tag=\"1.4.2\" digest=\"{DIGEST}\"")]
    );
    assert_eq!(code(&berth(&dir, &["fmt", "--check", "spec.kdl"])), Some(0));
    assert_eq!(code(&berth(&dir, &["check", "spec.kdl"])), Some(0));
}

#[test]
fn set_image_refuses_unknown_workloads_and_bad_digests() {
    let dir = workdir("errors");
    let before = fs::read_to_string(dir.join("spec.kdl")).unwrap();
    let run = berth(&dir, &["set-image", "order/nope", "--digest", DIGEST, "spec.kdl"]);
    assert_eq!(code(&run), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("domain `order` has no service, worker or job `nope`"));
    let run = berth(&dir, &["set-image", "order/order-api", "--digest", "latest", "spec.kdl"]);
    assert_eq!(code(&run), Some(1));
    assert_eq!(code(&berth(&dir, &["set-image", "order-api", "--digest", DIGEST, "spec.kdl"])), Some(2));
    assert_eq!(fs::read_to_string(dir.join("spec.kdl")).unwrap(), before, "nothing written on error");
}
