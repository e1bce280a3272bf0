//! Shared diagnostic vocabulary: source files, spans and the diagnostics sink.
//!
//! Every stage pushes into a [`Diagnostics`] sink and returns its best product; nothing
//! here renders (that is `output::report`). A [`Span`] names its file, because the spec,
//! the embedded stdlib and a user library are different files.

use miette::{Diagnostic, SourceSpan};

/// Whether `ch` ends a line in KDL v2: LF, CR (CRLF counts once), NEL, VT, FF, LS and PS.
/// Line numbers in every report count these.
pub fn is_newline(ch: char) -> bool {
    matches!(ch, '\n' | '\r' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}')
}

/// Index of a file in [`Sources`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    schemars::JsonSchema,
    serde::Deserialize,
)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema, serde::Deserialize,
)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

impl Span {
    /// A span from a file and a kdl/miette `SourceSpan`.
    pub fn new(file: FileId, range: SourceSpan) -> Self {
        Self { file, offset: range.offset(), len: range.len() }
    }

    /// The miette range, without the file.
    pub fn range(self) -> SourceSpan {
        SourceSpan::new(self.offset.into(), self.len)
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        span.range()
    }
}

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pair a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

/// One input text: the spec, an embedded stdlib file or a user library file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Name shown in diagnostics: a path as the user gave it, or `<stdlib/...>`.
    pub name: String,
    /// The full text.
    pub text: String,
}

/// All files of one compilation; a [`FileId`] indexes into it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Add a file and return its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// The file with this id, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

/// Severity of a collected diagnostic (mirrors `miette::Severity`, with an order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Information only.
    Advice,
    /// Does not block output.
    Warning,
    /// Blocks output; exit code 1.
    Error,
}

/// One collected diagnostic with the file of its primary span.
#[derive(Debug)]
pub struct Collected {
    /// The file the labels point into, if the diagnostic has labels.
    pub file: Option<FileId>,
    /// The diagnostic itself; renderers read it through the `miette::Diagnostic` trait.
    pub diagnostic: Box<dyn Diagnostic + Send + Sync + 'static>,
}

impl Collected {
    /// The severity; miette's default (none given) is an error.
    pub fn severity(&self) -> Severity {
        match self.diagnostic.severity() {
            Some(miette::Severity::Advice) => Severity::Advice,
            Some(miette::Severity::Warning) => Severity::Warning,
            Some(miette::Severity::Error) | None => Severity::Error,
        }
    }

    /// Byte offset of the first label, for sorting.
    pub fn offset(&self) -> usize {
        self.diagnostic.labels().and_then(|mut labels| labels.next()).map_or(0, |label| label.offset())
    }
}

/// The sink every stage pushes into. Stages never stop on the first error.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Collected>,
}

impl Diagnostics {
    /// Push a diagnostic whose labels point into `span.file`.
    pub fn at<D: Diagnostic + Send + Sync + 'static>(&mut self, span: Span, diagnostic: D) {
        self.push(Some(span.file), diagnostic);
    }

    /// Push a diagnostic; `file` is the file its labels point into (none for file-less errors).
    pub fn push<D: Diagnostic + Send + Sync + 'static>(&mut self, file: Option<FileId>, diagnostic: D) {
        self.items.push(Collected { file, diagnostic: Box::new(diagnostic) });
    }

    /// Push an already boxed diagnostic.
    pub fn push_boxed(&mut self, file: Option<FileId>, diagnostic: Box<dyn Diagnostic + Send + Sync + 'static>) {
        self.items.push(Collected { file, diagnostic });
    }

    /// Whether any error (not warning) was pushed.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity() == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity() == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity() == Severity::Warning).count()
    }

    /// All diagnostics in a deterministic order: by file, then by offset, then as pushed.
    pub fn sorted(&self) -> Vec<&Collected> {
        let mut items: Vec<&Collected> = self.items.iter().collect();
        items.sort_by_key(|d| (d.file, d.offset()));
        items
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Move all diagnostics of `other` into this sink.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }
}

/// The did-you-mean rule, the one every stage uses: the candidate closest to `name` by
/// Damerau-Levenshtein distance (a swap of two letters is one edit) when it is at most a
/// third of the longer word's length (at least 1), for typos; otherwise the candidate most
/// like it by Jaro-Winkler similarity above 0.8, for shortened or lengthened names
/// (`production` for `prod`). Ties go to the first candidate.
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let typo = candidates
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(name.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate);
    typo.or_else(|| {
        candidates
            .iter()
            .map(|candidate| (strsim::jaro_winkler(name, candidate), *candidate))
            .filter(|(score, _)| *score > 0.8)
            .fold(None, |best: Option<(f64, &str)>, (score, candidate)| match best {
                Some((top, _)) if top >= score => best,
                _ => Some((score, candidate)),
            })
            .map(|(_, candidate)| candidate)
    })
}

