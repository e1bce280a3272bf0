//! Resolving one workload in one view: settings layered, image, ports, exposure, health,
//! resources and scaling.

use super::errors::ResolveError;
use super::realise::{self, Scope};
use super::types::*;
use super::uses::{self, Entity};
use super::{Ctx, env, exposure, files, layer, pod, probes};
use crate::diag::{Otherwise, Span, Spanned, did_you_mean};
use crate::model::bounds::PortNumber;
use crate::model::quantity_value;
use crate::model::{Domain, Workload, WorkloadKind, WorkloadSettings};
use std::collections::BTreeMap;

#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
pub(super) fn workload(
    cx: &mut Ctx<'_>,
    domain: &Domain,
    workload: &Workload,
    scope: &Scope<'_>,
    backings: &[ResolvedBacking],
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> Option<ResolvedWorkload> {
    let (env, profile) = (scope.env, scope.profile);
    let settings = layered_settings(cx, domain, workload, env);
    if settings.enabled.as_ref().is_some_and(|e| !e.value) {
        return None;
    }
    if !realise::placed_here(cx, scope, settings.placement.as_ref()) {
        return None;
    }
    let name = workload.name.value.clone();
    let kind = workload.kind;

    let Some(image) = settings.image.as_ref() else {
        cx.error(
            workload.name.span,
            ResolveError::MissingImage {
                kind: kind.as_str(),
                name: name.clone(),
                span: workload.name.span,
                env: env.to_owned(),
            },
        );
        return None;
    };
    let image = image_reference(image, profile.registry.as_deref());

    let ports = ports(cx, &name, &settings);
    if kind == WorkloadKind::Service && ports.is_empty() {
        cx.error(workload.name.span, ResolveError::ServiceWithoutPort { name: name.clone(), span: workload.name.span });
    }

    let expose = exposures(cx, scope, &name, &ports, &settings);
    let expose_ports = exposure::expose_ports(cx, scope, (kind, &name), &ports, &settings);

    let probes = probes::probes(cx, &name, kind, &settings, &ports);
    let pod = pod::pod(&cx.defaults, &settings);
    let resources = pod::resources(&cx.defaults, &settings, &pod);
    check_limits(cx, &name, env, &settings, &resources);

    // `model` keeps replicas, scale bounds and `min <= max` in range (model::bounds).
    let replicas = settings.replicas.as_ref().map_or(cx.defaults.replicas, |r| r.value);
    let scale = settings.scale.as_ref().map(|scale| ResolvedScale {
        min: scale.min.value,
        max: scale.max.value,
        cpu_percent: scale.cpu_percent.as_ref().map_or(cx.defaults.cpu_percent, |c| c.value),
    });

    let bound = resolved_uses(cx, domain, workload, &settings, entities);
    let env = env::workload_env(cx, scope, &name, &settings, &bound, backings, entities);
    let uses: Vec<ResolvedUse> = bound.into_iter().map(|(_, used)| used).collect();
    uses::check_cross_target(cx, scope, &name, &uses, entities);
    let identity = settings.identity.as_ref().and_then(|identity| realise::identity(cx, scope, &name, identity));
    let migration = settings.migration.as_ref().map(|m| migration(cx, &name, m, profile.registry.as_deref()));
    let (http_metrics, slo) = super::observe::workload(cx, kind, &name, &settings, &ports);

    Some(ResolvedWorkload {
        kind,
        name,
        image,
        command: settings.command.map(|c| c.value).unwrap_or_default(),
        args: settings.args.map(|a| a.value).unwrap_or_default(),
        schedule: workload.schedule.as_ref().map(|s| s.value.clone()),
        ports,
        expose,
        expose_ports,
        health: probes.health,
        readiness: probes.readiness,
        liveness: probes.liveness,
        startup: probes.startup,
        resources,
        replicas,
        scale,
        config: env.config,
        composed: env.composed,
        pod_env: env.pod_env,
        secrets: settings
            .secrets
            .iter()
            .map(|s| ResolvedSecret {
                env: s.env.value.clone(),
                key: s.key.value.clone(),
                property: s.property.as_ref().map(|p| p.value.clone()),
                span: s.span,
            })
            .collect(),
        uses,
        writable: settings.writable.iter().map(|w| w.value.clone()).collect(),
        files: files::files(&settings.files),
        egress: settings
            .egress
            .iter()
            .map(|e| ResolvedEgress {
                host: e.host.value.clone(),
                port: e.port.value,
                cidr: e.cidr.as_ref().map(|c| c.value.clone()),
                span: e.span,
            })
            .collect(),
        bindings: env.bindings,
        identity,
        pod,
        migration,
        http_metrics,
        slo,
        span: workload.span,
    })
}

/// A limit written in one layer below the request of another (the workload's, an `in`
/// block's or the library default): the API server would refuse the pod template. A
/// pair written in one `resources` node is checked when it is lowered.
fn check_limits(cx: &mut Ctx<'_>, name: &str, env: &str, settings: &WorkloadSettings, resolved: &ResolvedResources) {
    let Some(written) = &settings.resources else { return };
    for (what, limit, request) in
        [("cpu", &written.cpu_limit, &resolved.cpu), ("memory", &written.memory_limit, &resolved.memory)]
    {
        if let Some(limit) = limit
            && let (Some(low), Some(high)) = (quantity_value(&limit.value), quantity_value(request))
            && low < high
        {
            cx.error(
                limit.span,
                super::value_errors::ValueError::LimitBelowRequest {
                    what,
                    limit: limit.value.clone(),
                    request: request.clone(),
                    workload: name.to_owned(),
                    env: env.to_owned(),
                    span: limit.span,
                },
            );
        }
    }
}

/// The workload's `uses`, each bound to what it names.
fn resolved_uses<'s>(
    cx: &mut Ctx<'_>,
    domain: &Domain,
    workload: &Workload,
    settings: &'s WorkloadSettings,
    entities: &BTreeMap<(String, String), Entity<'_>>,
) -> Vec<(&'s crate::model::Use, ResolvedUse)> {
    settings
        .uses
        .iter()
        .filter_map(|used| {
            let target = uses::bind_use(cx, &domain.name.value, workload, used, entities)?;
            let resolved = ResolvedUse {
                target,
                role: used.role.as_ref().map(|r| r.value.clone()),
                prefix: used.prefix.as_ref().map(|p| p.value.clone()),
                span: used.span,
            };
            Some((used, resolved))
        })
        .collect()
}

