//! A linear pre-scan of KDL text, run before the KDL parser sees it.
//!
//! kdl 6.7.1 overflows its stack on a few thousand nested `{` and takes exponential time on
//! nested slashdashed blocks (`a /-{ /-{ ...`, kdl-rs#177). This scanner walks the text once,
//! understands strings and comments well enough not to count braces inside them, and
//! reports limits and forbidden characters. It never recurses and never allocates per
//! character.

use super::errors::SyntaxError;
use crate::diag::{Diagnostics, FileId, Span, is_newline};

/// Limits applied before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum file size in bytes.
    pub max_bytes: usize,
    /// Maximum brace nesting depth.
    pub max_depth: usize,
    /// Maximum nesting of slashdashed blocks (`/-{` or `/- node {`).
    pub max_slashdash_depth: usize,
    /// Maximum number of `/-` in a file.
    pub max_slashdashes: usize,
    /// Processor time the KDL parser may take, in seconds (wall-clock time: ten times it).
    pub timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 32,
            max_slashdash_depth: 3,
            max_slashdashes: 1000,
            timeout_seconds: 3,
        }
    }
}

/// How many forbidden characters of one class are reported before the rest is skipped.
const MAX_CHAR_REPORTS: usize = 10;

/// A backstop for the depth guard: `{` minus `}` counted everywhere, strings and comments
/// included. Even if the scanner ever disagreed with kdl-rs about where a string or comment
/// ends, the parser cannot nest deeper than this (kdl-rs uses ~7 KB of stack per level, the
/// parser thread has 256 MB).
pub(crate) const MAX_RAW_BRACE_DEPTH: usize = 1000;

/// Whether `ch` is KDL v2 whitespace (not a newline).
fn is_kdl_space(ch: char) -> bool {
    matches!(
        ch,
        '\t' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// Outcome of the scan.
pub(crate) struct Scan {
    /// A limit was hit or a forbidden character found: the KDL parser must not see this text.
    pub blocked: bool,
    /// The deepest brace nesting seen outside strings and comments.
    #[cfg_attr(not(test), allow(dead_code))]
    pub depth: usize,
    /// Offsets just after a `\n` that ends a line between top-level nodes: outside
    /// strings, comments and braces, not after a line continuation (`\`) or a slashdash
    /// still waiting for its node. kdl-rs parses the text on either side of one as two
    /// documents whose nodes together are the whole document's ([`super::split`]).
    pub boundaries: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    LineComment,
    /// Nested block comment with its depth.
    BlockComment(usize),
    /// `"..."` (escapes allowed; ends at a newline, where kdl-rs recovers).
    Quoted,
    /// `"""..."""` (escapes allowed).
    MultiQuoted,
    /// `#"..."#` with the number of hashes (ends at a newline, like `Quoted`).
    Raw(usize),
    /// `#"""..."""#` with the number of hashes.
    MultiRaw(usize),
}

/// Scan `text` and push one diagnostic per problem (limited per class).
pub(crate) fn scan(diags: &mut Diagnostics, file: FileId, text: &str, limits: &Limits) -> Scan {
    if text.len() > limits.max_bytes {
        let offset = floor_char_boundary(text, limits.max_bytes);
        let len = rest(text, offset).chars().next().map_or(0, char::len_utf8);
        diags.at(
            Span { file, offset, len },
            SyntaxError::TooLarge { limit: limits.max_bytes, span: Span { file, offset, len } },
        );
        return Scan { blocked: true, depth: 0, boundaries: Vec::new() };
    }
    let mut scanner = Scanner {
        diags,
        file,
        text,
        limits,
        blocked: false,
        state: State::Normal,
        opened_at: 0,
        braces: Vec::new(),
        max_depth: 0,
        raw_depth: 0,
        slashdash_depth: 0,
        slashdashes: 0,
        pending_slashdash: None,
        token_after_slashdash: false,
        depth_reported: false,
        slashdash_reported: false,
        reports: [0; 4],
        last: '\n',
        continued: false,
        boundaries: Vec::new(),
    };
    let mut chars = text.char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        scanner.check_char(offset, ch);
        let skip = scanner.step(offset, ch);
        if is_newline(ch) {
            scanner.line_ended(offset, ch);
        }
        for _ in 0..skip {
            chars.next();
        }
    }
    scanner.finish();
    Scan { blocked: scanner.blocked, depth: scanner.max_depth, boundaries: scanner.boundaries }
}

/// The scanner's state between characters.
struct Scanner<'a> {
    diags: &'a mut Diagnostics,
    file: FileId,
    text: &'a str,
    limits: &'a Limits,
    blocked: bool,
    state: State,
    /// Where the string or (outermost) block comment of `state` opened.
    opened_at: usize,
    /// One entry per open brace: its offset and whether it opens a slashdashed block.
    braces: Vec<(usize, bool)>,
    max_depth: usize,
    /// `{` minus `}` in every state (see [`MAX_RAW_BRACE_DEPTH`]).
    raw_depth: usize,
    slashdash_depth: usize,
    slashdashes: usize,
    /// A `/-` seen whose node (or child block) has not started a block yet.
    pending_slashdash: Option<usize>,
    /// Whether a token was seen after the pending slashdash (a newline then ends the node).
    token_after_slashdash: bool,
    depth_reported: bool,
    slashdash_reported: bool,
    reports: [usize; 4],
    /// The previous character seen in the `Normal` state (a newline at the start).
    last: char,
    /// A line continuation (`\`) was seen and the newline it escapes has not.
    continued: bool,
    /// See [`Scan::boundaries`].
    boundaries: Vec<usize>,
}