/// What a did-you-mean help says when no candidate is close ([`did_you_mean`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Otherwise {
    /// A closed vocabulary (node or property names): `expected one of `a`, `b``, in the
    /// order given; `remove it` when nothing is allowed.
    Vocabulary,
    /// Names the spec or library declares: `known: `a`, `b``, sorted, each once, the
    /// first 12; `nothing of this kind is declared` when there are none.
    Declared,
    /// The values of a choice: `write one of `a`, `b``, in the order given.
    Choices,
    /// A fixed help, for names with no list worth showing (such as policy ids).
    Say(&'static str),
}

/// Names listed by [`Otherwise::Declared`].
const MAX_DECLARED_LISTED: usize = 12;

/// The did-you-mean help of every stage: "did you mean `x`?" for the [`closest`]
/// candidate, else what `otherwise` says.
pub fn did_you_mean<I>(name: &str, candidates: I, otherwise: Otherwise) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let candidates: Vec<I::Item> = candidates.into_iter().collect();
    let mut names: Vec<&str> = candidates.iter().map(AsRef::as_ref).collect();
    if let Some(candidate) = closest(name, names.iter().copied()) {
        return meant(candidate);
    }
    match otherwise {
        Otherwise::Vocabulary if names.is_empty() => "remove it".to_owned(),
        Otherwise::Vocabulary => format!("expected one of {}", backticked(&names)),
        Otherwise::Declared if names.is_empty() => "nothing of this kind is declared".to_owned(),
        Otherwise::Declared => {
            names.sort_unstable();
            names.dedup();
            names.truncate(MAX_DECLARED_LISTED);
            format!("known: {}", backticked(&names))
        }
        Otherwise::Choices => format!("write one of {}", backticked(&names)),
        Otherwise::Say(help) => help.to_owned(),
    }
}

/// "did you mean `x`?": the one wording of a suggestion, which [`suggested`] reads back
/// (the language server's quick fix). Callers that already know what to suggest (a
/// qualified name, a unit) use it directly; everything else goes through [`did_you_mean`].
pub fn meant(suggestion: impl std::fmt::Display) -> String {
    format!("{DID_YOU_MEAN}{suggestion}`?")
}

/// The opening of [`meant`].
const DID_YOU_MEAN: &str = "did you mean `";

/// The name a [`meant`] help suggests in a diagnostic's message, if it is a single word.
pub fn suggested(message: &str) -> Option<&str> {
    let rest = message.split(DID_YOU_MEAN).nth(1)?;
    let name = rest.split('`').next()?;
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some(name)
}

/// `` `a`, `b`, `c` ``.
pub fn backticked(items: &[&str]) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::{Otherwise, closest, did_you_mean, meant, suggested};

    #[test]
    fn closest_suggests_likely_typos_only() {
        assert_eq!(closest("sevice", ["service", "worker", "job"]), Some("service"));
        assert_eq!(closest("wokrer", ["service", "worker", "job"]), Some("worker"));
        assert_eq!(closest("jb", ["service", "worker", "job"]), Some("job"));
        assert_eq!(closest("database", ["service", "worker", "job"]), None);
        assert_eq!(closest("x", std::iter::empty()), None);
        assert_eq!(closest("prod", ["dev", "production"]), Some("production"));
        assert_eq!(closest("latest-tag", ["latest-image-tag", "run-as-root"]), Some("latest-image-tag"));
    }

    #[test]
    fn did_you_mean_suggests_or_says_what_otherwise() {
        assert_eq!(did_you_mean("sevice", ["service", "worker"], Otherwise::Vocabulary), "did you mean `service`?");
        assert_eq!(
            did_you_mean("database", ["service", "worker"], Otherwise::Vocabulary),
            "expected one of `service`, `worker`"
        );
        assert_eq!(did_you_mean("x", [""; 0], Otherwise::Vocabulary), "remove it");
        assert_eq!(
            did_you_mean("database", ["worker", "service", "worker"], Otherwise::Declared),
            "known: `service`, `worker`"
        );
        assert_eq!(did_you_mean("x", Vec::<String>::new(), Otherwise::Declared), "nothing of this kind is declared");
        let many: Vec<String> = (0..15).map(|n| format!("name{n:02}")).collect();
        let help = did_you_mean("zzzzzzzz", &many, Otherwise::Declared);
        assert!(help.ends_with("`name11`"), "{help}");
        assert_eq!(did_you_mean("blue", ["rolling", "canary"], Otherwise::Choices), "write one of `rolling`, `canary`");
        assert_eq!(did_you_mean("zzz", ["no-latest"], Otherwise::Say("name a policy")), "name a policy");
    }

    #[test]
    fn suggested_reads_back_what_meant_wrote() {
        assert_eq!(suggested(&format!("unknown node; {}", meant("service"))), Some("service"));
        assert_eq!(suggested(&meant("uses \"a/b\"")), None);
        assert_eq!(suggested("expected one of `a`"), None);
    }
}
