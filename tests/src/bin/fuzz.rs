//! A structure-aware fuzzer for the `berth` binary, on stable Rust.
//!
//! Seeds are every example spec, every fixture and the regression corpus
//! (`tests/fuzz-corpus/`). Each run mutates one seed (splice nodes from another seed,
//! duplicate, delete or nest blocks, swap values, insert hostile unicode, KDL newlines,
//! long strings and deep nesting, truncate) with a fixed-seed PRNG, writes it to a fresh
//! folder and runs one command on the release binary: `check` in every report format,
//! `build` into the folder, `fmt` (then `fmt --check` must agree), or `diff` against the
//! seed in every diff format. A run fails when the binary
//!
//! - exits with anything but 0 or 1 (101 is a panic, 134 or a signal an abort),
//! - takes more than `--slow` seconds of CPU (5 by default; inputs stay under 1 MiB;
//!   CPU time, user + system, so that a loaded machine does not fail an input; a run
//!   still blocked after 30 s of wall time is killed and fails),
//! - prints more than 1 MB on stderr (or on stdout for `check`),
//! - writes anything to the output folder while exiting 1,
//! - reports an error without a line (JSON report) or calls a user's mistake a bug in Berth.
//!
//! Each failing input is saved under `--failures DIR` with a note; add it to
//! `tests/fuzz-corpus/` once fixed, where `tests/suite/hostile.rs` replays it.
//!
//! ```sh
//! cargo build --release -p berth -p tests --bin fuzz
//! target/release/fuzz --seconds 60 --seed 1
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs slower than this fail (the acceptance bound for inputs under 1 MiB).
const DEFAULT_SLOW_SECONDS: f64 = 5.0;
/// A run is killed after this long.
const KILL_SECONDS: u64 = 30;
/// Bound on stderr (and on stdout for `check`).
const MAX_OUTPUT_BYTES: usize = 1_000_000;
/// Mutated inputs are cut to this size (the acceptance is for inputs under 1 MiB).
const MAX_INPUT_BYTES: usize = 1_000_000;

/// Text inserted at random places.
const INSERTS: &[&str] = &[
    "{",
    "}",
    "\"",
    "\"\"\"",
    "#\"",
    "\"#",
    "/-",
    ";",
    "=",
    "\\",
    "/*",
    "*/",
    "//",
    "\n",
    "\r",
    "\r\n",
    "\u{0B}",
    "\u{0C}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\t",
    "\u{FEFF}",
    "\u{200B}",
    "\u{202E}",
    "\u{0}",
    "é",
    "\u{1F600}",
    "а",
    "#true",
    "#null",
    "#nan",
    "#inf",
    "-#inf",
    "99999999999999999999999999999999999999999",
    "-1",
    "0",
    "1e999999999",
    "0x",
    "18446744073709551616",
    " x=1 ",
    " \"\" ",
    " key=\"\" ",
    "\n}\n",
    "\ndomain \"d\" {\n",
    "\"\\u{202E}\"",
    "\"\\u{0}\"",
    "\"a\\nb\"",
    "\"\\u{2066}x\"",
    " host=\"a\\nb\" ",
    " team=\"a b\" ",
    "writable \"/\"\n",
    "cpu=\"1e999999999\"",
    "memory=\"0\"",
    "\"{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}\"",
    "\"{{ x }}\"",
    "\"[1,2,3].all(x, [1,2,3].all(y, true))\"",
    "env_collision",
];

/// Values put in place of a string's content.
const STRING_VALUES: &[&str] = &[
    "",
    " ",
    "..",
    "a/b",
    "UPPER",
    "-",
    "1FOO",
    "ЕNV",
    "a b",
    "a\\nb",
    "\\u{202E}",
    "\\u{0}",
    "\\\"",
    "{{ x }}",
    "${x}",
    "*.example.com",
    "/",
    "/tmp",
    "a\"b",
    "0",
    "1e999999999",
    "-1",
    "x.y.z",
];

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { usize::try_from(self.next() % n as u64).unwrap_or(0) }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn floor(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn boundary(rng: &mut Rng, text: &str) -> usize {
    floor(text, rng.below(text.len() + 1))
}

/// Offsets of line starts (after `\n`), 0 included.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|i| *i <= text.len()).collect()
}

