//! Apply-ready output: a `kustomization.yaml` per domain folder and per (environment,
//! target) folder, listing the files in the order a new cluster can take them.
//!
//! In: the files the emitters before it produced ([`ArtifactTree`]). Out: one
//! [`Format::Kustomization`] artifact per domain folder (its files, ordered for apply) and
//! one per view folder (its domain folders and any view-level files). `kubectl apply -k
//! out/<env>/<target>`, Argo CD and Flux then take a folder as is: `sortOptions: fifo`
//! tells kustomize to keep Berth's order, so namespaces come before what lives in them,
//! RBAC before the pods that use it, NetworkPolicies before the pods they protect, and
//! backing-service resources before the workloads that connect to them. (A plain
//! `kubectl apply -R -f` applies in file-name order, and fails on a new cluster.)

use crate::diag::{Diagnostics, Span};
use crate::emit::{Artifact, ArtifactTree, Body, Format, Scope};
use crate::resolve::Estate;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The file name kustomize looks for in a folder.
pub const FILE: &str = "kustomization.yaml";

/// Emit the kustomizations of every view folder and domain folder of `tree`.
pub fn emit(_diags: &mut Diagnostics, estate: &Estate, tree: &ArtifactTree) -> Vec<Artifact> {
    let mut folders: BTreeMap<(String, String), ViewFolder> = BTreeMap::new();
    for artifact in tree.values() {
        let Scope::View { env, target, domain } = &artifact.scope else { continue };
        let Some(kind) = applied_kind(artifact) else { continue };
        let Some(view_node) = estate.views.iter().find(|view| view.env == *env && view.target == *target) else {
            continue;
        };
        let view = folders.entry((env.clone(), target.clone())).or_insert_with(|| ViewFolder {
            origin: (format!("environment {env}"), view_node.span),
            domains: BTreeMap::new(),
            files: Vec::new(),
        });
        let prefix = match domain {
            Some(domain) => format!("{env}/{target}/{domain}/"),
            None => format!("{env}/{target}/"),
        };
        let Some(name) = artifact.path.strip_prefix(&prefix) else { continue };
        let entry = (rank(kind), name.to_owned());
        match domain {
            Some(domain) => {
                let folder = view.domains.entry(domain.clone()).or_insert_with(|| (origin(artifact), Vec::new()));
                // The domain's Namespace names the folder's origin (`domain order`).
                if kind == "Namespace" {
                    folder.0 = origin(artifact);
                }
                folder.1.push(entry);
            }
            None => view.files.push(entry),
        }
    }
    let mut out = Vec::new();
    for ((env, target), view) in folders {
        let mut view_resources: Vec<(usize, String)> = view.files;
        for (domain, (first, mut files)) in view.domains {
            files.sort();
            out.push(kustomization(
                format!("{env}/{target}/{domain}/{FILE}"),
                &first,
                Scope::View { env: env.clone(), target: target.clone(), domain: Some(domain.clone()) },
                files.into_iter().map(|(_, name)| name).collect(),
            ));
            // A domain folder sorts with the namespaced objects; view-level files (none
            // today) keep their own rank.
            view_resources.push((rank("Namespace"), domain));
        }
        view_resources.sort();
        out.push(kustomization(
            format!("{env}/{target}/{FILE}"),
            &view.origin,
            Scope::View { env, target, domain: None },
            view_resources.into_iter().map(|(_, name)| name).collect(),
        ));
    }
    out
}

/// A file's origin: the label of its header and the spec span.
type Origin = (String, Span);

fn origin(artifact: &Artifact) -> Origin {
    (artifact.origin_label.clone(), artifact.origin)
}

/// What one (environment, target) folder holds: its origin (the environment), its domain
/// folders (origin: the domain's Namespace; files with their apply rank) and view-level
/// files.
struct ViewFolder {
    origin: Origin,
    domains: BTreeMap<String, (Origin, Vec<(usize, String)>)>,
    files: Vec<(usize, String)>,
}

/// The Kubernetes kind of an artifact kustomize applies: objects, and nothing else (a
/// text file in a view folder is not a resource).
fn applied_kind(artifact: &Artifact) -> Option<&str> {
    match &artifact.body {
        Body::Object(_) => Some(artifact.kind()),
        Body::Text { .. } => None,
    }
}

/// Apply order: what others depend on comes first. Kinds not listed (custom resources of
/// backing services, secrets synced by an operator, ...) come after Services and before
/// the workloads, so a database exists before its consumers start; exposure comes last.
fn rank(kind: &str) -> usize {
    const ORDER: &[&[&str]] = &[
        &["Namespace"],
        &["ResourceQuota", "LimitRange"],
        &["ServiceAccount"],
        &["Role", "ClusterRole"],
        &["RoleBinding", "ClusterRoleBinding"],
        &["NetworkPolicy"],
        &["ConfigMap", "Secret"],
        &["PersistentVolumeClaim"],
        &["Service"],
    ];
    const AFTER_CUSTOM: &[&[&str]] = &[
        &["Job"],
        // A Rollout (Argo Rollouts) after the Deployment its `workloadRef` names.
        &["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Rollout"],
        &["HorizontalPodAutoscaler", "PodDisruptionBudget"],
    ];
    if let Some(rank) = ORDER.iter().position(|kinds| kinds.contains(&kind)) {
        return rank;
    }
    if let Some(rank) = AFTER_CUSTOM.iter().position(|kinds| kinds.contains(&kind)) {
        return ORDER.len() + 1 + rank;
    }
    // Exposure (Ingress, HTTPRoute and the like) after the workloads it routes to; any
    // other kind with the custom resources.
    if kind.ends_with("Route") || kind == "Ingress" { ORDER.len() + 1 + AFTER_CUSTOM.len() } else { ORDER.len() }
}

/// One `kustomization.yaml`: `resources` in the given order, kept by `sortOptions: fifo`.
fn kustomization(path: String, origin: &Origin, scope: Scope, resources: Vec<String>) -> Artifact {
    let mut text = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    text.push_str("sortOptions:\n  order: fifo\nresources:\n");
    for resource in resources {
        let _ = writeln!(text, "  - {}", scalar(&resource));
    }
    Artifact {
        path,
        origin_label: origin.0.clone(),
        origin: origin.1,
        scope,
        body: Body::Text { format: Format::Kustomization, text },
    }
}

/// A file or folder name as a YAML string. Names are DNS-1123 labels (`a-z`, `0-9`, `-`,
/// `.`): plain unless YAML would read them as something else (`0`, `1e9`, `yes`, `null`),
/// then double-quoted (nothing in such a name needs escaping).
fn scalar(name: &str) -> String {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];
    let starts_like_a_number = name.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    if starts_like_a_number || WORDS.contains(&name) || name.is_empty() {
        format!("\"{name}\"")
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::scalar;

    /// A domain named `0` or `yes` must stay a string in `resources` (the fuzzer found `- 0`
    /// read back as a number, which the kustomization schema rejects).
    #[test]
    fn names_yaml_would_read_as_other_types_are_quoted() {
        for name in ["0", "1e999999999", "yes", "no", "on", "null", "true", "y"] {
            let text = format!("resources:\n  - {}\n", scalar(name));
            let value: serde_json::Value = serde_saphyr::from_str(&text).expect("parses");
            assert_eq!(value["resources"][0], serde_json::Value::String(name.to_owned()), "{text}");
        }
        assert_eq!(scalar("order"), "order");
        assert_eq!(scalar("namespace-order-dev.yaml"), "namespace-order-dev.yaml");
    }
}
