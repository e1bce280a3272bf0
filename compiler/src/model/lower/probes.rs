//! Probes: `health` (the short form) and `readiness`, `liveness`, `startup` with their
//! timings and HTTP headers.

use super::values::{Ctx, args, children, prop};
use crate::diag::Spanned;
use crate::model::check;
use crate::model::types::{Health, HealthCheck};
use kdl::KdlNode;

/// `health`, or (`extended`) `readiness`, `liveness`, `startup` with `timeout=`,
/// `failure-threshold=` and `header` children.
pub(super) fn health(cx: &mut Ctx<'_>, node: &KdlNode, extended: bool) -> Option<Health> {
    let key = node.name().value().to_owned();
    let allowed: &[&str] = if extended {
        &["grpc", "tcp", "port", "initial-delay", "period", "timeout", "failure-threshold"]
    } else {
        &["grpc", "tcp", "port", "initial-delay", "period"]
    };
    cx.shape(node, allowed, 1, "an HTTP path");
    if !extended {
        cx.no_children(node);
    }
    let span = cx.span_of(node);
    let path = args(node).next().and_then(|entry| cx.string(entry, "the health check path"));
    let grpc = prop(node, "grpc").and_then(|entry| cx.boolean(entry, "`grpc`")).filter(|b| b.value);
    let tcp = prop(node, "tcp").and_then(|entry| cx.boolean(entry, "`tcp`")).filter(|b| b.value);
    let mut checks = Vec::new();
    if let Some(path) = &path {
        if !path.value.starts_with('/') {
            cx.invalid_value(
                path.span,
                "health check path",
                &path.value,
                "does not start with `/`",
                "write an absolute path such as `/healthz`",
            );
        }
        checks.push(Spanned::new(HealthCheck::Http { path: path.value.clone() }, path.span));
    }
    if let Some(grpc) = grpc {
        checks.push(Spanned::new(HealthCheck::Grpc, grpc.span));
    }
    if let Some(tcp) = tcp {
        checks.push(Spanned::new(HealthCheck::Tcp, tcp.span));
    }
    if let Some(second) = checks.get(1) {
        cx.invalid_value(
            second.span,
            &format!("`{key}`"),
            "",
            "a second probe kind",
            "choose one of a path, `grpc=#true` or `tcp=#true`",
        );
    }
    let port = cx.string_prop(node, "port");
    let initial_delay = prop(node, "initial-delay").and_then(|entry| cx.integer(entry, "`initial-delay`", 0, 3600));
    let period = prop(node, "period").and_then(|entry| cx.integer(entry, "`period`", 1, 3600));
    let timeout = prop(node, "timeout").and_then(|entry| cx.integer(entry, "`timeout`", 1, 3600));
    let failure_threshold =
        prop(node, "failure-threshold").and_then(|entry| cx.integer(entry, "`failure-threshold`", 1, 1000));
    let headers = if extended { probe_headers(cx, node, checks.first()) } else { Vec::new() };
    let Some(check) = checks.into_iter().next() else {
        cx.missing(node, "a probe", &format!("write `{key} \"/healthz\"`, `{key} grpc=#true` or `{key} tcp=#true`"));
        return None;
    };
    Some(Health { check, port, initial_delay, period, timeout, failure_threshold, headers, span })
}

/// `header "Name" "value"` children of a probe; only an HTTP probe sends them.
pub(super) fn probe_headers(
    cx: &mut Ctx<'_>,
    node: &KdlNode,
    check: Option<&Spanned<HealthCheck>>,
) -> Vec<(Spanned<String>, Spanned<String>)> {
    let mut headers = Vec::new();
    for child in children(node) {
        if child.name().value() != "header" {
            cx.unknown_node(
                child,
                &format!("in `{}`", node.name().value()),
                "a probe takes only `header \"Name\" \"value\"` children".to_owned(),
            );
            continue;
        }
        cx.shape(child, &[], 2, "a header name and a value");
        cx.no_children(child);
        let mut values = args(child).filter_map(|entry| cx.string(entry, "the header"));
        let (Some(name), Some(value)) = (values.next(), values.next()) else {
            cx.missing(child, "a header name and a value", "write `header \"X-Probe\" \"1\"`");
            continue;
        };
        if !check::is_header_name(&name.value) {
            cx.invalid_value(
                name.span,
                "header name",
                &name.value,
                "not an HTTP header name",
                "use letters, digits and `-`, such as `X-Probe`",
            );
        }
        if let Some(check) = check.filter(|c| !matches!(c.value, HealthCheck::Http { .. })) {
            cx.invalid_value(
                name.span,
                "`header`",
                &name.value,
                "only an HTTP probe sends headers",
                "remove the header, or probe an HTTP path",
            );
            let _ = check;
        }
        headers.push((name, value));
    }
    headers
}
