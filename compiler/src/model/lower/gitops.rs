//! Lowering GitOps delivery: the platform's `gitops` and the library's `gitops-tool`.

use super::values::{Ctx, Once, args, children};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::check;
use crate::model::gitops_types::*;
use kdl::KdlNode;

/// Children of `gitops-tool`.
const GITOPS_TOOL: &[&str] = &["description", "namespace", "template"];

/// `gitops "argocd" repo="https://..." path="deploy" revision="main"` in `platform`.
pub(super) fn gitops(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<GitopsSettings> {
    cx.shape(node, &["repo", "path", "revision"], 1, "the GitOps tool's name");
    cx.no_children(node);
    let Some(tool) = args(node).next().and_then(|entry| cx.string(entry, "a GitOps tool name")) else {
        cx.missing(
            node,
            "a GitOps tool",
            "write `gitops \"argocd\" repo=\"https://...\"`, naming a `gitops-tool` of the library (docs/delivery.md)",
        );
        return None;
    };
    let repo = cx.required_string_prop(
        node,
        "repo",
        "write `repo=\"https://git.example.com/org/deploy.git\"`: the Git repository the built output is committed to",
    );
    if let Some(repo) = &repo {
        repository_url(cx, repo);
    }
    let path = cx.string_prop(node, "path");
    if let Some(path) = &path {
        super::pipeline::repository_path(cx, path, "`gitops` path");
    }
    let revision = cx.string_prop(node, "revision");
    if let Some(revision) = &revision {
        git_revision(cx, revision);
    }
    Some(GitopsSettings { tool, repo, path, revision, span: cx.span_of(node) })
}

/// A Git repository URL a GitOps tool can clone: `https://host/...`, `http://host/...`,
/// `ssh://[user@]host/...` or the scp form `user@host:path`; no spaces or quotes.
pub(super) fn repository_url(cx: &mut Ctx<'_>, repo: &Spanned<String>) {
    let value = repo.value.as_str();
    let plain = !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && !b"\"'`\\<>{}|^".contains(&b));
    let host_and_path = |rest: &str| {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
        !host.is_empty() && !host.starts_with(':') && !path.is_empty()
    };
    let well_formed = if let Some(rest) = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")) {
        host_and_path(rest)
    } else if let Some(rest) = value.strip_prefix("ssh://") {
        host_and_path(rest)
    } else if let Some((user_host, path)) = value.split_once(':') {
        // scp-like: `git@github.com:org/repo.git`
        user_host.split_once('@').is_some_and(|(user, host)| !user.is_empty() && !host.is_empty())
            && !path.is_empty()
            && !path.starts_with('/')
    } else {
        false
    };
    if !(plain && well_formed) {
        cx.invalid_value(
            repo.span,
            "repository URL",
            value,
            if plain { "not a Git URL" } else { "has spaces, quotes or other characters a URL cannot hold" },
            "write `https://host/org/repo.git`, `ssh://git@host/org/repo.git` or `git@host:org/repo.git`",
        );
    }
}

/// A branch, tag or commit: Git's ref-name rules that matter here (no spaces, control
/// characters, `..`, `~^:?*[\`, no leading `-` or `/`).
fn git_revision(cx: &mut Ctx<'_>, revision: &Spanned<String>) {
    let value = revision.value.as_str();
    let bad = value.is_empty()
        || value.starts_with(['-', '/'])
        || value.ends_with(['/', '.'])
        || value.contains("..")
        || value.contains("@{")
        || value.ends_with(".lock")
        || value.bytes().any(|b| !b.is_ascii_graphic() || b"~^:?*[\\\"'".contains(&b));
    if bad {
        cx.invalid_value(
            revision.span,
            "revision",
            value,
            "not a Git branch, tag or commit",
            "write a branch (`main`), a tag (`v1.4.0`) or a commit SHA; without `revision=` the tool follows `HEAD`",
        );
    }
}

/// `gitops-tool "argocd" { description; namespace; template "domain" ...; template "view" ... }`.
pub(super) fn gitops_tool(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<GitopsTool> {
    cx.shape(node, &[], 1, "the GitOps tool's name");
    let name = cx.name_arg(node, "gitops-tool", true);
    let (mut description, mut namespace, mut templates) = (None, None, Vec::new());
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "description" | "namespace" => {
                if cx.once(&mut once, child, key, "gitops-tool") {
                    let value = cx.single_string(child);
                    if key == "namespace" {
                        if let Some(ns) = &value
                            && !check::is_dns_label(&ns.value)
                        {
                            let help = "write a namespace name such as `argocd`";
                            cx.invalid_value(ns.span, "namespace", &ns.value, "not a DNS-1123 label", help);
                        }
                        namespace = value;
                    } else {
                        description = value;
                    }
                }
            }
            "template" => templates.extend(template(cx, child)),
            _ => {
                let help = did_you_mean(key, GITOPS_TOOL, Otherwise::Vocabulary);
                cx.unknown_node(child, "in `gitops-tool`", help);
            }
        }
    }
    if namespace.is_none() {
        cx.missing(node, "a `namespace`", "write `namespace \"argocd\"`: where the tool reads its objects from");
    }
    Some(GitopsTool { name: name?, description, namespace: namespace?, templates, span: cx.span_of(node) })
}

/// `template "domain" #"""<object>"""#` or `template "view" ...`.
fn template(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<GitopsTemplate> {
    cx.shape(node, &[], 2, "the scope and the template text");
    cx.no_children(node);
    let mut values = args(node).filter_map(|entry| cx.string(entry, "`template`"));
    let (Some(scope), Some(text)) = (values.next(), values.next()) else {
        cx.missing(
            node,
            "a scope and a text",
            "write `template \"domain\" #\"\"\"<object>\"\"\"#` (scope `domain` or `view`)",
        );
        return None;
    };
    let scope = match cx.choice(&scope, "template scope", &["domain", "view"])? {
        "domain" => Spanned::new(GitopsScope::Domain, scope.span),
        _ => Spanned::new(GitopsScope::View, scope.span),
    };
    Some(GitopsTemplate { scope, text })
}

/// `rollouts { rollout #"..."# }`.
pub(super) fn rollouts(cx: &mut Ctx<'_>, node: &KdlNode) -> Rollouts {
    cx.shape(node, &[], 0, "nothing");
    let mut rollouts = Rollouts { span: Some(cx.span_of(node)), ..Rollouts::default() };
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        if ROLLOUTS_TEMPLATES.contains(&key) {
            if cx.once(&mut once, child, key, "rollouts") {
                cx.no_children(child);
                rollouts.templates.extend(cx.single_string(child).map(|text| (key.to_owned(), text)));
            }
        } else {
            let help = did_you_mean(key, ROLLOUTS_TEMPLATES, Otherwise::Vocabulary);
            cx.unknown_node(child, "in `rollouts`", help);
        }
    }
    rollouts
}
