//! Lowering: a KDL document becomes a typed, spanned [`Spec`].
//!
//! In: [`Parsed`]. Out: [`Spec`]. Names stay unresolved; `resolve` binds them.
//! This is the only module that knows KDL node and property names.

pub mod bounds;
mod check;
mod defaults;
pub mod edit;
mod errors;
mod exposure;
mod files;
mod gitops_types;
mod kind_types;
mod limits;
mod lower;
mod observe;
mod pipeline_types;
mod pod;
mod types;
mod unsupported;
mod vars;
pub mod vocab;

pub(crate) use check::{MAX_QUANTITY, is_quantity, quantity_value};
pub use defaults::{LimitRangeDefaults, WorkloadDefaults};
pub use errors::LowerError;
pub use exposure::{PortExposure, PortExposureType};
pub use files::{FileDir, FileEntry, FileSource};
pub use gitops_types::*;
pub use kind_types::*;
pub use limits::{MAX_ENTITIES, MAX_ENVIRONMENTS, MAX_PLACEMENTS};
pub use observe::*;
pub use pipeline_types::*;
pub use pod::{ALLOWED_CAPABILITIES, PodSettings, Resources, Tmp, Toleration};
pub use types::*;
pub use vars::{DerivedEnv, PodField, SharedConfig};

use crate::diag::Diagnostics;
use crate::syntax::Parsed;

/// Lower a parsed document into a spec, pushing every problem found.
///
/// Every node and property of the language is checked here for shape, types and local
/// validity (names, quantities, cron schedules, dates, digests); names that refer to
/// other things (`uses`, `in "<env>"`, `target`, `cloud`, backing kinds) are left to
/// `resolve`. Problems are pushed as [`LowerError`]s and lowering goes on, so one run
/// reports all of them; the returned spec holds everything that lowered cleanly.
pub fn lower(diags: &mut Diagnostics, parsed: &Parsed) -> Spec {
    type_annotations(diags, parsed.file, &parsed.document);
    let spec = lower::lower(diags, parsed);
    limits::check(diags, &spec);
    spec
}

/// KDL type annotations (`(field)"x"`, `(t)node`) mean nothing in Berth's language: each
/// is an error rather than silently dropped, so a reader never believes one does something.
fn type_annotations(diags: &mut Diagnostics, file: crate::diag::FileId, document: &kdl::KdlDocument) {
    for node in document.nodes() {
        if let Some(ty) = node.ty() {
            let span = crate::diag::Span::new(file, ty.span());
            diags.at(span, LowerError::TypeAnnotation { annotation: ty.value().to_owned(), span });
        }
        for entry in node.entries() {
            if let Some(ty) = entry.ty() {
                let span = crate::diag::Span::new(file, ty.span());
                diags.at(span, LowerError::TypeAnnotation { annotation: ty.value().to_owned(), span });
            }
        }
        if let Some(children) = node.children() {
            type_annotations(diags, file, children);
        }
    }
}
