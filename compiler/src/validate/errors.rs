//! Errors of the validate stage. Every one is a compiler bug, not a user mistake: the
//! emitters produced an object the Kubernetes API (or the CRD) would reject.
//!
//! ```text
//! validate::schema_mismatch
//!
//!   × emitted `Deployment` `prod/eks/order/deployment-order-api.yaml` does not match
//!   │ the Kubernetes 1.33 schema at `$.spec.replica`: Additional properties are not
//!   │ allowed ('replica' was unexpected)
//!     ╭─[spec.kdl:12:5]
//!  12 │     service "order-api" {
//!     ·     ─────────┬─────────
//!     ·              ╰── this produced the object
//!     ╰────
//!   help: this is a bug in Berth; please report it with the spec that produced it
//! ```

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// An emitted object that its bundled schema rejects.
#[derive(Debug, Clone, Error, Diagnostic)]
pub enum ValidateError {
    /// One field of an emitted object breaks its schema.
    #[error("emitted `{kind}` `{path}` does not match the {schema} schema at `{field}`: {reason}")]
    #[diagnostic(
        code(validate::schema_mismatch),
        help("this is a bug in Berth; please report it with the spec that produced it")
    )]
    SchemaMismatch {
        /// The object's kind, e.g. `Deployment`.
        kind: String,
        /// The artifact path, e.g. `prod/eks/order/deployment-order-api.yaml`.
        path: String,
        /// Which schema: `Kubernetes 1.33` or `external-secrets.io/v1 ExternalSecret`.
        schema: String,
        /// JSON path of the failing field, e.g. `$.spec.template.spec.containers[0].image`.
        field: String,
        /// The validator's message.
        reason: String,
        /// The spec entity that produced the object.
        #[label("this produced the object")]
        span: Span,
    },

    /// A bundled schema does not compile: the bundle itself is broken.
    #[error("the bundled schema for `{kind}` ({schema}) cannot be used: {reason}")]
    #[diagnostic(
        code(validate::broken_schema),
        help("this is a bug in Berth; please report it with the spec that produced it")
    )]
    BrokenSchema {
        /// The object's kind.
        kind: String,
        /// Which schema.
        schema: String,
        /// Why it does not compile.
        reason: String,
        /// The spec entity whose object needed the schema.
        #[label("this produced the object")]
        span: Span,
    },

    /// An emitted text file does not parse as its format.
    #[error("emitted {format} file `{path}` does not parse: {reason}")]
    #[diagnostic(
        code(validate::unparsable),
        help("this is a bug in Berth; please report it with the spec that produced it")
    )]
    Unparsable {
        /// The format's name, e.g. `YAML`.
        format: &'static str,
        /// The artifact path.
        path: String,
        /// The parser's message.
        reason: String,
        /// The spec entity that produced the file.
        #[label("this produced the file")]
        span: Span,
    },
}

impl ValidateError {
    /// The same error labelled at `span` (the origin of an equal object elsewhere in the spec).
    pub fn at(self, span: Span) -> Self {
        match self {
            Self::SchemaMismatch { kind, path, schema, field, reason, .. } => {
                Self::SchemaMismatch { kind, path, schema, field, reason, span }
            }
            Self::BrokenSchema { kind, schema, reason, .. } => Self::BrokenSchema { kind, schema, reason, span },
            Self::Unparsable { format, path, reason, .. } => Self::Unparsable { format, path, reason, span },
        }
    }
}
