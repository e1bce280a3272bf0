//! Lowering the pod settings of a workload: `termination-grace`, `pod-annotation`,
//! `pod-label`, `capability`, `node-selector`, `toleration` and `tmp`.

use super::values::{Ctx, Once, Quantity, args, prop};
use crate::diag::Spanned;
use crate::model::bounds::{TERMINATION_GRACE, TOLERATION_SECONDS};
use crate::model::check;
use crate::model::{ALLOWED_CAPABILITIES, PodSettings, Tmp, Toleration};
use indexmap::IndexMap;
use kdl::{KdlEntry, KdlNode};

/// The pod setting nodes.
pub(super) const SETTINGS: &[&str] =
    &["termination-grace", "pod-annotation", "pod-label", "capability", "node-selector", "toleration", "tmp"];

/// The pod labels Berth sets itself (selectors, ownership): a `pod-label` may not
/// replace them. Keys under `berth.dev/` are Berth's too.
pub(crate) const BERTH_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

/// Lower a pod setting into `pod`; `false` if `node` is not one.
pub(super) fn setting(cx: &mut Ctx<'_>, node: &KdlNode, pod: &mut PodSettings, once: &mut Once, parent: &str) -> bool {
    let key = node.name().value();
    if !SETTINGS.contains(&key) {
        return false;
    }
    if matches!(key, "termination-grace" | "tmp") && !cx.once(once, node, key, parent) {
        return true;
    }
    match key {
        "termination-grace" => {
            pod.termination_grace = cx.single_integer(node, TERMINATION_GRACE.0, TERMINATION_GRACE.1);
        }
        "pod-annotation" => pair(cx, node, "annotation", &mut pod.annotations, parent),
        "pod-label" => pair(cx, node, "label", &mut pod.labels, parent),
        "node-selector" => pair(cx, node, "node label", &mut pod.node_selector, parent),
        "capability" => capability(cx, node, &mut pod.capabilities),
        "toleration" => pod.tolerations.extend(toleration(cx, node)),
        _ => pod.tmp = Some(tmp(cx, node)),
    }
    true
}

/// `pod-annotation "k" "v"`, `pod-label "k" "v"`, `node-selector "k" "v"`.
fn pair(cx: &mut Ctx<'_>, node: &KdlNode, what: &str, map: &mut IndexMap<String, Spanned<String>>, parent: &str) {
    let key_name = node.name().value().to_owned();
    cx.shape(node, &[], 2, &format!("an {what} key and a value"));
    cx.no_children(node);
    let entries: Vec<&KdlEntry> = args(node).collect();
    let (Some(name), Some(value)) = (entries.first(), entries.get(1)) else {
        cx.missing(node, "a key and a value", &format!("write `{key_name} \"<key>\" \"<value>\"`"));
        return;
    };
    let (Some(name), Some(value)) =
        (cx.string(name, &format!("the {what} key")), cx.string(value, &format!("the {what} value")))
    else {
        return;
    };
    if !check::is_qualified_name(&name.value) {
        cx.invalid_value(
            name.span,
            &format!("{what} key"),
            &name.value,
            "not a Kubernetes key",
            "write an optional DNS prefix and `/`, then up to 63 letters, digits, `-`, `_` or `.`, such as `prometheus.io/scrape`",
        );
        return;
    }
    if key_name != "pod-annotation" && !check::is_any_label_value(&value.value) {
        cx.invalid_value(
            value.span,
            &format!("{what} value"),
            &value.value,
            "not a label value",
            "write up to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
        );
        return;
    }
    if key_name == "pod-label" && (BERTH_LABELS.contains(&name.value.as_str()) || name.value.starts_with("berth.dev/"))
    {
        cx.invalid_value(
            name.span,
            "pod label",
            &name.value,
            "set by Berth (it selects the workload's pods and says who owns them)",
            "choose a key of your own, such as `example.com/cost-center`; Berth's labels cannot be replaced",
        );
        return;
    }
    if let Some(first) = map.get(&name.value) {
        let first = first.span;
        cx.duplicate_setting(&name.value, parent, name.span, first);
        return;
    }
    map.insert(name.value, value);
}

