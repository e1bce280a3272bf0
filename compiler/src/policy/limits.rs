//! Static limits on a CEL expression, checked before the `cel` crate sees it.
//!
//! The `cel` crate parses and evaluates recursively and has no cost tracking: a
//! 10,000-term `1+1+…` or a 20,000-step member chain overflowed the stack, and nested
//! comprehensions over literal lists ran for minutes. A linear scan over the text (strings
//! skipped) bounds what evaluation can cost; docs/language.md lists the limits.

/// The limits (documented in docs/language.md, "Limits").
pub(crate) const MAX_BYTES: usize = 4096;
/// Operators, member accesses, calls and indexes in one expression.
pub(crate) const MAX_TERMS: usize = 400;
/// Nesting of `(`, `[` and `{`.
pub(crate) const MAX_DEPTH: usize = 16;
/// Nesting of the comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`).
pub(crate) const MAX_COMPREHENSION_DEPTH: usize = 2;
/// Elements of one list or map literal.
pub(crate) const MAX_LITERAL_ELEMENTS: usize = 64;

/// Comprehension macros in one expression, nested or chained (`l.map(..).map(..)`): each
/// can multiply the size of what the next one walks.
pub(crate) const MAX_COMPREHENSIONS: usize = 3;
/// Work one evaluation may be estimated to do (see [`estimate`]).
pub(crate) const MAX_COST: u128 = 10_000_000;

const MACROS: &[&str] = &["all", "exists", "exists_one", "map", "filter"];

/// What evaluating an expression can cost, read from its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Comprehension macros in the expression.
    pub comprehensions: usize,
    /// Their deepest nesting (0 without any).
    pub depth: usize,
}

/// An upper bound of the elements an evaluation walks or builds: each comprehension walks
/// a collection of at most `largest` elements (the largest list or map in the entity's
/// variables, or a literal's limit) per enclosing iteration, and its body can build one
/// of that size per iteration. Deterministic: it depends on the data, not on the clock.
pub(crate) fn estimate(shape: Shape, largest: usize) -> u128 {
    if shape.comprehensions == 0 {
        return 1;
    }
    let n = largest.max(MAX_LITERAL_ELEMENTS) as u128;
    let exponent = u32::try_from(shape.depth + 1).unwrap_or(u32::MAX);
    n.saturating_pow(exponent).saturating_mul(shape.comprehensions as u128)
}

/// The length of the largest list or map in `value`, at any depth.
pub(crate) fn largest_collection(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => items.iter().map(largest_collection).fold(items.len(), usize::max),
        serde_json::Value::Object(map) => map.values().map(largest_collection).fold(map.len(), usize::max),
        _ => 0,
    }
}

/// `Err` with the reason and the byte offset where the limit is passed.
pub(crate) fn check(expression: &str) -> Result<Shape, (String, usize)> {
    if expression.len() > MAX_BYTES {
        return Err((format!("it is {} bytes long, more than the limit of {MAX_BYTES}", expression.len()), MAX_BYTES));
    }
    let bytes = expression.as_bytes();
    // Per open bracket: whether it opened a comprehension, and the elements counted so far.
    let mut open: Vec<(bool, usize)> = Vec::new();
    let mut terms = 0usize;
    let mut shape = Shape::default();
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'"' | b'\'' => {
                index = skip_string(bytes, index);
                continue;
            }
            b'(' | b'[' | b'{' => {
                let comprehension = byte == b'(' && MACROS.contains(&word_before(expression, index));
                open.push((comprehension, 0));
                if comprehension {
                    shape.comprehensions += 1;
                    shape.depth = shape.depth.max(open.iter().filter(|(c, _)| *c).count());
                    if shape.comprehensions > MAX_COMPREHENSIONS {
                        return Err((
                            format!(
                                "it has more than {MAX_COMPREHENSIONS} comprehensions (`all`, `exists`, `map`, ...)"
                            ),
                            index,
                        ));
                    }
                }
                if open.len() > MAX_DEPTH {
                    return Err((format!("brackets nest deeper than {MAX_DEPTH} levels"), index));
                }
                if open.iter().filter(|(c, _)| *c).count() > MAX_COMPREHENSION_DEPTH {
                    return Err((
                        format!(
                            "comprehensions (`all`, `exists`, `map`, ...) nest deeper than {MAX_COMPREHENSION_DEPTH} levels"
                        ),
                        index,
                    ));
                }
                terms += 1;
            }
            b')' | b']' | b'}' => {
                open.pop();
            }
            b',' => {
                if let Some((_, elements)) = open.last_mut() {
                    *elements += 1;
                    if *elements >= MAX_LITERAL_ELEMENTS {
                        return Err((
                            format!("a list, map or call has more than {MAX_LITERAL_ELEMENTS} elements"),
                            index,
                        ));
                    }
                }
            }
            b'.' if !bytes.get(index + 1).is_some_and(u8::is_ascii_digit) => terms += 1,
            b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b'=' | b'!' | b'&' | b'|' | b'?' => terms += 1,
            _ => {}
        }
        if terms > MAX_TERMS {
            return Err((format!("it has more than {MAX_TERMS} operators, member accesses and calls"), index));
        }
        index += 1;
    }
    Ok(shape)
}

