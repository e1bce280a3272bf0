//! Monitoring, resolved: a workload's `http-metrics` bound to its library convention,
//! its `slo` checked against what it serves, and the library's `monitoring` templates.

use super::errors::ResolveError;
use super::types::ResolvedPort;
use super::{Ctx, Library};
use crate::diag::{Otherwise, Span, Spanned, did_you_mean};
use crate::model::{WorkloadKind, WorkloadSettings};
use miette::Diagnostic;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// The monitoring templates and alerting method (the library's merged `monitoring`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ResolvedMonitoring {
    /// Templates by name: `service-monitor`, `pod-monitor`, `rules`, `dashboard`.
    pub templates: BTreeMap<String, Spanned<String>>,
    /// Multi-window burn-rate alerts, in order.
    pub burn_rates: Vec<ResolvedBurnRate>,
    /// Labels of the dashboard ConfigMaps.
    pub dashboard_labels: BTreeMap<String, String>,
}

/// One multi-window burn-rate alert.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedBurnRate {
    /// Long window (`1h`).
    pub long: String,
    /// Short window (`5m`).
    pub short: String,
    /// Percent of the error budget spent in `long` at this rate.
    pub budget_percent: f64,
    /// `page` or `ticket`.
    pub severity: String,
    /// The long window in hours.
    pub long_hours: f64,
}

/// The HTTP server metrics a workload exposes: its convention with its overrides.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedHttpMetrics {
    /// The convention's name (`micrometer`).
    pub convention: String,
    /// Counter of requests, with the status label.
    pub requests: String,
    /// Histogram of request durations in seconds, without `_bucket`.
    pub duration: String,
    /// The label holding the HTTP status.
    pub status_label: String,
    /// Regular expression of failing statuses (`5..`).
    pub error_status: String,
    /// URL path the metrics are served on.
    pub path: String,
}

/// A workload's objectives in one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedSlo {
    /// Percent of requests that must succeed.
    pub availability: Option<f64>,
    /// Latency threshold in milliseconds.
    pub latency_ms: Option<i64>,
    /// Percent of requests that must be faster than the threshold.
    pub percentile: f64,
    /// The error budget's window in days.
    pub window_days: i64,
    /// The `slo` node (of the last layer that set it).
    pub span: Span,
}

/// The library's `monitoring`, resolved once for the estate.
pub(super) fn monitoring(library: &Library) -> ResolvedMonitoring {
    let monitoring = &library.monitoring;
    ResolvedMonitoring {
        templates: monitoring.templates.iter().map(|(name, text)| (name.clone(), text.clone())).collect(),
        burn_rates: monitoring
            .burn_rates
            .iter()
            .map(|rate| ResolvedBurnRate {
                long: rate.long.value.clone(),
                short: rate.short.value.clone(),
                budget_percent: rate.budget_percent.value,
                severity: rate.severity.value.clone(),
                long_hours: hours(&rate.long.value),
            })
            .collect(),
        dashboard_labels: monitoring.dashboard_labels.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
    }
}

/// Hours in a window `model` checked (`30m`, `1h`, `3d`).
#[allow(clippy::cast_precision_loss)]
fn hours(window: &str) -> f64 {
    let (number, unit) = window.split_at(window.len().saturating_sub(1));
    let number = number.parse::<i64>().unwrap_or(0) as f64;
    match unit {
        "m" => number / 60.0,
        "d" => number * 24.0,
        _ => number,
    }
}

