//! The language server's re-check reuses what the previous check kept (`Options::again`):
//! after every edit of a sequence its result must equal a check from scratch — the same
//! diagnostics (ranges, severities, codes, messages, related spans), library diagnostics,
//! policy findings and resolved estate. The edits are random single characters (deleted,
//! inserted or replaced, a digit by a digit and a letter by a letter more often than not,
//! so many edits keep the spec valid and reach every stage), from a fixed seed, over every
//! example and a generated spec; every few edits the text goes back to the original, as
//! an undo does.
//!
//! Cost bound: two compilations per edit, `EDITS` edits per spec, in a debug build
//! (~0.1-1 s per compilation of the larger specs): about a minute on an idle 2-core
//! machine, a few under load.

use crate::determinism::example_specs;
use berth::lsp::{Url, analysis};
use std::path::Path;

#[path = "../src/bin/gen_spec.rs"]
#[allow(dead_code)]
mod gen_spec;

/// Edits per spec.
const EDITS: usize = 10;

/// Waiver dates are checked against this day.
const TODAY: &str = "2026-06-01";

/// xorshift64*, as `gen_spec` uses: the same edits on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        usize::try_from(x.wrapping_mul(0x2545_F491_4F6C_DD1D) % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick(&mut self, from: &str) -> char {
        let chars: Vec<char> = from.chars().collect();
        chars[self.below(chars.len())]
    }
}

/// `text` with one character deleted, inserted or replaced at a random place.
fn edit(text: &str, rng: &mut Rng) -> String {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let here = text[at..].chars().next();
    let typed = match here {
        Some(c) if c.is_ascii_digit() && rng.below(4) > 0 => rng.pick("0123456789"),
        Some(c) if c.is_ascii_lowercase() && rng.below(4) > 0 => rng.pick("abcdefghijklmnopqrstuvwxyz-"),
        _ => rng.pick(" \n\"{}=-/#.a1"),
    };
    let mut edited = text.to_owned();
    match (rng.below(3), here) {
        (0, Some(c)) => {
            edited.replace_range(at..at + c.len_utf8(), "");
        }
        (1, Some(c)) => edited.replace_range(at..at + c.len_utf8(), &typed.to_string()),
        _ => edited.insert(at, typed),
    }
    edited
}

/// Check `text` incrementally and from scratch; both must say the same.
fn same_as_afresh(uri: &Url, what: &str, text: &str) -> bool {
    let again = analysis::analyse(uri, text, &[], TODAY);
    let afresh = analysis::analyse_afresh(uri, text, &[], TODAY);
    assert_eq!(again.diagnostics, afresh.diagnostics, "{what}: diagnostics differ for\n{text}");
    assert_eq!(again.library, afresh.library, "{what}: library diagnostics differ");
    assert_eq!(again.findings, afresh.findings, "{what}: findings differ");
    let estate = |a: &analysis::Analysis| a.estate.as_ref().map(|e| serde_json::to_value(e).expect("estate as JSON"));
    assert!(estate(&again) == estate(&afresh), "{what}: estates differ");
    !afresh.diagnostics.iter().any(|d| d.severity == Some(lsp_types::DiagnosticSeverity::ERROR))
}

#[test]
fn the_incremental_recheck_equals_a_check_from_scratch_after_every_edit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut specs: Vec<(String, String, Url)> = example_specs()
        .into_iter()
        .map(|(name, text)| {
            let uri = Url::from_file_path(root.join(&name).join("spec.kdl")).expect("an absolute path");
            (name, text, uri)
        })
        .collect();
    let generated = gen_spec::generate(&gen_spec::Options { services: 16, domains: 2, seed: 7 });
    specs.push(("generated".to_owned(), generated, Url::parse("file:///generated/spec.kdl").expect("url")));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut valid = 0;
    for (name, base, uri) in &specs {
        assert!(same_as_afresh(uri, &format!("{name} as written"), base), "{name} is valid as written");
        let mut current = base.clone();
        for step in 0..EDITS {
            current = if rng.below(4) == 0 { base.clone() } else { edit(&current, &mut rng) };
            if same_as_afresh(uri, &format!("{name}, edit {step}"), &current) {
                valid += 1;
            }
        }
    }
    // Enough edits keep the spec valid for emit, policies and validation to run again.
    assert!(valid > specs.len() * 2, "only {valid} edited specs were valid");
}
