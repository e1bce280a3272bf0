//! Exposure of a service: one networking.k8s.io Ingress with every public `expose` of the
//! workload (and `<workload>-internal` for the `internal=#true` ones, with the profile's
//! internal class and annotations); Gateway API HTTPRoutes on the profile's `gateway`
//! (or `internal-gateway`) where it says `exposure "gateway"`; OpenShift Routes where it
//! says `exposure "route"` (the router serves both kinds alike: a private router shard
//! is the cluster's business).
//!
//! Route is a custom resource, not in k8s-openapi, so it is a small typed struct here.
//! A Route carries one host and one path, so a workload gets one Route per `expose`:
//! the first is named after the workload, the next ones `<workload>-2`, `<workload>-3`...

use super::Ctx;
use crate::emit::Artifact;
use crate::resolve::{Exposure, ResolvedExpose, ResolvedGateway, ResolvedWorkload};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// Push the Ingress or the Routes of a service with at least one `expose`.
pub(super) fn emit(ctx: &Ctx<'_>, workload: &ResolvedWorkload, out: &mut Vec<Artifact>) {
    if workload.expose.is_empty() {
        return;
    }
    if ctx.view.profile.exposure == Exposure::Route {
        for (index, expose) in workload.expose.iter().enumerate() {
            let name = if index == 0 { workload.name.clone() } else { format!("{}-{}", workload.name, index + 1) };
            out.push(route(ctx, workload, expose, &name));
        }
    } else {
        // Public and internal exposures go through different load balancers (an ALB
        // scheme, a GKE class, another Gateway), so each group gets its own objects; the
        // internal ones are named `<workload>-internal`.
        let profile = &ctx.view.profile;
        for internal in [false, true] {
            let exposes: Vec<&ResolvedExpose> = workload.expose.iter().filter(|e| e.internal == internal).collect();
            if exposes.is_empty() {
                continue;
            }
            let name = if internal { format!("{}-internal", workload.name) } else { workload.name.clone() };
            if profile.exposure == Exposure::Gateway {
                let gateway = if internal { &profile.internal_gateway } else { &profile.gateway };
                if let Some(gateway) = gateway {
                    out.extend(http_routes(ctx, workload, gateway, &exposes, &name));
                }
            } else {
                let (class, annotations) = if internal {
                    (&profile.internal_ingress_class, &profile.internal_ingress_annotations)
                } else {
                    (&profile.ingress_class, &profile.ingress_annotations)
                };
                out.push(ingress(ctx, workload, &exposes, &name, class.as_ref(), annotations));
            }
        }
    }
}

/// `gateway.networking.k8s.io/v1` HTTPRoutes attached to the platform's shared Gateway:
/// one per host (hostnames apply to every rule of a route), the first named after the
/// workload, the next `<workload>-2`... Backends name the Service port by number, as
/// Gateway API requires. TLS is the Gateway listener's business, not the route's.
fn http_routes(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    gateway: &ResolvedGateway,
    exposes: &[&ResolvedExpose],
    base: &str,
) -> Vec<Artifact> {
    let mut hosts: Vec<&str> = Vec::new();
    for expose in exposes {
        if !hosts.contains(&expose.host.as_str()) {
            hosts.push(&expose.host);
        }
    }
    let mut parent = serde_json::json!({
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": gateway.name,
        "namespace": gateway.namespace,
    });
    if let Some(section) = &gateway.section {
        parent["sectionName"] = serde_json::Value::String(section.clone());
    }
    hosts
        .iter()
        .enumerate()
        .map(|(index, host)| {
            let name = if index == 0 { base.to_owned() } else { format!("{base}-{}", index + 1) };
            let rules: Vec<serde_json::Value> = exposes
                .iter()
                .filter(|expose| expose.host == *host)
                .map(|expose| {
                    let port = workload.ports.iter().find(|p| p.name == expose.port).map_or(0, |p| p.service_port);
                    serde_json::json!({
                        "matches": [{ "path": { "type": "PathPrefix", "value": expose.path } }],
                        "backendRefs": [{ "group": "", "kind": "Service", "name": workload.name, "port": port, "weight": 1 }],
                    })
                })
                .collect();
            let object = serde_json::json!({
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": ctx.workload_meta(workload, &name),
                "spec": {
                    "parentRefs": [parent.clone()],
                    "hostnames": [host],
                    "rules": rules,
                },
            });
            ctx.workload_artifact(workload, "HTTPRoute", &name, &object)
        })
        .collect()
}

fn ingress(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    exposes: &[&ResolvedExpose],
    name: &str,
    class: Option<&String>,
    annotations: &BTreeMap<String, String>,
) -> Artifact {
    // One rule per host, in first-seen order, each with its paths in declaration order.
    let mut rules: Vec<IngressRule> = Vec::new();
    for expose in exposes {
        let path = HTTPIngressPath {
            path: Some(expose.path.clone()),
            path_type: "Prefix".to_owned(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: workload.name.clone(),
                    port: Some(ServiceBackendPort { name: Some(expose.port.clone()), number: None }),
                }),
                resource: None,
            },
        };
        match rules.iter_mut().find(|rule| rule.host.as_deref() == Some(expose.host.as_str())) {
            Some(rule) => {
                if let Some(http) = rule.http.as_mut() {
                    http.paths.push(path);
                }
            }
            None => rules.push(IngressRule {
                host: Some(expose.host.clone()),
                http: Some(HTTPIngressRuleValue { paths: vec![path] }),
            }),
        }
    }
    let hosts: Vec<String> = rules.iter().filter_map(|rule| rule.host.clone()).collect();
    let mut meta = ctx.workload_meta(workload, name);
    if !annotations.is_empty() {
        meta.annotations = Some(annotations.clone());
    }
    let object = Ingress {
        metadata: meta,
        spec: Some(IngressSpec {
            ingress_class_name: class.cloned(),
            rules: Some(rules),
            tls: Some(vec![IngressTLS { hosts: Some(hosts), secret_name: Some(format!("{name}-tls")) }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    };
    ctx.workload_artifact(workload, "Ingress", name, &object)
}

/// `route.openshift.io/v1` `Route`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Route {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: RouteSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RouteSpec {
    host: String,
    path: String,
    to: RouteTarget,
    port: RoutePort,
    tls: RouteTls,
    wildcard_policy: &'static str,
}

#[derive(Debug, Serialize)]
struct RouteTarget {
    kind: &'static str,
    name: String,
    weight: u16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RoutePort {
    target_port: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RouteTls {
    termination: &'static str,
    insecure_edge_termination_policy: &'static str,
}

/// A Route for one `expose`: TLS terminated at the router with its certificate, plain
/// HTTP redirected to HTTPS.
fn route(ctx: &Ctx<'_>, workload: &ResolvedWorkload, expose: &ResolvedExpose, name: &str) -> Artifact {
    let object = Route {
        api_version: "route.openshift.io/v1",
        kind: "Route",
        metadata: ctx.workload_meta(workload, name),
        spec: RouteSpec {
            host: expose.host.clone(),
            path: expose.path.clone(),
            to: RouteTarget { kind: "Service", name: workload.name.clone(), weight: 100 },
            port: RoutePort { target_port: expose.port.clone() },
            tls: RouteTls { termination: "edge", insecure_edge_termination_policy: "Redirect" },
            wildcard_policy: "None",
        },
    };
    ctx.workload_artifact(workload, "Route", name, &object)
}
