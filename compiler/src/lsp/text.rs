//! Byte offsets to LSP positions (line, UTF-16 column) and back, and edits of a document.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// Line starts of one text.
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    /// Index `text`'s lines (`\n`, `\r\n` and `\r` end a line, as LSP says).
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
            i += 1;
        }
        Self { text, starts }
    }

    /// The position of a byte offset (clamped to the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = self
            .text
            .get(start..)
            .unwrap_or_default()
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        Position { line: u32::try_from(line).unwrap_or(u32::MAX), character: u32::try_from(column).unwrap_or(u32::MAX) }
    }

    /// The range of a byte range.
    pub fn range(&self, range: std::ops::Range<usize>) -> Range {
        Range { start: self.position(range.start), end: self.position(range.end) }
    }

    /// The byte offset of a position (clamped to its line and the text).
    pub fn offset(&self, position: Position) -> usize {
        let line = usize::try_from(position.line).unwrap_or(usize::MAX);
        let Some(&start) = self.starts.get(line) else { return self.text.len() };
        let end = self.starts.get(line + 1).copied().unwrap_or(self.text.len());
        let wanted = usize::try_from(position.character).unwrap_or(usize::MAX);
        let mut column = 0;
        for (i, c) in self.text.get(start..end).unwrap_or_default().char_indices() {
            if column >= wanted || c == '\n' || c == '\r' {
                return start + i;
            }
            column += c.len_utf16();
        }
        end
    }
}

/// Apply an LSP content change to `text`.
pub fn apply(text: &mut String, change: &TextDocumentContentChangeEvent) {
    match change.range {
        None => text.clone_from(&change.text),
        Some(range) => {
            let lines = Lines::new(text);
            let start = lines.offset(range.start);
            let end = lines.offset(range.end).max(start);
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                text.replace_range(start..end, &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\né😀x\r\nz";
        let lines = Lines::new(text);
        assert_eq!(lines.position(0), Position { line: 0, character: 0 });
        let x = text.find('x').unwrap_or_default();
        assert_eq!(lines.position(x), Position { line: 1, character: 3 });
        assert_eq!(lines.offset(Position { line: 1, character: 3 }), x);
        assert_eq!(lines.offset(Position { line: 2, character: 0 }), text.len() - 1);
        assert_eq!(lines.offset(Position { line: 9, character: 0 }), text.len());
    }

    #[test]
    fn incremental_changes() {
        let mut text = "port \"http\" 8080\n".to_owned();
        let change = TextDocumentContentChangeEvent {
            range: Some(Range { start: Position { line: 0, character: 12 }, end: Position { line: 0, character: 16 } }),
            range_length: None,
            text: "9090".into(),
        };
        apply(&mut text, &change);
        assert_eq!(text, "port \"http\" 9090\n");
    }
}
