//! Diagnostic reports: a [`Diagnostics`] sink rendered as text for people, or as JSON,
//! SARIF 2.1.0 (code scanning) or GitHub Actions workflow commands for tools.
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
    /// A SARIF 2.1.0 log (`--format sarif`), for GitHub code scanning and other tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::message`), one per line.
    Github,
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
        ReportFormat::Sarif => render_sarif(sources, diags),
        ReportFormat::Github => render_github(sources, diags),
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
    let texts: Vec<(String, Arc<str>)> =
        sources.iter().map(|(_, file)| (file.name.clone(), Arc::from(file.text.as_str()))).collect();
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
    let items: Vec<serde_json::Value> =
        diags.sorted().into_iter().map(|collected| json_item(sources, collected)).collect();
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

/// The SARIF 2.1.0 schema this renderer targets (OASIS errata01).
const SARIF_SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// One SARIF log with one run: `tool.driver` lists one rule per distinct code (sorted),
/// each result points at its rule and at the spec lines of its first label. Columns are
/// counted in Unicode code points (`columnKind`), end positions are exclusive, as SARIF
/// says. Further labels become `relatedLocations`; a diagnostic without labels points at
/// its file only, and one without a file has no location.
fn render_sarif(sources: &Sources, diags: &Diagnostics) -> String {
    let sorted = diags.sorted();
    let rules: std::collections::BTreeSet<String> = sorted.iter().map(|collected| rule_id(collected)).collect();
    let rule_index: std::collections::BTreeMap<&str, usize> =
        rules.iter().enumerate().map(|(index, id)| (id.as_str(), index)).collect();
    let results: Vec<serde_json::Value> = sorted
        .iter()
        .map(|collected| {
            let diagnostic = collected.diagnostic.as_ref();
            let file = collected.file.and_then(|id| sources.get(id));
            let rule = rule_id(collected);
            let mut result = serde_json::json!({
                "ruleId": rule,
                "ruleIndex": rule_index.get(rule.as_str()).copied().unwrap_or_default(),
                "level": match collected.severity() {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Advice => "note",
                },
                "message": { "text": message_with_help(diagnostic) },
            });
            if let Some(file) = file {
                let labels: Vec<LabeledSpan> = diagnostic.labels().map(Iterator::collect).unwrap_or_default();
                let uri = uri_reference(&file.name);
                let location = |label: Option<&LabeledSpan>| {
                    let mut physical = serde_json::json!({ "artifactLocation": { "uri": uri } });
                    if let Some(label) = label {
                        let region = Region::of(&file.text, label);
                        physical["region"] = serde_json::json!({
                            "startLine": region.start_line,
                            "startColumn": region.start_column,
                            "endLine": region.end_line,
                            "endColumn": region.end_column,
                        });
                    }
                    let mut location = serde_json::json!({ "physicalLocation": physical });
                    if let Some(text) = label.and_then(LabeledSpan::label) {
                        location["message"] = serde_json::json!({ "text": text });
                    }
                    location
                };
                result["locations"] = serde_json::json!([location(labels.first())]);
                let related: Vec<serde_json::Value> = labels
                    .iter()
                    .skip(1)
                    .enumerate()
                    .map(|(index, label)| {
                        let mut related = location(Some(label));
                        related["id"] = serde_json::json!(index + 1);
                        related
                    })
                    .collect();
                if !related.is_empty() {
                    result["relatedLocations"] = serde_json::Value::Array(related);
                }
            }
            result
        })
        .collect();
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|id| serde_json::json!({ "id": id, "shortDescription": { "text": rule_description(id) } }))
        .collect();
    let log = serde_json::json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "berth",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// GitHub Actions workflow commands, one line per diagnostic:
/// `::error file=spec.kdl,line=4,col=5,endLine=4,endColumn=12,title=model::unknown_property::message`.
/// GitHub shows them as annotations on the spec lines. `endColumn` is the column of the
/// last character (inclusive); advice becomes `::notice`.
fn render_github(sources: &Sources, diags: &Diagnostics) -> String {
    let mut out = String::new();
    for collected in diags.sorted() {
        let diagnostic = collected.diagnostic.as_ref();
        let command = match collected.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "notice",
        };
        let mut properties = Vec::new();
        if let Some(file) = collected.file.and_then(|id| sources.get(id)) {
            properties.push(format!("file={}", escape_property(&file.name)));
            if let Some(label) = diagnostic.labels().and_then(|mut labels| labels.next()) {
                let region = Region::of(&file.text, &label);
                let last_column = if region.end_line == region.start_line {
                    region.end_column.saturating_sub(1).max(region.start_column)
                } else {
                    region.end_column
                };
                properties.push(format!("line={}", region.start_line));
                properties.push(format!("col={}", region.start_column));
                properties.push(format!("endLine={}", region.end_line));
                properties.push(format!("endColumn={last_column}"));
            }
        }
        properties.push(format!("title={}", escape_property(&rule_id(collected))));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message_with_help(diagnostic))
        ));
    }
    out
}

/// The rule id of a diagnostic: its code, or `berth::diagnostic` for the few without one.
fn rule_id(collected: &Collected) -> String {
    collected.diagnostic.code().map_or_else(|| "berth::diagnostic".to_owned(), |code| code.to_string())
}

/// A rule's short description from its code alone (renderers never see our enums):
/// `model::unknown_property` becomes `unknown property (model)`.
fn rule_description(id: &str) -> String {
    match id.rsplit_once("::") {
        Some((stage, name)) => format!("{} ({stage})", name.replace(['_', '-'], " ")),
        None => id.replace(['_', '-'], " "),
    }
}

/// The message, and the help on a second line when there is one.
fn message_with_help(diagnostic: &(dyn Diagnostic + Send + Sync + 'static)) -> String {
    match diagnostic.help() {
        Some(help) => format!("{diagnostic}\nhelp: {help}"),
        None => diagnostic.to_string(),
    }
}

/// A file name as a relative URI reference: `/` separators, anything but unreserved
/// characters and `/` percent-encoded (`<stdlib/a.kdl>` becomes `%3Cstdlib/a.kdl%3E`).
fn uri_reference(name: &str) -> String {
    let mut uri = String::new();
    for byte in name.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// Workflow command data: `%`, CR and LF escaped, as the runner expects.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow command property values: also `:` and `,`, which delimit properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// 1-based start and exclusive end of a label, in lines and code-point columns.
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

impl Region {
    fn of(text: &str, label: &LabeledSpan) -> Self {
        let (start_line, start_column) = line_column(text, label.offset());
        let (end_line, end_column) = line_column(text, label.offset() + label.len());
        Self { start_line, start_column, end_line, end_column }
    }
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
