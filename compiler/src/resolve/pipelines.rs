//! Pipelines: which CI systems, which workloads are built, and how.
//!
//! In: the spec's `platform { ci ... }`, each workload's `source` and `build`, and the
//! library's `ci-system` and `build-kind` nodes. Out: [`ResolvedPipelines`], or `None`
//! when nothing is built and no CI system is named (the estate has no pipelines). A
//! workload with a `source` is built (`build` defaults to `dockerfile`); the platform's
//! `ci` defaults to the library's `ci-system` marked `default=#true` (the stdlib's
//! GitHub Actions) when some workload is built.

use super::ResolveError;
use super::pipeline_errors::PipelineError;
use crate::diag::{Diagnostics, Otherwise, Span, did_you_mean};
use crate::model::{CiTemplate, Spec, WorkloadKind};
use crate::resolve::{Library, View};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The build kind of a workload with a `source` and no `build`.
const DEFAULT_BUILD: &str = "dockerfile";

/// The branch of a `source repo=` without `ref=`.
const DEFAULT_SOURCE_BRANCH: &str = "main";

/// Everything the pipeline emitter needs besides the views.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedPipelines {
    /// The CI systems, in the order the platform names them.
    pub systems: Vec<ResolvedCiSystem>,
    /// Path of the spec in the repository.
    pub spec_path: String,
    /// Folder the built output is committed to.
    pub output: String,
    /// Branch deployments are recorded on.
    pub branch: String,
    /// The built workloads, sorted by domain and name.
    pub workloads: Vec<BuiltWorkload>,
    /// The library's `ci-script`s (name -> text), printed by templates as `scripts`:
    /// library text, not a fact of the estate, so not in its JSON.
    #[serde(skip)]
    pub scripts: BTreeMap<String, String>,
    /// Every (environment, target) of the estate, in promotion order: pipelines are the
    /// estate's, whatever views a build selects.
    pub deployments: Vec<Deployment>,
}

/// One (environment, target) a pipeline deploys to, and, for a workload, the image
/// repository its manifests pull from there.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Deployment {
    /// Environment name.
    pub env: String,
    /// Whether it is production.
    pub production: bool,
    /// Its approval group.
    pub approval: Option<String>,
    /// Target name.
    pub target: String,
    /// The target's cloud profile name.
    pub cloud: String,
    /// The target's region.
    pub region: Option<String>,
    /// The target's params.
    pub params: BTreeMap<String, String>,
    /// The workload's full image reference there (empty for the estate's list).
    pub image: String,
    /// The environment node.
    pub span: Span,
}

/// One CI system's library data.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedCiSystem {
    /// System name: the output folder `pipelines/<name>/`.
    pub name: String,
    /// Pins by name: `(commit, version)`.
    pub pins: BTreeMap<String, (String, String)>,
    /// Tool images by name.
    pub tools: BTreeMap<String, String>,
    /// The templates, in order (library text, not part of the serialised model).
    #[serde(skip)]
    #[schemars(skip)]
    pub templates: Vec<CiTemplate>,
    /// Where the platform names the system (or the platform node, for the default).
    pub span: Span,
}

/// A workload with a `source`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BuiltWorkload {
    /// Domain name.
    pub domain: String,
    /// Workload name.
    pub name: String,
    /// Service, worker or job.
    pub kind: WorkloadKind,
    /// Folder in its repository.
    pub source: String,
    /// The repository the source is in, when it is not the spec's.
    pub repository: Option<BuiltRepository>,
    /// How it is built.
    pub build: ResolvedBuild,
    /// Where it runs, in promotion order: every (environment, target) whose view has it.
    pub deployments: Vec<Deployment>,
    /// The workload node.
    pub span: Span,
}

/// A repository other than the spec's that a workload's source is in.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BuiltRepository {
    /// Its URL.
    pub url: String,
    /// Its name (the folder its pipeline files are written under).
    pub name: String,
    /// The branch its pipeline builds and deploys from.
    pub branch: String,
    /// The `source` node.
    pub span: Span,
}