impl Scanner<'_> {
    fn span(&self, offset: usize, len: usize) -> Span {
        Span { file: self.file, offset, len }
    }

    fn next_byte(&self, offset: usize, ch: char) -> Option<u8> {
        self.text.as_bytes().get(offset + ch.len_utf8()).copied()
    }

    /// Forbidden characters are checked in every state: strings and comments too. Braces
    /// are counted in every state for the raw-depth backstop.
    fn check_char(&mut self, offset: usize, ch: char) {
        let span = self.span(offset, ch.len_utf8());
        if let Some((class, error)) = forbidden(ch, offset, span)
            && let Some(count) = self.reports.get_mut(class)
        {
            *count += 1;
            if *count <= MAX_CHAR_REPORTS {
                self.diags.at(span, error);
            }
            // kdl-rs would add confusing errors of its own for most of these.
            self.blocked = true;
        }
        match ch {
            '{' => {
                self.raw_depth += 1;
                if self.raw_depth > MAX_RAW_BRACE_DEPTH && !self.depth_reported {
                    self.depth_reported = true;
                    self.blocked = true;
                    self.diags.at(span, SyntaxError::TooManyBraces { limit: MAX_RAW_BRACE_DEPTH, span });
                }
            }
            '}' => self.raw_depth = self.raw_depth.saturating_sub(1),
            _ => {}
        }
    }

    /// Advance over one character; returns how many further characters it consumed.
    fn step(&mut self, offset: usize, ch: char) -> usize {
        match self.state {
            State::Normal => {
                let skip = self.normal(offset, ch);
                self.last = ch;
                skip
            }
            State::LineComment => {
                if is_newline(ch) {
                    self.state = State::Normal;
                    self.end_line();
                }
                0
            }
            State::BlockComment(depth) => {
                let next = self.next_byte(offset, ch);
                if ch == '*' && next == Some(b'/') {
                    self.state = if depth <= 1 { State::Normal } else { State::BlockComment(depth - 1) };
                    1
                } else if ch == '/' && next == Some(b'*') {
                    self.state = State::BlockComment(depth + 1);
                    1
                } else {
                    0
                }
            }
            State::Quoted | State::MultiQuoted => self.quoted(offset, ch),
            State::Raw(hashes) | State::MultiRaw(hashes) => {
                let single = matches!(self.state, State::Raw(_));
                let quotes = if single { 1 } else { 3 };
                let tail = rest(self.text, offset);
                if ch == '"'
                    && tail.len() >= quotes + hashes
                    && tail.bytes().take(quotes).all(|b| b == b'"')
                    && tail.bytes().skip(quotes).take(hashes).all(|b| b == b'#')
                {
                    self.state = State::Normal;
                    quotes + hashes - 1
                } else {
                    if single && is_newline(ch) {
                        self.state = State::Normal;
                        self.end_line();
                    }
                    0
                }
            }
        }
    }

    fn quoted(&mut self, offset: usize, ch: char) -> usize {
        let tail = rest(self.text, offset);
        if ch == '\\' {
            let after = rest(tail, 1);
            if after.starts_with(|c: char| is_kdl_space(c) || is_newline(c)) {
                // A whitespace escape: every following space and newline is part of it.
                return after.chars().take_while(|c| is_kdl_space(*c) || is_newline(*c)).count();
            }
            // Skip the escaped character (an escaped quote must not end the string);
            // non-ASCII ones are left to the character check.
            return usize::from(after.starts_with(|c: char| c.is_ascii()));
        }
        if ch == '"' {
            if self.state == State::Quoted {
                self.state = State::Normal;
            } else if tail.starts_with("\"\"\"") {
                self.state = State::Normal;
                return 2;
            }
        } else if self.state == State::Quoted && is_newline(ch) {
            // kdl-rs reports the unclosed string and goes on parsing after the newline.
            self.state = State::Normal;
            self.end_line();
        }
        0
    }

    fn normal(&mut self, offset: usize, ch: char) -> usize {
        let next = self.next_byte(offset, ch);
        let tail = rest(self.text, offset);
        match ch {
            '/' if next == Some(b'/') => self.state = State::LineComment,
            '/' if next == Some(b'*') => {
                self.opened_at = offset;
                self.state = State::BlockComment(1);
                return 1;
            }
            '/' if next == Some(b'-') => {
                self.slashdash(offset);
                return 1;
            }
            '"' => {
                self.opened_at = offset;
                self.token_after_slashdash = true;
                if tail.starts_with("\"\"\"") {
                    self.state = State::MultiQuoted;
                    return 2;
                }
                self.state = State::Quoted;
            }
            '#' => {
                self.token_after_slashdash = true;
                let hashes = tail.bytes().take_while(|b| *b == b'#').count();
                let after = rest(self.text, offset + hashes);
                if after.starts_with('"') {
                    self.opened_at = offset;
                    if after.starts_with("\"\"\"") {
                        self.state = State::MultiRaw(hashes);
                        return hashes - 1 + 3;
                    }
                    self.state = State::Raw(hashes);
                    return hashes;
                }
            }
            '{' => self.open_brace(offset),
            '}' => {
                self.pending_slashdash = None;
                if self.braces.pop().is_some_and(|(_, slashdashed)| slashdashed) {
                    self.slashdash_depth = self.slashdash_depth.saturating_sub(1);
                }
            }
            ';' => self.pending_slashdash = None,
            c if is_newline(c) => self.end_line(),
            // A line continuation: the node goes on after the newline.
            '\\' => {
                self.token_after_slashdash = false;
                self.continued = true;
            }
            c if c.is_whitespace() || c == '\u{FEFF}' => {}
            c if (c.is_ascii_digit() || c == '+' || c == '-') && starts_value(self.last) => {
                self.token_after_slashdash = true;
                self.number(offset);
            }
            _ => self.token_after_slashdash = true,
        }
        0
    }

    /// A number too large for the parser's 128-bit integers is one clear error here: kdl-rs
    /// would report it as several confusing ones (expected end of document, an invalid
    /// node name, unclosed blocks). Anything else is left to the parser.
    fn number(&mut self, offset: usize) {
        let tail = rest(self.text, offset);
        let len = tail.find(|c: char| ends_value(c)).unwrap_or(tail.len());
        let token = tail.get(..len).unwrap_or("");
        if !integer_overflows(token) {
            return;
        }
        self.blocked = true;
        if let Some(count) = self.reports.get_mut(3) {
            *count += 1;
            if *count <= MAX_CHAR_REPORTS {
                let span = self.span(offset, len);
                self.diags.at(span, SyntaxError::NumberTooLarge { span });
            }
        }
    }

    /// After a newline character was stepped over: note a boundary between top-level nodes.
    /// Only a `\n` ends one (so a CRLF pair stays whole); a `\r` before it waits for it.
    fn line_ended(&mut self, offset: usize, ch: char) {
        if ch == '\r' && self.next_byte(offset, ch) == Some(b'\n') {
            return;
        }
        if self.state != State::Normal {
            return;
        }
        if ch == '\n' && !self.continued && self.braces.is_empty() && self.pending_slashdash.is_none() {
            self.boundaries.push(offset + 1);
        }
        self.continued = false;
    }

    /// A newline outside strings and block comments ends a slashdashed node that has begun.
    fn end_line(&mut self) {
        if self.token_after_slashdash {
            self.pending_slashdash = None;
        }
    }

    fn slashdash(&mut self, offset: usize) {
        self.slashdashes += 1;
        if self.slashdashes > self.limits.max_slashdashes && !self.slashdash_reported {
            self.slashdash_reported = true;
            self.blocked = true;
            let span = self.span(offset, 2);
            self.diags.at(span, SyntaxError::TooManySlashdashes { limit: self.limits.max_slashdashes, span });
        }
        self.pending_slashdash = Some(offset);
        self.token_after_slashdash = false;
    }

    fn open_brace(&mut self, offset: usize) {
        let slashdashed = self.pending_slashdash.take();
        if let Some(sd_offset) = slashdashed {
            self.slashdash_depth += 1;
            if self.slashdash_depth > self.limits.max_slashdash_depth && !self.slashdash_reported {
                self.slashdash_reported = true;
                self.blocked = true;
                let span = self.span(sd_offset, 2);
                self.diags.at(span, SyntaxError::NestedSlashdash { limit: self.limits.max_slashdash_depth, span });
            }
        }
        self.braces.push((offset, slashdashed.is_some()));
        self.max_depth = self.max_depth.max(self.braces.len());
        if self.braces.len() > self.limits.max_depth && !self.depth_reported {
            self.depth_reported = true;
            self.blocked = true;
            let span = self.span(offset, 1);
            self.diags.at(span, SyntaxError::TooDeep { limit: self.limits.max_depth, span });
        }
    }

    /// At the end of the text: a comment, string or block still open is reported at its
    /// opener (kdl-rs would label everything from there, or the whole file, to the end).
    fn finish(&mut self) {
        if self.blocked {
            return;
        }
        let opener = |len: usize| Span { file: self.file, offset: self.opened_at, len };
        let error = match self.state {
            State::Normal | State::LineComment => match self.braces.last() {
                Some(&(offset, _)) => {
                    let span = self.span(offset, 1);
                    SyntaxError::UnclosedBlock { span }
                }
                None => return,
            },
            State::BlockComment(_) => SyntaxError::UnclosedComment { span: opener(2) },
            State::Quoted => SyntaxError::UnclosedString { span: opener(1) },
            State::MultiQuoted => SyntaxError::UnclosedString { span: opener(3) },
            State::Raw(hashes) => SyntaxError::UnclosedString { span: opener(hashes + 1) },
            State::MultiRaw(hashes) => SyntaxError::UnclosedString { span: opener(hashes + 3) },
        };
        self.blocked = true;
        self.diags.push(Some(self.file), error);
    }
}