/// The `{` at `open` and its matching `}` (naive counting), as a byte range.
fn block_at(text: &str, open: usize) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    // Extend to the line start of the node that opens the block.
                    let start = text[..open].rfind('\n').map_or(0, |n| n + 1);
                    return Some((start, i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

fn random_block(rng: &mut Rng, text: &str) -> Option<(usize, usize)> {
    let opens: Vec<usize> = text.match_indices('{').map(|(i, _)| i).collect();
    if opens.is_empty() {
        return None;
    }
    block_at(text, *rng.pick(&opens))
}

/// Spans of quoted strings (`"..."` on one line).
fn strings(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match (b, start) {
            (b'"', None) => start = Some(i),
            (b'"', Some(s)) if bytes.get(i.wrapping_sub(1)) != Some(&b'\\') => {
                out.push((s + 1, i));
                start = None;
            }
            (b'\n', Some(_)) => start = None,
            _ => {}
        }
    }
    out
}

/// Spans of numbers.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            out.push((start, i));
        }
        i += 1;
    }
    out
}

/// One mutation of `text`, with a label saying what it did.
fn mutate(rng: &mut Rng, text: &str, seeds: &[(PathBuf, String)]) -> (String, String) {
    match rng.below(14) {
        0 | 1 => {
            let at = boundary(rng, text);
            let insert = *rng.pick(INSERTS);
            (format!("insert {insert:?} at {at}"), format!("{}{insert}{}", &text[..at], &text[at..]))
        }
        2 => {
            // Splice a block or some lines of another seed in at a line start.
            let (path, other) = rng.pick(seeds);
            let piece = match random_block(rng, other) {
                Some((s, e)) => other[s..e].to_owned() + "\n",
                None => other.to_owned(),
            };
            let starts = line_starts(text);
            let at = *rng.pick(&starts);
            (format!("splice from {} at {at}", path.display()), format!("{}{piece}{}", &text[..at], &text[at..]))
        }
        3 => match random_block(rng, text) {
            Some((s, e)) => {
                (format!("duplicate block {s}..{e}"), format!("{}{}\n{}", &text[..e], &text[s..e], &text[e..]))
            }
            None => ("no block".into(), text.to_owned()),
        },
        4 => match random_block(rng, text) {
            Some((s, e)) => (format!("delete block {s}..{e}"), format!("{}{}", &text[..s], &text[e..])),
            None => ("no block".into(), text.to_owned()),
        },
        5 => match random_block(rng, text) {
            Some((s, e)) => {
                (format!("nest block {s}..{e}"), format!("{}wrap {{\n{}\n}}{}", &text[..s], &text[s..e], &text[e..]))
            }
            None => ("no block".into(), text.to_owned()),
        },
        6 => {
            // Deep nesting after a context that may hide it (comment, string, newline).
            let at = boundary(rng, text);
            let depth = *rng.pick(&[33, 100, 3000, 40_000]);
            let prefix =
                *rng.pick(&["", "// x\u{0B}", "// x\u{0C}", "// x\u{85}", "\"oops\n", "#\"raw\n", "/* x */", "\\\n"]);
            let nested = format!("{prefix}{}{}", "a{".repeat(depth), "}".repeat(depth * rng.below(2)));
            (format!("nest {depth} after {prefix:?} at {at}"), format!("{}{nested}{}", &text[..at], &text[at..]))
        }
        7 => {
            let found = strings(text);
            if found.len() < 2 {
                return ("no strings".into(), text.to_owned());
            }
            let (a, b) = (*rng.pick(&found), *rng.pick(&found));
            let (a, b) = if a.0 <= b.0 { (a, b) } else { (b, a) };
            if a.1 > b.0 || a == b {
                return ("same string".into(), text.to_owned());
            }
            let out =
                format!("{}{}{}{}{}", &text[..a.0], &text[b.0..b.1], &text[a.1..b.0], &text[a.0..a.1], &text[b.1..]);
            (format!("swap strings at {} and {}", a.0, b.0), out)
        }
        8 => {
            let found = strings(text);
            if found.is_empty() {
                return ("no strings".into(), text.to_owned());
            }
            let (s, e) = *rng.pick(&found);
            let long = "x".repeat(*rng.pick(&[300, 70_000]));
            let tabs = "\t".repeat(17_000);
            let value = match rng.below(10) {
                0 => long,
                1 => tabs,
                _ => (*rng.pick(STRING_VALUES)).to_owned(),
            };
            (
                format!("string at {s} -> {:?}", value.chars().take(12).collect::<String>()),
                format!("{}{value}{}", &text[..s], &text[e..]),
            )
        }
        9 => {
            let found = numbers(text);
            if found.is_empty() {
                return ("no numbers".into(), text.to_owned());
            }
            let (s, e) = *rng.pick(&found);
            let value = *rng.pick(&[
                "0",
                "-1",
                "999999999999999999999999999999999999999999",
                "4294967296",
                "1.5",
                "1e999",
                "65536",
                "0.0001",
            ]);
            (format!("number at {s} -> {value}"), format!("{}{value}{}", &text[..s], &text[e..]))
        }
        10 => {
            // Repeat a block many times (many environments, services, ...).
            match random_block(rng, text) {
                Some((s, e)) => {
                    let times = *rng.pick(&[10, 100, 400]);
                    let block = &text[s..e];
                    let mut copies = String::new();
                    for n in 0..times {
                        copies.push_str(&block.replacen('"', &format!("\"n{n}"), 1));
                        copies.push('\n');
                    }
                    (format!("repeat block {s}..{e} x{times}"), format!("{}{copies}{}", &text[..e], &text[e..]))
                }
                None => ("no block".into(), text.to_owned()),
            }
        }
        11 => {
            let at = boundary(rng, text);
            (format!("truncate at {at}"), text[..at].to_owned())
        }
        12 => {
            // Replace every `\n` by another KDL newline.
            let newline = *rng.pick(&["\r", "\r\n", "\u{85}", "\u{0B}", "\u{0C}", "\u{2028}", "\u{2029}"]);
            (format!("newlines -> {newline:?}"), text.replace('\n', newline))
        }
        _ => {
            let start = boundary(rng, text);
            let end = floor(text, start + 1 + rng.below(40));
            (format!("delete {start}..{end}"), format!("{}{}", &text[..start], &text[end..]))
        }
    }
}

