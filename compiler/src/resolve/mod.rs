//! Resolution: spec + library become one concrete [`View`] per (environment, target).
//!
//! In: the user's [`Spec`] and the [`Library`]. Out: [`Estate`].
//! Layers apply in this order: stdlib `defaults`, the target's cloud profile, the target's
//! own facts, the environment, then the workload's `in "<env>"` blocks. This stage binds
//! every name (targets, clouds, environments, `uses`, backing kinds) and reports each
//! problem once, however many views it affects. It never sees a KDL node.

mod backing;
mod defaults;
mod env;
mod errors;
mod exposure;
mod files;
mod gitops;
mod identifier;
mod layer;
mod library;
mod observe;
mod pipeline_errors;
mod pipelines;
mod pod;
mod probes;
mod profile;
mod quota;
mod realise;
mod rollout;
mod rollout_errors;
pub mod schema;
pub mod spec_files;
mod supports;
mod types;
mod uses;
mod value_errors;
mod vars;
mod workload;

pub use errors::ResolveError;
pub use exposure::service_name as port_service_name;
pub use gitops::ResolvedGitops;
pub use library::Library;
pub use observe::{ResolvedBurnRate, ResolvedHttpMetrics, ResolvedMonitoring, ResolvedSlo};
pub use pipelines::{BuiltRepository, BuiltWorkload, Deployment, ResolvedBuild, ResolvedCiSystem, ResolvedPipelines};
pub use rollout::routes_requests;
pub use spec_files::SpecFiles;
pub use types::*;
pub use value_errors::ValueError;

use crate::diag::{Diagnostics, Otherwise, Span, Spanned, did_you_mean};
use crate::model::{Domain, Environment, Spec};
use realise::Scope;
use std::collections::{BTreeMap, BTreeSet};
use uses::Entity;

/// Kubernetes minor versions Berth can emit for (the bundled schemas cover these).
pub const SUPPORTED_KUBERNETES: &[&str] = &["1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"];

/// Warn about the nodes of a user library file that only a spec may hold (`platform`,
/// `target`, `environment`, `domain`, `waive`): the library is read for its `cloud`,
/// `backing-kind`, `defaults` and `policy` nodes only, so these would be ignored.
pub fn warn_spec_nodes_in_library(diags: &mut Diagnostics, library: &Spec) {
    let mut found: Vec<(&'static str, Span)> = Vec::new();
    found.extend(library.platform.iter().map(|p| ("platform", p.span)));
    found.extend(library.targets.iter().map(|t| ("target", t.span)));
    found.extend(library.environments.iter().map(|e| ("environment", e.span)));
    found.extend(library.domains.iter().map(|d| ("domain", d.span)));
    found.extend(library.waivers.iter().map(|w| ("waive", w.span)));
    for (node, span) in found {
        diags.at(span, ResolveError::SpecNodeInLibrary { node, span });
    }
}

/// Resolve a lowered spec against the library, pushing every problem found.
pub fn resolve(diags: &mut Diagnostics, spec: &Spec, library: &Library, spec_files: &SpecFiles) -> Estate {
    let Some(defaults) = defaults::Defaults::from_library(diags, library) else { return Estate::default() };
    let mut cx = Ctx {
        diags,
        library,
        spec_files,
        defaults,
        reported: BTreeSet::new(),
        platform: String::new(),
        secret_store: String::new(),
    };
    let mut estate = estate(&mut cx, spec);
    estate.pipelines = pipelines::pipelines(diags, spec, library, &estate.views);
    estate.gitops = gitops::gitops(diags, spec, library);
    estate
}

/// Private state: the sink, the library and what was already reported, so an error in a
/// workload shared by five views is shown once.
struct Ctx<'a> {
    diags: &'a mut Diagnostics,
    library: &'a Library,
    /// Reads the files `type="file"` properties name.
    spec_files: &'a SpecFiles,
    /// The library's defaults, each one set.
    defaults: defaults::Defaults,
    reported: BTreeSet<(Span, String)>,
    /// Platform name, for templates.
    platform: String,
    /// ClusterSecretStore name, for templates.
    secret_store: String,
}

