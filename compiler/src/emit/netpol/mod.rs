//! NetworkPolicies for every (environment, target, domain): a default-deny per namespace
//! and one least-privilege policy per workload, derived from the `uses` graph.
//!
//! In: the resolved [`Estate`]. Out: one [`Artifact`] per NetworkPolicy, at
//! `<env>/<target>/<domain>/networkpolicy-<name>.yaml`:
//!
//! - `default-deny`: selects every pod of the namespace, denies all ingress and egress.
//! - `<workload>`: selects the workload's pods and allows, as both ingress and egress
//!   sections (checkers such as checkov CKV2_K8S_6 and Polaris want every pod matched by a
//!   policy with both): egress to the cluster DNS, egress to each workload it `uses` on
//!   that workload's container ports, ingress from each workload that uses it on the same
//!   ports, and ingress from the ingress controller on exposed ports.
//!
//! Ports marked `metrics=#true` accept the profile's monitoring pods (Prometheus) and are
//! not part of a `uses` edge, unless every port of the workload is one (an app serving its
//! metrics on its only port: see [`peers::called_ports`]). An
//! `egress` with `cidr=` becomes an `ipBlock` rule; one without becomes the network
//! plugin's host-name policy (`<kind>-<workload>-egress.yaml`, from the library `cni`'s
//! `egress-by-name` template) where the target's plugin has one, and a warning elsewhere
//! (see [`external`]).
//!
//! Backing services (see [`backing`]): consumers get egress to in-cluster backing pods
//! or to the profile's `managed-cidr` ranges on the kind's port, and in-cluster backing
//! pods get their own policy. Exposed ports also admit the profile's `ingress-cidr`
//! ranges (load balancers outside the cluster).
//!
//! Peers always pair a `namespaceSelector` on the immutable `kubernetes.io/metadata.name`
//! label with a `podSelector` in the same element, so both must match (AND), never
//! separate elements (OR). Where the DNS pods and the ingress controller live is per-cloud
//! data from the target's resolved profile; this module never matches on a cloud name.

mod backing;
mod external;
mod peers;

use crate::diag::Diagnostics;
use crate::emit::errors::EmitError;
use crate::emit::{Artifact, Body, common};
use crate::model::WorkloadKind;
use crate::model::bounds::PortNumber;
use crate::resolve::{Estate, ResolvedDomain, ResolvedWorkload, UseTarget, View};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

/// Name of the per-namespace deny-all policy.
pub const DEFAULT_DENY: &str = "default-deny";

/// Emit the default-deny and the per-workload NetworkPolicies of every namespace.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> Vec<Artifact> {
    let mut out = Vec::new();
    // Each warning is reported once per target, whatever the environments (its text
    // names the target).
    let mut warned: std::collections::BTreeSet<(crate::diag::Span, String)> = std::collections::BTreeSet::new();
    let mut warn_once = |diags: &mut Diagnostics, span: crate::diag::Span, warning: EmitError| {
        if warned.insert((span, warning.to_string())) {
            diags.at(span, warning);
        }
    };
    for view in &estate.views {
        let callers = callers(view);
        for domain in &view.domains {
            out.push(default_deny(estate, view, domain));
            for used in &domain.backing {
                out.extend(backing::pods_policy(estate, view, domain, used));
                let consumed = domain.workloads.iter().any(|w| backing::consumes(w, domain, &used.name));
                let warnings = [
                    consumed.then(|| backing::unenforced(view, used)).flatten(),
                    backing::api_server_unreachable(view, used),
                ];
                for warning in warnings.into_iter().flatten() {
                    warn_once(diags, used.span, warning);
                }
            }
            for workload in &domain.workloads {
                out.push(workload_policy(estate, view, domain, workload, &callers));
                // Its migration pods: the same egress, under their own labels.
                if let Some(migration) = common::migration(workload) {
                    out.push(workload_policy(estate, view, domain, &migration, &callers));
                }
                for (span, warning) in exposure_and_endpoint_warnings(view, domain, workload) {
                    warn_once(diags, span, warning);
                }
                let by_name = external::by_name(workload);
                if by_name.is_empty() {
                    continue;
                }
                if let Some(template_text) = external::policy_template(&view.profile) {
                    let name = format!("{}-egress", workload.name);
                    let labels = common::workload_labels(&estate.platform, view, workload);
                    let metadata = serde_json::json!({"name": name, "namespace": domain.namespace, "labels": labels});
                    match external::policy(view, metadata, workload, &by_name, &template_text.value) {
                        Ok((kind, object)) => out.push(Artifact {
                            path: common::artifact_path(view, &domain.name, &kind, &name),
                            origin_label: format!("{} {}/{}", workload.kind.as_str(), domain.name, workload.name),
                            origin: workload.span,
                            scope: common::domain_scope(view, &domain.name),
                            body: Body::Object(object),
                        }),
                        Err(reason) => {
                            let cni = view.profile.cni.as_ref().map(|c| c.name.clone()).unwrap_or_default();
                            let span = template_text.span;
                            warn_once(diags, span, EmitError::EgressPolicy { cni, reason, span });
                        }
                    }
                } else {
                    for egress in by_name {
                        warn_once(diags, egress.span, external::unenforced(view, egress));
                    }
                }
            }
        }
    }
    out
}

