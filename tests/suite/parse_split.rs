//! The parallel parse against kdl-rs's parse of the whole text (issue 17, items 3 and 7).
//!
//! A large spec is cut at top-level node boundaries and its parts are parsed on their own
//! threads, then put back together (`compiler/src/syntax/split.rs`). With one thread the
//! text is parsed whole by `kdl::KdlDocument::parse_v2`, as it always was: that is the
//! reference. Every example, fixture, fuzz-corpus file, stdlib file and generated spec,
//! with LF and CRLF line ends, and a deterministic mutation corpus derived from them
//! (mutations aimed at the cuts), must give the identical document (nodes, values, spans,
//! formatting) and the identical diagnostics (codes, messages, positions) with 2 and 5
//! threads and splitting forced on texts of any size.

use berth::diag::{Diagnostics, FileId, SourceFile};
use berth::syntax::{self, Limits, Split};

/// The parse of `text` with `split`: the document as `berth fmt` would print it, its
/// `Debug` form (every span and format string), and every diagnostic's `Debug` form.
fn parsed(text: &str, split: Split) -> (Option<(String, String)>, String, bool) {
    let mut diags = Diagnostics::default();
    let source = SourceFile { name: "spec.kdl".into(), text: text.to_owned() };
    let parsed = syntax::parse_split(&mut diags, FileId(0), &source, &Limits::default(), split);
    let document = parsed.map(|p| (p.document.to_string(), format!("{:?}", p.document)));
    (document, format!("{:?}", diags.sorted()), diags.has_errors())
}

fn whole() -> Split {
    Split { threads: 1, min_bytes: 0 }
}

/// The same parse with 2 and 5 parts as with the whole text. Returns whether the text
/// parsed without errors.
fn agree(name: &str, text: &str) -> bool {
    let reference = parsed(text, whole());
    for threads in [2, 5] {
        let split = parsed(text, Split { threads, min_bytes: 0 });
        if split != reference {
            // Keep the input and both results for a look (target/tmp/parse_split/).
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("parse_split");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join("input.kdl"), text);
            let _ = std::fs::write(dir.join("whole.txt"), format!("{reference:#?}"));
            let _ = std::fs::write(dir.join("split.txt"), format!("{split:#?}"));
        }
        assert!(split.0 == reference.0, "{name}: the document differs with {threads} parts");
        assert!(split.1 == reference.1, "{name}: the diagnostics differ with {threads} parts");
    }
    reference.0.is_some() && !reference.2
}

/// Every part between two boundaries of a valid text parses on its own: the parallel path
/// itself is taken, not only the fallback to the whole text.
fn parts_parse_alone(name: &str, text: &str) {
    let boundaries = syntax::top_level_boundaries(text);
    let starts = std::iter::once(0).chain(boundaries.iter().copied());
    let ends = boundaries.iter().copied().chain(std::iter::once(text.len()));
    for (start, end) in starts.zip(ends) {
        let part = &text[start..end];
        let mut diags = Diagnostics::default();
        let source = SourceFile { name: "part.kdl".into(), text: part.to_owned() };
        let ok = syntax::parse_split(&mut diags, FileId(0), &source, &Limits::default(), whole()).is_some();
        assert!(ok && !diags.has_errors(), "{name}: the part {start}..{end} does not parse alone: {part:?}");
    }
}

/// Every example, fixture and fuzz-corpus file, and every stdlib file.
fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut stack =
        vec![root.join("examples"), root.join("tests/fixtures"), root.join("tests/fuzz-corpus"), root.join("stdlib")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "kdl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path.display().to_string(), text));
            }
        }
    }
    assert!(out.len() > 100, "the corpus was not found");
    out.sort();
    out
}

fn generated(services: usize) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gen_spec"))
        .args(["--services", &services.to_string()])
        .output()
        .expect("gen_spec runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_parallel_parse_is_kdl_rs_on_every_example_fixture_and_library_file() {
    let mut split_valid = 0;
    for (name, text) in corpus() {
        for (ends, text) in [("LF", text.clone()), ("CRLF", text.replace('\n', "\r\n"))] {
            let name = format!("{name} ({ends})");
            if agree(&name, &text) && !syntax::top_level_boundaries(&text).is_empty() {
                parts_parse_alone(&name, &text);
                split_valid += 1;
            }
        }
    }
    assert!(split_valid > 100, "only {split_valid} valid texts were split");
}

#[test]
fn the_parallel_parse_is_kdl_rs_on_generated_specs() {
    for services in [100, 1000] {
        let text = generated(services);
        let name = format!("gen_spec --services {services}");
        assert!(agree(&name, &text), "{name} does not parse");
        assert!(syntax::top_level_boundaries(&text).len() > 10, "{name}: too few boundaries");
        parts_parse_alone(&name, &text);
        // With the default size threshold too, and a thread count that does not divide.
        let reference = parsed(&text, whole());
        assert!(parsed(&text, Split { threads: 2, min_bytes: 64 * 1024 }) == reference, "{name}");
        assert!(parsed(&text, Split { threads: 7, min_bytes: 64 * 1024 }) == reference, "{name}");
    }
}

#[test]
fn the_parallel_parse_is_kdl_rs_on_mutated_inputs() {
    // Fixed-seed xorshift: the same variants on every run.
    let mut state: u64 = 0x5EED_0000_0000_0017;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (n.max(1) as u64)).unwrap_or(0)
    };
    let inserts = [
        "\"",
        "#\"",
        "\"#",
        "\"\"\"",
        "/*",
        "*/",
        "//",
        "{",
        "}",
        "\\",
        "\\ ",
        "/-",
        "/- ",
        ";",
        "\n",
        "\r\n",
        "\r",
        "\u{85}",
        "\u{2028}",
        "\u{FEFF}",
        "a",
        "a ",
        " a=1",
        "(t)",
        "\n\n// c\n",
        "\"a\\\n b\"",
        "#\"x\"#",
        "a{b{}}",
    ];
    let corpus: Vec<(String, String)> =
        corpus().into_iter().filter(|(_, text)| !syntax::top_level_boundaries(text).is_empty()).collect();
    for round in 0..400 {
        let (name, text) = &corpus[next(corpus.len())];
        let mut text = text.clone();
        for _ in 0..1 + next(3) {
            let boundaries = syntax::top_level_boundaries(&text);
            // Half the mutations land at a cut (or a byte or two from one).
            let mut at = if next(2) == 0 && !boundaries.is_empty() {
                (boundaries[next(boundaries.len())] + next(3)).saturating_sub(1).min(text.len())
            } else {
                next(text.len() + 1)
            };
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match next(4) {
                0 => {
                    // Delete up to 8 bytes.
                    let mut end = (at + 1 + next(8)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
                _ => text.insert_str(at, inserts[next(inserts.len())]),
            }
        }
        agree(&format!("{name} variant {round}"), &text);
    }
}

#[test]
fn the_parse_is_the_same_with_every_thread_count() {
    // Item 7 of issue 17: determinism across thread counts, with the default threshold.
    let text = generated(300);
    let reference = parsed(&text, whole());
    assert!(reference.0.is_some());
    for threads in 2..=8 {
        for _ in 0..2 {
            assert!(parsed(&text, Split { threads, min_bytes: 64 * 1024 }) == reference, "{threads} threads");
        }
    }
}
