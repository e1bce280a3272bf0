//! Pipelines: each CI system's templates rendered for the estate and its built workloads.
//!
//! In: [`Estate`] with [`ResolvedPipelines`](crate::resolve::ResolvedPipelines). Out:
//! text files under `pipelines/<system>/`, one per `template "workload"` and built
//! workload, one per `template "estate"`, one per `template "repository"` and other
//! repository that workloads are built in (`source repo=`). The emitter knows no CI system: what a
//! workflow, a `.gitlab-ci.yml`, a Jenkinsfile or a Tekton Pipeline looks like, which
//! actions are pinned to which commit and which tool images run, is library data
//! (`stdlib/ci/*.kdl`, replaceable with `--lib`); this module builds the template context
//! (`context.rs`) and renders.

mod context;

use crate::diag::{Diagnostics, Span};
use crate::emit::errors::EmitError;
use crate::emit::{Artifact, Body, Format, Scope};
use crate::model::{CiTemplate, TemplateScope};
use crate::resolve::{BuiltRepository, Estate};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The top-level output folder of every pipeline file.
pub const FOLDER: &str = "pipelines";

/// Render every template of every CI system of the estate.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> Vec<Artifact> {
    let Some(pipelines) = &estate.pipelines else { return Vec::new() };
    let mut files = Vec::new();
    let mut workloads = Vec::new();
    for built in &pipelines.workloads {
        if let Some(workload) = context::workload_context(diags, built, &pipelines.branch) {
            workloads.push((built, workload));
        }
    }
    let Some(environments) = context::estate_environments(diags, pipelines) else { return files };
    // The spec's repository's workloads, and each other repository's (by name, in order).
    let local: Vec<Value> =
        workloads.iter().filter(|(built, _)| built.repository.is_none()).map(|(_, w)| w.clone()).collect();
    let mut repositories: Vec<(&BuiltRepository, Vec<Value>)> = Vec::new();
    for (built, workload) in &workloads {
        let Some(repository) = &built.repository else { continue };
        match repositories.iter_mut().find(|(r, _)| r.name == repository.name) {
            Some((_, list)) => list.push(workload.clone()),
            None => repositories.push((repository, vec![workload.clone()])),
        }
    }
    for system in &pipelines.systems {
        let mut base = context::system_context(system, pipelines, estate);
        if let Some(map) = base.as_object_mut() {
            map.insert("environments".to_owned(), environments.clone());
            map.insert("workloads".to_owned(), Value::Array(local.clone()));
        }
        for template in &system.templates {
            match template.scope.value {
                TemplateScope::Estate => {
                    let label = format!("platform {}", estate.platform);
                    files.extend(render(diags, &system.name, template, &base, label, system.span));
                }
                TemplateScope::Repository => {
                    for (repository, list) in &repositories {
                        let mut context = base.clone();
                        if let Some(map) = context.as_object_mut() {
                            let value = json!({
                                "url": repository.url,
                                "name": repository.name,
                                "branch": repository.branch,
                                "workloads": list,
                            });
                            map.insert("repository".to_owned(), value);
                        }
                        let label = format!("repository {}", repository.name);
                        files.extend(render(diags, &system.name, template, &context, label, repository.span));
                    }
                }
                TemplateScope::Workload => {
                    for (built, workload) in &workloads {
                        let mut context = base.clone();
                        if let Some(map) = context.as_object_mut() {
                            map.insert("workload".to_owned(), workload.clone());
                        }
                        let label = format!("{} {}/{}", built.kind.as_str(), built.domain, built.name);
                        files.extend(render(diags, &system.name, template, &context, label, built.span));
                    }
                }
            }
        }
    }
    same_names(diags, &files);
    files
}

/// Two YAML pipeline files that declare one object (same API group, kind, namespace and
/// name: a Tekton `Pipeline` of the workload `berth/spec` and the spec's own `berth-spec`)
/// are an error: the cluster would keep only the one applied last.
fn same_names(diags: &mut Diagnostics, files: &[Artifact]) {
    let mut seen: HashMap<(String, String, String, String), &Artifact> = HashMap::new();
    for artifact in files {
        let Body::Text { format: Format::Yaml, text } = &artifact.body else { continue };
        let Ok(documents) = serde_saphyr::from_multiple::<Value>(text) else { continue };
        for document in &documents {
            let field = |path: &str| document.pointer(path).and_then(Value::as_str).unwrap_or_default().to_owned();
            let (kind, name) = (field("/kind"), field("/metadata/name"));
            if kind.is_empty() || name.is_empty() {
                continue;
            }
            let group = field("/apiVersion").split_once('/').map(|(group, _)| group.to_owned()).unwrap_or_default();
            let key = (group, kind.clone(), field("/metadata/namespace"), name.clone());
            match seen.get(&key) {
                Some(first) if first.path != artifact.path => {
                    let system = artifact.path.split('/').nth(1).unwrap_or_default().to_owned();
                    let error = EmitError::PipelineNameCollision {
                        system,
                        kind,
                        name,
                        path: artifact.path.clone(),
                        first_path: first.path.clone(),
                        span: artifact.origin,
                        first: first.origin,
                    };
                    diags.at(artifact.origin, error);
                }
                Some(_) => {}
                None => {
                    seen.insert(key, artifact);
                }
            }
        }
    }
}

fn render(
    diags: &mut Diagnostics,
    system: &str,
    template: &CiTemplate,
    context: &Value,
    origin_label: String,
    origin: Span,
) -> Option<Artifact> {
    let scope = match template.scope.value {
        TemplateScope::Workload => "workload",
        TemplateScope::Estate => "estate",
        TemplateScope::Repository => "repository",
    };
    let subject = origin_label.split_once(' ').map(|(_, s)| format!(" for {s}")).unwrap_or_default();
    let fail = |diags: &mut Diagnostics, reason: String, span: Span| {
        diags.at(
            span,
            EmitError::PipelineTemplate { system: system.to_owned(), scope, subject: subject.clone(), reason, span },
        );
    };
    let path = match crate::template::render_pipeline(&template.path.value, context) {
        Ok(path) => path,
        Err(reason) => {
            fail(diags, format!("path: {reason}"), template.path.span);
            return None;
        }
    };
    let clean = !path.is_empty()
        && !path.starts_with('/')
        && path.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
    if !clean {
        fail(diags, format!("the path `{path}` is not a plain relative path"), template.path.span);
        return None;
    }
    let mut text = match crate::template::render_pipeline(&template.text.value, context) {
        Ok(text) => text,
        Err(reason) => {
            fail(diags, reason, template.text.span);
            return None;
        }
    };
    // One newline at the end, whatever the template's last line.
    text = format!("{}\n", text.trim_start_matches('\n').trim_end());
    Some(Artifact {
        path: format!("{FOLDER}/{system}/{path}"),
        origin_label,
        origin,
        scope: Scope::Estate,
        body: Body::Text { format: format(&template.format.value), text },
    })
}

/// The artifact format of a template's `format=` (checked in `model`): decides the
/// generated-file header and the check `validate` runs.
fn format(name: &str) -> Format {
    match name {
        "github-workflow" => Format::GithubWorkflow,
        "gitlab-ci" => Format::GitlabCi,
        "jenkinsfile" => Format::Jenkinsfile,
        _ => Format::Yaml,
    }
}
