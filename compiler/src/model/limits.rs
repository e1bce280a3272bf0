//! Size limits of one spec, checked after lowering and before anything is resolved.
//!
//! Resolution builds one view per (environment, target) and layers every workload and
//! backing service in each: 300 environments of 300 services took 18.6 s and 3.3 GB in
//! `check`. The limits sit far above the largest estates Berth is built for (the
//! 1,000-service benchmark has ~4,500 placements) and are listed in docs/language.md.

use super::errors::LowerError;
use super::types::Spec;
use crate::diag::Diagnostics;

/// Environments in one spec.
pub const MAX_ENVIRONMENTS: usize = 100;
/// Workloads and backing services in one spec.
pub const MAX_ENTITIES: usize = 5_000;
/// Workloads and backing services times the (environment, target) views they are placed in.
pub const MAX_PLACEMENTS: usize = 20_000;

/// Push one error per limit passed, labelled at the node that passes it.
pub(crate) fn check(diags: &mut Diagnostics, spec: &Spec) {
    if let Some(environment) = spec.environments.get(MAX_ENVIRONMENTS) {
        let span = environment.name.span;
        diags.at(
            span,
            LowerError::TooLarge {
                what: "environments",
                limit: MAX_ENVIRONMENTS,
                count: spec.environments.len(),
                span,
            },
        );
        return;
    }
    let mut entities = 0usize;
    let mut first_past = None;
    for domain in &spec.domains {
        for span in domain.workloads.iter().map(|w| w.name.span).chain(domain.backing.iter().map(|b| b.name.span)) {
            entities += 1;
            if entities == MAX_ENTITIES + 1 {
                first_past = Some(span);
            }
        }
    }
    if let Some(span) = first_past {
        diags.at(
            span,
            LowerError::TooLarge { what: "workloads and backing services", limit: MAX_ENTITIES, count: entities, span },
        );
        return;
    }
    let views: usize = spec.environments.iter().map(|e| e.targets.len().max(1)).sum();
    let placements = views.saturating_mul(entities);
    if placements > MAX_PLACEMENTS
        && let Some(environment) = spec.environments.last()
    {
        let span = environment.name.span;
        diags.at(
            span,
            LowerError::TooLarge {
                what: "placements (workloads and backing services times environment targets)",
                limit: MAX_PLACEMENTS,
                count: placements,
                span,
            },
        );
    }
}
