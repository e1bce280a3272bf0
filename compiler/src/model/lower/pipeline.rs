//! Lowering what pipelines are made of: the platform's `ci`, a workload's `source` and
//! `build`, and the library's `build-kind`, `ci-system` and `chart-template` nodes.

use super::values::{Ctx, Once, args, children, prop};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::pipeline_types::*;
use indexmap::IndexMap;
use kdl::KdlNode;

/// Formats of pipeline files (`template ... format=`).
pub(crate) const FORMATS: &[&str] = &["yaml", "github-workflow", "gitlab-ci", "jenkinsfile"];

/// Children of `build-kind`.
const BUILD_KIND: &[&str] = &["description", "image", "test", "build", "cache", "env"];

/// Children of `ci-system`.
const CI_SYSTEM: &[&str] = &["description", "pin", "tool", "template"];

/// `ci "github" "gitlab" spec="berth.kdl" output="deploy" branch="main"` in `platform`.
pub(super) fn ci(cx: &mut Ctx<'_>, node: &KdlNode) -> CiSettings {
    cx.shape(node, &["spec", "output", "branch"], usize::MAX, "CI system names");
    cx.no_children(node);
    let systems: Vec<Spanned<String>> = args(node).filter_map(|entry| cx.string(entry, "a CI system name")).collect();
    if systems.is_empty() {
        cx.missing(
            node,
            "a CI system",
            "write `ci \"<system>\"`, naming one or more `ci-system`s of the library (docs/pipelines.md)",
        );
    }
    let spec = cx.string_prop(node, "spec");
    let output = cx.string_prop(node, "output");
    for path in spec.iter().chain(&output) {
        repository_path(cx, path, "path");
    }
    let branch = cx.string_prop(node, "branch");
    if let Some(branch) = &branch {
        branch_name(cx, branch, "branch");
    }
    CiSettings { systems, spec, output, branch, span: cx.span_of(node) }
}

/// A workload's `source` (its folder, and the repository when it is not the spec's) or
/// `build`; `false` when `node` is neither.
pub(super) fn source_or_build(
    cx: &mut Ctx<'_>,
    node: &KdlNode,
    (source, repository): (&mut Option<Spanned<String>>, &mut Option<SourceRepository>),
    build: &mut Option<Spanned<String>>,
    once: &mut Once,
    parent: &str,
) -> bool {
    let key = node.name().value();
    if key != "source" && key != "build" {
        return false;
    }
    if !cx.once(once, node, key, parent) {
        return true;
    }
    if key == "build" {
        *build = cx.single_string(node);
        return true;
    }
    cx.shape(node, &["repo", "ref"], 1, "the source folder");
    cx.no_children(node);
    *repository = source_repository(cx, node);
    let path = args(node).next().and_then(|entry| cx.string(entry, "the source folder"));
    *source = match path {
        Some(path) => {
            repository_path(cx, &path, "`source` path");
            Some(path)
        }
        // `source repo="..."`: the repository's root.
        None if repository.is_some() => Some(Spanned::new(".".to_owned(), cx.span_of(node))),
        // An unknown property (`repository=`) is reported already: one error is enough.
        None if node.entries().iter().any(|entry| entry.name().is_some()) => None,
        None => {
            cx.missing(
                node,
                "a source folder",
                "write `source \"services/order-api\"` (a folder of the spec's repository), or add `repo=\"https://...\"` for another repository",
            );
            None
        }
    };
    true
}

