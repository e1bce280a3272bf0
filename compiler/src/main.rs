//! The `berth` command line: read, compile, render, write. Exit codes: 0 success; 1 the spec
//! has errors (or `--check` found a difference); 2 usage or I/O errors. Only this file and
//! `output` touch the filesystem. Compilations are never dropped (`ManuallyDrop`): exiting frees them faster.

/// `eprintln!` that never panics: with stderr closed or full there is no one to tell.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that never panics.
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod allocator;
mod console;
mod revisions;

use berth::diag::{Diagnostics, SourceFile};
use berth::driver::{self, Compilation, Options};
use berth::output::report::{self, ReportFormat};
use berth::output::{diff as tree_diff, file, write};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{collections::BTreeMap, mem::ManuallyDrop};

/// Berth compiles one KDL spec of a microservice estate (domains, services, backing
/// services, environments, target clouds) into reviewable Kubernetes manifests.
///
/// Start with `berth init`, edit `berth.kdl`, then `berth check berth.kdl` and
/// `berth build berth.kdl -o out`. The language reference is docs/language.md.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a spec and report every problem; writes nothing.
    ///
    /// Exit 0 when the spec is valid, 1 when it has errors, 2 when it cannot be read.
    Check {
        /// The spec file (`-` reads standard input).
        spec: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Compile a spec into Kubernetes manifests under an output directory.
    ///
    /// Files land at DIR/<environment>/<target>/<domain>/<kind>-<name>.yaml, one object
    /// per file. Nothing is written when the spec has any error. A record of written
    /// files (DIR/.berth/manifest.json) lets a rebuild remove stale files it wrote; files
    /// berth did not write are never touched.
    Build {
        /// The spec file.
        spec: PathBuf,
        /// Output directory (created if missing).
        #[arg(short, long, value_name = "DIR", required_unless_present = "check")]
        out: Option<PathBuf>,
        /// Write nothing: compare what would be written with the committed output in DIR,
        /// list the differences and exit 1 when DIR is stale (for CI).
        #[arg(long, value_name = "DIR", conflicts_with = "out")]
        check: Option<PathBuf>,
        /// Only build this environment.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Only build this target.
        #[arg(long, value_name = "TARGET")]
        target: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Compare two revisions of a spec resource by resource, for pull-request previews.
    ///
    /// `berth diff OLD NEW` compares two spec files (or folders holding `berth.kdl` or
    /// `spec.kdl`). `berth diff SPEC` compares SPEC with its version at `--base`, read
    /// from git objects (no checkout); the default base is the merge base of HEAD with
    /// origin/HEAD, else with main or master. Exit 0; with --exit-code, 1 when anything
    /// differs; 1 when a revision has errors; 2 on usage, git or I/O errors.
    Diff {
        /// SPEC (compared with --base), or OLD NEW.
        #[arg(num_args = 1..=2, required = true, value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// The git revision to compare SPEC with.
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// How to print the diff.
        #[arg(long, value_enum, default_value_t = DiffFormat::Terminal)]
        format: DiffFormat,
        /// Exit 1 when anything differs.
        #[arg(long)]
        exit_code: bool,
        /// A user library folder, used for both revisions. May be repeated.
        #[arg(long = "lib", value_name = "DIR")]
        libs: Vec<PathBuf>,
        /// When to colour terminal output.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// Print the estate's call graph: domains as clusters, services, workers, jobs,
    /// backing services and external endpoints, edges labelled with ports.
    ///
    /// Shows one environment (the first unless --env). Exit 1 when the spec has errors,
    /// 2 when it cannot be read or the environment does not exist.
    Graph {
        /// The spec file.
        spec: PathBuf,
        /// Output syntax: Mermaid (renders in GitHub Markdown) or Graphviz DOT.
        #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
        format: GraphFormatArg,
        /// The environment to show.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// A user library folder. May be repeated; later folders win.
        #[arg(long = "lib", value_name = "DIR")]
        libs: Vec<PathBuf>,
    },
    /// Format a spec in place (comments are kept).
    Fmt {
        /// The spec file.
        spec: PathBuf,
        /// Do not write; exit 1 if the file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Record a new image digest for one workload in the spec, in place (comments and
    /// layout kept; one line changes), as a pipeline's deploy step does.
    ///
    /// Without --env the workload's own `image` gets `digest=`; with it, the `image` of
    /// its `in "<env>"` block (added when missing). Exit 0 when written, 1 when the
    /// workload or digest is wrong, 2 when the spec cannot be read or written.
    SetImage {
        /// The workload, as `<domain>/<workload>`.
        #[arg(value_name = "DOMAIN/WORKLOAD")]
        workload: String,
        /// The pushed image's digest, `sha256:<64 hex digits>`.
        #[arg(long)]
        digest: String,
        /// Also set the tag.
        #[arg(long)]
        tag: Option<String>,
        /// Record it for this environment only.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// The spec file.
        #[arg(default_value = "berth.kdl")]
        spec: PathBuf,
    },
    /// Write a commented starter spec to get going.
    Init {
        /// Where to write it.
        #[arg(default_value = "berth.kdl")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print the JSON Schema of the resolved model (the estate), as committed in
    /// schemas/berth-estate.schema.json.
    Schema,
    /// Print the resolved estate as JSON: what policies and templates see, in the shape
    /// `berth schema` describes.
    ///
    /// Printed whenever the spec resolves; exit 1 when it has errors (policy findings
    /// included), 2 when it cannot be read or no view matches --env/--target.
    Inspect {
        /// The spec file.
        spec: PathBuf,
        /// Only this environment's views.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Only this target's views.
        #[arg(long, value_name = "TARGET")]
        target: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Run the language server on stdin/stdout, for editors (editors/README.md).
    Lsp,
}

#[derive(Debug, clap::Args)]
struct Common {
    /// A user library folder: its *.kdl files add or override cloud profiles,
    /// backing-service kinds and defaults. May be repeated; later folders win.
    #[arg(long = "lib", value_name = "DIR")]
    libs: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Treat these diagnostics as failures: `--deny warnings` exits 1 (and writes
    /// nothing) when there is any warning.
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
}

impl Common {
    /// Human diagnostics, no library: what `fmt` and `set-image` report with.
    fn human() -> Self {
        Self { libs: Vec::new(), format: Format::Human, color: Color::Auto, deny: Vec::new() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Deny {
    /// Any warning fails the command.
    Warnings,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Source snippets with labels (plain text when stderr is not a terminal).
    Human,
    /// A JSON array of diagnostics, for tools.
    Json,
    /// A SARIF 2.1.0 log on stdout, for GitHub code scanning (upload-sarif).
    Sarif,
    /// GitHub Actions workflow commands on stdout: annotations on the spec lines.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DiffFormat {
    /// Grouped by environment, target and domain; coloured when stdout is a terminal.
    Terminal,
    /// A pull-request comment (summary tables, collapsible details, size-limited).
    Markdown,
    /// Machine-readable.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

const EXIT_OK: u8 = 0;
const EXIT_SPEC: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            let code = if error.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check { spec, common } => check(&spec, &common),
        Command::Build { spec, out, env, target, check, common } => match (check, out) {
            (Some(dir), _) => build_check(&spec, &dir, env, target, &common),
            (None, Some(out)) => build(&spec, &out, env, target, &common),
            (None, None) => EXIT_USAGE,
        },
        Command::Diff { specs, base, format, exit_code, libs, color } => {
            revisions::diff(&specs, base.as_deref(), format, exit_code, &libs, color)
        }
        Command::Graph { spec, format, env, libs } => graph(&spec, format, env.as_deref(), libs),
        Command::Fmt { spec, check } => fmt(&spec, check),
        Command::Init { path, force } => init(&path, force),
        Command::SetImage { workload, digest, tag, env, spec } => {
            set_image(&spec, &workload, &digest, tag.as_deref(), env.as_deref())
        }
        Command::Schema => {
            console::out(&berth::resolve::schema::estate_schema_text());
            EXIT_OK
        }
        Command::Inspect { spec, env, target, common } => inspect(&spec, env, target, &common),
        Command::Lsp => berth::lsp::serve(today()),
    };
    if let Some(failure) = console::stdout_failure() {
        eprintln!("error: cannot write to standard output: {failure}");
        return ExitCode::from(EXIT_USAGE);
    }
    ExitCode::from(code)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormatArg {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

fn graph(spec: &Path, format: GraphFormatArg, env: Option<&str>, libs: Vec<PathBuf>) -> u8 {
    // `--format` names the graph syntax here; diagnostics print as `check` prints them.
    let common = Common { libs, format: Format::Human, color: Color::Auto, deny: Vec::new() };
    let inputs = match console::read_inputs(spec, &common.libs, &common) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let compilation = driver::compile(&inputs, &Options { today: today(), ..Options::default() });
    report_diagnostics(&compilation, &common);
    if failed(&compilation, &common) {
        return EXIT_SPEC;
    }
    let Some(estate) = &compilation.estate else { return EXIT_SPEC };
    let format = match format {
        GraphFormatArg::Mermaid => berth::output::graph::GraphFormat::Mermaid,
        GraphFormatArg::Dot => berth::output::graph::GraphFormat::Dot,
    };
    match berth::output::graph::render(estate, env, format) {
        Some(text) => {
            console::out(&text);
            EXIT_OK
        }
        None => {
            eprintln!("error: no environment `{}` in {}", env.unwrap_or_default(), spec.display());
            EXIT_USAGE
        }
    }
}

fn inspect(spec: &Path, env: Option<String>, target: Option<String>, common: &Common) -> u8 {
    let inputs = match console::read_inputs(spec, &common.libs, common) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let options = Options { env: env.clone(), target: target.clone(), today: today(), ..Options::default() };
    let compilation = driver::compile(&inputs, &options);
    report_diagnostics(&compilation, common);
    let Some(estate) = &compilation.estate else { return EXIT_SPEC };
    if estate.views.is_empty() && (env.is_some() || target.is_some()) {
        eprintln!("error: no environment/target pair matches --env {env:?} --target {target:?}");
        return EXIT_USAGE;
    }
    console::out(&berth::resolve::schema::estate_json(estate));
    if failed(&compilation, common) { EXIT_SPEC } else { EXIT_OK }
}

fn check(spec: &Path, common: &Common) -> u8 {
    let inputs = match console::read_inputs(spec, &common.libs, common) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let compilation = ManuallyDrop::new(driver::compile(&inputs, &Options { today: today(), ..Options::default() }));
    report_diagnostics(&compilation, common);
    if failed(&compilation, common) { EXIT_SPEC } else { EXIT_OK }
}

fn build(spec: &Path, out: &Path, env: Option<String>, target: Option<String>, common: &Common) -> u8 {
    let inputs = match console::read_inputs(spec, &common.libs, common) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let options = Options { env: env.clone(), target: target.clone(), today: today(), ..Options::default() };
    let compilation = ManuallyDrop::new(driver::compile(&inputs, &options));
    report_diagnostics(&compilation, common);
    if failed(&compilation, common) {
        return EXIT_SPEC;
    }
    if let Some(estate) = &compilation.estate
        && estate.views.is_empty()
        && (env.is_some() || target.is_some())
    {
        eprintln!("error: no environment/target pair matches --env {env:?} --target {target:?}");
        return EXIT_USAGE;
    }
    let scope = write::Scope { env, target };
    // Estate-wide files (docs/) describe the whole estate: only an unscoped build writes them.
    let mut files = ManuallyDrop::new(file::files(&compilation.tree));
    files.retain(|path, _| scope.owns(path));
    let waiting = || eprintln!("waiting for another berth build writing to {}", out.display());
    match write::write_tree(out, &files, &scope, &waiting) {
        Ok(summary) => {
            eprintln!(
                "wrote {} files to {} ({} changed, {} unchanged, {} removed)",
                files.len(),
                out.display(),
                summary.written.len(),
                summary.unchanged,
                summary.removed.len()
            );
            for kept in &summary.kept_edited {
                eprintln!("warning: `{kept}` is no longer produced but was edited by hand; left in place");
            }
            EXIT_OK
        }
        Err(error) => {
            eprintln!("{:?}", miette::Report::new(error));
            EXIT_USAGE
        }
    }
}

fn fmt(spec: &Path, check: bool) -> u8 {
    let text = match console::read_text(spec, &Common::human()) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let file = SourceFile { name: spec.display().to_string(), text };
    let mut sources = berth::diag::Sources::default();
    let mut diags = Diagnostics::default();
    let id = sources.add(file.clone());
    let Some(formatted) = berth::syntax::format_checked(&mut diags, id, &file) else {
        eprint!("{}", report::render(&sources, &diags, human_format(Color::Auto), false));
        return EXIT_SPEC;
    };
    if formatted == file.text {
        return EXIT_OK;
    }
    if check {
        eprintln!("{} is not formatted; run `berth fmt {}`", spec.display(), spec.display());
        return EXIT_SPEC;
    }
    match write_single(spec, &formatted) {
        Ok(()) => EXIT_OK,
        Err(error) => {
            eprintln!("error: cannot write {}: {error}", spec.display());
            EXIT_USAGE
        }
    }
}

fn set_image(spec: &Path, workload: &str, digest: &str, tag: Option<&str>, env: Option<&str>) -> u8 {
    let Some((domain, name)) = workload.split_once('/') else {
        eprintln!(
            "error: `{workload}` is not `<domain>/<workload>`\n  help: name the workload with its domain, e.g. `order/order-api`"
        );
        return EXIT_USAGE;
    };
    let text = match console::read_text(spec, &Common::human()) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let edit = berth::model::edit::ImageEdit { domain, workload: name, env, digest, tag };
    match berth::model::edit::set_image(&text, &edit) {
        Ok(edited) if edited == text => EXIT_OK,
        Ok(edited) => match write_single(spec, &edited) {
            Ok(()) => EXIT_OK,
            Err(error) => {
                eprintln!("error: cannot write {}: {error}", spec.display());
                EXIT_USAGE
            }
        },
        Err(error) => {
            eprintln!("error: {}\n  help: {}", error.message, error.help);
            EXIT_SPEC
        }
    }
}

fn init(path: &Path, force: bool) -> u8 {
    if path.exists() && !force {
        eprintln!("error: {} exists; use --force to overwrite it", path.display());
        return EXIT_USAGE;
    }
    match write_single(path, STARTER) {
        Ok(()) => {
            eprintln!("wrote {}; next: berth check {}", path.display(), path.display());
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: cannot write {}: {error}", path.display());
            EXIT_USAGE
        }
    }
}

/// The starter spec written by `berth init`.
const STARTER: &str = include_str!("starter.kdl");

/// Write a spec file: a symbolic link is written through to its target (which
/// `read_text` already required to be inside the link's folder) and stays a link; an
/// existing file keeps its mode; a new file gets 0666 less the umask.
fn write_single(path: &Path, text: &str) -> Result<(), write::WriteError> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path)
            .map_err(|source| write::WriteError::Io { action: "resolve", path: path.display().to_string(), source })?,
        _ => path.to_path_buf(),
    };
    berth::output::state::replace_file(&target, text.as_bytes()).map(drop)
}

fn human_format(color: Color) -> ReportFormat {
    match color {
        Color::Always => ReportFormat::Graphical,
        Color::Never => ReportFormat::Plain,
        Color::Auto if std::io::stderr().is_terminal() => ReportFormat::Graphical,
        Color::Auto => ReportFormat::Plain,
    }
}

/// Errors fail; with `--deny warnings`, warnings too.
fn failed(compilation: &Compilation, common: &Common) -> bool {
    if compilation.has_errors() {
        return true;
    }
    let warnings = compilation.diagnostics.warning_count();
    if common.deny.contains(&Deny::Warnings) && warnings > 0 {
        eprintln!("error: {} denied by `--deny warnings`", report::summary(&compilation.diagnostics));
        return true;
    }
    false
}

fn report_diagnostics(compilation: &Compilation, common: &Common) {
    match common.format {
        Format::Json => {
            console::out(
                &(report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Json, false) + "\n"),
            );
        }
        Format::Sarif => {
            console::out(&report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Sarif, false));
        }
        Format::Github => {
            console::out(&report::render(&compilation.sources, &compilation.diagnostics, ReportFormat::Github, false));
        }
        Format::Human => {
            if compilation.diagnostics.is_empty() {
                return;
            }
            let format = human_format(common.color);
            let color = format == ReportFormat::Graphical && !matches!(common.color, Color::Never);
            eprint!("{}", report::render(&compilation.sources, &compilation.diagnostics, format, color));
        }
    }
}

// ── berth build --check ─────────────────────────────────────────────────────────────

/// Compile as `build` would, compare with the committed output in `dir`, write nothing.
fn build_check(spec: &Path, dir: &Path, env: Option<String>, target: Option<String>, common: &Common) -> u8 {
    let inputs = match console::read_inputs(spec, &common.libs, common) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let scope = write::Scope { env: env.clone(), target: target.clone() };
    let compilation = driver::compile(&inputs, &Options { env, target, today: today(), ..Options::default() });
    report_diagnostics(&compilation, common);
    if failed(&compilation, common) {
        return EXIT_SPEC;
    }
    let mut files: BTreeMap<String, String> = file::files(&compilation.tree);
    files.retain(|path, _| scope.owns(path));
    match tree_diff::stale(dir, &files, &scope) {
        Ok(stale) if stale.is_empty() => {
            eprintln!("{} is up to date ({} files)", dir.display(), files.len());
            EXIT_OK
        }
        Ok(stale) => {
            for file in &stale {
                console::out(&format!("{}: {}\n", file.change.word(), file.path));
            }
            for file in &stale {
                console::out(&file.text);
            }
            eprintln!(
                "error: {} file(s) in {} are stale; run `berth build {} -o {}`",
                stale.len(),
                dir.display(),
                spec.display(),
                dir.display()
            );
            EXIT_SPEC
        }
        Err(error) => {
            eprintln!("{:?}", miette::Report::new(error));
            EXIT_USAGE
        }
    }
}

/// Today's UTC date as `YYYY-MM-DD`, for waiver expiry (the library never reads the clock).
fn today() -> String {
    let seconds =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day): Howard Hinnant's
/// `civil_from_days` (http://howardhinnant.github.io/date_algorithms.html).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod date_tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_515), (2026, 3, 3));
    }
}
