//! Variables a workload builds rather than writes: `from-pod` fields and the `env`
//! children of a `uses`.

use super::values::{Ctx, args, children};
use crate::diag::Spanned;
use crate::model::check;
use crate::model::vars::{DerivedEnv, PodField};
use indexmap::IndexMap;
use kdl::KdlNode;

/// `from-pod POD_NAMESPACE="namespace" ...`.
pub(super) fn from_pod(
    cx: &mut Ctx<'_>,
    node: &KdlNode,
    fields: &mut IndexMap<String, Spanned<PodField>>,
    parent: &str,
) {
    cx.extra_args(node, 0, "write `from-pod POD_NAMESPACE=\"namespace\"`");
    cx.no_children(node);
    if node.entries().is_empty() {
        cx.missing(node, "at least one `NAME=\"field\"`", "write `from-pod POD_NAMESPACE=\"namespace\"`");
    }
    for entry in node.entries() {
        let Some(key) = entry.name() else { continue };
        let what = format!("from-pod `{}`", key.value());
        let Some(written) = cx.string(entry, &what) else { continue };
        if !check::is_env_name(key.value()) {
            cx.invalid_value(
                cx.span(key.span()),
                "variable name",
                key.value(),
                "not an environment variable name",
                "use letters, digits and `_`, not starting with a digit, such as `POD_NAMESPACE`",
            );
        }
        let Some(field) = PodField::parse(&written.value) else {
            let names: Vec<&str> = PodField::ALL.iter().map(|(name, _)| *name).collect();
            cx.invalid_value(
                written.span,
                "pod field",
                &written.value,
                "not a field `from-pod` knows",
                &format!("use one of {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
            );
            continue;
        };
        if let Some(first) = fields.get(key.value()) {
            let first = first.span;
            cx.duplicate_setting(key.value(), parent, written.span, first);
            continue;
        }
        fields.insert(key.value().to_owned(), Spanned::new(field, written.span));
    }
}

/// `env "NAME" "value"` children of a `uses`.
pub(super) fn derived_env(cx: &mut Ctx<'_>, node: &KdlNode) -> Vec<DerivedEnv> {
    let mut out: Vec<DerivedEnv> = Vec::new();
    for child in children(node) {
        if child.name().value() != "env" {
            cx.unknown_node(child, "in `uses`", "a `uses` takes only `env \"NAME\" \"value\"` children".to_owned());
            continue;
        }
        cx.shape(child, &[], 2, "a variable name and a value");
        cx.no_children(child);
        let mut values = args(child).filter_map(|entry| cx.string(entry, "`env`"));
        let (Some(name), Some(value)) = (values.next(), values.next()) else {
            cx.missing(child, "a variable name and a value", "write `env \"ORDERS_URL\" \"http://$(ADDR)\"`");
            continue;
        };
        if !check::is_env_name(&name.value) {
            cx.invalid_value(
                name.span,
                "variable name",
                &name.value,
                "not an environment variable name",
                "use letters, digits and `_`, not starting with a digit",
            );
        }
        if let Some(first) = out.iter().find(|d| d.name.value == name.value) {
            let first = first.name.span;
            cx.duplicate_setting(&name.value, "uses", name.span, first);
            continue;
        }
        out.push(DerivedEnv { name, value });
    }
    out
}
