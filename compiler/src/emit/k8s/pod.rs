//! The hardened pod template shared by Deployments and CronJobs
//! (security research §1.2: non-root, read-only root, no capabilities, no API token).

use super::{Ctx, config_map_name, secret_name};
use crate::model::{HealthCheck, WorkloadKind};
use crate::resolve::{EnvSource, ResolvedEnv, ResolvedHealth, ResolvedToleration, ResolvedWorkload};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapEnvSource, ConfigMapKeySelector, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, GRPCAction, HTTPGetAction, HTTPHeader, ObjectFieldSelector,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecurityContext, TCPSocketAction, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Name of the single application container.
const CONTAINER_NAME: &str = "app";
/// Name of the `/tmp` scratch volume.
const TMP_VOLUME: &str = "tmp";

/// The pod template of a workload. `restart_policy` is `None` for Deployments (the
/// default `Always`) and `OnFailure` for CronJobs.
pub(super) fn template(ctx: &Ctx<'_>, workload: &ResolvedWorkload, restart_policy: Option<&str>) -> PodTemplateSpec {
    let profile = &ctx.view.profile;
    let fixed = |value: i64| profile.fixed_uid.then_some(value);
    let security_context = PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: fixed(profile.run_as_user),
        run_as_group: fixed(profile.run_as_user),
        fs_group: fixed(profile.run_as_user),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".to_owned(), ..SeccompProfile::default() }),
        ..PodSecurityContext::default()
    };
    let (volumes, mounts) = scratch_volumes(workload);
    let mut container = container(workload);
    container.volume_mounts = Some(mounts);
    let pod = &workload.pod;
    // The spec's own labels first: `model` keeps them off Berth's keys.
    let mut labels = pod.labels.clone();
    labels.extend(ctx.labels(workload));
    // Identity webhooks (Azure Workload Identity) select pods by label.
    if let Some(identity) = &workload.identity {
        labels.extend(identity.labels.clone());
    }
    let annotations = (!pod.annotations.is_empty()).then(|| pod.annotations.clone());
    PodTemplateSpec {
        metadata: Some(ObjectMeta { labels: Some(labels), annotations, ..ObjectMeta::default() }),
        spec: Some(PodSpec {
            service_account_name: Some(workload.name.clone()),
            automount_service_account_token: Some(false),
            security_context: Some(security_context),
            restart_policy: restart_policy.map(str::to_owned),
            termination_grace_period_seconds: pod.termination_grace,
            node_selector: (!pod.node_selector.is_empty()).then(|| pod.node_selector.clone()),
            tolerations: (!pod.tolerations.is_empty()).then(|| pod.tolerations.iter().map(toleration).collect()),
            containers: vec![container],
            volumes: Some(volumes),
            ..PodSpec::default()
        }),
    }
}

fn toleration(toleration: &ResolvedToleration) -> Toleration {
    Toleration {
        key: toleration.key.clone(),
        operator: Some(toleration.operator.clone()),
        value: toleration.value.clone(),
        effect: toleration.effect.clone(),
        toleration_seconds: toleration.seconds,
    }
}

fn container(workload: &ResolvedWorkload) -> Container {
    let ports: Vec<ContainerPort> = workload
        .ports
        .iter()
        .map(|port| ContainerPort {
            name: Some(port.name.clone()),
            container_port: port.container_port,
            protocol: Some(crate::emit::common::transport(port.protocol).to_owned()),
            ..ContainerPort::default()
        })
        .collect();
    let resources = &workload.resources;
    let quantities = |cpu: &str, memory: &str, ephemeral: Option<&String>| {
        let mut map = BTreeMap::from([
            ("cpu".to_owned(), Quantity(cpu.to_owned())),
            ("memory".to_owned(), Quantity(memory.to_owned())),
        ]);
        if let Some(ephemeral) = ephemeral {
            map.insert("ephemeral-storage".to_owned(), Quantity(ephemeral.clone()));
        }
        map
    };
    // Order matters: the kubelet expands `$(NAME)` only from variables set earlier.
    let mut env: Vec<EnvVar> = workload.pod_env.iter().map(binding_env).collect();
    env.extend(workload.secrets.iter().map(|secret| EnvVar {
        name: secret.env.clone(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret_name(workload),
                key: secret.env.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }));
    // Backing-service connection variables, in the kind's order: later ones may refer to
    // earlier ones as `$(NAME)`, which the kubelet expands.
    env.extend(workload.bindings.iter().map(binding_env));
    // Config entries naming other variables, each after those it names.
    env.extend(workload.composed.iter().map(binding_env));
    let env_from = (!workload.config.is_empty()).then(|| {
        vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource { name: config_map_name(workload), optional: Some(false) }),
            ..EnvFromSource::default()
        }]
    });
    // Jobs run to completion: a liveness probe would kill a long batch, readiness is moot.
    let probe =
        |health: &Option<ResolvedHealth>| health.as_ref().filter(|_| workload.kind != WorkloadKind::Job).map(probe);
    Container {
        name: CONTAINER_NAME.to_owned(),
        image: Some(workload.image.clone()),
        image_pull_policy: Some("Always".to_owned()),
        command: (!workload.command.is_empty()).then(|| workload.command.clone()),
        args: (!workload.args.is_empty()).then(|| workload.args.clone()),
        ports: (!ports.is_empty()).then_some(ports),
        env: (!env.is_empty()).then_some(env),
        env_from,
        resources: Some(ResourceRequirements {
            requests: Some(quantities(&resources.cpu, &resources.memory, resources.ephemeral_storage.as_ref())),
            limits: Some(quantities(
                &resources.cpu_limit,
                &resources.memory_limit,
                resources.ephemeral_storage_limit.as_ref(),
            )),
            ..ResourceRequirements::default()
        }),
        readiness_probe: probe(&workload.readiness),
        liveness_probe: probe(&workload.liveness),
        startup_probe: probe(&workload.startup),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            privileged: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            // `model` lets only `NET_BIND_SERVICE` back in (the restricted standard's one).
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_owned()]),
                add: (!workload.pod.capabilities.is_empty()).then(|| workload.pod.capabilities.clone()),
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

