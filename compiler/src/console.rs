//! The command line's reading of its inputs and writing to the terminal.
//!
//! Reading: a spec or library file that cannot be opened is an I/O error (exit 2); one
//! that is too large or not UTF-8 is a mistake in the input like any other, reported at
//! its place in the chosen format (exit 1). Writing: standard output that is closed or
//! full (`| head -c1`, `>/dev/full`) is an I/O error at the end of the run, never a panic.

use super::{Common, EXIT_SPEC, EXIT_USAGE, report_diagnostics};
use berth::diag::{Diagnostics, SourceFile, Sources, Span};
use berth::driver::{Compilation, Inputs};
use berth::output::safe::{self, InputError};
use berth::syntax::SyntaxError;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The first failure to write standard output, if any.
static STDOUT_FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// Print `text` on standard output; a failure is remembered for [`stdout_failure`] and
/// later output is dropped.
pub(crate) fn out(text: &str) {
    let mut failure = STDOUT_FAILURE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if failure.is_some() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        *failure = Some(error.to_string());
    }
}

/// Why standard output could not be written, if it could not.
pub(crate) fn stdout_failure() -> Option<String> {
    STDOUT_FAILURE.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

/// The text of an input file, or the exit code once the problem is reported.
pub(crate) fn read_text(path: &Path, common: &Common) -> Result<String, u8> {
    // Bounded: a spec over the size limit (or `/dev/zero`) fails before it is read whole.
    let limit = berth::syntax::Limits::default().max_bytes;
    let result = if path == Path::new("-") {
        safe::read_limited(std::io::stdin().lock(), limit)
    } else {
        safe::read_input(path, limit)
    };
    let name = path.display().to_string();
    match result {
        Ok(text) => Ok(text),
        Err(InputError::NotUtf8 { text, offset, byte }) => {
            let len = text.get(offset..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8);
            let byte = format!("0x{byte:02X}");
            Err(refuse(SourceFile { name, text }, offset, len, |span| SyntaxError::NotUtf8 { byte, span }, common))
        }
        Err(InputError::TooLarge { limit, text }) => {
            let offset = text.len();
            Err(refuse(SourceFile { name, text }, offset, 0, |span| SyntaxError::TooLarge { limit, span }, common))
        }
        Err(error) => {
            eprintln!("error: cannot read {name}: {error}");
            Err(EXIT_USAGE)
        }
    }
}

/// Report one syntax error at `offset` in `file` as `check` reports any other.
fn refuse(file: SourceFile, offset: usize, len: usize, error: impl FnOnce(Span) -> SyntaxError, common: &Common) -> u8 {
    let mut sources = Sources::default();
    let id = sources.add(file);
    let span = Span { file: id, offset, len };
    let mut diagnostics = Diagnostics::default();
    diagnostics.at(span, error(span));
    report_diagnostics(&Compilation { sources, diagnostics, ..Compilation::default() }, common);
    EXIT_SPEC
}

/// The spec and every `*.kdl` file of the library folders, or the exit code once the
/// problem is reported.
pub(crate) fn read_inputs(spec: &Path, libs: &[PathBuf], common: &Common) -> Result<Inputs, u8> {
    let text = read_text(spec, common)?;
    let mut libraries = Vec::new();
    for dir in libs {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                eprintln!("error: cannot read library folder {}: {error}", dir.display());
                return Err(EXIT_USAGE);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "kdl"))
            .collect();
        paths.sort(); // directory order is not stable across machines
        for path in paths {
            let text = read_text(&path, common)?;
            libraries.push(SourceFile { name: path.display().to_string(), text });
        }
    }
    let files = berth::output::safe::spec_files(spec);
    Ok(Inputs { spec: SourceFile { name: spec.display().to_string(), text }, libraries, files })
}
