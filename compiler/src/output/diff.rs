//! Semantic diff of two artifact trees, for pull-request previews (`berth diff`) and for
//! `berth build --check`.
//!
//! In: two [`ArtifactTree`]s (an old and a new revision of the spec, compiled in memory).
//! Out: a [`TreeDiff`]: per resource added, removed or changed; for changed ones the field
//! paths with old and new values (list items matched by `name` where every item has one,
//! as dyff does) and a unified text diff of the rendered files. Renderers turn it into
//! terminal text, a Markdown pull-request comment or JSON. Risk assessment
//! ([`crate::output::risk`]) reads the changes; [`crate::output::review`] renders both.
//! This module compares values only: reading git objects and files is `main.rs`'s job, except [`stale`], which
//! reads a committed output folder for `build --check`.

use crate::emit::{Artifact, ArtifactTree, Scope};
use crate::output::file;
use crate::output::write::{Scope as WriteScope, WriteError};
use crate::output::{safe, state};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How a resource differs between the two revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the new revision.
    Added,
    /// Only in the old revision.
    Removed,
    /// In both, with different content.
    Changed,
}

impl Change {
    /// The word used in reports.
    pub fn word(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }

    /// The sign used in terminal reports.
    pub fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// One changed value inside a changed resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// dyff-style path: `spec.template.spec.containers[app].image`.
    pub path: String,
    /// The old value; `None` when the field was added.
    pub old: Option<Value>,
    /// The new value; `None` when the field was removed.
    pub new: Option<Value>,
}

/// One resource (one artifact file) that differs.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceDiff {
    /// Artifact path: `<env>/<target>/<domain>/<kind>-<name>.yaml`, or the path of an
    /// estate-wide file (`docs/estate.md`).
    pub path: String,
    /// Environment; empty for an estate-wide file.
    pub env: String,
    /// Target; empty for an estate-wide file.
    pub target: String,
    /// Domain; empty for an estate-wide file or a view's own file.
    pub domain: String,
    /// The object's `kind`, or the text file's format (`Markdown`).
    pub kind: String,
    /// The object's `metadata.name`, or the text file's path.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// Changed fields (only for [`Change::Changed`] Kubernetes objects; a text file's
    /// change is its unified diff).
    pub fields: Vec<FieldChange>,
    /// Unified diff of the rendered files (against nothing for added and removed ones).
    pub text: String,
    /// The old object (risk analysis reads it; not part of the JSON report).
    #[serde(skip)]
    pub old_object: Option<Value>,
    /// The new object (risk analysis reads it; not part of the JSON report).
    #[serde(skip)]
    pub new_object: Option<Value>,
}

/// Everything that differs between two trees.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TreeDiff {
    /// Differing resources, in path order (so grouped by environment, target, domain).
    pub resources: Vec<ResourceDiff>,
}

impl TreeDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// How many resources were added, removed and changed.
    pub fn counts(&self) -> (usize, usize, usize) {
        count(self.resources.iter())
    }
}

/// A file of a committed output folder that does not match what `build` would write now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    /// Path relative to the output folder.
    pub path: String,
    /// Missing (would be added), different (would change) or no longer produced.
    pub change: Change,
    /// Unified diff from the committed bytes to the bytes `build` would write.
    pub text: String,
}

/// Compare two trees resource by resource.
pub fn diff(old: &ArtifactTree, new: &ArtifactTree) -> TreeDiff {
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut resources = Vec::new();
    for path in paths {
        let (before, after) = (old.get(path), new.get(path));
        // What renders the file is equal: no need to render both to know they match.
        if let (Some(b), Some(a)) = (before, after)
            && b.body == a.body
            && b.origin_label == a.origin_label
        {
            continue;
        }
        let old_text = before.map(file::render).unwrap_or_default();
        let new_text = after.map(file::render).unwrap_or_default();
        let (change, artifact) = match (before, after) {
            (Some(_), Some(_)) if old_text == new_text => continue,
            (Some(_), Some(after)) => (Change::Changed, after),
            (None, Some(after)) => (Change::Added, after),
            (Some(before), None) => (Change::Removed, before),
            (None, None) => continue,
        };
        let old_object = before.and_then(Artifact::object);
        let new_object = after.and_then(Artifact::object);
        let mut fields = Vec::new();
        if change == Change::Changed {
            compare(&mut fields, String::new(), old_object, new_object);
        }
        let (env, target, domain) = match &artifact.scope {
            Scope::View { env, target, domain } => (env.clone(), target.clone(), domain.clone().unwrap_or_default()),
            Scope::Estate => Default::default(),
        };
        resources.push(ResourceDiff {
            path: path.clone(),
            env,
            target,
            domain,
            kind: artifact.kind().to_owned(),
            name: artifact.name().to_owned(),
            change,
            fields,
            text: unified(path, &old_text, &new_text),
            old_object: old_object.cloned(),
            new_object: new_object.cloned(),
        });
    }
    TreeDiff { resources }
}