/// A build kind, as a workload uses it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedBuild {
    /// Kind name.
    pub kind: String,
    /// Image the commands run in.
    pub image: Option<String>,
    /// Test commands.
    pub test: Vec<String>,
    /// Build commands.
    pub build: Vec<String>,
    /// `(folder, key file)` pairs, relative to the source folder.
    pub caches: Vec<(String, String)>,
    /// Variables of the commands.
    pub env: BTreeMap<String, String>,
}

/// Resolve the pipelines of `spec`; `None` when it has none.
pub(super) fn pipelines(
    diags: &mut Diagnostics,
    spec: &Spec,
    library: &Library,
    views: &[View],
) -> Option<ResolvedPipelines> {
    let platform = spec.platform.as_ref()?;
    let mut workloads = built_workloads(diags, spec, library);
    repositories_agree(diags, &workloads);
    for workload in &mut workloads {
        workload.deployments = deployments(views, Some((&workload.domain, &workload.name)));
    }
    workloads.sort_by(|a, b| (&a.domain, &a.name).cmp(&(&b.domain, &b.name)));
    let ci = platform.ci.as_ref();
    if ci.is_none() && workloads.is_empty() {
        return None;
    }
    let named: Vec<(String, Span)> = match ci {
        Some(ci) => ci.systems.iter().map(|s| (s.value.clone(), s.span)).collect(),
        // The library's default system (the first by name if several are marked).
        None => library
            .ci_systems
            .values()
            .filter(|system| system.default)
            .map(|system| (system.name.value.clone(), platform.span))
            .take(1)
            .collect(),
    };
    let mut systems: Vec<ResolvedCiSystem> = Vec::new();
    for (name, span) in named {
        let Some(system) = library.ci_systems.get(&name) else {
            let help = did_you_mean(&name, library.ci_systems.keys().map(String::as_str), Otherwise::Declared);
            diags.at(span, ResolveError::UnknownReference { what: "CI system", name, span, help });
            continue;
        };
        if system.templates.is_empty() {
            diags.at(span, ResolveError::EmptyCiSystem { system: name, span });
            continue;
        }
        if systems.iter().any(|s| s.name == name) {
            continue;
        }
        if !system.separate_repositories {
            separate_repositories_refused(diags, &name, span, &workloads, library);
        }
        systems.push(ResolvedCiSystem {
            name,
            pins: system
                .pins
                .iter()
                .map(|p| (p.name.value.clone(), (p.commit.value.clone(), p.version.value.clone())))
                .collect(),
            tools: system.tools.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
            templates: system.templates.clone(),
            span,
        });
    }
    let setting = |value: Option<&crate::diag::Spanned<String>>, default: &str| {
        value.map_or_else(|| default.to_owned(), |v| v.value.clone())
    };
    Some(ResolvedPipelines {
        systems,
        spec_path: setting(ci.and_then(|c| c.spec.as_ref()), "berth.kdl"),
        output: setting(ci.and_then(|c| c.output.as_ref()), "deploy"),
        branch: setting(ci.and_then(|c| c.branch.as_ref()), "main"),
        workloads,
        scripts: library.ci_scripts.iter().map(|(name, script)| (name.clone(), script.text.value.clone())).collect(),
        deployments: deployments(views, None),
    })
}

/// Workloads of one repository name agree on its URL and branch (their files share
/// `repos/<name>/`, and a root file of that repository runs on one branch).
fn repositories_agree(diags: &mut Diagnostics, workloads: &[BuiltWorkload]) {
    let mut first: BTreeMap<&str, &BuiltRepository> = BTreeMap::new();
    for repository in workloads.iter().filter_map(|w| w.repository.as_ref()) {
        let Some(seen) = first.get(repository.name.as_str()) else {
            first.insert(&repository.name, repository);
            continue;
        };
        let what = if seen.url != repository.url {
            format!("`{}` and `{}`", seen.url, repository.url)
        } else if seen.branch != repository.branch {
            format!("branches `{}` and `{}`", seen.branch, repository.branch)
        } else {
            continue;
        };
        diags.at(
            repository.span,
            PipelineError::SeparateRepositoryConflict {
                name: repository.name.clone(),
                what,
                span: repository.span,
                first: seen.span,
            },
        );
    }
}

