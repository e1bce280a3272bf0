//! A large document cut into parts at top-level node boundaries, each part parsed by
//! kdl-rs on its own thread, and the parts' documents put back together into exactly the
//! document kdl-rs builds from the whole text: the same nodes, spans and formatting.
//!
//! Where the pre-scan finds a boundary (a `\n` between top-level nodes: see
//! [`super::scan::Scan::boundaries`]), kdl-rs's `nodes := (line-space* node)* line-space*`
//! reads the text before and after it as two documents whose nodes are, in order, the whole
//! document's. Parsing a part gives spans relative to the part (shifted back here), puts
//! the whitespace and comments before the part's first node into that node's `leading`
//! (as for the whole document), and keeps what follows the part's last node as the
//! document's `trailing`, which belongs to the next part's first node. A part's last
//! node left without a terminator (`a {}/- b {}` then a boundary) would be an error in
//! the whole text, so it is not stitched. Whenever a part does not parse or is not
//! stitched, the caller parses the whole text again, so errors (and their positions) are
//! always kdl-rs's own. `tests/suite/parse_split.rs` checks the claim on
//! every example, fixture, generated spec and a mutation corpus.

use kdl::{KdlDocument, KdlDocumentFormat, KdlNode};
use miette::SourceSpan;

/// Below this size a text is parsed whole: a thread per part costs more than it saves.
pub const MIN_SPLIT_BYTES: usize = 64 * 1024;

/// Where to cut `text` into at most `parts` parts of roughly equal size: the boundary
/// nearest each share, in increasing order, never at the start or the end. Empty (parse
/// whole) for one part, or for a text opening with a byte-order mark (kdl-rs gives a
/// document's BOM to the document, a part's leading text to its first node).
pub(crate) fn cuts(text: &str, boundaries: &[usize], parts: usize) -> Vec<usize> {
    if parts < 2 || text.starts_with('\u{FEFF}') {
        return Vec::new();
    }
    let mut cuts: Vec<usize> = Vec::new();
    for share in 1..parts {
        let target = text.len() * share / parts;
        let nearest = boundaries
            .iter()
            .copied()
            .filter(|&b| b > 0 && b < text.len() && cuts.last().is_none_or(|&last| b > last))
            .min_by_key(|&b| b.abs_diff(target));
        if let Some(cut) = nearest {
            cuts.push(cut);
        }
    }
    cuts
}

/// The whole document from its parts' documents, each with the offset its part starts at.
/// `None` when no part has a node (the caller parses the whole text: a document with no
/// node is small, and its span and formatting are kdl-rs's business).
pub(crate) fn stitch(parts: Vec<(usize, KdlDocument)>) -> Option<KdlDocument> {
    let mut nodes: Vec<KdlNode> = Vec::new();
    // Text between the last node so far and the next one: the next node's `leading`.
    let mut pending = String::new();
    let mut leading = String::new();
    let mut span: Option<(usize, usize)> = None;
    for (index, (offset, mut document)) in parts.into_iter().enumerate() {
        shift_document(&mut document, offset);
        let format = document.format().cloned().unwrap_or_default();
        if document.nodes().is_empty() {
            pending.push_str(&format.leading);
            pending.push_str(&format.trailing);
            continue;
        }
        if index == 0 {
            leading = format.leading;
        } else if !format.leading.is_empty() {
            return None; // only a byte-order mark goes there, and only at the start
        }
        let part_span = document.span();
        let end = part_span.offset() + part_span.len();
        span = Some(span.map_or((part_span.offset(), end), |(start, _)| (start, end)));
        // A part's trailing text may hold slashdashed nodes right after its last node
        // (`a {}/- b {}`), but in the whole text a node that follows needs a terminator
        // first: kdl-rs reports an error there, so parse the whole text for it.
        if nodes.last().is_some_and(|last| last.format().is_none_or(|f| f.terminator.is_empty())) {
            return None;
        }
        let mut part_nodes = std::mem::take(document.nodes_mut());
        if let Some(first) = part_nodes.first_mut().and_then(KdlNode::format_mut) {
            first.leading = std::mem::take(&mut pending) + &first.leading;
        }
        nodes.append(&mut part_nodes);
        pending = format.trailing;
    }
    let (start, end) = span?;
    let mut document = KdlDocument::new();
    *document.nodes_mut() = nodes;
    document.set_format(KdlDocumentFormat { leading, trailing: pending });
    document.set_span(SourceSpan::new(start.into(), end - start));
    Some(document)
}

fn shifted(span: SourceSpan, offset: usize) -> SourceSpan {
    SourceSpan::new((span.offset() + offset).into(), span.len())
}

/// Every span in `document` moved `offset` bytes on.
fn shift_document(document: &mut KdlDocument, offset: usize) {
    document.set_span(shifted(document.span(), offset));
    for node in document.nodes_mut() {
        node.set_span(shifted(node.span(), offset));
        let name = node.name_mut();
        name.set_span(shifted(name.span(), offset));
        if let Some(ty) = node.ty_mut() {
            ty.set_span(shifted(ty.span(), offset));
        }
        for entry in node.entries_mut() {
            entry.set_span(shifted(entry.span(), offset));
            if let Some(name) = entry.name_mut() {
                name.set_span(shifted(name.span(), offset));
            }
            if let Some(ty) = entry.ty_mut() {
                ty.set_span(shifted(ty.span(), offset));
            }
        }
        if let Some(children) = node.children_mut() {
            shift_document(children, offset);
        }
    }
}
