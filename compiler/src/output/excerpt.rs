//! Bounded source excerpts for reports: the lines a diagnostic's labels need, each long
//! line clipped to windows around the labels, with KDL's line ends.
//!
//! miette's graphical handler reads a whole file per label and draws every line it is
//! given: a 70 KB line or 17,000 tabs made it panic (columns past 65,535), and a long line
//! repeated under each of thousands of diagnostics made reports quadratic. Here each
//! diagnostic gets a small text of its own (only the labelled lines and one line of context
//! around them, long lines cut to windows around the label ends, labels spanning many
//! lines cut to their first line) and a [`SourceCode`] over it that reports the real line
//! numbers and columns. Every KDL v2 newline (CR, LF, CRLF, NEL, VT, FF, LS, PS) ends a
//! line, for the drawing and for [`Lines::line_column`] alike.

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A line longer than this (in bytes) is clipped.
const MAX_LINE_BYTES: usize = 200;
/// Bytes kept on each side of a label end on a clipped line.
const WINDOW_BYTES: usize = 60;
/// A label spanning more lines than this is drawn on its first line only.
const MAX_LABEL_LINES: usize = 8;
/// Marks text left out of a clipped line.
const ELLIPSIS: &str = "…";

/// Where each line of a text starts and ends, with KDL's line ends.
#[derive(Debug)]
pub(crate) struct Lines {
    /// (start, end of content, end including the line end) per line.
    lines: Vec<(usize, usize, usize)>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((offset, ch)) = chars.next() {
            if crate::diag::is_newline(ch) {
                let mut end = offset + ch.len_utf8();
                if ch == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n') {
                    chars.next();
                    end += 1;
                }
                lines.push((start, offset, end));
                start = end;
            }
        }
        lines.push((start, text.len(), text.len()));
        Self { lines }
    }

    /// The 0-based index of the line holding byte `offset`.
    fn index(&self, offset: usize) -> usize {
        self.lines.partition_point(|(_, _, end)| *end <= offset).min(self.lines.len() - 1)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let index = self.index(offset);
        let start = self.lines[index].0;
        let offset = offset.min(text.len()).max(start);
        let column = text.get(start..offset).map_or(1, |prefix| prefix.chars().count() + 1);
        (index + 1, column)
    }
}

/// The clipped lines one diagnostic needs, as a miette [`SourceCode`].
#[derive(Debug)]
pub(crate) struct Excerpt {
    name: String,
    text: String,
    /// Per excerpt line: its real 0-based line number, its start and end (with the `\n`)
    /// in `text`, and the real offset of its first byte.
    lines: Vec<ExcerptLine>,
    /// Kept pieces: (real offset, excerpt offset, length), in order.
    pieces: Vec<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
struct ExcerptLine {
    number: usize,
    start: usize,
    end: usize,
    real_start: usize,
}

impl Excerpt {
    /// The excerpt of `text` for `labels` (real offsets), and the labels moved into it.
    pub(crate) fn new(name: &str, text: &str, lines: &Lines, labels: &[LabeledSpan]) -> (Self, Vec<LabeledSpan>) {
        let last = lines.lines.len() - 1;
        // Labels clipped to a few lines, as real (start, end).
        let clipped: Vec<(usize, usize)> = labels
            .iter()
            .map(|label| {
                let start = label.offset().min(text.len());
                let end = start.saturating_add(label.len()).min(text.len());
                let (first, end_line) = (lines.index(start), lines.index(end.saturating_sub(1).max(start)));
                if end_line - first >= MAX_LABEL_LINES {
                    (start, lines.lines[first].1.max(start))
                } else {
                    (start, end)
                }
            })
            .collect();
        // The empty line after a final newline is never context (as in miette).
        let context_end = if last > 0 && lines.lines[last].0 == text.len() { last - 1 } else { last };
        let mut needed: Vec<usize> = Vec::new();
        for &(start, end) in &clipped {
            let first = lines.index(start);
            let end_line = lines.index(end.saturating_sub(1).max(start));
            needed.extend(first.saturating_sub(1)..=end_line.max((end_line + 1).min(context_end)));
        }
        needed.sort_unstable();
        needed.dedup();
        let points: Vec<usize> = clipped.iter().flat_map(|&(start, end)| [start, end]).collect();
        let mut excerpt = Self { name: name.to_owned(), text: String::new(), lines: Vec::new(), pieces: Vec::new() };
        for number in needed {
            let (start, content_end, _) = lines.lines[number];
            excerpt.push_line(text, number, start, content_end, &points);
        }
        let moved = labels
            .iter()
            .zip(&clipped)
            .map(|(label, &(start, end))| {
                let (from, to) = (excerpt.map(start), excerpt.map(end));
                LabeledSpan::new_with_span(
                    label.label().map(clip_label),
                    SourceSpan::new(from.into(), to.saturating_sub(from)),
                )
            })
            .collect();
        (excerpt, moved)
    }

