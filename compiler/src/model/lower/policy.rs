//! Lowering `policy` and `waive`.

use super::values::{Ctx, args, children, has_child};
use crate::diag::{Otherwise, did_you_mean};
use crate::model::check;
use crate::model::errors::LowerError;
use crate::model::types::*;
use kdl::KdlNode;

pub(super) fn policy(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Policy> {
    cx.shape(node, &["severity", "pack", "status", "since"], 1, "the policy id");
    let id = cx.name_arg(node, "policy", true);
    let pack = cx.string_prop(node, "pack");
    let status = cx.string_prop(node, "status");
    if let Some(status) = &status {
        cx.choice(status, "status", &["preview", "stable"]);
    }
    let since = cx.string_prop(node, "since");
    let severity = cx.required_string_prop(node, "severity", "write `severity=\"error\"` (or `warning`, `info`)");
    if let Some(severity) = &severity {
        cx.choice(severity, "severity", &["error", "warning", "info"]);
    }
    let mut matches = Vec::new();
    let mut rules = Vec::new();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "match" => {
                cx.shape(child, &["env"], 1, "an entity or Kubernetes kind");
                cx.no_children(child);
                let kind = match args(child).next() {
                    Some(entry) => cx.string(entry, "the matched kind"),
                    None => {
                        cx.missing(child, "a kind", "write `match \"service\"`");
                        None
                    }
                };
                let env = cx.string_prop(child, "env");
                if let Some(kind) = kind {
                    matches.push(PolicyMatch { kind, env });
                }
            }
            "require" | "deny" => {
                cx.shape(child, &["message", "each"], 1, "a CEL expression");
                cx.no_children(child);
                let expression = match args(child).next() {
                    Some(entry) => cx.string(entry, "the CEL expression"),
                    None => {
                        cx.missing(child, "a CEL expression", &format!("write `{key} \"replicas >= 2\"`"));
                        None
                    }
                };
                let message = cx.string_prop(child, "message");
                let each = cx.string_prop(child, "each");
                if let Some(expression) = expression {
                    rules.push(PolicyRule { require: key == "require", expression, message, each });
                }
            }
            _ => {
                let help = did_you_mean(key, &["match", "require", "deny"], Otherwise::Vocabulary);
                cx.unknown_node(child, "in `policy`", help);
            }
        }
    }
    let id = id?;
    if matches.is_empty() && !has_child(node, "match") {
        cx.missing(node, "a `match`", "add `match \"service\"` (or another kind) inside the policy");
    }
    if rules.is_empty() && !has_child(node, "require") && !has_child(node, "deny") {
        cx.diags.at(id.span, LowerError::PolicyWithoutRules { id: id.value.clone(), span: id.span });
    }
    Some(Policy { id, severity: severity?, matches, rules, pack, status, since, span: cx.span_of(node) })
}

pub(super) fn waiver(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Waiver> {
    cx.shape(node, &["on", "item", "reason", "until"], 1, "the policy id");
    cx.no_children(node);
    let policy = cx.name_arg(node, "waive", false);
    let on = cx.required_string_prop(node, "on", "write `on=\"<domain>/<name>\"` or `on=\"<domain>\"`");
    let item = cx.string_prop(node, "item");
    let reason = cx.string_prop(node, "reason");
    let until = cx.string_prop(node, "until");
    if let Some(until) = &until
        && let Some(reason) = check::date(&until.value)
    {
        cx.invalid_value(
            until.span,
            "`until` date",
            &until.value,
            &reason,
            "write a date as YYYY-MM-DD, such as `2027-03-31`",
        );
    }
    Some(Waiver { policy: policy?, on: on?, item, reason, until, span: cx.span_of(node) })
}
