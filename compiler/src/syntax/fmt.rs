//! `berth fmt`: kdl-rs's `autoformat`, plus the layout it would otherwise lose.
//!
//! kdl-rs 6.7.1 drops a line comment that ends a node (`image "x" // why`), because the
//! comment is the node's terminator; it drops blank lines between nodes; and it rewrites
//! values (`"shop"` becomes `shop`). We note all three before formatting and put them back
//! after, so `fmt` only changes indentation and spacing.

use kdl::{KdlDocument, KdlEntryFormat, KdlNode};

/// Layout notes of one node, in document order.
struct Kept {
    /// `// ...` ending the node's line, without the newline.
    comment: Option<String>,
    /// Whether a blank line preceded the node (never for the first node of a block).
    blank_before: bool,
    /// Each entry's value as written (`"shop"`, `0x10`, `#true`).
    values: Vec<Option<String>>,
}

/// Auto-format `document` in place, keeping end-of-line comments and blank lines.
pub(super) fn autoformat(document: &mut KdlDocument) {
    let mut kept = Vec::new();
    note(document, &mut kept);
    document.autoformat();
    let mut kept = kept.into_iter();
    restore(document, &mut kept);
    // A trailing slashdashed node gets a stray leading space from kdl-rs.
    if let Some(format) = document.format_mut() {
        let trailing = format.trailing.trim().to_owned();
        format.trailing = if trailing.is_empty() { String::new() } else { format!("{trailing}\n") };
    }
}

fn note(document: &KdlDocument, kept: &mut Vec<Kept>) {
    for (index, node) in document.nodes().iter().enumerate() {
        let format = node.format();
        let comment = format
            .map(|f| f.terminator.trim())
            .filter(|t| t.starts_with("//"))
            .map(str::to_owned);
        let blank_before = index > 0
            && format.is_some_and(|f| f.leading.trim_start_matches([' ', '\t']).starts_with(['\n', '\r']));
        let values = node.entries().iter().map(|entry| entry.format().map(|f| f.value_repr.clone())).collect();
        kept.push(Kept { comment, blank_before, values });
        if let Some(children) = node.children() {
            note(children, kept);
        }
    }
}

fn restore(document: &mut KdlDocument, kept: &mut impl Iterator<Item = Kept>) {
    for node in document.nodes_mut() {
        let Some(notes) = kept.next() else { return };
        restore_node(node, &notes);
        if let Some(children) = node.children_mut() {
            restore(children, kept);
        }
    }
}

fn restore_node(node: &mut KdlNode, notes: &Kept) {
    for (entry, value) in node.entries_mut().iter_mut().zip(&notes.values) {
        if let Some(value_repr) = value.clone().filter(|repr| !repr.is_empty()) {
            entry.set_format(KdlEntryFormat { value_repr, leading: " ".to_owned(), ..KdlEntryFormat::default() });
        }
    }
    let Some(format) = node.format_mut() else { return };
    if let Some(comment) = &notes.comment {
        format.terminator = format!(" {comment}\n");
    }
    if notes.blank_before && !format.leading.starts_with('\n') {
        format.leading.insert(0, '\n');
    }
}
