//! The workload controller and its companions: ServiceAccount, Deployment (services and
//! workers) or CronJob (jobs), HorizontalPodAutoscaler and PodDisruptionBudget.

use super::rollout::Plan;
use super::{Ctx, migration, pod};
use crate::emit::Artifact;
use crate::emit::common::selector_labels;
use crate::model::WorkloadKind;
use crate::resolve::{EnvSource, ResolvedWorkload};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{ServiceAccount, TopologySpreadConstraint};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Old ReplicaSets kept for `kubectl rollout undo`.
const REVISION_HISTORY_LIMIT: i32 = 5;
/// A CronJob run that cannot start within this many seconds of its slot is skipped.
const STARTING_DEADLINE_SECONDS: i64 = 300;
/// Finished Jobs kept per CronJob.
const SUCCESSFUL_JOBS_HISTORY: i32 = 3;
/// Failed Jobs kept per CronJob.
const FAILED_JOBS_HISTORY: i32 = 1;
/// Retries of a failed Job run.
const JOB_BACKOFF_LIMIT: i32 = 3;

/// The kube-score check a workload on a target without fixed UIDs skips (checkov's
/// CKV_K8S_40 is skipped with the profile's `uid-note` as the reason).
const NO_FIXED_UID_KUBE_SCORE: (&str, &str) = ("kube-score/ignore", "container-security-context-user-group-id");
/// The reason of that skip when the profile gives no `uid-note`.
const NO_FIXED_UID_NOTE: &str = "the target's cloud profile says `fixed-uid #false`: the cluster assigns UIDs";

/// The workload's own ServiceAccount, with no API token mounted.
pub(super) fn service_account(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
    let mut metadata = ctx.workload_meta(workload, &workload.name);
    if let Some(identity) = workload.identity.as_ref().filter(|i| !i.annotations.is_empty()) {
        metadata.annotations = Some(identity.annotations.clone());
    }
    let object = ServiceAccount { metadata, automount_service_account_token: Some(false), ..ServiceAccount::default() };
    ctx.workload_artifact(workload, "ServiceAccount", &workload.name, &object)
}

/// Push the controller (Deployment or CronJob) and, for Deployments, the autoscaler and
/// the disruption budget.
/// Under a progressive `plan` the Deployment holds the pod template at zero replicas and
/// the autoscaler scales the `rollout` (the rendered Rollout, by its `apiVersion` and
/// `kind`).
pub(super) fn emit(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    plan: &Plan,
    rollout: Option<&serde_json::Value>,
    out: &mut Vec<Artifact>,
) {
    match workload.kind {
        WorkloadKind::Service | WorkloadKind::Worker => {
            out.push(deployment(ctx, workload, plan.progressive()));
            if workload.scale.is_some() {
                out.push(autoscaler(ctx, workload, rollout));
            }
            if min_replicas(workload) >= 2 {
                out.push(disruption_budget(ctx, workload));
            }
        }
        WorkloadKind::Job => out.push(cron_job(ctx, workload)),
    }
    out.extend(migration::job(ctx, workload));
}

/// The fewest replicas the workload runs with: the autoscaler's minimum, or the fixed count.
fn min_replicas(workload: &ResolvedWorkload) -> i64 {
    workload.scale.as_ref().map_or(workload.replicas, |scale| scale.min)
}

