//! The contexts of a chart's own files (`Chart.yaml`, the values files, `_helpers.tpl`,
//! `NOTES.txt`, the README) and of the umbrella chart of an environment. The text of each
//! is a library `chart-template` ([`super::render`]); docs/helm.md lists every context.

use super::FOLDER;
use super::derive::{Leaf, LeafKind};
use super::render::Templates;
use super::yaml;
use crate::diag::Diagnostics;
use crate::emit::{Artifact, Body, Format, Scope};
use crate::resolve::{Estate, View};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `kubeVersion` of a chart: the spec's Kubernetes version or later.
fn kube_version(estate: &Estate) -> String {
    format!(">= {}.0-0", estate.kubernetes)
}

/// What every file of a domain chart can read.
pub fn chart_context(estate: &Estate, version: &str, chart: &str, target: &str, envs: &[String]) -> Value {
    json!({
        "platform": estate.platform,
        "chart": chart,
        "target": target,
        "version": version,
        "kube_version": kube_version(estate),
        "environments": envs,
    })
}

/// A context with more keys.
pub fn with(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    if let (Value::Object(out), Value::Object(extra)) = (&mut out, extra) {
        out.extend(extra);
    }
    out
}

/// The notes' context: per environment, the services (`name.namespace.svc:port`) and the
/// public hosts.
pub fn notes(envs: &[String], objects: &[BTreeMap<String, &Artifact>]) -> Value {
    let mut out = Vec::new();
    for (env, objects) in envs.iter().zip(objects) {
        let mut services = Vec::new();
        let mut hosts = Vec::new();
        for artifact in objects.values() {
            let Some(object) = artifact.object() else { continue };
            let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            let namespace = object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
            match artifact.kind() {
                "Service" => {
                    let ports = object.pointer("/spec/ports").and_then(Value::as_array).cloned().unwrap_or_default();
                    for port in ports {
                        let number = port.get("port").map(Value::to_string).unwrap_or_default();
                        services.push(format!("{name}.{namespace}.svc:{number}"));
                    }
                }
                "Ingress" => {
                    let rules = object.pointer("/spec/rules").and_then(Value::as_array).cloned().unwrap_or_default();
                    hosts.extend(rules.iter().filter_map(|rule| rule.get("host")?.as_str().map(str::to_owned)));
                }
                "HTTPRoute" => {
                    let names =
                        object.pointer("/spec/hostnames").and_then(Value::as_array).cloned().unwrap_or_default();
                    hosts.extend(names.iter().filter_map(|host| host.as_str().map(str::to_owned)));
                }
                "Route" => hosts.extend(object.pointer("/spec/host").and_then(Value::as_str).map(str::to_owned)),
                _ => {}
            }
        }
        hosts.sort();
        hosts.dedup();
        out.push(json!({ "name": env, "services": services, "hosts": hosts }));
    }
    json!({ "notes": out })
}

/// The README's context: every value, its kind and each environment's value as JSON text
/// (`null` where the object is not rendered).
pub fn readme(leaves: &[Leaf]) -> Value {
    let values: Vec<Value> = leaves
        .iter()
        .map(|leaf| {
            let kind = match leaf.kind {
                LeafKind::Enabled => "enabled",
                LeafKind::Image => "image",
                LeafKind::Scalar => "scalar",
                LeafKind::Tree => "tree",
            };
            let per_env: Vec<Value> =
                leaf.per_env.iter().map(|value| value.as_ref().map_or(Value::Null, |v| json!(v.to_string()))).collect();
            json!({ "path": leaf.path, "kind": kind, "per_env": per_env })
        })
        .collect();
    json!({ "values": values })
}

/// The umbrella chart of an environment on a target: the domain charts as dependencies,
/// with the environment's values.
pub fn umbrella(
    diags: &mut Diagnostics,
    templates: &mut Templates<'_>,
    out: &mut Vec<Artifact>,
    (estate, version, view): (&Estate, &str, &View),
    domains: &[(String, Value)],
) {
    let folder = format!("{FOLDER}/{}/umbrella.{}", view.target, view.env);
    let values: serde_json::Map<String, Value> = domains.iter().cloned().collect();
    let values = Value::Object(values);
    let context = json!({
        "name": format!("{}-{}", estate.platform, view.env),
        "platform": estate.platform,
        "environment": view.env,
        "target": view.target,
        "version": version,
        "kube_version": kube_version(estate),
        "domains": domains.iter().map(|(domain, _)| domain).collect::<Vec<_>>(),
        "document": yaml::document(&values),
        "values": values,
    });
    let subject = format!(" for the umbrella chart of environment {} on target {}", view.env, view.target);
    for (name, path, format) in [
        ("umbrella-chart", "Chart.yaml", Format::HelmChart),
        ("umbrella-values", "values.yaml", Format::Yaml),
        ("umbrella-notes", "templates/NOTES.txt", Format::HelmTemplate),
    ] {
        let Some(text) = templates.render(diags, name, &subject, &context) else { continue };
        out.push(Artifact {
            path: format!("{folder}/{path}"),
            origin_label: format!("environment {}", view.env),
            origin: view.span,
            scope: Scope::Estate,
            body: Body::Text { format, text },
        });
    }
}
