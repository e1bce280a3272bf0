//! One external-secrets.io `ExternalSecret` per workload, holding all its `secret`
//! references: the values stay in the store, the manifests only name them.
//!
//! ExternalSecret is a custom resource, not in k8s-openapi, so it is a small typed
//! struct here (field order is serialisation order).

use super::{Ctx, secret_name};
use crate::emit::Artifact;
use crate::resolve::ResolvedWorkload;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// How often the operator re-reads the store.
const REFRESH_INTERVAL: &str = "1h";

/// `external-secrets.io/v1` `ExternalSecret`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecret {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: ExternalSecretSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecretSpec {
    refresh_interval: &'static str,
    secret_store_ref: SecretStoreRef,
    target: Target,
    data: Vec<Data>,
}

#[derive(Debug, Serialize)]
struct SecretStoreRef {
    kind: &'static str,
    name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    name: String,
    creation_policy: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    secret_key: String,
    remote_ref: RemoteRef,
}

#[derive(Debug, Serialize)]
struct RemoteRef {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    property: Option<String>,
}

/// The ExternalSecret of a workload with at least one `secret`. Each Secret key is the
/// env var name, which the container's `secretKeyRef` reads.
pub(super) fn emit(ctx: &Ctx<'_>, workload: &ResolvedWorkload) -> Artifact {
    let entries = workload
        .secrets
        .iter()
        .map(|secret| (secret.env.clone(), secret.key.clone(), secret.property.clone()))
        .collect();
    external_secret(ctx, workload, &secret_name(workload), entries)
}

/// An ExternalSecret `name` creating the Secret `name` with one key per entry
/// (Secret key, store key, property).
pub(super) fn external_secret(
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    name: &str,
    entries: Vec<(String, String, Option<String>)>,
) -> Artifact {
    let object = ExternalSecret {
        api_version: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: ctx.workload_meta(workload, name),
        spec: ExternalSecretSpec {
            refresh_interval: REFRESH_INTERVAL,
            secret_store_ref: SecretStoreRef { kind: "ClusterSecretStore", name: ctx.estate.secret_store.clone() },
            target: Target { name: name.to_owned(), creation_policy: "Owner" },
            data: entries
                .into_iter()
                .map(|(secret_key, key, property)| Data { secret_key, remote_ref: RemoteRef { key, property } })
                .collect(),
        },
    };
    ctx.workload_artifact(workload, "ExternalSecret", name, &object)
}
