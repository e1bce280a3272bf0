//! Monitoring: prometheus-operator monitors for `metrics=#true` ports, a PrometheusRule
//! of multi-window burn-rate alerts per `slo`, and a Grafana dashboard per domain.
//!
//! In: the resolved [`Estate`] (its `monitoring` templates, library data). Out: per view
//! whose target names a `monitoring-namespace` (where Prometheus runs), a
//! ServiceMonitor (service) or PodMonitor (worker, job) per workload with a metrics
//! port, a PrometheusRule per workload with an `slo`, an Argo Rollouts AnalysisTemplate
//! per workload whose `slo` gates its canary steps or blue-green promotion (where
//! [`common::analysis_template`] names one), and a ConfigMap holding the domain's
//! dashboard when one of its workloads has `http-metrics`. The objects come
//! from the library's templates (`stdlib/monitoring.kdl`, replaceable with `--lib`);
//! this module knows no metric name, alert or dashboard.

mod context;

use crate::diag::{Diagnostics, Span, Spanned};
use crate::emit::errors::EmitError;
use crate::emit::{Artifact, Body, common};
use crate::resolve::{Estate, ResolvedDomain, View};
use crate::template;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Emit the monitoring objects of every view.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> Vec<Artifact> {
    let mut cx = Emit { diags, estate, reported: BTreeSet::new(), out: Vec::new() };
    for view in &estate.views {
        for domain in &view.domains {
            if view.profile.monitoring_namespace.is_none() {
                unmonitored(&mut cx, view, domain);
                continue;
            }
            objects(&mut cx, view, domain);
            dashboard(&mut cx, view, domain);
        }
    }
    cx.out
}

struct Emit<'a> {
    diags: &'a mut Diagnostics,
    estate: &'a Estate,
    /// A broken template is reported once, not once per workload and view.
    reported: BTreeSet<(Span, String)>,
    out: Vec<Artifact>,
}

/// Warn once per workload and target about objectives nothing evaluates.
fn unmonitored(cx: &mut Emit<'_>, view: &View, domain: &ResolvedDomain) {
    for workload in &domain.workloads {
        if let Some(slo) = &workload.slo
            && cx.reported.insert((slo.span, view.target.clone()))
        {
            let error = EmitError::UnmonitoredSlo {
                workload: format!("{}/{}", domain.name, workload.name),
                target: view.target.clone(),
                span: slo.span,
            };
            cx.diags.at(slo.span, error);
        }
    }
}

/// A workload's monitor and rules.
fn objects(cx: &mut Emit<'_>, view: &View, domain: &ResolvedDomain) {
    for workload in &domain.workloads {
        let origin = format!("{} {}/{}", workload.kind.as_str(), domain.name, workload.name);
        let context = context::workload(cx.estate, view, domain, workload);
        let labels = common::workload_labels(&cx.estate.platform, view, workload);
        let mut names = Vec::new();
        if workload.ports.iter().any(|port| port.metrics) {
            // A Rollout's pods are scraped directly: its preview or canary Service selects
            // the same pods as the stable one once promoted, and a ServiceMonitor would
            // scrape each of them twice.
            let rollout = common::progressive(view, workload);
            names.push(if workload.kind == crate::model::WorkloadKind::Service && !rollout {
                "service-monitor"
            } else {
                "pod-monitor"
            });
        }
        if workload.slo.is_some() {
            names.push("rules");
        }
        let analysis = common::analysis_template(view, workload);
        if analysis.is_some() {
            names.push("analysis");
        }
        for name in names {
            let Some(template) = cx.estate.monitoring.templates.get(name) else { continue };
            let subject = format!("{}/{}", domain.name, workload.name);
            let Some(object) = render(cx, name, template, &context, &subject) else { continue };
            if name == "analysis"
                && let Err(reason) = gate(&object, analysis.as_deref().unwrap_or_default())
            {
                broken(cx, name, template, &subject, reason);
                continue;
            }
            place(cx, view, domain, object, &labels, origin.clone(), workload.span);
        }
    }
}

