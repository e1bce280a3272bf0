//! A tolerant scanner of spec text for the language server: the nodes, arguments and
//! properties of any text, however partial (an open string, a missing `}`), with their
//! byte ranges, and what the text ends in (for completion at a cursor).
//!
//! It knows KDL's lexical shape only (strings, raw strings, comments, slashdash, blocks),
//! never fails and runs in one pass; the real parser (`syntax`) still decides what is
//! valid. Slashdashed nodes and entries are skipped, as KDL comments them out.

use std::ops::Range;

/// A scalar written in the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Val {
    /// The text, without quotes (escapes kept as written).
    pub text: String,
    /// The whole token.
    pub range: Range<usize>,
    /// The text between the quotes (the whole token when bare).
    pub inner: Range<usize>,
    /// Whether it was quoted.
    pub quoted: bool,
}

/// A `key=value` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prop {
    /// The key.
    pub key: Val,
    /// The value, when written.
    pub value: Option<Val>,
}

/// A node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// The node name.
    pub name: Val,
    /// The enclosing node.
    pub parent: Option<usize>,
    /// Positional arguments.
    pub args: Vec<Val>,
    /// Properties.
    pub props: Vec<Prop>,
    /// Where the node ends (after its block, if any).
    pub end: usize,
}

impl Item {
    /// The range from the node name to its end.
    pub fn range(&self) -> Range<usize> {
        self.name.range.start..self.end.max(self.name.range.end)
    }

    /// The first argument's text.
    pub fn arg0(&self) -> Option<&str> {
        self.args.first().map(|v| v.text.as_str())
    }

    /// The value of property `key`.
    pub fn prop(&self, key: &str) -> Option<&Val> {
        self.props.iter().rev().find(|p| p.key.text == key).and_then(|p| p.value.as_ref())
    }
}

/// What the text ends in: the place a completion is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// Where a node name goes, with what is typed of it.
    NodeName { prefix: String },
    /// After a node's name: a property name or an argument, with what is typed (bare).
    Entry { node: usize, prefix: String },
    /// Inside a quoted argument.
    Arg { node: usize, index: usize, prefix: String },
    /// After `key=`.
    Value { node: usize, key: String, prefix: String },
    /// In a comment, or after a slashdash: nothing to offer.
    Nothing,
}

/// The scanned text.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Every node, in text order.
    pub items: Vec<Item>,
    /// The nodes whose blocks are open at the end of the text, outermost first (`None` for
    /// a slashdashed one).
    pub open: Vec<Option<usize>>,
    /// What the text ends in.
    pub at: At,
}

impl Doc {
    /// The names of the nodes from the top level down to `item`.
    pub fn path(&self, item: usize) -> Vec<&str> {
        let mut path = Vec::new();
        let mut next = Some(item);
        while let Some(index) = next {
            let Some(node) = self.items.get(index) else { break };
            path.push(node.name.text.as_str());
            next = node.parent;
        }
        path.reverse();
        path
    }

    /// The innermost node whose range holds `offset`.
    pub fn item_at(&self, offset: usize) -> Option<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.range().contains(&offset) || item.range().end == offset)
            .max_by_key(|(_, item)| item.name.range.start)
            .map(|(index, _)| index)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stmt {
    /// Between statements.
    None,
    /// In a node statement (`None`: a slashdashed one).
    Node(Option<usize>),
}

/// What the last token was, for [`At`].
#[derive(Clone, PartialEq, Eq)]
enum Last {
    Nothing,
    Name(usize),
    Arg(usize, usize),
    Key(usize),
    Value(usize, String),
    Skipped,
}

struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    i: usize,
    items: Vec<Item>,
    open: Vec<Option<usize>>,
    stmt: Stmt,
    slashdash: bool,
    last: Last,
    last_end: usize,
    in_comment: bool,
}

