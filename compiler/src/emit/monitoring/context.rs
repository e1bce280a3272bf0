//! The context of the monitoring templates: what they may print, every value checked or
//! computed here (budgets, burn-rate factors, windows, PromQL selectors).

use crate::emit::common;
use crate::resolve::{Estate, ResolvedDomain, ResolvedSlo, ResolvedWorkload, View};
use serde_json::{Value, json};

/// The context of a workload's templates (`service-monitor`, `pod-monitor`, `rules`,
/// `analysis`);
/// docs/monitoring.md lists it.
pub(super) fn workload(estate: &Estate, view: &View, domain: &ResolvedDomain, workload: &ResolvedWorkload) -> Value {
    let metrics_ports: Vec<Value> = workload
        .ports
        .iter()
        .filter(|port| port.metrics)
        .map(|port| {
            let path = workload.http_metrics.as_ref().map_or("/metrics", |metrics| metrics.path.as_str());
            json!({ "name": port.name, "number": port.container_port, "path": path })
        })
        .collect();
    let mut context = base(estate, view, domain);
    if let Some(map) = context.as_object_mut() {
        map.insert("name".to_owned(), json!(workload.name));
        map.insert("kind".to_owned(), json!(workload.kind.as_str()));
        map.insert("labels".to_owned(), json!(common::workload_labels(&estate.platform, view, workload)));
        map.insert("selector".to_owned(), json!(common::selector_labels(view, workload)));
        map.insert("ports".to_owned(), json!(metrics_ports));
        map.insert("metrics".to_owned(), json!(workload.http_metrics));
        map.insert("promql".to_owned(), json!(promql_selector(&domain.namespace, &workload.name)));
        map.insert("slo".to_owned(), workload.slo.as_ref().map_or(Value::Null, |slo| objectives(estate, slo)));
        map.insert("analysis".to_owned(), json!(common::analysis_template(view, workload)));
        map.insert("pod_hash_arg".to_owned(), json!(common::ANALYSIS_POD_HASH_ARG));
    }
    context
}

/// The context of a domain's dashboard: the base plus every workload with HTTP metrics.
pub(super) fn dashboard(estate: &Estate, view: &View, domain: &ResolvedDomain) -> Value {
    let workloads: Vec<Value> = domain
        .workloads
        .iter()
        .filter_map(|workload| {
            let metrics = workload.http_metrics.as_ref()?;
            Some(json!({
                "name": workload.name,
                "metrics": metrics,
                "promql": promql_selector(&domain.namespace, &workload.name),
                "slo": workload.slo.as_ref().map_or(Value::Null, |slo| objectives(estate, slo)),
            }))
        })
        .collect();
    let mut context = base(estate, view, domain);
    if let Some(map) = context.as_object_mut() {
        map.insert("workloads".to_owned(), json!(workloads));
        let uid = common::fit_label_value(&format!("{}-{}-{}", domain.name, view.env, view.target));
        map.insert("uid".to_owned(), json!(fit(&uid, 40)));
    }
    context
}

/// What every monitoring template sees.
fn base(estate: &Estate, view: &View, domain: &ResolvedDomain) -> Value {
    json!({
        "platform": estate.platform,
        "env": view.env,
        "target": view.target,
        "production": view.production,
        "domain": domain.name,
        "namespace": domain.namespace,
        "team": domain.team,
        "monitoring_namespace": view.profile.monitoring_namespace,
    })
}

/// PromQL label matchers of a workload's series: the namespace, and the `workload`
/// label the monitors put on every series they scrape.
fn promql_selector(namespace: &str, workload: &str) -> String {
    format!("namespace=\"{namespace}\",workload=\"{workload}\"")
}

