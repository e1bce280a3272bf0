//! Binding `uses`: each reference to a workload or backing service, the connection
//! variables a workload gets from the backing services it uses, and calls that leave the
//! cluster of a hybrid environment.

use super::backing::backing_placement;
use super::errors::ResolveError;
use super::realise::{self, Scope};
use super::types::{ResolvedUse, UseTarget};
use super::{Ctx, layer};
use crate::diag::{Otherwise, did_you_mean};
use crate::model::{BackingService, Spec, Workload, WorkloadKind};
use std::collections::BTreeMap;

/// A declared entity a `uses` can point at.
#[derive(Clone)]
pub(super) enum Entity<'s> {
    Workload(&'s Workload),
    Backing(&'s BackingService),
}

/// Bind every `uses` once (base settings and every `in` block).
pub(super) fn check_uses(cx: &mut Ctx<'_>, spec: &Spec, entities: &BTreeMap<(String, String), Entity<'_>>) {
    for domain in &spec.domains {
        for workload in &domain.workloads {
            let all_uses =
                workload.settings.uses.iter().chain(workload.overrides.iter().flat_map(|o| o.settings.uses.iter()));
            for used in all_uses {
                bind_use(cx, &domain.name.value, workload, used, entities);
            }
        }
    }
}

/// Help for a `uses` naming nothing in an existing domain: the same name in another
/// domain (`other/name`), else the closest name of the domain, else the closest of every
/// other domain, written `other/name`.
fn dangling_help(
    used: &crate::model::Use,
    callee_domain: &str,
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> String {
    if used.domain.is_none() {
        let elsewhere: Vec<String> = entities
            .keys()
            .filter(|(d, n)| d != callee_domain && *n == used.name)
            .map(|(d, n)| format!("`uses \"{d}/{n}\"`"))
            .collect();
        if !elsewhere.is_empty() {
            return format!("`{}` is declared in another domain: write {}", used.name, elsewhere.join(" or "));
        }
    }
    let local: Vec<&str> = entities.keys().filter(|(d, _)| d == callee_domain).map(|(_, n)| n.as_str()).collect();
    if crate::diag::closest(&used.name, local.iter().copied()).is_some() {
        return did_you_mean(&used.name, local, Otherwise::Declared);
    }
    let others: Vec<&(String, String)> = entities.keys().filter(|(d, _)| d != callee_domain).collect();
    if let Some(close) = crate::diag::closest(&used.name, others.iter().map(|(_, n)| n.as_str()))
        && let Some((d, n)) = others.iter().find(|(_, n)| n == close)
    {
        return format!("{} (it is in domain `{d}`)", crate::diag::meant(format!("uses \"{d}/{n}\"")));
    }
    did_you_mean(&used.name, local, Otherwise::Declared)
}

pub(super) fn bind_use(
    cx: &mut Ctx<'_>,
    domain: &str,
    workload: &Workload,
    used: &crate::model::Use,
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> Option<UseTarget> {
    let callee_domain = used.domain.clone().unwrap_or_else(|| domain.to_owned());
    let reference = match &used.domain {
        Some(d) => format!("{d}/{}", used.name),
        None => used.name.clone(),
    };
    match entities.get(&(callee_domain.clone(), used.name.clone())) {
        None => {
            let domain_exists = entities.keys().any(|(d, _)| *d == callee_domain);
            let help = if domain_exists {
                dangling_help(used, &callee_domain, entities)
            } else {
                let mut domains: Vec<&str> = entities.keys().map(|(d, _)| d.as_str()).collect();
                domains.dedup();
                format!(
                    "no domain `{callee_domain}` is declared; {}",
                    did_you_mean(&callee_domain, domains.into_iter(), Otherwise::Declared)
                )
            };
            cx.error(used.span, ResolveError::DanglingUses { reference, span: used.span, domain: callee_domain, help });
            None
        }
        Some(Entity::Workload(callee)) if callee.kind != WorkloadKind::Service => {
            cx.error(
                used.span,
                ResolveError::UsesNonService {
                    reference,
                    kind: callee.kind.as_str(),
                    span: used.span,
                    declared: callee.name.span,
                },
            );
            None
        }
        Some(Entity::Workload(callee)) => {
            if callee_domain == domain && callee.name.value == workload.name.value {
                cx.error(used.span, ResolveError::SelfUse { name: reference, span: used.span });
                return None;
            }
            Some(UseTarget::Workload { domain: callee_domain, name: used.name.clone() })
        }
        Some(Entity::Backing(backing)) if callee_domain != domain => {
            let services: Vec<&str> = entities
                .iter()
                .filter(|((d, _), e)| {
                    *d == callee_domain && matches!(e, Entity::Workload(w) if w.kind == WorkloadKind::Service)
                })
                .map(|((_, n), _)| n.as_str())
                .collect();
            let help = match services.first() {
                Some(first) => format!(
                    "call a service of domain `{callee_domain}` instead, e.g. `uses \"{callee_domain}/{first}\"`; a backing service is used only by its own domain"
                ),
                None => format!(
                    "add a `service` to domain `{callee_domain}` that serves this data and use it; a backing service is used only by its own domain"
                ),
            };
            cx.error(
                used.span,
                ResolveError::CrossDomainBacking {
                    reference,
                    owner: callee_domain,
                    name: used.name.clone(),
                    kind: backing.kind.value.clone(),
                    span: used.span,
                    declared: backing.name.span,
                    help,
                },
            );
            None
        }
        Some(Entity::Backing(backing)) => Some(UseTarget::Backing {
            domain: callee_domain,
            name: used.name.clone(),
            kind: backing.kind.value.clone(),
        }),
    }
}

/// Report `uses` edges that leave this view's cluster: a service placed on other
/// targets only (a warning) or a backing service placed elsewhere (an error).
pub(super) fn check_cross_target(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    caller: &str,
    uses: &[ResolvedUse],
    entities: &BTreeMap<(String, String), Entity<'_>>,
) {
    if scope.env_targets.len() < 2 {
        return;
    }
    for used in uses {
        let (domain, name) = match &used.target {
            UseTarget::Workload { domain, name } | UseTarget::Backing { domain, name, .. } => (domain, name),
        };
        let placed: Option<Vec<String>> = match entities.get(&(domain.clone(), name.clone())) {
            Some(Entity::Workload(callee)) => {
                let mut placement = callee.settings.placement.clone();
                for block in callee.overrides.iter().filter(|o| o.env.value == scope.env) {
                    layer::overlay_option(&mut placement, &block.settings.placement);
                }
                placement.map(|p| p.value)
            }
            Some(Entity::Backing(backing)) => backing_placement(backing, scope.env).map(|p| vec![p.value.clone()]),
            None => None,
        };
        let Some(placed) = placed else { continue };
        if placed.iter().any(|t| t == scope.target) {
            continue;
        }
        let placed: Vec<String> = placed.into_iter().filter(|t| scope.env_targets.contains(t)).collect();
        if placed.is_empty() {
            continue;
        }
        let error = match &used.target {
            UseTarget::Workload { .. } => ResolveError::CrossTargetCall {
                caller: caller.to_owned(),
                callee: name.clone(),
                target: scope.target.to_owned(),
                elsewhere: realise::words(&placed),
                env: scope.env.to_owned(),
                span: used.span,
            },
            UseTarget::Backing { .. } => ResolveError::CrossTargetBacking {
                caller: caller.to_owned(),
                backing: name.clone(),
                target: scope.target.to_owned(),
                placed: placed.join("`, `"),
                env: scope.env.to_owned(),
                span: used.span,
            },
        };
        cx.error(used.span, error);
    }
}

/// Index every workload and backing service by (domain, name).
pub(super) fn entity_index(spec: &Spec) -> BTreeMap<(String, String), Entity<'_>> {
    let mut index = BTreeMap::new();
    for domain in &spec.domains {
        for workload in &domain.workloads {
            index.entry((domain.name.value.clone(), workload.name.value.clone())).or_insert(Entity::Workload(workload));
        }
        for backing in &domain.backing {
            index.entry((domain.name.value.clone(), backing.name.value.clone())).or_insert(Entity::Backing(backing));
        }
    }
    index
}