/// What the Rollout relies on in a rendered `analysis`: an AnalysisTemplate of the name
/// it names, declaring the argument it passes.
fn gate(object: &Value, name: &str) -> Result<(), String> {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
    let rendered = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    if kind != "AnalysisTemplate" || rendered != name {
        return Err(format!(
            "the Rollout names the AnalysisTemplate `{name}` (`[= analysis =]`), not the {kind} `{rendered}`"
        ));
    }
    let declared = object.pointer("/spec/args").and_then(Value::as_array).is_some_and(|args| {
        args.iter().any(|arg| arg.get("name").and_then(Value::as_str) == Some(common::ANALYSIS_POD_HASH_ARG))
    });
    if !declared {
        let arg = common::ANALYSIS_POD_HASH_ARG;
        return Err(format!("the Rollout passes the argument `{arg}`; declare it in `spec.args`"));
    }
    Ok(())
}

/// The domain's dashboard, in a ConfigMap the Grafana sidecar finds by its labels.
fn dashboard(cx: &mut Emit<'_>, view: &View, domain: &ResolvedDomain) {
    if !domain.workloads.iter().any(|workload| workload.http_metrics.is_some()) {
        return;
    }
    let Some(template) = cx.estate.monitoring.templates.get("dashboard") else { return };
    let context = context::dashboard(cx.estate, view, domain);
    let text = match template::render_monitoring(&template.value, &context) {
        Ok(text) => text,
        Err(reason) => return broken(cx, "dashboard", template, &domain.name, reason),
    };
    let json = match serde_json::from_str::<Value>(&text) {
        Ok(json) if json.get("panels").is_some_and(Value::is_array) && json.get("title").is_some() => json,
        Ok(_) => {
            let reason = "the dashboard has no `title` and `panels` list".to_owned();
            return broken(cx, "dashboard", template, &domain.name, reason);
        }
        Err(error) => {
            let reason = format!("the dashboard is not JSON: {error}");
            return broken(cx, "dashboard", template, &domain.name, reason);
        }
    };
    let mut labels = common::domain_labels(&cx.estate.platform, view, domain);
    labels.extend(cx.estate.monitoring.dashboard_labels.clone());
    let name = format!("{}-dashboard", domain.name);
    // Pretty-printed, so a review shows a changed panel line by line.
    let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    let map = ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(domain.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(format!("{}.json", domain.name), text)])),
        ..ConfigMap::default()
    };
    let origin = format!("domain {}", domain.name);
    cx.out.push(common::artifact(view, &domain.name, "ConfigMap", &name, origin, domain.span, &map));
}

/// Render one object template: one YAML mapping with `apiVersion`, `kind` and
/// `metadata.name`.
fn render(cx: &mut Emit<'_>, name: &str, template: &Spanned<String>, context: &Value, subject: &str) -> Option<Value> {
    let object = template::render_monitoring(&template.value, context).and_then(|text| template::parse_object(&text));
    let object = match object {
        Ok(object) => object,
        Err(reason) => {
            broken(cx, name, template, subject, reason);
            return None;
        }
    };
    let named = object.pointer("/metadata/name").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    if !named || object.get("kind").and_then(Value::as_str).is_none() || object.get("apiVersion").is_none() {
        let reason = "the object needs `apiVersion`, `kind` and `metadata.name` strings".to_owned();
        broken(cx, name, template, subject, reason);
        return None;
    }
    Some(object)
}

fn broken(cx: &mut Emit<'_>, name: &str, template: &Spanned<String>, subject: &str, reason: String) {
    if cx.reported.insert((template.span, reason.clone())) {
        let error = EmitError::MonitoringTemplate {
            template: name.to_owned(),
            subject: subject.to_owned(),
            reason,
            span: template.span,
        };
        cx.diags.at(template.span, error);
    }
}

/// Put a rendered object into the domain's namespace with the workload's labels.
fn place(
    cx: &mut Emit<'_>,
    view: &View,
    domain: &ResolvedDomain,
    mut object: Value,
    labels: &BTreeMap<String, String>,
    origin: String,
    span: Span,
) {
    common::place(&mut object, &domain.namespace, labels);
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    cx.out.push(Artifact {
        path: common::artifact_path(view, &domain.name, &kind, &name),
        origin_label: origin,
        origin: span,
        scope: common::domain_scope(view, &domain.name),
        body: Body::Object(object),
    });
}
