//! Errors of resolving where pipelines are written: workloads built in another
//! repository (`source repo=`).

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A workload in another repository that the platform's CI systems cannot build.
#[derive(Debug, Error, Diagnostic)]
pub enum PipelineError {
    /// A workload's `source` is in another repository and a CI system of the platform
    /// does not write pipelines for other repositories.
    #[error("CI system `{system}` writes no pipeline for a source in another repository")]
    #[diagnostic(code(resolve::separate_repository_unsupported))]
    SeparateRepositoryUnsupported {
        /// System name.
        system: String,
        /// The workload's `source` node.
        #[label("`{workload}` is built in `{repository}`")]
        span: Span,
        /// `<domain>/<workload>`.
        workload: String,
        /// The repository's URL.
        repository: String,
        /// Where the platform names the system.
        #[label("named here")]
        named: Span,
        /// What to do instead.
        #[help]
        help: String,
    },

    /// Two workloads built in repositories of one name that differ in URL or branch: their
    /// pipeline files would share the folder `repos/<name>/`.
    #[error("two `source repo=` of the repository `{name}` differ: {what}")]
    #[diagnostic(
        code(resolve::separate_repository_conflict),
        help(
            "write the same `repo=` and `ref=` on every workload built from one repository; two repositories need different names (the URL's last segment)"
        )
    )]
    SeparateRepositoryConflict {
        /// The repository's name.
        name: String,
        /// `` `a` and `b` `` of the URLs or branches.
        what: String,
        /// This `source`.
        #[label("this one")]
        span: Span,
        /// The first `source` of that name.
        #[label("the first")]
        first: Span,
    },
}
