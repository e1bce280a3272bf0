//! The pipeline nodes of the language: the platform's `ci`, and the library's
//! `build-kind` and `ci-system` (a workload's `source` and `build` are fields of
//! [`Workload`](super::Workload)); and the library's `chart-template`, the files of the
//! Helm charts.

use crate::diag::{Span, Spanned};
use indexmap::IndexMap;

/// `ci "github" spec="berth.kdl" output="deploy" branch="main"` in `platform`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CiSettings {
    /// CI system names (`github`, `gitlab`, `jenkins`, `tekton`, or a library one), in order.
    pub systems: Vec<Spanned<String>>,
    /// Path of the spec in the repository (default `berth.kdl`).
    pub spec: Option<Spanned<String>>,
    /// Folder the built output is committed to (default `deploy`).
    pub output: Option<Spanned<String>>,
    /// The branch deployments are recorded on (default `main`).
    pub branch: Option<Spanned<String>>,
    /// The node.
    pub span: Span,
}

/// `build-kind "maven" { image ...; test ...; build ...; cache ... }`: how source of one
/// language is tested and packaged, the same in every CI system.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BuildKind {
    /// Kind name, referenced by a workload's `build`.
    pub name: Spanned<String>,
    /// Human description.
    pub description: Option<Spanned<String>>,
    /// Container image the test and build commands run in; `None` for kinds whose only
    /// step is the image build (`dockerfile`).
    pub image: Option<Spanned<String>>,
    /// Shell commands that test the source, run in the source folder, in order.
    pub test: Vec<Spanned<String>>,
    /// Shell commands that compile and package it before the image build, in order.
    pub build: Vec<Spanned<String>>,
    /// `cache ".m2/repository" key="pom.xml"`: folders (relative to the source folder)
    /// kept between runs, keyed by the hash of the `key` files.
    pub caches: Vec<BuildCache>,
    /// `env "MAVEN_OPTS" "..."`: variables of the test and build commands, in order.
    pub env: IndexMap<String, Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// `cache ".m2/repository" key="pom.xml"` in a `build-kind`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BuildCache {
    /// Folder, relative to the source folder.
    pub path: Spanned<String>,
    /// Files whose content keys the cache, relative to the source folder.
    pub key: Spanned<String>,
}

/// `ci-system "github" { pin ...; tool ...; template ... }`: one CI system's pipelines
/// as library data.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CiSystem {
    /// System name, referenced by the platform's `ci`.
    pub name: Spanned<String>,
    /// Human description.
    pub description: Option<Spanned<String>>,
    /// `default=#true`: the system used when the platform names none.
    pub default: bool,
    /// `separate-repositories=#true`: its templates write the pipeline of a workload whose
    /// `source` has `repo=` (under `repos/<name>/`, scope `repository` for a root file).
    pub separate_repositories: bool,
    /// `pin "actions/checkout" "<sha>" version="v4.2.2"`: third-party steps by full
    /// commit (or digest), in order.
    pub pins: Vec<CiPin>,
    /// `tool "trivy" "docker.io/aquasec/trivy:0.62.1"`: container images of the tools the
    /// templates run, by name.
    pub tools: IndexMap<String, Spanned<String>>,
    /// `template "workload" path="..." "<text>"`: the files written, in order.
    pub templates: Vec<CiTemplate>,
    /// The whole node.
    pub span: Span,
}

/// `ci-script "registry-password" #"..."#`: a shell script every CI system's templates
/// can print (`scripts["registry-password"]`), so that what several systems run the same
/// way (a cloud registry's token exchange) is written once.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CiScript {
    /// Script name, the key in the templates' `scripts`.
    pub name: Spanned<String>,
    /// The script text, printed as it is.
    pub text: Spanned<String>,
    /// The node.
    pub span: Span,
}

/// `pin "actions/checkout" "11bd7190..." version="v4.2.2"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CiPin {
    /// What is pinned (`owner/repo`).
    pub name: Spanned<String>,
    /// Full commit SHA (40 hex digits).
    pub commit: Spanned<String>,
    /// The release the commit is, for readers and update tools.
    pub version: Spanned<String>,
}

/// What one template is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TemplateScope {
    /// Once per built workload (one with a `source`).
    Workload,
    /// Once for the estate (the spec's own pipeline, a root file).
    Estate,
    /// Once per separate repository that workloads' `source repo=` name (its root file).
    Repository,
}

/// `template "workload" path=".github/workflows/[= workload.id =].yml" #"..."#`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CiTemplate {
    /// Per workload or once.
    pub scope: Spanned<TemplateScope>,
    /// Output path template, relative to `pipelines/<system>/`.
    pub path: Spanned<String>,
    /// What the file is (`github-workflow`, `gitlab-ci`, `jenkinsfile`, `yaml`): decides
    /// its header comment and check.
    pub format: Spanned<String>,
    /// The file template.
    pub text: Spanned<String>,
    /// The node.
    pub span: Span,
}

/// The files of a Helm chart a `chart-template` can be: each is one template of the
/// library (docs/helm.md lists the context of each).
pub const CHART_TEMPLATES: &[&str] =
    &["chart", "values", "helpers", "notes", "readme", "object", "umbrella-chart", "umbrella-values", "umbrella-notes"];

/// `chart-template "helpers" #"..."#`: one file of the Helm charts (stdlib
/// `charts.kdl`); a later one of the same name replaces it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChartTemplate {
    /// Which file (one of [`CHART_TEMPLATES`]).
    pub name: Spanned<String>,
    /// The template text (`[= expr =]`, `[% block %]`, `[# comment #]`).
    pub text: Spanned<String>,
    /// The node.
    pub span: Span,
}

/// `source "services/payments" repo="https://github.com/acme/payments" ref="main"`: a
/// workload whose code lives in a repository other than the spec's. Its pipeline is
/// written for that repository (`pipelines/<system>/repos/<name>/`) and records each
/// digest in the spec's repository (docs/pipelines.md, "A workload in another repository").
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SourceRepository {
    /// The repository's URL (`https://`, `ssh://` or `git@host:path`).
    pub url: Spanned<String>,
    /// Its name: the URL's last segment without `.git`, the folder its pipeline files
    /// are written under.
    pub name: String,
    /// `ref="main"`: the branch its pipeline builds and deploys from (default `main`).
    pub branch: Option<Spanned<String>>,
    /// The `source` node.
    pub span: Span,
}
