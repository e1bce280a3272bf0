//! The values files and their schema, from the values a chart's templates read.
//!
//! `values.yaml` holds every value, set to the first environment's (so the chart renders
//! without a values file, and every map a template indexes exists); `values-<env>.yaml`
//! the environment's name, the images, and every value that differs from the defaults.
//! Helm merges maps key by key, so a map-valued value that lacks one of the default's keys
//! sets it to `null` (Helm then deletes it), and a field an environment lacks is `null`.
//! `values.schema.json` is closed (`additionalProperties: false` at every level), typed
//! from what the environments hold, with ranges for replicas and ports.

use super::derive::{Leaf, LeafKind};
use crate::model::bounds;
use serde_json::{Map, Value, json};

/// The defaults and each environment's values.
pub struct Values {
    /// `values.yaml`.
    pub defaults: Value,
    /// `values-<env>.yaml`, per environment of the chart.
    pub per_env: Vec<Value>,
}

impl Values {
    /// The values files of a chart whose templates read `leaves`.
    pub fn new(envs: &[String], leaves: &[Leaf]) -> Values {
        let mut defaults = Map::new();
        defaults.insert("environmentName".to_owned(), json!(envs.first().cloned().unwrap_or_default()));
        let mut firsts = Vec::new();
        for leaf in leaves {
            // The first environment that has the object (the first of all, mostly).
            let first = leaf
                .per_env
                .iter()
                .flatten()
                .next()
                .filter(|value| !value.is_null())
                .map(|value| shape(leaf.kind, value));
            match &first {
                Some(value) => set(&mut defaults, &leaf.path, value.clone()),
                None => parents(&mut defaults, &leaf.path),
            }
            firsts.push(first);
        }
        let mut per_env = Vec::new();
        for (index, env) in envs.iter().enumerate() {
            let mut values = Map::new();
            values.insert("environmentName".to_owned(), json!(env));
            for (leaf, first) in leaves.iter().zip(&firsts) {
                let Some(Some(value)) = leaf.per_env.get(index) else { continue };
                let value = shape(leaf.kind, value);
                if leaf.kind != LeafKind::Image && first.as_ref() == Some(&value) {
                    continue;
                }
                let value = match first {
                    Some(first) => without(&value, first),
                    None => value,
                };
                set(&mut values, &leaf.path, value);
            }
            per_env.push(Value::Object(values));
        }
        Values { defaults: Value::Object(defaults), per_env }
    }
}

/// A value as the values files hold it: an image split into its parts.
fn shape(kind: LeafKind, value: &Value) -> Value {
    match (kind, value) {
        (LeafKind::Image, Value::String(image)) => {
            let (rest, digest) = image.split_once('@').unwrap_or((image, ""));
            let slash = rest.rfind('/').map_or(0, |at| at + 1);
            let (repository, tag) = match rest[slash..].rfind(':') {
                Some(colon) => (&rest[..slash + colon], &rest[slash + colon + 1..]),
                None => (rest, ""),
            };
            json!({"repository": repository, "tag": tag, "digest": digest})
        }
        _ => value.clone(),
    }
}

/// `value` with every key of `default` it lacks set to `null` (at every level of maps), so
/// Helm's key-by-key merge with the defaults gives back `value`.
fn without(value: &Value, default: &Value) -> Value {
    match (value, default) {
        (Value::Object(map), Value::Object(default)) => {
            let mut out = Map::new();
            for (key, item) in map {
                let item = match default.get(key) {
                    Some(default) => without(item, default),
                    None => item.clone(),
                };
                out.insert(key.clone(), item);
            }
            for key in default.keys() {
                if !map.contains_key(key) {
                    out.insert(key.clone(), Value::Null);
                }
            }
            Value::Object(out)
        }
        _ => value.clone(),
    }
}

fn parents(root: &mut Map<String, Value>, path: &[String]) {
    let mut map = root;
    for segment in path.iter().take(path.len().saturating_sub(1)) {
        let entry = map.entry(segment.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        map = next;
    }
}

fn set(root: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, init)) = path.split_last() else { return };
    let mut map = root;
    for segment in init {
        let entry = map.entry(segment.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        map = next;
    }
    map.insert(last.clone(), value);
}