impl Ctx<'_> {
    fn error(&mut self, span: Span, error: impl Into<ResolveError>) {
        let error = error.into();
        let key = (span, error.to_string());
        if self.reported.insert(key) {
            self.diags.at(span, error);
        }
    }

    fn check_length(&mut self, name: &str, max: usize, span: Span) {
        if name.len() > max {
            self.error(span, ResolveError::GeneratedNameTooLong { name: name.to_owned(), len: name.len(), max, span });
        }
    }
}

fn estate(cx: &mut Ctx<'_>, spec: &Spec) -> Estate {
    let Some(platform) = &spec.platform else {
        let span = Span { file: spec.file, offset: 0, len: 0 };
        cx.diags.at(span, ResolveError::MissingPlatform { span });
        return Estate::default();
    };
    let kubernetes = kubernetes_version(cx, spec);
    let secret_store =
        platform.secret_store.as_ref().map_or_else(|| cx.defaults.secret_store.clone(), |s| s.value.clone());
    if spec.environments.is_empty() {
        let span = platform.name.span;
        cx.diags.at(span, ResolveError::MissingEnvironment { span });
    }
    cx.platform = platform.name.value.clone();
    cx.secret_store = secret_store.clone();

    let env_names: Vec<&str> = spec.environments.iter().map(|e| e.name.value.as_str()).collect();
    check_override_envs(cx, spec, &env_names);
    let entities = uses::entity_index(spec);
    uses::check_uses(cx, spec, &entities);

    let profiles: BTreeMap<&str, Option<ResolvedProfile>> = spec
        .targets
        .iter()
        .map(|target| (target.name.value.as_str(), profile::profile(cx, target, platform.registry.as_ref())))
        .collect();

    let mut views = Vec::new();
    for (env_index, environment) in spec.environments.iter().enumerate() {
        for target_name in &environment.targets {
            let Some(profile) = profiles.get(target_name.value.as_str()) else {
                let help = did_you_mean(
                    &target_name.value,
                    spec.targets.iter().map(|t| t.name.value.as_str()),
                    Otherwise::Declared,
                );
                cx.error(
                    target_name.span,
                    ResolveError::UnknownReference {
                        what: "target",
                        name: target_name.value.clone(),
                        span: target_name.span,
                        help,
                    },
                );
                continue;
            };
            let Some(profile) = profile.clone() else { continue };
            views.push(view(cx, spec, environment, env_index, &target_name.value, profile, &entities));
        }
    }
    rollout::leaves(cx, &views);
    rollout::replica_ratio(cx, &views);
    let chart_templates = match &platform.helm {
        Some(_) => cx.library.chart_templates.iter().map(|(name, t)| (name.clone(), t.text.clone())).collect(),
        None => BTreeMap::new(),
    };
    Estate {
        platform: platform.name.value.clone(),
        helm: platform.helm.as_ref().map(|version| version.value.clone()),
        chart_templates,
        kubernetes,
        secret_store,
        limit_range: cx.defaults.limit_range.clone(),
        views,
        span: Some(platform.span),
        pipelines: None,
        monitoring: observe::monitoring(cx.library),
        rollout_templates: cx.library.rollouts.templates.iter().map(|(name, t)| (name.clone(), t.clone())).collect(),
        gitops: None,
        apply_order: cx.defaults.apply_order.clone(),
    }
}

fn kubernetes_version(cx: &mut Ctx<'_>, spec: &Spec) -> String {
    let written =
        spec.platform.as_ref().and_then(|p| p.kubernetes.clone()).or_else(|| cx.library.defaults.kubernetes.clone());
    match written {
        Some(version) if SUPPORTED_KUBERNETES.contains(&version.value.as_str()) => version.value,
        Some(version) => {
            cx.error(
                version.span,
                ResolveError::KubernetesVersion { version: version.value.clone(), span: version.span },
            );
            cx.defaults.kubernetes.clone()
        }
        None => cx.defaults.kubernetes.clone(),
    }
}

