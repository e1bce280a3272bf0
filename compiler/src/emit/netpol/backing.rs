//! Traffic to and from backing services.
//!
//! - A consumer of an **in-cluster** backing service gets egress to that service's pods
//!   (the realisation's `pods` labels) on the kind's port.
//! - Those pods get a policy of their own: ingress from their consumers on the port,
//!   from each other (replication, clustering), from their operator's namespace and,
//!   where the realisation has a `monitor`, from the target's monitoring pods on the
//!   exporter's port;
//!   egress to the cluster DNS, to each other and, when the realisation says
//!   `api-server #true`, to the profile's `api-server-cidr` ranges on 443 and 6443.
//! - A consumer of a **managed** backing service gets egress to the profile's
//!   `managed-cidr` ranges on the kind's port.
//!
//! What cannot be expressed from the profile's facts is a warning, never a silent gap.

use super::peers;
use crate::emit::errors::EmitError;
use crate::emit::{Artifact, common};
use crate::model::RealisationMode;
use crate::model::bounds::PortNumber;
use crate::resolve::{Estate, ResolvedBacking, ResolvedDomain, ResolvedWorkload, UseTarget, View};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

/// Ports the Kubernetes API server listens on (443 behind the `kubernetes` Service,
/// 6443 on kubeadm-style control planes; policies see the endpoint's port).
const API_SERVER_PORTS: [PortNumber; 2] = [443, 6443];

/// The egress rule of a consumer towards one backing service it uses, if one can be built.
pub(super) fn consumer_egress(
    view: &View,
    domain: &ResolvedDomain,
    backing: &ResolvedBacking,
) -> Option<NetworkPolicyEgressRule> {
    let port = backing.port?;
    match backing.realisation.mode {
        RealisationMode::InCluster => {
            let pods = &backing.realisation.pods;
            (!pods.is_empty()).then(|| NetworkPolicyEgressRule {
                to: Some(vec![peers::labelled_peer(&domain.namespace, pods)]),
                ports: Some(vec![peers::tcp_port(port)]),
            })
        }
        RealisationMode::Managed => {
            let cidrs = &view.profile.managed_cidrs;
            (!cidrs.is_empty()).then(|| NetworkPolicyEgressRule {
                to: Some(cidrs.iter().map(|cidr| peers::ip_block(cidr)).collect()),
                ports: Some(vec![peers::tcp_port(port)]),
            })
        }
    }
}

/// The backing service a `uses` edge points at, in this view.
pub(super) fn used<'v>(domain: &'v ResolvedDomain, target: &UseTarget) -> Option<&'v ResolvedBacking> {
    let UseTarget::Backing { domain: owner, name, .. } = target else {
        return None;
    };
    (owner == &domain.name).then(|| domain.backing.iter().find(|b| &b.name == name))?
}

/// Warnings for what the consumer rules cannot open, once per (declaration, target).
pub(super) fn unenforced(view: &View, backing: &ResolvedBacking) -> Option<EmitError> {
    backing.port?;
    let mode = backing.realisation.mode;
    let missing = match mode {
        RealisationMode::InCluster => backing.realisation.pods.is_empty(),
        RealisationMode::Managed => view.profile.managed_cidrs.is_empty(),
    };
    missing.then(|| EmitError::UnreachableBacking {
        kind: backing.kind.clone(),
        name: backing.name.clone(),
        target: view.target.clone(),
        managed: mode == RealisationMode::Managed,
        span: backing.span,
    })
}

/// The policy of an in-cluster backing service's pods, if its realisation names them.
pub(super) fn pods_policy(
    estate: &Estate,
    view: &View,
    domain: &ResolvedDomain,
    backing: &ResolvedBacking,
) -> Option<Artifact> {
    let realisation = &backing.realisation;
    if realisation.mode != RealisationMode::InCluster || realisation.pods.is_empty() {
        return None;
    }
    let own = peers::labelled_peer(&domain.namespace, &realisation.pods);
    let mut ingress = Vec::new();
    let consumers: Vec<NetworkPolicyPeer> = domain
        .workloads
        .iter()
        .filter(|workload| consumes(workload, domain, &backing.name))
        // A consumer's migration pods connect too.
        .flat_map(|workload| std::iter::once(workload.clone()).chain(common::migration(workload)))
        .map(|workload| peers::labelled_peer(&domain.namespace, &common::selector_labels(view, &workload)))
        .collect();
    if let (Some(port), false) = (backing.port, consumers.is_empty()) {
        ingress.push(NetworkPolicyIngressRule { from: Some(consumers), ports: Some(vec![peers::tcp_port(port)]) });
    }
    ingress.push(NetworkPolicyIngressRule { from: Some(vec![own.clone()]), ports: None });
    if let Some(operator) = &realisation.operator_namespace {
        ingress.push(NetworkPolicyIngressRule { from: Some(vec![peers::namespace_peer(operator)]), ports: None });
    }
    if realisation.monitor.is_some()
        && let Some(port) = realisation.metrics_port
        && let Some(rule) = peers::monitoring_port(&view.profile, port)
    {
        ingress.push(rule);
    }
    let mut egress =
        vec![peers::dns_egress(&view.profile), NetworkPolicyEgressRule { to: Some(vec![own]), ports: None }];
    if realisation.api_server && !view.profile.api_server_cidrs.is_empty() {
        egress.push(NetworkPolicyEgressRule {
            to: Some(view.profile.api_server_cidrs.iter().map(|cidr| peers::ip_block(cidr)).collect()),
            ports: Some(API_SERVER_PORTS.iter().map(|p| peers::tcp_port(*p)).collect()),
        });
    }
    let object = NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(backing.name.clone()),
            namespace: Some(domain.namespace.clone()),
            labels: Some(common::backing_labels(&estate.platform, view, backing)),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(realisation.pods.clone()),
                ..LabelSelector::default()
            }),
            policy_types: Some(super::policy_types()),
            ingress: Some(ingress),
            egress: Some(egress),
        }),
    };
    Some(common::artifact(
        view,
        &domain.name,
        "NetworkPolicy",
        &backing.name,
        common::backing_origin(domain, backing),
        backing.span,
        &object,
    ))
}

/// Warning: operator-run pods that need the API server, on a target that names no range.
pub(super) fn api_server_unreachable(view: &View, backing: &ResolvedBacking) -> Option<EmitError> {
    let realisation = &backing.realisation;
    (realisation.mode == RealisationMode::InCluster
        && !realisation.pods.is_empty()
        && realisation.api_server
        && view.profile.api_server_cidrs.is_empty())
    .then(|| EmitError::ApiServerUnreachable {
        name: backing.name.clone(),
        target: view.target.clone(),
        span: backing.span,
    })
}

/// Whether `workload` uses the backing service `name` of `domain`.
pub(super) fn consumes(workload: &ResolvedWorkload, domain: &ResolvedDomain, name: &str) -> bool {
    workload.uses.iter().any(
        |used| matches!(&used.target, UseTarget::Backing { domain: d, name: n, .. } if d == &domain.name && n == name),
    )
}
