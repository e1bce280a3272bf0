//! Schema rewriting shared with `compiler/build.rs`, which applies it to the bundled
//! schemas once, at build time (the process then parses the prepared text only).

use serde_json::{Map, Value};

/// Close every object schema that lists its properties, as `kubectl --validate=strict`
/// rejects unknown fields (the built-in schemas are already strict; CRD schemas are not).
/// Branches of `anyOf`/`oneOf`/`allOf`/`not` stay open: closing them would reject valid
/// objects that match another branch.
pub fn strictify(schema: &mut Value) {
    let metadata = "/properties/metadata/additionalProperties";
    let metadata_was_closed = schema.pointer(metadata).is_some();
    close(schema);
    // A CRD's `metadata` schema constrains at most `name` (mysql.oracle.com's InnoDBCluster
    // caps it at 40 characters); the rest of it is ObjectMeta, which the API server owns:
    // closing it would refuse every label and namespace.
    if !metadata_was_closed && let Some(Value::Object(meta)) = schema.pointer_mut("/properties/metadata") {
        meta.remove("additionalProperties");
    }
}

fn close(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    let open = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || map.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !open {
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(close);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            close(child);
        }
    }
}

/// The schema without its `description` annotations, which no validation reads and no
/// error message quotes, keys otherwise in their order: most of a Kubernetes schema's
/// bytes are descriptions, and parsing them cost more than validating. Values that are
/// data, not schemas (`enum`, `default`, ...), are kept whole, and so is a `not` branch,
/// whose failure message prints the branch.
pub fn without_descriptions(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let kept = match key.as_str() {
                    "description" => continue,
                    "properties" | "patternProperties" | "definitions" | "$defs" => match value {
                        Value::Object(schemas) => Value::Object(
                            schemas.iter().map(|(name, schema)| (name.clone(), without_descriptions(schema))).collect(),
                        ),
                        other => other.clone(),
                    },
                    "not" | "enum" | "const" | "default" | "example" | "examples" | "required" => value.clone(),
                    _ => without_descriptions(value),
                };
                out.insert(key.clone(), kept);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(without_descriptions).collect()),
        other => other.clone(),
    }
}
