//! Robustness: truncated and mutated variants of every example never panic, always end
//! with diagnostics when they are wrong, and never produce artifacts alongside an error.
//!
//! Variants come from a fixed-seed xorshift PRNG, so a failure reproduces on every run;
//! each failing variant is also written under `CARGO_TARGET_TMPDIR/robustness/` to
//! replay with `berth check`. The CLI side (exit code 1, never 101 or 134) is in
//! `compiler/tests/cli.rs`.

use crate::determinism::{example_specs, top_level_chunks};
use berth::diag::{Diagnostics, SourceFile, Sources};
use berth::driver::{self, Inputs, Options};
use berth::output::report::{self, ReportFormat};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Variants per example by default: a third truncations, the rest mutations.
/// Each compilation re-parses the embedded stdlib, which takes ~0.5 s in a debug build,
/// so the default keeps `cargo test` quick; `BERTH_ROBUSTNESS_VARIANTS=600` (with
/// `--release`) runs a real campaign. 208 variants per example (624 in all) passed when written.
const DEFAULT_VARIANTS: usize = 16;
/// Fixed seed: the same variants on every run and machine.
const SEED: u64 = 0xB3E7_5EED_0000_0001;

/// Text inserted at random places: structure, quoting, slashdash, bidi and invisible
/// characters, control characters, numbers out of every range.
const INSERTS: &[&str] = &[
    "{",
    "}",
    "\"",
    "/-",
    ";",
    "=",
    "\\",
    "/*",
    "*/",
    "r#\"",
    "#true",
    "#null",
    "#nan",
    "#inf",
    "-#inf",
    "\u{202E}",
    "\u{2066}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{0}",
    "\r",
    "\t",
    "\u{1F600}",
    "é",
    "99999999999999999999999999999999999999",
    "-1",
    "0",
    "1e308",
    "0x",
    "18446744073709551616",
    "-9223372036854775809",
    " x=1 ",
    " \"\" ",
    "\n}\n",
    "\ndomain \"d\" {\n",
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

    /// A number in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { usize::try_from(self.next() % n as u64).unwrap() }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The largest char boundary at or before `index`.
fn floor_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A random char boundary in `text`.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    floor_boundary(text, rng.below(text.len() + 1))
}

/// One mutation of `text`, with a label that says what it did.
fn mutate(rng: &mut Rng, text: &str) -> (String, String) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    match rng.below(10) {
        0 => {
            let line = rng.below(lines.len());
            let mut out = lines.clone();
            out.remove(line);
            (format!("delete line {}", line + 1), out.concat())
        }
        1 => {
            let line = rng.below(lines.len());
            let mut out = lines.clone();
            out.insert(line, lines[line]);
            (format!("duplicate line {}", line + 1), out.concat())
        }
        2 => {
            let chars: Vec<char> = text.chars().collect();
            let mut out = chars.clone();
            let at = rng.below(chars.len().saturating_sub(1));
            if out.len() >= 2 {
                out.swap(at, at + 1);
            }
            (format!("swap chars {at} and {}", at + 1), out.into_iter().collect())
        }
        3 | 4 => {
            let at = boundary(rng, text);
            let insert = *rng.pick(INSERTS);
            (format!("insert {insert:?} at byte {at}"), format!("{}{insert}{}", &text[..at], &text[at..]))
        }
        5 => {
            // Replace a run of digits with a number out of range (or an odd one).
            let digits: Vec<usize> = text
                .char_indices()
                .filter(|(i, c)| c.is_ascii_digit() && (*i == 0 || !text.as_bytes()[i - 1].is_ascii_digit()))
                .map(|(i, _)| i)
                .collect();
            if digits.is_empty() {
                return ("no digits".to_owned(), text.to_owned());
            }
            let start = *rng.pick(&digits);
            let end = text[start..].find(|c: char| !c.is_ascii_digit()).map_or(text.len(), |n| start + n);
            let number = *rng.pick(&["99999999999999999999999", "0", "-1", "4294967296", "1.5", "1e3"]);
            (format!("number at byte {start} -> {number}"), format!("{}{number}{}", &text[..start], &text[end..]))
        }
        6 => {
            // Empty, blank or very long content for a quoted string.
            let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
            if quotes.len() < 2 {
                return ("no strings".to_owned(), text.to_owned());
            }
            let pair = rng.below(quotes.len() / 2) * 2;
            let (open, close) = (quotes[pair], quotes[pair + 1]);
            let long = "x".repeat(300);
            let content = *rng.pick(&["", " ", "..", "a/b/c", "UPPER_case", "-", long.as_str(), "${x}", "{{ x }}"]);
            (
                format!("string at byte {open} -> {:?}", content.chars().take(12).collect::<String>()),
                format!("{}{content}{}", &text[..=open], &text[close..]),
            )
        }
        7 => {
            let start = boundary(rng, text);
            let end = floor_boundary(text, start + 1 + rng.below(40));
            (format!("delete bytes {start}..{end}"), format!("{}{}", &text[..start], &text[end..]))
        }
        8 => {
            // Misspell a node or property name: drop one letter of a line's first word.
            let line = rng.below(lines.len());
            let content = lines[line];
            let indent = content.len() - content.trim_start().len();
            let word_len = content[indent..].find(|c: char| !c.is_ascii_alphabetic() && c != '-').unwrap_or(0);
            if word_len < 2 {
                return ("no word".to_owned(), text.to_owned());
            }
            let drop = indent + rng.below(word_len);
            let mut out = lines.clone();
            let misspelled = format!("{}{}", &content[..drop], &content[drop + 1..]);
            out[line] = &misspelled;
            (format!("misspell line {}", line + 1), out.concat())
        }
        _ => {
            // Duplicate or drop a whole top-level node (duplicate names, dangling references).
            let chunks = top_level_chunks(text);
            let index = rng.below(chunks.len());
            let mut out = chunks.clone();
            if rng.below(2) == 0 {
                out.insert(index, chunks[index].clone());
                (format!("duplicate top-level node {index}"), out.concat())
            } else {
                out.remove(index);
                (format!("remove top-level node {index}"), out.concat())
            }
        }
    }
}