/// The workload's `expose` entries with their hosts (written, or derived from the
/// target's `dns`).
fn exposures(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    name: &str,
    ports: &[ResolvedPort],
    settings: &WorkloadSettings,
) -> Vec<ResolvedExpose> {
    let (target, namespace, profile) = (scope.target, scope.namespace, scope.profile);
    let mut expose = Vec::new();
    for exposure in &settings.expose {
        let Some(port) = port_ref(cx, name, ports, exposure.port.as_ref(), "expose", exposure.span) else {
            continue;
        };
        let host = match (&exposure.host, &profile.dns) {
            (Some(host), _) => host.value.clone(),
            (None, Some(dns)) => {
                // An internal exposure sits behind another load balancer: its own
                // default name keeps the two DNS records apart.
                let suffix = if exposure.internal { "-internal" } else { "" };
                let label = format!("{name}-{namespace}{suffix}");
                cx.check_length(&label, 63, exposure.span);
                format!("{label}.{dns}")
            }
            (None, None) => {
                cx.error(exposure.span, ResolveError::MissingHost { target: target.to_owned(), span: exposure.span });
                continue;
            }
        };
        expose.push(ResolvedExpose {
            host,
            path: exposure.path.value.clone(),
            port: port.name.clone(),
            internal: exposure.internal,
            span: exposure.span,
        });
    }
    expose
}

/// The workload's settings in environment `env`: stdlib defaults, the domain's `shared`
/// sets it includes, its own settings, then its `in` blocks for `env`.
fn layered_settings(cx: &mut Ctx<'_>, domain: &Domain, workload: &Workload, env: &str) -> WorkloadSettings {
    let mut settings: WorkloadSettings = cx.library.defaults.settings.clone();
    // Defaults never carry identity: ports, uses or images belong to the workload.
    layer::apply_settings(&mut settings, &workload.settings);
    for block in workload.overrides.iter().filter(|o| o.env.value == env) {
        layer::apply_settings(&mut settings, &block.settings);
    }
    if !settings.include.is_empty() {
        // Shared config sits under the workload's own: layer it first, then again the rest.
        let mut layered = cx.library.defaults.settings.clone();
        layer::apply_settings(&mut layered, &shared_settings(cx, domain, &settings.include));
        layer::apply_settings(&mut layered, &workload.settings);
        for block in workload.overrides.iter().filter(|o| o.env.value == env) {
            layer::apply_settings(&mut layered, &block.settings);
        }
        settings = layered;
    }
    settings
}

/// The `config` and `secret` entries of the domain's `shared` sets a workload includes,
/// in `include` order (a later set's key wins).
fn shared_settings(cx: &mut Ctx<'_>, domain: &Domain, include: &[Spanned<String>]) -> WorkloadSettings {
    let mut out = WorkloadSettings::default();
    for name in include {
        let Some(set) = domain.shared.iter().find(|set| set.name.value == name.value) else {
            let help =
                did_you_mean(&name.value, domain.shared.iter().map(|set| set.name.value.as_str()), Otherwise::Declared);
            let error = ResolveError::UnknownReference {
                what: "shared config",
                name: name.value.clone(),
                span: name.span,
                help,
            };
            cx.error(name.span, error);
            continue;
        };
        let layer = WorkloadSettings {
            config: set.config.clone(),
            secrets: set.secrets.clone(),
            ..WorkloadSettings::default()
        };
        layer::apply_settings(&mut out, &layer);
    }
    out
}