/// `repo=` and `ref=` of a `source`: the repository, when it is not the spec's.
fn source_repository(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<SourceRepository> {
    let url = cx.string_prop(node, "repo");
    let branch = cx.string_prop(node, "ref");
    let Some(url) = url else {
        if let Some(branch) = branch {
            cx.invalid_value(
                branch.span,
                "`source` ref",
                &branch.value,
                "a branch of no repository: the source is in the spec's repository",
                "add `repo=\"https://...\"` naming the repository the branch is in, or remove `ref=`",
            );
        }
        return None;
    };
    super::gitops::repository_url(cx, &url);
    if let Some(branch) = &branch {
        branch_name(cx, branch, "`source` ref");
    }
    let last = url.value.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or_default();
    let name = last.strip_suffix(".git").unwrap_or(last).to_owned();
    if name.is_empty()
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        || name.starts_with('.')
    {
        cx.invalid_value(
            url.span,
            "`source` repo",
            &url.value,
            "its last segment is not a plain repository name",
            "end the URL with the repository's name, such as `https://github.com/acme/payments.git`",
        );
        return None;
    }
    Some(SourceRepository { url, name, branch, span: cx.span_of(node) })
}

/// A branch name that goes unquoted into YAML and shell: letters, digits, `.`, `_`, `/`, `-`.
fn branch_name(cx: &mut Ctx<'_>, branch: &Spanned<String>, what: &str) {
    let plain = branch.value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
    if branch.value.is_empty() || !plain || branch.value.starts_with(['-', '/', '.']) || branch.value.contains("..") {
        cx.invalid_value(
            branch.span,
            what,
            &branch.value,
            "not a plain branch name",
            "use letters, digits, `.`, `_`, `/` and `-`, such as `main`",
        );
    }
}

/// A folder or file in the repository: relative, plain characters, no `..`. Pipelines
/// put it in path filters and shell commands, so nothing in it may need quoting.
pub(super) fn repository_path(cx: &mut Ctx<'_>, path: &Spanned<String>, what: &str) {
    let value = &path.value;
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
    let url = value.contains("://") || value.starts_with("git@");
    if url && what == "`source` path" {
        let help = "for code in another repository write `source \"<folder in it>\" repo=\"<URL>\" ref=\"<branch>\"` (the folder defaults to `.`; docs/pipelines.md)";
        cx.invalid_value(path.span, what, value, "a repository URL, not a folder", help);
        return;
    }
    let reason = if value.is_empty() {
        Some("empty")
    } else if value.starts_with('/') {
        Some("absolute")
    } else if !plain {
        Some("has characters other than letters, digits, `.`, `_`, `/` and `-`")
    } else if value.split('/').any(|segment| segment == ".." || segment.is_empty()) && value != "." {
        Some("has an empty or `..` segment")
    } else {
        None
    };
    if let Some(reason) = reason {
        cx.invalid_value(
            path.span,
            what,
            value,
            reason,
            "write a path relative to the repository root, such as `services/order-api` (or `.` for the root)",
        );
    }
}

/// `build-kind "maven" { ... }`.
pub(super) fn build_kind(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<BuildKind> {
    cx.shape(node, &[], 1, "the build kind name");
    let name = cx.name_arg(node, "build-kind", true);
    let (mut description, mut image) = (None, None);
    let (mut test, mut build, mut caches, mut env) = (Vec::new(), Vec::new(), Vec::new(), IndexMap::new());
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "description" | "image" => {
                if cx.once(&mut once, child, key, "build-kind") {
                    let value = cx.single_string(child);
                    if key == "image" { image = value } else { description = value }
                }
            }
            "test" | "build" => {
                cx.shape(child, &[], usize::MAX, "shell commands");
                cx.no_children(child);
                let commands = args(child).filter_map(|entry| cx.string(entry, "a shell command"));
                if key == "test" { test.extend(commands) } else { build.extend(commands) }
            }
            "cache" => {
                cx.shape(child, &["key"], 1, "the cached folder");
                cx.no_children(child);
                let path = args(child).next().and_then(|entry| cx.string(entry, "the cached folder"));
                let key = cx.required_string_prop(
                    child,
                    "key",
                    "write `key=\"<file the cache depends on>\"`, such as `key=\"pom.xml\"`",
                );
                for value in path.iter().chain(&key) {
                    repository_path(cx, value, "cache path");
                }
                if let (Some(path), Some(key)) = (path, key) {
                    caches.push(BuildCache { path, key });
                }
            }
            "env" => {
                cx.shape(child, &[], 2, "a name and a value");
                cx.no_children(child);
                let mut values = args(child).filter_map(|entry| cx.string(entry, "`env`"));
                match (values.next(), values.next()) {
                    (Some(name), Some(value)) => {
                        env.insert(name.value, value);
                    }
                    _ => cx.missing(child, "a name and a value", "write `env \"NAME\" \"value\"`"),
                }
            }
            _ => {
                let help = did_you_mean(key, BUILD_KIND, Otherwise::Vocabulary);
                cx.unknown_node(child, "in `build-kind`", help);
            }
        }
    }
    Some(BuildKind { name: name?, description, image, test, build, caches, env, span: cx.span_of(node) })
}

/// `ci-system "github" { ... }`.
pub(super) fn ci_system(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<CiSystem> {
    cx.shape(node, &["default", "separate-repositories"], 1, "the CI system name");
    let name = cx.name_arg(node, "ci-system", true);
    let flag = |cx: &mut Ctx<'_>, key: &str| {
        prop(node, key).and_then(|entry| cx.boolean(entry, &format!("`{key}`"))).is_some_and(|d| d.value)
    };
    let default = flag(cx, "default");
    let separate_repositories = flag(cx, "separate-repositories");
    let (mut description, mut pins, mut tools, mut templates) = (None, Vec::new(), IndexMap::new(), Vec::new());
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "description" => {
                if cx.once(&mut once, child, key, "ci-system") {
                    description = cx.single_string(child);
                }
            }
            "pin" => pins.extend(pin(cx, child)),
            "tool" => {
                cx.shape(child, &[], 2, "a name and an image");
                cx.no_children(child);
                let mut values = args(child).filter_map(|entry| cx.string(entry, "`tool`"));
                match (values.next(), values.next()) {
                    (Some(name), Some(image)) => {
                        tools.insert(name.value, image);
                    }
                    _ => cx.missing(child, "a name and an image", "write `tool \"trivy\" \"<image>:<version>\"`"),
                }
            }
            "template" => templates.extend(template(cx, child)),
            _ => {
                let help = did_you_mean(key, CI_SYSTEM, Otherwise::Vocabulary);
                cx.unknown_node(child, "in `ci-system`", help);
            }
        }
    }
    Some(CiSystem {
        name: name?,
        description,
        default,
        separate_repositories,
        pins,
        tools,
        templates,
        span: cx.span_of(node),
    })
}

