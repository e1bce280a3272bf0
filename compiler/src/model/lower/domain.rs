//! Lowering `domain`: quotas, backing services and the workloads in it.

use super::values::{Ctx, Names, Once, Quantity, children, prop};
use super::workload;
use crate::diag::Spanned;
use crate::model::check;
use crate::model::types::*;
use indexmap::IndexMap;
use kdl::KdlNode;

/// Domain children other than backing services.
const DOMAIN: &[&str] = &["service", "worker", "job", "quota", "shared"];

pub(super) fn domain(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Domain> {
    cx.shape(node, &["team", "group"], 1, "the domain name");
    let name = cx.name_arg(node, "domain", true);
    let team = cx.string_prop(node, "team");
    if let Some(team) = &team
        && !check::is_label_value(&team.value)
    {
        let help =
            "write the team's name with letters, digits, `-`, `_` and `.`, such as `order-squad`: it becomes a label";
        cx.invalid_value(team.span, "`team`", &team.value, "not a label value", help);
    }
    let group = cx.string_prop(node, "group");
    let scope = name.as_ref().map(|n| format!(" in domain `{}`", n.value)).unwrap_or_default();
    let mut quota = None;
    let mut workloads = Vec::new();
    let mut backing = Vec::new();
    let mut names = Names::default();
    let mut once = Once::default();
    let (mut shared_sets, mut shared_names) = (Vec::new(), Names::default());
    let help = "workloads and backing services of a domain share one set of names; rename one";
    for child in children(node) {
        let key = child.name().value();
        match key {
            "service" | "worker" | "job" => {
                let kind = match key {
                    "service" => WorkloadKind::Service,
                    "worker" => WorkloadKind::Worker,
                    _ => WorkloadKind::Job,
                };
                if let Some(workload) = workload::workload(cx, child, kind)
                    && cx.unique(&mut names, "name", &workload.name, &scope, help)
                {
                    workloads.push(workload);
                }
            }
            "quota" => {
                if cx.once(&mut once, child, key, "domain") {
                    quota = Some(self::quota(cx, child));
                }
            }
            "shared" => {
                if let Some(set) = shared(cx, child)
                    && cx.unique(&mut shared_names, "shared config", &set.name, &scope, "rename one of them")
                {
                    shared_sets.push(set);
                }
            }
            _ => {
                // Anything else is a backing service whose kind `resolve` checks, unless
                // it is a likely typo of a workload keyword.
                if let Some(keyword) = crate::diag::closest(key, DOMAIN.iter().copied()) {
                    let help = format!(
                        "{} (otherwise `{key}` is read as a backing-service kind)",
                        crate::diag::meant(keyword)
                    );
                    cx.unknown_node(child, "in `domain`", help);
                    continue;
                }
                if let Some(service) = backing_service(cx, child)
                    && cx.unique(&mut names, "name", &service.name, &scope, help)
                {
                    backing.push(service);
                }
            }
        }
    }
    Some(Domain { name: name?, team, group, quota, workloads, backing, shared: shared_sets, span: cx.span_of(node) })
}

/// `shared "common" { config ...; secret ... }`.
fn shared(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<crate::model::SharedConfig> {
    cx.shape(node, &[], 1, "the name");
    let name = cx.name_arg(node, "shared config", true);
    let mut config = indexmap::IndexMap::new();
    let mut secrets: Vec<SecretRef> = Vec::new();
    for child in children(node) {
        match child.name().value() {
            "config" => workload::config(cx, child, &mut config, "shared"),
            "secret" => secrets.extend(workload::secret(cx, child)),
            _ => {
                let help = "a `shared` block holds `config KEY=\"value\"` and `secret \"NAME\" key=\"...\"`".to_owned();
                cx.unknown_node(child, "in `shared`", help);
            }
        }
    }
    Some(crate::model::SharedConfig { name: name?, config, secrets, span: cx.span_of(node) })
}

pub(super) fn quota(cx: &mut Ctx<'_>, node: &KdlNode) -> Quota {
    cx.shape(node, &["cpu", "memory", "pods"], 0, "only `cpu=`, `memory=` and `pods=`");
    cx.no_children(node);
    Quota {
        cpu: prop(node, "cpu").and_then(|entry| cx.quantity(entry, "`cpu`", Quantity::Cpu)),
        memory: prop(node, "memory").and_then(|entry| cx.quantity(entry, "`memory`", Quantity::Memory)),
        pods: prop(node, "pods").and_then(|entry| cx.integer(entry, "`pods`", 1, 100_000)),
        span: cx.span_of(node),
    }
}

pub(super) fn backing_service(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<BackingService> {
    let kind_name = node.name().value();
    let kind = Spanned::new(kind_name.to_owned(), cx.span(node.name().span()));
    cx.extra_args(node, 1, "the name, then `property=value` pairs");
    let name = cx.name_arg(node, kind_name, true);
    let Written { managed, placement, properties } = backing_properties(cx, node);
    let mut overrides = Vec::new();
    let mut envs = Once::default();
    for child in children(node) {
        if child.name().value() != "in" {
            let help = "a backing service block holds only `in \"<env>\" property=value` overrides".to_owned();
            cx.unknown_node(child, &format!("in `{kind_name}`"), help);
            continue;
        }
        cx.extra_args(child, 1, "the environment name, then `property=value` pairs");
        cx.no_children(child);
        let env = workload::env_arg(cx, child);
        let Written { managed, placement, properties } = backing_properties(cx, child);
        if let Some(env) = env {
            if let Some(first) = envs.0.get(&env.value) {
                let first = *first;
                cx.duplicate_setting(&format!("in \"{}\"", env.value), kind_name, env.span, first);
                continue;
            }
            envs.0.insert(env.value.clone(), env.span);
            overrides.push(BackingOverride { env, managed, placement, properties, span: cx.span_of(child) });
        }
    }
    Some(BackingService { kind, name: name?, managed, placement, properties, overrides, span: cx.span_of(node) })
}

/// What a backing service or its `in` block writes.
struct Written {
    managed: Option<Spanned<bool>>,
    placement: Option<Spanned<String>>,
    properties: IndexMap<String, Spanned<Value>>,
}

/// The properties of a backing service or of its `in` block: `managed=` (a boolean) and
/// `placement=` (a target name) typed here, the kind's properties as values (checked
/// against the kind in `resolve`). A property written twice keeps its last value.
fn backing_properties(cx: &mut Ctx<'_>, node: &KdlNode) -> Written {
    let mut written = Written { managed: None, placement: None, properties: IndexMap::new() };
    for entry in node.entries() {
        let Some(name) = entry.name() else { continue };
        match name.value() {
            "managed" => written.managed = cx.boolean(entry, "`managed`").or(written.managed),
            "placement" => written.placement = cx.string(entry, "`placement`").or(written.placement),
            key => {
                if let Some(value) = cx.value(entry, &format!("`{key}`")) {
                    written.properties.insert(key.to_owned(), value);
                }
            }
        }
    }
    written
}
