//! KDL text becomes a [`Parsed`] document, guarded against hostile input.
//!
//! In: a [`SourceFile`](crate::diag::SourceFile). Out: [`Parsed`]. Also [`format`].
//!
//! The text first goes through a linear pre-scan (size, brace depth, slashdash nesting,
//! bidi / invisible / NUL characters, top-level node boundaries), then through
//! `kdl::KdlDocument::parse_v2` on threads with a large stack and a watchdog's time budget
//! (`guard`), because kdl 6.7.1 can overflow its stack or take exponential time on small
//! hostile inputs. A large text is parsed in parts, one per processor, and put back
//! together into exactly kdl-rs's document of the whole (`split`). This module knows KDL,
//! not Berth: node names are `model`'s business.

mod errors;
mod fmt;
mod guard;
mod scan;
mod split;

pub use errors::{FormatError, SyntaxError};
pub use guard::{Budget, Split};
pub use scan::Limits;

use crate::diag::{Diagnostics, FileId, SourceFile, Span};
use guard::Guarded;

/// A parsed KDL document with the file it came from.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The file id for spans.
    pub file: FileId,
    /// The KDL document (spans are byte offsets into the file).
    pub document: kdl::KdlDocument,
}

/// Stack size of the parser thread: kdl-rs recurses per nesting level.
const PARSER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Parse one file with the default [`Limits`], pushing every problem found.
///
/// Returns `None` when the text could not be turned into a document (a limit was hit,
/// the KDL is invalid, or the parser timed out); diagnostics say why. A document with
/// problems that do not stop parsing (a bidi character, a repeated property) is returned
/// together with its error diagnostics.
///
/// ```
/// use berth::diag::{Diagnostics, SourceFile, Sources};
/// let source = SourceFile { name: "spec.kdl".into(), text: "platform \"shop\"\n".into() };
/// let mut sources = Sources::default();
/// let file = sources.add(source.clone());
/// let mut diags = Diagnostics::default();
/// let parsed = berth::syntax::parse(&mut diags, file, &source).unwrap();
/// assert_eq!(parsed.document.nodes().len(), 1);
/// assert!(diags.is_empty());
/// ```
pub fn parse(diags: &mut Diagnostics, file: FileId, source: &SourceFile) -> Option<Parsed> {
    parse_with_limits(diags, file, source, &Limits::default())
}

/// [`parse`] with explicit limits (tests).
pub fn parse_with_limits(
    diags: &mut Diagnostics,
    file: FileId,
    source: &SourceFile,
    limits: &Limits,
) -> Option<Parsed> {
    parse_split(diags, file, source, limits, Split::default())
}

/// [`parse_with_limits`] with the parallel parse's settings explicit (tests: the same
/// document and diagnostics with every [`Split`]).
pub fn parse_split(
    diags: &mut Diagnostics,
    file: FileId,
    source: &SourceFile,
    limits: &Limits,
    split: Split,
) -> Option<Parsed> {
    parse_within(diags, file, source, limits, split, &Budget::new(limits.timeout_seconds))
}

/// [`parse`] paying the parser's processor time out of `budget`, which other parses may
/// share (compilations side by side: `berth diff`); `limits.timeout_seconds` is not read.
/// Once the budget has run out, the text is refused as too complex without being parsed.
pub fn parse_shared(diags: &mut Diagnostics, file: FileId, source: &SourceFile, budget: &Budget) -> Option<Parsed> {
    parse_within(diags, file, source, &Limits::default(), Split::default(), budget)
}

fn parse_within(
    diags: &mut Diagnostics,
    file: FileId,
    source: &SourceFile,
    limits: &Limits,
    split: Split,
    budget: &Budget,
) -> Option<Parsed> {
    let scan = scan::scan(diags, file, &source.text, limits);
    if scan.blocked {
        return None;
    }
    let mut document = match guard::parse(&source.text, &scan.boundaries, split, budget) {
        Guarded::Parsed(document) => document,
        Guarded::Invalid(error) => {
            push_kdl_error(diags, file, &error);
            return None;
        }
        Guarded::TimedOut => {
            let len = source.text.chars().next().map_or(0, char::len_utf8);
            let span = Span { file, offset: 0, len };
            diags.at(span, SyntaxError::TooComplex { seconds: budget.seconds(), span });
            return None;
        }
        Guarded::Crashed => {
            diags.push(Some(file), SyntaxError::ParserFailed);
            return None;
        }
    };
    tighten_spans(&mut document, &source.text);
    check_duplicate_properties(diags, file, &document);
    check_escaped_characters(diags, file, &document);
    Some(Parsed { file, document })
}

/// Where the parser may cut `text` into parts parsed on their own threads: the offset after
/// each `\n` between top-level nodes (none when the pre-scan refuses the text). Tests use it
/// to make sure the parts are exercised.
pub fn top_level_boundaries(text: &str) -> Vec<usize> {
    let mut diags = Diagnostics::default();
    let scan = scan::scan(&mut diags, FileId::default(), text, &Limits::default());
    if scan.blocked { Vec::new() } else { scan.boundaries }
}

/// Format KDL text: parse it as KDL v2 and auto-format it, keeping comments.
///
/// Used by `berth fmt`. Formatting is idempotent: formatting the output again gives the
/// same text. On invalid input, use [`format_checked`] to get the diagnostics.
///
/// ```
/// let formatted = berth::syntax::format("a   1 // one\n").unwrap();
/// assert_eq!(formatted, "a 1 // one\n");
/// ```
pub fn format(source: &str) -> Result<String, FormatError> {
    let mut diags = Diagnostics::default();
    let file = SourceFile { name: String::new(), text: source.to_owned() };
    format_checked(&mut diags, FileId::default(), &file)
        .ok_or(FormatError::Invalid { count: diags.error_count().max(1) })
}