/// What the policies of one workload cannot open on this target: an exposure with no
/// ingress source in the profile, and a backing service reached over the cloud's public
/// endpoint (a kind without a port) with no HTTPS egress written.
fn exposure_and_endpoint_warnings(
    view: &View,
    domain: &ResolvedDomain,
    workload: &ResolvedWorkload,
) -> Vec<(crate::diag::Span, EmitError)> {
    let mut out = Vec::new();
    let profile = &view.profile;
    if let Some(expose) = workload.expose.first()
        && profile.ingress_namespace.is_none()
        && profile.ingress_cidrs.is_empty()
    {
        let warning = EmitError::UnreachableExposure {
            workload: workload.name.clone(),
            target: view.target.clone(),
            span: expose.span,
        };
        out.push((expose.span, warning));
    }
    let https = workload.egress.iter().any(|e| e.port == HTTPS);
    for used in &workload.uses {
        if let Some(backing) = backing::used(domain, &used.target)
            && backing.port.is_none()
            && !https
        {
            let warning = EmitError::UnreachableEndpoint {
                workload: workload.name.clone(),
                kind: backing.kind.clone(),
                name: backing.name.clone(),
                target: view.target.clone(),
                span: used.span,
            };
            out.push((used.span, warning));
        }
    }
    out
}

/// The port of a cloud provider's HTTPS endpoints.
const HTTPS: PortNumber = 443;

/// `default-deny`: every pod of the namespace, both directions, no rules.
fn default_deny(estate: &Estate, view: &View, domain: &ResolvedDomain) -> Artifact {
    let object = NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(DEFAULT_DENY.to_owned()),
            namespace: Some(domain.namespace.clone()),
            labels: Some(common::domain_labels(&estate.platform, view, domain)),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(policy_types()),
            ..NetworkPolicySpec::default()
        }),
    };
    common::artifact(
        view,
        &domain.name,
        "NetworkPolicy",
        DEFAULT_DENY,
        format!("domain {}", domain.name),
        domain.span,
        &object,
    )
}