/// Scan `text`.
pub fn scan(text: &str) -> Doc {
    let mut s = Scanner {
        text,
        bytes: text.as_bytes(),
        i: 0,
        items: Vec::new(),
        open: Vec::new(),
        stmt: Stmt::None,
        slashdash: false,
        last: Last::Nothing,
        last_end: 0,
        in_comment: false,
    };
    s.run();
    let at = s.at();
    let end = text.len();
    for item in &mut s.items {
        if item.end == 0 {
            item.end = end;
        }
    }
    Doc { items: s.items, open: s.open, at }
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'{' | b'}' | b'(' | b')' | b'[' | b']' | b';' | b'=' | b'"' | b'\\' | b'/')
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.i + ahead).copied()
    }

    fn run(&mut self) {
        while let Some(b) = self.peek(0) {
            self.in_comment = false;
            match b {
                b' ' | b'\t' => self.i += 1,
                b'\n' | b'\r' | b';' => {
                    self.end_statement();
                    self.i += 1;
                }
                b'\\' => self.continuation(),
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
                b'/' if self.peek(1) == Some(b'-') => {
                    self.slashdash = true;
                    self.last = Last::Skipped;
                    self.i += 2;
                }
                b'{' => self.open_block(),
                b'}' => self.close_block(),
                b'(' => self.annotation(),
                _ => self.entry(),
            }
        }
    }

    fn end_statement(&mut self) {
        if let Stmt::Node(Some(index)) = self.stmt
            && let Some(item) = self.items.get_mut(index)
            && item.end == 0
        {
            item.end = self.last_end;
        }
        self.stmt = Stmt::None;
        self.last = Last::Nothing;
    }

    fn continuation(&mut self) {
        self.i += 1;
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' => self.i += 1,
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'\r' | b'\n' => {
                    self.i += 1;
                    if b == b'\r' && self.peek(0) == Some(b'\n') {
                        self.i += 1;
                    }
                    return;
                }
                _ => return,
            }
        }
    }

    fn line_comment(&mut self) {
        while let Some(b) = self.peek(0) {
            if b == b'\n' || b == b'\r' {
                return;
            }
            self.i += 1;
        }
        self.in_comment = true;
    }

    fn block_comment(&mut self) {
        let mut depth = 0_usize;
        while self.i < self.bytes.len() {
            if self.peek(0) == Some(b'/') && self.peek(1) == Some(b'*') {
                depth += 1;
                self.i += 2;
            } else if self.peek(0) == Some(b'*') && self.peek(1) == Some(b'/') {
                depth = depth.saturating_sub(1);
                self.i += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.i += 1;
            }
        }
        self.in_comment = true;
    }

    fn annotation(&mut self) {
        while let Some(b) = self.peek(0) {
            self.i += 1;
            if b == b')' || b == b'\n' {
                return;
            }
        }
    }

    fn open_block(&mut self) {
        self.i += 1;
        let owner = match self.stmt {
            Stmt::Node(owner) if !self.slashdash => owner,
            _ => None,
        };
        self.slashdash = false;
        self.open.push(owner);
        self.stmt = Stmt::None;
        self.last = Last::Nothing;
    }

    fn close_block(&mut self) {
        self.i += 1;
        self.end_statement();
        if let Some(Some(owner)) = self.open.pop()
            && let Some(item) = self.items.get_mut(owner)
        {
            item.end = self.i;
        }
        // The parent's statement ends with its block.
        self.stmt = Stmt::Node(None);
        self.last = Last::Nothing;
    }

    /// A node name, an argument or a property.
    fn entry(&mut self) {
        let token = self.token();
        self.last_end = token.range.end;
        let skipped = std::mem::take(&mut self.slashdash);
        let is_key = self.peek(0) == Some(b'=');
        match self.stmt {
            Stmt::None => {
                if skipped {
                    self.stmt = Stmt::Node(None);
                    self.last = Last::Skipped;
                    return;
                }
                let parent = self.open.last().copied().flatten();
                let in_skipped = self.open.iter().any(Option::is_none);
                if in_skipped {
                    self.stmt = Stmt::Node(None);
                    self.last = Last::Skipped;
                    return;
                }
                self.items.push(Item { name: token, parent, ..Item::default() });
                let index = self.items.len() - 1;
                self.stmt = Stmt::Node(Some(index));
                self.last = Last::Name(index);
            }
            Stmt::Node(node) => {
                if is_key {
                    self.i += 1;
                    let value = self.value_after_equals();
                    let key = token.text.clone();
                    if let Some(value) = &value {
                        self.last_end = value.range.end;
                    }
                    let (Some(index), false) = (node, skipped) else {
                        self.last = Last::Skipped;
                        return;
                    };
                    self.last = if value.is_some() { Last::Value(index, key) } else { Last::Key(index) };
                    if let Some(item) = self.items.get_mut(index) {
                        item.props.push(Prop { key: token, value });
                    }
                } else {
                    let (Some(index), false) = (node, skipped) else {
                        self.last = Last::Skipped;
                        return;
                    };
                    if let Some(item) = self.items.get_mut(index) {
                        item.args.push(token);
                        self.last = Last::Arg(index, item.args.len() - 1);
                    }
                }
            }
        }
    }

    fn value_after_equals(&mut self) -> Option<Val> {
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        if self.peek(0) == Some(b'(') {
            self.annotation();
        }
        match self.peek(0) {
            Some(b) if !matches!(b, b'\n' | b'\r' | b';' | b'{' | b'}') && !b.is_ascii_whitespace() => {
                Some(self.token())
            }
            _ => None,
        }
    }

    /// A string, raw string or bare token at `self.i`.
    fn token(&mut self) -> Val {
        let start = self.i;
        match self.peek(0) {
            Some(b'"') => self.quoted(start, 0),
            Some(b'#') => {
                let mut hashes = 0;
                while self.peek(hashes) == Some(b'#') {
                    hashes += 1;
                }
                if self.peek(hashes) == Some(b'"') {
                    self.i += hashes;
                    self.quoted(start, hashes)
                } else {
                    self.bare(start)
                }
            }
            _ => self.bare(start),
        }
    }

    fn bare(&mut self, start: usize) -> Val {
        self.i += 1;
        while self.peek(0).is_some_and(|b| !is_delimiter(b)) {
            self.i += 1;
        }
        let text = self.text.get(start..self.i).unwrap_or_default().to_owned();
        Val { text, range: start..self.i, inner: start..self.i, quoted: false }
    }

    /// A string whose opening quote is at `self.i`, with `hashes` `#` before it.
    fn quoted(&mut self, start: usize, hashes: usize) -> Val {
        let multi = self.peek(1) == Some(b'"') && self.peek(2) == Some(b'"');
        let quotes = if multi { 3 } else { 1 };
        self.i += quotes;
        let inner_start = self.i;
        let mut inner_end = self.bytes.len();
        let mut end = self.bytes.len();
        while let Some(b) = self.peek(0) {
            if b == b'\\' && hashes == 0 {
                self.i += 2;
                continue;
            }
            if !multi && (b == b'\n' || b == b'\r') {
                inner_end = self.i;
                end = self.i;
                break;
            }
            let closes = (0..quotes).all(|k| self.peek(k) == Some(b'"'))
                && (0..hashes).all(|k| self.peek(quotes + k) == Some(b'#'));
            if b == b'"' && closes {
                inner_end = self.i;
                self.i += quotes + hashes;
                end = self.i;
                break;
            }
            self.i += 1;
        }
        self.i = self.i.min(self.bytes.len());
        let end = end.min(self.bytes.len());
        let inner_end = inner_end.min(self.bytes.len()).max(inner_start.min(self.bytes.len()));
        let inner = inner_start.min(inner_end)..inner_end;
        let text = self.text.get(inner.clone()).unwrap_or_default().to_owned();
        Val { text, range: start..end, inner, quoted: true }
    }

    /// What the text ends in.
    fn at(&self) -> At {
        let len = self.bytes.len();
        if self.in_comment || self.last == Last::Skipped || self.slashdash {
            return At::Nothing;
        }
        let ends_in_token =
            self.last_end == len && len > 0 && !self.bytes.get(len - 1).is_some_and(|b| b.is_ascii_whitespace());
        let ends_open_string = |val: &Val| val.quoted && val.inner.end == len && val.range.end == len;
        if ends_in_token {
            match &self.last {
                Last::Name(index) => {
                    if let Some(item) = self.items.get(*index) {
                        return At::NodeName { prefix: item.name.text.clone() };
                    }
                }
                Last::Arg(index, arg) => {
                    if let Some(val) = self.items.get(*index).and_then(|item| item.args.get(*arg)) {
                        if ends_open_string(val) {
                            return At::Arg { node: *index, index: *arg, prefix: val.text.clone() };
                        }
                        if !val.quoted {
                            return At::Entry { node: *index, prefix: val.text.clone() };
                        }
                        return At::Nothing;
                    }
                }
                Last::Value(index, key) => {
                    let value = self.items.get(*index).and_then(|item| item.prop(key));
                    if let Some(val) = value
                        && (!val.quoted || ends_open_string(val))
                    {
                        return At::Value { node: *index, key: key.clone(), prefix: val.text.clone() };
                    }
                    return At::Nothing;
                }
                Last::Key(_) | Last::Nothing | Last::Skipped => {}
            }
        }
        if let Last::Key(index) = &self.last
            && self.bytes.last() == Some(&b'=')
            && let Some(prop) = self.items.get(*index).and_then(|item| item.props.last())
        {
            return At::Value { node: *index, key: prop.key.text.clone(), prefix: String::new() };
        }
        match self.stmt {
            Stmt::None => At::NodeName { prefix: String::new() },
            Stmt::Node(Some(index)) => At::Entry { node: index, prefix: String::new() },
            Stmt::Node(None) => At::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_arguments_properties_and_blocks() {
        let doc = scan("domain \"shop\" team=\"t\" {\n    service \"api\" {\n        uses \"db\"\n    }\n}\n");
        let names: Vec<&str> = doc.items.iter().map(|i| i.name.text.as_str()).collect();
        assert_eq!(names, ["domain", "service", "uses"]);
        assert_eq!(doc.items[0].prop("team").map(|v| v.text.as_str()), Some("t"));
        assert_eq!(doc.path(2), ["domain", "service", "uses"]);
        assert_eq!(doc.items[2].arg0(), Some("db"));
        assert_eq!(doc.at, At::NodeName { prefix: String::new() });
    }

    #[test]
    fn what_a_partial_text_ends_in() {
        assert_eq!(scan("domain \"d\" {\n  serv").at, At::NodeName { prefix: "serv".into() });
        assert!(
            matches!(scan("domain \"d\" {\n  service \"s\" {\n    uses \"or").at, At::Arg { index: 0, ref prefix, .. } if prefix == "or")
        );
        assert!(
            matches!(scan("target \"t\" cloud=\"e").at, At::Value { ref key, ref prefix, .. } if key == "cloud" && prefix == "e")
        );
        assert!(matches!(scan("target \"t\" cloud=").at, At::Value { ref key, .. } if key == "cloud"));
        assert!(matches!(scan("environment \"dev\" ").at, At::Entry { ref prefix, .. } if prefix.is_empty()));
        assert!(matches!(scan("environment \"dev\" prod").at, At::Entry { ref prefix, .. } if prefix == "prod"));
        assert_eq!(scan("// a comment").at, At::Nothing);
        assert_eq!(scan("/-service ").at, At::Nothing);
    }

    #[test]
    fn slashdash_and_comments_are_skipped() {
        let doc = scan("/-domain \"x\" { service \"a\" }\ndomain \"y\" /-team=\"t\" /* c */ { }\n// domain \"z\"\n");
        assert_eq!(doc.items.len(), 1);
        assert_eq!(doc.items[0].arg0(), Some("y"));
        assert!(doc.items[0].props.is_empty());
    }

    #[test]
    fn raw_and_multiline_strings() {
        let doc = scan("object #\"\"\"\n  a: \"b\"\n  \"\"\"#\nport 1\n");
        assert_eq!(doc.items.len(), 2);
        assert_eq!(doc.items[1].name.text, "port");
    }
}