/// Whether `ch` is refused anywhere in a spec (bidi controls, invisible characters, NUL;
/// a byte-order mark only counts past the start of the file, so it counts here).
pub(crate) fn is_forbidden(ch: char) -> bool {
    forbidden(ch, 1, Span { file: FileId(0), offset: 0, len: 0 }).is_some()
}

/// The class (index into the report counters) and error of a forbidden character.
fn forbidden(ch: char, offset: usize, span: Span) -> Option<(usize, SyntaxError)> {
    let name = match ch {
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{FEFF}' if offset > 0 => "BYTE ORDER MARK",
        '\0' => return Some((2, SyntaxError::NulCharacter { span })),
        _ => return None,
    };
    let codepoint = format!("U+{:04X} ({name})", u32::from(ch));
    if matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
        Some((0, SyntaxError::BidiCharacter { codepoint, span }))
    } else {
        Some((1, SyntaxError::InvisibleCharacter { codepoint, span }))
    }
}

/// Whether a value may start after `previous` (a character in the `Normal` state): a
/// digit or sign after a letter or `-` is part of an identifier.
fn starts_value(previous: char) -> bool {
    is_kdl_space(previous) || is_newline(previous) || matches!(previous, '=' | '(' | ')' | '{' | '}' | ';')
}

