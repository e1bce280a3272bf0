//! The template context of the pipeline emitter: what a `ci-system` template can read.
//!
//! Everything here comes from the resolved estate: the image repositories a workload is
//! deployed from in each view (so a pipeline pushes exactly where the manifests pull
//! from), the environments it runs in (in promotion order, with their approval group)
//! and its build kind. Values that templates put into shell commands, YAML keys or
//! Groovy strings are checked to need no quoting (names are DNS labels and paths are
//! checked in `model`; repositories and approval groups are checked here).

use crate::diag::{Diagnostics, Span};
use crate::emit::errors::EmitError;
use crate::resolve::{BuiltWorkload, Deployment, Estate, ResolvedCiSystem, ResolvedPipelines};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One environment of the estate or of one workload, in promotion order.
struct Env {
    name: String,
    production: bool,
    approval: Option<String>,
    targets: Vec<String>,
}

/// The context shared by every template of one system.
pub(super) fn system_context(system: &ResolvedCiSystem, pipelines: &ResolvedPipelines, estate: &Estate) -> Value {
    let pins: BTreeMap<&str, String> = system
        .pins
        .iter()
        .map(|(name, (commit, version))| (name.as_str(), format!("{name}@{commit} # {version}")))
        .collect();
    json!({
        "platform": estate.platform,
        "system": system.name,
        "spec": pipelines.spec_path,
        "output": pipelines.output,
        "branch": pipelines.branch,
        "pins": pins,
        "tools": system.tools,
        "scripts": pipelines.scripts,
    })
}

/// The context of one built workload (`workload` in a template), or `None` when it runs
/// nowhere or a value it needs is unsafe (reported). `branch` is the spec's: a workload
/// in another repository is built from that repository's `ref=` branch instead.
pub(super) fn workload_context(diags: &mut Diagnostics, built: &BuiltWorkload, branch: &str) -> Option<Value> {
    let mut envs: Vec<Env> = Vec::new();
    // repository -> the targets pulling from it, and the first one's deployment
    let mut registries: Vec<(String, Vec<String>, &Deployment)> = Vec::new();
    for deployment in &built.deployments {
        let repository = repository(&deployment.image).to_owned();
        if !safe(&repository, b"._/:-", false) {
            let help = "image names and registries of lower-case letters, digits, `.`, `_`, `/`, `:` and `-`";
            unsafe_value(diags, "image repository", &repository, built.span, help);
            return None;
        }
        match registries.iter_mut().find(|(r, _, _)| *r == repository) {
            Some((_, targets, _)) if !targets.contains(&deployment.target) => targets.push(deployment.target.clone()),
            Some(_) => {}
            None => registries.push((repository, vec![deployment.target.clone()], deployment)),
        }
        add_deployment(diags, &mut envs, deployment)?;
    }
    if registries.is_empty() {
        return None;
    }
    let registries: Vec<Value> = registries
        .into_iter()
        .map(|(repository, targets, deployment)| {
            let host = repository.split('/').next().unwrap_or_default().to_owned();
            json!({
                "repository": repository,
                "host": host,
                "target": deployment.target,
                "targets": targets,
                "cloud": deployment.cloud,
                "region": deployment.region,
                "params": deployment.params,
                "id": id(&deployment.target),
            })
        })
        .collect();
    let build = &built.build;
    let caches: Vec<Value> = build.caches.iter().map(|(path, key)| json!({ "path": path, "key": key })).collect();
    let (prefix, paths) = if built.source == "." {
        (String::new(), "**".to_owned())
    } else {
        (format!("{}/", built.source), format!("{}/**", built.source))
    };
    let commands: Vec<&String> = build.test.iter().chain(&build.build).collect();
    let repository = built.repository.as_ref().map(|r| json!({ "url": r.url, "name": r.name, "branch": r.branch }));
    Some(json!({
        "id": format!("{}-{}", built.domain, built.name),
        "prefix": prefix,
        "paths": paths,
        "domain": built.domain,
        "name": built.name,
        "kind": built.kind.as_str(),
        "source": built.source,
        "repository": repository,
        "branch": built.repository.as_ref().map_or(branch, |r| r.branch.as_str()),
        "build": {
            "kind": build.kind,
            "image": build.image,
            "test": build.test,
            "build": build.build,
            "commands": commands,
            "caches": caches,
            "env": build.env,
        },
        "registries": registries,
        "environments": environments(&envs),
    }))
}

/// The estate's environments (`environments` in an estate template).
pub(super) fn estate_environments(diags: &mut Diagnostics, pipelines: &ResolvedPipelines) -> Option<Value> {
    let mut envs = Vec::new();
    for deployment in &pipelines.deployments {
        add_deployment(diags, &mut envs, deployment)?;
    }
    Some(environments(&envs))
}

fn add_deployment(diags: &mut Diagnostics, envs: &mut Vec<Env>, deployment: &Deployment) -> Option<()> {
    if let Some(group) = &deployment.approval
        && !safe(group, b"._@-", true)
    {
        let help =
            "name the group with letters, digits, `.`, `_`, `@` and `-`, as the CI system's users and groups are named";
        unsafe_value(diags, "approval group", group, deployment.span, help);
        return None;
    }
    match envs.iter_mut().find(|e| e.name == deployment.env) {
        Some(env) => env.targets.push(deployment.target.clone()),
        None => envs.push(Env {
            name: deployment.env.clone(),
            production: deployment.production,
            approval: deployment.approval.clone(),
            targets: vec![deployment.target.clone()],
        }),
    }
    Some(())
}

fn environments(envs: &[Env]) -> Value {
    let list: Vec<Value> = envs
        .iter()
        .enumerate()
        .map(|(index, env)| {
            json!({
                "name": env.name,
                "id": id(&env.name),
                "index": index,
                "first": index == 0,
                "last": index + 1 == envs.len(),
                "previous": index.checked_sub(1).and_then(|i| envs.get(i)).map(|e| &e.name),
                "production": env.production,
                "approval": env.approval,
                "targets": env.targets,
            })
        })
        .collect();
    Value::Array(list)
}

/// `order-api` -> `ORDER_API`: a name as an upper-case variable suffix.
fn id(name: &str) -> String {
    name.to_ascii_uppercase().replace(['-', '.'], "_")
}

/// The repository of an image reference: without `@digest` and `:tag`.
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

fn safe(value: &str, extra: &[u8], upper: bool) -> bool {
    !value.is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || (upper && b.is_ascii_uppercase()) || extra.contains(&b)
        })
}

fn unsafe_value(diags: &mut Diagnostics, what: &'static str, value: &str, span: Span, help: &'static str) {
    diags.at(
        span,
        EmitError::UnsafePipelineValue {
            what,
            value: value.to_owned(),
            reason: "it has characters that would need quoting",
            span,
            help,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::repository;

    #[test]
    fn repositories_drop_tag_and_digest() {
        assert_eq!(repository("r.example:5000/shop/api:1.2@sha256:ab"), "r.example:5000/shop/api");
        assert_eq!(repository("r.example:5000/shop/api"), "r.example:5000/shop/api");
        assert_eq!(repository("api:1"), "api");
    }
}
