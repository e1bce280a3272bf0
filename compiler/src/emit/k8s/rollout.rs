//! Progressive delivery: an Argo Rollouts `Rollout` (argoproj.io/v1alpha1) for a service
//! or worker of an environment with `rollout "canary"` or `rollout "blue-green"`.
//!
//! The Rollout points at the workload's Deployment (`workloadRef`) instead of copying its
//! pod template: the Deployment stays the one place the hardened pod spec lives, so the
//! Kubernetes schemas, Berth's object policies and checkov (which reads Deployments and
//! not Rollouts) keep checking exactly the pods that run. The Deployment is emitted with
//! `replicas: 0` and the Rollout owns the pods (`scaleDown: never`: Berth's manifest, not
//! the controller, keeps the Deployment at zero).
//!
//! - Canary: `setWeight` for each of `steps`, each followed by a pause (`pause=` or
//!   until promoted). Where the target profile names a traffic router
//!   (`rollout-router`, a template of `trafficRouting`) and the service is exposed, the
//!   Rollout shifts requests through it between the Service `<name>` (stable) and
//!   `<name>-canary`; otherwise the weight is the share of canary pods (replica ratio).
//! - Blue-green: the Service `<name>` is the active one, `<name>-preview` reaches the new
//!   pods before promotion; promotion is automatic once the new pods are ready and the
//!   pre-promotion analysis (see [`analysis`]) passes; the post-promotion analysis
//!   switches back to the old pods (kept `scaleDownDelaySeconds` after it) on failure.

use super::Ctx;
use crate::diag::Span;
use crate::emit::common::{self, selector_labels};
use crate::emit::errors::EmitError;
use crate::resolve::{Exposure, ResolvedWorkload, RolloutStrategy};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// How one workload is rolled out in one view, decided once for the Deployment, the
/// Rollout, the Services and the autoscaler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// A Deployment's own rolling update.
    Rolling,
    /// A canary; `routed` when the profile's traffic router shifts its requests.
    Canary {
        /// Whether requests go through the profile's router (else: replica ratio).
        routed: bool,
    },
    /// Blue-green with a preview Service.
    BlueGreen,
}

impl Plan {
    /// Whether a Rollout owns the pods.
    pub(super) fn progressive(&self) -> bool {
        *self != Self::Rolling
    }

    /// The Service of the new pods next to `<name>`: `<name>-canary` for a routed canary,
    /// `<name>-preview` for blue-green.
    pub(super) fn second_service(&self, workload: &ResolvedWorkload) -> Option<String> {
        match self {
            Self::Canary { routed: true } => Some(format!("{}-canary", workload.name)),
            Self::BlueGreen => Some(format!("{}-preview", workload.name)),
            _ => None,
        }
    }
}

