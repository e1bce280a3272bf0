//! Resolving one backing service in one view: its kind, properties, placement and
//! realisation.

use super::errors::ResolveError;
use super::realise::{self, Scope};
use super::types::ResolvedBacking;
use super::{Ctx, identifier, spec_files};
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::{BackingKind, BackingService, KindProperty, PropertyType, Value};
use std::collections::BTreeMap;

pub(super) fn backing(cx: &mut Ctx<'_>, backing: &BackingService, scope: &Scope<'_>) -> Option<ResolvedBacking> {
    let env = scope.env;
    let Some(kind) = cx.library.kinds.get(&backing.kind.value) else {
        let help = did_you_mean(&backing.kind.value, cx.library.kinds.keys().map(String::as_str), Otherwise::Declared);
        cx.error(
            backing.kind.span,
            ResolveError::UnknownReference {
                what: "backing-service kind",
                name: backing.kind.value.clone(),
                span: backing.kind.span,
                help,
            },
        );
        return None;
    };
    let written = written(backing, env);
    check_written(cx, kind, backing);
    let placement = backing_placement(backing, env).map(|p| Spanned::new(vec![p.value.clone()], p.span));
    if !realise::placed_here(cx, scope, placement.as_ref()) {
        return None;
    }
    let mut properties = BTreeMap::new();
    for property in &kind.properties {
        let name = &property.name.value;
        if let Some(value) = written.get(name) {
            properties.insert(name.clone(), value.value.clone());
        } else if let (MANAGED, Some(managed)) = (name.as_str(), scope.profile.backing_managed) {
            // The target's default sits between the kind's and the declaration's.
            properties.insert(name.clone(), Value::Bool(managed));
        } else if let Some(default) = &property.default {
            properties.insert(name.clone(), default.value.clone());
        } else if property.required {
            cx.error(
                backing.name.span,
                ResolveError::MissingKindProperty {
                    name: name.clone(),
                    kind: kind.name.value.clone(),
                    service: backing.name.value.clone(),
                    span: backing.name.span,
                },
            );
        }
    }
    if !read_files(cx, kind, &written, &mut properties) {
        return None;
    }
    let managed = matches!(properties.get(MANAGED), Some(Value::Bool(true)));
    let (realisation, binding, port) =
        realise::realise(cx, scope, kind, &backing.name, &written, &properties, managed)?;
    Some(ResolvedBacking {
        kind: kind.name.value.clone(),
        name: backing.name.value.clone(),
        managed,
        stateful: kind.stateful,
        port,
        properties,
        realisation,
        binding,
        span: backing.span,
    })
}

/// The properties a declaration writes for `env` (its own, then its `in` block's).
/// `managed=` is also a property of the kind (its default, its type, `props.managed` in
/// the templates), so it joins the written kind properties; `placement=` joins them for
/// the templates' list of `written` names only.
fn written(backing: &BackingService, env: &str) -> BTreeMap<String, Spanned<Value>> {
    let mut written: BTreeMap<String, Spanned<Value>> = backing
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(managed_property(&backing.managed))
        .collect();
    for block in backing.overrides.iter().filter(|o| o.env.value == env) {
        for (key, value) in
            block.properties.iter().map(|(k, v)| (k.clone(), v.clone())).chain(managed_property(&block.managed))
        {
            written.insert(key, value);
        }
    }
    if let Some(placement) = backing_placement(backing, env) {
        written.insert(PLACEMENT.to_owned(), Spanned::new(Value::String(placement.value.clone()), placement.span));
    }
    written
}

/// `managed=` as the kind property it is.
fn managed_property(managed: &Option<Spanned<bool>>) -> Option<(String, Spanned<Value>)> {
    managed.as_ref().map(|m| (MANAGED.to_owned(), Spanned::new(Value::Bool(m.value), m.span)))
}

