//! Variables a workload builds rather than writes: a service's address, a backing
//! service's connection variables renamed, selected and composed per consumer
//! (`uses ... { env "NAME" "..." }`), and `config` values that name other variables as
//! `$(VAR)`, which Kubernetes expands only in `env` entries set after what they name.
//!
//! Pure functions over resolved values; the caller reports problems with their spans.

use super::types::{EnvSource, ResolvedEnv};
use crate::diag::{Span, Spanned};
use crate::model::DerivedEnv;
use crate::model::bounds::PortNumber;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet};

/// How deep a kind's composed variables may refer to each other before expansion stops
/// (a kind's binding refers only to earlier variables, so real chains are one deep).
const MAX_DEPTH: usize = 8;

/// One piece of a value in Kubernetes' `$(VAR)` syntax.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    /// Text taken literally (an escaped `$$` stays `$$`, for the kubelet to unescape).
    Text(&'a str),
    /// `$(NAME)`.
    Ref(&'a str),
}

/// Split `value` into literal text and `$(NAME)` references; `$$` escapes a `$`.
fn pieces(value: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let bytes = value.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'$' {
            index += 1;
            continue;
        }
        match bytes.get(index + 1) {
            Some(b'$') => index += 2,
            Some(b'(') => {
                let name_start = index + 2;
                let Some(close) = value[name_start..].find(')') else {
                    break;
                };
                let name = &value[name_start..name_start + close];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
                    index += 2;
                    continue;
                }
                if text_start < index {
                    out.push(Piece::Text(&value[text_start..index]));
                }
                out.push(Piece::Ref(name));
                index = name_start + close + 1;
                text_start = index;
            }
            _ => index += 1,
        }
    }
    if text_start < value.len() {
        out.push(Piece::Text(&value[text_start..]));
    }
    out
}

/// The names a value refers to as `$(NAME)`, in order, each once.
pub(super) fn references(value: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for piece in pieces(value) {
        if let Piece::Ref(name) = piece
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// The variables a service offers to a caller: `HOST`, `PORT` and `ADDR`.
pub(super) fn service_vars(name: &str, namespace: &str, port: PortNumber) -> Vec<ResolvedEnv> {
    let host = format!("{name}.{namespace}.svc");
    let value = |name: &str, value: String| ResolvedEnv { name: name.to_owned(), source: EnvSource::Value(value) };
    vec![value("HOST", host.clone()), value("PORT", port.to_string()), value("ADDR", format!("{host}:{port}"))]
}

/// A `$(VAR)` in an `env` child that the callee does not offer.
#[derive(Debug)]
pub(super) struct UnknownRef {
    /// The variable referenced.
    pub variable: String,
    /// The variable being built.
    pub name: String,
    /// The value's span.
    pub span: Span,
}

/// The variables a consumer gets from `env` children over a callee's variables `vars`
/// (unprefixed): first the callee variables that live in a Secret or ConfigMap and that a
/// composed value names (as `<prefix><NAME>`, so the kubelet can expand them), then each
/// child in order. A child that is exactly one such reference copies its source instead.
pub(super) fn derive(
    vars: &[ResolvedEnv],
    prefix: &str,
    derived: &[DerivedEnv],
) -> Result<Vec<ResolvedEnv>, Vec<UnknownRef>> {
    let mut helpers: BTreeSet<String> = BTreeSet::new();
    let mut built = Vec::new();
    let mut unknown = Vec::new();
    for child in derived {
        let value = &child.value.value;
        if let [Piece::Ref(only)] = pieces(value).as_slice()
            && let Some(var) = vars.iter().find(|v| v.name == *only && !matches!(v.source, EnvSource::Value(_)))
        {
            built.push(ResolvedEnv { name: child.name.value.clone(), source: var.source.clone() });
            continue;
        }
        match expand(value, vars, prefix, &mut helpers, 0) {
            Ok(text) => built.push(ResolvedEnv { name: child.name.value.clone(), source: EnvSource::Value(text) }),
            Err(variable) => {
                unknown.push(UnknownRef { variable, name: child.name.value.clone(), span: child.value.span })
            }
        }
    }
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut out: Vec<ResolvedEnv> = vars
        .iter()
        .filter(|var| helpers.contains(&var.name))
        .map(|var| ResolvedEnv { name: format!("{prefix}{}", var.name), source: var.source.clone() })
        .collect();
    out.extend(built);
    Ok(out)
}

/// `value` with every reference to a plain-text variable written in and every other one
/// renamed to `$(<prefix><NAME>)` and recorded in `helpers`; `Err` names an unknown one.
fn expand(
    value: &str,
    vars: &[ResolvedEnv],
    prefix: &str,
    helpers: &mut BTreeSet<String>,
    depth: usize,
) -> Result<String, String> {
    let mut out = String::new();
    for piece in pieces(value) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Ref(name) => match vars.iter().find(|v| v.name == name) {
                None => return Err(name.to_owned()),
                Some(ResolvedEnv { source: EnvSource::Value(inner), .. }) if depth < MAX_DEPTH => {
                    out.push_str(&expand(inner, vars, prefix, helpers, depth + 1)?);
                }
                Some(var) => {
                    helpers.insert(var.name.clone());
                    out.push_str(&format!("$({prefix}{})", var.name));
                }
            },
        }
    }
    Ok(out)
}

