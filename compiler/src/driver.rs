//! The driver runs the stages in order and decides when to stop.
//!
//! In: [`Inputs`] (spec text, user library texts) and [`Options`]. Out: [`Compilation`].
//! Stdlib, user library and spec go through the same `syntax` and `model` stages. The
//! driver stops after syntax, model or resolve errors (no cascades); with any error the
//! artifact tree is empty, so `output` writes nothing. Warnings never block.

use crate::diag::{Diagnostics, FileId, SourceFile, Sources};
use crate::emit::{self, ArtifactTree};
use crate::model::{self, Spec};
use crate::resolve::{self, Estate, Library, SpecFiles};
use crate::{policy, stdlib, syntax};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// What to compile.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The spec file.
    pub spec: SourceFile,
    /// User library files, in the order given (later ones override earlier ones).
    pub libraries: Vec<SourceFile>,
    /// Reads files next to the spec (`type="file"` backing properties such as
    /// `init-sql-file`); the default reads none.
    pub files: SpecFiles,
}

impl Inputs {
    /// Inputs with no user library.
    pub fn spec(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            spec: SourceFile { name: name.into(), text: text.into() },
            libraries: Vec::new(),
            files: SpecFiles::default(),
        }
    }
}

/// How to compile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this environment's views.
    pub env: Option<String>,
    /// Only this target's views.
    pub target: Option<String>,
    /// Today's date, `YYYY-MM-DD`, against which waiver `until` dates expire. The library
    /// never reads the clock: `main.rs` fills it, tests fix it; empty skips the check.
    pub today: String,
    /// The process compiles this spec again after each edit (the language server): a
    /// stage may keep what the next run can reuse, with the same diagnostics. Schema
    /// validation keeps each object's result and validates only objects that changed.
    pub again: bool,
    /// The processor time the KDL parser may spend on the spec and user libraries, shared
    /// with other compilations given the same budget (`berth diff` compiles two revisions
    /// at once, and a parse out of budget cannot be stopped); `None`: a budget of its own
    /// per file ([`syntax::Limits`]).
    pub parse_budget: Option<syntax::Budget>,
}

/// The result of a compilation: every diagnostic, and artifacts only when error-free.
#[derive(Debug, Default)]
pub struct Compilation {
    /// Every file read (stdlib, library, spec), for rendering diagnostics.
    pub sources: Sources,
    /// Every diagnostic of every stage that ran.
    pub diagnostics: Diagnostics,
    /// The lowered spec (without stdlib or library files), when every stage ran without
    /// errors; `berth diff` compares its waivers between two revisions.
    pub spec: Option<Spec>,
    /// The resolved estate, when resolution ran without errors.
    pub estate: Option<Estate>,
    /// The emitted artifacts; empty whenever there is any error.
    pub tree: ArtifactTree,
    /// Every policy finding, model policies first, then object policies. Unwaived ones
    /// are in `diagnostics` with the policy's severity; waived ones (`waived: true`) are
    /// there as advice (`waived: ...`, with the waiver's reason), so every report lists
    /// the exceptions in force without failing the run.
    pub findings: Vec<policy::Finding>,
}