/// Check every property written anywhere (also in other environments' blocks) once
/// against the kind: known, in range, of its type.
fn check_written(cx: &mut Ctx<'_>, kind: &BackingKind, backing: &BackingService) {
    let all_written: Vec<(String, Spanned<Value>)> = backing
        .properties
        .iter()
        .chain(backing.overrides.iter().flat_map(|o| o.properties.iter()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(managed_property(&backing.managed))
        .chain(backing.overrides.iter().filter_map(|o| managed_property(&o.managed)))
        .collect();
    for (key, value) in &all_written {
        match kind.properties.iter().find(|p| &p.name.value == key) {
            None => {
                let help =
                    did_you_mean(key, kind.properties.iter().map(|p| p.name.value.as_str()), Otherwise::Declared);
                cx.error(
                    value.span,
                    ResolveError::UnknownKindProperty {
                        name: key.clone(),
                        kind: kind.name.value.clone(),
                        service: backing.name.value.clone(),
                        span: value.span,
                        help,
                    },
                );
            }
            Some(property) => {
                out_of_range(cx, kind, key, property, value);
                if let (PropertyType::Identifier, Value::String(text)) = (property.ty, &value.value) {
                    identifier::check(cx, property, (&kind.name.value, &backing.name.value), text, value.span);
                }
                if let Some((expected, example)) = type_mismatch(property.ty, &value.value) {
                    cx.error(
                        value.span,
                        ResolveError::KindPropertyType {
                            name: key.clone(),
                            kind: kind.name.value.clone(),
                            expected,
                            example,
                            span: value.span,
                        },
                    );
                }
            }
        }
    }
}

/// An integer property outside the kind's `min=`/`max=`, reported at the value.
fn out_of_range(cx: &mut Ctx<'_>, kind: &BackingKind, key: &str, property: &KindProperty, value: &Spanned<Value>) {
    let (Value::Integer(number), (min, max)) = (&value.value, property.range) else { return };
    if !(min.is_some_and(|min| *number < min) || max.is_some_and(|max| *number > max)) {
        return;
    }
    let range = match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, _) => format!("at most {}", max.unwrap_or_default()),
    };
    cx.error(
        value.span,
        super::value_errors::ValueError::KindPropertyRange {
            name: key.to_owned(),
            kind: kind.name.value.clone(),
            value: *number,
            range,
            span: value.span,
        },
    );
}

/// Replace the path of every `type="file"` property with the file's text (what templates
/// read); `false` when a file cannot be used (reported).
fn read_files(
    cx: &mut Ctx<'_>,
    kind: &BackingKind,
    written: &BTreeMap<String, Spanned<Value>>,
    properties: &mut BTreeMap<String, Value>,
) -> bool {
    let mut ok = true;
    for property in kind.properties.iter().filter(|p| p.ty == PropertyType::File) {
        let name = &property.name.value;
        let Some(Spanned { value: Value::String(path), span }) = written.get(name).or(property.default.as_ref()) else {
            continue;
        };
        match spec_files::load(cx, name, &Spanned::new(path.clone(), *span)) {
            Some(text) => {
                properties.insert(name.clone(), Value::String(text));
            }
            None => ok = false,
        }
    }
    ok
}

/// The property that picks in-cluster or managed.
pub(super) const MANAGED: &str = "managed";

/// The name under which `placement=` is listed among the written properties; not a kind
/// property.
pub(super) const PLACEMENT: &str = "placement";

/// `placement="<target>"` of a backing service as written for `env` (the `in` block wins).
pub(super) fn backing_placement<'b>(backing: &'b BackingService, env: &str) -> Option<&'b Spanned<String>> {
    backing
        .overrides
        .iter()
        .filter(|o| o.env.value == env)
        .find_map(|o| o.placement.as_ref())
        .or(backing.placement.as_ref())
}

pub(super) fn type_mismatch(ty: PropertyType, value: &Value) -> Option<(&'static str, &'static str)> {
    match (ty, value) {
        // A quantity's text is checked here, at the spec's line: the kind's templates size
        // instances and volumes from it.
        (PropertyType::Quantity, Value::String(text)) if !crate::model::is_quantity(text) => {
            Some(("a quantity", "`storage=\"20Gi\"` or `cpu=\"500m\"`"))
        }
        (
            PropertyType::String | PropertyType::Quantity | PropertyType::File | PropertyType::Identifier,
            Value::String(_),
        )
        | (PropertyType::Integer, Value::Integer(_))
        | (PropertyType::Bool, Value::Bool(_)) => None,
        // A quantity may be written as a bare number: `storage=20` means 20 bytes, `cpu=2`.
        (PropertyType::Quantity, Value::Integer(_)) => None,
        (PropertyType::String, _) => Some(("a string", "`name=\"value\"`")),
        (PropertyType::Identifier, _) => Some(("a database name", "`database=\"orders\"`")),
        (PropertyType::File, _) => Some(("a path relative to the spec's folder", "`init-sql-file=\"db/init.sql\"`")),
        (PropertyType::Quantity, _) => Some(("a quantity", "`storage=\"20Gi\"`")),
        (PropertyType::Integer, _) => Some(("an integer", "`partitions=6`")),
        (PropertyType::Bool, _) => Some(("a boolean", "`managed=#true`")),
    }
}
