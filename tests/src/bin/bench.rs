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
use std::time::Instant;

/// The allocator `berth` runs with (compiler/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../bench_common.rs"]
mod bench_common;

use bench_common::{process_cpu, spec_and_runs, summary};

fn main() {
    let (spec, text, runs) = spec_and_runs("bench SPEC [--runs N]", 5);
    let inputs = Inputs::spec(spec.clone(), text);
    let mut compile_times = Vec::new();
    let mut compilation = None;
    let cpu_before = process_cpu();
    for _ in 0..runs {
        let started = Instant::now();
        compilation = Some(compile(&inputs, &Options::default()));
        compile_times.push(started.elapsed());
    }
    let cpu = process_cpu().zip(cpu_before).map(|(after, before)| (after - before) / u32::try_from(runs).unwrap_or(1));
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
    if let Some(cpu) = cpu {
        println!("  CPU (user + system) per compile, mean: {cpu:?}");
    }
    println!(
        "validate::objects as Kubernetes {other_version}: cold {:?}, warm {:?} / {:?}",
        validate_times.first().copied().unwrap_or_default(),
        validate_times.get(1).copied().unwrap_or_default(),
        validate_times.get(2).copied().unwrap_or_default()
    );
}