/// A problem with `$(VAR)` references in `config`.
#[derive(Debug)]
pub(super) enum ConfigProblem {
    /// A reference to no variable of the container.
    Unknown {
        /// The config key.
        key: String,
        /// The variable named.
        variable: String,
        /// The entry.
        span: Span,
    },
    /// Entries naming each other in a circle.
    Cycle {
        /// One config key of the circle.
        key: String,
        /// The circle, in words.
        path: String,
        /// The entry.
        span: Span,
    },
}

/// `config` split into ConfigMap entries and `env` entries: an entry naming a variable
/// as `$(VAR)` becomes an `env` entry after every entry it names (`known` are the
/// container's other variables, set before any of these).
pub(super) fn compose(
    config: &IndexMap<String, Spanned<String>>,
    known: &BTreeSet<String>,
) -> (BTreeMap<String, String>, Vec<ResolvedEnv>, Vec<ConfigProblem>) {
    let mut plain = BTreeMap::new();
    let mut composed: BTreeMap<&str, (&Spanned<String>, Vec<&str>)> = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in config {
        let refs = references(&value.value);
        if refs.is_empty() {
            plain.insert(key.clone(), value.value.clone());
            continue;
        }
        for variable in &refs {
            if !known.contains(*variable) && !config.contains_key(*variable) {
                problems.push(ConfigProblem::Unknown {
                    key: key.clone(),
                    variable: (*variable).to_owned(),
                    span: value.span,
                });
            }
        }
        composed.insert(key.as_str(), (value, refs));
    }
    // Depth-first over the composed entries, by key: each comes after those it names.
    let mut order: Vec<ResolvedEnv> = Vec::new();
    let mut state: BTreeMap<&str, bool> = BTreeMap::new(); // false: in progress, true: done
    for key in composed.keys().copied().collect::<Vec<_>>() {
        let mut path = Vec::new();
        visit(key, &composed, &mut state, &mut path, &mut order, &mut problems);
    }
    (plain, order, problems)
}

