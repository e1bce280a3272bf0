//! GitOps delivery: the objects a GitOps tool is given to deploy the built output.
//!
//! In: the estate with [`ResolvedGitops`] and the files every emitter before it produced
//! (the per-domain kustomizations and, with `helm`, the charts). Out: one Kubernetes
//! object per `template "domain"` and domain (Argo CD: the domain's `AppProject`) and per
//! `template "view"` and (environment, target) (Argo CD: an `ApplicationSet` making one
//! `Application` per domain), under `gitops/<tool>/`, plus a `kustomization.yaml` that
//! applies them in template order (projects before what uses them) for the bootstrap.
//! What the objects look like is library data (`stdlib/gitops/*.kdl`, replaceable with
//! `--lib`); this module decides what the templates are given: who may sync what, which
//! environments sync by themselves, where each domain's output is in the repository.
//!
//! - A view syncs by itself (`automated`) unless its environment is production or names
//!   an `approval` group; those wait for a person to sync.
//! - The domain's team (its `group=`, else `team=`) may read and sync the applications
//!   that need no approval; each approval group may sync the ones it approves.
//! - A domain's source is its chart (`charts/<target>/<domain>/` with
//!   `values-<env>.yaml`) when the platform writes Helm charts, else its folder
//!   `<env>/<target>/<domain>/` with the kustomization Berth writes there.

use crate::diag::{Diagnostics, Span};
use crate::emit::errors::EmitError;
use crate::emit::{Artifact, ArtifactTree, Body, Format, Scope};
use crate::model::{GitopsScope, GitopsTemplate};
use crate::resolve::{Estate, ResolvedGitops, View};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The top-level output folder of every GitOps file.
pub const FOLDER: &str = "gitops";

/// The output folder of the Helm charts (written by the `helm` emitter before this one).
const CHARTS: &str = "charts";

/// Render the GitOps tool's templates for the estate.
pub fn emit(diags: &mut Diagnostics, estate: &Estate, tree: &ArtifactTree) -> Vec<Artifact> {
    let Some(gitops) = &estate.gitops else { return Vec::new() };
    let apps = applications(estate, gitops, tree);
    let mut files: Vec<(usize, Artifact)> = Vec::new();
    for (order, template) in gitops.templates.iter().enumerate() {
        match template.scope.value {
            GitopsScope::Domain => {
                for (domain, span) in domains(estate) {
                    let context = domain_context(estate, gitops, &domain, &apps);
                    let label = format!("domain {domain}");
                    files.extend(render(diags, gitops, template, &context, label, span).map(|a| (order, a)));
                }
            }
            GitopsScope::View => {
                for view in &estate.views {
                    let context = view_context(estate, gitops, view, &apps, tree);
                    let label = format!("environment {}", view.env);
                    files.extend(render(diags, gitops, template, &context, label, view.span).map(|a| (order, a)));
                }
            }
        }
    }
    files.sort_by(|a, b| (a.0, &a.1.path).cmp(&(b.0, &b.1.path)));
    let mut out: Vec<Artifact> = files.into_iter().map(|(_, artifact)| artifact).collect();
    if !out.is_empty() {
        out.push(bootstrap(estate, gitops, &out));
    }
    out
}

/// One application: a domain deployed to one (environment, target).
#[derive(Debug, Clone)]
struct App {
    env: String,
    target: String,
    domain: String,
    /// The context the templates see.
    value: Value,
    /// Who approves its syncs.
    approval: Option<String>,
}

/// The project (Argo CD `AppProject`) of a domain: named after the platform and the
/// domain, so that a domain called `default` never takes over the tool's own project.
fn project(estate: &Estate, domain: &str) -> String {
    format!("{}-{domain}", estate.platform)
}

/// A folder of the output as a path in the repository.
fn repo_path(gitops: &ResolvedGitops, folder: &str) -> String {
    if gitops.path == "." { folder.to_owned() } else { format!("{}/{folder}", gitops.path) }
}

