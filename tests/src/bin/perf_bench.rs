//! `perf_bench`: the figures of the performance goals (issue 17), measured on the `berth`
//! binary as a user runs it, over generated estates (not a timed test; the figures go to
//! tests/README.md).
//!
//! ```sh
//! cargo build --release -p berth -p tests
//! target/release/perf_bench --sizes 100,1000,4400 --runs 3
//! ```
//! For each size N it writes `gen_spec --services N` (and a copy with one image tag
//! changed) into a fresh work folder, then prints the median over `--runs` of: `check`;
//! `build` into a fresh folder; `cp -r` of that output tree into a fresh folder; a
//! rebuild of that folder after the one-line change; `diff` of the two revisions; and
//! `check` of examples/enterprise. Each line gives wall time, CPU (user + system) and
//! peak RSS of the child, read from Debian's `/usr/bin/time` (wall only without it).
//! Every output goes to a new folder and nothing is deleted in between: on this
//! machine's ext4 without a journal, creating files right after deleting a large tree is
//! 5-15x slower. The work folder (`--work`, default `/tmp/perf_bench-<pid>`) is left for
//! the caller to remove.
//!
//! Generated estates above 4,400 services pass the limit of 5,000 workloads and backing
//! services (`gen_spec` adds a database, a cache and some topics per domain).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one child run cost.
#[derive(Clone, Copy, Default)]
struct Cost {
    wall: Duration,
    /// User + system CPU; zero without `/usr/bin/time`.
    cpu: Duration,
    /// Peak resident set in KiB; zero without `/usr/bin/time`.
    peak_kib: u64,
}

/// Command-line options.
struct Options {
    berth: PathBuf,
    gen_spec: PathBuf,
    sizes: Vec<usize>,
    runs: usize,
    work: PathBuf,
}

fn main() {
    let options = parse_args();
    if std::fs::create_dir_all(&options.work).is_err() {
        eprintln!("perf_bench: cannot create {}", options.work.display());
        std::process::exit(2);
    }
    println!("berth: {}  runs: {}  work: {}", options.berth.display(), options.runs, options.work.display());
    let enterprise = median(&options, |_| run(&options.berth, &["check", "examples/enterprise/spec.kdl"]));
    println!("{:<46} {}", "check examples/enterprise (cold process)", show(enterprise));
    let mut checks = Vec::new();
    for &n in &options.sizes {
        checks.push((n, size(&options, n)));
    }
    for pair in checks.windows(2) {
        if let [(small, small_cost), (large, large_cost)] = pair {
            let growth = large_cost.wall.as_secs_f64() / small_cost.wall.as_secs_f64().max(1e-9);
            let cpu_growth = large_cost.cpu.as_secs_f64() / small_cost.cpu.as_secs_f64().max(1e-9);
            let linear = *large as f64 / (*small).max(1) as f64;
            println!(
                "growth of check {small} -> {large} services: {growth:.2}x wall, {cpu_growth:.2}x CPU (linear: {linear:.2}x)"
            );
        }
    }
}

/// The figures of one estate size; returns the median `check`.
fn size(options: &Options, n: usize) -> Cost {
    let spec = options.work.join(format!("{n}.kdl"));
    let changed = options.work.join(format!("{n}-changed.kdl"));
    let text = generate(options, n);
    // One line apart: the first image tag.
    let edited = text.replacen("tag=\"", "tag=\"9", 1);
    if std::fs::write(&spec, &text).is_err() || std::fs::write(&changed, edited).is_err() {
        eprintln!("perf_bench: cannot write into {}", options.work.display());
        std::process::exit(2);
    }
    let (spec_arg, changed_arg) = (spec.to_string_lossy().into_owned(), changed.to_string_lossy().into_owned());
    let label = |what: &str| format!("{what}, {n} services");

    let check = median(options, |_| run(&options.berth, &["check", &spec_arg]));
    println!("{:<46} {}", label("check"), show(check));
    let out = |run: usize, what: &str| options.work.join(format!("{n}-{what}-{run}")).to_string_lossy().into_owned();
    let fresh = median(options, |i| run(&options.berth, &["build", &spec_arg, "-o", &out(i, "build")]));
    let files = count_files(Path::new(&out(0, "build")));
    println!("{:<46} {}  ({files} files)", label("build into a fresh folder"), show(fresh));
    let copy = median(options, |i| run(Path::new("cp"), &["-r", &out(i, "build"), &out(i, "copy")]));
    println!("{:<46} {}", label("cp -r of that tree"), show(copy));
    let rebuild = median(options, |i| run(&options.berth, &["build", &changed_arg, "-o", &out(i, "build")]));
    println!("{:<46} {}", label("rebuild after a one-line change"), show(rebuild));
    let diff = median(options, |_| run(&options.berth, &["diff", &spec_arg, &changed_arg]));
    println!("{:<46} {}", label("diff, revisions one line apart"), show(diff));
    println!(
        "  ratios: build/cp {:.2}x, rebuild/check {:.2}x, diff/check {:.2}x",
        ratio(fresh, copy),
        ratio(rebuild, check),
        ratio(diff, check)
    );
    check
}