/// A workload's `http-metrics` and `slo` in one view; each problem reported once.
pub(super) fn workload(
    cx: &mut Ctx<'_>,
    kind: WorkloadKind,
    name: &str,
    settings: &WorkloadSettings,
    ports: &[ResolvedPort],
) -> (Option<ResolvedHttpMetrics>, Option<ResolvedSlo>) {
    let slo = settings.slo.as_ref().filter(|slo| slo.enabled.as_ref().is_none_or(|enabled| enabled.value));
    let metrics = settings.http_metrics.as_ref().and_then(|metrics| {
        let Some(convention) = cx.library.metrics_conventions.get(&metrics.convention.value) else {
            let help = did_you_mean(
                &metrics.convention.value,
                cx.library.metrics_conventions.keys().map(String::as_str),
                Otherwise::Declared,
            );
            let span = metrics.convention.span;
            let error = ResolveError::UnknownReference {
                what: "metrics convention",
                name: metrics.convention.value.clone(),
                span,
                help,
            };
            cx.error(span, error);
            return None;
        };
        let field = |key: &str| {
            metrics
                .overrides
                .get(key)
                .or_else(|| convention.fields.get(key))
                .map(|v| v.value.clone())
                .unwrap_or_default()
        };
        Some(ResolvedHttpMetrics {
            convention: convention.name.value.clone(),
            requests: field("requests"),
            duration: field("duration"),
            status_label: field("status-label"),
            error_status: field("error-status"),
            path: field("path"),
        })
    });
    let scraped = ports.iter().any(|port| port.metrics);
    if let Some(http) = &settings.http_metrics
        && !scraped
    {
        let error = MonitoringError::NoMetricsPort { node: "http-metrics", workload: name.to_owned(), span: http.span };
        cx.error(http.span, error);
    }
    let Some(slo) = slo else { return (metrics, None) };
    if kind != WorkloadKind::Service {
        let error = MonitoringError::SloNeedsService { kind: kind.as_str(), workload: name.to_owned(), span: slo.span };
        cx.error(slo.span, error);
        return (metrics, None);
    }
    if slo.availability.is_none() && slo.latency_ms.is_none() {
        cx.error(slo.span, MonitoringError::SloWithoutObjective { workload: name.to_owned(), span: slo.span });
        return (metrics, None);
    }
    if settings.http_metrics.is_none() {
        cx.error(slo.span, MonitoringError::SloWithoutMetrics { workload: name.to_owned(), span: slo.span });
        return (metrics, None);
    }
    if !scraped {
        let error = MonitoringError::NoMetricsPort { node: "slo", workload: name.to_owned(), span: slo.span };
        cx.error(slo.span, error);
    }
    let resolved = ResolvedSlo {
        availability: slo.availability.as_ref().map(|a| a.value),
        latency_ms: slo.latency_ms.as_ref().map(|l| l.value),
        percentile: slo.percentile.as_ref().map_or(99.0, |p| p.value),
        window_days: slo.window_days.as_ref().map_or(30, |w| w.value),
        span: slo.span,
    };
    (metrics, Some(resolved))
}

/// A workload's `slo` or `http-metrics` that does not fit the workload.
#[derive(Debug, Error, Diagnostic)]
pub enum MonitoringError {
    /// `slo` on a worker or job, which serves no HTTP requests through a Service.
    #[error("`slo` on {kind} `{workload}`, which serves no requests")]
    #[diagnostic(
        code(resolve::slo_needs_service),
        help("objectives are measured over a service's HTTP metrics: remove this `slo`, or make it a `service`")
    )]
    SloNeedsService {
        /// `worker` or `job`.
        kind: &'static str,
        /// The workload.
        workload: String,
        /// The `slo` node.
        #[label("only a service has objectives")]
        span: Span,
    },

    /// `slo` with neither `availability` nor `latency` after layering.
    #[error("`slo` of `{workload}` sets no objective")]
    #[diagnostic(
        code(resolve::slo_without_objective),
        help(
            "write `availability=99.9` (percent of requests that succeed), `latency=\"300ms\"` (of the 99th percentile), or both"
        )
    )]
    SloWithoutObjective {
        /// The workload.
        workload: String,
        /// The `slo` node.
        #[label("no `availability` or `latency` here or in the layers below")]
        span: Span,
    },

    /// `slo` on a workload that does not say which HTTP metrics it exposes.
    #[error("`slo` of `{workload}` needs to know which HTTP metrics the app exposes")]
    #[diagnostic(
        code(resolve::slo_without_metrics),
        help(
            "add `http-metrics \"micrometer\"` (or `go`, `node`, `starlette`, `fastapi`: docs/monitoring.md) to the workload, or to the library's `defaults`"
        )
    )]
    SloWithoutMetrics {
        /// The workload.
        workload: String,
        /// The `slo` node.
        #[label("no `http-metrics` for this workload")]
        span: Span,
    },

    /// `slo` or `http-metrics` on a workload none of whose ports is scraped.
    #[error("`{node}` of `{workload}` reads metrics, and no port of it has `metrics=#true`")]
    #[diagnostic(
        code(resolve::no_metrics_port),
        help(
            "mark the port that serves the metrics: `port \"http\" 8080 metrics=#true` (or a separate `port \"metrics\" 9090 metrics=#true`)"
        )
    )]
    NoMetricsPort {
        /// `slo` or `http-metrics`.
        node: &'static str,
        /// The workload.
        workload: String,
        /// The node.
        #[label("Prometheus scrapes no port of this workload")]
        span: Span,
    },
}
