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
    if let Some(branch) = &branch
        && !branch.value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
    {
        cx.invalid_value(
            branch.span,
            "branch",
            &branch.value,
            "not a plain branch name",
            "use letters, digits, `.`, `_`, `/` and `-`, such as `main`",
        );
    }
    CiSettings { systems, spec, output, branch, span: cx.span_of(node) }
}

/// A workload's `source` or `build`; `false` when `node` is neither.
pub(super) fn source_or_build(
    cx: &mut Ctx<'_>,
    node: &KdlNode,
    source: &mut Option<Spanned<String>>,
    build: &mut Option<Spanned<String>>,
    once: &mut Once,
    parent: &str,
) -> bool {
    let key = node.name().value();
    let slot = match key {
        "source" => source,
        "build" => build,
        _ => return false,
    };
    if key == "source" && separate_repository_property(cx, node) {
        return true;
    }
    if cx.once(once, node, key, parent) {
        *slot = cx.single_string(node);
        if key == "source"
            && let Some(path) = slot
        {
            repository_path(cx, path, "`source` path");
        }
    }
    true
}

/// What to write instead of a `source` in another repository (docs/pipelines.md, "A
/// workload in another repository").
const SEPARATE_REPOSITORY_HELP: &str = "a `source` is a folder of the spec's repository, such as `services/order-api`; \
     for code in another repository leave `source` off, build it in that repository's CI and record \
     its digest here with `berth set-image` (docs/pipelines.md)";

/// `source "." repository="..."` (or `repo=`, `url=`, `git=`, `ref=`): the pipelines are
/// written for the spec's own repository, so a separate one is refused with what to do
/// instead. `true` when the node had such a property (reported).
fn separate_repository_property(cx: &mut Ctx<'_>, node: &KdlNode) -> bool {
    let mut found = false;
    for entry in node.entries() {
        if let Some(name) = entry.name()
            && SEPARATE_REPOSITORY_PROPERTIES.contains(&name.value())
        {
            let span = cx.span(entry.span());
            cx.invalid_value(
                span,
                "`source` property",
                name.value(),
                "a source in a separate repository is not supported",
                SEPARATE_REPOSITORY_HELP,
            );
            found = true;
        }
    }
    found
}

/// A folder or file in the repository: relative, plain characters, no `..`. Pipelines
/// put it in path filters and shell commands, so nothing in it may need quoting.
pub(super) fn repository_path(cx: &mut Ctx<'_>, path: &Spanned<String>, what: &str) {
    let value = &path.value;
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
    let url = value.contains("://") || value.starts_with("git@");
    if url && what == "`source` path" {
        let reason = "a repository URL: a source in a separate repository is not supported";
        cx.invalid_value(path.span, what, value, reason, SEPARATE_REPOSITORY_HELP);
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
    cx.shape(node, &["default"], 1, "the CI system name");
    let name = cx.name_arg(node, "ci-system", true);
    let default = prop(node, "default").and_then(|entry| cx.boolean(entry, "`default`")).is_some_and(|d| d.value);
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
    Some(CiSystem { name: name?, description, default, pins, tools, templates, span: cx.span_of(node) })
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
            "write `template \"workload\" path=\"...\" #\"\"\"<template>\"\"\"#` (scope `workload` or `estate`)",
        );
        return None;
    };
    let scope = match cx.choice(&scope, "template scope", &["workload", "estate"])? {
        "workload" => Spanned::new(TemplateScope::Workload, scope.span),
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