/// The plan of a workload: jobs, and workers under blue-green, keep their controller
/// (`resolve` warns about them); so does everything when the target has no controller
/// (`resolve` rejects that).
pub(super) fn plan(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Plan {
    if !common::progressive(ctx.view, workload) {
        return Plan::Rolling;
    }
    match ctx.view.rollout.strategy {
        RolloutStrategy::BlueGreen => Plan::BlueGreen,
        _ => Plan::Canary { routed: crate::resolve::routes_requests(&ctx.view.profile, workload) },
    }
}

/// The analysis that gates each canary step and the blue-green promotion, or `None`
/// when nothing gates the workload ([`common::analysis_template`] decides for both
/// emitters): the workload's AnalysisTemplate (its `slo`, written by the monitoring
/// emitter from the library's `analysis` template) and the argument the Rollout passes
/// it, the new pods' pod-template hash. It names only AnalysisTemplates that are emitted
/// next to the Rollout.
fn analysis(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Option<Value> {
    let template = common::analysis_template(ctx.view, workload)?;
    Some(json!({ "template": template, "pod_hash_arg": common::ANALYSIS_POD_HASH_ARG }))
}

/// The Rollout of a workload whose plan is progressive, rendered from the library's
/// `rollout` template (stdlib `rollouts.kdl`) with the plan as its context; `None`, and
/// a diagnostic once per template, when it does not render into a Rollout of the
/// workload's name. Berth places it: the domain's namespace, the workload's labels and,
/// where the output is synced in waves, the workload wave.
pub(super) fn rollout(
    diags: &mut crate::diag::Diagnostics,
    reported: &mut BTreeSet<Span>,
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    plan: &Plan,
) -> Option<Value> {
    let subject = format!("{}/{}", ctx.domain.name, workload.name);
    let Some(template) = ctx.estate.rollout_templates.get("rollout") else {
        let span = ctx.view.rollout.span.unwrap_or(workload.span);
        if reported.insert(span) {
            let reason = "the library has no `rollout` template (stdlib `rollouts.kdl`)".to_owned();
            diags.at(span, EmitError::RolloutTemplate { subject, reason, span });
        }
        return None;
    };
    let context = context(diags, ctx, workload, plan);
    let rendered = crate::template::render_monitoring(&template.value, &context)
        .and_then(|text| crate::template::parse_object(&text))
        .and_then(|object| placed(ctx, workload, object));
    match rendered {
        Ok(object) => Some(object),
        Err(reason) => {
            if reported.insert(template.span) {
                diags.at(template.span, EmitError::RolloutTemplate { subject, reason, span: template.span });
            }
            None
        }
    }
}

/// The `rollout` template's context: what Berth decided for this workload in this view.
fn context(diags: &mut crate::diag::Diagnostics, ctx: &Ctx<'_>, workload: &ResolvedWorkload, plan: &Plan) -> Value {
    let rollout = &ctx.view.rollout;
    let routing = match plan {
        Plan::Canary { routed: true } => traffic_routing(diags, ctx, workload),
        _ => None,
    };
    let second = plan.second_service(workload);
    json!({
        "name": workload.name,
        "namespace": ctx.domain.namespace,
        "kind": workload.kind.as_str(),
        "strategy": if *plan == Plan::BlueGreen { "blue-green" } else { "canary" },
        // An autoscaler owns the count (it scales the Rollout); a fixed value would fight it.
        "replicas": if workload.scale.is_none() { json!(workload.replicas) } else { Value::Null },
        "selector": selector_labels(ctx.view, workload),
        "deployment": workload.name,
        "steps": rollout.steps,
        "pause": rollout.pause,
        "analysis": analysis(ctx, workload),
        "active_service": if *plan == Plan::BlueGreen { json!(workload.name) } else { Value::Null },
        "preview_service": if *plan == Plan::BlueGreen { json!(second) } else { Value::Null },
        "stable_service": if routing.is_some() { json!(workload.name) } else { Value::Null },
        "canary_service": if routing.is_some() { json!(second) } else { Value::Null },
        // JSON text, a YAML flow mapping, in the order the router template wrote it.
        "traffic_routing": routing.map(|routing| routing.to_string()),
    })
}

/// The rendered Rollout checked and placed: it must be named as the workload (the
/// Services, the autoscaler and the analysis refer to it by that name); Berth sets its
/// namespace, adds the workload's labels (a label the template writes stays) and, in the
/// workload wave, the library's `workload-annotation`s.
fn placed(ctx: &Ctx<'_>, workload: &ResolvedWorkload, mut object: Value) -> Result<Value, String> {
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    if name != workload.name {
        return Err(format!("the Rollout must be named `{}` (`[= name =]`), not `{name}`", workload.name));
    }
    if object.get("kind").and_then(Value::as_str).is_none() || object.get("apiVersion").is_none() {
        return Err("the object needs `apiVersion` and `kind` strings".to_owned());
    }
    let written = object.get("metadata").cloned().unwrap_or_default();
    let mut metadata = ctx.workload_meta(workload, &workload.name);
    let mut labels = metadata.labels.take().unwrap_or_default();
    let mut annotations = BTreeMap::new();
    for (field, into) in [("labels", &mut labels), ("annotations", &mut annotations)] {
        for (key, value) in written.get(field).and_then(Value::as_object).into_iter().flatten() {
            into.entry(key.clone()).or_insert_with(|| value.as_str().map_or_else(|| value.to_string(), str::to_owned));
        }
    }
    // The Rollout starts the new pods: in the Deployment's wave.
    annotations.extend(super::migration::workload_annotations(ctx, workload));
    metadata.labels = Some(labels);
    metadata.annotations = (!annotations.is_empty()).then_some(annotations);
    object["metadata"] = serde_json::to_value(metadata).map_err(|error| error.to_string())?;
    Ok(object)
}

/// The profile's `rollout-router` template rendered for this workload: `name`,
/// `namespace`, `stable_service`, `canary_service`, `ingresses` (the workload's Ingress
/// names), `routes` (its HTTPRoute or Route names), `port` and `port_number` (the
/// Service port of its first `expose`).
fn traffic_routing(diags: &mut crate::diag::Diagnostics, ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Option<Value> {
    let template = ctx.view.profile.rollout_router.as_ref()?;
    let first = workload.expose.first()?;
    let port = workload.ports.iter().find(|p| p.name == first.port)?;
    let context = json!({
        "name": workload.name,
        "namespace": ctx.domain.namespace,
        "stable_service": workload.name,
        "canary_service": format!("{}-canary", workload.name),
        "ingresses": exposure_names(ctx, workload, Exposure::Ingress),
        "routes": exposure_names(ctx, workload, ctx.view.profile.exposure),
        "port": port.name,
        "port_number": port.service_port,
    });
    let rendered = crate::template::render_object(&template.value, &context)
        .and_then(|value| if value.is_object() { Ok(value) } else { Err("it does not render a mapping".to_owned()) });
    match rendered {
        Ok(value) => Some(value),
        Err(reason) => {
            let error = EmitError::RouterTemplate { target: ctx.view.target.clone(), reason, span: template.span };
            diags.at(template.span, error);
            None
        }
    }
}

/// The names of the workload's exposure objects of one kind, as `expose` names them.
fn exposure_names(ctx: &Ctx<'_>, workload: &ResolvedWorkload, kind: Exposure) -> Vec<String> {
    if ctx.view.profile.exposure != kind {
        return Vec::new();
    }
    let mut names = Vec::new();
    match kind {
        Exposure::Route => {
            for index in 0..workload.expose.len() {
                names.push(if index == 0 { workload.name.clone() } else { format!("{}-{}", workload.name, index + 1) });
            }
        }
        Exposure::Ingress | Exposure::Gateway => {
            for internal in [false, true] {
                let exposes = workload.expose.iter().filter(|e| e.internal == internal);
                let base = if internal { format!("{}-internal", workload.name) } else { workload.name.clone() };
                let count = if kind == Exposure::Gateway {
                    let mut hosts: Vec<&str> = exposes.map(|e| e.host.as_str()).collect();
                    hosts.dedup();
                    hosts.sort_unstable();
                    hosts.dedup();
                    hosts.len()
                } else {
                    usize::from(exposes.count() > 0)
                };
                for index in 0..count {
                    names.push(if index == 0 { base.clone() } else { format!("{base}-{}", index + 1) });
                }
            }
        }
    }
    names
}