/// Every application of the estate, view by view, domain by domain, whose source exists
/// in the tree.
fn applications(estate: &Estate, gitops: &ResolvedGitops, tree: &ArtifactTree) -> Vec<App> {
    let mut apps = Vec::new();
    for view in &estate.views {
        let automated = !view.production && view.approval.is_none();
        let helm = helm(estate, view, tree);
        let mut domains: Vec<_> = view.domains.iter().collect();
        domains.sort_by(|a, b| a.name.cmp(&b.name));
        for domain in domains {
            let (env, target, name) = (&view.env, &view.target, &domain.name);
            let chart = format!("{CHARTS}/{target}/{name}");
            let values = format!("values-{env}.yaml");
            let folder = format!("{env}/{target}/{name}");
            let source = if helm {
                json!({ "kind": "helm", "path": repo_path(gitops, &chart), "values": values })
            } else if tree.contains_key(&format!("{folder}/kustomization.yaml")) {
                json!({ "kind": "kustomize", "path": repo_path(gitops, &folder) })
            } else {
                continue;
            };
            apps.push(App {
                env: env.clone(),
                target: target.clone(),
                domain: name.clone(),
                value: json!({
                    "name": format!("{name}-{env}-{target}"),
                    "domain": name,
                    "project": project(estate, name),
                    "namespace": domain.namespace,
                    "env": env,
                    "target": target,
                    "cluster": view.profile.cluster_name,
                    "source": source,
                    "automated": automated,
                }),
                approval: view.approval.clone(),
            });
        }
    }
    // By view (promotion order), then domain name: the order of domain blocks in the spec
    // changes nothing.
    apps
}

/// Whether a view's applications deploy its charts: the platform writes them and every
/// domain of the view has one with values for the environment.
fn helm(estate: &Estate, view: &View, tree: &ArtifactTree) -> bool {
    estate.helm.is_some()
        && view.domains.iter().all(|domain| {
            tree.contains_key(&format!("{CHARTS}/{}/{}/values-{}.yaml", view.target, domain.name, view.env))
        })
}

/// Every domain of the estate, in declaration order (the first view's), with its span.
fn domains(estate: &Estate) -> Vec<(String, Span)> {
    let mut seen: Vec<(String, Span)> = Vec::new();
    for domain in estate.views.iter().flat_map(|view| &view.domains) {
        if !seen.iter().any(|(name, _)| *name == domain.name) {
            seen.push((domain.name.clone(), domain.span));
        }
    }
    seen
}

/// What every template sees.
fn base(estate: &Estate, gitops: &ResolvedGitops) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("platform".to_owned(), json!(estate.platform));
    map.insert("namespace".to_owned(), json!(gitops.namespace));
    map.insert("repo".to_owned(), json!(gitops.repo));
    map.insert("revision".to_owned(), json!(gitops.revision));
    map.insert("path".to_owned(), json!(gitops.path));
    map
}

/// The context of a `template "domain"`: the domain, its project, where it may deploy
/// (`destinations`: each view's cluster and the domain's namespace there), its
/// applications and the project roles (`roles`: a name, groups, what they may sync).
fn domain_context(estate: &Estate, gitops: &ResolvedGitops, name: &str, apps: &[App]) -> Value {
    let mut map = base(estate, gitops);
    let resolved = estate.views.iter().flat_map(|view| &view.domains).find(|d| d.name == name);
    let team = resolved.and_then(|d| d.team.clone());
    let group = resolved.and_then(|d| d.group.clone());
    let mut destinations: Vec<Value> = Vec::new();
    for view in &estate.views {
        if let Some(domain) = view.domains.iter().find(|d| d.name == name) {
            let destination = json!({ "cluster": view.profile.cluster_name, "namespace": domain.namespace });
            if !destinations.contains(&destination) {
                destinations.push(destination);
            }
        }
    }
    let mine: Vec<&App> = apps.iter().filter(|app| app.domain == name).collect();
    let mut roles = Vec::new();
    if let Some(group) = &group {
        let sync: Vec<&Value> =
            mine.iter().filter(|app| app.approval.is_none()).map(|app| &app.value["name"]).collect();
        roles.push(json!({ "name": "team", "description": format!("team {}", team.as_deref().unwrap_or(group)), "groups": [group], "sync": sync }));
    }
    let mut approvals: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for app in &mine {
        if let Some(approval) = &app.approval {
            approvals.entry(approval.as_str()).or_default().push(&app.value["name"]);
        }
    }
    for (index, (approval, sync)) in approvals.into_iter().enumerate() {
        let name = if index == 0 { "approvers".to_owned() } else { format!("approvers-{}", index + 1) };
        roles.push(json!({ "name": name, "description": format!("approval group {approval}"), "groups": [approval], "sync": sync }));
    }
    map.insert(
        "domain".to_owned(),
        json!({ "name": name, "project": project(estate, name), "team": team, "group": group }),
    );
    map.insert("destinations".to_owned(), Value::Array(destinations));
    map.insert("applications".to_owned(), Value::Array(mine.iter().map(|app| app.value.clone()).collect()));
    map.insert("roles".to_owned(), Value::Array(roles));
    Value::Object(map)
}

