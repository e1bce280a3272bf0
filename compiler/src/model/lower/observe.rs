//! Lowering the monitoring nodes: a workload's `slo` and `http-metrics`, the library's
//! `metrics-convention` and `monitoring`.

use super::values::{Ctx, Once, args, children, prop};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::bounds::{SLO_LATENCY_MS, SLO_PERCENT_MIN, SLO_WINDOW_DAYS};
use crate::model::*;
use indexmap::IndexMap;
use kdl::{KdlEntry, KdlNode, KdlValue};

/// Properties of `slo`.
const SLO: &[&str] = &["availability", "latency", "percentile", "window"];

/// `slo availability=99.9 latency="300ms" percentile=99 window="30d"`, or `slo #false`.
pub(super) fn slo(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Slo> {
    cx.shape(node, SLO, 1, "only `#false` (no objectives in this environment)");
    cx.no_children(node);
    let span = cx.span_of(node);
    let mut slo =
        Slo { availability: None, latency_ms: None, percentile: None, window_days: None, enabled: None, span };
    if let Some(entry) = args(node).next() {
        slo.enabled = cx.boolean(entry, "`slo`");
        if slo.enabled.as_ref().is_some_and(|enabled| enabled.value) {
            let span = cx.span(entry.span());
            cx.invalid_value(
                span,
                "`slo`",
                "#true",
                "objectives are on when written",
                "write the objectives (`slo availability=99.9`), or `slo #false` to turn them off",
            );
        }
        return Some(slo);
    }
    let percent = |cx: &mut Ctx<'_>, key: &str| prop(node, key).and_then(|entry| percent(cx, entry, key));
    slo.availability = percent(cx, "availability");
    slo.percentile = percent(cx, "percentile");
    slo.latency_ms = prop(node, "latency").and_then(|entry| latency(cx, entry));
    slo.window_days = prop(node, "window").and_then(|entry| window(cx, entry));
    Some(slo)
}

/// A percentage at least [`SLO_PERCENT_MIN`] and below 100: `99.9`.
fn percent(cx: &mut Ctx<'_>, entry: &KdlEntry, key: &str) -> Option<Spanned<f64>> {
    let span = cx.span(entry.span());
    #[allow(clippy::cast_precision_loss)]
    let value = match entry.value() {
        KdlValue::Float(number) => *number,
        KdlValue::Integer(number) => *number as f64,
        other => {
            let help = format!("write a number of percent without quotes and `%`: `{key}=99.9`");
            cx.wrong_type(span, &format!("`{key}`"), "a number", other, &help);
            return None;
        }
    };
    if !(SLO_PERCENT_MIN..100.0).contains(&value) {
        let reason = if value >= 100.0 { "100% leaves no error budget" } else { "below 50%" };
        let help = format!("write a percentage from {SLO_PERCENT_MIN} to below 100, such as `{key}=99.9`");
        cx.invalid_value(span, &format!("`{key}`"), &value.to_string(), reason, &help);
        return None;
    }
    Some(Spanned::new(value, span))
}

/// `latency="300ms"` or `"1.5s"`, in whole milliseconds.
fn latency(cx: &mut Ctx<'_>, entry: &KdlEntry) -> Option<Spanned<i64>> {
    let text = cx.string(entry, "`latency`")?;
    let millis = if let Some(ms) = text.value.strip_suffix("ms") {
        ms.parse::<i64>().ok()
    } else if let Some(seconds) = text.value.strip_suffix('s') {
        seconds_to_millis(seconds)
    } else {
        None
    };
    match millis {
        Some(ms) if (SLO_LATENCY_MS.0..=SLO_LATENCY_MS.1).contains(&ms) => Some(Spanned::new(ms, text.span)),
        _ => {
            cx.invalid_value(
                text.span,
                "`latency`",
                &text.value,
                "not a duration from 1ms to 60s",
                "write milliseconds or seconds: `latency=\"300ms\"`, `latency=\"1.5s\"`",
            );
            None
        }
    }
}

/// `1.5` seconds as 1500 milliseconds; `None` for anything but digits with at most three
/// decimals.
fn seconds_to_millis(seconds: &str) -> Option<i64> {
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let digits = |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && (!digits(fraction) || fraction.len() > 3)) {
        return None;
    }
    let fraction = format!("{fraction:0<3}");
    Some(whole.parse::<i64>().ok()? * 1000 + fraction.parse::<i64>().ok()?)
}

