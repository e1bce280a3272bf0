//! A workload's migration step: a Kubernetes Job that runs to completion before the
//! workload's new version rolls out, on every release.
//!
//! The Job's pod is the workload's own hardened pod template (its ServiceAccount,
//! ConfigMap, Secrets, files, resources and pod settings) with the migration's container
//! image, command and args and without probes; its pods carry the labels of the workload
//! `<workload>-migrate` (`common::migration`), so the workload's Service and
//! PodDisruptionBudget never select them, while the NetworkPolicy emitter gives them the
//! workload's egress under a policy of their own.
//!
//! Ordering is the deployment tool's, written as annotations on the Job and on the
//! workload's controller (docs/language.md, `migrate`, is the contract). The annotations
//! are library data (`defaults`: `migration-annotation`, `workload-annotation`; Rust
//! decides only which object is in which phase); the stdlib's say:
//! - Argo CD: the Job is a `Sync` hook in sync wave 1 and the controller is in wave 2, so
//!   the Job starts after everything it needs (wave 0: ServiceAccount, NetworkPolicies,
//!   ExternalSecrets, the backing services) and the workload rolls out only once it has
//!   completed; `BeforeHookCreation` replaces a Job of the same name on the next sync.
//! - Helm: `pre-upgrade` (before the new version's objects on every upgrade) and
//!   `post-install` (on the first install the objects it needs do not exist yet before
//!   the install, so it runs right after them, while the workload's pods wait for the
//!   schema), with `before-hook-creation,hook-succeeded` deletion.
//! - `kubectl apply -k`: the kustomization lists Jobs before Deployments and CronJobs
//!   (`emit::kustomize`); kubectl does not wait for completion, so a pipeline applies the
//!   Job, waits (`kubectl wait --for=condition=complete`), then applies the folder.
//!
//! The Job's name ends in a hash of its spec: a new image, command, args or variable is a
//! new Job (a Job's pod template is immutable, so re-applying a changed Job under the same
//! name would fail), and re-applying the same release is a no-op.

use super::{Ctx, pod, workload};
use crate::emit::Artifact;
use crate::emit::common;
use crate::resolve::ResolvedWorkload;
use k8s_openapi::api::batch::v1::{Job, JobSpec};

/// Retries of a failed migration run before the Job fails.
const BACKOFF_LIMIT: i32 = 3;
/// A migration still running after this many seconds fails (a lock held forever).
const ACTIVE_DEADLINE_SECONDS: i64 = 3600;
/// A finished Job (and its pods' logs) is kept for a week, then deleted by the TTL
/// controller; re-applying it then runs it again, which migration tools are built for.
const TTL_SECONDS_AFTER_FINISHED: i32 = 7 * 24 * 3600;

/// Whether a workload's controller (Deployment, CronJob, Rollout) carries the library's
/// `workload-annotation`s ([`workload_annotations`]): with a migration, so that it rolls
/// out after the Job; and whenever the estate is delivered by a GitOps tool (`platform {
/// gitops ... }`), so that every workload starts after what it uses. The phases are then:
/// first (no annotation of Berth's) the namespace, RBAC, NetworkPolicies, configuration,
/// Services and the backing services, then migration Jobs (`migration-annotation`), then
/// the workloads.
pub(super) fn in_workload_wave(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> bool {
    workload.migration.is_some() || ctx.estate.gitops.is_some()
}

/// The annotations of a workload's controller: the library's `workload-annotation`s when
/// it is in the workload phase ([`in_workload_wave`]), none otherwise.
pub(super) fn workload_annotations<'c>(
    ctx: &'c Ctx<'_>,
    workload: &ResolvedWorkload,
) -> impl Iterator<Item = (String, String)> + 'c {
    let annotations = in_workload_wave(ctx, workload).then_some(&ctx.estate.apply_order.workload);
    annotations.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone()))
}

/// The migration Job of `workload`, if it declares one.
pub(super) fn job(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Option<Artifact> {
    let derived = common::migration(workload)?;
    // The workload's own pod (its name is what the template's ServiceAccount, ConfigMap,
    // Secret and file volumes refer to) with the migration's container and labels.
    let mut own = derived.clone();
    own.name.clone_from(&workload.name);
    let mut template = pod::template(ctx, &own, Some("Never"));
    if let Some(metadata) = template.metadata.as_mut() {
        let mut labels = derived.pod.labels.clone();
        labels.extend(ctx.labels(&derived));
        if let Some(identity) = &derived.identity {
            labels.extend(identity.labels.clone());
        }
        metadata.labels = Some(labels);
    }
    let spec = JobSpec {
        backoff_limit: Some(BACKOFF_LIMIT),
        active_deadline_seconds: Some(ACTIVE_DEADLINE_SECONDS),
        ttl_seconds_after_finished: Some(TTL_SECONDS_AFTER_FINISHED),
        template,
        ..JobSpec::default()
    };
    let hash = common::short_hash(serde_json::to_string(&spec).unwrap_or_default().as_bytes());
    let name = format!("{}-{hash}", derived.name);
    let mut metadata = workload::controller_meta(ctx, &derived);
    metadata.name = Some(name.clone());
    let annotations = metadata.annotations.get_or_insert_with(Default::default);
    annotations.extend(ctx.estate.apply_order.migration.iter().map(|(k, v)| (k.clone(), v.clone())));
    let object = Job { metadata, spec: Some(spec), status: None };
    Some(ctx.workload_artifact(workload, "Job", &name, &object))
}
