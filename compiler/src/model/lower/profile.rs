//! Lowering targets and cloud profiles: `target`, `cloud` and their facts.

use super::values::{Ctx, Once, args, children, is_cidr};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::bounds::PORT;
use crate::model::check;
use crate::model::types::*;
use indexmap::IndexMap;
use kdl::{KdlEntry, KdlNode};

/// Cloud profile facts (in `target` and `cloud`).
const FACTS: &[&str] = &[
    "dns",
    "registry",
    "exposure",
    "route-object",
    "ingress-class",
    "ingress-annotation",
    "storage-class",
    "fixed-uid",
    "uid-note",
    "dns-namespace",
    "dns-label",
    "dns-port",
    "ingress-namespace",
    "ingress-label",
    "monitoring-namespace",
    "monitoring-label",
    "cni",
    "ingress-cidr",
    "managed-cidr",
    "api-server-cidr",
    "dns-cidr",
    "gateway",
    "internal-gateway",
    "internal-ingress-class",
    "internal-ingress-annotation",
    "load-balancer-annotation",
    "internal-load-balancer-annotation",
    "identity-annotation",
    "identity-label",
    "param",
    "backing-managed",
    "rollouts-controller",
    "rollout-router",
    "rollout-ingress-port",
    "cluster-name",
];

