//! GitOps delivery: the platform's `gitops` bound to the library's `gitops-tool`.
//!
//! In: the spec's `platform { gitops "<tool>" repo= path= revision= }` and the library's
//! `gitops-tool` nodes. Out: [`ResolvedGitops`], or `None` when the platform has no
//! `gitops` (then no GitOps object is written). The folder defaults to the `ci` node's
//! `output=` (where the pipelines commit the built output), else the repository root;
//! the revision to `HEAD`.

use super::errors::ResolveError;
use super::library::Library;
use crate::diag::{Diagnostics, Otherwise, Span, did_you_mean};
use crate::model::{GitopsTemplate, Spec};
use schemars::JsonSchema;
use serde::Serialize;

/// The revision a tool follows when the platform names none: the remote's default branch.
const DEFAULT_REVISION: &str = "HEAD";

/// The GitOps tool and where it reads the built output from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedGitops {
    /// The tool's name: the output folder `gitops/<tool>/`.
    pub tool: String,
    /// The namespace the tool's own objects live in.
    pub namespace: String,
    /// The Git repository the output is committed to.
    pub repo: String,
    /// The output's folder in the repository (`.` for the root).
    pub path: String,
    /// The branch, tag or commit followed.
    pub revision: String,
    /// The tool's templates (library text, not part of the serialised model).
    #[serde(skip)]
    #[schemars(skip)]
    pub templates: Vec<GitopsTemplate>,
    /// The platform's `gitops` node.
    pub span: Span,
}

/// Bind the platform's `gitops` to its library tool.
pub(super) fn gitops(diags: &mut Diagnostics, spec: &Spec, library: &Library) -> Option<ResolvedGitops> {
    let platform = spec.platform.as_ref()?;
    let settings = platform.gitops.as_ref()?;
    let name = &settings.tool;
    let Some(tool) = library.gitops_tools.get(&name.value) else {
        let help = did_you_mean(&name.value, library.gitops_tools.keys(), Otherwise::Declared);
        diags.at(
            name.span,
            ResolveError::UnknownReference { what: "GitOps tool", name: name.value.clone(), span: name.span, help },
        );
        return None;
    };
    // `model` reported a missing `repo=`; nothing is written without one.
    let repo = settings.repo.as_ref()?.value.clone();
    let path = settings
        .path
        .as_ref()
        .or_else(|| platform.ci.as_ref().and_then(|ci| ci.output.as_ref()))
        .map_or_else(|| ".".to_owned(), |path| path.value.clone());
    Some(ResolvedGitops {
        tool: tool.name.value.clone(),
        namespace: tool.namespace.value.clone(),
        repo,
        path,
        revision: settings.revision.as_ref().map_or_else(|| DEFAULT_REVISION.to_owned(), |r| r.value.clone()),
        templates: tool.templates.clone(),
        span: settings.span,
    })
}