/// The objectives with their error budgets, the burn-rate alerts with their factors for
/// this window, and the distinct windows the alerts read.
fn objectives(estate: &Estate, slo: &ResolvedSlo) -> Value {
    let window_hours = 24.0 * f64::from(u16::try_from(slo.window_days).unwrap_or(30));
    // One alert per severity, over its burn rates in order.
    let mut alerts: Vec<(String, Vec<Value>, f64)> = Vec::new();
    for rate in &estate.monitoring.burn_rates {
        let factor = rate.budget_percent / 100.0 * window_hours / rate.long_hours.max(1.0 / 60.0);
        let burn = json!({
            "long": rate.long,
            "short": rate.short,
            "budget_percent": decimal(rate.budget_percent),
            "factor": decimal(factor),
        });
        match alerts.iter_mut().find(|(severity, _, _)| *severity == rate.severity) {
            Some((_, burns, slowest)) => {
                burns.push(burn);
                *slowest = slowest.min(factor);
            }
            None => alerts.push((rate.severity.clone(), vec![burn], factor)),
        }
    }
    let alerts: Vec<Value> = alerts
        .into_iter()
        .map(|(severity, burns, slowest)| {
            json!({ "severity": severity, "burns": burns, "lasts": lasts(window_hours / slowest.max(f64::MIN_POSITIVE)) })
        })
        .collect();
    let mut windows: Vec<(f64, String)> = Vec::new();
    for rate in &estate.monitoring.burn_rates {
        for (window, hours) in [(&rate.short, hours_of(&rate.short)), (&rate.long, rate.long_hours)] {
            if !windows.iter().any(|(_, w)| w == window) {
                windows.push((hours, window.clone()));
            }
        }
    }
    windows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let windows: Vec<String> = windows.into_iter().map(|(_, window)| window).collect();
    let availability = slo
        .availability
        .map(|objective| json!({ "objective": decimal(objective), "budget": decimal((100.0 - objective) / 100.0) }));
    let latency = slo.latency_ms.map(|ms| {
        #[allow(clippy::cast_precision_loss)]
        let seconds = decimal(ms as f64 / 1000.0);
        json!({
            "objective": decimal(slo.percentile),
            "budget": decimal((100.0 - slo.percentile) / 100.0),
            "threshold": if ms % 1000 == 0 { format!("{}s", ms / 1000) } else { format!("{ms}ms") },
            "seconds": seconds,
            "quantile": decimal(slo.percentile / 100.0),
            "le": le_pattern(&seconds),
        })
    });
    json!({
        "window": format!("{}d", slo.window_days),
        "window_days": slo.window_days,
        "availability": availability,
        "latency": latency,
        "alerts": alerts,
        "windows": windows,
    })
}

/// How long a budget lasts, in words: `50 hours`, `5 days`.
fn lasts(hours: f64) -> String {
    if hours < 48.0 {
        format!("{} hours", decimal(hours.round()))
    } else {
        format!("{} days", decimal((hours / 24.0).round()))
    }
}

/// Hours in a Prometheus window (`5m`, `1h`, `3d`) that `model` checked.
fn hours_of(window: &str) -> f64 {
    let (number, unit) = window.split_at(window.len().saturating_sub(1));
    let number = f64::from(number.parse::<u32>().unwrap_or(0));
    match unit {
        "m" => number / 60.0,
        "d" => number * 24.0,
        _ => number,
    }
}

/// A regular expression matching a histogram's `le` label for `seconds` however the
/// client library printed it: Go prints `1`, Java and Python `1.0`, and Prometheus 3
/// normalises classic histograms to the latter.
fn le_pattern(seconds: &str) -> String {
    let escaped = seconds.replace('.', "[.]");
    if seconds.contains('.') { escaped } else { format!("{escaped}|{escaped}[.]0") }
}

/// A number as a short decimal: `0.001`, `14.4`, `1` (never `0.0009999999999999432`).
fn decimal(value: f64) -> String {
    let text = format!("{value:.10}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" { "0".to_owned() } else { text.to_owned() }
}

/// `text` cut to `max` bytes (ASCII names only).
fn fit(text: &str, max: usize) -> String {
    text.chars().take(max).collect::<String>().trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::{decimal, le_pattern};

    #[test]
    fn numbers_are_short_decimals() {
        assert_eq!(decimal((100.0 - 99.9) / 100.0), "0.001");
        assert_eq!(decimal(2.0 / 100.0 * 720.0 / 1.0), "14.4");
        assert_eq!(decimal(10.0 / 100.0 * 720.0 / 72.0), "1");
        assert_eq!(decimal(0.3), "0.3");
    }

    #[test]
    fn le_matches_both_printings_of_whole_seconds() {
        assert_eq!(le_pattern("0.3"), "0[.]3");
        assert_eq!(le_pattern("1"), "1|1[.]0");
    }
}
