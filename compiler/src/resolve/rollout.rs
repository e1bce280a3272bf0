//! An environment's `rollout` against its targets and workloads: resolved once, and
//! every case where it would change nothing, or less than it says, reported (a setting
//! without effect is a diagnostic, never silence).

use super::rollout_errors::RolloutError;
use super::{Ctx, ResolvedProfile, ResolvedRollout, ResolvedWorkload, RolloutStrategy, View};
use crate::diag::Span;
use crate::model::WorkloadKind;
use std::collections::BTreeMap;

/// A progressive rollout needs the target's controller.
pub(super) fn applies(cx: &mut Ctx<'_>, rollout: &ResolvedRollout, env: &str, target: &str, profile: &ResolvedProfile) {
    let (Some(span), strategy) = (rollout.span, rollout.strategy) else { return };
    if strategy != RolloutStrategy::Rolling && !profile.rollouts_controller {
        let error = RolloutError::RolloutWithoutController {
            env: env.to_owned(),
            strategy: strategy.as_str(),
            target: target.to_owned(),
            span,
        };
        cx.diags.at(span, error);
    }
}

/// Warn once per environment (over all its targets) about the workloads its progressive
/// rollout leaves as they are: jobs, and workers under blue-green (a service always has
/// a port: `resolve::service_without_port`).
pub(super) fn leaves(cx: &mut Ctx<'_>, views: &[View]) {
    let mut left: BTreeMap<usize, (Span, RolloutStrategy, &str, Vec<String>)> = BTreeMap::new();
    // Environments whose progressive rollout finds no workload at all, in any target.
    let mut empty: BTreeMap<usize, Option<(Span, RolloutStrategy, &str)>> = BTreeMap::new();
    for view in views.iter().filter(|v| v.profile.rollouts_controller) {
        let (Some(span), strategy) = (view.rollout.span, view.rollout.strategy) else { continue };
        let has_workloads = view.domains.iter().any(|d| !d.workloads.is_empty());
        let slot = empty.entry(view.env_index).or_insert(Some((span, strategy, &view.env)));
        if has_workloads || strategy == RolloutStrategy::Rolling {
            *slot = None;
        }
        for workload in view.domains.iter().flat_map(|d| &d.workloads) {
            let what = match (workload.kind, strategy) {
                (_, RolloutStrategy::Rolling) => continue,
                (WorkloadKind::Job, _) => format!("job `{}` (a CronJob)", workload.name),
                (WorkloadKind::Worker, RolloutStrategy::BlueGreen) => {
                    format!("worker `{}` (no Service to switch)", workload.name)
                }
                _ => continue,
            };
            let entry = left.entry(view.env_index).or_insert_with(|| (span, strategy, &view.env, Vec::new()));
            if !entry.3.contains(&what) {
                entry.3.push(what);
            }
        }
    }
    for (span, strategy, env) in empty.into_values().flatten() {
        cx.diags.at(span, RolloutError::NothingToRoll { strategy: strategy.as_str(), env: env.to_owned(), span });
    }
    for (span, strategy, env, workloads) in left.into_values() {
        let error = RolloutError::RolloutNotApplied {
            strategy: strategy.as_str(),
            env: env.to_owned(),
            workloads: workloads.join(", "),
            span,
        };
        cx.diags.at(span, error);
    }
}

/// The environment's rollout; `model` accepts only the three strategies.
pub(super) fn resolved(environment: &crate::model::Environment) -> ResolvedRollout {
    match &environment.rollout {
        Some(rollout) => ResolvedRollout {
            strategy: RolloutStrategy::parse(&rollout.strategy.value).unwrap_or(RolloutStrategy::Rolling),
            steps: rollout.steps.clone(),
            pause: rollout.pause.as_ref().map(|p| p.value.clone()),
            span: Some(rollout.span),
        },
        None => ResolvedRollout { strategy: RolloutStrategy::Rolling, steps: Vec::new(), pause: None, span: None },
    }
}

/// Whether a canary of `workload` shifts requests through the profile's traffic router
/// (`rollout-router`): an exposed service with a port, on a profile with a router.
/// Otherwise its weights are the share of canary pods (replica ratio).
pub fn routes_requests(profile: &ResolvedProfile, workload: &ResolvedWorkload) -> bool {
    workload.kind == WorkloadKind::Service
        && !workload.ports.is_empty()
        && !workload.expose.is_empty()
        && profile.rollout_router.is_some()
}

