//! Egress to endpoints outside the cluster (`egress "api.stripe.com" port=443`).
//!
//! With `cidr=` the workload's NetworkPolicy gets an `ipBlock` rule on that port. Without
//! it, a NetworkPolicy cannot name the host: on a target whose network plugin (a library
//! `cni`) has an `egress-by-name` template, the workload gets that plugin's policy (the
//! stdlib's `cilium`: a CiliumNetworkPolicy with `toFQDNs` and the DNS rule Cilium needs
//! to learn the host's addresses); anywhere else a warning says the connection will be
//! blocked.

use crate::diag::Spanned;
use crate::emit::common;
use crate::emit::errors::EmitError;
use crate::resolve::{ResolvedEgress, ResolvedProfile, ResolvedWorkload, View};
use crate::template;
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

/// The template of the target's host-name egress policy, when its network plugin (the
/// profile's `cni`) has one.
pub(super) fn policy_template(profile: &ResolvedProfile) -> Option<&Spanned<String>> {
    profile.cni.as_ref()?.egress_by_name.as_ref()
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

/// The network plugin's policy that lets the workload's pods resolve names and reach each
/// host on its port: the `cni`'s `egress-by-name` template rendered over the workload's
/// selector, the profile's DNS pods and the hosts, with Berth's metadata after
/// `apiVersion` and `kind`. `Err` says why the template does not render.
pub(super) fn policy(
    view: &View,
    metadata: Value,
    workload: &ResolvedWorkload,
    hosts: &[&ResolvedEgress],
    template_text: &str,
) -> Result<(String, Value), String> {
    let profile = &view.profile;
    let hosts: Vec<Value> = hosts.iter().map(|h| json!({"host": h.host, "port": h.port})).collect();
    let context = json!({
        "name": metadata["name"],
        "namespace": metadata["namespace"],
        "selector": common::selector_labels(view, workload),
        "dns_namespace": profile.dns_namespace,
        "dns_labels": profile.dns_labels,
        "dns_port": profile.dns_port,
        "hosts": hosts,
    });
    let rendered = template::render_object(template_text, &context)?;
    let (Some(api_version), Some(kind)) =
        (rendered.get("apiVersion").and_then(Value::as_str), rendered.get("kind").and_then(Value::as_str))
    else {
        return Err("the object needs `apiVersion` and `kind` strings".to_owned());
    };
    let kind = kind.to_owned();
    let mut object = Map::new();
    object.insert("apiVersion".to_owned(), Value::String(api_version.to_owned()));
    object.insert("kind".to_owned(), Value::String(kind.clone()));
    object.insert("metadata".to_owned(), metadata);
    for (key, value) in rendered.as_object().into_iter().flatten() {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            object.insert(key.clone(), value.clone());
        }
    }
    Ok((kind, Value::Object(object)))
}
