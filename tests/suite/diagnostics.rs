//! Diagnostic snapshots: every `fixtures/diagnostics/<stage>/<case>.kdl` goes through
//! the whole pipeline (`driver::compile`: stdlib, syntax, model, resolve, emit), and the
//! rendered report (unicode, no colour, width
//! 80) is snapshotted. The first line of each fixture says what it expects:
//! `// expect: model::unknown_property on line 4`. Hostile inputs too large or too
//! repetitive for a fixture file are generated here.

use berth::diag::{Diagnostics, SourceFile, Sources};
use berth::output::report::{self, ReportFormat};
use std::time::{Duration, Instant};

/// Parse and lower one text; return the report and how long the front end took.
fn front_end(name: &str, text: String) -> (String, Diagnostics, Duration) {
    let source = SourceFile { name: name.to_owned(), text };
    let mut sources = Sources::default();
    let file = sources.add(source.clone());
    let mut diags = Diagnostics::default();
    let started = Instant::now();
    if let Some(parsed) = berth::syntax::parse(&mut diags, file, &source) {
        berth::model::lower(&mut diags, &parsed);
    }
    let elapsed = started.elapsed();
    let rendered = report::render(&sources, &diags, ReportFormat::Graphical, false);
    (rendered, diags, elapsed)
}

/// A fixture compiled through the whole pipeline, with its expectation line.
struct Case {
    name: String,
    expect: String,
    code: String,
    compilation: berth::driver::Compilation,
    rendered: String,
}

/// Compile the fixture at `path`; its first line is `// expect: <code> [on line N]`.
fn compile_case(path: &std::path::Path) -> Case {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let expect = text.lines().next().unwrap_or_default().to_owned();
    let code = expect
        .strip_prefix("// expect: ")
        .and_then(|rest| rest.split_whitespace().next())
        .expect("first line is `// expect: <code> ...`")
        .to_owned();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("spec.kdl").to_owned();
    // Files next to the fixture (`init-sql-file`) are read as `berth check` reads them.
    let mut inputs = berth::driver::Inputs::spec(name.clone(), text);
    inputs.files = berth::output::safe::spec_files(path);
    let compilation = berth::driver::compile(&inputs, &berth::driver::Options::default());
    let rendered = report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Graphical, false);
    Case { name, expect, code, compilation, rendered }
}

impl Case {
    /// The report shows the expected line, when the expectation names one.
    fn assert_line(&self) {
        if let Some(line) = self.expect.split(" on line ").nth(1).and_then(|rest| rest.split_whitespace().next()) {
            let shown = format!("{line} │");
            assert!(
                self.rendered.lines().any(|l| l.trim_start().starts_with(&shown)),
                "{}: expected line {line} in the report:\n{}",
                self.name,
                self.rendered
            );
        }
    }

    fn snapshot_text(&self) -> String {
        format!("{}\n\n{}", self.expect, self.rendered)
    }
}

#[test]
fn diagnostics() {
    insta::glob!("../fixtures", "diagnostics/*/*.kdl", |path| {
        let case = compile_case(path);
        let (name, code, rendered) = (&case.name, &case.code, &case.rendered);
        assert!(case.compilation.diagnostics.has_errors(), "{name}: no error reported");
        assert!(case.compilation.tree.is_empty(), "{name}: artifacts despite errors");
        assert!(rendered.contains(code.as_str()), "{name}: expected `{code}` in:\n{rendered}");
        case.assert_line();
        insta::assert_snapshot!(case.snapshot_text());
    });
}

/// Warning fixtures (`fixtures/warnings/<case>.kdl`): the spec compiles and is written,
/// and the report carries the expected warning on the expected line, and no other.
#[test]
fn warnings() {
    insta::glob!("../fixtures", "warnings/*.kdl", |path| {
        let case = compile_case(path);
        let (name, code, rendered) = (&case.name, &case.code, &case.rendered);
        assert!(!case.compilation.diagnostics.has_errors(), "{name}: errors reported:\n{rendered}");
        assert!(!case.compilation.tree.is_empty(), "{name}: a warning must not block output");
        assert_eq!(rendered.matches(code.as_str()).count(), 1, "{name}: expected `{code}` once in:\n{rendered}");
        assert!(rendered.contains("1 warning"), "{name}: expected exactly one warning in:\n{rendered}");
        case.assert_line();
        insta::assert_snapshot!(case.snapshot_text());
    });
}

