//! Probes: `health` (the short form, one probe for liveness and readiness) and the
//! separate `readiness`, `liveness` and `startup` probes, with their defaults (timings and
//! failure thresholds from the library's `defaults`).

use super::Ctx;
use super::errors::ResolveError;
use super::types::{ResolvedHealth, ResolvedPort};
use crate::model::{Health, WorkloadKind, WorkloadSettings};

/// The resolved probes of a workload: the short form as written, then readiness,
/// liveness and startup as the container gets them.
pub(super) struct Probes {
    /// `health`.
    pub health: Option<ResolvedHealth>,
    /// Readiness probe.
    pub readiness: Option<ResolvedHealth>,
    /// Liveness probe.
    pub liveness: Option<ResolvedHealth>,
    /// Startup probe.
    pub startup: Option<ResolvedHealth>,
}

/// Which probe is being resolved, for its defaults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Readiness,
    Liveness,
    Startup,
}

/// Resolve the four probe settings of a workload against its ports.
pub(super) fn probes(
    cx: &mut Ctx<'_>,
    name: &str,
    kind: WorkloadKind,
    settings: &WorkloadSettings,
    ports: &[ResolvedPort],
) -> Probes {
    let written = [
        ("health", settings.health.as_ref()),
        ("readiness", settings.readiness.as_ref()),
        ("liveness", settings.liveness.as_ref()),
        ("startup", settings.startup.as_ref()),
    ];
    if kind == WorkloadKind::Job {
        for (node, probe) in written {
            if let Some(probe) = probe {
                cx.error(probe.span, ResolveError::ProbeOnJob { node, job: name.to_owned(), span: probe.span });
            }
        }
        return Probes { health: None, readiness: None, liveness: None, startup: None };
    }
    let health = settings.health.as_ref().and_then(|h| probe(cx, name, "health", h, ports, Which::Liveness));
    let own = |cx: &mut Ctx<'_>, node: &'static str, written: Option<&Health>, which: Which| {
        written.and_then(|w| probe(cx, name, node, w, ports, which))
    };
    let readiness = own(cx, "readiness", settings.readiness.as_ref(), Which::Readiness).or_else(|| {
        // From `health`: probed from the start, failing sooner than liveness.
        health.clone().map(|h| ResolvedHealth {
            initial_delay: 0,
            failure_threshold: cx.defaults.failures.readiness,
            ..h
        })
    });
    let liveness = own(cx, "liveness", settings.liveness.as_ref(), Which::Liveness).or_else(|| health.clone());
    let startup = own(cx, "startup", settings.startup.as_ref(), Which::Startup);
    Probes { health, readiness, liveness, startup }
}

fn probe(
    cx: &mut Ctx<'_>,
    name: &str,
    node: &'static str,
    written: &Health,
    ports: &[ResolvedPort],
    which: Which,
) -> Option<ResolvedHealth> {
    let port = super::workload::port_ref(cx, name, ports, written.port.as_ref(), node, written.span)?;
    let period = cx.defaults.probe_period;
    let initial_delay = match which {
        Which::Liveness => cx.defaults.probe_initial_delay,
        Which::Readiness | Which::Startup => 0,
    };
    let failures = cx.defaults.failures;
    let failure_threshold = match which {
        Which::Readiness => failures.readiness,
        Which::Liveness => failures.liveness,
        Which::Startup => failures.startup,
    };
    Some(ResolvedHealth {
        check: written.check.value.clone(),
        port: port.name.clone(),
        port_number: port.container_port,
        initial_delay: written.initial_delay.as_ref().map_or(initial_delay, |d| d.value),
        period: written.period.as_ref().map_or(period, |p| p.value),
        timeout: written.timeout.as_ref().map_or(cx.defaults.probe_timeout, |t| t.value),
        failure_threshold: written.failure_threshold.as_ref().map_or(failure_threshold, |f| f.value),
        headers: written.headers.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
    })
}
