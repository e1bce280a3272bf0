//! Peers, ports and the rules built only from profile facts: cluster DNS egress and
//! ingress from the ingress controller.

use crate::emit::common;
use crate::model::bounds::PortNumber;
use crate::resolve::{ResolvedPort, ResolvedProfile, ResolvedWorkload, View};
use k8s_openapi::api::networking::v1::{
    NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// The label Kubernetes sets on every namespace to its own name (immutable, so a policy
/// cannot be fooled by a tenant relabelling its namespace).
const LABEL_NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";

/// Egress to the cluster DNS pods on the profile's DNS port, UDP and TCP (resolvers retry
/// over TCP when an answer is too large for UDP).
pub(super) fn dns_egress(profile: &ResolvedProfile) -> NetworkPolicyEgressRule {
    let port = |protocol: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(profile.dns_port)),
        protocol: Some(protocol.to_owned()),
        end_port: None,
    };
    let mut to = vec![peer(&profile.dns_namespace, &profile.dns_labels)];
    // Node-local caches and metadata-server resolvers are addresses, not pods.
    to.extend(profile.dns_cidrs.iter().map(|cidr| ip_block(cidr)));
    NetworkPolicyEgressRule { to: Some(to), ports: Some(vec![port("UDP"), port("TCP")]) }
}

/// Ingress from the ingress controller's pods on the container ports behind the
/// workload's `expose`s. `None` when nothing is exposed, or when the profile names no
/// controller namespace: some load balancers reach pods from addresses outside the
/// cluster, which a pod peer cannot express and which Berth does not guess.
pub(super) fn ingress_controller(
    profile: &ResolvedProfile,
    workload: &ResolvedWorkload,
) -> Option<NetworkPolicyIngressRule> {
    let namespace = profile.ingress_namespace.as_ref()?;
    let exposed = exposed_ports(workload);
    if exposed.is_empty() {
        return None;
    }
    Some(NetworkPolicyIngressRule {
        from: Some(vec![peer(namespace, &profile.ingress_labels)]),
        ports: Some(container_ports(exposed.into_iter())),
    })
}

/// Ingress from the load balancer's address ranges (`ingress-cidr`) on the exposed
/// container ports, for load balancers that reach pods from outside the cluster (GKE's
/// Google Front Ends, an ALB in `ip` mode). `None` without ranges or exposure.
pub(super) fn load_balancer(
    profile: &ResolvedProfile,
    workload: &ResolvedWorkload,
) -> Option<NetworkPolicyIngressRule> {
    let exposed = exposed_ports(workload);
    if profile.ingress_cidrs.is_empty() || exposed.is_empty() {
        return None;
    }
    Some(NetworkPolicyIngressRule {
        from: Some(profile.ingress_cidrs.iter().map(|cidr| ip_block(cidr)).collect()),
        ports: Some(container_ports(exposed.into_iter())),
    })
}

/// Ingress from outside the cluster to each `expose-port`: from its `from` ranges, and
/// for a load balancer also from the profile's `ingress-cidr` ranges (the load
/// balancer's own addresses: health checks, and clients where it does not keep their
/// address). The Service keeps client addresses (`externalTrafficPolicy: Local`).
pub(super) fn port_exposures(profile: &ResolvedProfile, workload: &ResolvedWorkload) -> Vec<NetworkPolicyIngressRule> {
    workload
        .expose_ports
        .iter()
        .map(|exposure| {
            let mut ranges: Vec<&String> = exposure.from.iter().collect();
            if exposure.kind == crate::model::PortExposureType::LoadBalancer {
                ranges.extend(profile.ingress_cidrs.iter().filter(|cidr| !exposure.from.contains(cidr)));
            }
            NetworkPolicyIngressRule {
                from: Some(ranges.into_iter().map(|cidr| ip_block(cidr)).collect()),
                ports: Some(container_ports(std::iter::once(&exposure.port))),
            }
        })
        .collect()
}

/// The container ports behind a workload's `expose`s, each once, in first-seen order.
fn exposed_ports(workload: &ResolvedWorkload) -> Vec<&ResolvedPort> {
    let mut exposed: Vec<&ResolvedPort> = Vec::new();
    for expose in &workload.expose {
        if let Some(port) = workload.ports.iter().find(|p| p.name == expose.port)
            && !exposed.iter().any(|seen| seen.name == port.name)
        {
            exposed.push(port);
        }
    }
    exposed
}

