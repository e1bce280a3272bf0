//! Differential tests: the pre-scan against kdl-rs, the parser it guards.
//!
//! The scan's depth guard only protects the parser if the scan sees at least the nesting
//! the parser will build, so wherever kdl-rs ends a comment or a string (every KDL v2
//! newline, raw strings, multi-line strings, whitespace escapes), the scan must too.

use super::{Limits, scan};
use crate::diag::{Diagnostics, FileId};

/// Every KDL v2 newline.
const NEWLINES: &[&str] = &["\n", "\r\n", "\r", "\u{85}", "\u{0B}", "\u{0C}", "\u{2028}", "\u{2029}"];

/// Limits that only the tested property can hit.
fn loose() -> Limits {
    Limits { max_depth: 10_000, max_slashdash_depth: 100, max_slashdashes: 100_000, ..Limits::default() }
}

/// kdl-rs's parse, on a thread with the parser's large stack (the corpus holds inputs
/// nested 40,000 deep).
fn kdl_parse(text: &str) -> Option<kdl::KdlDocument> {
    let owned = text.to_owned();
    std::thread::Builder::new()
        .stack_size(super::super::PARSER_STACK_BYTES)
        .spawn(move || kdl::KdlDocument::parse_v2(&owned).ok())
        .expect("a thread")
        .join()
        .expect("kdl-rs does not panic")
}

/// Depth of the document as kdl-rs built it.
fn kdl_depth(document: &kdl::KdlDocument) -> usize {
    document.nodes().iter().map(|node| node.children().map_or(0, |children| 1 + kdl_depth(children))).max().unwrap_or(0)
}

/// The scan's verdict and depth, with its diagnostic codes.
fn scanned(text: &str) -> (bool, usize, Vec<String>) {
    let mut diags = Diagnostics::default();
    let result = scan(&mut diags, FileId(0), text, &loose());
    let codes = diags.sorted().iter().filter_map(|d| d.diagnostic.code().map(|c| c.to_string())).collect();
    (result.blocked, result.depth, codes)
}

/// Every example and fixture of the repository.
fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut stack = vec![root.join("examples"), root.join("tests/fixtures"), root.join("tests/fuzz-corpus")];
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
    assert!(out.len() > 50, "the corpus was not found");
    out.sort();
    out
}

/// Where kdl-rs parses a text, the scan lets it through and sees at least its depth (the
/// same depth when nothing is slashdashed).
fn agree(name: &str, text: &str) {
    let (blocked, depth, codes) = scanned(text);
    if codes.iter().any(|c| c == "syntax::too_many_braces") {
        // Too deep for kdl-rs to try, even on its large stack: what the guard is for.
        return;
    }
    let Some(document) = kdl_parse(text) else { return };
    let forbidden = codes.iter().all(|c| c.ends_with("_character"));
    assert!(!blocked || (forbidden && !codes.is_empty()), "{name}: the scan blocks valid KDL: {codes:?}");
    let expected = kdl_depth(&document);
    assert!(depth >= expected, "{name}: the scan saw depth {depth}, kdl-rs built {expected}");
    if !text.contains("/-") {
        assert_eq!(depth, expected, "{name}: depth differs");
    }
}

#[test]
fn the_scan_agrees_with_kdl_on_every_example_and_fixture() {
    for (name, text) in corpus() {
        agree(&name, &text);
    }
}

#[test]
fn the_scan_agrees_with_kdl_on_every_newline() {
    for (name, text) in corpus() {
        for newline in NEWLINES {
            agree(&format!("{name} with {newline:?} line ends"), &text.replace('\n', newline));
        }
    }
}