/// Every seed: examples, fixtures, the regression corpus.
fn seeds(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("examples"), root.join("tests/fixtures"), root.join("tests/fuzz-corpus")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "kdl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Wall time.
    seconds: f64,
    /// CPU time (user + system) of the run, where the platform tells it (Linux).
    cpu: Option<f64>,
    killed: bool,
}

impl Run {
    /// What the run cost: its CPU time, or its wall time where CPU time is unknown.
    fn busy(&self) -> f64 {
        self.cpu.unwrap_or(self.seconds)
    }
}

/// CPU seconds (user + system) of this process's children that have been waited for:
/// `cutime` + `cstime` of `/proc/self/stat`, in clock ticks of 1/100 s (USER_HZ on every
/// Linux). The runs are waited for one at a time, so the difference across one run is
/// that run's CPU time.
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces; the
    // first of them is field 3 (state), so field 16 (cutime) is the 13th.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok());
    let total = ticks(13)? + ticks(14)?;
    #[allow(clippy::cast_precision_loss)]
    let seconds = total as f64 / 100.0;
    Some(seconds)
}

fn run(berth: &Path, dir: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let (Ok(out_file), Ok(err_file)) = (std::fs::File::create(&out_path), std::fs::File::create(&err_path)) else {
        return Run {
            code: Some(-1),
            stdout: Vec::new(),
            stderr: b"cannot create output files".to_vec(),
            seconds: 0.0,
            cpu: None,
            killed: false,
        };
    };
    let cpu_before = children_cpu();
    let child = Command::new(berth)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out_file)
        .stderr(err_file)
        .env("NO_COLOR", "1")
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            eprintln!("cannot run {}: {error}", berth.display());
            std::process::exit(2);
        }
    };
    let mut killed = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > Duration::from_secs(KILL_SECONDS) => {
                let _ = child.kill();
                killed = true;
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => break None,
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_before.zip(children_cpu()).map(|(before, after)| after - before);
    Run {
        code: status.and_then(|s| s.code()),
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
        seconds,
        cpu,
        killed,
    }
}