impl Compilation {
    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// Run the pipeline: parse and lower every file, resolve, emit.
pub fn compile(inputs: &Inputs, options: &Options) -> Compilation {
    let mut compilation = Compilation::default();
    let diags = &mut compilation.diagnostics;
    let sources = &mut compilation.sources;

    // Every stdlib file is a source (ids 0.., stable for every compilation), but a kind
    // file is parsed only when the spec declares that kind: the kinds hold most of the
    // stdlib's text, and parsing it all would dominate the compile of a small spec.
    let stdlib_ids: Vec<FileId> = stdlib::FILES
        .iter()
        .map(|(name, text)| sources.add(SourceFile { name: (*name).to_owned(), text: (*text).to_owned() }))
        .collect();
    let mut user_libraries = Vec::new();
    for file in &inputs.libraries {
        if let Some(library) = front_end(diags, sources, file.clone(), options) {
            resolve::warn_spec_nodes_in_library(diags, &library);
            user_libraries.push(library);
        }
    }
    let spec = front_end(diags, sources, inputs.spec.clone(), options);
    let Some(spec) = spec else { return compilation };
    let needed = needed_stdlib_kinds(&spec, &user_libraries);
    let mut library_specs = Vec::new();
    for (index, (name, _)) in stdlib::FILES.iter().enumerate() {
        let wanted = stdlib::kind_of(name).is_none_or(|kind| needed.as_ref().is_none_or(|n| n.contains(kind)));
        if wanted {
            library_specs.extend(stdlib_spec(diags, sources, index, stdlib_ids[index]));
        }
    }
    library_specs.extend(user_libraries);
    if diags.has_errors() {
        return compilation;
    }

    // A spec may carry its own `cloud`, `backing-kind` or `defaults`: they override the library.
    let library = Library::from_specs(library_specs.iter().chain(std::iter::once(&spec)));
    let mut estate = resolve::resolve(diags, &spec, &library, &inputs.files);
    if diags.has_errors() {
        return compilation;
    }
    estate.views.retain(|view| {
        options.env.as_ref().is_none_or(|env| &view.env == env)
            && options.target.as_ref().is_none_or(|target| &view.target == target)
    });

    // Policy errors block output but not the later stages: every finding is reported.
    let library_refs: Vec<&Spec> = library_specs.iter().collect();
    let policies = policy::prepare(diags, &library_refs, &spec, &options.today);
    let mut findings = policy::check_model(diags, &policies, &spec, &estate);

    let tree = emit::emit(diags, &estate);
    findings.extend(policy::check_objects(diags, &policies, &spec, &estate, &tree));
    policy::finish(diags, &policies, &findings, options.env.is_some() || options.target.is_some());
    compilation.findings = findings;
    // Our own output against the bundled schemas: a failure is a bug in Berth. It runs
    // whatever other findings there are (emit only warns; earlier stages returned above).
    if options.again {
        crate::validate::objects_again(diags, &tree, &estate.kubernetes);
    } else {
        crate::validate::objects(diags, &tree, &estate.kubernetes);
    }
    compilation.estate = Some(estate);
    if !compilation.diagnostics.has_errors() {
        compilation.tree = tree;
        compilation.spec = Some(spec);
    }
    compilation
}

/// The stdlib kinds the spec declares, or `None` (all of them) when it declares a kind
/// that neither a stdlib file, a user library nor the spec defines: the did-you-mean help
/// of the error needs every name.
fn needed_stdlib_kinds<'s>(spec: &'s Spec, libraries: &'s [Spec]) -> Option<std::collections::BTreeSet<&'s str>> {
    let declared: std::collections::BTreeSet<&str> =
        spec.domains.iter().flat_map(|d| d.backing.iter().map(|b| b.kind.value.as_str())).collect();
    let mut known: Vec<&str> = stdlib::FILES.iter().filter_map(|(name, _)| stdlib::kind_of(name)).collect();
    known.extend(
        libraries
            .iter()
            .chain(std::iter::once(spec))
            .flat_map(|s| s.backing_kinds.iter().map(|k| k.name.value.as_str())),
    );
    declared.iter().all(|kind| known.contains(kind)).then_some(declared)
}

/// One stdlib file, lowered once per process: the stdlib never changes, its files always
/// get the same ids, and a file that lowered without diagnostics lowers the same way again.
/// It is read from the stdlib lowered at development time ([`stdlib::lowered`]) when that
/// is this build's, parsed otherwise.
fn stdlib_spec(diags: &mut Diagnostics, sources: &Sources, index: usize, id: FileId) -> Option<Spec> {
    static CACHE: OnceLock<Mutex<BTreeMap<usize, Spec>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let cacheable = usize::try_from(id.0).is_ok_and(|i| i == index);
    if cacheable && let Some(spec) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(&index) {
        return Some(spec.clone());
    }
    if cacheable && let Some(spec) = stdlib::lowered::spec(index) {
        cache.lock().unwrap_or_else(PoisonError::into_inner).insert(index, spec.clone());
        return Some(spec);
    }
    let mut own = Diagnostics::default();
    let spec = sources
        .get(id)
        .and_then(|source| syntax::parse(&mut own, id, source))
        .map(|parsed| model::lower(&mut own, &parsed));
    if cacheable
        && own.is_empty()
        && let Some(spec) = &spec
    {
        cache.lock().unwrap_or_else(PoisonError::into_inner).insert(index, spec.clone());
    }
    diags.extend(own);
    spec
}

/// Parse and lower one file; `None` when it does not parse.
fn front_end(diags: &mut Diagnostics, sources: &mut Sources, file: SourceFile, options: &Options) -> Option<Spec> {
    let id: FileId = sources.add(file);
    let source = sources.get(id)?;
    let parsed = match &options.parse_budget {
        Some(budget) => syntax::parse_shared(diags, id, source, budget)?,
        None => syntax::parse(diags, id, source)?,
    };
    Some(model::lower(diags, &parsed))
}