/// How many variants per example: `BERTH_ROBUSTNESS_VARIANTS`, else the default.
fn variant_count() -> usize {
    std::env::var("BERTH_ROBUSTNESS_VARIANTS").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_VARIANTS).max(2)
}

/// Every variant of one spec: truncations, then mutations.
fn variants(text: &str, rng: &mut Rng, count: usize) -> Vec<(String, String)> {
    let truncations = count / 3;
    let mut out = Vec::new();
    for step in 0..truncations {
        // Offset by half a step so that offset 0 (the empty file) is not always chosen.
        let at = floor_boundary(text, text.len() * (2 * step + 1) / (2 * truncations));
        out.push((format!("truncate at byte {at}"), text[..at].to_owned()));
    }
    for _ in truncations..count {
        let (label, mutated) = mutate(rng, text);
        // Two mutations in a row now and then: errors that interact.
        let (label, mutated) = if rng.below(4) == 0 {
            let (second, twice) = mutate(rng, &mutated);
            (format!("{label}; {second}"), twice)
        } else {
            (label, mutated)
        };
        if mutated != text {
            out.push((label, mutated));
        }
    }
    out
}

/// What one variant did, when it did not panic.
struct Outcome {
    has_errors: bool,
    n_diagnostics: usize,
    n_artifacts: usize,
    report: String,
}

fn run(text: &str) -> Outcome {
    let compilation = driver::compile(&Inputs::spec("spec.kdl", text), &Options::default());
    let report = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    // Every renderer must cope with every diagnostic.
    let _ = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Graphical, true);
    let json = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Json, false);
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "JSON report does not parse:\n{json}");
    // The formatter sees the same malformed text.
    let mut sources = Sources::default();
    let file = SourceFile { name: "spec.kdl".to_owned(), text: text.to_owned() };
    let id = sources.add(file.clone());
    let _ = berth::syntax::format_checked(&mut Diagnostics::default(), id, &file);
    Outcome {
        has_errors: compilation.has_errors(),
        n_diagnostics: compilation.diagnostics.sorted().len(),
        n_artifacts: compilation.tree.len(),
        report,
    }
}

/// Keep a failing variant on disk for `berth check`.
fn save(example: &str, index: usize, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("robustness");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{example}-{index:03}.kdl"));
    let _ = std::fs::write(&path, text);
    path
}

/// Check one variant; `Some(problem)` when it breaks a rule. `Ok(has_errors)` otherwise.
fn check(variant: &str) -> Result<bool, String> {
    match catch_unwind(AssertUnwindSafe(|| run(variant))) {
        Err(_) => Err("panicked".to_owned()),
        Ok(outcome) if outcome.has_errors && outcome.n_artifacts > 0 => {
            Err(format!("{} artifacts despite errors", outcome.n_artifacts))
        }
        Ok(outcome) if outcome.has_errors && outcome.report.trim().is_empty() => {
            Err("errors but an empty report".to_owned())
        }
        Ok(outcome) if outcome.has_errors && outcome.n_diagnostics == 0 => Err("errors but no diagnostics".to_owned()),
        Ok(outcome) => Ok(outcome.has_errors),
    }
}

#[test]
fn mutated_and_truncated_examples_never_panic_and_never_half_build() {
    let mut rng = Rng(SEED);
    let count = variant_count();
    let mut all = Vec::new();
    for (example, text) in example_specs() {
        for (index, (label, variant)) in variants(&text, &mut rng, count).into_iter().enumerate() {
            all.push((example.clone(), index, label, variant));
        }
    }
    // Compilations are independent: spread them over the cores.
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 4);
    let results: Vec<(usize, Result<bool, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let all = &all;
                scope.spawn(move || {
                    (thread..all.len()).step_by(threads).map(|i| (i, check(&all[i].3))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().expect("checks catch their panics")).collect()
    });
    let mut failures = Vec::new();
    let mut with_errors = 0;
    for (i, result) in results {
        let (example, index, label, variant) = &all[i];
        match result {
            Ok(has_errors) => with_errors += usize::from(has_errors),
            Err(problem) => {
                let path = save(example, *index, variant);
                failures.push(format!("{example} #{index} ({label}): {problem}; saved as {}", path.display()));
            }
        }
    }
    failures.sort();
    let total = all.len();
    eprintln!("robustness: {total} variants, {with_errors} with errors, {} failures", failures.len());
    assert!(failures.is_empty(), "{} of {total} variants failed:\n{}", failures.len(), failures.join("\n"));
    // The mutations are meant to break things; if almost none do, they have gone stale.
    assert!(with_errors * 2 > total, "only {with_errors} of {total} variants had errors");
}