pub(super) fn ports(cx: &mut Ctx<'_>, workload: &str, settings: &WorkloadSettings) -> Vec<ResolvedPort> {
    let mut ports: Vec<ResolvedPort> = Vec::new();
    let mut seen: BTreeMap<PortNumber, Span> = BTreeMap::new();
    for port in &settings.ports {
        if let Some(first) = seen.get(&port.container_port.value) {
            cx.error(
                port.container_port.span,
                ResolveError::DuplicatePort {
                    what: "port number",
                    value: port.container_port.value.to_string(),
                    workload: workload.to_owned(),
                    span: port.container_port.span,
                    first: *first,
                },
            );
            continue;
        }
        seen.insert(port.container_port.value, port.container_port.span);
        let container_port = port.container_port.value;
        let service_port = port.service_port.as_ref().map_or(container_port, |p| p.value);
        ports.push(ResolvedPort {
            name: port.name.value.clone(),
            container_port,
            service_port,
            protocol: port.protocol.value,
            metrics: port.metrics,
        });
    }
    ports
}

/// The named port, or the first port when none is named.
pub(super) fn port_ref<'p>(
    cx: &mut Ctx<'_>,
    workload: &str,
    ports: &'p [ResolvedPort],
    name: Option<&Spanned<String>>,
    node: &'static str,
    node_span: Span,
) -> Option<&'p ResolvedPort> {
    match name {
        None => {
            let first = ports.first();
            if first.is_none() {
                cx.error(node_span, ResolveError::NeedsPort { node, workload: workload.to_owned(), span: node_span });
            }
            first
        }
        Some(name) => {
            let found = ports.iter().find(|p| p.name == name.value);
            if found.is_none() {
                let help = did_you_mean(&name.value, ports.iter().map(|p| p.name.as_str()), Otherwise::Declared);
                cx.error(
                    name.span,
                    ResolveError::UnknownPort {
                        port: name.value.clone(),
                        workload: workload.to_owned(),
                        span: name.span,
                        help,
                    },
                );
            }
            found
        }
    }
}

/// A workload's `migrate` step in this view.
fn migration(
    cx: &mut Ctx<'_>,
    name: &str,
    migration: &crate::model::Migration,
    registry: Option<&str>,
) -> ResolvedMigration {
    // The Job is `<workload>-migrate-<8 hex>`, and Job names are label values.
    cx.check_length(&format!("{name}-migrate-00000000"), 63, migration.span);
    ResolvedMigration {
        image: image_reference(&migration.image, registry),
        command: migration.command.as_ref().map(|c| c.value.clone()).unwrap_or_default(),
        args: migration.args.as_ref().map(|a| a.value.clone()).unwrap_or_default(),
        span: migration.span,
    }
}

/// The full image reference. A name whose first path segment looks like a registry host
/// (has a `.` or `:`, or is `localhost`) is complete; any other name gets the registry
/// prefix when one is set.
pub(super) fn image_reference(image: &crate::model::Image, registry: Option<&str>) -> String {
    let name = image.name.value.as_str();
    let (repository, inline_tag) = split_tag(name);
    let has_host = repository
        .split_once('/')
        .is_some_and(|(first, _)| first.contains('.') || first.contains(':') || first == "localhost");
    let mut reference = match registry {
        Some(registry) if !has_host => format!("{}/{repository}", registry.trim_end_matches('/')),
        _ => repository.to_owned(),
    };
    if let Some(tag) = image.tag.as_ref().map(|t| t.value.as_str()).or(inline_tag) {
        reference.push(':');
        reference.push_str(tag);
    }
    if let Some(digest) = &image.digest {
        reference.push('@');
        reference.push_str(&digest.value);
    }
    reference
}

/// Split `repo:tag` at a colon after the last `/` (a colon before it is a host port).
pub(super) fn split_tag(name: &str) -> (&str, Option<&str>) {
    let last_segment_start = name.rfind('/').map_or(0, |i| i + 1);
    match name.get(last_segment_start..).and_then(|segment| segment.rfind(':')) {
        Some(colon) => {
            let at = last_segment_start + colon;
            (name.get(..at).unwrap_or(name), name.get(at + 1..))
        }
        None => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn tags_split_after_the_last_slash() {
        assert_eq!(split_tag("redis:alpine"), ("redis", Some("alpine")));
        assert_eq!(split_tag("localhost:5000/app"), ("localhost:5000/app", None));
        assert_eq!(split_tag("localhost:5000/app:1.2"), ("localhost:5000/app", Some("1.2")));
        assert_eq!(split_tag("order-api"), ("order-api", None));
    }
}
