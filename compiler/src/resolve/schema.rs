//! The resolved model as JSON, and its JSON Schema, both derived from the types in
//! [`super::types`] (`serde::Serialize` and `schemars::JsonSchema`): one source for
//! `berth inspect`, `berth schema`, the CEL variables of policies and the template
//! contexts of realisations.

use super::Estate;
use serde_json::Value;

/// The JSON Schema (draft 2020-12) of [`Estate`]'s serialisation.
pub fn estate_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Estate)).unwrap_or(Value::Null);
    if let Some(map) = schema.as_object_mut() {
        map.insert("title".to_owned(), Value::String("Berth resolved estate".to_owned()));
    }
    schema
}

/// The schema as pretty-printed text with a final newline: what `berth schema` prints and
/// the bytes of the committed `schemas/berth-estate.schema.json`.
pub fn estate_schema_text() -> String {
    pretty(&estate_schema())
}

/// The estate as pretty-printed JSON with a final newline: what `berth inspect` prints.
pub fn estate_json(estate: &Estate) -> String {
    pretty(&to_json(estate))
}

/// A resolved value as JSON: what policies and templates read. Serialising these types
/// cannot fail (no maps with non-string keys, no non-finite floats from the spec), so a
/// failure would be a bug; it yields `null` rather than a panic.
pub fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::{estate_schema, estate_schema_text};

    #[test]
    fn estate_schema_is_a_valid_json_schema() {
        let schema = estate_schema();
        assert!(jsonschema::meta::is_valid(&schema));
        let validator = jsonschema::validator_for(&schema).unwrap();
        let limit_range = serde_json::json!({
            "request_cpu": "100m", "request_memory": "128Mi", "limit_cpu": "500m", "limit_memory": "512Mi",
        });
        let empty = serde_json::json!({
            "platform": "p", "kubernetes": "1.33", "secret_store": "s", "limit_range": limit_range, "views": [],
            "span": null,
        });
        assert!(validator.is_valid(&empty));
        assert!(!validator.is_valid(&serde_json::json!({"platform": "p"})));
    }

    /// The committed `schemas/berth-estate.schema.json` is the generated schema;
    /// `BERTH_UPDATE=1` rewrites it.
    #[test]
    fn committed_estate_schema_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/berth-estate.schema.json");
        let expected = estate_schema_text();
        if std::env::var_os("BERTH_UPDATE").is_some_and(|value| value == "1") {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != expected {
            let diff = similar::TextDiff::from_lines(&committed, &expected)
                .unified_diff()
                .header("schemas/berth-estate.schema.json (committed)", "generated")
                .to_string();
            panic!(
                "schemas/berth-estate.schema.json is stale; run `BERTH_UPDATE=1 cargo test -p berth estate_schema`:\n{diff}"
            );
        }
    }
}
