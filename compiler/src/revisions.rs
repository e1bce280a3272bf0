//! `berth diff`: two revisions of a spec (two files, or a file and its version at a git
//! revision) compiled side by side and compared (part of the binary, like `console.rs`).

use crate::{Color, Common, DiffFormat, EXIT_OK, EXIT_SPEC, EXIT_USAGE, Format, console, report_diagnostics, today};
use berth::diag::SourceFile;
use berth::driver::{self, Compilation, Inputs, Options};
use berth::output::{diff as tree_diff, review, risk};
use berth::syntax::{Budget, Limits, Split};
use std::io::IsTerminal;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

pub(crate) fn diff(
    specs: &[PathBuf],
    base: Option<&str>,
    format: DiffFormat,
    exit_code: bool,
    libs: &[PathBuf],
    color: Color,
) -> u8 {
    let common = Common { libs: Vec::new(), format: Format::Human, color, deny: Vec::new() };
    let (old_inputs, new_inputs) = match specs {
        [old, new] => {
            if base.is_some() {
                eprintln!("error: give either --base REV and one SPEC, or OLD and NEW");
                return EXIT_USAGE;
            }
            let old = match console::read_inputs(&spec_file(old), libs, &common) {
                Ok(inputs) => inputs,
                Err(code) => return code,
            };
            let new = match console::read_inputs(&spec_file(new), libs, &common) {
                Ok(inputs) => inputs,
                Err(code) => return code,
            };
            (Some(old), new)
        }
        [spec] => {
            let spec = spec_file(spec);
            let new = match console::read_inputs(&spec, libs, &common) {
                Ok(inputs) => inputs,
                Err(code) => return code,
            };
            let rev = match base {
                Some(rev) => rev.to_owned(),
                None => match default_base(&spec) {
                    Some(rev) => rev,
                    None => {
                        eprintln!("error: cannot find a merge base with origin/HEAD, main or master; give --base REV");
                        return EXIT_USAGE;
                    }
                },
            };
            let old = match git_show(&rev, &spec) {
                Err(()) => return EXIT_USAGE,
                Ok(Some(text)) => {
                    let name = format!("{}@{rev}", spec.display());
                    Some(Inputs {
                        spec: SourceFile { name, text },
                        libraries: new.libraries.clone(),
                        files: new.files.clone(),
                    })
                }
                Ok(None) => {
                    eprintln!("note: {} does not exist at {rev}; every resource is new", spec.display());
                    None
                }
            };
            (old, new)
        }
        _ => {
            eprintln!("error: give SPEC (with --base REV) or OLD NEW");
            return EXIT_USAGE;
        }
    };
    // Both revisions at once, their KDL parses paid out of one budget (a parse out of budget
    // cannot be stopped: two budgets would cost twice the processor time). The new revision's
    // errors are reported first and end the run, the old one's compilation abandoned; the old
    // one's errors count only when the new one has none. No spec at the base: an empty estate.
    let budget = Budget::new(Limits::default().timeout_seconds);
    let options = Options { today: today(), parse_budget: Some(budget), ..Options::default() };
    let old_name = old_inputs.as_ref().map_or_else(|| "the old revision".to_owned(), |inputs| inputs.spec.name.clone());
    let old = Old::start(old_inputs, &options);
    let new = ManuallyDrop::new(driver::compile(&new_inputs, &options));
    if stop_at_errors(&new, &new_inputs.spec.name, &common) {
        return EXIT_SPEC;
    }
    let old = ManuallyDrop::new(old.finish(&options));
    if stop_at_errors(&old, &old_name, &common) {
        return EXIT_SPEC;
    }
    let diff = tree_diff::diff(&old.tree, &new.tree);
    let risks = risk::assess(
        &diff,
        risk::Revision { estate: old.estate.as_ref(), spec: old.spec.as_ref() },
        risk::Revision { estate: new.estate.as_ref(), spec: new.spec.as_ref() },
    );
    let result = review::Review { diff, risks };
    let text = match format {
        DiffFormat::Terminal => {
            let painted = match color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => std::io::stdout().is_terminal(),
            };
            review::render_terminal(&result, painted)
        }
        DiffFormat::Markdown => review::render_markdown(&result, review::GITHUB_COMMENT_LIMIT),
        DiffFormat::Json => review::render_json(&result) + "\n",
    };
    console::out(&text);
    if exit_code && !result.is_empty() { EXIT_SPEC } else { EXIT_OK }
}

