//! The lowering context and its readers: node shapes and values, each mistake a diagnostic.

use crate::diag::{Diagnostics, FileId, Otherwise, Span, Spanned, did_you_mean};
use crate::model::bounds::PortNumber;
use crate::model::check;
use crate::model::errors::LowerError;
use crate::model::types::*;
use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};
use std::collections::BTreeMap;

pub(super) struct Ctx<'a> {
    pub(super) diags: &'a mut Diagnostics,
    pub(super) file: FileId,
}

/// What kind of quantity a value is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Quantity {
    Cpu,
    Memory,
}

/// Names already defined in one scope, with where.
#[derive(Default)]
pub(super) struct Names(pub(super) BTreeMap<String, Span>);

/// Settings already set once in one block, with where.
#[derive(Default)]
pub(super) struct Once(pub(super) BTreeMap<String, Span>);

impl Ctx<'_> {
    pub(super) fn span(&self, range: miette::SourceSpan) -> Span {
        Span::new(self.file, range)
    }

    pub(super) fn span_of(&self, node: &KdlNode) -> Span {
        self.span(node.span())
    }

    /// Check properties against `allowed` and positional arguments against `max_args`.
    pub(super) fn shape(&mut self, node: &KdlNode, allowed: &[&str], max_args: usize, takes: &str) {
        let node_name = node.name().value().to_owned();
        for entry in node.entries() {
            if let Some(name) = entry.name()
                && !allowed.contains(&name.value())
            {
                let span = self.span(entry.span());
                let help = crate::model::unsupported::concept(name.value()).map_or_else(
                    || did_you_mean(name.value(), allowed, Otherwise::Vocabulary),
                    |says| format!("Kubernetes concept: {says}"),
                );
                self.diags.at(
                    span,
                    LowerError::UnknownProperty { name: name.value().to_owned(), node: node_name.clone(), span, help },
                );
            }
        }
        self.extra_args(node, max_args, takes);
    }

    pub(super) fn extra_args(&mut self, node: &KdlNode, max_args: usize, takes: &str) {
        if let Some(extra) = args(node).nth(max_args) {
            let span = self.span(extra.span());
            let node_name = node.name().value().to_owned();
            let help = if max_args == 0 {
                format!("`{node_name}` takes {takes}")
            } else {
                format!("`{node_name}` takes only {takes}")
            };
            self.diags.at(span, LowerError::UnexpectedArgument { node: node_name, span, help });
        }
    }

    pub(super) fn no_children(&mut self, node: &KdlNode) {
        if node.children().is_some() {
            let span = self.span_of(node);
            self.diags.at(span, LowerError::UnexpectedChildren { node: node.name().value().to_owned(), span });
        }
    }

    /// An unknown node; when its name is a Kubernetes concept (`kubernetes.kdl`), the help
    /// says what Berth has for it instead of a guess.
    pub(super) fn unknown_node(&mut self, node: &KdlNode, parent: &str, help: String) {
        let span = self.span(node.name().span());
        let help = crate::model::unsupported::concept(node.name().value())
            .map_or(help, |says| format!("Kubernetes concept: {says}"));
        self.diags.at(
            span,
            LowerError::UnknownNode { name: node.name().value().to_owned(), parent: parent.to_owned(), span, help },
        );
    }

    pub(super) fn missing(&mut self, node: &KdlNode, what: &str, help: &str) {
        let span = self.span(node.name().span());
        self.diags.at(
            span,
            LowerError::MissingValue {
                node: node.name().value().to_owned(),
                what: what.to_owned(),
                span,
                help: help.to_owned(),
            },
        );
    }

    /// Record `key` as set in a block; report and return `false` if it was set before.
    pub(super) fn once(&mut self, once: &mut Once, node: &KdlNode, key: &str, parent: &str) -> bool {
        let span = self.span(node.name().span());
        if let Some(first) = once.0.get(key) {
            let first = *first;
            self.duplicate_setting(key, parent, span, first);
            return false;
        }
        once.0.insert(key.to_owned(), span);
        true
    }

    pub(super) fn duplicate_setting(&mut self, setting: &str, parent: &str, span: Span, first: Span) {
        let parent = if parent == "the file" { "in the file".to_owned() } else { format!("in `{parent}`") };
        self.diags.at(span, LowerError::DuplicateSetting { setting: setting.to_owned(), parent, span, first });
    }

    /// Record a name in a scope; report and return `false` if it is taken.
    pub(super) fn unique(
        &mut self,
        names: &mut Names,
        kind: &'static str,
        name: &Spanned<String>,
        scope: &str,
        help: &str,
    ) -> bool {
        if let Some(first) = names.0.get(&name.value) {
            let first = *first;
            self.diags.at(
                name.span,
                LowerError::DuplicateName {
                    kind,
                    name: name.value.clone(),
                    scope: scope.to_owned(),
                    span: name.span,
                    first,
                    help: help.to_owned(),
                },
            );
            return false;
        }
        names.0.insert(name.value.clone(), name.span);
        true
    }

    /// The first argument as a name; reports a missing or (with `dns`) invalid name.
    pub(super) fn name_arg(&mut self, node: &KdlNode, kind: &str, dns: bool) -> Option<Spanned<String>> {
        let Some(entry) = args(node).next() else {
            self.missing(node, "a name", &format!("write `{kind} \"<name>\"`"));
            return None;
        };
        let name = self.string(entry, &format!("the {kind} name"))?;
        if dns && let Some(reason) = check::dns_label(&name.value) {
            self.diags.at(
                name.span,
                LowerError::InvalidName { kind: kind.to_owned(), name: name.value.clone(), reason, span: name.span },
            );
        }
        Some(name)
    }

    /// A node written as `key "value"` with nothing else.
    pub(super) fn single_string(&mut self, node: &KdlNode) -> Option<Spanned<String>> {
        let entry = self.single_entry(node, "a string")?;
        self.string(entry, &format!("`{}`", node.name().value()))
    }

    pub(super) fn single_bool(&mut self, node: &KdlNode) -> Option<Spanned<bool>> {
        let entry = self.single_entry(node, "`#true` or `#false`")?;
        self.boolean(entry, &format!("`{}`", node.name().value()))
    }

    /// A port number within `range` (`bounds::PORT` or `bounds::NODE_PORT`).
    pub(super) fn port(&mut self, entry: &KdlEntry, what: &str, range: (i64, i64)) -> Option<Spanned<PortNumber>> {
        let number = self.integer(entry, what, range.0, range.1)?;
        PortNumber::try_from(number.value).ok().map(|value| Spanned::new(value, number.span))
    }

    /// The one argument of `node`, a port number within `range`.
    pub(super) fn single_port(&mut self, node: &KdlNode, range: (i64, i64)) -> Option<Spanned<PortNumber>> {
        let number = self.single_integer(node, range.0, range.1)?;
        PortNumber::try_from(number.value).ok().map(|value| Spanned::new(value, number.span))
    }

    pub(super) fn single_integer(&mut self, node: &KdlNode, min: i64, max: i64) -> Option<Spanned<i64>> {
        let entry = self.single_entry(node, "an integer")?;
        self.integer(entry, &format!("`{}`", node.name().value()), min, max)
    }

    pub(super) fn single_entry<'n>(&mut self, node: &'n KdlNode, takes: &str) -> Option<&'n KdlEntry> {
        self.shape(node, &[], 1, &format!("one value, {takes}"));
        self.no_children(node);
        let entry = args(node).next();
        if entry.is_none() {
            let key = node.name().value();
            self.missing(node, "a value", &format!("write `{key}` followed by {takes}"));
        }
        entry
    }

    pub(super) fn string_prop(&mut self, node: &KdlNode, key: &str) -> Option<Spanned<String>> {
        let entry = prop(node, key)?;
        self.string(entry, &format!("`{key}`"))
    }

    pub(super) fn required_string_prop(&mut self, node: &KdlNode, key: &str, help: &str) -> Option<Spanned<String>> {
        if prop(node, key).is_none() {
            self.missing(node, &format!("`{key}`"), help);
            return None;
        }
        self.string_prop(node, key)
    }

    pub(super) fn string(&mut self, entry: &KdlEntry, what: &str) -> Option<Spanned<String>> {
        let span = self.span(entry.span());
        match entry.value() {
            KdlValue::String(text) => Some(Spanned::new(text.clone(), span)),
            other => {
                let help = format!("write it in quotes: `\"{}\"`", other.to_string().trim_start_matches('#'));
                self.wrong_type(span, what, "a string", other, &help);
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, entry: &KdlEntry, what: &str) -> Option<Spanned<bool>> {
        let span = self.span(entry.span());
        match entry.value() {
            KdlValue::Bool(flag) => Some(Spanned::new(*flag, span)),
            other => {
                self.wrong_type(span, what, "a boolean", other, "write `#true` or `#false`");
                None
            }
        }
    }

    pub(super) fn integer(&mut self, entry: &KdlEntry, what: &str, min: i64, max: i64) -> Option<Spanned<i64>> {
        let span = self.span(entry.span());
        let number = match entry.value() {
            KdlValue::Integer(number) => *number,
            other => {
                let help = match other {
                    KdlValue::String(text) if text.trim().parse::<i128>().is_ok() => {
                        format!("write the number without quotes: `{}`", text.trim())
                    }
                    _ => format!("write a whole number from {min} to {max}"),
                };
                self.wrong_type(span, what, "an integer", other, &help);
                return None;
            }
        };
        if number < i128::from(min) || number > i128::from(max) {
            self.diags.at(
                span,
                LowerError::OutOfRange {
                    what: what.to_owned(),
                    value: number.to_string(),
                    range: format!("{min} to {max}"),
                    span,
                    help: format!("write a whole number from {min} to {max}"),
                },
            );
            return None;
        }
        i64::try_from(number).ok().map(|value| Spanned::new(value, span))
    }

    /// A CPU or memory quantity; integers (and, for CPU, fractions) are accepted.
    pub(super) fn quantity(&mut self, entry: &KdlEntry, what: &str, kind: Quantity) -> Option<Spanned<String>> {
        let span = self.span(entry.span());
        let text = match entry.value() {
            KdlValue::String(text) => text.clone(),
            KdlValue::Integer(number) if *number >= 0 => number.to_string(),
            KdlValue::Float(number) if kind == Quantity::Cpu && *number >= 0.0 && number.is_finite() => {
                number.to_string()
            }
            other => {
                let help = match kind {
                    Quantity::Cpu => "write a quantity such as `\"250m\"`, `1` or `\"0.5\"`",
                    Quantity::Memory => "write a quantity in quotes such as `\"512Mi\"` or `\"1Gi\"`",
                };
                self.wrong_type(span, what, "a quantity", other, help);
                return None;
            }
        };
        if !check::is_quantity(&text) || (kind == Quantity::Memory && check::is_fractional_bytes(&text)) {
            self.invalid_quantity(what, &text, span, kind);
            return None;
        }
        Some(Spanned::new(text, span))
    }

    pub(super) fn invalid_quantity(&mut self, what: &str, value: &str, span: Span, kind: Quantity) {
        let help = match kind {
            Quantity::Cpu => "write CPU as cores or millicores, such as `250m`, `1` or `0.5`".to_owned(),
            Quantity::Memory if check::is_quantity(value) => {
                let number = value.trim_end_matches(['m', 'u', 'n']);
                format!("a `m` suffix means thousandths of a byte; {}", crate::diag::meant(format!("{number}Mi")))
            }
            Quantity::Memory => "write memory in bytes with a suffix, such as `512Mi`, `1Gi` or `1G`".to_owned(),
        };
        self.diags.at(span, LowerError::InvalidQuantity { what: what.to_owned(), value: value.to_owned(), span, help });
    }

    /// Any scalar value; `#null` is refused.
    pub(super) fn value(&mut self, entry: &KdlEntry, what: &str) -> Option<Spanned<Value>> {
        let span = self.span(entry.span());
        let value = match entry.value() {
            KdlValue::String(text) => Value::String(text.clone()),
            KdlValue::Integer(number) => match i64::try_from(*number) {
                Ok(number) => Value::Integer(number),
                Err(_) => {
                    self.diags.at(
                        span,
                        LowerError::OutOfRange {
                            what: what.to_owned(),
                            value: number.to_string(),
                            range: "the 64-bit integers".to_owned(),
                            span,
                            help: "write a smaller number".to_owned(),
                        },
                    );
                    return None;
                }
            },
            KdlValue::Float(number) => Value::Float(*number),
            KdlValue::Bool(flag) => Value::Bool(*flag),
            KdlValue::Null => {
                self.wrong_type(span, what, "a value", entry.value(), "write a string, a number, `#true` or `#false`");
                return None;
            }
        };
        Some(Spanned::new(value, span))
    }

    /// Check a string against fixed choices; returns the matching choice.
    pub(super) fn choice(
        &mut self,
        value: &Spanned<String>,
        what: &str,
        choices: &[&'static str],
    ) -> Option<&'static str> {
        if let Some(choice) = choices.iter().find(|choice| **choice == value.value) {
            return Some(choice);
        }
        let help = did_you_mean(&value.value, choices, Otherwise::Choices);
        self.diags.at(
            value.span,
            LowerError::InvalidChoice {
                what: what.to_owned(),
                value: value.value.clone(),
                choices: crate::diag::backticked(choices),
                span: value.span,
                help,
            },
        );
        None
    }

    pub(super) fn wrong_type(&mut self, span: Span, what: &str, expected: &'static str, found: &KdlValue, help: &str) {
        self.diags.at(
            span,
            LowerError::WrongType {
                what: what.to_owned(),
                expected,
                found: type_name(found),
                span,
                help: help.to_owned(),
            },
        );
    }

    pub(super) fn invalid_value(&mut self, span: Span, what: &str, value: &str, reason: &str, help: &str) {
        self.diags.at(
            span,
            LowerError::InvalidValue {
                what: what.to_owned(),
                // Control characters (a newline in a host name) are shown escaped.
                value: if value.contains(char::is_control) {
                    value.escape_debug().to_string()
                } else {
                    value.to_owned()
                },
                reason: reason.to_owned(),
                span,
                help: help.to_owned(),
            },
        );
    }
}

// -------------------------------------------------------------------- free helpers

/// Positional arguments of a node.
pub(super) fn args(node: &KdlNode) -> impl Iterator<Item = &KdlEntry> {
    node.entries().iter().filter(|entry| entry.name().is_none())
}

/// The last property `key` of a node (repeats are reported by `syntax`).
pub(super) fn prop<'n>(node: &'n KdlNode, key: &str) -> Option<&'n KdlEntry> {
    node.entries().iter().rev().find(|entry| entry.name().is_some_and(|name| name.value() == key))
}

/// Child nodes of a node (none without a block).
pub(super) fn children(node: &KdlNode) -> impl Iterator<Item = &KdlNode> {
    node.children().map(KdlDocument::nodes).unwrap_or_default().iter()
}

pub(super) fn has_child(node: &KdlNode, key: &str) -> bool {
    children(node).any(|child| child.name().value() == key)
}

pub(super) fn type_name(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number with a fraction",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "`#null`",
    }
}

/// A DNS host name: dot-separated labels of letters, digits and inner `-`, at most 253
/// characters, with at least one dot.
pub(super) fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An IPv4 or IPv6 address range `address/prefix` with a prefix length the family allows.
pub(super) fn is_cidr(cidr: &str) -> bool {
    let Some((address, prefix)) = cidr.split_once('/') else { return false };
    let Ok(prefix) = prefix.parse::<u8>() else { return false };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix <= 32,
        Ok(std::net::IpAddr::V6(_)) => prefix <= 128,
        Err(_) => false,
    }
}
