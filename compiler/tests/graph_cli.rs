//! `berth graph` through the real binary: Mermaid by default, DOT on request, the
//! environment chosen with --env, exit 2 for an unknown environment, 1 for a bad spec.

use std::path::Path;
use std::process::Command;

fn berth(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("NO_COLOR", "1")
        .output()
        .expect("berth runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn mermaid_by_default_dot_on_request() {
    let (code, stdout, stderr) = berth(&["graph", "examples/online-boutique/spec.kdl"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("flowchart LR"), "{stdout}");
    assert!(stdout.contains("title: online-boutique (dev on gke)"), "{stdout}");
    assert!(stdout.contains("boutique__cartservice -->|\"tcp-redis 6379\"| boutique__redis_cart"));

    let (code, stdout, stderr) = berth(&["graph", "examples/enterprise/spec.kdl", "--format", "dot", "--env", "prod"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("digraph estate {"), "{stdout}");
    assert!(stdout.contains("label=\"acme-estate (prod on aws)\""));
    assert!(stdout.contains("payment__payment_api -> ext_psp_example_net [label=\"443\"];"));
    assert!(stdout.contains("order__orders_db [label=\"orders-db (postgres)\", shape=cylinder];"));
}

#[test]
fn unknown_environment_and_bad_spec() {
    let (code, stdout, stderr) = berth(&["graph", "examples/hello/spec.kdl", "--env", "staging"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.contains("no environment `staging`"), "{stderr}");

    let (code, stdout, _) = berth(&["graph", "compiler/tests/does-not-exist.kdl"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
}
