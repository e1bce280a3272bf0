//! Public exposure of a service: one networking.k8s.io Ingress with every `expose` of the
//! workload, or, where the target profile says `exposure "route"`, OpenShift Routes.
//!
//! Route is a custom resource, not in k8s-openapi, so it is a small typed struct here.
//! A Route carries one host and one path, so a workload gets one Route per `expose`:
//! the first is named after the workload, the next ones `<workload>-2`, `<workload>-3`...

use super::Ctx;
use crate::emit::Artifact;
use crate::resolve::{ResolvedExpose, ResolvedGateway, ResolvedWorkload};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// The profile's `exposure` value that selects OpenShift Routes.
const EXPOSURE_ROUTE: &str = "route";
/// The profile's `exposure` value that selects Gateway API HTTPRoutes.
const EXPOSURE_GATEWAY: &str = "gateway";

/// Push the Ingress or the Routes of a service with at least one `expose`.
pub(super) fn emit(ctx: &Ctx<'_>, workload: &ResolvedWorkload, out: &mut Vec<Artifact>) {
    if workload.expose.is_empty() {
        return;
    }
    if ctx.view.profile.exposure == EXPOSURE_ROUTE {
        for (index, expose) in workload.expose.iter().enumerate() {
            let name = if index == 0 {
                workload.name.clone()
            } else {
                format!("{}-{}", workload.name, index + 1)
            };
            out.push(route(ctx, workload, expose, &name));
        }
    } else if ctx.view.profile.exposure == EXPOSURE_GATEWAY {
        if let Some(gateway) = &ctx.view.profile.gateway {
            out.extend(http_routes(ctx, workload, gateway));
        }
    } else {
        out.push(ingress(ctx, workload));
    }
}

/// `gateway.networking.k8s.io/v1` HTTPRoutes attached to the platform's shared Gateway:
/// one per host (hostnames apply to every rule of a route), the first named after the
/// workload, the next `<workload>-2`... Backends name the Service port by number, as
/// Gateway API requires. TLS is the Gateway listener's business, not the route's.
fn http_routes(ctx: &Ctx<'_>, workload: &ResolvedWorkload, gateway: &ResolvedGateway) -> Vec<Artifact> {
    let mut hosts: Vec<&str> = Vec::new();
    for expose in &workload.expose {
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
            let name = if index == 0 { workload.name.clone() } else { format!("{}-{}", workload.name, index + 1) };
            let rules: Vec<serde_json::Value> = workload
                .expose
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

fn ingress(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
    let profile = &ctx.view.profile;
    // One rule per host, in first-seen order, each with its paths in declaration order.
    let mut rules: Vec<IngressRule> = Vec::new();
    for expose in &workload.expose {
        let path = HTTPIngressPath {
            path: Some(expose.path.clone()),
            path_type: "Prefix".to_owned(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: workload.name.clone(),
                    port: Some(ServiceBackendPort {
                        name: Some(expose.port.clone()),
                        number: None,
                    }),
                }),
                resource: None,
            },
        };
        match rules
            .iter_mut()
            .find(|rule| rule.host.as_deref() == Some(expose.host.as_str()))
        {
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
    let mut meta = ctx.workload_meta(workload, &workload.name);
    if !profile.ingress_annotations.is_empty() {
        meta.annotations = Some(profile.ingress_annotations.clone());
    }
    let object = Ingress {
        metadata: meta,
        spec: Some(IngressSpec {
            ingress_class_name: profile.ingress_class.clone(),
            rules: Some(rules),
            tls: Some(vec![IngressTLS {
                hosts: Some(hosts),
                secret_name: Some(format!("{}-tls", workload.name)),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    };
    ctx.workload_artifact(workload, "Ingress", &workload.name, &object)
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
fn route(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    expose: &ResolvedExpose,
    name: &str,
) -> Artifact {
    let object = Route {
        api_version: "route.openshift.io/v1",
        kind: "Route",
        metadata: ctx.workload_meta(workload, name),
        spec: RouteSpec {
            host: expose.host.clone(),
            path: expose.path.clone(),
            to: RouteTarget {
                kind: "Service",
                name: workload.name.clone(),
                weight: 100,
            },
            port: RoutePort {
                target_port: expose.port.clone(),
            },
            tls: RouteTls {
                termination: "edge",
                insecure_edge_termination_policy: "Redirect",
            },
            wildcard_policy: "None",
        },
    };
    ctx.workload_artifact(workload, "Route", name, &object)
}