/// `window="30d"`, in days.
fn window(cx: &mut Ctx<'_>, entry: &KdlEntry) -> Option<Spanned<i64>> {
    let text = cx.string(entry, "`window`")?;
    let days = text.value.strip_suffix('d').and_then(|days| days.parse::<i64>().ok());
    match days {
        Some(days) if (SLO_WINDOW_DAYS.0..=SLO_WINDOW_DAYS.1).contains(&days) => Some(Spanned::new(days, text.span)),
        _ => {
            let help = format!(
                "write a number of days from {} to {}: `window=\"30d\"` (a 30-day error budget)",
                SLO_WINDOW_DAYS.0, SLO_WINDOW_DAYS.1
            );
            cx.invalid_value(text.span, "`window`", &text.value, "not a window of days", &help);
            None
        }
    }
}

/// `http-metrics "micrometer" path="/actuator/prometheus" requests="..."`.
pub(super) fn http_metrics(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<HttpMetrics> {
    cx.shape(node, METRICS_FIELDS, 1, "the convention's name");
    cx.no_children(node);
    let Some(convention) = args(node).next().and_then(|entry| cx.string(entry, "the metrics convention")) else {
        cx.missing(
            node,
            "a convention",
            "write `http-metrics \"micrometer\"` (the conventions are in docs/monitoring.md)",
        );
        return None;
    };
    let mut overrides = IndexMap::new();
    for key in METRICS_FIELDS {
        if let Some(value) = prop(node, key).and_then(|entry| cx.string(entry, &format!("`{key}`"))) {
            field(cx, key, &value);
            overrides.insert((*key).to_owned(), value);
        }
    }
    Some(HttpMetrics { convention, overrides, span: cx.span_of(node) })
}

/// Check one field of a convention: metric and label names are Prometheus names, the
/// error statuses a plain regular expression, the path an absolute URL path.
fn field(cx: &mut Ctx<'_>, key: &str, value: &Spanned<String>) {
    let text = value.value.as_str();
    let (ok, reason, help) = match key {
        "requests" | "duration" | "status-label" => (
            !text.is_empty()
                && text
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit())),
            "not a Prometheus metric or label name",
            "write letters, digits and `_`, not starting with a digit: `http_server_requests_seconds_count`",
        ),
        "error-status" => (
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"|.[]-".contains(&b)),
            "not a simple status pattern",
            "write a pattern of status codes such as `5..` or `5..|429` (letters, digits, `.`, `|`, `[`, `]`, `-`)",
        ),
        _ => (
            text.starts_with('/') && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b)),
            "not an absolute URL path",
            "write the path the metrics are served on, such as `/metrics`",
        ),
    };
    if !ok {
        cx.invalid_value(value.span, &format!("`{key}`"), text, reason, help);
    }
}

/// `metrics-convention "micrometer" { description "..."; requests "..."; ... }`.
pub(super) fn metrics_convention(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<MetricsConvention> {
    cx.shape(node, &[], 1, "the convention's name");
    let name = cx.name_arg(node, "metrics-convention", true);
    let (mut description, mut fields) = (None, IndexMap::new());
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        if !cx.once(&mut once, child, key, "metrics-convention") {
            continue;
        }
        if key == "description" {
            description = cx.single_string(child);
        } else if METRICS_FIELDS.contains(&key) {
            if let Some(value) = cx.single_string(child) {
                field(cx, key, &value);
                fields.insert(key.to_owned(), value);
            }
        } else {
            let mut known = METRICS_FIELDS.to_vec();
            known.push("description");
            let help = did_you_mean(key, &known, Otherwise::Vocabulary);
            cx.unknown_node(child, "in `metrics-convention`", help);
        }
    }
    let name = name?;
    let missing: Vec<&str> = METRICS_FIELDS.iter().copied().filter(|key| !fields.contains_key(*key)).collect();
    if !missing.is_empty() {
        let help = format!("add {} (docs/monitoring.md says what each is)", crate::diag::backticked(&missing));
        cx.missing(node, "every field of a convention", &help);
    }
    Some(MetricsConvention { name, description, fields, span: cx.span_of(node) })
}

