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
use crate::emit::Artifact;
use crate::emit::common::{self, selector_labels};
use crate::emit::errors::EmitError;
use crate::resolve::{Exposure, ResolvedWorkload, RolloutStrategy};
use serde_json::{Value, json};

/// Old ReplicaSets kept for `kubectl argo rollouts undo`.
const REVISION_HISTORY_LIMIT: i32 = 5;
/// Seconds the old ReplicaSet of a blue-green rollout keeps running after the switch,
/// so that clients still holding its endpoints drain (Argo Rollouts' default).
const SCALE_DOWN_DELAY_SECONDS: i32 = 30;

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
    let profile = &ctx.view.profile;
    let serves = workload.kind == crate::model::WorkloadKind::Service && !workload.ports.is_empty();
    if !common::progressive(ctx.view, workload) {
        return Plan::Rolling;
    }
    match ctx.view.rollout.strategy {
        RolloutStrategy::BlueGreen => Plan::BlueGreen,
        _ => Plan::Canary { routed: serves && !workload.expose.is_empty() && profile.rollout_router.is_some() },
    }
}

/// The analysis that gates each canary step and the blue-green promotion: an Argo
/// Rollouts `RolloutAnalysis` naming the workload's AnalysisTemplate (its `slo`, written
/// by the monitoring emitter from the library's `analysis` template) with the new pods'
/// pod-template hash as argument, or `None` when nothing gates the workload
/// ([`common::analysis_template`] decides for both emitters).
///
/// A canary gets an `analysis` step after every `setWeight`, blue-green a
/// `prePromotionAnalysis` (the preview pods, before the switch) and a
/// `postPromotionAnalysis` (the same pods under the real traffic, switched back on
/// failure). It names only AnalysisTemplates that are emitted next to the Rollout.
pub(super) fn analysis(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Option<Value> {
    let template = common::analysis_template(ctx.view, workload)?;
    Some(json!({
        "templates": [{ "templateName": template }],
        "args": [{ "name": common::ANALYSIS_POD_HASH_ARG, "valueFrom": { "podTemplateHashValue": "Latest" } }],
    }))
}

/// The Rollout of a workload whose plan is progressive.
pub(super) fn rollout(
    diags: &mut crate::diag::Diagnostics,
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    plan: &Plan,
) -> Artifact {
    let analysis = analysis(ctx, workload);
    let strategy = match plan {
        Plan::BlueGreen => {
            let mut blue_green = json!({
                "activeService": workload.name,
                "previewService": plan.second_service(workload),
                "autoPromotionEnabled": true,
                "scaleDownDelaySeconds": SCALE_DOWN_DELAY_SECONDS,
            });
            if let Some(analysis) = &analysis {
                blue_green["prePromotionAnalysis"] = analysis.clone();
                blue_green["postPromotionAnalysis"] = analysis.clone();
            }
            json!({ "blueGreen": blue_green })
        }
        _ => json!({ "canary": canary(diags, ctx, workload, plan, analysis.as_ref()) }),
    };
    let mut spec = serde_json::Map::new();
    // An autoscaler owns the count (it scales the Rollout); a fixed value would fight it.
    if workload.scale.is_none() {
        spec.insert("replicas".to_owned(), json!(workload.replicas));
    }
    let rest = json!({
        "revisionHistoryLimit": REVISION_HISTORY_LIMIT,
        "selector": { "matchLabels": selector_labels(ctx.view, workload) },
        "workloadRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": workload.name, "scaleDown": "never" },
        "strategy": strategy,
    });
    spec.extend(rest.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
    let mut metadata = ctx.workload_meta(workload, &workload.name);
    // The Rollout starts the new pods: in the Deployment's wave.
    if super::migration::in_workload_wave(ctx, workload) {
        let waves = super::migration::CONTROLLER_ANNOTATIONS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        metadata.annotations = Some(waves.collect());
    }
    let object = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": metadata,
        "spec": spec,
    });
    ctx.workload_artifact(workload, "Rollout", &workload.name, &object)
}

/// `strategy.canary`: the steps, and the router where requests are routed.
fn canary(
    diags: &mut crate::diag::Diagnostics,
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    plan: &Plan,
    analysis: Option<&Value>,
) -> Value {
    let rollout = &ctx.view.rollout;
    let pause = rollout.pause.as_ref().map_or_else(|| json!({}), |duration| json!({ "duration": duration }));
    let mut steps = Vec::new();
    for weight in &rollout.steps {
        steps.push(json!({ "setWeight": weight }));
        if let Some(analysis) = analysis {
            steps.push(json!({ "analysis": analysis }));
        }
        steps.push(json!({ "pause": pause }));
    }
    // One new pod at a time, none of the old ones down before it is ready.
    let mut canary = json!({ "maxSurge": 1, "maxUnavailable": 0, "steps": steps });
    if *plan == (Plan::Canary { routed: true })
        && let Some(routing) = traffic_routing(diags, ctx, workload)
    {
        canary["stableService"] = json!(workload.name);
        canary["canaryService"] = json!(plan.second_service(workload));
        canary["trafficRouting"] = routing;
    }
    canary
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
