//! A linear pre-scan of KDL text, run before the KDL parser sees it.
//!
//! kdl 6.7.1 overflows its stack on a few thousand nested `{` and takes exponential time on
//! nested slashdashed blocks (`a /-{ /-{ ...`, kdl-rs#177). This scanner walks the text once,
//! understands strings and comments well enough not to count braces inside them, and
//! reports limits and forbidden characters. It never recurses and never allocates per
//! character.

use super::errors::SyntaxError;
use crate::diag::{Diagnostics, FileId, Span};

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
    /// Time the KDL parser may take, in seconds.
    pub timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 32,
            max_slashdash_depth: 3,
            max_slashdashes: 1000,
            timeout_seconds: 5,
        }
    }
}

/// How many forbidden characters of one class are reported before the rest is skipped.
const MAX_CHAR_REPORTS: usize = 10;

/// Outcome of the scan.
pub(crate) struct Scan {
    /// A limit was hit or a forbidden character found: the KDL parser must not see this text.
    pub blocked: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    LineComment,
    /// Nested block comment with its depth.
    BlockComment(usize),
    /// `"..."` (escapes allowed).
    Quoted,
    /// `"""..."""` (escapes allowed).
    MultiQuoted,
    /// `#"..."#` with the number of hashes.
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
            SyntaxError::TooLarge { size: text.len(), limit: limits.max_bytes, span: Span { file, offset, len } },
        );
        return Scan { blocked: true };
    }

    let bytes = text.as_bytes();
    let mut blocked = false;
    let mut state = State::Normal;
    // One entry per open brace: whether it opens a slashdashed block.
    let mut braces: Vec<bool> = Vec::new();
    let mut slashdash_depth = 0usize;
    let mut slashdashes = 0usize;
    // A `/-` seen whose node (or child block) has not started a block yet.
    let mut pending_slashdash: Option<usize> = None;
    // Whether a token was seen after the pending slashdash (a newline then ends the node).
    let mut token_after_slashdash = false;
    let mut depth_reported = false;
    let mut slashdash_reported = false;
    let mut reports = [0usize; 3];

    let mut chars = text.char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        let len = ch.len_utf8();
        let span = Span { file, offset, len };
        // Forbidden characters are checked in every state: strings and comments too.
        if let Some((class, error)) = forbidden(ch, offset, span)
            && let Some(count) = reports.get_mut(class)
        {
            *count += 1;
            if *count <= MAX_CHAR_REPORTS {
                diags.at(span, error);
            }
            // kdl-rs would add confusing errors of its own for most of these.
            blocked = true;
        }
        let next = bytes.get(offset + len).copied();
        match state {
            State::Normal => match ch {
                '/' if next == Some(b'/') => state = State::LineComment,
                '/' if next == Some(b'*') => {
                    chars.next();
                    state = State::BlockComment(1);
                }
                '/' if next == Some(b'-') => {
                    chars.next();
                    slashdashes += 1;
                    if slashdashes > limits.max_slashdashes && !slashdash_reported {
                        slashdash_reported = true;
                        blocked = true;
                        let span = Span { file, offset, len: 2 };
                        diags.at(span, SyntaxError::TooManySlashdashes { limit: limits.max_slashdashes, span });
                    }
                    pending_slashdash = Some(offset);
                    token_after_slashdash = false;
                }
                '"' => {
                    if rest(text, offset).starts_with("\"\"\"") {
                        chars.next();
                        chars.next();
                        state = State::MultiQuoted;
                    } else {
                        state = State::Quoted;
                    }
                    token_after_slashdash = true;
                }
                '#' => {
                    let hashes = rest(text, offset).bytes().take_while(|b| *b == b'#').count();
                    let after = rest(text, offset + hashes);
                    if after.starts_with('"') {
                        for _ in 1..hashes {
                            chars.next();
                        }
                        if after.starts_with("\"\"\"") {
                            for _ in 0..3 {
                                chars.next();
                            }
                            state = State::MultiRaw(hashes);
                        } else {
                            chars.next();
                            state = State::Raw(hashes);
                        }
                    }
                    token_after_slashdash = true;
                }
                '{' => {
                    let slashdashed = pending_slashdash.take();
                    if let Some(sd_offset) = slashdashed {
                        slashdash_depth += 1;
                        if slashdash_depth > limits.max_slashdash_depth && !slashdash_reported {
                            slashdash_reported = true;
                            blocked = true;
                            let span = Span { file, offset: sd_offset, len: 2 };
                            diags.at(span, SyntaxError::NestedSlashdash { limit: limits.max_slashdash_depth, span });
                        }
                    }
                    braces.push(slashdashed.is_some());
                    if braces.len() > limits.max_depth && !depth_reported {
                        depth_reported = true;
                        blocked = true;
                        diags.at(span, SyntaxError::TooDeep { limit: limits.max_depth, span });
                    }
                }
                '}' => {
                    pending_slashdash = None;
                    if braces.pop() == Some(true) {
                        slashdash_depth = slashdash_depth.saturating_sub(1);
                    }
                }
                ';' => pending_slashdash = None,
                '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{0B}' | '\u{0C}' => {
                    if token_after_slashdash {
                        pending_slashdash = None;
                    }
                }
                '\\' => {
                    // A line continuation: the node goes on after the newline.
                    token_after_slashdash = false;
                }
                c if c.is_whitespace() || c == '\u{FEFF}' => {}
                _ => token_after_slashdash = true,
            },
            State::LineComment => {
                if matches!(ch, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{0C}') {
                    state = State::Normal;
                    if token_after_slashdash {
                        pending_slashdash = None;
                    }
                }
            }
            State::BlockComment(depth) => {
                if ch == '*' && next == Some(b'/') {
                    chars.next();
                    state = if depth <= 1 { State::Normal } else { State::BlockComment(depth - 1) };
                } else if ch == '/' && next == Some(b'*') {
                    chars.next();
                    state = State::BlockComment(depth + 1);
                }
            }
            State::Quoted | State::MultiQuoted => {
                if ch == '\\' && next.is_some_and(|b| b.is_ascii()) {
                    // Skip the escaped character (an escaped quote must not end the string);
                    // non-ASCII ones are left to the character check.
                    chars.next();
                } else if ch == '"' {
                    if state == State::Quoted {
                        state = State::Normal;
                    } else if rest(text, offset).starts_with("\"\"\"") {
                        chars.next();
                        chars.next();
                        state = State::Normal;
                    }
                }
            }
            State::Raw(hashes) | State::MultiRaw(hashes) => {
                let quotes = if matches!(state, State::Raw(_)) { 1 } else { 3 };
                let tail = rest(text, offset);
                if ch == '"'
                    && tail.len() >= quotes + hashes
                    && tail.bytes().take(quotes).all(|b| b == b'"')
                    && tail.bytes().skip(quotes).take(hashes).all(|b| b == b'#')
                {
                    for _ in 1..quotes + hashes {
                        chars.next();
                    }
                    state = State::Normal;
                }
            }
        }
    }
    Scan { blocked }
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