/// Each workload built in another repository, for a system that writes no pipeline there.
fn separate_repositories_refused(
    diags: &mut Diagnostics,
    system: &str,
    named: Span,
    workloads: &[BuiltWorkload],
    library: &Library,
) {
    let able: Vec<String> = library
        .ci_systems
        .values()
        .filter(|s| s.separate_repositories)
        .map(|s| format!("`{}`", s.name.value))
        .collect();
    for workload in workloads {
        let Some(repository) = &workload.repository else { continue };
        let instead = if able.is_empty() {
            String::new()
        } else {
            format!("name a system that does ({}) instead in `ci`, ", able.join(", "))
        };
        let help = format!(
            "{instead}or give `{system}` templates for other repositories in a `--lib` copy (`separate-repositories=#true`), \
             or leave `source` off this workload and record its digests with `berth set-image` (docs/pipelines.md)"
        );
        diags.at(
            repository.span,
            PipelineError::SeparateRepositoryUnsupported {
                system: system.to_owned(),
                span: repository.span,
                workload: format!("{}/{}", workload.domain, workload.name),
                repository: repository.url.clone(),
                named,
                help,
            },
        );
    }
}

/// The views as deployments: all of them, or those holding one workload (with its image).
fn deployments(views: &[View], workload: Option<(&String, &String)>) -> Vec<Deployment> {
    let mut out = Vec::new();
    for view in views {
        let image = match workload {
            None => String::new(),
            Some((domain, name)) => {
                let found = view
                    .domains
                    .iter()
                    .filter(|d| &d.name == domain)
                    .flat_map(|d| &d.workloads)
                    .find(|w| &w.name == name);
                match found {
                    Some(w) => w.image.clone(),
                    None => continue,
                }
            }
        };
        out.push(Deployment {
            env: view.env.clone(),
            production: view.production,
            approval: view.approval.clone(),
            target: view.target.clone(),
            cloud: view.profile.cloud.clone(),
            region: view.profile.region.clone(),
            params: view.profile.params.clone(),
            image,
            span: view.span,
        });
    }
    out
}

fn built_workloads(diags: &mut Diagnostics, spec: &Spec, library: &Library) -> Vec<BuiltWorkload> {
    let mut built = Vec::new();
    for domain in &spec.domains {
        for workload in &domain.workloads {
            let Some(source) = &workload.source else {
                if let Some(build) = &workload.build {
                    diags.at(build.span, ResolveError::BuildWithoutSource { span: build.span });
                }
                continue;
            };
            let (kind_name, span) =
                workload.build.as_ref().map_or((DEFAULT_BUILD, source.span), |b| (b.value.as_str(), b.span));
            let Some(kind) = library.build_kinds.get(kind_name) else {
                let help = did_you_mean(kind_name, library.build_kinds.keys().map(String::as_str), Otherwise::Declared);
                diags.at(
                    span,
                    ResolveError::UnknownReference { what: "build kind", name: kind_name.to_owned(), span, help },
                );
                continue;
            };
            built.push(BuiltWorkload {
                domain: domain.name.value.clone(),
                name: workload.name.value.clone(),
                kind: workload.kind,
                source: source.value.clone(),
                repository: workload.repository.as_ref().map(|r| BuiltRepository {
                    url: r.url.value.clone(),
                    name: r.name.clone(),
                    branch: r.branch.as_ref().map_or_else(|| DEFAULT_SOURCE_BRANCH.to_owned(), |b| b.value.clone()),
                    span: r.span,
                }),
                build: ResolvedBuild {
                    kind: kind.name.value.clone(),
                    image: kind.image.as_ref().map(|i| i.value.clone()),
                    test: kind.test.iter().map(|c| c.value.clone()).collect(),
                    build: kind.build.iter().map(|c| c.value.clone()).collect(),
                    caches: kind.caches.iter().map(|c| (c.path.value.clone(), c.key.value.clone())).collect(),
                    env: kind.env.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
                },
                span: workload.span,
                deployments: Vec::new(),
            });
        }
    }
    built
}