/// Whether `ch` ends a number token.
fn ends_value(ch: char) -> bool {
    is_kdl_space(ch) || is_newline(ch) || matches!(ch, ';' | '{' | '}' | '(' | ')' | '=' | '/' | '"' | '#' | '\\')
}

/// Whether `token` is a KDL integer (decimal, `0x`, `0o` or `0b`, with `_` separators) whose
/// value does not fit in an `i128`, the parser's integer type.
fn integer_overflows(token: &str) -> bool {
    let (negative, unsigned) = match token.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
        None => (false, token.strip_prefix('+').unwrap_or(token)),
    };
    let (radix, digits) = [(16, "0x"), (8, "0o"), (2, "0b")]
        .into_iter()
        .find_map(|(radix, prefix)| unsigned.strip_prefix(prefix).map(|digits| (radix, digits)))
        .unwrap_or((10, unsigned));
    if !digits.starts_with(|c: char| c.is_digit(radix)) || !digits.chars().all(|c| c == '_' || c.is_digit(radix)) {
        return false; // a float, an identifier or an invalid number: the parser's business
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let signed = if negative { format!("-{digits}") } else { digits };
    matches!(
        i128::from_str_radix(&signed, radix).map_err(|error| *error.kind()),
        Err(std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow)
    )
}

/// The text from `offset` on (empty if `offset` is not a char boundary).
fn rest(text: &str, offset: usize) -> &str {
    text.get(offset..).unwrap_or("")
}

/// The largest char boundary not above `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests;