/// `capability "NET_BIND_SERVICE"`: the one capability the restricted standard allows.
fn capability(cx: &mut Ctx<'_>, node: &KdlNode, capabilities: &mut Vec<Spanned<String>>) {
    let Some(written) = cx.single_string(node) else { return };
    if !ALLOWED_CAPABILITIES.contains(&written.value.as_str()) {
        cx.invalid_value(
            written.span,
            "capability",
            &written.value,
            "not allowed: every container drops all capabilities, and the restricted Pod Security Standard lets one back in",
            "only `capability \"NET_BIND_SERVICE\"` (binding ports below 1024 as non-root) is accepted; run the program without the others",
        );
        return;
    }
    if !capabilities.iter().any(|c| c.value == written.value) {
        capabilities.push(written);
    }
}

/// `toleration "key" value="v" effect="NoSchedule"` or `toleration operator="Exists"`.
fn toleration(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Toleration> {
    cx.shape(node, &["operator", "value", "effect", "seconds"], 1, "the taint key");
    cx.no_children(node);
    let key = args(node).next().and_then(|entry| cx.string(entry, "the taint key"));
    if let Some(key) = &key
        && !check::is_qualified_name(&key.value)
    {
        let help = "write a taint key such as `dedicated` or `node.kubernetes.io/unreachable`";
        cx.invalid_value(key.span, "taint key", &key.value, "not a Kubernetes key", help);
    }
    let value = cx.string_prop(node, "value");
    if let Some(value) = &value
        && !check::is_any_label_value(&value.value)
    {
        let help = "write up to 63 letters, digits, `-`, `_` or `.`";
        cx.invalid_value(value.span, "taint value", &value.value, "not a taint value", help);
    }
    let operator = match cx.string_prop(node, "operator") {
        Some(written) => {
            cx.choice(&written, "operator", &["Equal", "Exists"]);
            written
        }
        None => Spanned::new(if value.is_some() { "Equal" } else { "Exists" }.to_owned(), cx.span_of(node)),
    };
    let effect = cx.string_prop(node, "effect");
    if let Some(effect) = &effect {
        cx.choice(effect, "effect", &["NoSchedule", "PreferNoSchedule", "NoExecute"]);
    }
    let seconds = prop(node, "seconds")
        .and_then(|entry| cx.integer(entry, "`seconds`", TOLERATION_SECONDS.0, TOLERATION_SECONDS.1));
    let span = cx.span_of(node);
    if operator.value == "Exists" && value.is_some() {
        let help = "leave out `value=` to tolerate every value of the key, or write `operator=\"Equal\"`";
        cx.invalid_value(operator.span, "toleration", "Exists", "takes no `value=`", help);
    }
    if key.is_none() && operator.value != "Exists" {
        cx.missing(
            node,
            "a taint key",
            "write `toleration \"<key>\" value=\"<value>\"`, or `toleration operator=\"Exists\"` for every taint",
        );
    }
    if let Some(seconds) = &seconds
        && effect.as_ref().is_none_or(|e| e.value != "NoExecute")
    {
        let help = "write `effect=\"NoExecute\"` with `seconds=`: only evictions wait";
        cx.invalid_value(
            seconds.span,
            "toleration `seconds`",
            &seconds.value.to_string(),
            "without `effect=\"NoExecute\"`",
            help,
        );
    }
    Some(Toleration { key, operator, value, effect, seconds, span })
}

/// `tmp memory=#true size="128Mi"`.
fn tmp(cx: &mut Ctx<'_>, node: &KdlNode) -> Tmp {
    cx.shape(node, &["memory", "size"], 0, "only `memory=` and `size=`");
    cx.no_children(node);
    if node.entries().is_empty() {
        cx.missing(node, "`memory=` or `size=`", "write `tmp memory=#true size=\"128Mi\"`");
    }
    let memory = prop(node, "memory").and_then(|entry| cx.boolean(entry, "`memory`"));
    let size = prop(node, "size").and_then(|entry| cx.quantity(entry, "`size`", Quantity::Memory));
    if let Some(size) = &size
        && check::quantity_value(&size.value) == Some(0.0)
    {
        cx.invalid_value(size.span, "`/tmp` size", &size.value, "zero", "give a positive size such as `\"64Mi\"`");
    }
    Tmp { memory, size, span: Some(cx.span_of(node)) }
}
