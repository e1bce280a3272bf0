//! `expose-port` in one view: the port bound by name, the profile's load-balancer
//! annotations chosen (internal or not), and what the target cannot do reported.

use super::errors::ResolveError;
use super::realise::Scope;
use super::types::{ResolvedPort, ResolvedPortExposure};
use super::{Ctx, workload::port_ref};
use crate::model::{PortExposureType, WorkloadKind, WorkloadSettings};

/// The workload's `expose-port`s, each bound to its port.
pub(super) fn expose_ports(
    cx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    (kind, name): (WorkloadKind, &str),
    ports: &[ResolvedPort],
    settings: &WorkloadSettings,
) -> Vec<ResolvedPortExposure> {
    let profile = scope.profile;
    let mut out = Vec::new();
    for exposure in &settings.expose_ports {
        if kind != WorkloadKind::Service {
            cx.error(
                exposure.span,
                ResolveError::PortExposure {
                    reason: format!("`expose-port` on a `{}`", kind.as_str()),
                    label: "only a `service` gets a Service".to_owned(),
                    span: exposure.span,
                    help: "make it a `service`, or remove `expose-port`".to_owned(),
                },
            );
            continue;
        }
        let Some(port) = port_ref(cx, name, ports, Some(&exposure.port), "expose-port", exposure.span) else {
            continue;
        };
        cx.check_length(&service_name(name, &port.name), 63, exposure.span);
        let annotations = match (exposure.kind.value, exposure.internal) {
            (PortExposureType::NodePort, _) => Default::default(),
            (PortExposureType::LoadBalancer, false) => profile.load_balancer_annotations.clone(),
            (PortExposureType::LoadBalancer, true) => {
                let Some(annotations) = &profile.internal_load_balancer_annotations else {
                    cx.error(
                        exposure.port.span,
                        ResolveError::PortExposure {
                            reason: format!("target `{}` names no internal load balancer", scope.target),
                            label: "internal on this target?".to_owned(),
                            span: exposure.port.span,
                            help: format!(
                                "add `internal-load-balancer-annotation \"<key>\" \"<value>\"` to target `{}` (MetalLB: `metallb.io/address-pool` with the private pool), or leave out `internal=#true`",
                                scope.target
                            ),
                        },
                    );
                    continue;
                };
                annotations.clone()
            }
        };
        out.push(ResolvedPortExposure {
            port: port.clone(),
            kind: exposure.kind.value,
            node_port: exposure.node_port.as_ref().map(|p| p.value),
            internal: exposure.internal,
            from: exposure.from.iter().map(|f| f.value.clone()).collect(),
            annotations,
            span: exposure.span,
        });
    }
    out
}

/// The Service of an `expose-port`: `<workload>-<port>`.
pub fn service_name(workload: &str, port: &str) -> String {
    format!("{workload}-{port}")
}
