//! YAML text for charts: literal values (values files, the fixed parts of templates) and
//! the template tree of one object, where leaves may be Helm actions.
//!
//! Every string Berth writes is either a plain scalar that YAML 1.1 reads back as the same
//! string, or a double-quoted one (JSON escapes, which YAML shares). A literal that contains
//! Helm's `{{` is written as a Go template string constant through `quote`, so no text of
//! the spec is ever read as template code. Every value reaches the output through `quote`
//! (strings), `toJson` (numbers, booleans: JSON is YAML's flow syntax) or `toYaml` (maps and
//! lists), so no value can add keys or documents.

use serde_json::Value;
use std::fmt::Write as _;

/// One node of an object's template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// The same in every environment: written as is.
    Literal(Value),
    /// A map whose entries are not all literal.
    Map(Vec<Item>),
    /// A list of the same length everywhere, some element not literal.
    List(Vec<Node>),
    /// A scalar from values; `strings` when it is a string in every environment (`quote`,
    /// else `toJson`).
    Scalar { path: Vec<String>, strings: bool },
    /// A map or list from values (`toYaml`).
    Tree { path: Vec<String> },
    /// A string that is the environment's name between fixed parts (`greeting-dev`).
    Pattern(Vec<String>),
    /// A container image from the values `repository`, `tag` and `digest`.
    Image { path: Vec<String> },
}

/// An entry of a [`Node::Map`].
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `key: node`; `optional` when only some environments have the key (it is written when
    /// its value is not null).
    Key { key: String, node: Node, optional: bool },
    /// The chart's standard labels (`helm.sh/chart`), from `_helpers.tpl`.
    Labels,
}

/// What the rendering needs besides the node: the chart name (helper names).
pub struct Ctx<'a> {
    /// The chart name, prefix of its helpers.
    pub chart: &'a str,
}

/// A Go template string constant (JSON escapes are Go escapes).
pub fn go_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Text of a file Helm renders (`NOTES.txt`) that is never read as template code: with
/// `{{`, it goes through an action printing a string constant.
pub fn helm_text(value: &str) -> String {
    if value.contains("{{") { format!("{{{{ {} }}}}", go_string(value)) } else { value.to_owned() }
}

/// `(index .Values "a" "b")`.
pub fn value_ref(path: &[String]) -> String {
    let mut out = String::from("(index .Values");
    for segment in path {
        out.push(' ');
        out.push_str(&go_string(segment));
    }
    out.push(')');
    out
}

/// A string as a YAML scalar that reads back as the same string: plain when it is a simple
/// word YAML 1.1 cannot take for anything else, else double-quoted; through a template
/// action when it holds `{{`.
pub fn string(text: &str) -> String {
    if text.contains("{{") {
        return format!("{{{{ {} | quote }}}}", go_string(text));
    }
    if plain(text) { text.to_owned() } else { quoted(text) }
}

fn plain(text: &str) -> bool {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off", "null"];
    let Some(first) = text.chars().next() else { return false };
    (first.is_ascii_alphabetic() || first == '/')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !WORDS.contains(&text.to_ascii_lowercase().as_str())
}

/// Double-quoted, with the characters YAML 1.1 reads as line breaks escaped too.
fn quoted(text: &str) -> String {
    let json = go_string(text);
    if json.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}']) {
        json.replace('\u{85}', "\\u0085")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
            .replace('\u{feff}', "\\ufeff")
    } else {
        json
    }
}

/// A scalar JSON value as YAML.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => string(text),
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        Value::Array(list) if list.is_empty() => "[]".to_owned(),
        other => other.to_string(),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(list) => !list.is_empty(),
        _ => false,
    }
}

/// A whole JSON value as a YAML document (values files).
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => literal_map(&mut out, map, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn literal_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        pad(out, indent);
        out.push_str(&string(key));
        out.push(':');
        literal_after_key(out, value, indent);
    }
}

