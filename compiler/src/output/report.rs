//! Diagnostic reports: a [`Diagnostics`] sink rendered as text for people, or as JSON,
//! SARIF 2.1.0 (code scanning) or GitHub Actions workflow commands for tools.
//!
//! In: [`Sources`] and [`Diagnostics`]. Out: a `String`. Renderers read only the
//! `miette::Diagnostic` trait (message, code, severity, labels, help), never our error
//! enums, so every stage's errors render the same way. Each diagnostic gets its file's
//! text attached here, once, as a `miette::NamedSource`.

use super::excerpt::{Excerpt, Lines, clip_text};
use crate::diag::{Diagnostics, FileId, Severity, Sources};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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

/// At most this many diagnostics are shown per file, and [`MAX_SHOWN`] in all; one note
/// per file says how many more there are. Identical diagnostics are shown once.
pub const MAX_PER_FILE: usize = 50;
/// At most this many diagnostics are shown in all.
pub const MAX_SHOWN: usize = 200;
/// Messages, helps and labels are cut to this many characters (they may quote the spec).
const MAX_MESSAGE_CHARS: usize = 500;

/// A diagnostic to render: the file its labels point into and the diagnostic.
type Item<'a> = (Option<FileId>, &'a (dyn Diagnostic + Send + Sync + 'static));

/// Diagnostics left out of a report.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{count} more diagnostic(s) in {name} not shown")]
#[diagnostic(
    code(report::omitted),
    severity(Advice),
    help("fix the ones above first; the count in the summary includes these")
)]
struct Omitted {
    count: usize,
    name: String,
}

/// The diagnostics a report shows, sorted, without repeats, capped per file and in all,
/// with notes for the ones left out.
struct Shown<'a> {
    kept: Vec<Item<'a>>,
    notes: Vec<Omitted>,
}

impl<'a> Shown<'a> {
    fn of(sources: &Sources, diags: &'a Diagnostics) -> Self {
        let mut seen = BTreeSet::new();
        let mut per_file: BTreeMap<Option<FileId>, usize> = BTreeMap::new();
        let mut omitted: BTreeMap<Option<FileId>, usize> = BTreeMap::new();
        let mut kept = Vec::new();
        for collected in diags.sorted() {
            let diagnostic = collected.diagnostic.as_ref();
            if !seen.insert(fingerprint(collected.file, diagnostic)) {
                continue;
            }
            let count = per_file.entry(collected.file).or_default();
            if *count >= MAX_PER_FILE || kept.len() >= MAX_SHOWN {
                *omitted.entry(collected.file).or_default() += 1;
                continue;
            }
            *count += 1;
            kept.push((collected.file, diagnostic));
        }
        let notes = omitted
            .into_iter()
            .map(|(file, count)| {
                let name = file.and_then(|id| sources.get(id)).map_or_else(|| "the run".to_owned(), |f| f.name.clone());
                Omitted { count, name }
            })
            .collect();
        Self { kept, notes }
    }

    fn items(&self) -> Vec<Item<'_>> {
        let notes = self.notes.iter().map(|note| (None, note as &(dyn Diagnostic + Send + Sync + 'static)));
        self.kept.iter().copied().chain(notes).collect()
    }
}

/// A hash of what a reader sees of a diagnostic: two with the same one are repeats.
fn fingerprint(file: Option<FileId>, diagnostic: &dyn Diagnostic) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    file.hash(&mut hasher);
    diagnostic.code().map(|code| code.to_string()).hash(&mut hasher);
    diagnostic.to_string().hash(&mut hasher);
    diagnostic.help().map(|help| help.to_string()).hash(&mut hasher);
    for label in diagnostic.labels().into_iter().flatten() {
        (label.offset(), label.len(), label.label().map(str::to_owned)).hash(&mut hasher);
    }
    hasher.finish()
}

/// The severity of a diagnostic; miette's default (none given) is an error.
fn severity(diagnostic: &dyn Diagnostic) -> Severity {
    match diagnostic.severity() {
        Some(miette::Severity::Advice) => Severity::Advice,
        Some(miette::Severity::Warning) => Severity::Warning,
        Some(miette::Severity::Error) | None => Severity::Error,
    }
}

/// The line index of each file, built on first use.
struct LineIndex<'a> {
    sources: &'a Sources,
    lines: BTreeMap<FileId, Lines>,
}

impl<'a> LineIndex<'a> {
    fn new(sources: &'a Sources) -> Self {
        Self { sources, lines: BTreeMap::new() }
    }