/// Warn about canaries by replica ratio whose steps are finer than one pod: with `n`
/// pods the canary's share moves by at least 1/n, so a step (or the gap to the one
/// before it) below 100/n % cannot be honoured; with one replica every step is the one
/// canary pod. One warning per environment, naming each workload with its pods and
/// targets.
pub(super) fn replica_ratio(cx: &mut Ctx<'_>, views: &[View]) {
    // Per environment: its node, name and steps, and per (workload, pods) the targets.
    type Found<'v> = (Span, &'v str, &'v [u8], BTreeMap<(String, i64), Vec<String>>, bool);
    let mut found: BTreeMap<usize, Found<'_>> = BTreeMap::new();
    for view in views.iter().filter(|v| v.profile.rollouts_controller && v.rollout.strategy == RolloutStrategy::Canary)
    {
        let Some(span) = view.rollout.span else { continue };
        for domain in &view.domains {
            for workload in &domain.workloads {
                if workload.kind == WorkloadKind::Job || routes_requests(&view.profile, workload) {
                    continue;
                }
                let replicas = workload.scale.as_ref().map_or(workload.replicas, |scale| scale.min).max(1);
                if fine_steps(&view.rollout.steps, replicas).is_empty() {
                    continue;
                }
                let entry = found
                    .entry(view.env_index)
                    .or_insert_with(|| (span, &view.env, &view.rollout.steps, BTreeMap::new(), false));
                entry.4 |= workload.kind == WorkloadKind::Service && !workload.expose.is_empty();
                let key = (format!("{}/{}", domain.name, workload.name), replicas);
                entry.3.entry(key).or_default().push(format!("`{}`", view.target));
            }
        }
    }
    for (span, env, steps, workloads, exposed) in found.into_values() {
        let needed = needed_replicas(steps);
        let listed: Vec<String> = workloads
            .into_iter()
            .map(|((name, replicas), targets)| {
                let pods = if replicas == 1 { "1 pod".to_owned() } else { format!("{replicas} pods") };
                format!("`{name}` ({pods} on {})", targets.join(", "))
            })
            .collect();
        let router =
            if exposed { "; an exposed service shifts requests where the target has a `rollout-router`" } else { "" };
        let error = RolloutError::ReplicaRatio {
            env: env.to_owned(),
            workloads: listed.join(", "),
            help: format!(
                "without a traffic router a step is the share of canary pods: run at least {needed} pods (`replicas {needed}` or `scale min={needed}`), or write steps of whole pods{router}"
            ),
            span,
        };
        cx.diags.at(span, error);
    }
}

/// The steps that move the canary's share by less than one pod of `replicas`.
fn fine_steps(steps: &[u8], replicas: i64) -> Vec<u8> {
    let mut before = 0;
    let mut fine = Vec::new();
    for &weight in steps {
        if (i64::from(weight) - before) * replicas < 100 {
            fine.push(weight);
        }
        before = i64::from(weight);
    }
    fine
}

/// The fewest pods in which every step moves the canary's share by at least one pod.
fn needed_replicas(steps: &[u8]) -> i64 {
    let mut before = 0;
    let mut gap = 100;
    for &weight in steps {
        gap = gap.min(i64::from(weight) - before).max(1);
        before = i64::from(weight);
    }
    (100 + gap - 1) / gap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_fine_when_it_moves_less_than_one_pod() {
        assert_eq!(fine_steps(&[10, 30, 60], 1), [10, 30, 60]);
        assert_eq!(fine_steps(&[10, 30, 60], 3), [10, 30, 60]);
        assert_eq!(fine_steps(&[10, 30, 60], 5), [10]);
        assert!(fine_steps(&[10, 30, 60], 10).is_empty());
        assert!(fine_steps(&[25, 50, 75], 4).is_empty());
        assert_eq!(fine_steps(&[50], 1), [50]);
        assert_eq!(needed_replicas(&[10, 30, 60]), 10);
        assert_eq!(needed_replicas(&[25, 50, 75]), 4);
        assert_eq!(needed_replicas(&[30, 60]), 4);
    }
}