/// The context of a `template "view"`: the environment and target, the cluster, whether
/// it syncs by itself, and its applications (one per domain).
fn view_context(estate: &Estate, gitops: &ResolvedGitops, view: &View, apps: &[App], tree: &ArtifactTree) -> Value {
    let mut map = base(estate, gitops);
    let mine: Vec<Value> =
        apps.iter().filter(|app| app.env == view.env && app.target == view.target).map(|a| a.value.clone()).collect();
    let automated = !view.production && view.approval.is_none();
    map.insert("name".to_owned(), json!(format!("{}-{}-{}", estate.platform, view.env, view.target)));
    map.insert("env".to_owned(), json!(view.env));
    map.insert("target".to_owned(), json!(view.target));
    map.insert("cluster".to_owned(), json!(view.profile.cluster_name));
    map.insert("production".to_owned(), json!(view.production));
    map.insert("approval".to_owned(), json!(view.approval));
    map.insert("automated".to_owned(), json!(automated));
    map.insert("helm".to_owned(), json!(helm(estate, view, tree)));
    map.insert("applications".to_owned(), Value::Array(mine));
    Value::Object(map)
}

/// Render one template into one object at `gitops/<tool>/<kind>-<name>.yaml`.
fn render(
    diags: &mut Diagnostics,
    gitops: &ResolvedGitops,
    template: &GitopsTemplate,
    context: &Value,
    origin_label: String,
    origin: Span,
) -> Option<Artifact> {
    let scope = match template.scope.value {
        GitopsScope::Domain => "domain",
        GitopsScope::View => "view",
    };
    let object = crate::template::render_pipeline(&template.text.value, context).and_then(|text| parse(&text));
    let object = match object {
        Ok(object) => object,
        Err(reason) => {
            let subject = origin_label.clone();
            let span = template.text.span;
            diags.at(span, EmitError::GitopsTemplate { tool: gitops.tool.clone(), scope, subject, reason, span });
            return None;
        }
    };
    let kind = object["kind"].as_str().unwrap_or_default().to_ascii_lowercase();
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    Some(Artifact {
        path: format!("{FOLDER}/{}/{kind}-{name}.yaml", gitops.tool),
        origin_label,
        origin,
        scope: Scope::Estate,
        body: Body::Object(object),
    })
}

/// The rendered text as one object with `apiVersion`, `kind` and a plain `metadata.name`.
fn parse(text: &str) -> Result<Value, String> {
    let object: Value = serde_saphyr::from_str(text).map_err(|error| {
        format!("the rendered template is not YAML: {}", error.to_string().lines().next().unwrap_or_default())
    })?;
    let field = |pointer: &str| object.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty());
    if field("/apiVersion").is_none() || field("/kind").is_none() {
        return Err("the rendered template is not one object with `apiVersion` and `kind`".to_owned());
    }
    let plain = |s: &&str| s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
    if field("/metadata/name").filter(plain).is_none() {
        return Err("the rendered object has no `metadata.name` of lower-case letters, digits, `-` and `.`".to_owned());
    }
    if field("/kind").is_some_and(|kind| !kind.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err("the rendered object's `kind` is not a plain name".to_owned());
    }
    Ok(object)
}

/// `gitops/<tool>/kustomization.yaml`: the objects in template order, for
/// `kubectl apply -k gitops/<tool>` on the tool's cluster (the bootstrap).
fn bootstrap(estate: &Estate, gitops: &ResolvedGitops, files: &[Artifact]) -> Artifact {
    let folder = format!("{FOLDER}/{}/", gitops.tool);
    let mut text = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    text.push_str("sortOptions:\n  order: fifo\nresources:\n");
    for file in files {
        if let Some(name) = file.path.strip_prefix(&folder) {
            let _ = writeln!(text, "  - {name}");
        }
    }
    Artifact {
        path: format!("{folder}kustomization.yaml"),
        origin_label: format!("platform {}", estate.platform),
        origin: gitops.span,
        scope: Scope::Estate,
        body: Body::Text { format: Format::Kustomization, text },
    }
}