fn selector(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> LabelSelector {
    LabelSelector { match_labels: Some(selector_labels(ctx.view, workload)), match_expressions: None }
}

/// Metadata of the controller: the usual labels, plus scanner notes where a check does
/// not apply: targets that assign UIDs themselves, and workers that declare no health
/// check (they serve no traffic, so there is nothing to probe; the note makes that
/// visible in the output rather than hiding it in a global skip list).
pub(super) fn controller_meta(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> ObjectMeta {
    let mut meta = ctx.workload_meta(workload, &workload.name);
    let uid_skip;
    let mut checkov_skips: Vec<&str> = Vec::new();
    let mut notes: BTreeMap<String, String> = BTreeMap::new();
    if !ctx.view.profile.fixed_uid {
        let note = ctx.view.profile.uid_note.as_deref().unwrap_or(NO_FIXED_UID_NOTE);
        uid_skip = format!("CKV_K8S_40={note}");
        checkov_skips.push(&uid_skip);
        notes.insert(NO_FIXED_UID_KUBE_SCORE.0.to_owned(), NO_FIXED_UID_KUBE_SCORE.1.to_owned());
    }
    if workload.kind == WorkloadKind::Worker && workload.readiness.is_none() && workload.liveness.is_none() {
        checkov_skips.extend(WORKER_WITHOUT_HEALTH_SKIPS);
    } else if workload.kind != WorkloadKind::Job {
        // A probe left out on purpose (a readiness-only service: liveness restarts hurt
        // slow starts) is the spec's decision; say so where the reviewer sees it.
        if workload.liveness.is_none() && workload.readiness.is_some() {
            checkov_skips.push("CKV_K8S_8=the spec declares no liveness probe for this workload (`readiness` without `health` or `liveness`)");
        }
        if workload.readiness.is_none() && workload.liveness.is_some() {
            checkov_skips.push("CKV_K8S_9=the spec declares no readiness probe for this workload (`liveness` without `health` or `readiness`)");
        }
    }
    // The one capability `model` lets back in is the spec's stated need, not a default.
    let capability_skip = (!workload.pod.capabilities.is_empty()).then(|| {
        format!(
            "CKV_K8S_25=the spec adds only {} (`capability`), which the restricted Pod Security Standard allows: the program binds a port below 1024 as non-root",
            workload.pod.capabilities.join(", ")
        )
    });
    checkov_skips.extend(capability_skip.as_deref());
    let env_secrets = secret_env_names(workload);
    let secret_skip = (!env_secrets.is_empty()).then(|| {
        format!(
            "CKV_K8S_35=the application reads {} from its environment (spec `secret` or a backing service's binding); the value comes from a Secret the platform syncs from the store, never from a manifest",
            env_secrets.join(", ")
        )
    });
    checkov_skips.extend(secret_skip.as_deref());
    for (index, skip) in checkov_skips.iter().enumerate() {
        notes.insert(format!("checkov.io/skip{}", index + 1), (*skip).to_owned());
    }
    // After its migration Job and the backing services (the library's apply order).
    notes.extend(migration::workload_annotations(ctx, workload));
    if !notes.is_empty() {
        meta.annotations = Some(notes);
    }
    meta
}

/// The variables of a workload's container that come from a Secret.
fn secret_env_names(workload: &ResolvedWorkload) -> Vec<String> {
    let mut names: Vec<String> = workload.secrets.iter().map(|secret| secret.env.clone()).collect();
    names.extend(
        workload
            .bindings
            .iter()
            .filter(|env| matches!(env.source, EnvSource::Secret { .. }))
            .map(|env| env.name.clone()),
    );
    names
}

/// Checkov's probe checks, for a worker that declares no `health`.
const WORKER_WITHOUT_HEALTH_SKIPS: [&str; 2] = [
    "CKV_K8S_8=worker serves no traffic and declares no health check to probe",
    "CKV_K8S_9=worker serves no traffic and declares no health check to probe",
];

fn deployment(ctx: &Ctx<'_>, workload: &ResolvedWorkload, template_only: bool) -> Artifact {
    let mut template = pod::template(ctx, workload, None);
    // A Rollout's stable and new pods run side by side, even for a single replica.
    if (min_replicas(workload) > 1 || template_only)
        && let Some(spec) = template.spec.as_mut()
    {
        spec.topology_spread_constraints = Some(spread(ctx, workload));
    }
    let object = Deployment {
        metadata: controller_meta(ctx, workload),
        spec: Some(DeploymentSpec {
            // An autoscaler owns the count; a fixed value here would fight it on every apply.
            // Under a Rollout (`workloadRef`) the Deployment only holds the template.
            replicas: if template_only {
                Some(0)
            } else {
                workload.scale.is_none().then(|| i32::try_from(workload.replicas).unwrap_or(i32::MAX))
            },
            revision_history_limit: Some(REVISION_HISTORY_LIMIT),
            selector: selector(ctx, workload),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template,
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    };
    ctx.workload_artifact(workload, "Deployment", &workload.name, &object)
}

/// Spread replicas over zones (best effort) and nodes (required).
fn spread(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Vec<TopologySpreadConstraint> {
    [("topology.kubernetes.io/zone", "ScheduleAnyway"), ("kubernetes.io/hostname", "DoNotSchedule")]
        .into_iter()
        .map(|(key, when)| TopologySpreadConstraint {
            label_selector: Some(selector(ctx, workload)),
            max_skew: 1,
            topology_key: key.to_owned(),
            when_unsatisfiable: when.to_owned(),
            ..TopologySpreadConstraint::default()
        })
        .collect()
}

fn cron_job(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
    let object = CronJob {
        metadata: controller_meta(ctx, workload),
        spec: Some(CronJobSpec {
            schedule: workload.schedule.clone().unwrap_or_default(),
            concurrency_policy: Some("Forbid".to_owned()),
            starting_deadline_seconds: Some(STARTING_DEADLINE_SECONDS),
            successful_jobs_history_limit: Some(SUCCESSFUL_JOBS_HISTORY),
            failed_jobs_history_limit: Some(FAILED_JOBS_HISTORY),
            // No ttlSecondsAfterFinished: the history limits above already bound the Jobs.
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(ctx.labels(workload)), ..ObjectMeta::default() }),
                spec: Some(JobSpec {
                    backoff_limit: Some(JOB_BACKOFF_LIMIT),
                    template: pod::template(ctx, workload, Some("OnFailure")),
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    };
    ctx.workload_artifact(workload, "CronJob", &workload.name, &object)
}

fn autoscaler(ctx: &Ctx<'_>, workload: &ResolvedWorkload, rollout: Option<&serde_json::Value>) -> Artifact {
    let to_i32 = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
    let field = |key: &str| rollout.and_then(|object| object.get(key)).and_then(serde_json::Value::as_str);
    let (api_version, kind) = match (field("apiVersion"), field("kind")) {
        (Some(api_version), Some(kind)) => (api_version, kind),
        _ => ("apps/v1", "Deployment"),
    };
    let (min, max, cpu) = workload.scale.as_ref().map_or((1, 1, 80), |scale| (scale.min, scale.max, scale.cpu_percent));
    let object = HorizontalPodAutoscaler {
        metadata: ctx.workload_meta(workload, &workload.name),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(api_version.to_owned()),
                kind: kind.to_owned(),
                name: workload.name.clone(),
            },
            min_replicas: Some(to_i32(min)),
            max_replicas: to_i32(max),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".to_owned(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_owned(),
                    target: MetricTarget {
                        type_: "Utilization".to_owned(),
                        average_utilization: Some(to_i32(cpu)),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    };
    ctx.workload_artifact(workload, "HorizontalPodAutoscaler", &workload.name, &object)
}

fn disruption_budget(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
    let object = PodDisruptionBudget {
        metadata: ctx.workload_meta(workload, &workload.name),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(ctx, workload)),
            // Pods that never became ready must not block node drains.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    };
    ctx.workload_artifact(workload, "PodDisruptionBudget", &workload.name, &object)
}
