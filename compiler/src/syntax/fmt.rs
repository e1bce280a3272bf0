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
    /// Whether a blank line preceded the node and its comments (not for a block's first node).
    blank_before: bool,
    /// Whether a blank line separated the node's leading comments from the node.
    blank_after_comments: bool,
    /// Each entry's value as written (`"shop"`, `0x10`, `#true`).
    values: Vec<Option<String>>,
    /// For a node with a block: whether a blank line preceded comments after its last child.
    blank_before_block_end: bool,
}

/// Auto-format `document` in place, keeping end-of-line comments and blank lines.
pub(super) fn autoformat(document: &mut KdlDocument, text: &str) {
    let mut kept = Vec::new();
    note(document, text, 0, &mut kept);
    document.autoformat();
    let mut kept = kept.into_iter();
    restore(document, 0, &mut kept);
    // A trailing slashdashed node gets a stray leading space from kdl-rs.
    if let Some(format) = document.format_mut() {
        let trailing = format.trailing.trim().to_owned();
        format.trailing = if trailing.is_empty() { String::new() } else { format!("{trailing}\n") };
    }
}

/// `block_start` is where the enclosing block (or the file) starts.
fn note(document: &KdlDocument, text: &str, block_start: usize, kept: &mut Vec<Kept>) {
    let mut previous_end = block_start;
    for (index, node) in document.nodes().iter().enumerate() {
        let format = node.format();
        let comment = format.map(|f| f.terminator.trim()).filter(|t| t.starts_with("//")).map(str::to_owned);
        let name_start = node.name().span().offset();
        let gap = text.get(previous_end..name_start).unwrap_or("");
        // The first line of the gap is the rest of the previous node's (or the block's) line.
        let mut lines: Vec<&str> = gap.lines().collect();
        if (index > 0 || block_start > 0) && !lines.is_empty() {
            lines.remove(0);
        }
        if gap.ends_with('\n') {
            lines.push("");
        }
        // The last line is the node's own indentation.
        lines.pop();
        let first_text = lines.iter().position(|l| !l.trim().is_empty());
        let last_text = lines.iter().rposition(|l| !l.trim().is_empty());
        let blank_before =
            index > 0 && lines.iter().take(first_text.unwrap_or(lines.len())).any(|l| l.trim().is_empty());
        let blank_after_comments =
            last_text.is_some_and(|last| lines.iter().skip(last + 1).any(|l| l.trim().is_empty()));
        previous_end = node.span().offset() + node.span().len();
        let values = node.entries().iter().map(|entry| entry.format().map(|f| f.value_repr.clone())).collect();
        let blank_before_block_end = node.children().and_then(KdlDocument::format).is_some_and(|f| {
            // The previous line's newline is the last child's terminator, so an empty line
            // here is a blank line in the text.
            let lines: Vec<&str> = f.trailing.lines().collect();
            lines
                .iter()
                .take_while(|l| !l.trim().starts_with("//") && !l.trim().starts_with("/*"))
                .any(|l| l.trim().is_empty())
                && lines.iter().any(|l| !l.trim().is_empty())
        });
        kept.push(Kept { comment, blank_before, blank_after_comments, values, blank_before_block_end });
        if let Some(children) = node.children() {
            note(children, text, name_start.max(1), kept);
        }
    }
}

fn restore(document: &mut KdlDocument, depth: usize, kept: &mut impl Iterator<Item = Kept>) {
    for node in document.nodes_mut() {
        let Some(notes) = kept.next() else { return };
        restore_node(node, &notes);
        if let Some(children) = node.children_mut() {
            restore(children, depth + 1, kept);
            restore_block_end(children, depth, notes.blank_before_block_end);
        }
    }
}

/// Comments after the last child of a block: kdl-rs puts them on the last child's line
/// with a stray space; put them on their own lines at the children's indentation.
fn restore_block_end(children: &mut KdlDocument, depth: usize, blank_before: bool) {
    let Some(format) = children.format_mut() else { return };
    let comments: Vec<String> =
        format.trailing.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect();
    if comments.is_empty() {
        return;
    }
    let mut trailing = String::new();
    if blank_before {
        trailing.push('\n');
    }
    for comment in comments {
        trailing.push_str(&"    ".repeat(depth + 1));
        trailing.push_str(&comment);
        trailing.push('\n');
    }
    trailing.push_str(&"    ".repeat(depth));
    format.trailing = trailing;
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
    if notes.blank_after_comments {
        // The leading is comment lines, then the indentation of the node.
        let indent_at = format.leading.rfind('\n').map_or(0, |i| i + 1);
        format.leading.insert(indent_at, '\n');
    }
    if notes.blank_before && !format.leading.starts_with('\n') {
        format.leading.insert(0, '\n');
    }
}
