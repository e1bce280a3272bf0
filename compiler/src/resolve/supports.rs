//! What a chosen realisation supports: the values its `accepts` lists allow, and which
//! properties it reads at all. Both are library data (the `realise` block's `accepts`
//! nodes and the `props.<name>` its templates read), so a setting the realisation cannot
//! run, or one that would have no effect, is a spanned error here rather than an object
//! the final schema check refuses or a setting silently dropped.

use super::Ctx;
use super::backing::{MANAGED, PLACEMENT};
use super::errors::ResolveError;
use crate::diag::Spanned;
use crate::model::{BackingKind, BindSource, Realisation, Value};
use std::collections::BTreeMap;

/// What the checks need to know about the declaration being realised.
pub(super) struct Declared<'a> {
    /// The declaration's name.
    pub name: &'a Spanned<String>,
    /// Properties as written for this environment (top level, then its `in` block).
    pub written: &'a BTreeMap<String, Spanned<Value>>,
    /// Every property's value in this environment (written or default).
    pub properties: &'a BTreeMap<String, Value>,
    /// The target's cloud profile.
    pub cloud: &'a str,
}

/// Report every accepted-value mismatch and every written property the realisation does
/// not read; `false` when there was one.
pub(super) fn check(cx: &mut Ctx<'_>, kind: &BackingKind, realisation: &Realisation, declared: &Declared<'_>) -> bool {
    let mut fine = true;
    let mode = realisation.mode.value.as_str();
    let place = match &realisation.cloud {
        Some(cloud) => format!("on `{}`", cloud.value),
        None => format!("on `{}`", declared.cloud),
    };
    for accepts in &realisation.accepts {
        let name = &accepts.property.value;
        let Some(value) = declared.properties.get(name) else { continue };
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Integer(number) => number.to_string(),
            Value::Float(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
        };
        if accepts.values.contains(&text) {
            continue;
        }
        fine = false;
        let allowed: Vec<String> = accepts.values.iter().map(|v| format!("`{v}`")).collect();
        // A value the spec did not write is the kind's default: point at the declaration.
        let (span, written) = match declared.written.get(name) {
            Some(written) => (written.span, true),
            None => (declared.name.span, false),
        };
        let help = if let Some(help) = &accepts.help {
            help.value.clone()
        } else if written {
            format!("write one of {} (the {mode} {} {place} runs no other)", allowed.join(", "), kind.name.value)
        } else {
            format!("the default `{text}` does not run here: write `{name}=` with one of {}", allowed.join(", "))
        };
        cx.error(
            span,
            ResolveError::UnsupportedValue {
                property: name.clone(),
                value: text,
                kind: kind.name.value.clone(),
                mode,
                place: place.clone(),
                help,
                span,
            },
        );
    }
    // A value the realisation cannot run is the whole answer: what else it would not read
    // may change with the value the spec writes instead.
    if !fine {
        return false;
    }
    let reads = reads(realisation);
    for (property, value) in declared.written {
        if property == MANAGED || property == PLACEMENT || reads.iter().any(|read| read == property) {
            continue;
        }
        // Unknown properties were reported already.
        if !kind.properties.iter().any(|p| &p.name.value == property) {
            continue;
        }
        fine = false;
        let help = realisation.unsupported.get(property).map_or_else(
            || {
                format!(
                    "remove `{property}=` here; if it matters where `{}` runs otherwise, write it in the `in \"<env>\"` blocks of those environments",
                    declared.name.value
                )
            },
            |help| help.value.clone(),
        );
        cx.error(
            value.span,
            ResolveError::PropertyHasNoEffect {
                property: property.clone(),
                kind: kind.name.value.clone(),
                mode,
                place: place.clone(),
                help,
                span: value.span,
            },
        );
    }
    fine
}

