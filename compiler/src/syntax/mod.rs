//! KDL text becomes a [`Parsed`] document, guarded against hostile input.
//!
//! In: a [`SourceFile`](crate::diag::SourceFile). Out: [`Parsed`]. Also `format`.

use crate::diag::FileId;

/// A parsed KDL document with the file it came from.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The file id for spans.
    pub file: FileId,
    /// The KDL document (spans are byte offsets into the file).
    pub document: kdl::KdlDocument,
}
