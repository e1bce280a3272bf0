//! A bench command: times the compiler's stages on one spec, for the numbers recorded in
//! tests/README.md (measurements are not asserted in timed tests).
//!
//! ```sh
//! cargo run --release -p tests --bin bench -- examples/enterprise/spec.kdl --runs 5
//! ```
//! Prints the best and median wall time of a whole `driver::compile` over `--runs` runs,
//! and of `validate::objects` on the emitted tree for another Kubernetes version (cold:
//! the validators are built; warm: they are reused).

use berth::diag::Diagnostics;
use berth::driver::{Inputs, Options, compile};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut spec = None;
    let mut runs = 5_usize;
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs).max(1);
        } else {
            spec = Some(arg);
        }
    }
    let Some(spec) = spec else {
        eprintln!("usage: bench SPEC [--runs N]");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&spec) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {spec}: {error}");
            std::process::exit(2);
        }
    };
    let inputs = Inputs::spec(spec.clone(), text);
    let mut compile_times = Vec::new();
    let mut compilation = None;
    for _ in 0..runs {
        let started = Instant::now();
        compilation = Some(compile(&inputs, &Options::default()));
        compile_times.push(started.elapsed());
    }
    let Some(compilation) = compilation else { return };
    if compilation.has_errors() {
        eprintln!("{spec} has errors; run `berth check {spec}`");
        std::process::exit(1);
    }
    let Some(estate) = compilation.estate.as_ref() else { return };
    let other_version = if estate.kubernetes == "1.34" { "1.35" } else { "1.34" };
    let mut diags = Diagnostics::default();
    let tree = berth::emit::emit(&mut diags, estate);
    let mut validate_times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        berth::validate::objects(&mut diags, &tree, other_version);
        validate_times.push(started.elapsed());
    }
    println!("{spec}: {} objects", compilation.tree.len());
    println!("compile (whole pipeline), {runs} runs: {}", summary(&mut compile_times));
    println!(
        "validate::objects as Kubernetes {other_version}: cold {:?}, warm {:?} / {:?}",
        validate_times.first().copied().unwrap_or_default(),
        validate_times.get(1).copied().unwrap_or_default(),
        validate_times.get(2).copied().unwrap_or_default()
    );
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let best = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    format!("best {best:?}, median {median:?}")
}