/// Report every target param the realisation reads whose value is outside its
/// `accepts-param` list (a managed service's version list); `false` when there was one.
/// A param the target leaves out is fine: the template's default applies.
pub(super) fn params(
    cx: &mut Ctx<'_>,
    scope: &super::realise::Scope<'_>,
    kind: &BackingKind,
    realisation: &Realisation,
) -> bool {
    let mut fine = true;
    for accepts in &realisation.accepts_params {
        let param = &accepts.property.value;
        let Some(value) = scope.profile.params.get(param) else { continue };
        if accepts.values.contains(value) {
            continue;
        }
        fine = false;
        let allowed: Vec<String> = accepts.values.iter().map(|v| format!("`{v}`")).collect();
        let error = super::value_errors::ValueError::UnsupportedParam {
            param: param.clone(),
            value: value.escape_debug().to_string(),
            target: scope.target.to_owned(),
            mode: realisation.mode.value.as_str(),
            kind: kind.name.value.clone(),
            allowed: allowed.join(", "),
            span: scope.target_span,
        };
        cx.error(scope.target_span, error);
    }
    fine
}

/// The properties a realisation's templates read: every `props.<name>`,
/// `props["<name>"]` and `props['<name>']` in its objects, binds, pod labels and `when`.
pub(super) fn reads(realisation: &Realisation) -> Vec<String> {
    let mut texts: Vec<&str> = realisation.objects.iter().map(|o| o.value.as_str()).collect();
    texts.extend(realisation.monitor.iter().map(|m| m.template.value.as_str()));
    for bind in &realisation.binds {
        texts.push(match &bind.source {
            BindSource::Secret { name, .. } | BindSource::ConfigMap { name, .. } => name.value.as_str(),
            BindSource::Value(value) => value.value.as_str(),
        });
    }
    texts.extend(realisation.pods.values().map(|v| v.value.as_str()));
    texts.extend(realisation.when.iter().map(|w| w.value.as_str()));
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        for (at, _) in text.match_indices("props") {
            // `props` as a whole word.
            if text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[at + "props".len()..];
            let name = if let Some(attr) = rest.strip_prefix('.') {
                attr.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default()
            } else if let Some(item) = rest.strip_prefix("[\"").or_else(|| rest.strip_prefix("['")) {
                item.split(['"', '\'']).next().unwrap_or_default()
            } else {
                ""
            };
            if !name.is_empty() && !out.iter().any(|known| known == name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Span};
    use crate::model::{Bind, RealisationMode};
    use indexmap::IndexMap;

    fn spanned(text: &str) -> Spanned<String> {
        Spanned::new(text.to_owned(), Span { file: FileId(0), offset: 0, len: 0 })
    }

    #[test]
    fn reads_every_spelling_of_a_property() {
        let realisation = Realisation {
            mode: Spanned::new(RealisationMode::InCluster, Span { file: FileId(0), offset: 0, len: 0 }),
            cloud: None,
            when: None,
            requires: Vec::new(),
            param_formats: Vec::new(),
            binds: vec![Bind {
                key: spanned("host"),
                source: BindSource::Value(spanned("{{ name }}.{{ props.zone }}")),
                span: Span { file: FileId(0), offset: 0, len: 0 },
            }],
            pods: IndexMap::from([("app".to_owned(), spanned("{{ props['pod-label'] }}"))]),
            operator_namespace: None,
            api_server: false,
            port: None,
            objects: vec![spanned(
                "size: {{ props.storage|gib }}\nx: {{ props[\"retention-days\"] }}\ny: {{ myprops.other }}\n{% if props.version > 1 %}",
            )],
            accepts: Vec::new(),
            accepts_params: Vec::new(),
            unsupported: IndexMap::new(),
            unsupported_when: IndexMap::new(),
            pod_sizes: Vec::new(),
            monitor: None,
            span: Span { file: FileId(0), offset: 0, len: 0 },
        };
        assert_eq!(reads(&realisation), ["storage", "retention-days", "version", "zone", "pod-label"]);
    }
}