/// An address range peer.
pub(super) fn ip_block(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(k8s_openapi::api::networking::v1::IPBlock { cidr: cidr.to_owned(), except: None }),
        ..NetworkPolicyPeer::default()
    }
}

/// Pods with `labels` in `namespace` (a backing service's pods).
pub(super) fn labelled_peer(namespace: &str, labels: &BTreeMap<String, String>) -> NetworkPolicyPeer {
    peer(namespace, labels)
}

/// Every pod of `namespace` (an operator's namespace).
pub(super) fn namespace_peer(namespace: &str) -> NetworkPolicyPeer {
    peer(namespace, &BTreeMap::new())
}

/// One TCP port.
pub(super) fn tcp_port(port: PortNumber) -> NetworkPolicyPort {
    NetworkPolicyPort { port: Some(IntOrString::Int(port)), protocol: Some("TCP".to_owned()), end_port: None }
}

/// The ports a `uses` edge to `workload` opens: every port not marked `metrics=#true`
/// (those are the monitoring pods', not the callers'), or every port when all of them are
/// metrics ports (an app serving its metrics on the port it serves its callers on).
pub(super) fn called_ports(workload: &ResolvedWorkload) -> impl Iterator<Item = &ResolvedPort> {
    let all_metrics = workload.ports.iter().all(|port| port.metrics);
    workload.ports.iter().filter(move |port| all_metrics || !port.metrics)
}

/// Ingress from the profile's monitoring pods on the workload's `metrics` ports. `None`
/// when no port is a metrics port or the profile names no monitoring namespace.
pub(super) fn monitoring(profile: &ResolvedProfile, workload: &ResolvedWorkload) -> Option<NetworkPolicyIngressRule> {
    let namespace = profile.monitoring_namespace.as_ref()?;
    let metrics: Vec<&ResolvedPort> = workload.ports.iter().filter(|port| port.metrics).collect();
    if metrics.is_empty() {
        return None;
    }
    Some(NetworkPolicyIngressRule {
        from: Some(vec![peer(namespace, &profile.monitoring_labels)]),
        ports: Some(container_ports(metrics.into_iter())),
    })
}

/// Ingress from the profile's monitoring pods on one port (a backing service's exporter).
/// `None` when the profile names no monitoring namespace.
pub(super) fn monitoring_port(profile: &ResolvedProfile, port: PortNumber) -> Option<NetworkPolicyIngressRule> {
    let namespace = profile.monitoring_namespace.as_ref()?;
    Some(NetworkPolicyIngressRule {
        from: Some(vec![peer(namespace, &profile.monitoring_labels)]),
        ports: Some(vec![tcp_port(port)]),
    })
}

/// The pods of `workload` in `namespace`: namespace and pod selector in one element (AND).
pub(super) fn workload_peer(view: &View, namespace: &str, workload: &ResolvedWorkload) -> NetworkPolicyPeer {
    peer(namespace, &common::selector_labels(view, workload))
}

/// One port entry per container port, with its transport protocol. Policies match the
/// pod's port, not the Service port, so the container port is what counts.
pub(super) fn container_ports<'p>(ports: impl Iterator<Item = &'p ResolvedPort>) -> Vec<NetworkPolicyPort> {
    ports
        .map(|port| NetworkPolicyPort {
            port: Some(IntOrString::Int(port.container_port)),
            protocol: Some(crate::emit::common::transport(port.protocol).to_owned()),
            end_port: None,
        })
        .collect()
}

/// Pods labelled `pod_labels` in the namespace named `namespace`. Without pod labels the
/// peer is every pod of that namespace (an explicit `podSelector: {}`, which also keeps
/// the element an AND of both selectors).
fn peer(namespace: &str, pod_labels: &BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(LABEL_NAMESPACE_NAME.to_owned(), namespace.to_owned())])),
            ..LabelSelector::default()
        }),
        pod_selector: Some(LabelSelector {
            match_labels: (!pod_labels.is_empty()).then(|| pod_labels.clone()),
            ..LabelSelector::default()
        }),
        ip_block: None,
    }
}