pub(super) fn target(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Target> {
    cx.shape(node, &["cloud", "region"], 1, "the target name");
    let name = cx.name_arg(node, "target", true);
    let cloud = cx.required_string_prop(
        node,
        "cloud",
        "write `cloud=\"<profile>\"`, naming a cloud profile of the stdlib (stdlib/targets/) or of a library",
    );
    let region = cx.string_prop(node, "region");
    let mut facts = ProfileFacts::default();
    let mut once = Once::default();
    for child in children(node) {
        if !fact(cx, child, &mut facts, &mut once, "target") {
            let help = did_you_mean(child.name().value(), FACTS, Otherwise::Vocabulary);
            cx.unknown_node(child, "in `target`", help);
        }
    }
    Some(Target { name: name?, cloud: cloud?, region, facts, span: cx.span_of(node) })
}

/// Lower `child` if it is a profile fact; `false` if it is not one.
pub(super) fn fact(cx: &mut Ctx<'_>, child: &KdlNode, facts: &mut ProfileFacts, once: &mut Once, parent: &str) -> bool {
    let key = child.name().value();
    match key {
        "dns"
        | "registry"
        | "ingress-class"
        | "storage-class"
        | "exposure"
        | "route-object"
        | "uid-note"
        | "dns-namespace"
        | "ingress-namespace"
        | "monitoring-namespace"
        | "cni"
        | "internal-ingress-class"
        | "rollout-router"
        | "rollout-ingress-port"
        | "cluster-name" => {
            if cx.once(once, child, key, parent) {
                string_fact(cx, child, key, facts);
            }
        }
        "fixed-uid" => {
            if cx.once(once, child, key, parent) {
                facts.fixed_uid = cx.single_bool(child);
            }
        }
        "backing-managed" => {
            if cx.once(once, child, key, parent) {
                facts.backing_managed = cx.single_bool(child);
            }
        }
        "rollouts-controller" => {
            if cx.once(once, child, key, parent) {
                facts.rollouts_controller = cx.single_bool(child);
            }
        }
        "ingress-cidr" | "managed-cidr" | "api-server-cidr" | "dns-cidr" => {
            cidr_fact(cx, child, key, facts);
        }
        "gateway" | "internal-gateway" => {
            if cx.once(once, child, key, parent) {
                let gateway = gateway(cx, child);
                if key == "gateway" {
                    facts.gateway = gateway;
                } else {
                    facts.internal_gateway = gateway;
                }
            }
        }
        "dns-port" => {
            if cx.once(once, child, key, parent) {
                facts.dns_port = cx.single_port(child, PORT);
            }
        }
        "ingress-annotation"
        | "dns-label"
        | "ingress-label"
        | "monitoring-label"
        | "identity-annotation"
        | "identity-label"
        | "param"
        | "internal-ingress-annotation"
        | "load-balancer-annotation"
        | "internal-load-balancer-annotation" => {
            let (what, map) = match key {
                "dns-label" => ("label", &mut facts.dns_labels),
                "ingress-label" => ("label", &mut facts.ingress_labels),
                "monitoring-label" => ("label", &mut facts.monitoring_labels),
                "identity-annotation" => ("annotation", &mut facts.identity_annotations),
                "identity-label" => ("label", &mut facts.identity_labels),
                "param" => ("param", &mut facts.params),
                "internal-ingress-annotation" => ("annotation", &mut facts.internal_ingress_annotations),
                "load-balancer-annotation" => ("annotation", &mut facts.load_balancer_annotations),
                "internal-load-balancer-annotation" => ("annotation", &mut facts.internal_load_balancer_annotations),
                _ => ("annotation", &mut facts.ingress_annotations),
            };
            meta_pair(cx, child, key, parent, what, map);
        }
        _ => return false,
    }
    true
}

/// One `<key> "<name>" "<value>"` node of a label, annotation or param map (a profile
/// fact, or a `defaults` annotation): checked, and added to `map` unless already there.
pub(super) fn meta_pair(
    cx: &mut Ctx<'_>,
    child: &KdlNode,
    key: &str,
    parent: &str,
    what: &str,
    map: &mut IndexMap<String, Spanned<String>>,
) {
    cx.shape(child, &[], 2, &format!("an {what} name and a value"));
    let args: Vec<&KdlEntry> = args(child).collect();
    match (args.first(), args.get(1)) {
        (Some(name), Some(value)) => {
            let name = cx.string(name, &format!("the {what} name"));
            let value = cx.string(value, &format!("the {what} value"));
            if let (Some(name), Some(value)) = (name, value) {
                check_meta(cx, key, &name, &value);
                if let Some(first) = map.get(&name.value) {
                    let first = first.span;
                    cx.duplicate_setting(&name.value, parent, name.span, first);
                } else {
                    map.insert(name.value, value);
                }
            }
        }
        _ => {
            cx.missing(child, &format!("an {what} name and a value"), &format!("write `{key} \"<name>\" \"<value>\"`"))
        }
    }
}

/// A fact that holds one string (`dns`, `exposure`, `cni`, ...).
fn string_fact(cx: &mut Ctx<'_>, child: &KdlNode, key: &str, facts: &mut ProfileFacts) {
    let value = cx.single_string(child);
    if key == "exposure"
        && let Some(value) = &value
    {
        cx.choice(value, "exposure", &["ingress", "route", "gateway"]);
    }
    if key == "dns"
        && let Some(zone) = &value
        && !zone.value.split('.').all(check::is_dns_label)
    {
        let help = "write the DNS zone exposed hosts go under, such as `apps.example.com`";
        cx.invalid_value(zone.span, "`dns` zone", &zone.value, "not a DNS name", help);
    }
    if let Some(name) = &value {
        let (ok, what) = match key {
            "dns-namespace" | "ingress-namespace" | "monitoring-namespace" => {
                (check::is_dns_label(&name.value), "a namespace name (a DNS label)")
            }
            "ingress-class" | "internal-ingress-class" | "storage-class" => {
                (check::is_dns_subdomain(&name.value), "a Kubernetes object name (lowercase DNS subdomain)")
            }
            _ => (true, ""),
        };
        if !ok {
            let help = format!("write {what}, such as `ingress-nginx`");
            cx.invalid_value(name.span, &format!("`{key}`"), &name.value, &format!("not {what}"), &help);
        }
    }
    if key == "cluster-name"
        && let Some(name) = &value
        && (name.value.is_empty()
            || name.value.len() > 253
            || !name.value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
    {
        let help = "write the name the cluster is registered under in the GitOps tool, such as `prod-seoul` \
                    (letters, digits, `.`, `_` and `-`)";
        cx.invalid_value(name.span, "`cluster-name`", &name.value, "not a plain cluster name", help);
    }
    let slot = match key {
        "dns" => &mut facts.dns,
        "registry" => &mut facts.registry,
        "ingress-class" => &mut facts.ingress_class,
        "storage-class" => &mut facts.storage_class,
        "dns-namespace" => &mut facts.dns_namespace,
        "ingress-namespace" => &mut facts.ingress_namespace,
        "monitoring-namespace" => &mut facts.monitoring_namespace,
        "cni" => &mut facts.cni,
        "internal-ingress-class" => &mut facts.internal_ingress_class,
        "route-object" => &mut facts.route_object,
        "uid-note" => &mut facts.uid_note,
        "rollout-router" => &mut facts.rollout_router,
        "rollout-ingress-port" => &mut facts.rollout_ingress_port,
        "cluster-name" => &mut facts.cluster_name,
        _ => &mut facts.exposure,
    };
    *slot = value;
}

/// A label or annotation fact: its key must be a Kubernetes qualified name, and a label
/// selector's value a label value (the API server refuses anything else).
fn check_meta(cx: &mut Ctx<'_>, key: &str, name: &Spanned<String>, value: &Spanned<String>) {
    if key == "param" {
        return;
    }
    if !check::is_qualified_name(&name.value) {
        let help = "write `prefix/name` or `name`: letters, digits, `-`, `_`, `.`, at most 63 characters after the prefix, such as `app.kubernetes.io/name`";
        cx.invalid_value(name.span, &format!("`{key}` key"), &name.value, "not a label or annotation key", help);
    }
    let selector = matches!(key, "dns-label" | "ingress-label" | "monitoring-label");
    if selector && !(check::is_label_value(&value.value) && value.value.len() <= 63) {
        let help = "write at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit";
        cx.invalid_value(value.span, &format!("`{key}` value"), &value.value, "not a label value", help);
    }
}

/// One address range of a `*-cidr` fact, added to its list.
fn cidr_fact(cx: &mut Ctx<'_>, child: &KdlNode, key: &str, facts: &mut ProfileFacts) {
    if let Some(cidr) = cx.single_string(child) {
        if is_cidr(&cidr.value) {
            let list = match key {
                "ingress-cidr" => &mut facts.ingress_cidrs,
                "managed-cidr" => &mut facts.managed_cidrs,
                "dns-cidr" => &mut facts.dns_cidrs,
                _ => &mut facts.api_server_cidrs,
            };
            list.push(cidr);
        } else {
            cx.invalid_value(
                cidr.span,
                key,
                &cidr.value,
                "not an address range",
                "write an address and a prefix length, such as `10.0.0.0/16`",
            );
        }
    }
}

/// `gateway "public" namespace="gateway-system" section="https"`.
pub(super) fn gateway(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<GatewayRef> {
    cx.shape(node, &["namespace", "section"], 1, "the Gateway name");
    cx.no_children(node);
    let name = cx.name_arg(node, "gateway", true);
    let namespace = cx.required_string_prop(node, "namespace", "write `gateway \"<name>\" namespace=\"<namespace>\"`");
    let section = cx.string_prop(node, "section");
    Some(GatewayRef { name: name?, namespace: namespace?, section, span: cx.span_of(node) })
}

pub(super) fn cloud(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<CloudProfile> {
    cx.shape(node, &[], 1, "the cloud profile name");
    let name = cx.name_arg(node, "cloud", true);
    let mut description = None;
    let mut facts = ProfileFacts::default();
    let mut once = Once::default();
    for child in children(node) {
        if child.name().value() == "description" {
            if cx.once(&mut once, child, "description", "cloud") {
                description = cx.single_string(child);
            }
        } else if !fact(cx, child, &mut facts, &mut once, "cloud") {
            let mut allowed = FACTS.to_vec();
            allowed.push("description");
            let help = did_you_mean(child.name().value(), &allowed, Otherwise::Vocabulary);
            cx.unknown_node(child, "in `cloud`", help);
        }
    }
    Some(CloudProfile { name: name?, description, facts, span: cx.span_of(node) })
}

/// `cni "cilium" { description "..."; egress-by-name #"""..."""# }`.
pub(super) fn cni(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Cni> {
    cx.shape(node, &[], 1, "the network plugin's name");
    let name = cx.name_arg(node, "cni", true);
    let mut description = None;
    let mut egress_by_name = None;
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        let slot = match key {
            "description" => &mut description,
            "egress-by-name" => &mut egress_by_name,
            _ => {
                let help = did_you_mean(key, &["description", "egress-by-name"], Otherwise::Vocabulary);
                cx.unknown_node(child, "in `cni`", help);
                continue;
            }
        };
        if cx.once(&mut once, child, key, "cni") {
            *slot = cx.single_string(child);
        }
    }
    Some(Cni { name: name?, description, egress_by_name, span: cx.span_of(node) })
}