/// `ci-script "registry-password" #"""<shell>"""#`.
pub(super) fn ci_script(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<CiScript> {
    cx.shape(node, &[], 2, "the script name and its text");
    cx.no_children(node);
    let mut values = args(node).filter_map(|entry| cx.string(entry, "`ci-script`"));
    let (name, text) = (values.next(), values.next());
    let (Some(name), Some(text)) = (name, text) else {
        cx.missing(
            node,
            "a script name and a text",
            "write `ci-script \"<name>\" #\"\"\"<shell script>\"\"\"#`; templates print it as `scripts[\"<name>\"]`",
        );
        return None;
    };
    Some(CiScript { name, text, span: cx.span_of(node) })
}

/// `pin "actions/checkout" "<40 hex>" version="v4.2.2"`.
fn pin(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<CiPin> {
    cx.shape(node, &["version"], 2, "what is pinned and its commit");
    cx.no_children(node);
    let mut values = args(node).filter_map(|entry| cx.string(entry, "`pin`"));
    let (name, commit) = (values.next(), values.next());
    let version = cx.required_string_prop(node, "version", "write `version=\"v1.2.3\"`: the release the commit is");
    let (Some(name), Some(commit)) = (name, commit) else {
        cx.missing(
            node,
            "what is pinned and its commit",
            "write `pin \"owner/repo\" \"<full 40-digit commit SHA>\" version=\"v1.2.3\"`",
        );
        return None;
    };
    if commit.value.len() != 40 || !commit.value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        cx.invalid_value(
            commit.span,
            "pinned commit",
            &commit.value,
            "not a full commit SHA",
            "write the 40 lower-case hex digits of the commit: a tag or short SHA can be moved or collide",
        );
    }
    Some(CiPin { name, commit, version: version? })
}

/// `template "workload" path="..." "<text>"`.
fn template(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<CiTemplate> {
    cx.shape(node, &["path", "format"], 2, "the scope and the template text");
    cx.no_children(node);
    let mut values = args(node).filter_map(|entry| cx.string(entry, "`template`"));
    let (scope, text) = (values.next(), values.next());
    let path = cx.required_string_prop(node, "path", "write `path=\"<file, relative to the system's folder>\"`");
    let format = cx.required_string_prop(
        node,
        "format",
        "write `format=\"yaml\"`, or another format listed in docs/pipelines.md",
    );
    if let Some(format) = &format {
        cx.choice(format, "template format", FORMATS);
    }
    let (Some(scope), Some(text)) = (scope, text) else {
        cx.missing(
            node,
            "a scope and a text",
            "write `template \"workload\" path=\"...\" #\"\"\"<template>\"\"\"#` (scope `workload`, `estate` or `repository`)",
        );
        return None;
    };
    let scope = match cx.choice(&scope, "template scope", &["workload", "estate", "repository"])? {
        "workload" => Spanned::new(TemplateScope::Workload, scope.span),
        "repository" => Spanned::new(TemplateScope::Repository, scope.span),
        _ => Spanned::new(TemplateScope::Estate, scope.span),
    };
    Some(CiTemplate { scope, path: path?, format: format?, text, span: cx.span_of(node) })
}

/// `chart-template "helpers" #"""..."""#`.
pub(super) fn chart_template(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<ChartTemplate> {
    cx.shape(node, &[], 2, "the chart file and the template text");
    cx.no_children(node);
    let mut values = args(node).filter_map(|entry| cx.string(entry, "`chart-template`"));
    let (name, text) = (values.next(), values.next());
    let (Some(name), Some(text)) = (name, text) else {
        cx.missing(
            node,
            "a chart file and a text",
            "write `chart-template \"helpers\" #\"\"\"<template>\"\"\"#` (the files are listed in docs/helm.md)",
        );
        return None;
    };
    cx.choice(&name, "chart template", CHART_TEMPLATES)?;
    Some(ChartTemplate { name, text, span: cx.span_of(node) })
}
