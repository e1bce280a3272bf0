//! Emitters: a resolved [`Estate`] becomes an [`ArtifactTree`] of typed files.
//!
//! In: [`Estate`]. Out: [`ArtifactTree`]. [`EMITTERS`] is the list the driver runs; each
//! [`Emitter`] declares where its files go ([`Outputs`]): into the views
//! (`<env>/<target>/...`) or, once for the estate, under top-level folders of its own.
//! Emitters build typed values (k8s-openapi structs, stored as JSON values) or text of a
//! known format (see [`artifact`]); rendering to bytes happens only in `output`.
//! Emitters never import each other; shared helpers live in [`common`].

pub mod artifact;
pub mod backing;
pub mod common;
pub mod errors;
pub mod gitops;
pub mod helm;
pub mod index;
pub mod k8s;
pub mod kustomize;
pub mod monitoring;
pub mod netpol;
pub mod pipelines;

pub use artifact::{Artifact, ArtifactTree, Body, Format, Scope};

use crate::diag::Diagnostics;
use crate::resolve::Estate;

/// One emitter: a name, where its files go, and the function that makes them.
#[derive(Debug, Clone, Copy)]
pub struct Emitter {
    /// Short name, for documentation and tests: `k8s`, `netpol`, `estate-index`.
    pub name: &'static str,
    /// Where its files go.
    pub outputs: Outputs,
    /// Build the emitter's artifacts for the whole estate.
    pub run: Run,
}

/// What an emitter reads. Emitters loop over the views themselves, so a warning shared by
/// several views is pushed once.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// The resolved estate.
    Estate(fn(&mut Diagnostics, &Estate) -> Vec<Artifact>),
    /// The estate and the files every emitter before it produced: for outputs that index or
    /// package the others (kustomizations, charts, GitOps applications).
    Tree(fn(&mut Diagnostics, &Estate, &ArtifactTree) -> Vec<Artifact>),
}

/// Where an emitter's files go; [`emit_with`] holds every artifact to its declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outputs {
    /// Per view: [`Scope::View`] artifacts under `<env>/<target>/`.
    Views,
    /// Estate-wide: [`Scope::Estate`] artifacts under these top-level folders.
    Estate(&'static [&'static str]),
}

/// Every emitter, in the order they run (the order only decides which of two colliding
/// artifacts is reported as the second one).
pub const EMITTERS: &[Emitter] = &[
    Emitter { name: "k8s", outputs: Outputs::Views, run: Run::Estate(k8s::emit) },
    Emitter { name: "backing", outputs: Outputs::Views, run: Run::Estate(backing::emit) },
    Emitter { name: "netpol", outputs: Outputs::Views, run: Run::Estate(netpol::emit) },
    Emitter { name: "monitoring", outputs: Outputs::Views, run: Run::Estate(monitoring::emit) },
    Emitter { name: "estate-index", outputs: Outputs::Estate(&[index::FOLDER]), run: Run::Estate(index::emit) },
    Emitter { name: "pipelines", outputs: Outputs::Estate(&[pipelines::FOLDER]), run: Run::Estate(pipelines::emit) },
    // After every emitter of Kubernetes objects: it lists their files.
    Emitter { name: "kustomize", outputs: Outputs::Views, run: Run::Tree(kustomize::emit) },
    // After every emitter of Kubernetes objects: its charts render them.
    Emitter { name: "helm", outputs: Outputs::Estate(&[helm::FOLDER]), run: Run::Tree(helm::emit) },
    // After the kustomizations and charts: its applications point at them.
    Emitter { name: "gitops", outputs: Outputs::Estate(&[gitops::FOLDER]), run: Run::Tree(gitops::emit) },
];

/// Run every emitter of [`EMITTERS`] over the estate.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> ArtifactTree {
    emit_with(diags, estate, EMITTERS)
}