fn literal_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            literal_map(out, map, indent + 2);
        }
        Value::Array(list) if !list.is_empty() => {
            out.push('\n');
            literal_list(out, list, indent + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn literal_list(out: &mut String, list: &[Value], indent: usize) {
    for value in list {
        if is_block(value) {
            let mut inner = String::new();
            match value {
                Value::Object(map) => literal_map(&mut inner, map, indent + 2),
                Value::Array(list) => literal_list(&mut inner, list, indent + 2),
                _ => {}
            }
            dash(out, &inner, indent);
        } else {
            pad(out, indent);
            out.push_str("- ");
            out.push_str(&scalar(value));
            out.push('\n');
        }
    }
}

/// A block rendered at `indent + 2` as a list entry: its first indentation becomes `- `.
fn dash(out: &mut String, inner: &str, indent: usize) {
    pad(out, indent);
    out.push_str("- ");
    out.push_str(&inner[(indent + 2).min(inner.len())..]);
}

/// The template text of one object (a map), at indentation 0.
pub fn template(ctx: &Ctx<'_>, node: &Node) -> String {
    let mut out = String::new();
    match node {
        Node::Map(items) => map(ctx, &mut out, items, 0),
        Node::Literal(Value::Object(object)) => literal_map(&mut out, object, 0),
        other => after_key(ctx, &mut out, other, 0),
    }
    out
}

fn map(ctx: &Ctx<'_>, out: &mut String, items: &[Item], indent: usize) {
    for item in items {
        match item {
            Item::Labels => {
                pad(out, indent);
                let _ = writeln!(out, "{{{{- include \"{}.labels\" . | nindent {indent} }}}}", ctx.chart);
            }
            Item::Key { key, node, optional } => {
                let condition = match (optional, node) {
                    (true, Node::Scalar { path, .. } | Node::Tree { path }) => Some(value_ref(path)),
                    _ => None,
                };
                if let Some(reference) = &condition {
                    pad(out, indent);
                    let _ = writeln!(out, "{{{{- if not (kindIs \"invalid\" {reference}) }}}}");
                }
                pad(out, indent);
                out.push_str(&string(key));
                out.push(':');
                after_key(ctx, out, node, indent);
                if condition.is_some() {
                    pad(out, indent);
                    out.push_str("{{- end }}\n");
                }
            }
        }
    }
}

/// What follows `key:` (or `-`): an inline scalar or action, or a nested block.
fn after_key(ctx: &Ctx<'_>, out: &mut String, node: &Node, indent: usize) {
    match node {
        Node::Literal(value) => literal_after_key(out, value, indent),
        Node::Map(items) => {
            out.push('\n');
            map(ctx, out, items, indent + 2);
        }
        Node::List(nodes) => {
            out.push('\n');
            list(ctx, out, nodes, indent + 2);
        }
        Node::Tree { path } => {
            let _ = writeln!(out, " {{{{- toYaml {} | nindent {} }}}}", value_ref(path), indent + 2);
        }
        inline => {
            out.push(' ');
            out.push_str(&action(ctx, inline));
            out.push('\n');
        }
    }
}

fn list(ctx: &Ctx<'_>, out: &mut String, nodes: &[Node], indent: usize) {
    for node in nodes {
        match node {
            Node::Literal(value) if !is_block(value) => {
                pad(out, indent);
                out.push_str("- ");
                out.push_str(&scalar(value));
                out.push('\n');
            }
            Node::Literal(Value::Object(object)) => {
                let mut inner = String::new();
                literal_map(&mut inner, object, indent + 2);
                dash(out, &inner, indent);
            }
            Node::Literal(Value::Array(items)) => {
                let mut inner = String::new();
                literal_list(&mut inner, items, indent + 2);
                dash(out, &inner, indent);
            }
            Node::Map(items) => {
                let mut inner = String::new();
                map(ctx, &mut inner, items, indent + 2);
                dash(out, &inner, indent);
            }
            Node::List(nodes) => {
                let mut inner = String::new();
                list(ctx, &mut inner, nodes, indent + 2);
                dash(out, &inner, indent);
            }
            Node::Tree { path } => {
                pad(out, indent);
                let _ = writeln!(out, "- {{{{- toYaml {} | nindent {} }}}}", value_ref(path), indent + 2);
            }
            inline => {
                pad(out, indent);
                out.push_str("- ");
                out.push_str(&action(ctx, inline));
                out.push('\n');
            }
        }
    }
}

/// The one-line action of a scalar value, a pattern or an image.
fn action(ctx: &Ctx<'_>, node: &Node) -> String {
    match node {
        Node::Scalar { path, strings: true } => format!("{{{{ {} | quote }}}}", value_ref(path)),
        Node::Scalar { path, strings: false } => format!("{{{{ {} | toJson }}}}", value_ref(path)),
        Node::Pattern(parts) => {
            let mut operands = Vec::new();
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    operands.push(".Values.environmentName".to_owned());
                }
                if !part.is_empty() {
                    operands.push(go_string(part));
                }
            }
            format!("{{{{ print {} | quote }}}}", operands.join(" "))
        }
        Node::Image { path } => format!("{{{{ include \"{}.image\" {} | quote }}}}", ctx.chart, value_ref(path)),
        _ => "null".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{document, string};
    use serde_json::json;

    /// Whatever a string holds, the YAML reads back as it, and `{{` goes through an action.
    #[test]
    fn strings_read_back_as_themselves() {
        for text in ["order", "yes", "On", "1.0", "a: b", "- x", "#c", "x\ny", "", " ", "/healthz", "\u{2028}"] {
            let yaml = format!("k: {}\n", string(text));
            let value: serde_json::Value = serde_saphyr::from_str(&yaml).expect("parses");
            assert_eq!(value["k"], json!(text), "{yaml}");
        }
        assert_eq!(string("a{{ .Values }}"), r#"{{ "a{{ .Values }}" | quote }}"#);
    }

    #[test]
    fn documents_nest_maps_and_lists() {
        let value = json!({"a": {"b": [1, {"c": "d", "e": []}], "f": {}}, "y": true});
        let text = document(&value);
        assert_eq!(text, "a:\n  b:\n    - 1\n    - c: d\n      e: []\n  f: {}\n\"y\": true\n");
        let back: serde_json::Value = serde_saphyr::from_str(&text).expect("parses");
        assert_eq!(back, value);
    }
}