/// [`format`] that pushes the syntax diagnostics (with spans into `file`) on failure.
pub fn format_checked(diags: &mut Diagnostics, file: FileId, source: &SourceFile) -> Option<String> {
    let parsed = parse(diags, file, source)?;
    if diags.has_errors() {
        return None;
    }
    // Every KDL line end becomes LF (same document: multi-line strings normalise their
    // line ends anyway), then format until the text is stable: kdl-rs's formatting of
    // odd layouts can take a second pass to settle, and `fmt --check` must agree with `fmt`.
    // When the text already has LF line ends, the first pass formats the document parsed
    // above: a parse can take seconds on a large spec, so it is not repeated needlessly.
    let mut text = normalise_newlines(&source.text);
    let mut reusable = (text == source.text).then_some(parsed.document);
    for _ in 0..3 {
        let formatted = match reusable.take() {
            Some(document) => render_formatted(document, &text),
            None => format_once(diags, file, &text)?,
        };
        if formatted == text {
            break;
        }
        text = formatted;
    }
    Some(text)
}

/// One pass of kdl-rs's formatter over text known to parse.
fn format_once(diags: &mut Diagnostics, file: FileId, text: &str) -> Option<String> {
    let parsed = parse(diags, file, &SourceFile { name: String::new(), text: text.to_owned() })?;
    Some(render_formatted(parsed.document, text))
}

/// kdl-rs's formatting of a document parsed from `text`, ending with exactly one newline.
fn render_formatted(mut document: kdl::KdlDocument, text: &str) -> String {
    fmt::autoformat(&mut document, text);
    let mut out = document.to_string();
    // kdl-rs keeps the document's trailing whitespace; end with exactly one newline.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// `text` with CRLF and every other KDL line end written as LF.
fn normalise_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if crate::diag::is_newline(ch) {
            if ch == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(ch);
        }
    }
    out
}

/// Push each of kdl-rs's sub-diagnostics as our own error, so it gets a code, the file's
/// name and a sort position.
fn push_kdl_error(diags: &mut Diagnostics, file: FileId, error: &kdl::KdlError) {
    if error.diagnostics.is_empty() {
        diags.push(Some(file), SyntaxError::ParserFailed);
    }
    for diagnostic in &error.diagnostics {
        let message = diagnostic.message.clone().unwrap_or_else(|| "invalid KDL".to_owned());
        let message = lowercase_first(message.trim_end_matches('.'));
        let label = diagnostic.label.clone().unwrap_or_else(|| "here".to_owned());
        let span = Span::new(file, diagnostic.span);
        diags.at(span, SyntaxError::Kdl { message, label, span, help: diagnostic.help.clone() });
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// kdl-rs spans of entries and nodes include surrounding whitespace and terminators;
/// shrink them to the written text so labels point at exactly the value.
fn tighten_spans(document: &mut kdl::KdlDocument, text: &str) {
    for node in document.nodes_mut() {
        let span = tight(node.span(), text);
        node.set_span(span);
        for entry in node.entries_mut() {
            let span = tight(entry.span(), text);
            entry.set_span(span);
        }
        if let Some(children) = node.children_mut() {
            tighten_spans(children, text);
        }
    }
}

fn tight(span: miette::SourceSpan, text: &str) -> miette::SourceSpan {
    let start = span.offset();
    let Some(written) = text.get(start..start.saturating_add(span.len())) else {
        return span;
    };
    let trimmed_start = written.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    let offset = start + (written.len() - trimmed_start.len());
    let trimmed = trimmed_start.trim_end_matches(|c: char| c.is_whitespace() || c == ';');
    miette::SourceSpan::new(offset.into(), trimmed.len())
}

/// KDL keeps the last of repeated properties silently; report each repetition.
fn check_duplicate_properties(diags: &mut Diagnostics, file: FileId, document: &kdl::KdlDocument) {
    for node in document.nodes() {
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for entry in node.entries() {
            let Some(name) = entry.name() else { continue };
            let span = Span::new(file, entry.span());
            if let Some((_, first)) = seen.iter().find(|(seen_name, _)| *seen_name == name.value()) {
                diags.at(span, SyntaxError::DuplicateProperty { name: name.value().to_owned(), span, first: *first });
            } else {
                seen.push((name.value(), span));
            }
        }
        if let Some(children) = node.children() {
            check_duplicate_properties(diags, file, children);
        }
    }
}

/// The characters the pre-scan refuses in the text (bidi controls, invisible characters,
/// NUL) may also be written as escapes (`"\u{202E}"`): refuse them in every string, name
/// and type annotation, or they would reach the reviewed manifests (Trojan Source).
fn check_escaped_characters(diags: &mut Diagnostics, file: FileId, document: &kdl::KdlDocument) {
    for node in document.nodes() {
        let mut texts: Vec<(&str, miette::SourceSpan)> = vec![(node.name().value(), node.name().span())];
        if let Some(ty) = node.ty() {
            texts.push((ty.value(), ty.span()));
        }
        for entry in node.entries() {
            if let Some(name) = entry.name() {
                texts.push((name.value(), entry.span()));
            }
            if let Some(ty) = entry.ty() {
                texts.push((ty.value(), entry.span()));
            }
            if let kdl::KdlValue::String(text) = entry.value() {
                texts.push((text, entry.span()));
            }
        }
        for (text, range) in texts {
            if let Some(ch) = text.chars().find(|ch| scan::is_forbidden(*ch)) {
                let span = Span::new(file, range);
                diags.at(span, SyntaxError::EscapedCharacter { codepoint: format!("U+{:04X}", u32::from(ch)), span });
            }
        }
        if let Some(children) = node.children() {
            check_escaped_characters(diags, file, children);
        }
    }
}