#[test]
fn deep_nesting_is_refused_quickly() {
    // One level per line keeps the snapshot readable; the one-line form is checked below.
    let text = format!("{}{}", "a {\n".repeat(5000), "}\n".repeat(5000));
    let (rendered, diags, elapsed) = front_end("deep.kdl", text);
    assert_eq!(diags.error_count(), 1);
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn deep_nesting_on_one_line_and_unclosed_does_not_crash() {
    for text in [format!("{}{}", "a {".repeat(5000), "}".repeat(5000)), "a {".repeat(5000)] {
        let (rendered, diags, elapsed) = front_end("deep.kdl", text);
        assert!(rendered.contains("syntax::too_deep"), "{rendered}");
        assert_eq!(diags.error_count(), 1);
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    }
}

#[test]
fn nested_slashdash_is_refused_quickly() {
    let text = format!("{}{}\n", "a /-{".repeat(40), "}".repeat(40));
    let (rendered, diags, elapsed) = front_end("slashdash.kdl", text);
    assert!(diags.has_errors());
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn slashdash_at_the_limit_still_parses() {
    // Three nested slashdashed blocks are allowed and parse in well under a second.
    let text = "a /-{ b /-{ c /-{ d } } }\nplatform \"shop\"\n".to_owned();
    let (rendered, diags, elapsed) = front_end("slashdash.kdl", text);
    assert!(!rendered.contains("syntax::"), "{rendered}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    // `a` itself is not a Berth node.
    assert_eq!(diags.error_count(), 1);
}

#[test]
fn huge_input_is_refused_before_parsing() {
    let line = "// padding padding padding padding padding padding padding padding\n";
    let text = line.repeat(4 * 1024 * 1024 / line.len() + 10);
    let (rendered, diags, elapsed) = front_end("huge.kdl", text);
    assert_eq!(diags.error_count(), 1);
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn braces_in_strings_and_comments_are_not_counted() {
    let text = format!(
        "platform \"{}\" // {}\n/* {} /* nested */ */\ndomain #\"{}\"# \"\"\"\n{}\n\"\"\"\n",
        "{".repeat(40),
        "{".repeat(40),
        "{".repeat(40),
        "{\"".repeat(40),
        "{".repeat(40)
    );
    let (rendered, _, _) = front_end("strings.kdl", text);
    assert!(!rendered.contains("syntax::too_deep"), "{rendered}");
}

#[test]
fn json_report() {
    let text = "// expect nothing\ndomain \"order\" {\n    service \"api\" { replicas \"three\" }\n}\n".to_owned();
    let source = SourceFile { name: "spec.kdl".to_owned(), text };
    let mut sources = Sources::default();
    let file = sources.add(source.clone());
    let mut diags = Diagnostics::default();
    let parsed = berth::syntax::parse(&mut diags, file, &source).expect("valid KDL");
    berth::model::lower(&mut diags, &parsed);
    insta::assert_snapshot!(report::render(&sources, &diags, ReportFormat::Json, false));
    insta::assert_snapshot!(report::render(&sources, &diags, ReportFormat::Plain, false));
}

#[test]
fn format_keeps_comments_and_is_idempotent() {
    let text = "// header\nplatform   \"shop\"  {\n  registry \"r\"   // why this registry\n    /* block */ kubernetes \"1.33\"\n}\n\n\n// the order domain\ndomain \"order\" team=\"squad\" {\n        service \"api\" { image \"api\"; replicas 2 }\n}\n";
    let once = berth::syntax::format(text).expect("formats");
    let twice = berth::syntax::format(&once).expect("formats again");
    assert_eq!(once, twice, "formatting is not idempotent");
    for comment in ["// header", "// why this registry", "/* block */", "// the order domain"] {
        assert!(once.contains(comment), "lost {comment:?}:\n{once}");
    }
    insta::assert_snapshot!(once);
}

#[test]
fn format_refuses_invalid_kdl() {
    assert!(berth::syntax::format("a {").is_err());
}
