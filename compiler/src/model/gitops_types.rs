//! What delivery is made of: the platform's `gitops` setting, the library's
//! `gitops-tool` nodes (the objects a GitOps tool is given, as templates) and its
//! `rollouts` node (the progressive-delivery objects, as templates).

use crate::diag::{Span, Spanned};
use indexmap::IndexMap;

/// `gitops "argocd" repo="https://..." path="deploy" revision="main"` in `platform`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GitopsSettings {
    /// The library `gitops-tool` that delivers the output (`argocd`).
    pub tool: Spanned<String>,
    /// The Git repository the built output is committed to (`https://`, `ssh://` or
    /// `user@host:path`); required.
    pub repo: Option<Spanned<String>>,
    /// The output's folder in the repository (`deploy`); default: the `ci` node's
    /// `output=`, else the repository root.
    pub path: Option<Spanned<String>>,
    /// The branch, tag or commit the tool follows; default `HEAD`.
    pub revision: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// `gitops-tool "argocd" { description; namespace; template "domain" ...; template "view" ... }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GitopsTool {
    /// The tool's name, as the platform's `gitops` names it.
    pub name: Spanned<String>,
    /// Shown in hovers and docs.
    pub description: Option<Spanned<String>>,
    /// The namespace the tool's own objects live in (`argocd`); required.
    pub namespace: Spanned<String>,
    /// Object templates, each rendered once per domain or once per view.
    pub templates: Vec<GitopsTemplate>,
    /// The whole node.
    pub span: Span,
}

/// What a `gitops-tool` template is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GitopsScope {
    /// Once per domain (Argo CD: its `AppProject`).
    Domain,
    /// Once per environment and target (Argo CD: its `ApplicationSet`).
    View,
}

/// `template "domain" #"""<YAML of one object>"""#`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GitopsTemplate {
    /// What it is rendered for.
    pub scope: Spanned<GitopsScope>,
    /// The template text (`[= =]` syntax), rendering one object.
    pub text: Spanned<String>,
}

/// `rollouts { rollout #"..."# }`: the templates of the progressive-delivery objects
/// (stdlib `rollouts.kdl`), library data. A later `rollouts` replaces the templates it
/// writes.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Rollouts {
    /// Object templates by name (`rollout`): minijinja with `[= =]` delimiters.
    pub templates: IndexMap<String, Spanned<String>>,
    /// The node.
    pub span: Option<Span>,
}

/// The template names of `rollouts`.
pub const ROLLOUTS_TEMPLATES: &[&str] = &["rollout"];