/// What went wrong with one run, if anything.
fn judge(command: &str, run: &Run, dir: &Path, slow: f64) -> Option<String> {
    if run.killed {
        return Some(format!("killed after {KILL_SECONDS} s"));
    }
    match run.code {
        Some(0 | 1) => {}
        Some(code) => return Some(format!("exit code {code}")),
        None => return Some("killed by a signal".into()),
    }
    if run.busy() > slow {
        return Some(format!("took {:.1} s of CPU ({:.1} s wall)", run.busy(), run.seconds));
    }
    if run.stderr.len() > MAX_OUTPUT_BYTES {
        return Some(format!("stderr has {} bytes", run.stderr.len()));
    }
    if command.starts_with("check") && run.stdout.len() > MAX_OUTPUT_BYTES {
        return Some(format!("stdout has {} bytes", run.stdout.len()));
    }
    let all = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    if all.contains("bug in Berth") {
        return Some("a user's mistake reported as a bug in Berth".into());
    }
    if command.starts_with("build") && run.code == Some(1) && dir.join("out").exists() {
        return Some("build exited 1 but created the output folder".into());
    }
    if command == "check --format json" && run.code == Some(1) {
        let Ok(serde_json::Value::Array(items)) = serde_json::from_slice::<serde_json::Value>(&run.stdout) else {
            return Some("JSON report does not parse".into());
        };
        let unspanned = items.iter().find(|item| item["severity"] == "error" && item["line"].is_null());
        if let Some(item) = unspanned {
            return Some(format!("error without a position: {}", item["code"]));
        }
        if !items.iter().any(|item| item["severity"] == "error") {
            return Some("exit 1 without an error in the report".into());
        }
    }
    None
}

const COMMANDS: &[&str] = &[
    "check",
    "check --format json",
    "check --format sarif",
    "check --format github",
    "build",
    "fmt",
    "diff --format terminal",
    "diff --format markdown",
    "diff --format json",
];

struct Config {
    berth: PathBuf,
    seconds: u64,
    seed: u64,
    failures: PathBuf,
    slow: f64,
    root: PathBuf,
}

fn config() -> Config {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut config = Config {
        berth: root.join("target/release/berth"),
        seconds: 60,
        seed: 1,
        failures: root.join("target/fuzz/failures"),
        slow: DEFAULT_SLOW_SECONDS,
        root,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--berth" => config.berth = PathBuf::from(value),
            "--seconds" => config.seconds = value.parse().unwrap_or(config.seconds),
            "--seed" => config.seed = value.parse().unwrap_or(config.seed),
            "--failures" => config.failures = PathBuf::from(value),
            "--slow" => config.slow = value.parse().unwrap_or(config.slow),
            _ => {
                eprintln!("usage: fuzz [--berth PATH] [--seconds N] [--seed N] [--failures DIR] [--slow SECONDS]");
                std::process::exit(2);
            }
        }
    }
    config
}