fn binding_env(binding: &ResolvedEnv) -> EnvVar {
    let value_from = match &binding.source {
        EnvSource::Value(value) => {
            return EnvVar { name: binding.name.clone(), value: Some(value.clone()), ..EnvVar::default() };
        }
        EnvSource::Secret { name, key } => EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: name.clone(), key: key.clone(), optional: Some(false) }),
            ..EnvVarSource::default()
        },
        EnvSource::ConfigMap { name, key } => EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: name.clone(),
                key: key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        },
        EnvSource::PodField(path) => EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: path.clone(), api_version: None }),
            ..EnvVarSource::default()
        },
    };
    EnvVar { name: binding.name.clone(), value_from: Some(value_from), ..EnvVar::default() }
}

/// The `/tmp` emptyDir (on disk, or a tmpfs with `tmp memory=#true`) plus one per
/// `writable` path and one per `files` directory, and their mounts.
fn scratch_volumes(workload: &ResolvedWorkload) -> (Vec<Volume>, Vec<VolumeMount>) {
    let size = &workload.pod.tmp_size;
    let empty_dir = |name: String, medium: Option<String>| Volume {
        name,
        empty_dir: Some(EmptyDirVolumeSource { size_limit: Some(Quantity(size.clone())), medium }),
        ..Volume::default()
    };
    let mount = |name: String, path: &str| VolumeMount { name, mount_path: path.to_owned(), ..VolumeMount::default() };
    let tmp_medium = workload.pod.tmp_memory.then(|| "Memory".to_owned());
    let mut volumes = vec![empty_dir(TMP_VOLUME.to_owned(), tmp_medium)];
    let mut mounts = vec![mount(TMP_VOLUME.to_owned(), "/tmp")];
    // Numbered names: always valid DNS labels and unique, whatever the paths look like.
    for (index, path) in workload.writable.iter().enumerate() {
        let name = format!("writable-{}", index + 1);
        volumes.push(empty_dir(name.clone(), None));
        mounts.push(mount(name, path));
    }
    for (volume, mount) in super::files::volumes(workload) {
        volumes.push(volume);
        mounts.push(mount);
    }
    (volumes, mounts)
}

/// One probe, its action and timings as resolved.
fn probe(health: &ResolvedHealth) -> Probe {
    let port = IntOrString::String(health.port.clone());
    let headers: Vec<HTTPHeader> =
        health.headers.iter().map(|(name, value)| HTTPHeader { name: name.clone(), value: value.clone() }).collect();
    let action = match &health.check {
        HealthCheck::Http { path } => Probe {
            http_get: Some(HTTPGetAction {
                path: Some(path.clone()),
                port,
                http_headers: (!headers.is_empty()).then_some(headers),
                ..HTTPGetAction::default()
            }),
            ..Probe::default()
        },
        HealthCheck::Grpc => {
            Probe { grpc: Some(GRPCAction { port: health.port_number, service: None }), ..Probe::default() }
        }
        HealthCheck::Tcp => Probe { tcp_socket: Some(TCPSocketAction { port, host: None }), ..Probe::default() },
    };
    Probe {
        // Zero is the API default; leaving it out keeps readiness probes as before.
        initial_delay_seconds: (health.initial_delay > 0).then(|| clamp(health.initial_delay)),
        period_seconds: Some(clamp(health.period)),
        timeout_seconds: Some(clamp(health.timeout)),
        failure_threshold: Some(clamp(health.failure_threshold)),
        ..action
    }
}

/// Seconds as the `int32` Kubernetes wants; resolve already bounds them.
fn clamp(seconds: i64) -> i32 {
    i32::try_from(seconds.max(0)).unwrap_or(i32::MAX)
}
