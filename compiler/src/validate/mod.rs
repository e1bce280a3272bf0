//! Validation of our own output: every emitted object against its bundled schema.
//!
//! In: the [`ArtifactTree`] and the Kubernetes version the estate targets. Out:
//! diagnostics only. This is an internal consistency check, not a user-facing one: a
//! failure means an emitter wrote an object the API server would reject, so it is
//! reported as a bug in Berth, labelled with the spec entity that produced the object.
//! Built-in kinds use the strict Kubernetes schemas of the estate's version (unknown
//! fields are errors); custom resources use their CRD schema, closed the same way. A
//! kind without a bundled schema is skipped. Nothing here reads files: the schemas are
//! embedded ([`schemas`]).

pub mod errors;
mod formats;
mod schemas;
/// The schema rewriting `build.rs` applies to the bundled schemas, public so that tests
/// close a CRD schema exactly as the compiler does.
pub mod strict;

pub use schemas::crd_kinds as bundled_custom_resources;

use crate::diag::Diagnostics;
use crate::emit::{Artifact, ArtifactTree, Body, Format};
use errors::ValidateError;
use jsonschema::Validator;
use serde_json::Value;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// At most this many failing fields are reported per object; the first few locate the bug.
const MAX_ERRORS_PER_OBJECT: usize = 5;

/// Validate every artifact by its body's type, for `kubernetes_version` (`1.33`): a
/// Kubernetes object against the schema of its kind, a text file of a known format by
/// parsing it and against its document's schema; push one [`ValidateError`] per failing
/// field.
pub fn objects(diags: &mut Diagnostics, tree: &ArtifactTree, kubernetes_version: &str) {
    for artifact in tree.values() {
        for error in artifact_errors(artifact, kubernetes_version) {
            diags.at(artifact.origin, error);
        }
    }
}

/// What one validation left for the next: per artifact path, a digest of the artifact's
/// body and the errors it gave, for one Kubernetes version.
#[derive(Default)]
struct Memo {
    kubernetes_version: String,
    /// Keys of the digests, drawn once per process: no input can aim at a collision.
    keys: Option<RandomState>,
    artifacts: BTreeMap<String, (u64, Vec<ValidateError>)>,
}

/// Validate every artifact as [`objects`] does, for a process that validates again and
/// again (the language server, after each keystroke): an artifact whose body has the
/// digest of the previous call's artifact at the same path gets that call's errors back
/// without validating again (the schemas are fixed, so the errors are the same), labelled
/// at its own origin: an edit before the entity moves its span, not its object. Every
/// other one is validated. The digest is a keyed 64-bit SipHash of the body in its key
/// order (one walk, where comparing the bodies looked each key up in the other map), so
/// a wrong reuse has a chance of 2^-64 per artifact. The process keeps one digest per
/// path, so a one-shot `berth check` uses [`objects`].
pub fn objects_again(diags: &mut Diagnostics, tree: &ArtifactTree, kubernetes_version: &str) {
    static LAST: OnceLock<Mutex<Memo>> = OnceLock::new();
    let last = LAST.get_or_init(Mutex::default);
    let mut previous = std::mem::take(&mut *last.lock().unwrap_or_else(PoisonError::into_inner));
    if previous.kubernetes_version != kubernetes_version {
        previous.artifacts.clear();
    }
    let keys = previous.keys.take().unwrap_or_default();
    let mut next = Memo { kubernetes_version: kubernetes_version.to_owned(), keys: None, artifacts: BTreeMap::new() };
    for artifact in tree.values() {
        // Every error of an artifact is labelled at its origin; the rest is path and body.
        let digest = body_digest(&keys, &artifact.body);
        let reused = previous.artifacts.remove(&artifact.path).filter(|(before, _)| *before == digest);
        let errors = match reused {
            Some((_, errors)) => errors.into_iter().map(|error| error.at(artifact.origin)).collect(),
            None => artifact_errors(artifact, kubernetes_version),
        };
        for error in &errors {
            diags.at(artifact.origin, error.clone());
        }
        next.artifacts.insert(artifact.path.clone(), (digest, errors));
    }
    next.keys = Some(keys);
    *last.lock().unwrap_or_else(PoisonError::into_inner) = next;
}