/// The policy of one workload: its pods, what they may reach and what may reach them.
fn workload_policy(
    estate: &Estate,
    view: &View,
    domain: &ResolvedDomain,
    workload: &ResolvedWorkload,
    callers: &Callers<'_>,
) -> Artifact {
    let mut egress = vec![peers::dns_egress(&view.profile)];
    let mut seen: Vec<&UseTarget> = Vec::new();
    for used in &workload.uses {
        // One rule per callee, however often it is listed.
        if seen.contains(&&used.target) {
            continue;
        }
        seen.push(&used.target);
        match &used.target {
            UseTarget::Workload { domain: callee_domain, name } => {
                if let Some((callee_ns, callee)) = reachable(view, callee_domain, name) {
                    egress.push(NetworkPolicyEgressRule {
                        to: Some(vec![peers::workload_peer(view, callee_ns, callee)]),
                        ports: Some(peers::container_ports(peers::called_ports(callee))),
                    });
                }
            }
            UseTarget::Backing { .. } => {
                if let Some(rule) =
                    backing::used(domain, &used.target).and_then(|b| backing::consumer_egress(view, domain, b))
                {
                    egress.push(rule);
                }
            }
        }
    }
    egress.extend(external::cidr_rules(workload));

    let mut ingress = Vec::new();
    if is_reachable(workload) {
        let key = (domain.name.as_str(), workload.name.as_str());
        for &(caller_ns, caller) in callers.get(&key).map_or(&[][..], Vec::as_slice) {
            // The caller's migration pods call with the caller's rights (a rule of their own).
            let migration = common::migration(caller);
            for peer in std::iter::once(caller).chain(migration.as_ref()) {
                ingress.push(NetworkPolicyIngressRule {
                    from: Some(vec![peers::workload_peer(view, caller_ns, peer)]),
                    ports: Some(peers::container_ports(peers::called_ports(workload))),
                });
            }
        }
        if let Some(rule) = peers::ingress_controller(&view.profile, workload) {
            ingress.push(rule);
        }
        if let Some(rule) = peers::load_balancer(&view.profile, workload) {
            ingress.push(rule);
        }
        ingress.extend(peers::port_exposures(&view.profile, workload));
    }
    // Any workload may serve metrics, services or not.
    if let Some(rule) = peers::monitoring(&view.profile, workload) {
        ingress.push(rule);
    }

    let object = NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(workload.name.clone()),
            namespace: Some(domain.namespace.clone()),
            labels: Some(common::workload_labels(&estate.platform, view, workload)),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(common::selector_labels(view, workload)),
                ..LabelSelector::default()
            }),
            policy_types: Some(policy_types()),
            // An empty list with policy type Ingress denies all ingress, which is what a
            // workload nobody uses and nothing exposes should get.
            ingress: Some(ingress),
            egress: Some(egress),
        }),
    };
    common::artifact(
        view,
        &domain.name,
        "NetworkPolicy",
        &workload.name,
        format!("{} {}/{}", workload.kind.as_str(), domain.name, workload.name),
        workload.span,
        &object,
    )
}

/// `[Ingress, Egress]`: every Berth policy restricts both directions.
fn policy_types() -> Vec<String> {
    vec!["Ingress".to_owned(), "Egress".to_owned()]
}

/// Whether other pods can reach a workload: only services with ports get a Service, so
/// only they are a `uses` destination with ports to allow.
fn is_reachable(workload: &ResolvedWorkload) -> bool {
    workload.kind == WorkloadKind::Service && !workload.ports.is_empty()
}

/// The callee of a `uses` edge in this view, with its namespace, if it runs here and
/// accepts connections. A callee disabled in this environment gets no rule.
fn reachable<'v>(view: &'v View, domain: &str, name: &str) -> Option<(&'v str, &'v ResolvedWorkload)> {
    let callee_domain = view.domains.iter().find(|d| d.name == domain)?;
    let callee = callee_domain.workloads.iter().find(|w| w.name == name && is_reachable(w))?;
    Some((callee_domain.namespace.as_str(), callee))
}

/// The callers of each `domain/name` in one view: every workload with a `uses` edge to
/// it, with its namespace.
type Callers<'v> = std::collections::BTreeMap<(&'v str, &'v str), Vec<(&'v str, &'v ResolvedWorkload)>>;

/// Every workload of the view with a `uses` edge to each `domain/name`, with its
/// namespace, each caller once per callee; built once per view (a lookup per workload
/// would be quadratic in the estate).
fn callers(view: &View) -> Callers<'_> {
    let mut found: Callers<'_> = std::collections::BTreeMap::new();
    for caller_domain in &view.domains {
        for caller in &caller_domain.workloads {
            let mut seen: Vec<(&str, &str)> = Vec::new();
            for used in &caller.uses {
                if let UseTarget::Workload { domain, name } = &used.target {
                    let key = (domain.as_str(), name.as_str());
                    if !seen.contains(&key) {
                        seen.push(key);
                        found.entry(key).or_default().push((caller_domain.namespace.as_str(), caller));
                    }
                }
            }
        }
    }
    // By namespace and name, not declaration order: reordering domains in the spec must
    // not reorder the rules.
    for list in found.values_mut() {
        list.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    }
    found
}