    fn push_line(&mut self, text: &str, number: usize, start: usize, end: usize, points: &[usize]) {
        let line_start = self.text.len();
        let windows = if end - start <= MAX_LINE_BYTES {
            vec![(start, end)]
        } else {
            let mut on_line: Vec<usize> = points.iter().copied().filter(|p| (start..=end).contains(p)).collect();
            if on_line.is_empty() {
                on_line.push(start);
            }
            on_line.sort_unstable();
            let mut windows: Vec<(usize, usize)> = Vec::new();
            for point in on_line {
                let from = floor(text, point.saturating_sub(WINDOW_BYTES).max(start));
                let to = ceil(text, (point + WINDOW_BYTES).min(end));
                match windows.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => windows.push((from, to)),
                }
            }
            windows
        };
        let mut cursor = start;
        for (from, to) in windows {
            if from > cursor {
                self.text.push_str(ELLIPSIS);
            }
            self.pieces.push((from, self.text.len(), to - from));
            self.text.push_str(text.get(from..to).unwrap_or(""));
            cursor = to;
        }
        if cursor < end {
            self.text.push_str(ELLIPSIS);
        }
        self.text.push('\n');
        self.lines.push(ExcerptLine { number, start: line_start, end: self.text.len(), real_start: start });
    }

    /// A real offset in the excerpt (the start of the next kept piece if it was cut out).
    fn map(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|(real, _, len)| real + len < offset);
        match self.pieces.get(index) {
            Some(&(real, at, _)) if offset >= real => at + (offset - real),
            Some(&(_, at, _)) => at,
            None => self.text.len().saturating_sub(1),
        }
    }

    /// The real offset of an excerpt offset (for columns).
    fn unmap(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|(_, at, len)| at + len < offset);
        match self.pieces.get(index) {
            Some(&(real, at, _)) if offset >= at => real + (offset - at),
            Some(&(real, _, _)) => real,
            None => self.pieces.last().map_or(0, |(real, _, len)| real + len),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.lines.partition_point(|line| line.end <= offset).min(self.lines.len().saturating_sub(1))
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, len) = (span.offset(), span.len());
        if self.lines.is_empty() || start > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.line_of(start);
        let end_line = self.line_of((start + len).saturating_sub(1).max(start));
        let mut first = first_line;
        for _ in 0..context_lines_before {
            match (first.checked_sub(1).and_then(|i| self.lines.get(i)), self.lines.get(first)) {
                (Some(before), Some(this)) if before.number + 1 == this.number => first -= 1,
                _ => break,
            }
        }
        let mut last = end_line;
        for _ in 0..context_lines_after {
            match (self.lines.get(last), self.lines.get(last + 1)) {
                (Some(this), Some(after)) if this.number + 1 == after.number => last += 1,
                _ => break,
            }
        }
        let (from, column) = if context_lines_before == 0 {
            let line = self.lines[first_line];
            (start, self.unmap(start).saturating_sub(line.real_start))
        } else {
            (self.lines[first].start, 0)
        };
        let to = if context_lines_before == 0 && context_lines_after == 0 {
            (start + len).min(self.text.len())
        } else {
            self.lines[last].end
        };
        let data = self.text.as_bytes().get(from..to.max(from)).ok_or(MietteError::OutOfBounds)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::new(from.into(), data.len()),
            self.lines[first].number,
            column,
            last - first + 1,
        )))
    }
}

/// At most `max` characters of `text`, with `…` when cut.
pub(crate) fn clip_text(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}{ELLIPSIS}", &text[..cut]),
        None => text.to_owned(),
    }
}

fn clip_label(text: &str) -> String {
    clip_text(text, 200)
}

fn floor(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil(text: &str, mut index: usize) -> usize {
    while index < text.len() && !text.is_char_boundary(index) {
        index += 1;
    }
    index.min(text.len())
}