#[test]
fn the_scan_agrees_with_kdl_on_mutated_inputs() {
    // Fixed-seed xorshift: the same variants on every run.
    let mut state: u64 = 0x5EED_0000_0000_0018;
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
        "a{b{c{}}}",
        "\"a\\\n b\"",
        "#\"x\"#",
    ];
    let corpus = corpus();
    for round in 0..3000 {
        let (name, text) = &corpus[next(corpus.len())];
        let mut text = text.clone();
        for _ in 0..1 + next(3) {
            let mut at = next(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let insert = if next(2) == 0 { inserts[next(inserts.len())] } else { NEWLINES[next(NEWLINES.len())] };
            text.insert_str(at, insert);
        }
        agree(&format!("{name} variant {round}"), &text);
    }
}

#[test]
fn every_newline_ends_a_line_comment_for_both() {
    let nested = format!("{}{}", "a{".repeat(40), "}".repeat(40));
    for newline in NEWLINES {
        let text = format!("// x{newline}{nested}");
        let document = kdl_parse(&text).expect("valid KDL");
        assert_eq!(kdl_depth(&document), 40, "{newline:?}");
        assert_eq!(scanned(&text).1, 40, "{newline:?}");
    }
}

#[test]
fn a_one_line_string_ends_at_a_newline_where_kdl_recovers() {
    // kdl-rs reports the unclosed string and parses on after the newline: the nesting
    // there must count (45,000 levels of it overflowed the parser's stack).
    for newline in NEWLINES {
        for open in ["a \"oops", "a #\"oops", "a ##\"oops\"#"] {
            let text = format!("{open}{newline}{}", "a{".repeat(40));
            assert_eq!(scanned(&text).1, 40, "{open:?} then {newline:?}");
        }
    }
    // A whitespace escape takes the newline into the string, for both.
    let text = "a \"x \\\n  y\" {\n b 1\n}\n";
    agree("whitespace escape", text);
    assert_eq!(scanned(text).1, 1);
}

#[test]
fn multi_line_and_raw_strings_hide_braces_for_both() {
    for text in [
        "a \"\"\"\n  {{{{\n  \"\"\"\nb {\n}\n",
        "a #\"\"\"\n  {{ \"\"\" {{\n  \"\"\"#\nb {\n}\n",
        "a #\"{{{\"# b=##\"}}\"#\"## {\n}\n",
        "a /* { /* { */ { */ {\n}\n",
    ] {
        agree(text, text);
        assert_eq!(scanned(text).1, 1, "{text:?}");
    }
}

#[test]
fn deep_nesting_hidden_from_the_scan_still_stops_at_the_backstop() {
    // Braces in a string count for the raw backstop, so even a scan that misread a string
    // would keep the parser far from its stack limit.
    let text = format!("a \"{}\"", "{".repeat(super::MAX_RAW_BRACE_DEPTH + 1));
    let (blocked, _, codes) = scanned(&text);
    assert!(blocked);
    assert_eq!(codes, ["syntax::too_many_braces"]);
}

#[test]
fn unclosed_constructs_point_at_their_opener() {
    let mut diags = Diagnostics::default();
    let text = "platform \"p\"\n/* open\na 1\nb 2\n";
    assert!(scan(&mut diags, FileId(0), text, &Limits::default()).blocked);
    let labels: Vec<usize> = diags.sorted()[0].diagnostic.labels().into_iter().flatten().map(|l| l.offset()).collect();
    assert_eq!(labels, [13]);
    for (text, code, offset) in [
        ("a {\n  b 1\n", "syntax::unclosed_block", 2),
        ("a 1\nteam= {\n", "syntax::unclosed_block", 10),
        ("a \"\"\"\n x\n", "syntax::unclosed_string", 2),
        ("a #\"x", "syntax::unclosed_string", 2),
    ] {
        let mut diags = Diagnostics::default();
        assert!(scan(&mut diags, FileId(0), text, &Limits::default()).blocked, "{text:?}");
        let first = diags.sorted()[0];
        assert_eq!(first.diagnostic.code().map(|c| c.to_string()).as_deref(), Some(code), "{text:?}");
        assert_eq!(first.offset(), offset, "{text:?}");
    }
}