/// The index just past a string literal starting at `start` (quote, triple quote, with
/// escapes; a raw prefix `r` needs no special case as escapes only skip a byte).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.get(start..start + 3).is_some_and(|t| t.iter().all(|b| *b == quote));
    let mut index = start + if triple { 3 } else { 1 };
    while let Some(&byte) = bytes.get(index) {
        if byte == b'\\' {
            index += 2;
            continue;
        }
        if byte == quote && (!triple || bytes.get(index..index + 3).is_some_and(|t| t.iter().all(|b| *b == quote))) {
            return index + if triple { 3 } else { 1 };
        }
        index += 1;
    }
    bytes.len()
}

/// The identifier right before `index` (empty when there is none).
fn word_before(text: &str, index: usize) -> &str {
    let head = text.get(..index).unwrap_or("");
    let start = head.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    &head[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_grows_with_the_data_and_the_nesting() {
        let shape = Shape { comprehensions: 2, depth: 2 };
        assert_eq!(estimate(Shape::default(), 1_000_000), 1);
        assert_eq!(estimate(shape, 3), 2 * 64u128.pow(3));
        assert!(estimate(shape, 5_000) > MAX_COST);
        assert!(estimate(Shape { comprehensions: 1, depth: 1 }, 2_000) < MAX_COST);
        let data = serde_json::json!({"a": [1, 2, {"b": (0..300).collect::<Vec<_>>()}]});
        assert_eq!(largest_collection(&data), 300);
    }

    #[test]
    fn the_stdlib_shapes_pass() {
        let expression = "!has(pod.volumes) || pod.volumes.all(v, v.all(k, k in ['name', 'configMap', 'csi']))";
        assert_eq!(check(expression), Ok(Shape { comprehensions: 2, depth: 2 }));
        let shape = check("config.exists(key, key.upperAscii().matches('PASSWORD|TOKEN(((('))");
        assert_eq!(shape, Ok(Shape { comprehensions: 1, depth: 1 }));
    }

    #[test]
    fn hostile_expressions_are_refused_before_the_parser() {
        let sum = vec!["1"; 10_000].join("+");
        assert!(check(&sum).is_err());
        let chain = format!("a{}", ".b".repeat(20_000));
        assert!(check(&chain).is_err());
        let short_sum = vec!["1"; 1_000].join("+");
        assert!(check(&short_sum).unwrap_err().0.contains("operators"));
        assert!(check(&format!("{}1{}", "(".repeat(40), ")".repeat(40))).unwrap_err().0.contains("nest"));
        let nested = "[1].all(a, [1].all(b, [1].all(c, true)))";
        assert!(check(nested).unwrap_err().0.contains("comprehensions"));
        let chained = "[1].map(a, [1]).map(b, b.map(c, [1])).map(d, d + d)";
        assert!(check(chained).unwrap_err().0.contains("more than 3 comprehensions"));
        let list = format!("[{}].all(x, true)", vec!["1"; 100].join(","));
        assert!(check(&list).unwrap_err().0.contains("elements"));
    }
}