    /// The file's name, text and lines.
    fn file(&mut self, id: Option<FileId>) -> Option<(&'a str, &'a str, &Lines)> {
        let id = id?;
        let file = self.sources.get(id)?;
        let lines = self.lines.entry(id).or_insert_with(|| Lines::new(&file.text));
        Some((file.name.as_str(), file.text.as_str(), lines))
    }
}

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
    let shown = Shown::of(sources, diags);
    let mut index = LineIndex::new(sources);
    let mut out = String::new();
    for (file, diagnostic) in shown.items() {
        let attached = Attached::new(index.file(file), diagnostic);
        let mut one = String::new();
        if handler.render_report(&mut one, &attached).is_err() {
            // Rendering into a String only fails if a Display impl fails; keep the message.
            one = format!("{}\n", attached.message);
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
    let shown = Shown::of(sources, diags);
    let mut index = LineIndex::new(sources);
    let items: Vec<serde_json::Value> = shown.items().into_iter().map(|item| json_item(&mut index, item)).collect();
    let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

fn json_item(index: &mut LineIndex<'_>, (file, diagnostic): Item<'_>) -> serde_json::Value {
    let file = index.file(file);
    let labels: Vec<serde_json::Value> = diagnostic
        .labels()
        .map(|labels| {
            labels
                .map(|label| {
                    let (line, column) =
                        file.map_or((1, 1), |(_, text, lines)| lines.line_column(text, label.offset()));
                    serde_json::json!({
                        "message": label.label().map(|text| clip_text(text, MAX_MESSAGE_CHARS)),
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
    let severity = match severity(diagnostic) {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "advice",
    };
    serde_json::json!({
        "severity": severity,
        "code": diagnostic.code().map(|code| code.to_string()),
        "message": clip_text(&diagnostic.to_string(), MAX_MESSAGE_CHARS),
        "file": file.map(|(name, _, _)| name.to_owned()),
        "line": first.and_then(|l| l.get("line").cloned()),
        "column": first.and_then(|l| l.get("column").cloned()),
        "labels": labels,
        "help": diagnostic.help().map(|help| clip_text(&help.to_string(), MAX_MESSAGE_CHARS)),
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
    let shown = Shown::of(sources, diags);
    let sorted = shown.items();
    let mut index = LineIndex::new(sources);
    let rules: BTreeSet<String> = sorted.iter().map(|&(_, diagnostic)| rule_id(diagnostic)).collect();
    let rule_index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(index, id)| (id.as_str(), index)).collect();
    let results: Vec<serde_json::Value> = sorted
        .iter()
        .map(|&(file, diagnostic)| {
            let file = index.file(file);
            let rule = rule_id(diagnostic);
            let mut result = serde_json::json!({
                "ruleId": rule,
                "ruleIndex": rule_index.get(rule.as_str()).copied().unwrap_or_default(),
                "level": match severity(diagnostic) {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Advice => "note",
                },
                "message": { "text": message_with_help(diagnostic) },
            });
            if let Some((name, text, lines)) = file {
                let labels: Vec<LabeledSpan> = diagnostic.labels().map(Iterator::collect).unwrap_or_default();
                let uri = uri_reference(name);
                let location = |label: Option<&LabeledSpan>| {
                    let mut physical = serde_json::json!({ "artifactLocation": { "uri": uri } });
                    if let Some(label) = label {
                        let region = Region::of(text, lines, label);
                        physical["region"] = serde_json::json!({
                            "startLine": region.start_line,
                            "startColumn": region.start_column,
                            "endLine": region.end_line,
                            "endColumn": region.end_column,
                        });
                    }
                    let mut location = serde_json::json!({ "physicalLocation": physical });
                    if let Some(text) = label.and_then(LabeledSpan::label) {
                        location["message"] = serde_json::json!({ "text": clip_text(text, MAX_MESSAGE_CHARS) });
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
    let shown = Shown::of(sources, diags);
    let mut index = LineIndex::new(sources);
    let mut out = String::new();
    for (file, diagnostic) in shown.items() {
        let command = match severity(diagnostic) {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "notice",
        };
        let mut properties = Vec::new();
        if let Some((name, text, lines)) = index.file(file) {
            properties.push(format!("file={}", escape_property(name)));
            if let Some(label) = diagnostic.labels().and_then(|mut labels| labels.next()) {
                let region = Region::of(text, lines, &label);
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
        properties.push(format!("title={}", escape_property(&rule_id(diagnostic))));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message_with_help(diagnostic))
        ));
    }
    out
}

/// The rule id of a diagnostic: its code, or `berth::diagnostic` for the few without one.
fn rule_id(diagnostic: &dyn Diagnostic) -> String {
    diagnostic.code().map_or_else(|| "berth::diagnostic".to_owned(), |code| code.to_string())
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
    let message = clip_text(&diagnostic.to_string(), MAX_MESSAGE_CHARS);
    match diagnostic.help() {
        Some(help) => format!("{message}\nhelp: {}", clip_text(&help.to_string(), MAX_MESSAGE_CHARS)),
        None => message,
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
    fn of(text: &str, lines: &Lines, label: &LabeledSpan) -> Self {
        let (start_line, start_column) = lines.line_column(text, label.offset());
        let (end_line, end_column) = lines.line_column(text, label.offset() + label.len());
        Self { start_line, start_column, end_line, end_column }
    }
}

/// A diagnostic with a bounded excerpt of its file attached, its labels moved into the
/// excerpt, and its message and help cut to length.
struct Attached<'a> {
    inner: &'a (dyn Diagnostic + Send + Sync + 'static),
    message: String,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
}

impl<'a> Attached<'a> {
    fn new(file: Option<(&str, &str, &Lines)>, inner: &'a (dyn Diagnostic + Send + Sync + 'static)) -> Self {
        let labels: Vec<LabeledSpan> = inner.labels().map(Iterator::collect).unwrap_or_default();
        let (source, labels) = match file {
            Some((name, text, lines)) if !labels.is_empty() => {
                let (excerpt, labels) = Excerpt::new(name, text, lines, &labels);
                (Some(excerpt), labels)
            }
            // Without a file to point into, labels cannot be drawn.
            _ => (None, Vec::new()),
        };
        Self {
            inner,
            message: clip_text(&inner.to_string(), MAX_MESSAGE_CHARS),
            help: inner.help().map(|help| clip_text(&help.to_string(), MAX_MESSAGE_CHARS)),
            source,
            labels,
        }
    }
}

impl fmt::Debug for Attached<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Attached<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_some() { Some(Box::new(self.labels.iter().cloned())) } else { None }
    }
}
