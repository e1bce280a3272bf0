//! `type="identifier"` backing-kind properties: database and user names that need no
//! quoting in SQL and fit every service's naming rules.

use super::Ctx;
use crate::diag::Span;
use crate::model::{IDENTIFIER_MAX, KindProperty};
use miette::Diagnostic;
use thiserror::Error;

/// An `identifier` property's value that is not one.
#[derive(Debug, Error, Diagnostic)]
#[error("`{property}` of {kind} `{service}` is `{value}`, which is not a database name: {reason}")]
#[diagnostic(
    code(resolve::invalid_identifier),
    help(
        "write a lower-case letter, then lower-case letters, digits and `_`, at most {max} characters, such as `{property}=\"orders\"`"
    )
)]
pub struct InvalidIdentifier {
    /// Property.
    property: String,
    /// Kind.
    kind: String,
    /// The declaration.
    service: String,
    /// The value written.
    value: String,
    /// What is wrong.
    reason: String,
    /// The longest allowed.
    max: i64,
    /// The value.
    #[label("not an identifier")]
    span: Span,
}

/// Report `value` of `property` (kind `kind`, declaration `service`) when it is not an
/// identifier of at most the property's `max-length`.
pub(super) fn check(cx: &mut Ctx<'_>, property: &KindProperty, (kind, service): (&str, &str), value: &str, span: Span) {
    let max = property.max_length.as_ref().map_or(IDENTIFIER_MAX, |m| m.value);
    let Some(reason) = problem(value, max) else { return };
    let error = InvalidIdentifier {
        property: property.name.value.clone(),
        kind: kind.to_owned(),
        service: service.to_owned(),
        value: value.to_owned(),
        reason,
        max,
        span,
    };
    if cx.reported.insert((span, error.to_string())) {
        cx.diags.at(span, error);
    }
}

/// Why `value` is not an identifier of at most `max` characters, if it is not.
fn problem(value: &str, max: i64) -> Option<String> {
    let mut chars = value.chars();
    match chars.next() {
        None => return Some("it is empty".to_owned()),
        Some(first) if !first.is_ascii_lowercase() => {
            return Some("it does not start with a lower-case letter".to_owned());
        }
        Some(_) => {}
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        return Some(format!("it holds `{bad}`"));
    }
    let length = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
    (length > max).then(|| format!("it has {length} characters, more than {max}"))
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn identifiers() {
        assert_eq!(problem("orders", 16), None);
        assert_eq!(problem("order_db2", 16), None);
        assert!(problem("", 16).unwrap().contains("empty"));
        assert!(problem("2db", 16).unwrap().contains("lower-case letter"));
        assert!(problem("_x", 16).unwrap().contains("lower-case letter"));
        assert!(problem("Orders", 16).unwrap().contains("lower-case letter"));
        assert!(problem("order-db", 16).unwrap().contains("`-`"));
        assert!(problem("a;drop", 16).unwrap().contains("`;`"));
        assert!(problem("abcdefghijklmnopq", 16).unwrap().contains("17 characters"));
    }
}
