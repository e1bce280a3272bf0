//! Files next to the spec that `type="file"` backing-kind properties name (init SQL).
//!
//! The core never touches the filesystem: the caller hands a [`SpecFiles`] reader to
//! `driver::compile` (`main.rs` reads below the spec's folder without following links;
//! tests use a map). Here each path is checked to be a plain relative path inside the
//! spec's folder before it is read, and the text to be bounded plain text, so templates
//! get it as a string.

use super::Ctx;
use crate::diag::{Span, Spanned};
use crate::model::bounds::SPEC_FILE_BYTES;
use miette::Diagnostic;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use thiserror::Error;

/// A reader of the spec's companion files: `read("db/init.sql")` is that file's text,
/// relative to the spec's folder, or why it cannot be read.
pub type ReadSpecFile = dyn Fn(&str) -> Result<String, String> + Send + Sync;

/// How a compilation reads files next to the spec. The default reads none (a spec from
/// standard input has no folder).
#[derive(Clone, Default)]
pub struct SpecFiles(Option<Arc<ReadSpecFile>>);

impl fmt::Debug for SpecFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "SpecFiles(reader)" } else { "SpecFiles(none)" })
    }
}

impl SpecFiles {
    /// Files read by `read` (a path relative to the spec's folder, already checked plain).
    pub fn new(read: impl Fn(&str) -> Result<String, String> + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(read)))
    }

    /// Files from a map of relative paths to texts (tests, the language server's buffers).
    pub fn from_map(files: BTreeMap<String, String>) -> Self {
        Self::new(move |path| files.get(path).cloned().ok_or_else(|| "no such file".to_owned()))
    }

    fn read(&self, path: &str) -> Result<String, String> {
        match &self.0 {
            Some(read) => read(path),
            None => Err("this spec has no folder to read it from (it was not read from a file)".to_owned()),
        }
    }
}

/// A `type="file"` property whose file cannot be used.
#[derive(Debug, Error, Diagnostic)]
pub enum SpecFileError {
    /// Not a plain relative path inside the spec's folder.
    #[error("`{property}` must name a file inside the spec's folder, not `{path}`")]
    #[diagnostic(
        code(resolve::spec_file_path),
        help(
            "write a path relative to the spec's folder with `/` between names and no `..`, such as `{property}=\"db/init.sql\"`"
        )
    )]
    Path {
        /// Property.
        property: String,
        /// The path written.
        path: String,
        /// The value.
        #[label("outside the spec's folder")]
        span: Span,
    },
    /// The file could not be read (missing, a link, a folder, too large, not UTF-8).
    #[error("cannot read `{path}` for `{property}`: {reason}")]
    #[diagnostic(
        code(resolve::spec_file_unreadable),
        help(
            "put a regular text file (UTF-8, at most {limit} bytes, no symbolic link) at that path, relative to the spec's folder"
        )
    )]
    Unreadable {
        /// Property.
        property: String,
        /// The path written.
        path: String,
        /// Why.
        reason: String,
        /// The size limit.
        limit: usize,
        /// The value.
        #[label("this file")]
        span: Span,
    },
}

/// Whether `path` is a plain relative path: `/`-separated names, none empty, `.` or `..`,
/// no leading `/`, no `\` or NUL (so it cannot leave the spec's folder).
fn is_plain(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

/// The text of the file a `type="file"` property names, or `None` after reporting why
/// not (once per value, however many views read it).
pub(super) fn load(cx: &mut Ctx<'_>, property: &str, path: &Spanned<String>) -> Option<String> {
    let span = path.span;
    let error = if is_plain(&path.value) {
        match cx.spec_files.read(&path.value).and_then(|text| plain_text(&text).map(|()| text)) {
            Ok(text) => return Some(text),
            Err(reason) => SpecFileError::Unreadable {
                property: property.to_owned(),
                path: path.value.clone(),
                reason,
                limit: SPEC_FILE_BYTES,
                span,
            },
        }
    } else {
        SpecFileError::Path { property: property.to_owned(), path: path.value.clone(), span }
    };
    if cx.reported.insert((span, error.to_string())) {
        cx.diags.at(span, error);
    }
    None
}

/// The text is within the bound and has no control characters but tab and line breaks
/// (init SQL is text; a NUL or escape sequence is a file picked by mistake).
fn plain_text(text: &str) -> Result<(), String> {
    if text.len() > SPEC_FILE_BYTES {
        return Err(format!("it has {} bytes, more than the limit of {SPEC_FILE_BYTES}", text.len()));
    }
    match text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        Some(c) => Err(format!("it holds the control character U+{:04X}; it is not a text file", u32::from(c))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_inside_the_folder() {
        assert!(is_plain("init.sql"));
        assert!(is_plain("db/seed/01-schema.sql"));
        for bad in ["", "/etc/passwd", "../x.sql", "db/../../x", "./x.sql", "db//x", "db/", "c:\\x", "a\0b"] {
            assert!(!is_plain(bad), "{bad:?}");
        }
    }

    #[test]
    fn text_is_bounded_and_plain() {
        assert!(plain_text("create table t (id int);\r\n\tinsert into t values (1);\n").is_ok());
        assert!(plain_text("a\u{1b}[31m").unwrap_err().contains("U+001B"));
        assert!(plain_text(&"x".repeat(SPEC_FILE_BYTES + 1)).unwrap_err().contains("more than the limit"));
    }
}
