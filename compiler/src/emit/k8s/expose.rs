//! Exposure of a service: one networking.k8s.io Ingress with every public `expose` of the
//! workload (and `<workload>-internal` for the `internal=#true` ones, with the profile's
//! internal class and annotations); Gateway API HTTPRoutes on the profile's `gateway`
//! (or `internal-gateway`) where it says `exposure "gateway"`; the profile's route objects
//! where it says `exposure "route"` (one router serves public and internal exposures
//! alike: a private router shard is the cluster's business).
//!
//! A route object is profile data (`route-object`, a YAML template: which custom resource,
//! TLS termination, ...), so a route-like exposure of another platform is a library change.
//! A route carries one host and one path, so a workload gets one per `expose`: the first
//! is named after the workload, the next ones `<workload>-2`, `<workload>-3`...

use super::Ctx;
use crate::diag::{Span, Spanned};
use crate::emit::Artifact;
use crate::emit::errors::EmitError;
use crate::model::WorkloadKind;
use crate::resolve::{Exposure, ResolvedExpose, ResolvedGateway, ResolvedWorkload};
use crate::template;
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Push the Ingress, the HTTPRoutes or the route objects of a service with at least one
/// `expose`; a `route-object` that does not render is the error. `canary` is the canary
/// Service of a Rollout whose requests the profile's router shifts: HTTPRoutes list it as
/// a second backend at weight 0 (the router sets the weights), and Ingress backends name
/// the profile's `rollout-ingress-port` when the router reads its rules from annotations.
pub(super) fn emit(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    canary: Option<String>,
    out: &mut Vec<Artifact>,
) -> Result<(), Box<(Span, EmitError)>> {
    if workload.expose.is_empty() || workload.ports.is_empty() || workload.kind != WorkloadKind::Service {
        return Ok(());
    }
    if ctx.view.profile.exposure == Exposure::Route {
        // `resolve` refuses a route exposure without the template.
        let Some(template_text) = &ctx.view.profile.route_object else { return Ok(()) };
        for (index, expose) in workload.expose.iter().enumerate() {
            let name = if index == 0 { workload.name.clone() } else { format!("{}-{}", workload.name, index + 1) };
            out.push(route(ctx, workload, expose, &name, template_text)?);
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
                    out.extend(http_routes(ctx, workload, gateway, &exposes, &name, canary.as_deref()));
                }
            } else {
                let (class, annotations) = if internal {
                    (&profile.internal_ingress_class, &profile.internal_ingress_annotations)
                } else {
                    (&profile.ingress_class, &profile.ingress_annotations)
                };
                let port = canary.as_ref().and(profile.rollout_ingress_port.as_ref());
                out.push(ingress(ctx, workload, &exposes, &name, (class.as_ref(), annotations), port));
            }
        }
    }
    Ok(())
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
    canary: Option<&str>,
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
                    let mut backends =
                        vec![serde_json::json!({ "group": "", "kind": "Service", "name": workload.name, "port": port, "weight": 1 })];
                    if let Some(canary) = canary {
                        backends.push(
                            serde_json::json!({ "group": "", "kind": "Service", "name": canary, "port": port, "weight": 0 }),
                        );
                    }
                    serde_json::json!({
                        "matches": [{ "path": { "type": "PathPrefix", "value": expose.path } }],
                        "backendRefs": backends,
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
    (class, annotations): (Option<&String>, &BTreeMap<String, String>),
    rollout_port: Option<&String>,
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
                    port: Some(ServiceBackendPort {
                        name: Some(rollout_port.unwrap_or(&expose.port).clone()),
                        number: None,
                    }),
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

/// The profile's route object for one `expose`: its `route-object` template rendered
/// over the exposure, with Berth's metadata (name, namespace, labels) after `apiVersion`
/// and `kind`.
fn route(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    expose: &ResolvedExpose,
    name: &str,
    template_text: &Spanned<String>,
) -> Result<Artifact, Box<(Span, EmitError)>> {
    let broken = |reason: String| {
        let error = EmitError::RouteObject { target: ctx.view.target.clone(), reason, span: template_text.span };
        Box::new((template_text.span, error))
    };
    let context = serde_json::json!({
        "name": name,
        "workload": workload.name,
        "namespace": ctx.domain.namespace,
        "host": expose.host,
        "path": expose.path,
        "port": expose.port,
    });
    let rendered = template::render_object(&template_text.value, &context).map_err(broken)?;
    let (Some(api_version), Some(kind)) =
        (rendered.get("apiVersion").and_then(Value::as_str), rendered.get("kind").and_then(Value::as_str))
    else {
        return Err(broken("the object needs `apiVersion` and `kind` strings".to_owned()));
    };
    let kind = kind.to_owned();
    let mut object = Map::new();
    object.insert("apiVersion".to_owned(), Value::String(api_version.to_owned()));
    object.insert("kind".to_owned(), Value::String(kind.clone()));
    object.insert("metadata".to_owned(), serde_json::to_value(ctx.workload_meta(workload, name)).unwrap_or_default());
    for (key, value) in rendered.as_object().into_iter().flatten() {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            object.insert(key.clone(), value.clone());
        }
    }
    Ok(ctx.workload_artifact(workload, &kind, name, &Value::Object(object)))
}
