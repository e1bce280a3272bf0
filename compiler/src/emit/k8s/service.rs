//! A service's ClusterIP Service and any workload's `config` ConfigMap.

use super::{Ctx, config_map_name};
use crate::emit::Artifact;
use crate::emit::common::selector_labels;
use crate::resolve::ResolvedWorkload;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The in-cluster Service: ClusterIP only (exposure goes through Ingress or Route), one
/// named port per container port, targeting the container port by name.
pub(super) fn service(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
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
        metadata: ctx.workload_meta(workload, &workload.name),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(selector_labels(ctx.view, workload)),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    ctx.workload_artifact(workload, "Service", &workload.name, &object)
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
