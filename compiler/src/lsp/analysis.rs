//! One check of a document: the real pipeline (`driver::compile`, what `berth check`
//! runs), its diagnostics as LSP diagnostics per file, and what hovers and code actions
//! read afterwards (the resolved estate, the policy findings).
//!
//! Nothing is re-done per keystroke that does not depend on the text: the driver keeps
//! the lowered standard library, `validate` its compiled schemas, per process; with
//! `Options::again`, `validate` also keeps each emitted object's result and checks only
//! the objects the edit changed.

use super::text::Lines;
use crate::diag::{FileId, SourceFile};
use crate::driver::{self, Inputs, Options};
use crate::policy::Finding;
use crate::resolve::Estate;
use lsp_types::{Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Url};
use std::collections::BTreeMap;

/// The result of checking one document.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Diagnostics of the document itself.
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics in user library files, by file.
    pub library: BTreeMap<Url, Vec<Diagnostic>>,
    /// The resolved estate, when resolution succeeded.
    pub estate: Option<Estate>,
    /// Policy findings (their `on` and span, for the waiver action).
    pub findings: Vec<Finding>,
}

/// Check `text` (the document `uri`) with the user library files `libraries`, as the
/// server does after each edit: with [`Options::again`], so the stages reuse what the
/// previous check of this process kept.
pub fn analyse(uri: &Url, text: &str, libraries: &[SourceFile], today: &str) -> Analysis {
    check(uri, text, libraries, today, true)
}

/// [`analyse`] from scratch, reusing nothing a previous check kept: what `berth check`
/// computes. The test of the incremental path compares the two after every edit.
pub fn analyse_afresh(uri: &Url, text: &str, libraries: &[SourceFile], today: &str) -> Analysis {
    check(uri, text, libraries, today, false)
}

fn check(uri: &Url, text: &str, libraries: &[SourceFile], today: &str, again: bool) -> Analysis {
    let name = uri.to_file_path().map_or_else(|()| uri.to_string(), |path| path.display().to_string());
    // Files next to the spec (`init-sql-file`) are read from disk, as `berth check` does.
    let files = uri.to_file_path().map(|path| crate::output::safe::spec_files(&path)).unwrap_or_default();
    let inputs =
        Inputs { spec: SourceFile { name: name.clone(), text: text.to_owned() }, libraries: libraries.to_vec(), files };
    let options = Options { today: today.to_owned(), again, ..Options::default() };
    let compilation = driver::compile(&inputs, &options);
    from_compilation(uri, &name, compilation)
}

/// The LSP view of one compilation of the document `uri`, whose source is named `name`.
fn from_compilation(uri: &Url, name: &str, compilation: driver::Compilation) -> Analysis {
    let sources = &compilation.sources;
    let spec_file: Option<FileId> = sources.iter().filter(|(_, f)| f.name == name).map(|(id, _)| id).last();
    let mut analysis = Analysis::default();
    let lines: BTreeMap<FileId, (Url, Lines<'_>)> = sources
        .iter()
        .filter_map(|(id, file)| {
            let url = if Some(id) == spec_file { Some(uri.clone()) } else { Url::from_file_path(&file.name).ok() };
            url.map(|url| (id, (url, Lines::new(&file.text))))
        })
        .collect();
    for collected in compilation.diagnostics.sorted() {
        let diagnostic = &collected.diagnostic;
        let mut labels: Vec<(Range, String)> = Vec::new();
        let file = collected.file.and_then(|id| lines.get(&id));
        if let (Some((_, file_lines)), Some(all)) = (file, diagnostic.labels()) {
            for label in all {
                let range = file_lines.range(label.offset()..label.offset() + label.len());
                labels.push((range, label.label().unwrap_or_default().to_owned()));
            }
        }
        let mut message = diagnostic.to_string();
        if let Some(help) = diagnostic.help() {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let severity = match collected.severity() {
            crate::diag::Severity::Error => DiagnosticSeverity::ERROR,
            crate::diag::Severity::Warning => DiagnosticSeverity::WARNING,
            crate::diag::Severity::Advice => DiagnosticSeverity::INFORMATION,
        };
        let (range, _) = labels.first().cloned().unwrap_or_default();
        let target = match file {
            Some((url, _)) => url.clone(),
            None => uri.clone(),
        };
        let related: Vec<DiagnosticRelatedInformation> = labels
            .iter()
            .skip(1)
            .map(|(range, label)| DiagnosticRelatedInformation {
                location: Location { uri: target.clone(), range: *range },
                message: if label.is_empty() { "related".to_owned() } else { label.clone() },
            })
            .collect();
        let lsp = Diagnostic {
            range,
            severity: Some(severity),
            code: diagnostic.code().map(|code| NumberOrString::String(code.to_string())),
            source: Some("berth".to_owned()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Diagnostic::default()
        };
        if target == *uri || collected.file.is_none() {
            analysis.diagnostics.push(lsp);
        } else if !target.as_str().contains('<') {
            analysis.library.entry(target).or_default().push(lsp);
        }
    }
    analysis.estate = compilation.estate;
    analysis.findings = compilation.findings;
    analysis
}
