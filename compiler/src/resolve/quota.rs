//! The domain's quota check: what its workloads and backing services need at most in one
//! environment (each pod's limits times the most pods it runs) against its `quota`, so a
//! namespace the pods cannot fit in is reported at the domain, with the numbers, before
//! the API server refuses pods at admission.

use super::Ctx;
use super::errors::ResolveError;
use super::pod::format_bytes;
use super::types::{ResolvedDomain, ResolvedWorkload};
use crate::diag::Span;
use crate::model::{Domain, WorkloadKind, quantity_value};

/// One contributor: its name, pods, and their CPU (cores) and memory (bytes) in total.
struct Need {
    what: String,
    pods: i64,
    cpu: f64,
    memory: f64,
}

/// The most pods a workload runs at once: the autoscaler's maximum or the fixed count,
/// plus the one extra pod a Deployment's rolling update starts (`maxSurge: 1`); a
/// CronJob's runs never overlap (`concurrencyPolicy: Forbid`). A `migrate` Job (the
/// workload's resources) runs one more pod during a release.
fn most_pods(workload: &ResolvedWorkload) -> i64 {
    let migration = i64::from(workload.migration.is_some());
    migration
        + match workload.kind {
            WorkloadKind::Job => 1,
            WorkloadKind::Service | WorkloadKind::Worker => {
                let replicas = workload.scale.as_ref().map_or(workload.replicas, |scale| scale.max);
                if replicas > 0 { replicas + 1 } else { 0 }
            }
        }
}

/// Report `resolved` when its workloads and backing pods cannot fit in its quota.
pub(super) fn check(cx: &mut Ctx<'_>, domain: &Domain, env: &str, resolved: &ResolvedDomain) {
    let mut needs: Vec<Need> = Vec::new();
    for workload in &resolved.workloads {
        let pods = most_pods(workload);
        let (Some(cpu), Some(memory)) =
            (quantity_value(&workload.resources.cpu_limit), quantity_value(&workload.resources.memory_limit))
        else {
            continue;
        };
        #[allow(clippy::cast_precision_loss)]
        let count = pods as f64;
        needs.push(Need { what: workload.name.clone(), pods, cpu: cpu * count, memory: memory * count });
    }
    for backing in &resolved.backing {
        for size in &backing.realisation.pod_sizes {
            let (Some(cpu), Some(memory)) = (quantity_value(&size.cpu), quantity_value(&size.memory)) else {
                continue;
            };
            #[allow(clippy::cast_precision_loss)]
            let count = size.count as f64;
            // One entry per backing service, however many kinds of pod it runs.
            match needs.iter_mut().find(|n| n.what == backing.name) {
                Some(need) => {
                    need.pods += size.count;
                    need.cpu += cpu * count;
                    need.memory += memory * count;
                }
                None => needs.push(Need {
                    what: backing.name.clone(),
                    pods: size.count,
                    cpu: cpu * count,
                    memory: memory * count,
                }),
            }
        }
    }
    let quota = &resolved.quota;
    let pods: i64 = needs.iter().map(|n| n.pods).sum();
    let cpu: f64 = needs.iter().map(|n| n.cpu).sum();
    let memory: f64 = needs.iter().map(|n| n.memory).sum();
    let mut over = Vec::new();
    if let Some(limit) = quantity_value(&quota.cpu)
        && cpu > limit + 1e-9
    {
        over.push(format!("CPU {} over {}", cores(cpu), quota.cpu));
    }
    if let Some(limit) = quantity_value(&quota.memory)
        && memory > limit
    {
        over.push(format!("memory {} over {}", format_bytes(memory), quota.memory));
    }
    if let Some(limit) = quota.pods
        && pods > limit
    {
        over.push(format!("{pods} pods over {limit}"));
    }
    if over.is_empty() {
        return;
    }
    needs.sort_by(|a, b| b.memory.total_cmp(&a.memory).then_with(|| a.what.cmp(&b.what)));
    let largest: Vec<String> = needs
        .iter()
        .take(4)
        .map(|n| {
            let plural = if n.pods == 1 { "" } else { "s" };
            format!("`{}` {} pod{plural}, {} CPU, {}", n.what, n.pods, cores(n.cpu), format_bytes(n.memory))
        })
        .collect();
    let span: Span = domain.quota.as_ref().map_or(domain.name.span, |q| q.span);
    cx.error(
        span,
        ResolveError::QuotaExceeded {
            domain: domain.name.value.clone(),
            env: env.to_owned(),
            over: over.join(", "),
            help: format!(
                "raise the domain's `quota`, or lower what its workloads and backing services use in `{env}` (in their `in \"{env}\"` blocks); the most: {}",
                largest.join("; ")
            ),
            span,
        },
    );
}

/// Cores as a quantity: whole cores, else millicores.
fn cores(value: f64) -> String {
    let milli = (value * 1000.0).round();
    if (milli % 1000.0).abs() < f64::EPSILON { format!("{}", milli / 1000.0) } else { format!("{milli}m") }
}