fn visit<'a>(
    key: &'a str,
    composed: &BTreeMap<&'a str, (&Spanned<String>, Vec<&'a str>)>,
    state: &mut BTreeMap<&'a str, bool>,
    path: &mut Vec<&'a str>,
    order: &mut Vec<ResolvedEnv>,
    problems: &mut Vec<ConfigProblem>,
) {
    let Some((value, refs)) = composed.get(key) else { return };
    match state.get(key) {
        Some(true) => return,
        Some(false) => {
            let start = path.iter().position(|k| *k == key).unwrap_or(0);
            let mut circle: Vec<String> = path[start..].iter().map(|k| format!("`{k}`")).collect();
            circle.push(format!("`{key}`"));
            problems.push(ConfigProblem::Cycle { key: key.to_owned(), path: circle.join(" -> "), span: value.span });
            return;
        }
        None => {}
    }
    state.insert(key, false);
    path.push(key);
    for name in refs {
        visit(name, composed, state, path, order, problems);
    }
    path.pop();
    state.insert(key, true);
    order.push(ResolvedEnv { name: key.to_owned(), source: EnvSource::Value(value.value.clone()) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;

    fn span() -> Span {
        Span::new(FileId(0), (0, 0).into())
    }

    fn var(name: &str, source: EnvSource) -> ResolvedEnv {
        ResolvedEnv { name: name.to_owned(), source }
    }

    fn secret(key: &str) -> EnvSource {
        EnvSource::Secret { name: "db-app".to_owned(), key: key.to_owned() }
    }

    fn child(name: &str, value: &str) -> DerivedEnv {
        DerivedEnv { name: Spanned::new(name.to_owned(), span()), value: Spanned::new(value.to_owned(), span()) }
    }

    #[test]
    fn pieces_follow_kubernetes_escapes() {
        assert_eq!(references("a$(B)c$$(D)$(E"), vec!["B"]);
        assert_eq!(references("$(A)$(A)$(B)"), vec!["A", "B"]);
        assert_eq!(references("$() $(a b)"), Vec::<&str>::new());
    }

    #[test]
    fn derive_renames_selects_and_composes() {
        let vars = vec![
            var("PGHOST", EnvSource::Value("db-rw".to_owned())),
            var("PGPORT", EnvSource::Value("5432".to_owned())),
            var("PGUSER", secret("username")),
            var("PGPASSWORD", secret("password")),
            var("URL", EnvSource::Value("postgresql://$(PGUSER)@$(PGHOST):$(PGPORT)".to_owned())),
        ];
        let out = derive(
            &vars,
            "A_",
            &[
                child("JDBC", "jdbc:postgresql://$(PGHOST):$(PGPORT)/x?u=$(PGUSER)"),
                child("PASS", "$(PGPASSWORD)"),
                child("DB_URI", "$(URL)"),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            vec![
                var("A_PGUSER", secret("username")),
                var("JDBC", EnvSource::Value("jdbc:postgresql://db-rw:5432/x?u=$(A_PGUSER)".to_owned())),
                var("PASS", secret("password")),
                var("DB_URI", EnvSource::Value("postgresql://$(A_PGUSER)@db-rw:5432".to_owned())),
            ]
        );
        let unknown = derive(&vars, "", &[child("X", "$(NOPE)")]).unwrap_err();
        assert_eq!(unknown[0].variable, "NOPE");
    }

    #[test]
    fn composed_config_is_ordered_after_what_it_names() {
        let entry = |v: &str| Spanned::new(v.to_owned(), span());
        let config: IndexMap<String, Spanned<String>> = [
            ("A".to_owned(), entry("$(B)/x")),
            ("B".to_owned(), entry("$(SECRET)-$(PLAIN)")),
            ("PLAIN".to_owned(), entry("p")),
            ("C".to_owned(), entry("$(MISSING)")),
        ]
        .into_iter()
        .collect();
        let known = BTreeSet::from(["SECRET".to_owned()]);
        let (plain, composed, problems) = compose(&config, &known);
        assert_eq!(plain.keys().collect::<Vec<_>>(), vec!["PLAIN"]);
        let names: Vec<&str> = composed.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["B", "A", "C"]);
        assert!(matches!(&problems[..], [ConfigProblem::Unknown { variable, .. }] if variable == "MISSING"));
        let cyclic: IndexMap<String, Spanned<String>> =
            [("X".to_owned(), entry("$(Y)")), ("Y".to_owned(), entry("$(X)"))].into_iter().collect();
        let (_, _, problems) = compose(&cyclic, &BTreeSet::new());
        assert!(matches!(&problems[..], [ConfigProblem::Cycle { path, .. }] if path == "`X` -> `Y` -> `X`"));
    }
}
