//! `lsp_bench`: the language server's re-check after one keystroke, on one spec (not a
//! timed test; the figures go to tests/README.md).
//!
//! ```sh
//! cargo run --release -p tests --bin gen_spec -- --services 200 > /tmp/200.kdl
//! cargo run --release -p tests --bin lsp_bench -- /tmp/200.kdl --runs 41
//! ```
//! The server process is warm (one check first: the stdlib lowered, the schemas compiled,
//! as after opening a file). Each run types one character into the spec (the last digit
//! of the first port `8080`, alternately `8081` and `8080`, so the spec stays valid and
//! the whole pipeline runs) and times what the server does for it after the debounce: `lsp::check_text`
//! (driver::compile and the conversion to LSP diagnostics). It also prints where the time
//! goes: parse + lower of the spec, and the whole pipeline without the conversion.

use berth::diag::{Diagnostics, SourceFile, Sources};
use berth::driver::{Inputs, Options, compile};
use berth::lsp::{self, Url};
use std::time::{Duration, Instant};

/// The allocator `berth` runs with (compiler/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../bench_common.rs"]
mod bench_common;

use bench_common::{process_cpu, spec_and_runs, summary};

fn main() {
    let (spec, text, runs) = spec_and_runs("lsp_bench SPEC [--runs N]", 41);
    // The character typed: the last digit of the first `port "..." NNNN` (8080 <-> 8081).
    let Some(at) = text.find(" 8080").map(|i| i + 4) else {
        eprintln!("{spec} has no ` 8080` to type into");
        std::process::exit(2);
    };
    let uri = Url::parse("file:///bench/spec.kdl").unwrap_or_else(|_| std::process::exit(2));
    let warm = lsp::check_text(&uri, &text, &[], "");
    println!("{spec}: {} bytes, {} diagnostics after opening", text.len(), warm.diagnostics.len());
    let (mut check, mut front, mut pipeline) = (Vec::new(), Vec::new(), Vec::new());
    let mut check_cpu = Some(Duration::ZERO);
    let mut current = text.clone();
    for run in 0..runs {
        let digit = if run % 2 == 0 { "1" } else { "0" };
        current.replace_range(at..at + 1, digit);
        let (started, cpu_before) = (Instant::now(), process_cpu());
        let analysis = lsp::check_text(&uri, &current, &[], "");
        check.push(started.elapsed());
        check_cpu = check_cpu.zip(process_cpu().zip(cpu_before)).map(|(sum, (after, before))| sum + (after - before));
        if let Some(error) =
            analysis.diagnostics.iter().find(|d| d.severity == Some(lsp_types::DiagnosticSeverity::ERROR))
        {
            eprintln!("the edited spec has errors ({}); pick a valid spec", error.message);
            std::process::exit(1);
        }
        let started = Instant::now();
        let mut sources = Sources::default();
        let id = sources.add(SourceFile { name: "spec.kdl".into(), text: current.clone() });
        let mut diags = Diagnostics::default();
        if let Some(parsed) = sources.get(id).and_then(|source| berth::syntax::parse(&mut diags, id, source)) {
            berth::model::lower(&mut diags, &parsed);
        }
        front.push(started.elapsed());
        let started = Instant::now();
        compile(&Inputs::spec("spec.kdl", current.clone()), &Options::default());
        pipeline.push(started.elapsed());
    }
    println!("re-check after one keystroke (lsp::check_text), {runs} runs: {}", summary(&mut check));
    if let Some(cpu) = check_cpu {
        println!("  CPU (user + system) per re-check, mean: {:?}", cpu / u32::try_from(runs).unwrap_or(1));
    }
    println!("  of which parse + lower of the spec: {}", summary(&mut front));
    println!("  driver::compile alone: {}", summary(&mut pipeline));
}