/// Run `emitters` over the estate: two artifacts on one path are an error
/// (`emit::path_collision`); an artifact outside its emitter's declared outputs is a bug
/// in Berth (`emit::misplaced`) and is dropped.
pub fn emit_with(diags: &mut Diagnostics, estate: &Estate, emitters: &[Emitter]) -> ArtifactTree {
    let mut tree = ArtifactTree::new();
    for emitter in emitters {
        let artifacts = match emitter.run {
            Run::Estate(run) => run(diags, estate),
            Run::Tree(run) => run(diags, estate, &tree),
        };
        for artifact in artifacts {
            if !fits(emitter.outputs, &artifact) {
                let error = errors::EmitError::Misplaced {
                    emitter: emitter.name,
                    path: artifact.path.clone(),
                    span: artifact.origin,
                };
                diags.at(artifact.origin, error);
                continue;
            }
            if let Some(first) = tree.get(&artifact.path) {
                diags.at(
                    artifact.origin,
                    errors::EmitError::PathCollision {
                        path: artifact.path.clone(),
                        span: artifact.origin,
                        first: first.origin,
                    },
                );
                continue;
            }
            tree.insert(artifact.path.clone(), artifact);
        }
    }
    tree
}

/// Whether an artifact's scope and path are where its emitter said its files go.
fn fits(outputs: Outputs, artifact: &Artifact) -> bool {
    match (outputs, &artifact.scope) {
        (Outputs::Views, Scope::View { env, target, domain }) => {
            let prefix = match domain {
                Some(domain) => format!("{env}/{target}/{domain}/"),
                None => format!("{env}/{target}/"),
            };
            artifact.path.starts_with(&prefix)
        }
        (Outputs::Estate(folders), Scope::Estate) => {
            folders.iter().any(|folder| artifact.path.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/')))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{Artifact, Body, Emitter, Format, Outputs, Run, Scope, emit_with};
    use crate::diag::{Diagnostics, FileId, Span};
    use crate::resolve::Estate;

    fn file(path: &str, scope: Scope) -> Artifact {
        Artifact {
            path: path.to_owned(),
            origin_label: "platform p".to_owned(),
            origin: Span { file: FileId(0), offset: 0, len: 1 },
            scope,
            body: Body::Text { format: Format::Markdown, text: "x\n".to_owned() },
        }
    }

    fn view(domain: Option<&str>) -> Scope {
        Scope::View { env: "dev".to_owned(), target: "t".to_owned(), domain: domain.map(str::to_owned) }
    }

    fn misplaced(_: &mut Diagnostics, _: &Estate) -> Vec<Artifact> {
        vec![
            file("docs/a.md", Scope::Estate),
            file("dev/t/d/b.md", view(Some("d"))),
            file("dev/t/c.md", view(None)),
            file("other/a.md", Scope::Estate),
            file("docs-x/a.md", Scope::Estate),
            file("prod/t/d/e.md", view(Some("d"))),
            file("docs/a.md", Scope::Estate),
        ]
    }

    /// Each artifact must be where its emitter declared its outputs; two on one path collide.
    #[test]
    fn artifacts_stay_inside_their_emitters_declared_outputs() {
        let emitters = [
            Emitter { name: "estate", outputs: Outputs::Estate(&["docs"]), run: Run::Estate(misplaced) },
            Emitter { name: "views", outputs: Outputs::Views, run: Run::Estate(misplaced) },
        ];
        let mut diags = Diagnostics::default();
        let tree = emit_with(&mut diags, &Estate::default(), &emitters);
        assert_eq!(tree.keys().collect::<Vec<_>>(), ["dev/t/c.md", "dev/t/d/b.md", "docs/a.md"]);
        let codes: Vec<String> = diags
            .sorted()
            .iter()
            .map(|d| format!("{} {}", d.diagnostic.code().map(|c| c.to_string()).unwrap_or_default(), d.diagnostic))
            .collect();
        let misplaced = codes.iter().filter(|c| c.starts_with("emit::misplaced")).count();
        let collisions = codes.iter().filter(|c| c.starts_with("emit::path_collision")).count();
        // `estate` may write under `docs/` only: the view files, `other/`, `docs-x/` and
        // `prod/...` are misplaced (5). `views` may write under its artifacts' own
        // `<env>/<target>/[<domain>/]` only: the four estate files and `prod/t/d/e.md`
        // (whose scope says `dev`) are misplaced (5). The second `docs/a.md` collides.
        assert_eq!(misplaced, 5 + 5, "{codes:#?}");
        assert_eq!(collisions, 1, "{codes:#?}");
    }
}
