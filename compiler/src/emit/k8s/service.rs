//! A service's ClusterIP Service and any workload's `config` ConfigMap.

use super::{Ctx, config_map_name};
use crate::emit::Artifact;
use crate::emit::common::selector_labels;
use crate::model::PortExposureType;
use crate::resolve::ResolvedWorkload;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The in-cluster Service: ClusterIP only (exposure goes through Ingress or Route), one
/// named port per container port, targeting the container port by name. A Rollout's
/// second Service (`<name>-canary`, `<name>-preview`) is the same; the Rollouts
/// controller narrows each one's selector to its ReplicaSet.
pub(super) fn service(ctx: &Ctx<'_>, workload: &ResolvedWorkload, name: &str) -> Artifact {
    let ports = workload
        .ports
        .iter()
        .map(|port| ServicePort {
            name: Some(port.name.clone()),
            port: port.service_port,
            target_port: Some(IntOrString::String(port.name.clone())),
            protocol: Some(crate::emit::common::transport(port.protocol).to_owned()),
            ..ServicePort::default()
        })
        .collect();
    let object = Service {
        metadata: ctx.workload_meta(workload, name),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(selector_labels(ctx.view, workload)),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    ctx.workload_artifact(workload, "Service", name, &object)
}

/// One `LoadBalancer` or `NodePort` Service per `expose-port`, `<workload>-<port>`.
/// `externalTrafficPolicy: Local` keeps the client's address (no hop through another
/// node, no SNAT), so the workload's NetworkPolicy can admit exactly the `from` ranges;
/// a load balancer also filters them itself (`loadBalancerSourceRanges`).
pub(super) fn port_services(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Vec<Artifact> {
    workload
        .expose_ports
        .iter()
        .map(|exposure| {
            let port = &exposure.port;
            let name = crate::resolve::port_service_name(&workload.name, &port.name);
            let mut metadata = ctx.workload_meta(workload, &name);
            if !exposure.annotations.is_empty() {
                metadata.annotations = Some(exposure.annotations.clone());
            }
            let load_balancer = exposure.kind == PortExposureType::LoadBalancer;
            let object = Service {
                metadata,
                spec: Some(ServiceSpec {
                    type_: Some(exposure.kind.service_type().to_owned()),
                    selector: Some(selector_labels(ctx.view, workload)),
                    ports: Some(vec![ServicePort {
                        name: Some(port.name.clone()),
                        port: port.service_port,
                        target_port: Some(IntOrString::String(port.name.clone())),
                        protocol: Some(crate::emit::common::transport(port.protocol).to_owned()),
                        node_port: exposure.node_port,
                        ..ServicePort::default()
                    }]),
                    external_traffic_policy: Some("Local".to_owned()),
                    load_balancer_source_ranges: load_balancer.then(|| exposure.from.clone()),
                    ..ServiceSpec::default()
                }),
                ..Service::default()
            };
            ctx.workload_artifact(workload, "Service", &name, &object)
        })
        .collect()
}

/// The workload's `config` entries, read by the container through `envFrom`.
pub(super) fn config_map(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
    let name = config_map_name(workload);
    let object = ConfigMap {
        metadata: ctx.workload_meta(workload, &name),
        data: Some(workload.config.clone()),
        ..ConfigMap::default()
    };
    ctx.workload_artifact(workload, "ConfigMap", &name, &object)
}