/// The estate of `n` services, from the `gen_spec` next to this binary.
fn generate(options: &Options, n: usize) -> String {
    let output = Command::new(&options.gen_spec).args(["--services", &n.to_string()]).output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).into_owned(),
        _ => {
            eprintln!("perf_bench: cannot run {}", options.gen_spec.display());
            std::process::exit(2);
        }
    }
}

/// Run `program args` once (through `/usr/bin/time` when present), output discarded.
fn run(program: &Path, args: &[&str]) -> Cost {
    let time = Path::new("/usr/bin/time");
    let report = std::env::temp_dir().join(format!("perf_bench-time-{}", std::process::id()));
    let mut command = if time.exists() {
        let mut command = Command::new(time);
        command.args(["-f", "%e %U %S %M", "-o"]).arg(&report).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.args(args).stdout(Stdio::null()).stderr(Stdio::null()).stdin(Stdio::null());
    let started = Instant::now();
    let status = command.status();
    let wall = started.elapsed();
    if status.is_err() {
        eprintln!("perf_bench: cannot run {}", program.display());
        std::process::exit(2);
    }
    let mut cost = Cost { wall, ..Cost::default() };
    if let Ok(text) = std::fs::read_to_string(&report) {
        // The last line: `-o` also gets "Command exited with non-zero status" first.
        let fields: Vec<&str> = text.lines().last().unwrap_or_default().split_whitespace().collect();
        let seconds = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or_default();
        cost.cpu = Duration::from_secs_f64(seconds(1) + seconds(2));
        cost.peak_kib = fields.get(3).and_then(|f| f.parse().ok()).unwrap_or_default();
    }
    cost
}

/// The run with the median wall time of `--runs` runs (`each` gets the run's index).
fn median(options: &Options, mut each: impl FnMut(usize) -> Cost) -> Cost {
    let mut costs: Vec<Cost> = (0..options.runs).map(&mut each).collect();
    costs.sort_by_key(|cost| cost.wall);
    costs.get(costs.len() / 2).copied().unwrap_or_default()
}

fn show(cost: Cost) -> String {
    let mib = cost.peak_kib as f64 / 1024.0;
    format!("{:>7.3} s wall {:>7.3} s CPU {mib:>7.1} MiB peak", cost.wall.as_secs_f64(), cost.cpu.as_secs_f64())
}

fn ratio(a: Cost, b: Cost) -> f64 {
    a.wall.as_secs_f64() / b.wall.as_secs_f64().max(1e-9)
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() { count_files(&path) } else { 1 }
        })
        .sum()
}

fn parse_args() -> Options {
    let exe_dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)).unwrap_or_default();
    let mut options = Options {
        berth: exe_dir.join("berth"),
        gen_spec: exe_dir.join("gen_spec"),
        sizes: vec![100, 1000, 4400],
        runs: 3,
        work: std::env::temp_dir().join(format!("perf_bench-{}", std::process::id())),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--berth" => options.berth = PathBuf::from(value),
            "--sizes" => options.sizes = value.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
            "--runs" => options.runs = value.parse().unwrap_or(options.runs).max(1),
            "--work" => options.work = PathBuf::from(value),
            _ => {
                eprintln!("usage: perf_bench [--berth PATH] [--sizes 100,1000,4400] [--runs N] [--work DIR]");
                std::process::exit(2);
            }
        }
    }
    options
}