/// Report a revision's diagnostics; whether it has errors (then said, and the diff stops).
fn stop_at_errors(compilation: &Compilation, name: &str, common: &Common) -> bool {
    report_diagnostics(compilation, common);
    if compilation.has_errors() {
        eprintln!("error: {name} has errors; nothing to compare");
    }
    compilation.has_errors()
}

/// The old revision's compilation: running on its own thread, or still to do (one thread
/// allowed, `BERTH_THREADS=1`, or none could be started), or nothing at the base.
enum Old {
    Running(std::thread::JoinHandle<Compilation>),
    Later(Inputs),
    Absent,
}

/// Stack of the old revision's thread: the main thread's usual 8 MiB, with room to spare.
const OLD_REVISION_STACK_BYTES: usize = 64 * 1024 * 1024;

impl Old {
    fn start(inputs: Option<Inputs>, options: &Options) -> Self {
        let Some(inputs) = inputs else { return Self::Absent };
        if Split::default().threads < 2 {
            return Self::Later(inputs);
        }
        let (thread_inputs, thread_options) = (inputs.clone(), options.clone());
        let spawned = std::thread::Builder::new()
            .name("berth-old-revision".into())
            .stack_size(OLD_REVISION_STACK_BYTES)
            .spawn(move || driver::compile(&thread_inputs, &thread_options));
        spawned.map_or(Self::Later(inputs), Self::Running)
    }

    fn finish(self, options: &Options) -> Compilation {
        match self {
            // A panic on that thread is this thread's panic, as if compiled here.
            Self::Running(handle) => handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
            Self::Later(inputs) => driver::compile(&inputs, options),
            Self::Absent => Compilation::default(),
        }
    }
}

/// A spec path, or the `berth.kdl` / `spec.kdl` inside a folder.
fn spec_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        for name in ["berth.kdl", "spec.kdl"] {
            let candidate = path.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    path.to_path_buf()
}

/// Run git in `dir`: its stdout, or its stderr as the error.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if output.status.success() {
        String::from_utf8(output.stdout).map_err(|_| "git printed non-UTF-8 text".to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

fn spec_dir(spec: &Path) -> PathBuf {
    match spec.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The merge base of HEAD with the default branch: origin/HEAD, else main, else master.
fn default_base(spec: &Path) -> Option<String> {
    let dir = spec_dir(spec);
    ["origin/HEAD", "main", "master"]
        .iter()
        .find_map(|branch| git(&dir, &["merge-base", "HEAD", branch]).ok())
        .map(|rev| rev.trim().to_owned())
}

/// The spec's text at `rev`, read from git objects; `Ok(None)` when `rev` is a commit
/// without that file (the spec is new), `Err` (already reported) on any other failure.
fn git_show(rev: &str, spec: &Path) -> Result<Option<String>, ()> {
    if rev.starts_with('-') || rev.contains(':') {
        eprintln!("error: `{rev}` is not a revision");
        return Err(());
    }
    let dir = spec_dir(spec);
    let relative = git(&dir, &["rev-parse", "--show-toplevel"]).ok().and_then(|top| {
        let top = std::fs::canonicalize(top.trim()).ok()?;
        let absolute = std::fs::canonicalize(spec).ok()?;
        let relative = absolute.strip_prefix(&top).ok()?;
        Some((
            top.clone(),
            relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        ))
    });
    let Some((top, relative)) = relative else {
        eprintln!("error: {} is not inside a git work tree", spec.display());
        return Err(());
    };
    if let Err(message) = git(&top, &["rev-parse", "--verify", &format!("{rev}^{{commit}}")]) {
        eprintln!("error: `{rev}` is not a commit: {message}");
        return Err(());
    }
    if git(&top, &["cat-file", "-e", &format!("{rev}:{relative}")]).is_err() {
        return Ok(None);
    }
    match git(&top, &["show", &format!("{rev}:{relative}")]) {
        Ok(text) => Ok(Some(text)),
        Err(message) => {
            eprintln!("error: cannot read {relative} at {rev}: {message}");
            Err(())
        }
    }
}
