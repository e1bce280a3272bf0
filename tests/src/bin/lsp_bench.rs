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
//! goes: each stage of `driver::compile` timed on its own, wall and CPU (the stdlib lowered
//! once, outside the timings, as the driver keeps it), and the whole pipeline from scratch
//! (`Options::default()`, what `berth check` runs in-process).
//!
//! A second series types a space after that `8080` and deletes it again: every span after
//! the keystroke moves by one byte, as when a name is typed, which is the common case.

use berth::diag::{Diagnostics, SourceFile, Sources};
use berth::driver::{Inputs, Options, compile};
use berth::lsp::{self, Url};
use berth::model::Spec;
use berth::resolve::{Library, SpecFiles};
use berth::{emit, model, policy, resolve, stdlib, syntax, validate};
use std::time::{Duration, Instant};

/// The allocator `berth` runs with (compiler/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../bench_common.rs"]
mod bench_common;

use bench_common::{process_cpu, spec_and_runs, summary};

/// The stages of `driver::compile` the breakdown times, in order.
const STAGES: [&str; 7] = [
    "parse + lower of the spec",
    "resolve (with Library::from_specs)",
    "policy::prepare + check_model",
    "emit",
    "policy::check_objects + finish",
    "validate::objects_again",
    "check_text minus the stages above (LSP conversion, stdlib sources, clones)",
];

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
    let library = stdlib_specs();
    let (mut check, mut pipeline) = (Vec::new(), Vec::new());
    let mut stages: Vec<Vec<Duration>> = vec![Vec::new(); STAGES.len()];
    // CPU per stage, summed over the runs (the process's clock ticks are 10 ms).
    let mut stage_cpu: Vec<Option<Duration>> = vec![Some(Duration::ZERO); STAGES.len() - 1];
    let mut check_cpu = Some(Duration::ZERO);
    let mut current = text.clone();
    for run in 0..runs {
        let digit = if run % 2 == 0 { "1" } else { "0" };
        current.replace_range(at..at + 1, digit);
        let (started, cpu_before) = (Instant::now(), process_cpu());
        let analysis = lsp::check_text(&uri, &current, &[], "");
        let elapsed = started.elapsed();
        check.push(elapsed);
        check_cpu = check_cpu.zip(process_cpu().zip(cpu_before)).map(|(sum, (after, before))| sum + (after - before));
        if let Some(error) =
            analysis.diagnostics.iter().find(|d| d.severity == Some(lsp_types::DiagnosticSeverity::ERROR))
        {
            eprintln!("the edited spec has errors ({}); pick a valid spec", error.message);
            std::process::exit(1);
        }
        let times = stage_times(&current, &library);
        let rest = elapsed.saturating_sub(times.iter().map(|(wall, _)| *wall).sum());
        let walls = times.iter().map(|(wall, _)| *wall).chain(std::iter::once(rest));
        for (all, time) in stages.iter_mut().zip(walls) {
            all.push(time);
        }
        for (sum, (_, time)) in stage_cpu.iter_mut().zip(&times) {
            *sum = sum.zip(*time).map(|(sum, time)| sum + time);
        }
        let started = Instant::now();
        compile(&Inputs::spec("spec.kdl", current.clone()), &Options::default());
        pipeline.push(started.elapsed());
    }
    println!("re-check after one keystroke (lsp::check_text), {runs} runs: {}", summary(&mut check));
    if let Some(cpu) = check_cpu {
        println!("  CPU (user + system) per re-check, mean: {:?}", cpu / u32::try_from(runs).unwrap_or(1));
    }
    let per_run = |sum: Option<Duration>| sum.map(|sum| sum / u32::try_from(runs).unwrap_or(1));
    for (index, (name, times)) in STAGES.iter().zip(&mut stages).enumerate() {
        let cpu = stage_cpu.get(index).copied().and_then(per_run).map(|cpu| format!("; CPU mean {cpu:?}"));
        println!("  {name}: {}{}", summary(times), cpu.unwrap_or_default());
    }
    println!("  driver::compile from scratch: {}", summary(&mut pipeline));
    let mut shifted = Vec::new();
    let cpu_before = process_cpu();
    for run in 0..runs {
        if run % 2 == 0 {
            current.insert(at + 1, ' ');
        } else {
            current.remove(at + 1);
        }
        let started = Instant::now();
        lsp::check_text(&uri, &current, &[], "");
        shifted.push(started.elapsed());
    }
    println!("re-check after a space typed and deleted (later spans move), {runs} runs: {}", summary(&mut shifted));
    if let Some(cpu) = per_run(process_cpu().zip(cpu_before).map(|(after, before)| after - before)) {
        println!("  CPU (user + system) per re-check, mean: {cpu:?}");
    }
}

/// Every stdlib file parsed and lowered (the driver lowers each once per process).
fn stdlib_specs() -> Vec<Spec> {
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let mut specs = Vec::new();
    for (name, text) in stdlib::FILES {
        let id = sources.add(SourceFile { name: (*name).to_owned(), text: (*text).to_owned() });
        if let Some(parsed) = sources.get(id).and_then(|source| syntax::parse(&mut diags, id, source)) {
            specs.push(model::lower(&mut diags, &parsed));
        }
    }
    specs
}

/// The stages of `driver::compile` on `text`, each timed (see [`STAGES`]); the spec gets
/// the file id the driver gives it, so `validate::objects_again` sees the same origins.
fn stage_times(text: &str, library_specs: &[Spec]) -> Vec<(Duration, Option<Duration>)> {
    let mut sources = Sources::default();
    for (name, text) in stdlib::FILES {
        sources.add(SourceFile { name: (*name).to_owned(), text: (*text).to_owned() });
    }
    let mut diags = Diagnostics::default();
    let mut times = Vec::new();
    let (mut started, mut cpu) = (Instant::now(), process_cpu());
    let mut lap = |times: &mut Vec<(Duration, Option<Duration>)>| {
        let now = process_cpu();
        times.push((started.elapsed(), now.zip(cpu).map(|(after, before)| after - before)));
        (started, cpu) = (Instant::now(), now);
    };
    let id = sources.add(SourceFile { name: "spec.kdl".into(), text: text.to_owned() });
    let Some(parsed) = sources.get(id).and_then(|source| syntax::parse(&mut diags, id, source)) else { return times };
    let spec = model::lower(&mut diags, &parsed);
    lap(&mut times);
    let library = Library::from_specs(library_specs.iter().chain(std::iter::once(&spec)));
    let estate = resolve::resolve(&mut diags, &spec, &library, &SpecFiles::default());
    lap(&mut times);
    let refs: Vec<&Spec> = library_specs.iter().collect();
    let policies = policy::prepare(&mut diags, &refs, &spec, "");
    let mut findings = policy::check_model(&mut diags, &policies, &spec, &estate);
    lap(&mut times);
    let tree = emit::emit(&mut diags, &estate);
    lap(&mut times);
    findings.extend(policy::check_objects(&mut diags, &policies, &spec, &estate, &tree));
    policy::finish(&mut diags, &policies, &findings, false);
    lap(&mut times);
    validate::objects_again(&mut diags, &tree, &estate.kubernetes);
    lap(&mut times);
    times
}