/// The JSON Schema type name of a value.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The schema of one value.
fn leaf_schema(leaf: &Leaf) -> Value {
    match leaf.kind {
        LeafKind::Enabled => json!({"type": "boolean"}),
        LeafKind::Image => json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["repository", "tag", "digest"],
            "properties": {
                "repository": {"type": "string", "minLength": 1, "pattern": "^[^\\s@]+$"},
                "tag": {"type": ["string", "integer"], "pattern": "^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"},
                "digest": {"type": "string", "pattern": "^([a-z0-9]+:[a-f0-9]{32,})?$"}
            }
        }),
        LeafKind::Scalar | LeafKind::Tree => {
            let mut types: Vec<&str> = Vec::new();
            for value in leaf.per_env.iter().flatten() {
                let name = type_name(value);
                if !types.contains(&name) {
                    types.push(name);
                }
            }
            if types.contains(&"integer") && types.contains(&"number") {
                types.retain(|name| *name != "integer");
            }
            types.sort_unstable();
            let mut schema = Map::new();
            schema.insert("type".to_owned(), if types.len() == 1 { json!(types[0]) } else { json!(types) });
            if types.contains(&"integer") {
                let range = match leaf.path.last().map(String::as_str) {
                    Some("replicas") => Some(bounds::REPLICAS),
                    Some("minReplicas" | "maxReplicas") => Some(bounds::SCALE),
                    Some("port" | "containerPort" | "targetPort") => Some(bounds::PORT),
                    _ => None,
                };
                if let Some((minimum, maximum)) = range {
                    schema.insert("minimum".to_owned(), json!(minimum));
                    schema.insert("maximum".to_owned(), json!(maximum));
                }
            }
            Value::Object(schema)
        }
    }
}

/// A closed object schema.
fn object() -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": {}})
}

/// `values.schema.json`: every value's path, closed at every level.
pub fn schema(envs: &[String], leaves: &[Leaf]) -> Value {
    let mut root = object();
    root["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    root["required"] = json!(["environmentName"]);
    root["properties"]["environmentName"] = json!({"type": "string", "enum": envs});
    // Helm gives every subchart the umbrella's `global` values.
    root["properties"]["global"] = json!({"type": "object"});
    for leaf in leaves {
        let mut node = &mut root;
        for segment in &leaf.path[..leaf.path.len().saturating_sub(1)] {
            let properties = &mut node["properties"];
            if properties.get(segment).is_none() {
                properties[segment] = object();
            }
            node = &mut properties[segment];
        }
        if let Some(last) = leaf.path.last() {
            node["properties"][last] = leaf_schema(leaf);
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::{shape, without};
    use crate::emit::helm::derive::LeafKind;
    use serde_json::json;

    #[test]
    fn images_split_into_repository_tag_and_digest() {
        let cases = [
            ("r.io:5000/a/b:1.0", json!({"repository": "r.io:5000/a/b", "tag": "1.0", "digest": ""})),
            ("r.io:5000/a/b", json!({"repository": "r.io:5000/a/b", "tag": "", "digest": ""})),
            ("b@sha256:ab", json!({"repository": "b", "tag": "", "digest": "sha256:ab"})),
            ("b:2@sha256:ab", json!({"repository": "b", "tag": "2", "digest": "sha256:ab"})),
        ];
        for (image, parts) in cases {
            assert_eq!(shape(LeafKind::Image, &json!(image)), parts, "{image}");
        }
    }

    #[test]
    fn keys_the_defaults_have_and_a_value_lacks_become_null() {
        let value = json!({"a": 1, "m": {"x": 1}});
        let default = json!({"a": 2, "b": 3, "m": {"x": 0, "y": 0}});
        assert_eq!(without(&value, &default), json!({"a": 1, "b": null, "m": {"x": 1, "y": null}}));
    }
}
