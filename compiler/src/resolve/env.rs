//! A workload's environment beyond its own `config` and `secret` entries: the connection
//! variables of the backing services it uses (renamed, selected or composed per
//! consumer), the addresses of the services it calls, `from-pod` fields, and the order of
//! `config` entries that name other variables as `$(VAR)`.

use super::Ctx;
use super::errors::ResolveError;
use super::realise::{Scope, words};
use super::types::{EnvSource, ResolvedBacking, ResolvedEnv, ResolvedUse, UseTarget};
use super::uses::Entity;
use super::vars::{self, ConfigProblem};
use crate::diag::{Otherwise, Span, Spanned, did_you_mean};
use crate::model::{DerivedEnv, Use, WorkloadSettings};
use std::collections::{BTreeMap, BTreeSet};

/// A workload's variables other than its ConfigMap, in container order.
pub(super) struct WorkloadEnv {
    /// `from-pod` variables.
    pub pod_env: Vec<ResolvedEnv>,
    /// Backing-service and derived variables, in `uses` order.
    pub bindings: Vec<ResolvedEnv>,
    /// ConfigMap entries.
    pub config: BTreeMap<String, String>,
    /// Config entries that name other variables, in expansion order.
    pub composed: Vec<ResolvedEnv>,
}

/// Everything a workload's container gets as variables, checked for collisions and
/// for `$(VAR)` references that name nothing.
pub(super) fn workload_env(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    workload: &str,
    settings: &WorkloadSettings,
    uses: &[(&Use, ResolvedUse)],
    backings: &[ResolvedBacking],
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> WorkloadEnv {
    let pod_env: Vec<ResolvedEnv> = settings
        .from_pod
        .iter()
        .map(|(name, field)| ResolvedEnv {
            name: name.clone(),
            source: EnvSource::PodField(field.value.field_path().to_owned()),
        })
        .collect();
    let bindings = bindings(cx, scope, workload, settings, uses, backings, entities);
    let mut known: BTreeSet<String> = settings.secrets.iter().map(|s| s.env.value.clone()).collect();
    known.extend(pod_env.iter().chain(&bindings).map(|env| env.name.clone()));
    let (config, composed, problems) = vars::compose(&settings.config, &known);
    for problem in problems {
        let error = match problem {
            ConfigProblem::Unknown { key, variable, span } => ResolveError::UnknownVariable {
                what: format!("config `{key}`"),
                variable,
                workload: workload.to_owned(),
                span,
            },
            ConfigProblem::Cycle { key, path, span } => ResolveError::VariableCycle { name: key, path, span },
        };
        let span = match &error {
            ResolveError::UnknownVariable { span, .. } | ResolveError::VariableCycle { span, .. } => *span,
            _ => continue,
        };
        cx.error(span, error);
    }
    known.extend(settings.config.keys().cloned());
    for (what, list) in [("command", &settings.command), ("args", &settings.args)] {
        let Some(list) = list else { continue };
        let mut named: Vec<&str> = list.value.iter().flat_map(|arg| vars::references(arg)).collect();
        named.dedup();
        for variable in named.into_iter().filter(|v| !known.contains(*v)) {
            let error = ResolveError::UnknownVariable {
                what: format!("`{what}`"),
                variable: variable.to_owned(),
                workload: workload.to_owned(),
                span: list.span,
            };
            cx.error(list.span, error);
        }
    }
    WorkloadEnv { pod_env, bindings, config, composed }
}

/// The variables of every `uses` of a workload here, checked against each other and
/// against its `secret`, `config` and `from-pod` names.
fn bindings(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    workload: &str,
    settings: &WorkloadSettings,
    uses: &[(&Use, ResolvedUse)],
    backings: &[ResolvedBacking],
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> Vec<ResolvedEnv> {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for secret in &settings.secrets {
        seen.entry(secret.env.value.clone()).or_insert(secret.span);
    }
    for (key, value) in &settings.config {
        seen.entry(key.clone()).or_insert(value.span);
    }
    for (key, value) in &settings.from_pod {
        seen.entry(key.clone()).or_insert(value.span);
    }
    let mut out = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for (written, used) in uses {
        let binding = match &used.target {
            UseTarget::Backing { name, .. } => {
                if done.contains(&name.as_str()) {
                    continue;
                }
                done.push(name);
                let Some(backing) = backings.iter().find(|b| &b.name == name) else { continue };
                backing_vars(cx, written, backing)
            }
            UseTarget::Workload { domain, name } => service_vars(cx, scope, written, domain, name, entities),
        };
        let Some(binding) = binding else { continue };
        let collided: Vec<(&str, Span)> =
            binding.iter().filter_map(|env| seen.get(&env.name).map(|first| (env.name.as_str(), *first))).collect();
        if let Some((_, first)) = collided.first() {
            let variables = collided.iter().map(|(v, _)| format!("`{v}`")).collect::<Vec<_>>().join(", ");
            let error =
                ResolveError::EnvCollision { workload: workload.to_owned(), variables, span: used.span, first: *first };
            cx.error(used.span, error);
            continue;
        }
        for env in binding {
            seen.insert(env.name.clone(), used.span);
            out.push(env);
        }
    }
    out
}

/// The variables a consumer gets from a backing service: its kind's binding (with
/// `prefix=`), or what the `env` children build from it.
fn backing_vars(cx: &mut Ctx<'_>, written: &Use, backing: &ResolvedBacking) -> Option<Vec<ResolvedEnv>> {
    for (option, value) in [("env=", &written.env), ("port=", &written.port)] {
        if let Some(value) = value {
            let error = ResolveError::UsesOption {
                option,
                reference: reference(written),
                what: "backing service",
                span: value.span,
                help: "a backing service gives its kind's variables: rename or compose them with `env \"NAME\" \"$(VAR)\"` children",
            };
            cx.error(value.span, error);
        }
    }
    let prefix = written.prefix.as_ref().map(|p| p.value.as_str());
    if written.derived.is_empty() {
        return Some(prefixed(&backing.binding, prefix));
    }
    derived(cx, written, &backing.binding, prefix.unwrap_or(""), &written.derived)
}

/// The variables a caller sets from a service it uses (`env=`, `env` children).
fn service_vars(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    written: &Use,
    domain: &str,
    name: &str,
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> Option<Vec<ResolvedEnv>> {
    if let Some(prefix) = &written.prefix {
        let error = ResolveError::UsesOption {
            option: "prefix=",
            reference: reference(written),
            what: "service",
            span: prefix.span,
            help: "`prefix=` renames a backing service's connection variables; for a service's address write `env=\"NAME\"` or an `env \"NAME\" \"$(ADDR)\"` child",
        };
        cx.error(prefix.span, error);
    }
    if written.env.is_none() && written.derived.is_empty() {
        return None;
    }
    let Some(Entity::Workload(callee)) = entities.get(&(domain.to_owned(), name.to_owned())) else { return None };
    // The callee's ports in this environment: its own, then its `in` blocks'.
    let mut ports: Vec<&crate::model::Port> = Vec::new();
    let layers = std::iter::once(&callee.settings)
        .chain(callee.overrides.iter().filter(|o| o.env.value == scope.env).map(|o| &o.settings));
    for layer in layers {
        for port in &layer.ports {
            ports.retain(|p| p.name.value != port.name.value);
            ports.push(port);
        }
    }
    let port = match &written.port {
        None => ports.first().copied(),
        Some(wanted) => {
            let found = ports.iter().find(|p| p.name.value == wanted.value).copied();
            if found.is_none() {
                let help =
                    did_you_mean(&wanted.value, ports.iter().map(|p| p.name.value.as_str()), Otherwise::Declared);
                let error = ResolveError::UnknownPort {
                    port: wanted.value.clone(),
                    workload: name.to_owned(),
                    span: wanted.span,
                    help,
                };
                cx.error(wanted.span, error);
            }
            found
        }
    }?;
    let number = port.service_port.as_ref().unwrap_or(&port.container_port).value;
    let namespace = format!("{domain}-{}", scope.env);
    let offered = vars::service_vars(name, &namespace, number);
    let mut children: Vec<DerivedEnv> = Vec::new();
    if let Some(env) = &written.env {
        children.push(DerivedEnv { name: env.clone(), value: Spanned::new("$(ADDR)".to_owned(), env.span) });
    }
    children.extend(written.derived.iter().cloned());
    derived(cx, written, &offered, "", &children)
}

fn derived(
    cx: &mut Ctx<'_>,
    written: &Use,
    offered: &[ResolvedEnv],
    prefix: &str,
    derived: &[DerivedEnv],
) -> Option<Vec<ResolvedEnv>> {
    match vars::derive(offered, prefix, derived) {
        Ok(env) => Some(env),
        Err(unknown) => {
            let names: Vec<String> = offered.iter().map(|v| v.name.clone()).collect();
            for problem in unknown {
                let error = ResolveError::UnknownBindingVariable {
                    variable: problem.variable,
                    name: problem.name,
                    callee: reference(written),
                    known: words(&names),
                    span: problem.span,
                };
                cx.error(problem.span, error);
            }
            None
        }
    }
}

/// The `uses` reference as written.
fn reference(written: &Use) -> String {
    match &written.domain {
        Some(domain) => format!("{domain}/{}", written.name),
        None => written.name.clone(),
    }
}

/// A backing service's binding with `prefix` before every variable name, and before
/// every `$(NAME)` reference to one of them in a literal value.
fn prefixed(binding: &[ResolvedEnv], prefix: Option<&str>) -> Vec<ResolvedEnv> {
    let Some(prefix) = prefix else { return binding.to_vec() };
    binding
        .iter()
        .map(|env| {
            let source = match &env.source {
                EnvSource::Value(value) => {
                    let mut value = value.clone();
                    for other in binding {
                        value = value.replace(&format!("$({})", other.name), &format!("$({prefix}{})", other.name));
                    }
                    EnvSource::Value(value)
                }
                other => other.clone(),
            };
            ResolvedEnv { name: format!("{prefix}{}", env.name), source }
        })
        .collect()
}