/// The keyed digest of a body: its variant, then its text or its JSON value in order.
fn body_digest(keys: &RandomState, body: &Body) -> u64 {
    let mut hasher = keys.build_hasher();
    match body {
        Body::Object(object) => {
            hasher.write_u8(0);
            hash_value(&mut hasher, object);
        }
        Body::Text { format, text } => {
            hasher.write_u8(1);
            format.hash(&mut hasher);
            text.hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Feed a JSON value to `hasher`: a tag per variant, lengths before contents, so two
/// different values never feed the same sequence.
fn hash_value(hasher: &mut impl Hasher, value: &Value) {
    match value {
        Value::Null => hasher.write_u8(0),
        Value::Bool(b) => {
            hasher.write_u8(1);
            b.hash(hasher);
        }
        Value::Number(n) => {
            hasher.write_u8(2);
            n.hash(hasher);
        }
        Value::String(s) => {
            hasher.write_u8(3);
            s.hash(hasher);
        }
        Value::Array(items) => {
            hasher.write_u8(4);
            hasher.write_usize(items.len());
            for item in items {
                hash_value(hasher, item);
            }
        }
        Value::Object(map) => {
            hasher.write_u8(5);
            hasher.write_usize(map.len());
            for (key, item) in map {
                key.hash(hasher);
                hash_value(hasher, item);
            }
        }
    }
}

/// The errors of one artifact.
fn artifact_errors(artifact: &Artifact, kubernetes_version: &str) -> Vec<ValidateError> {
    let minor = kubernetes_version.strip_prefix("1.").unwrap_or(kubernetes_version);
    let mut errors = Vec::new();
    match &artifact.body {
        Body::Object(object) => self::object(&mut errors, artifact, object, minor, kubernetes_version),
        Body::Text { format, text } => self::text(&mut errors, artifact, *format, text),
    }
    errors
}

fn object(errors: &mut Vec<ValidateError>, artifact: &Artifact, object: &Value, minor: &str, kubernetes_version: &str) {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
    let Some(schema) = Schema::find(api_version, kind, minor, kubernetes_version) else {
        return; // no bundled schema for this kind
    };
    check(errors, artifact, object, kind, &schema);
}

fn text(errors: &mut Vec<ValidateError>, artifact: &Artifact, format: Format, text: &str) {
    let value = match formats::parse(format, text) {
        Ok(Some(value)) => value,
        Ok(None) => return,
        Err(reason) => {
            let error = ValidateError::Unparsable {
                format: format.name(),
                path: artifact.path.clone(),
                reason,
                span: artifact.origin,
            };
            errors.push(error);
            return;
        }
    };
    let Some((name, text)) = formats::schema(format) else { return };
    let schema = Schema { key: format!("formats/{name}"), name: name.to_owned(), text };
    check(errors, artifact, &value, format.name(), &schema);
}

/// Check one value against a schema: one error per failing field, at most
/// [`MAX_ERRORS_PER_OBJECT`].
fn check(errors: &mut Vec<ValidateError>, artifact: &Artifact, value: &Value, kind: &str, schema: &Schema) {
    let validator = match cached_validator(schema) {
        Ok(validator) => validator,
        Err(reason) => {
            let error = ValidateError::BrokenSchema {
                kind: kind.to_owned(),
                schema: schema.name.clone(),
                reason,
                span: artifact.origin,
            };
            errors.push(error);
            return;
        }
    };
    for error in validator.iter_errors(value).take(MAX_ERRORS_PER_OBJECT) {
        errors.push(ValidateError::SchemaMismatch {
            kind: kind.to_owned(),
            path: artifact.path.clone(),
            schema: schema.name.clone(),
            field: json_path(&error.instance_path().to_string()),
            reason: error.to_string(),
            span: artifact.origin,
        });
    }
}

/// A schema found for one kind: its cache key, its name in messages and its text.
struct Schema {
    key: String,
    name: String,
    text: &'static str,
}

impl Schema {
    fn find(api_version: &str, kind: &str, minor: &str, kubernetes_version: &str) -> Option<Self> {
        // `*.k8s.io` groups are built in, except the CRD-served ones (Gateway API), which
        // fall through to the CRD table.
        if let Some(file) = schemas::k8s_file(api_version, kind)
            && let Some(text) = schemas::k8s(minor, &file)
        {
            return Some(Self {
                key: format!("k8s/v1.{minor}/{file}"),
                name: format!("Kubernetes {kubernetes_version}"),
                text,
            });
        }
        let text = schemas::crd(api_version, kind)?;
        Some(Self { key: format!("crds/{api_version}/{kind}"), name: format!("`{api_version}` `{kind}` CRD"), text })
    }
}

/// Compiled validators, built once per process for each schema file: compiling the
/// Deployment or CronJob schema (several hundred kB) costs far more than validating.
fn cached_validator(schema: &Schema) -> Result<Arc<Validator>, String> {
    static CACHE: OnceLock<Mutex<BTreeMap<String, Arc<Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(validator) = cache.get(&schema.key) {
        return Ok(Arc::clone(validator));
    }
    // CRD schemas are already closed (`build.rs`, `strict::strictify`).
    let value: Value = serde_json::from_str(schema.text).map_err(|error| error.to_string())?;
    let validator = Arc::new(jsonschema::validator_for(&value).map_err(|error| error.to_string())?);
    cache.insert(schema.key.clone(), Arc::clone(&validator));
    Ok(validator)
}

/// A JSON pointer (`/spec/containers/0/name`) as a JSON path (`$.spec.containers[0].name`);
/// keys that are not plain identifiers are quoted: `$.metadata.labels['app.kubernetes.io/name']`.
fn json_path(pointer: &str) -> String {
    let mut path = String::from("$");
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            path.push('.');
            path.push_str(&segment);
        } else {
            path.push_str(&format!("['{}']", segment.replace('\\', "\\\\").replace('\'', "\\'")));
        }
    }
    path
}

#[cfg(test)]
mod tests;
