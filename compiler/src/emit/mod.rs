//! Emitters: a resolved [`Estate`] becomes an [`ArtifactTree`] of typed objects.
//!
//! In: [`Estate`]. Out: [`ArtifactTree`]. Emitters build typed values (k8s-openapi
//! structs) and store them as JSON values; text appears only in `output`. Emitters never
//! import each other; shared helpers live in [`common`].

pub mod backing;
pub mod common;
pub mod errors;
pub mod k8s;
pub mod netpol;

use crate::diag::{Diagnostics, Span};
use crate::resolve::Estate;
use std::collections::BTreeMap;

/// One emitted object, destined for one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// Path relative to the output root: `<env>/<target>/<domain>/<kind>-<name>.yaml`.
    pub path: String,
    /// The spec entity that produced it, e.g. `service order/order-api`; the file header.
    pub origin_label: String,
    /// The spec node that produced it (provenance for policy and schema findings).
    pub origin: Span,
    /// The object, with keys in the order the typed value serialised them.
    pub object: serde_json::Value,
}

/// All artifacts of a compilation, keyed (and so ordered) by path.
pub type ArtifactTree = BTreeMap<String, Artifact>;

/// Run every emitter over the estate.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> ArtifactTree {
    let mut tree = ArtifactTree::new();
    let mut artifacts = k8s::emit(diags, estate);
    artifacts.extend(backing::emit(diags, estate));
    artifacts.extend(netpol::emit(diags, estate));
    for artifact in artifacts {
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
    tree
}