/// Every `in "<env>"` must name a declared environment.
fn check_override_envs(cx: &mut Ctx<'_>, spec: &Spec, env_names: &[&str]) {
    let mut written: Vec<&Spanned<String>> = Vec::new();
    for domain in &spec.domains {
        for workload in &domain.workloads {
            written.extend(workload.overrides.iter().map(|o| &o.env));
        }
        for backing in &domain.backing {
            written.extend(backing.overrides.iter().map(|o| &o.env));
        }
    }
    for env in written {
        if !env_names.contains(&env.value.as_str()) {
            let help = did_you_mean(&env.value, env_names.iter().copied(), Otherwise::Declared);
            cx.error(
                env.span,
                ResolveError::UnknownReference { what: "environment", name: env.value.clone(), span: env.span, help },
            );
        }
    }
}

fn view(
    cx: &mut Ctx<'_>,
    spec: &Spec,
    environment: &Environment,
    env_index: usize,
    target: &str,
    profile: ResolvedProfile,
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> View {
    let env = environment.name.value.clone();
    let production = environment.production.as_ref().is_some_and(|p| p.value);
    let env_targets: Vec<String> = environment.targets.iter().map(|t| t.value.clone()).collect();
    let domains = spec
        .domains
        .iter()
        .map(|domain| {
            let namespace = format!("{}-{env}", domain.name.value);
            let scope = Scope {
                env: &env,
                production,
                target,
                target_span: profile.span,
                env_targets: &env_targets,
                profile: &profile,
                domain: &domain.name.value,
                namespace: &namespace,
            };
            self::domain(cx, domain, &scope, entities)
        })
        .collect();
    let rollout = rollout::resolved(environment);
    rollout::applies(cx, &rollout, &env, target, &profile);
    View {
        env,
        env_index,
        production,
        approval: environment.approval.as_ref().map(|a| a.value.clone()),
        rollout,
        target: target.to_owned(),
        profile,
        domains,
        span: environment.span,
    }
}

fn domain(
    cx: &mut Ctx<'_>,
    domain: &Domain,
    scope: &Scope<'_>,
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> ResolvedDomain {
    let namespace = scope.namespace.to_owned();
    cx.check_length(&namespace, 63, domain.name.span);
    let default_quota = cx.library.defaults.quota.as_ref();
    let own = domain.quota.as_ref();
    let quota = ResolvedQuota {
        cpu: own.and_then(|q| q.cpu.as_ref()).map_or_else(|| cx.defaults.quota_cpu.clone(), |q| q.value.clone()),
        memory: own
            .and_then(|q| q.memory.as_ref())
            .map_or_else(|| cx.defaults.quota_memory.clone(), |q| q.value.clone()),
        pods: domain
            .quota
            .as_ref()
            .and_then(|q| q.pods.as_ref())
            .or_else(|| default_quota.and_then(|q| q.pods.as_ref()))
            .map(|p| p.value),
    };
    let backing: Vec<ResolvedBacking> = domain.backing.iter().filter_map(|b| backing::backing(cx, b, scope)).collect();
    let workloads = domain
        .workloads
        .iter()
        .filter_map(|workload| workload::workload(cx, domain, workload, scope, &backing, entities))
        .collect();
    let resolved = ResolvedDomain {
        name: domain.name.value.clone(),
        namespace,
        team: domain.team.as_ref().map(|t| t.value.clone()),
        group: domain.group.as_ref().or(domain.team.as_ref()).map(|g| g.value.clone()),
        quota,
        workloads,
        backing,
        span: domain.span,
    };
    quota::check(cx, domain, scope.env, &resolved);
    resolved
}
