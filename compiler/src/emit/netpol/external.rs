//! Egress to endpoints outside the cluster (`egress "api.stripe.com" port=443`).
//!
//! With `cidr=` the workload's NetworkPolicy gets an `ipBlock` rule on that port. Without
//! it, a NetworkPolicy cannot name the host: on a target whose profile says `cni "cilium"`
//! the workload gets a CiliumNetworkPolicy with `toFQDNs` (Cilium adds the allows of all
//! policies, so it widens the NetworkPolicy by exactly that host), plus the DNS rule with
//! `rules.dns` that Cilium needs to learn the host's addresses; anywhere else a warning
//! says the connection will be blocked.

use crate::emit::common;
use crate::emit::errors::EmitError;
use crate::resolve::{ResolvedEgress, ResolvedProfile, ResolvedWorkload, View};
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Map, Value, json};

/// The `ipBlock` egress rules of the workload's `egress` entries that carry a `cidr`.
pub(super) fn cidr_rules(workload: &ResolvedWorkload) -> Vec<NetworkPolicyEgressRule> {
    workload
        .egress
        .iter()
        .filter_map(|egress| {
            let cidr = egress.cidr.as_ref()?;
            Some(NetworkPolicyEgressRule {
                to: Some(vec![NetworkPolicyPeer {
                    ip_block: Some(IPBlock { cidr: cidr.clone(), except: None }),
                    ..NetworkPolicyPeer::default()
                }]),
                ports: Some(vec![NetworkPolicyPort {
                    port: Some(IntOrString::Int(egress.port)),
                    protocol: Some("TCP".to_owned()),
                    end_port: None,
                }]),
            })
        })
        .collect()
}

/// The entries without a `cidr`, which need a host-name policy.
pub(super) fn by_name(workload: &ResolvedWorkload) -> Vec<&ResolvedEgress> {
    workload.egress.iter().filter(|egress| egress.cidr.is_none()).collect()
}

/// Whether the target can enforce host-name egress (its CNI is Cilium).
pub(super) fn has_fqdn_policies(profile: &ResolvedProfile) -> bool {
    profile.cni.as_deref() == Some("cilium")
}

/// The warning for an entry no policy can enforce on this view's target.
pub(super) fn unenforced(view: &View, egress: &ResolvedEgress) -> EmitError {
    EmitError::UnenforcedEgress {
        host: egress.host.clone(),
        port: egress.port,
        target: view.target.clone(),
        span: egress.span,
    }
}

/// A `cilium.io/v2` CiliumNetworkPolicy that lets the workload's pods resolve names and
/// reach each host on its port.
pub(super) fn cilium_policy(
    view: &View,
    namespace: &str,
    labels: &std::collections::BTreeMap<String, String>,
    workload: &ResolvedWorkload,
    hosts: &[&ResolvedEgress],
) -> Value {
    let profile = &view.profile;
    // Cilium endpoint labels: the namespace is the `io.kubernetes.pod.namespace` label.
    let mut dns_endpoint = Map::new();
    dns_endpoint.insert("k8s:io.kubernetes.pod.namespace".to_owned(), json!(profile.dns_namespace));
    for (key, value) in &profile.dns_labels {
        dns_endpoint.insert(format!("k8s:{key}"), json!(value));
    }
    let dns_port = profile.dns_port.to_string();
    let mut egress = vec![json!({
        "toEndpoints": [{"matchLabels": dns_endpoint}],
        "toPorts": [{
            "ports": [{"port": dns_port, "protocol": "UDP"}, {"port": dns_port, "protocol": "TCP"}],
            "rules": {"dns": [{"matchPattern": "*"}]},
        }],
    })];
    for host in hosts {
        egress.push(json!({
            "toFQDNs": [{"matchName": host.host}],
            "toPorts": [{"ports": [{"port": host.port.to_string(), "protocol": "TCP"}]}],
        }));
    }
    json!({
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": format!("{}-egress", workload.name), "namespace": namespace, "labels": labels},
        "spec": {
            "endpointSelector": {"matchLabels": common::selector_labels(view, workload)},
            "egress": egress,
        },
    })
}
