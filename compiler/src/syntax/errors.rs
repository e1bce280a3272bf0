//! Errors of the `syntax` stage: hostile-input limits, forbidden characters, KDL syntax
//! errors and repeated properties.
//!
//! Rendered (unicode, no colour) a limit error reads:
//! ```text
//!   × braces nest deeper than 32 levels
//!    ╭─[spec.kdl:33:3]
//!  32 │ a {
//!  33 │ a {
//!    ·   ┬
//!    ·   ╰── level 33 opens here
//!    ╰────
//!   help: flatten the spec: Berth's language never needs more than a few levels
//! ```

use crate::diag::Span;

/// A problem found while reading KDL text.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SyntaxError {
    /// The file is not UTF-8.
    #[error("file is not UTF-8: byte {byte} cannot start or continue a character")]
    #[diagnostic(
        code(syntax::not_utf8),
        help("save the file as UTF-8 (a spec in Latin-1 or UTF-16 must be converted, e.g. with `iconv -t UTF-8`)")
    )]
    NotUtf8 {
        /// The first invalid byte, as `0xFF`.
        byte: String,
        /// The first invalid byte (shown as U+FFFD).
        #[label("not UTF-8")]
        span: Span,
    },

    /// The file is larger than the input limit; it is not parsed at all.
    #[error("file is larger than the limit of {limit} bytes")]
    #[diagnostic(
        code(syntax::too_large),
        help(
            "a spec is never this large: move clouds, backing kinds and defaults into `--lib` files (each has the same limit), or look for generated or pasted text"
        )
    )]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The first character past the limit.
        #[label("the limit is reached here")]
        span: Span,
    },

    /// Braces nest deeper than the limit (deep nesting overflows the KDL parser's stack).
    #[error("braces nest deeper than {limit} levels")]
    #[diagnostic(code(syntax::too_deep), help("flatten the spec: Berth's language never needs more than a few levels"))]
    TooDeep {
        /// The maximum depth.
        limit: usize,
        /// The brace that opens one level too many.
        #[label("level {} opens here", limit + 1)]
        span: Span,
    },

    /// More `{` than `}` by the backstop limit, counting strings and comments too.
    #[error("more than {limit} unmatched `{{` in the file")]
    #[diagnostic(
        code(syntax::too_many_braces),
        help("close the blocks, or write long runs of `{{` in a string with fewer braces")
    )]
    TooManyBraces {
        /// The maximum count.
        limit: usize,
        /// The brace one past the limit.
        #[label("unmatched `{{` number {} is here", limit + 1)]
        span: Span,
    },

    /// A child block is still open at the end of the file.
    #[error("this block is never closed")]
    #[diagnostic(code(syntax::unclosed_block), help("add the missing `}}` where the block ends"))]
    UnclosedBlock {
        /// The `{` without its `}` (the innermost one still open at the end).
        #[label("opened here, still open at the end of the file")]
        span: Span,
    },

    /// A block comment is still open at the end of the file.
    #[error("this comment is never closed")]
    #[diagnostic(
        code(syntax::unclosed_comment),
        help("end the comment with `*/` (block comments nest: each `/*` needs its own `*/`)")
    )]
    UnclosedComment {
        /// The `/*` that opened it.
        #[label("opened here, still open at the end of the file")]
        span: Span,
    },

    /// A string is still open at the end of the file.
    #[error("this string is never closed")]
    #[diagnostic(code(syntax::unclosed_string), help("end the string with the same quotes (and `#`s) it starts with"))]
    UnclosedString {
        /// The opening quote.
        #[label("opened here, still open at the end of the file")]
        span: Span,
    },

    /// Slashdash-commented child blocks nest too deeply (the KDL parser takes exponential
    /// time on them, kdl-rs#177).
    #[error("slashdashed blocks nest deeper than {limit} levels")]
    #[diagnostic(
        code(syntax::nested_slashdash),
        help("delete the commented-out blocks instead of nesting `/-` inside `/-`")
    )]
    NestedSlashdash {
        /// The maximum nesting of slashdashed blocks.
        limit: usize,
        /// The slashdash that goes one level too deep.
        #[label("this `/-` goes one level too deep")]
        span: Span,
    },

    /// Too many slashdash comments in one file.
    #[error("more than {limit} slashdash (`/-`) comments")]
    #[diagnostic(code(syntax::too_many_slashdashes), help("delete commented-out code instead of slashdashing it"))]
    TooManySlashdashes {
        /// The maximum count.
        limit: usize,
        /// The first slashdash past the limit.
        #[label("slashdash number {} is here", limit + 1)]
        span: Span,
    },

    /// A bidirectional control character: it can make text display in a different order
    /// than it is parsed (Trojan Source, CVE-2021-42574).
    #[error("bidirectional control character {codepoint} in source")]
    #[diagnostic(
        code(syntax::bidi_character),
        help("remove it: it can make the spec display differently from how it is read")
    )]
    BidiCharacter {
        /// `U+202E` and its name.
        codepoint: String,
        /// The character.
        #[label("invisible {codepoint} here")]
        span: Span,
    },

    /// A zero-width character or a byte-order mark after the start of the file.
    #[error("invisible character {codepoint} in source")]
    #[diagnostic(
        code(syntax::invisible_character),
        help("remove it: invisible characters make equal-looking names differ")
    )]
    InvisibleCharacter {
        /// `U+200B` and its name.
        codepoint: String,
        /// The character.
        #[label("invisible {codepoint} here")]
        span: Span,
    },

    /// A forbidden character written as an escape in a string or name.
    #[error("escaped control or invisible character {codepoint} in a string")]
    #[diagnostic(
        code(syntax::escaped_character),
        help("remove the escape: bidirectional controls, invisible characters and NUL would reach the manifests")
    )]
    EscapedCharacter {
        /// `U+202E`.
        codepoint: String,
        /// The string.
        #[label("this value holds {codepoint}")]
        span: Span,
    },

    /// An integer literal too large for the parser (past 128 bits).
    #[error("number is too large")]
    #[diagnostic(
        code(syntax::number_too_large),
        help(
            "write it as a string if it is an identifier or a long digit string; no Berth setting takes a number this large"
        )
    )]
    NumberTooLarge {
        /// The number.
        #[label("more than 128 bits")]
        span: Span,
    },

    /// A NUL character.
    #[error("NUL character in source")]
    #[diagnostic(code(syntax::nul_character), help("remove it: a spec is text, and text has no NUL"))]
    NulCharacter {
        /// The character.
        #[label("NUL here")]
        span: Span,
    },

    /// The KDL parser did not finish within the time limit.
    #[error("spec is too complex to parse within {seconds} seconds of processor time")]
    #[diagnostic(
        code(syntax::too_complex),
        help(
            "look for a string or block that is not closed where you meant (kdl-rs's error \
             recovery is slow on many of them), slashdash comments and deeply nested blocks; \
             checking half of the file at a time finds the place"
        )
    )]
    TooComplex {
        /// The time limit.
        seconds: u64,
        /// The start of the file: the parser does not say where it was.
        #[label("the KDL parser gave up on this file")]
        span: Span,
    },

    /// The KDL parser stopped without an answer (it panicked): a bug in the parser.
    #[error("the KDL parser failed on this file; this is a bug in Berth or kdl-rs")]
    #[diagnostic(code(syntax::parser_failed), help("please report it with the file attached"))]
    ParserFailed,

    /// A KDL syntax error, as reported by kdl-rs.
    #[error("{message}")]
    #[diagnostic(code(syntax::invalid_kdl))]
    Kdl {
        /// kdl-rs's message.
        message: String,
        /// kdl-rs's label.
        label: String,
        /// Where.
        #[label("{label}")]
        span: Span,
        /// kdl-rs's help, if any.
        #[help]
        help: Option<String>,
    },

    /// The same property twice on one node: KDL silently keeps the last one.
    #[error("property `{name}` is set twice")]
    #[diagnostic(code(syntax::duplicate_property), help("remove one of them: KDL would silently keep the last one"))]
    DuplicateProperty {
        /// The property name.
        name: String,
        /// The second occurrence.
        #[label("set again here")]
        span: Span,
        /// The first occurrence.
        #[label("first set here")]
        first: Span,
    },
}

/// Errors of `syntax::format`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FormatError {
    /// The text is not valid KDL v2 (or hits an input limit); nothing was formatted.
    #[error("cannot format: the file has {count} syntax error(s); run `berth check` to see them")]
    #[diagnostic(code(syntax::format_failed))]
    Invalid {
        /// Number of syntax diagnostics.
        count: usize,
    },
}