/// A unified diff of two texts with `a/<path>` and `b/<path>` headers.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Compare the committed output folder `root` with the files `build` would write
/// (relative path -> text): missing, different and no-longer-produced files. Writes
/// nothing. A file counts as no longer produced when Berth's manifest records it and it
/// is still on disk.
pub fn stale(root: &Path, files: &BTreeMap<String, String>, scope: &WriteScope) -> Result<Vec<StaleFile>, WriteError> {
    // The committed tree is untrusted: no link is followed, no read is unbounded.
    if !safe::check_root(root)? {
        let mut stale: Vec<StaleFile> = files
            .iter()
            .map(|(relative, text)| StaleFile {
                path: relative.clone(),
                change: Change::Added,
                text: unified(relative, "", text),
            })
            .collect();
        stale.sort_by(|a, b| a.path.cmp(&b.path));
        return Ok(stale);
    }
    let manifest = state::read_manifest(root)?;
    let mut dirs = safe::CheckedDirs::default();
    let mut stale = Vec::new();
    for (relative, text) in files {
        let path = dirs.join(root, relative)?;
        match safe::read_file(&path)? {
            Some(bytes) if bytes == text.as_bytes() => {}
            Some(bytes) => {
                let committed = String::from_utf8_lossy(&bytes);
                stale.push(StaleFile {
                    path: relative.clone(),
                    change: Change::Changed,
                    text: unified(relative, &committed, text),
                });
            }
            None => {
                stale.push(StaleFile {
                    path: relative.clone(),
                    change: Change::Added,
                    text: unified(relative, "", text),
                });
            }
        }
    }
    for relative in manifest.keys() {
        // A scoped build (`--env`, `--target`) owns only its scope's recorded files.
        if files.contains_key(relative) || !scope.owns(relative) {
            continue;
        }
        let path = dirs.join(root, relative)?;
        if let Some(bytes) = safe::read_file(&path)? {
            let committed = String::from_utf8_lossy(&bytes);
            stale.push(StaleFile {
                path: relative.clone(),
                change: Change::Removed,
                text: unified(relative, &committed, ""),
            });
        }
    }
    stale.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(stale)
}

// ── Field comparison ────────────────────────────────────────────────────────────────

/// Push every differing leaf (or added/removed subtree) under `path`.
fn compare(fields: &mut Vec<FieldChange>, path: String, old: Option<&Value>, new: Option<&Value>) {
    match (old, new) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            // Old key order first, then keys only the new object has.
            let mut keys: Vec<&String> = before.keys().collect();
            keys.extend(after.keys().filter(|key| !before.contains_key(*key)));
            for key in keys {
                compare(fields, join_key(&path, key), before.get(key), after.get(key));
            }
        }
        (Some(Value::Array(before)), Some(Value::Array(after))) if !before.iter().chain(after).all(is_scalar) => {
            if let (Some(old_names), Some(new_names)) = (names(before), names(after)) {
                let mut order: Vec<&str> = old_names.clone();
                order.extend(new_names.iter().filter(|name| !old_names.contains(name)));
                for name in order {
                    let before_item = old_names.iter().position(|n| *n == name).and_then(|i| before.get(i));
                    let after_item = new_names.iter().position(|n| *n == name).and_then(|i| after.get(i));
                    compare(fields, format!("{path}[{name}]"), before_item, after_item);
                }
            } else {
                for index in 0..before.len().max(after.len()) {
                    compare(fields, format!("{path}[{index}]"), before.get(index), after.get(index));
                }
            }
        }
        (before, after) if before == after => {}
        (before, after) => fields.push(FieldChange {
            path: if path.is_empty() { "(root)".to_owned() } else { path },
            old: before.cloned(),
            new: after.cloned(),
        }),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

/// The `name` of every item when every item is an object with a distinct string `name`.
fn names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items.iter().map(|item| item.get("name").and_then(Value::as_str)).collect::<Option<_>>()?;
    let distinct: BTreeSet<&&str> = names.iter().collect();
    (distinct.len() == names.len()).then_some(names)
}

/// `a.b`, or `a["app.kubernetes.io/name"]` for keys that would read ambiguously.
fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_owned())),
    }
}

/// A value on one line: strings bare, everything else as compact JSON; long values cut.
pub fn show_value(value: Option<&Value>) -> String {
    let text = match value {
        None => return "(absent)".to_owned(),
        Some(Value::String(text)) if !text.is_empty() && !text.contains(['\n', '\r']) => text.clone(),
        Some(other) => other.to_string(),
    };
    const MAX: usize = 120;
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// How many of `resources` were added, removed and changed.
pub fn count<'a>(resources: impl Iterator<Item = &'a ResourceDiff>) -> (usize, usize, usize) {
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for resource in resources {
        match resource.change {
            Change::Added => added += 1,
            Change::Removed => removed += 1,
            Change::Changed => changed += 1,
        }
    }
    (added, removed, changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(old: Value, new: Value) -> Vec<String> {
        let mut out = Vec::new();
        compare(&mut out, String::new(), Some(&old), Some(&new));
        out.iter()
            .map(|f| format!("{}: {} → {}", f.path, show_value(f.old.as_ref()), show_value(f.new.as_ref())))
            .collect()
    }

    #[test]
    fn lists_match_by_name() {
        let old = json!({"containers": [{"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}]});
        let new = json!({"containers": [{"name": "side", "image": "s:1"}, {"name": "app", "image": "a:2"}]});
        assert_eq!(fields(old, new), ["containers[app].image: a:1 → a:2"]);
    }

    #[test]
    fn unnamed_lists_match_by_index_and_scalar_lists_whole() {
        let old = json!({"rules": [{"port": 1}], "args": ["a", "b"]});
        let new = json!({"rules": [{"port": 1}, {"port": 2}], "args": ["a", "c"]});
        assert_eq!(fields(old, new), ["rules[1]: (absent) → {\"port\":2}", "args: [\"a\",\"b\"] → [\"a\",\"c\"]"]);
    }

    #[test]
    fn dotted_keys_are_quoted() {
        let old = json!({"labels": {"app.kubernetes.io/name": "a"}});
        let new = json!({"labels": {"app.kubernetes.io/name": "b"}});
        assert_eq!(fields(old, new), ["labels[\"app.kubernetes.io/name\"]: a → b"]);
    }
}
