//! What the bench commands (`bench`, `lsp_bench`) share: their arguments, the spec they
//! read, the figures they print. Included by each with `#[path]` (the test crate has no
//! library target).

use std::time::Duration;

/// `SPEC [--runs N]` from the command line and the spec's text; exits with 2 and `usage`
/// when there is no spec or it cannot be read.
pub fn spec_and_runs(usage: &str, default_runs: usize) -> (String, String, usize) {
    let mut args = std::env::args().skip(1);
    let (mut spec, mut runs) = (None, default_runs);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs).max(1);
        } else {
            spec = Some(arg);
        }
    }
    let Some(spec) = spec else {
        eprintln!("usage: {usage}");
        std::process::exit(2);
    };
    match std::fs::read_to_string(&spec) {
        Ok(text) => (spec, text, runs),
        Err(error) => {
            eprintln!("cannot read {spec}: {error}");
            std::process::exit(2);
        }
    }
}

/// Median, best and worst of `times`.
pub fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let best = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    format!("median {median:?} (best {best:?}, worst {worst:?})")
}

/// CPU time (user + system, every thread) the process has used so far, from
/// `/proc/self/stat` in clock ticks of 10 ms; `None` where there is no such file. Under a
/// loaded machine wall time measures the scheduler as much as the code; summed over many
/// runs, this does not.
pub fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the command name: state is field 3 of stat(5), utime 14, stime 15.
    let ticks = |index: usize| fields.get(index - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Duration::from_millis((ticks(14)? + ticks(15)?) * 10))
}
