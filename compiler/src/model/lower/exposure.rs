//! Lowering `expose-port`: a port reached through a `LoadBalancer` or `NodePort` Service.

use super::values::{Ctx, args, children, is_cidr, prop};
use crate::diag::Spanned;
use crate::model::bounds::NODE_PORT;
use crate::model::{PortExposure, PortExposureType};
use kdl::KdlNode;

/// `expose-port "edi" type="load-balancer" node-port=30575 internal=#true { from "..." }`.
pub(super) fn expose_port(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<PortExposure> {
    cx.shape(node, &["type", "node-port", "internal"], 1, "the port name");
    const HELP: &str = "write `expose-port \"<port>\" type=\"load-balancer\" { from \"203.0.113.0/24\" }`";
    let port = match args(node).next() {
        Some(entry) => cx.string(entry, "the port name"),
        None => {
            cx.missing(node, "a port name", HELP);
            None
        }
    };
    let kind = match cx.string_prop(node, "type") {
        Some(written) => {
            let kind = match cx.choice(&written, "type", &["load-balancer", "node-port"]) {
                Some("node-port") => PortExposureType::NodePort,
                Some(_) => PortExposureType::LoadBalancer,
                None => return None,
            };
            Some(Spanned::new(kind, written.span))
        }
        None => {
            cx.missing(node, "`type=`", HELP);
            None
        }
    };
    let node_port = prop(node, "node-port").and_then(|entry| cx.port(entry, "`node-port`", NODE_PORT));
    let internal = prop(node, "internal").and_then(|entry| cx.boolean(entry, "`internal`"));
    if let (Some(kind), Some(internal)) = (&kind, &internal)
        && kind.value == PortExposureType::NodePort
        && internal.value
    {
        let help = "a node port is on the nodes' addresses, private or not: leave out `internal=`, or use `type=\"load-balancer\"`";
        cx.invalid_value(internal.span, "`internal`", "#true", "only a load balancer can be internal", help);
    }
    let mut from = Vec::new();
    for child in children(node) {
        if child.name().value() != "from" {
            cx.unknown_node(child, "in `expose-port`", "only `from \"<address range>\"` goes here".to_owned());
            continue;
        }
        cx.shape(child, &[], 1, "an address range");
        cx.no_children(child);
        let Some(cidr) = cx.single_string(child) else { continue };
        if !is_cidr(&cidr.value) {
            let help = "write an address and a prefix length, such as `203.0.113.0/24`; `0.0.0.0/0` for everyone";
            cx.invalid_value(cidr.span, "`from` range", &cidr.value, "not an address range", help);
            continue;
        }
        from.push(cidr);
    }
    if from.is_empty() {
        cx.missing(
            node,
            "a `from` range",
            "say who may connect: `expose-port \"<port>\" type=\"load-balancer\" { from \"203.0.113.0/24\" }` (`from \"0.0.0.0/0\"` for everyone)",
        );
    }
    Some(PortExposure {
        port: port?,
        kind: kind?,
        node_port,
        internal: internal.is_some_and(|i| i.value),
        from,
        span: cx.span_of(node),
    })
}
