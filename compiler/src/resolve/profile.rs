//! Resolving a target's profile: its cloud profile's facts with the target's on top.

use super::Ctx;
use super::errors::ResolveError;
use super::layer::layer_facts;
use super::types::{Exposure, ResolvedCni, ResolvedGateway, ResolvedProfile};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::Target;
use std::collections::BTreeMap;

/// Layer stdlib profile facts and the target's own facts.
pub(super) fn profile(
    cx: &mut Ctx<'_>,
    target: &Target,
    platform_registry: Option<&Spanned<String>>,
) -> Option<ResolvedProfile> {
    let Some(cloud) = cx.library.clouds.get(&target.cloud.value) else {
        let help = did_you_mean(&target.cloud.value, cx.library.clouds.keys().map(String::as_str), Otherwise::Declared);
        cx.error(
            target.cloud.span,
            ResolveError::UnknownReference {
                what: "cloud profile",
                name: target.cloud.value.clone(),
                span: target.cloud.span,
                help,
            },
        );
        return None;
    };
    let facts = layer_facts(cloud, &target.facts);
    // `model` accepts only the three spellings, so `ingress` is the default, not a fallback.
    let exposure = facts.exposure.as_ref().and_then(|e| Exposure::parse(&e.value)).unwrap_or(Exposure::Ingress);
    if exposure == Exposure::Route && facts.route_object.is_none() {
        cx.error(
            target.name.span,
            ResolveError::MissingRouteObject {
                target: target.name.value.clone(),
                cloud: cloud.name.value.clone(),
                span: target.name.span,
            },
        );
    }
    if exposure == Exposure::Gateway && facts.gateway.is_none() {
        cx.error(
            target.name.span,
            ResolveError::MissingGateway {
                target: target.name.value.clone(),
                cloud: cloud.name.value.clone(),
                span: target.name.span,
            },
        );
    }
    // Internal exposure falls back to the external facts, with its own on top.
    let internal_gateway = facts.internal_gateway.as_ref().or(facts.gateway.as_ref()).map(resolved_gateway);
    let internal_ingress_class =
        facts.internal_ingress_class.as_ref().or(facts.ingress_class.as_ref()).map(|c| c.value.clone());
    let internal_ingress_annotations: BTreeMap<String, String> = facts
        .ingress_annotations
        .iter()
        .chain(facts.internal_ingress_annotations.iter())
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    // An internal load balancer needs a fact that makes it internal: without one there is
    // none (`expose-port internal=#true` is then an error, not a public load balancer).
    let internal_load_balancer_annotations = (!facts.internal_load_balancer_annotations.is_empty()).then(|| {
        facts
            .load_balancer_annotations
            .iter()
            .chain(facts.internal_load_balancer_annotations.iter())
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    });
    Some(ResolvedProfile {
        cloud: cloud.name.value.clone(),
        load_balancer_annotations: facts
            .load_balancer_annotations
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
        internal_load_balancer_annotations,
        region: target.region.as_ref().map(|r| r.value.clone()),
        dns: facts.dns.map(|d| d.value),
        registry: facts.registry.map(|r| r.value).or_else(|| platform_registry.map(|r| r.value.clone())),
        exposure,
        route_object: facts.route_object,
        ingress_class: facts.ingress_class.map(|c| c.value),
        ingress_annotations: facts.ingress_annotations.into_iter().map(|(k, v)| (k, v.value)).collect(),
        storage_class: facts.storage_class.map(|s| s.value),
        fixed_uid: facts.fixed_uid.is_none_or(|f| f.value),
        uid_note: facts.uid_note.map(|n| n.value),
        run_as_user: cx.defaults.run_as_user,
        tmp_size: cx.defaults.tmp_size.clone(),
        // The default DNS labels go only with the default namespace: a profile that names
        // another DNS namespace without labels means all its pods.
        dns_labels: if facts.dns_labels.is_empty() && facts.dns_namespace.is_none() {
            cx.defaults.dns_labels.clone()
        } else {
            facts.dns_labels.into_iter().map(|(k, v)| (k, v.value)).collect()
        },
        dns_namespace: facts.dns_namespace.map_or_else(|| cx.defaults.dns_namespace.clone(), |n| n.value),
        dns_port: facts.dns_port.map_or(cx.defaults.dns_port, |p| p.value),
        ingress_namespace: facts.ingress_namespace.map(|n| n.value),
        ingress_labels: facts.ingress_labels.into_iter().map(|(k, v)| (k, v.value)).collect(),
        monitoring_namespace: facts.monitoring_namespace.map(|n| n.value),
        monitoring_labels: facts.monitoring_labels.into_iter().map(|(k, v)| (k, v.value)).collect(),
        cni: facts.cni.as_ref().and_then(|name| cni(cx, name)),
        ingress_cidrs: facts.ingress_cidrs.into_iter().map(|c| c.value).collect(),
        managed_cidrs: facts.managed_cidrs.into_iter().map(|c| c.value).collect(),
        dns_cidrs: facts.dns_cidrs.into_iter().map(|c| c.value).collect(),
        api_server_cidrs: facts.api_server_cidrs.into_iter().map(|c| c.value).collect(),
        internal_gateway,
        gateway: facts.gateway.as_ref().map(resolved_gateway),
        internal_ingress_class,
        internal_ingress_annotations,
        params: facts.params.into_iter().map(|(k, v)| (k, v.value)).collect(),
        identity_annotations: facts.identity_annotations.into_iter().collect(),
        identity_labels: facts.identity_labels.into_iter().collect(),
        backing_managed: facts.backing_managed.map(|b| b.value),
        rollouts_controller: facts.rollouts_controller.is_some_and(|c| c.value),
        // An empty template is how a target says its cluster lacks the profile's router.
        rollout_router: facts.rollout_router.filter(|r| !r.value.trim().is_empty()),
        rollout_ingress_port: facts.rollout_ingress_port.map(|p| p.value).filter(|p| !p.is_empty()),
        cluster_name: facts.cluster_name.map_or_else(|| target.name.value.clone(), |c| c.value),
        span: target.name.span,
    })
}

pub(super) fn resolved_gateway(gateway: &crate::model::GatewayRef) -> ResolvedGateway {
    ResolvedGateway {
        name: gateway.name.value.clone(),
        namespace: gateway.namespace.value.clone(),
        section: gateway.section.as_ref().map(|s| s.value.clone()),
    }
}

/// The library `cni` a profile or target names; an unknown name is reported.
fn cni(cx: &mut Ctx<'_>, name: &Spanned<String>) -> Option<ResolvedCni> {
    let Some(cni) = cx.library.cnis.get(&name.value) else {
        let help = did_you_mean(&name.value, cx.library.cnis.keys().map(String::as_str), Otherwise::Declared);
        cx.error(
            name.span,
            ResolveError::UnknownReference { what: "CNI", name: name.value.clone(), span: name.span, help },
        );
        return None;
    };
    Some(ResolvedCni { name: cni.name.value.clone(), egress_by_name: cni.egress_by_name.clone() })
}
