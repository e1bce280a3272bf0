//! The monitoring nodes of the language: a workload's `slo` and `http-metrics`, and the
//! library's `metrics-convention` and `monitoring` nodes.

use crate::diag::{Span, Spanned};
use indexmap::IndexMap;

/// `slo availability=99.9 latency="300ms" percentile=99 window="30d"`: the service level
/// objectives of a service, over its HTTP server metrics. In an `in` block each property
/// replaces only itself.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Slo {
    /// Percent of requests that must not fail (5xx), e.g. `99.9`.
    pub availability: Option<Spanned<f64>>,
    /// Latency threshold in milliseconds (`latency="300ms"`).
    pub latency_ms: Option<Spanned<i64>>,
    /// Percent of requests that must be faster than `latency` (default 99: a p99).
    pub percentile: Option<Spanned<f64>>,
    /// The error budget's window in days (`window="30d"`, default 30).
    pub window_days: Option<Spanned<i64>>,
    /// `slo #false` in an `in` block: no objectives in that environment.
    pub enabled: Option<Spanned<bool>>,
    /// The node (the last one layered).
    pub span: Span,
}

/// `http-metrics "micrometer" path="/actuator/prometheus"`: which HTTP server metrics
/// the app exposes (a library `metrics-convention`), with per-workload overrides.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HttpMetrics {
    /// The convention's name.
    pub convention: Spanned<String>,
    /// Overrides of the convention's fields, by field name (`requests`, `duration`,
    /// `status-label`, `error-status`, `path`).
    pub overrides: IndexMap<String, Spanned<String>>,
    /// The node.
    pub span: Span,
}

/// The fields a `metrics-convention` sets and `http-metrics` may override.
pub const METRICS_FIELDS: &[&str] = &["requests", "duration", "status-label", "error-status", "path"];

/// `metrics-convention "micrometer" { requests "..."; duration "..."; ... }`: the HTTP
/// server metrics a framework exposes, library data.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MetricsConvention {
    /// The name `http-metrics` refers to.
    pub name: Spanned<String>,
    /// Human description (the framework).
    pub description: Option<Spanned<String>>,
    /// Fields by name (see [`METRICS_FIELDS`]): `requests` (a counter of requests),
    /// `duration` (a histogram in seconds, without `_bucket`), `status-label` (the label
    /// holding the HTTP status), `error-status` (a regular expression of failing statuses),
    /// `path` (where the metrics are served).
    pub fields: IndexMap<String, Spanned<String>>,
    /// The node.
    pub span: Span,
}

/// `monitoring { service-monitor ...; rules ...; burn-rate ... }`: the templates of the
/// monitoring objects and the alerting method, library data. A later `monitoring` replaces
/// the templates and facts it sets.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Monitoring {
    /// Object templates by name (`service-monitor`, `pod-monitor`, `rules`, `analysis`,
    /// `dashboard`):
    /// minijinja with `[= =]` delimiters.
    pub templates: IndexMap<String, Spanned<String>>,
    /// `burn-rate long="1h" short="5m" budget-percent=2 severity="page"`, in order; a
    /// later `monitoring` with any replaces the list.
    pub burn_rates: Vec<BurnRate>,
    /// `dashboard-label "grafana_dashboard" "1"`: labels of the dashboard ConfigMaps.
    pub dashboard_labels: IndexMap<String, Spanned<String>>,
    /// The node.
    pub span: Option<Span>,
}

/// The template names of `monitoring`.
pub const MONITORING_TEMPLATES: &[&str] = &["service-monitor", "pod-monitor", "rules", "analysis", "dashboard"];

/// One multi-window burn-rate alert: fire when both windows burn the budget faster than
/// `budget-percent` of it would be spent in `long`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BurnRate {
    /// Long window, a Prometheus duration (`1h`).
    pub long: Spanned<String>,
    /// Short window (`5m`), which makes the alert stop soon after the burn does.
    pub short: Spanned<String>,
    /// Percent of the budget spent in `long` at this burn rate.
    pub budget_percent: Spanned<f64>,
    /// `page` or `ticket` (the alert's `severity` label).
    pub severity: Spanned<String>,
    /// The node.
    pub span: Span,
}