/// `monitoring { service-monitor #"..."#; burn-rate ...; dashboard-label ... }`.
pub(super) fn monitoring(cx: &mut Ctx<'_>, node: &KdlNode) -> Monitoring {
    cx.shape(node, &[], 0, "nothing");
    let mut monitoring = Monitoring { span: Some(cx.span_of(node)), ..Monitoring::default() };
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        if MONITORING_TEMPLATES.contains(&key) {
            if cx.once(&mut once, child, key, "monitoring") {
                cx.no_children(child);
                monitoring.templates.extend(cx.single_string(child).map(|text| (key.to_owned(), text)));
            }
        } else if key == "burn-rate" {
            monitoring.burn_rates.extend(burn_rate(cx, child));
        } else if key == "dashboard-label" {
            cx.shape(child, &[], 2, "a label name and a value");
            cx.no_children(child);
            let mut values = args(child).filter_map(|entry| cx.string(entry, "`dashboard-label`"));
            match (values.next(), values.next()) {
                (Some(name), Some(value)) => {
                    monitoring.dashboard_labels.insert(name.value, value);
                }
                _ => {
                    cx.missing(child, "a label name and a value", "write `dashboard-label \"grafana_dashboard\" \"1\"`")
                }
            }
        } else {
            let mut known = MONITORING_TEMPLATES.to_vec();
            known.extend(["burn-rate", "dashboard-label"]);
            let help = did_you_mean(key, &known, Otherwise::Vocabulary);
            cx.unknown_node(child, "in `monitoring`", help);
        }
    }
    monitoring
}

/// `burn-rate long="1h" short="5m" budget-percent=2 severity="page"`.
fn burn_rate(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<BurnRate> {
    cx.shape(node, &["long", "short", "budget-percent", "severity"], 0, "only properties");
    cx.no_children(node);
    let help = "write `burn-rate long=\"1h\" short=\"5m\" budget-percent=2 severity=\"page\"`";
    let duration = |cx: &mut Ctx<'_>, key: &str| {
        let value = cx.required_string_prop(node, key, help)?;
        let ok = value.value.len() > 1
            && value.value[..value.value.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && value.value.ends_with(['m', 'h', 'd']);
        if !ok {
            cx.invalid_value(
                value.span,
                &format!("`{key}`"),
                &value.value,
                "not a window",
                "write minutes, hours or days: `5m`, `1h`, `3d`",
            );
            return None;
        }
        Some(value)
    };
    let long = duration(cx, "long");
    let short = duration(cx, "short");
    let budget = match prop(node, "budget-percent") {
        Some(entry) => match entry.value() {
            #[allow(clippy::cast_precision_loss)]
            KdlValue::Integer(n) if (1..=100).contains(n) => Some(Spanned::new(*n as f64, cx.span(entry.span()))),
            KdlValue::Float(n) if *n > 0.0 && *n <= 100.0 => Some(Spanned::new(*n, cx.span(entry.span()))),
            _ => {
                let span = cx.span(entry.span());
                cx.invalid_value(span, "`budget-percent`", &entry.value().to_string(), "not a percentage", help);
                None
            }
        },
        None => {
            cx.missing(node, "`budget-percent`", help);
            None
        }
    };
    let severity = cx.required_string_prop(node, "severity", help);
    if let Some(severity) = &severity {
        cx.choice(severity, "severity", &["page", "ticket"]);
    }
    Some(BurnRate { long: long?, short: short?, budget_percent: budget?, severity: severity?, span: cx.span_of(node) })
}

#[cfg(test)]
mod tests {
    use super::seconds_to_millis;

    #[test]
    fn seconds_become_milliseconds() {
        assert_eq!(seconds_to_millis("1"), Some(1000));
        assert_eq!(seconds_to_millis("1.5"), Some(1500));
        assert_eq!(seconds_to_millis("0.25"), Some(250));
        assert_eq!(seconds_to_millis("0.0005"), None);
        assert_eq!(seconds_to_millis("1e3"), None);
        assert_eq!(seconds_to_millis(""), None);
    }
}
