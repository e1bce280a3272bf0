//! The language server on partial input: every prefix of an example, as if typed
//! character by character, is checked (diagnostics, never a panic) and completion, hover
//! and the outline answer at its end.
//!
//! Cost bound: a debug-build check of a prefix takes ~1-15 ms (most prefixes stop at the
//! parser: an open block or string), so `hello` (every one of its ~950 prefixes) takes a few
//! seconds; the larger examples are cut every `STRIDE` bytes plus every prefix of one
//! window in the middle of each (the 40 bytes around a `uses`, where completion matters),
//! which keeps the test well under a minute on the 2-core CI machine.
//! `BERTH_PREFIX_STRIDE=1` checks every prefix of every example (a few minutes in release).

use crate::determinism::example_specs;
use berth::driver::{self, Inputs, Options};
use berth::lsp::{self, Url, complete, features, library::Catalogue};
use lsp_types::DiagnosticSeverity;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Byte stride for the examples other than `hello`.
const STRIDE: usize = 97;

fn prefixes(name: &str, text: &str) -> Vec<usize> {
    let stride = std::env::var("BERTH_PREFIX_STRIDE").ok().and_then(|s| s.parse().ok()).unwrap_or(STRIDE).max(1);
    let mut cuts: Vec<usize> =
        if name == "hello" { (0..=text.len()).collect() } else { (0..=text.len()).step_by(stride).collect() };
    if let Some(uses) = text.find("uses \"") {
        cuts.extend(uses.saturating_sub(10)..(uses + 30).min(text.len()));
    }
    cuts.push(text.len());
    cuts.retain(|&cut| text.is_char_boundary(cut));
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn every_prefix_of_every_example_yields_diagnostics_and_no_panic() {
    let catalogue = Catalogue::new(&[]);
    let uri = Url::parse("file:///examples/spec.kdl").expect("url");
    let mut checked = 0;
    for (name, text) in example_specs() {
        for cut in prefixes(&name, &text) {
            let prefix = &text[..cut];
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let analysis = lsp::check_text(&uri, prefix, &[], "");
                let lines = prefix.lines().count() + 1;
                for diagnostic in &analysis.diagnostics {
                    assert!((diagnostic.range.end.line as usize) < lines, "a diagnostic past the end: {diagnostic:?}");
                }
                // What the editor shows is what `berth check` says.
                let check = driver::compile(&Inputs::spec("/examples/spec.kdl", prefix), &Options::default());
                assert_eq!(
                    analysis.diagnostics.len(),
                    check.diagnostics.sorted().len(),
                    "every diagnostic is published"
                );
                let errors =
                    analysis.diagnostics.iter().filter(|d| d.severity == Some(DiagnosticSeverity::ERROR)).count();
                assert_eq!(errors, check.diagnostics.error_count(), "errors stay errors");
                complete::complete(prefix, cut, &catalogue);
                features::hover(prefix, cut.saturating_sub(1), &catalogue, analysis.estate.as_ref());
                features::symbols(prefix);
                features::references(prefix, cut.saturating_sub(1), true);
                analysis.diagnostics.len()
            }));
            match outcome {
                Ok(_) => checked += 1,
                Err(_) => panic!("{name}: the prefix of {cut} bytes panicked:\n{prefix}"),
            }
        }
    }
    assert!(checked > 1000, "checked {checked} prefixes");
}