fn main() {
    let config = config();
    let seeds = seeds(&config.root);
    if seeds.is_empty() || !config.berth.exists() {
        eprintln!("no seeds under {} or no binary at {}", config.root.display(), config.berth.display());
        std::process::exit(2);
    }
    let mut rng = Rng(config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let work = std::env::temp_dir().join(format!("berth-fuzz-{}", std::process::id()));
    let start = Instant::now();
    let (mut runs, mut failures, mut skipped) = (0usize, 0usize, 0usize);
    // The slowest run by CPU and by wall time, and the CPU time of every berth process.
    let (mut slowest, mut slowest_wall, mut cpu_total) = (0f64, 0f64, 0f64);
    let mut counts = vec![0usize; COMMANDS.len()];
    while start.elapsed() < Duration::from_secs(config.seconds) {
        let (seed_path, seed) = rng.pick(&seeds);
        let mut text = seed.clone();
        let mut labels = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let (label, mutated) = mutate(&mut rng, &text, &seeds);
            labels.push(label);
            text = mutated;
        }
        text.truncate(floor(&text, MAX_INPUT_BYTES));
        let which = rng.below(COMMANDS.len());
        let command = COMMANDS[which];
        let dir = work.join(format!("{runs}"));
        if std::fs::create_dir_all(&dir).is_err()
            || std::fs::write(dir.join("spec.kdl"), &text).is_err()
            || std::fs::write(dir.join("old.kdl"), seed).is_err()
        {
            // A full disk (the machine is shared): wait, and try another input.
            eprintln!("cannot write under {}; waiting", work.display());
            let _ = std::fs::remove_dir_all(&dir);
            std::thread::sleep(Duration::from_secs(10));
            continue;
        }
        let mut args: Vec<&str> = command.split(' ').collect();
        match args[0] {
            "check" | "fmt" => args.insert(1, "spec.kdl"),
            "build" => args.extend(["spec.kdl", "-o", "out"]),
            _ => args.extend(["old.kdl", "spec.kdl"]),
        }
        let result = run(&config.berth, &dir, &args);
        if String::from_utf8_lossy(&result.stderr).contains("No space left on device") {
            // The disk filled up under the run: not the input's doing; not counted.
            let _ = std::fs::remove_dir_all(&dir);
            skipped += 1;
            std::thread::sleep(Duration::from_secs(10));
            continue;
        }
        let mut verdict = judge(command, &result, &dir, config.slow);
        cpu_total += result.busy();
        if verdict.is_none() && command == "fmt" && result.code == Some(0) {
            let again = run(&config.berth, &dir, &["fmt", "--check", "spec.kdl"]);
            cpu_total += again.busy();
            verdict = judge("fmt --check", &again, &dir, config.slow);
            if verdict.is_none() && again.code != Some(0) {
                verdict = Some("fmt output is not formatted (fmt --check exits 1)".into());
            }
        }
        slowest = slowest.max(result.busy());
        slowest_wall = slowest_wall.max(result.seconds);
        counts[which] += 1;
        runs += 1;
        if let Some(verdict) = verdict {
            failures += 1;
            let _ = std::fs::create_dir_all(&config.failures);
            let name = format!("seed{}-run{runs}", config.seed);
            let _ = std::fs::write(config.failures.join(format!("{name}.kdl")), &text);
            let note = format!(
                "{verdict}\ncommand: berth {}\nseed file: {}\nmutations: {}\nstderr (first 2 KB):\n{}\n",
                args.join(" "),
                seed_path.display(),
                labels.join("; "),
                String::from_utf8_lossy(&result.stderr[..result.stderr.len().min(2048)]),
            );
            let _ = std::fs::write(config.failures.join(format!("{name}.txt")), &note);
            eprintln!("FAIL {name}: {verdict} (berth {})", args.join(" "));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&work);
    let per_command: Vec<String> = COMMANDS.iter().zip(&counts).map(|(c, n)| format!("{c}: {n}")).collect();
    println!(
        "fuzz: {runs} runs in {:.0} s, {failures} failures, slowest {slowest:.2} s of CPU ({slowest_wall:.2} s wall), \
         berth CPU {:.1} min, {skipped} skipped (disk full), seed {} ({})",
        start.elapsed().as_secs_f64(),
        cpu_total / 60.0,
        config.seed,
        per_command.join(", ")
    );
    if failures > 0 {
        println!("failing inputs are in {}", config.failures.display());
        std::process::exit(1);
    }
}
