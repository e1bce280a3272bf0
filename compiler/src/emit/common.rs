//! Helpers shared by emitters: labels, names, paths.
//!
//! In: names from the resolved estate. Out: label maps, label values and artifact paths.
//! Nothing here knows about a particular kind of object or a particular cloud.

use crate::diag::Span;
use crate::emit::{Artifact, Body, Scope};
use crate::model::{PortProtocol, WorkloadKind};
use crate::resolve::{ResolvedBacking, ResolvedDomain, ResolvedWorkload, View};
use serde::Serialize;
use std::collections::BTreeMap;

/// `app.kubernetes.io/name`: the workload (or domain) name.
pub const LABEL_NAME: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/instance`: the workload in one environment.
pub const LABEL_INSTANCE: &str = "app.kubernetes.io/instance";
/// `app.kubernetes.io/component`: `service`, `worker`, `job` (or `namespace`).
pub const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
/// `app.kubernetes.io/part-of`: the platform name.
pub const LABEL_PART_OF: &str = "app.kubernetes.io/part-of";
/// `app.kubernetes.io/managed-by`: always `berth`.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// `berth.dev/team`: the owning team of a domain.
pub const LABEL_TEAM: &str = "berth.dev/team";
/// `berth.dev/environment`: the environment name.
pub const LABEL_ENVIRONMENT: &str = "berth.dev/environment";

/// The longest label value Kubernetes accepts.
const MAX_LABEL_VALUE: usize = 63;

/// A label value that is at most 63 characters long.
///
/// Short values are returned unchanged. Longer ones are cut and end in `-` plus eight hex
/// digits of a hash of the whole value, so two long values that share a prefix still differ
/// and the same input always gives the same output.
pub fn fit_label_value(value: &str) -> String {
    if value.len() <= MAX_LABEL_VALUE {
        return value.to_owned();
    }
    let hash = format!("{:08x}", fnv1a(value.as_bytes()) & 0xffff_ffff);
    let keep = MAX_LABEL_VALUE - hash.len() - 1;
    let mut prefix: String = value.chars().take(keep).collect();
    // A label value must end with an alphanumeric character before the `-`.
    while prefix.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        prefix.pop();
    }
    format!("{prefix}-{hash}")
}

/// The `app.kubernetes.io/instance` value of a workload in an environment:
/// `<workload>-<env>`, fitted to 63 characters.
pub fn instance(workload: &str, env: &str) -> String {
    fit_label_value(&format!("{workload}-{env}"))
}

/// The labels that select a workload's pods: `name` and `instance`.
pub fn selector_labels(view: &View, workload: &ResolvedWorkload) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_owned(), workload.name.clone()),
        (LABEL_INSTANCE.to_owned(), instance(&workload.name, &view.env)),
    ])
}

/// All labels of a workload's objects and pods.
pub fn workload_labels(platform: &str, view: &View, workload: &ResolvedWorkload) -> BTreeMap<String, String> {
    let mut labels = selector_labels(view, workload);
    labels.insert(LABEL_COMPONENT.to_owned(), component(workload.kind).to_owned());
    labels.insert(LABEL_PART_OF.to_owned(), fit_label_value(platform));
    labels.insert(LABEL_MANAGED_BY.to_owned(), "berth".to_owned());
    labels
}

/// Labels of a domain's own objects (those not produced by one workload): the domain
/// as `name`, component `namespace`, platform, manager, environment and team.
pub fn domain_labels(platform: &str, view: &View, domain: &ResolvedDomain) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (LABEL_NAME.to_owned(), domain.name.clone()),
        (LABEL_COMPONENT.to_owned(), "namespace".to_owned()),
        (LABEL_PART_OF.to_owned(), fit_label_value(platform)),
        (LABEL_MANAGED_BY.to_owned(), "berth".to_owned()),
        (LABEL_ENVIRONMENT.to_owned(), fit_label_value(&view.env)),
    ]);
    if let Some(team) = &domain.team {
        labels.insert(LABEL_TEAM.to_owned(), fit_label_value(team));
    }
    labels
}

/// `app.kubernetes.io/component` of a backing service's objects.
pub const COMPONENT_BACKING: &str = "backing";

/// The labels Berth puts on every object of a backing service (its realisation's objects
/// and its pods' NetworkPolicy).
pub fn backing_labels(platform: &str, view: &View, backing: &ResolvedBacking) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_owned(), backing.name.clone()),
        (LABEL_INSTANCE.to_owned(), instance(&backing.name, &view.env)),
        (LABEL_COMPONENT.to_owned(), COMPONENT_BACKING.to_owned()),
        (LABEL_PART_OF.to_owned(), fit_label_value(platform)),
        (LABEL_MANAGED_BY.to_owned(), "berth".to_owned()),
    ])
}

/// The origin label (file header) of a backing service's artifacts: `postgres order/orders-db`.
pub fn backing_origin(domain: &ResolvedDomain, backing: &ResolvedBacking) -> String {
    format!("{} {}/{}", backing.kind, domain.name, backing.name)
}

/// The `app.kubernetes.io/component` value of a workload kind.
pub fn component(kind: WorkloadKind) -> &'static str {
    kind.as_str()
}

/// The argument an analysis template receives from the Rollout: the pod-template hash of
/// the new pods (`rollouts-pod-template-hash`), so its queries judge only them.
pub const ANALYSIS_POD_HASH_ARG: &str = "pod-hash";

/// The AnalysisTemplate that gates a workload's progressive rollout in a view, by name:
/// `<name>-slo` when the workload has an `slo`, the environment rolls out `canary` or
/// `blue-green` through the target's Rollouts controller, and Prometheus runs there
/// (`monitoring-namespace`). The monitoring emitter writes it from the library's
/// `analysis` template; the Rollout names it. `None`: nothing gates the rollout.
pub fn analysis_template(view: &View, workload: &ResolvedWorkload) -> Option<String> {
    let gated = progressive(view, workload)
        && workload.kind == WorkloadKind::Service
        && workload.slo.is_some()
        && view.profile.monitoring_namespace.is_some();
    gated.then(|| format!("{}-slo", workload.name))
}

/// Whether an Argo Rollouts `Rollout` owns the workload's pods in a view: the environment
/// rolls out `canary` (a service or worker) or `blue-green` (a service with ports) and the
/// target runs the controller. Jobs, and workers under blue-green, keep their controller.
pub fn progressive(view: &View, workload: &ResolvedWorkload) -> bool {
    use crate::resolve::RolloutStrategy;
    let serves = workload.kind == WorkloadKind::Service && !workload.ports.is_empty();
    view.profile.rollouts_controller
        && workload.kind != WorkloadKind::Job
        && match view.rollout.strategy {
            RolloutStrategy::Rolling => false,
            RolloutStrategy::Canary => true,
            RolloutStrategy::BlueGreen => serves,
        }
}

/// The artifact path `<env>/<target>/<domain>/<kind>-<name>.yaml`, kind in lower case.
pub fn artifact_path(view: &View, domain: &str, kind: &str, name: &str) -> String {
    format!("{}/{}/{}/{}-{}.yaml", view.env, view.target, domain, kind.to_ascii_lowercase(), name)
}

/// The scope of a domain's artifacts in a view.
pub fn domain_scope(view: &View, domain: &str) -> Scope {
    Scope::View { env: view.env.clone(), target: view.target.clone(), domain: Some(domain.to_owned()) }
}

/// Serialise a typed object into an [`Artifact`] at its stable path.
///
/// `kind` and `name` build the file name; typed values from k8s-openapi and our own
/// structs never fail to serialise, but if one did, the object becomes `null` rather
/// than a panic (and schema validation reports it).
pub fn artifact<T: Serialize>(
    view: &View,
    domain: &str,
    kind: &str,
    name: &str,
    origin_label: String,
    origin: Span,
    object: &T,
) -> Artifact {
    Artifact {
        path: artifact_path(view, domain, kind, name),
        origin_label,
        origin,
        scope: domain_scope(view, domain),
        body: Body::Object(serde_json::to_value(object).unwrap_or(serde_json::Value::Null)),
    }
}

/// Put the object in the namespace and add the standard labels (a template's own label
/// of the same name wins: operators select on some of them).
pub fn place(object: &mut serde_json::Value, namespace: &str, labels: &BTreeMap<String, String>) {
    let Some(root) = object.as_object_mut() else {
        return;
    };
    let metadata = root.entry("metadata").or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    metadata.insert("namespace".to_owned(), serde_json::Value::String(namespace.to_owned()));
    let existing = metadata.entry("labels").or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let Some(existing) = existing.as_object_mut() {
        for (key, value) in labels {
            existing.entry(key.clone()).or_insert_with(|| serde_json::Value::String(value.clone()));
        }
        // Stable key order whatever the template wrote.
        let sorted: BTreeMap<String, serde_json::Value> = std::mem::take(existing).into_iter().collect();
        existing.extend(sorted);
    }
}

/// 64-bit FNV-1a: tiny, stable across platforms and releases (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Eight hex digits of a hash of `bytes` (stable across runs and machines).
pub fn short_hash(bytes: &[u8]) -> String {
    format!("{:08x}", fnv1a(bytes) & 0xffff_ffff)
}

/// The workload whose pods run a workload's `migrate` step, as the NetworkPolicy and Job
/// emitters see them: named `<workload>-migrate` (so their labels, and the policies that
/// select them or admit them, differ from the workload's own pods, which a Service or
/// PodDisruptionBudget selects), a run-to-completion `job` with the migration's image,
/// command and args, no ports, probes, exposure or scaling; everything else (variables,
/// `uses`, egress, identity, files, resources, pod settings) the workload's own.
pub fn migration(workload: &ResolvedWorkload) -> Option<ResolvedWorkload> {
    let migration = workload.migration.as_ref()?;
    let mut derived = workload.clone();
    derived.name = format!("{}{MIGRATION_SUFFIX}", workload.name);
    derived.kind = WorkloadKind::Job;
    derived.image = migration.image.clone();
    derived.command = migration.command.clone();
    derived.args = migration.args.clone();
    derived.schedule = None;
    derived.ports = Vec::new();
    derived.expose = Vec::new();
    derived.health = None;
    derived.readiness = None;
    derived.liveness = None;
    derived.startup = None;
    derived.scale = None;
    derived.replicas = 1;
    derived.migration = None;
    derived.span = migration.span;
    Some(derived)
}

/// What [`migration`] appends to the workload's name.
pub const MIGRATION_SUFFIX: &str = "-migrate";

/// The transport protocol (`TCP` or `UDP`) of a port, as Kubernetes spells it.
pub fn transport(protocol: PortProtocol) -> &'static str {
    match protocol {
        PortProtocol::Udp => "UDP",
        PortProtocol::Http | PortProtocol::Grpc | PortProtocol::Tcp => "TCP",
    }
}

#[cfg(test)]
mod tests {
    use super::fit_label_value;

    #[test]
    fn short_values_are_unchanged() {
        assert_eq!(fit_label_value("order-api-prod"), "order-api-prod");
    }

    #[test]
    fn long_values_are_cut_with_a_stable_hash() {
        let long = format!("{}-prod", "a".repeat(70));
        let fitted = fit_label_value(&long);
        assert_eq!(fitted.len(), 63);
        assert_eq!(fitted, fit_label_value(&long));
        assert_ne!(fitted, fit_label_value(&format!("{}-stage", "a".repeat(70))));
    }
}
