//! Diagnostic reports: a [`Diagnostics`] sink rendered as text for people or JSON for tools.
//!
//! In: [`Sources`] and [`Diagnostics`]. Out: a `String`. Renderers read only the
//! `miette::Diagnostic` trait (message, code, severity, labels, help), never our error
//! enums, so every stage's errors render the same way. Each diagnostic gets its file's
//! text attached here, once, as a `miette::NamedSource`.

use crate::diag::{Collected, Diagnostics, Severity, Sources};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::sync::Arc;

/// How diagnostics are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// miette's graphical report: unicode box drawing, snippets with labels (terminals).
    Graphical,
    /// The same layout in plain ASCII, never coloured (CI logs, files, non-terminals).
    Plain,
    /// A JSON array of objects, one per diagnostic (`--format json`).
    Json,
}

/// Text width for graphical and plain reports.
pub const WIDTH: usize = 80;

/// Render all diagnostics, sorted by file and position, followed by a summary line for
/// the text formats.
///
/// `color` applies to [`ReportFormat::Graphical`] only. Tests use
/// `render(&sources, &diags, ReportFormat::Graphical, false)`.
///
/// JSON objects have the fields `severity` (`error`, `warning`, `advice`), `code`,
/// `message`, `file`, `line`, `column` (1-based, of the first label; `null` without
/// labels), `labels` (`[{message, line, column, offset, len}]`) and `help`.
pub fn render(sources: &Sources, diags: &Diagnostics, format: ReportFormat, color: bool) -> String {
    match format {
        ReportFormat::Json => render_json(sources, diags),
        ReportFormat::Graphical => {
            let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
            render_text(sources, diags, theme)
        }
        ReportFormat::Plain => render_text(sources, diags, GraphicalTheme::none()),
    }
}

/// `2 errors, 1 warning` (empty when there is nothing to say).
pub fn summary(diags: &Diagnostics) -> String {
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    match (diags.error_count(), diags.warning_count()) {
        (0, 0) => String::new(),
        (errors, 0) => plural(errors, "error"),
        (0, warnings) => plural(warnings, "warning"),
        (errors, warnings) => format!("{}, {}", plural(errors, "error"), plural(warnings, "warning")),
    }
}

fn render_text(sources: &Sources, diags: &Diagnostics, theme: GraphicalTheme) -> String {
    let handler = GraphicalReportHandler::new_themed(theme).with_width(WIDTH).with_links(false);
    // Each file's text is shared by all of its diagnostics.
    let texts: Vec<(String, Arc<str>)> = sources.iter().map(|(_, file)| (file.name.clone(), Arc::from(file.text.as_str()))).collect();
    let mut out = String::new();
    for collected in diags.sorted() {
        let attached = Attached::new(&texts, collected);
        let mut one = String::new();
        if handler.render_report(&mut one, &attached).is_err() {
            // Rendering into a String only fails if a Display impl fails; keep the message.
            one = format!("{}\n", collected.diagnostic);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&one);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    let summary = summary(diags);
    if !summary.is_empty() {
        out.push('\n');
        out.push_str(&summary);
        out.push('\n');
    }
    out
}

fn render_json(sources: &Sources, diags: &Diagnostics) -> String {
    let items: Vec<serde_json::Value> = diags.sorted().into_iter().map(|collected| json_item(sources, collected)).collect();
    let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

fn json_item(sources: &Sources, collected: &Collected) -> serde_json::Value {
    let diagnostic = collected.diagnostic.as_ref();
    let file = collected.file.and_then(|id| sources.get(id));
    let text = file.map_or("", |f| f.text.as_str());
    let labels: Vec<serde_json::Value> = diagnostic
        .labels()
        .map(|labels| {
            labels
                .map(|label| {
                    let (line, column) = line_column(text, label.offset());
                    serde_json::json!({
                        "message": label.label(),
                        "line": line,
                        "column": column,
                        "offset": label.offset(),
                        "len": label.len(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let first = labels.first();
    let severity = match collected.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "advice",
    };
    serde_json::json!({
        "severity": severity,
        "code": diagnostic.code().map(|code| code.to_string()),
        "message": diagnostic.to_string(),
        "file": file.map(|f| f.name.clone()),
        "line": first.and_then(|l| l.get("line").cloned()),
        "column": first.and_then(|l| l.get("column").cloned()),
        "labels": labels,
        "help": diagnostic.help().map(|help| help.to_string()),
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut line_start = 0;
    for (index, byte) in text.bytes().enumerate().take(offset) {
        if byte == b'\n' {
            line += 1;
            line_start = index + 1;
        }
    }
    let column = text.get(line_start..offset.min(text.len())).map_or(1, |prefix| prefix.chars().count() + 1);
    (line, column)
}

/// A collected diagnostic with its file's text attached as a named source.
struct Attached<'a> {
    inner: &'a (dyn Diagnostic + Send + Sync + 'static),
    source: Option<NamedSource<Arc<str>>>,
}

impl<'a> Attached<'a> {
    fn new(texts: &[(String, Arc<str>)], collected: &'a Collected) -> Self {
        let source = collected
            .file
            .and_then(|id| texts.get(id.0 as usize))
            .map(|(name, text)| NamedSource::new(name, Arc::clone(text)));
        Self { inner: collected.diagnostic.as_ref(), source }
    }
}

impl fmt::Debug for Attached<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.inner, f)
    }
}

impl fmt::Display for Attached<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)
    }
}

impl std::error::Error for Attached<'_> {}

impl Diagnostic for Attached<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.help()
    }
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        match &self.source {
            Some(source) => Some(source),
            None => self.inner.source_code(),
        }
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        // Without a file to point into, labels cannot be drawn.
        if self.source_code().is_some() { self.inner.labels() } else { None }
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        self.inner.related()
    }
    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.inner.diagnostic_source()
    }
}
