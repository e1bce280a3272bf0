//! `files`: secret and config values mounted as read-only files. Each directory gets an
//! ExternalSecret (files from the store) and a ConfigMap (plain files) named
//! `<workload>-files-<n>`, and one volume: a `secret` or `configMap` volume, or a
//! `projected` one when the directory holds both.

use super::{Ctx, external_secret};
use crate::emit::Artifact;
use crate::resolve::{ResolvedFiles, ResolvedWorkload};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapProjection, ConfigMapVolumeSource, ProjectedVolumeSource, SecretProjection, SecretVolumeSource,
    Volume, VolumeMount, VolumeProjection,
};

/// Name of the objects and the volume of the `index`-th (0-based) `files` directory.
fn files_name(workload: &ResolvedWorkload, index: usize) -> String {
    format!("{}-files-{}", workload.name, index + 1)
}

/// The ExternalSecrets and ConfigMaps holding a workload's files.
pub(super) fn emit(ctx: &Ctx<'_>, workload: &ResolvedWorkload, out: &mut Vec<Artifact>) {
    for (index, dir) in workload.files.iter().enumerate() {
        let name = files_name(workload, index);
        if !dir.secrets.is_empty() {
            let entries =
                dir.secrets.iter().map(|file| (file.file.clone(), file.key.clone(), file.property.clone())).collect();
            out.push(external_secret::external_secret(ctx, workload, &name, entries));
        }
        if !dir.config.is_empty() {
            let object = ConfigMap {
                metadata: ctx.workload_meta(workload, &name),
                data: Some(dir.config.clone()),
                ..ConfigMap::default()
            };
            out.push(ctx.workload_artifact(workload, "ConfigMap", &name, &object));
        }
    }
}

/// One read-only volume and mount per `files` directory.
pub(super) fn volumes(workload: &ResolvedWorkload) -> Vec<(Volume, VolumeMount)> {
    workload
        .files
        .iter()
        .enumerate()
        .map(|(index, dir)| {
            let name = files_name(workload, index);
            let mount = VolumeMount {
                name: name.clone(),
                mount_path: dir.path.clone(),
                read_only: Some(true),
                ..VolumeMount::default()
            };
            (volume(name, dir), mount)
        })
        .collect()
}

fn volume(name: String, dir: &ResolvedFiles) -> Volume {
    let mode = Some(dir.mode);
    let optional = Some(false);
    match (dir.secrets.is_empty(), dir.config.is_empty()) {
        (false, true) => Volume {
            secret: Some(SecretVolumeSource {
                secret_name: Some(name.clone()),
                default_mode: mode,
                optional,
                ..SecretVolumeSource::default()
            }),
            name,
            ..Volume::default()
        },
        (true, _) => Volume {
            config_map: Some(ConfigMapVolumeSource {
                name: name.clone(),
                default_mode: mode,
                optional,
                ..ConfigMapVolumeSource::default()
            }),
            name,
            ..Volume::default()
        },
        (false, false) => Volume {
            projected: Some(ProjectedVolumeSource {
                default_mode: mode,
                sources: Some(vec![
                    VolumeProjection {
                        secret: Some(SecretProjection { name: name.clone(), optional, ..SecretProjection::default() }),
                        ..VolumeProjection::default()
                    },
                    VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: name.clone(),
                            optional,
                            ..ConfigMapProjection::default()
                        }),
                        ..VolumeProjection::default()
                    },
                ]),
            }),
            name,
            ..Volume::default()
        },
    }
}
