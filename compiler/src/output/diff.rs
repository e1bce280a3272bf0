//! Semantic diff of two artifact trees, for pull-request previews (`berth diff`) and for
//! `berth build --check`.
//!
//! In: two [`ArtifactTree`]s (an old and a new revision of the spec, compiled in memory).
//! Out: a [`TreeDiff`]: per resource added, removed or changed; for changed ones the field
//! paths with old and new values (list items matched by `name` where every item has one,
//! as dyff does) and a unified text diff of the rendered files. Renderers turn it into
//! terminal text, a Markdown pull-request comment or JSON. Risk notes come from
//! [`crate::output::risk`] and are stored in [`TreeDiff::risks`]. This module compares
//! values only: reading git objects and files is `main.rs`'s job, except [`stale`], which
//! reads a committed output folder for `build --check`.

use crate::emit::ArtifactTree;
use crate::output::risk::Risk;
use crate::output::write::{self, WriteError};
use crate::output::yaml;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path};

/// GitHub refuses issue and pull-request comments longer than this many characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The hidden marker that opens every Markdown report, so a workflow can find and update
/// its previous comment instead of adding a new one.
pub const MARKDOWN_MARKER: &str = "<!-- berth-diff -->";

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

    fn sign(self) -> char {
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
    /// Artifact path: `<env>/<target>/<domain>/<kind>-<name>.yaml`.
    pub path: String,
    /// Environment (first path segment).
    pub env: String,
    /// Target (second path segment).
    pub target: String,
    /// Domain (third path segment).
    pub domain: String,
    /// The object's `kind`.
    pub kind: String,
    /// The object's `metadata.name`.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// Changed fields (only for [`Change::Changed`]).
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
    /// Risk notes, filled by [`crate::output::risk::assess`].
    pub risks: Vec<Risk>,
}

impl TreeDiff {
    /// Whether nothing differs and nothing is flagged.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.risks.is_empty()
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
        let (change, fields, object) = match (old.get(path), new.get(path)) {
            (Some(before), Some(after)) => {
                let old_text = yaml::render(before);
                let new_text = yaml::render(after);
                if old_text == new_text {
                    continue;
                }
                let mut fields = Vec::new();
                compare(&mut fields, String::new(), Some(&before.object), Some(&after.object));
                (Change::Changed, fields, &after.object)
            }
            (None, Some(after)) => (Change::Added, Vec::new(), &after.object),
            (Some(before), None) => (Change::Removed, Vec::new(), &before.object),
            (None, None) => continue,
        };
        let old_text = old.get(path).map(yaml::render).unwrap_or_default();
        let new_text = new.get(path).map(yaml::render).unwrap_or_default();
        let mut segments = path.split('/');
        let env = segments.next().unwrap_or_default().to_owned();
        let target = segments.next().unwrap_or_default().to_owned();
        let domain = segments.next().unwrap_or_default().to_owned();
        resources.push(ResourceDiff {
            path: path.clone(),
            env,
            target,
            domain,
            kind: object.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned(),
            name: object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned(),
            change,
            fields,
            text: unified(path, &old_text, &new_text),
            old_object: old.get(path).map(|artifact| artifact.object.clone()),
            new_object: new.get(path).map(|artifact| artifact.object.clone()),
        });
    }
    TreeDiff { resources, risks: Vec::new() }
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
pub fn stale(root: &Path, files: &BTreeMap<String, String>) -> Result<Vec<StaleFile>, WriteError> {
    let manifest = write::read_manifest(root)?;
    let mut stale = Vec::new();
    for (relative, text) in files {
        let path = root.join(relative);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == text.as_bytes() => {}
            Ok(bytes) => {
                let committed = String::from_utf8_lossy(&bytes);
                stale.push(StaleFile {
                    path: relative.clone(),
                    change: Change::Changed,
                    text: unified(relative, &committed, text),
                });
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                stale.push(StaleFile { path: relative.clone(), change: Change::Added, text: unified(relative, "", text) });
            }
            Err(source) => return Err(WriteError::Io { action: "read", path: path.display().to_string(), source }),
        }
    }
    for relative in manifest.keys() {
        // A manifest is committed data: never follow an entry out of the folder.
        let plain = Path::new(relative).components().all(|c| matches!(c, Component::Normal(_)));
        if files.contains_key(relative) || !plain || relative.contains('\\') {
            continue;
        }
        let path = root.join(relative);
        let is_file = std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_file());
        if let Some(bytes) = is_file.then(|| std::fs::read(&path).ok()).flatten() {
            let committed = String::from_utf8_lossy(&bytes);
            stale.push(StaleFile { path: relative.clone(), change: Change::Removed, text: unified(relative, &committed, "") });
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
        (Some(Value::Array(before)), Some(Value::Array(after)))
            if !before.iter().chain(after).all(is_scalar) =>
        {
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

fn count<'a>(resources: impl Iterator<Item = &'a ResourceDiff>) -> (usize, usize, usize) {
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

fn summary_line(diff: &TreeDiff) -> String {
    let (added, removed, changed) = diff.counts();
    let risks = diff.risks.len();
    format!(
        "{added} added, {removed} removed, {changed} changed; {risks} risk note{}",
        if risks == 1 { "" } else { "s" }
    )
}

// ── Terminal ────────────────────────────────────────────────────────────────────────

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Terminal text: resources grouped under `env / target / domain` headings, field
/// changes, unified diffs of changed files, risk notes and a summary line. ANSI colours
/// only when `color` is set.
pub fn render_terminal(diff: &TreeDiff, color: bool) -> String {
    let paint = |code: &'static str, text: &str| if color { format!("{code}{text}{RESET}") } else { text.to_owned() };
    let mut out = String::new();
    if diff.is_empty() {
        out.push_str("no differences\n");
        return out;
    }
    let mut group = None;
    for resource in &diff.resources {
        let heading = (&resource.env, &resource.target, &resource.domain);
        if group != Some(heading) {
            group = Some(heading);
            let _ = writeln!(
                out,
                "{}",
                paint(BOLD, &format!("{} / {} / {}", resource.env, resource.target, resource.domain))
            );
        }
        let code = match resource.change {
            Change::Added => GREEN,
            Change::Removed => RED,
            Change::Changed => YELLOW,
        };
        let _ = writeln!(
            out,
            "  {} {} {} ({})",
            paint(code, &resource.change.sign().to_string()),
            resource.kind,
            resource.name,
            resource.change.word()
        );
        if resource.change != Change::Changed {
            continue;
        }
        for field in &resource.fields {
            let _ = writeln!(
                out,
                "      {}: {} → {}",
                field.path,
                paint(RED, &show_value(field.old.as_ref())),
                paint(GREEN, &show_value(field.new.as_ref()))
            );
        }
        for line in resource.text.lines() {
            let painted = if line.starts_with("+++") || line.starts_with("---") {
                paint(BOLD, line)
            } else if line.starts_with('+') {
                paint(GREEN, line)
            } else if line.starts_with('-') {
                paint(RED, line)
            } else if line.starts_with("@@") {
                paint(CYAN, line)
            } else {
                line.to_owned()
            };
            let _ = writeln!(out, "      {painted}");
        }
    }
    if !diff.risks.is_empty() {
        let _ = writeln!(out, "{}", paint(BOLD, "risks"));
        for risk in &diff.risks {
            let _ = writeln!(out, "  {} {}: {}", paint(YELLOW, "!"), risk.kind.title(), risk.message);
        }
    }
    let _ = writeln!(out, "{}", summary_line(diff));
    out
}

// ── Markdown ────────────────────────────────────────────────────────────────────────

/// A pull-request comment: the hidden marker, a summary, risk notes, one table per
/// environment and a collapsible `<details>` per resource with its field changes and
/// unified diff. Never longer than `limit` bytes (so never more characters): resources
/// that do not fit are left out, with a note saying how many.
pub fn render_markdown(diff: &TreeDiff, limit: usize) -> String {
    let mut head = String::new();
    let _ = writeln!(head, "{MARKDOWN_MARKER}");
    let _ = writeln!(head, "### berth diff\n");
    if diff.is_empty() {
        let _ = writeln!(head, "No differences in the generated resources.");
        return cut(&head, limit);
    }
    let _ = writeln!(head, "**{}**\n", summary_line(diff));
    if !diff.risks.is_empty() {
        let _ = writeln!(head, "#### ⚠️ Risks\n");
        for risk in &diff.risks {
            let _ = writeln!(head, "- **{}**: {}", risk.kind.title(), escape_inline(&risk.message));
        }
        head.push('\n');
    }
    let mut envs: BTreeMap<&str, Vec<&ResourceDiff>> = BTreeMap::new();
    for resource in &diff.resources {
        envs.entry(resource.env.as_str()).or_default().push(resource);
    }
    for (env, resources) in &envs {
        let (added, removed, changed) = count(resources.iter().copied());
        let _ = writeln!(head, "#### `{env}`: {added} added, {removed} removed, {changed} changed\n");
        let _ = writeln!(head, "| target | domain | resource | change |");
        let _ = writeln!(head, "|---|---|---|---|");
        for resource in resources {
            let _ = writeln!(
                head,
                "| {} | {} | {} {} | {} |",
                escape_cell(&resource.target),
                escape_cell(&resource.domain),
                escape_cell(&resource.kind),
                escape_cell(&resource.name),
                resource.change.word()
            );
        }
        head.push('\n');
    }

    let note = |left: usize| {
        format!(
            "\n> **Truncated:** {left} more resource diff{} not shown: GitHub comments are limited to 65,536 characters. Run `berth diff` locally for the full output.\n",
            if left == 1 { " is" } else { "s are" }
        )
    };
    // Room for the longest possible note.
    let reserve = note(diff.resources.len()).len();
    if head.len() + reserve > limit {
        let mut out = cut(&head, limit.saturating_sub(reserve));
        out.push_str(&note(diff.resources.len()));
        return cut(&out, limit);
    }
    let mut out = head;
    for (index, resource) in diff.resources.iter().enumerate() {
        let section = details(resource);
        if out.len() + section.len() + reserve > limit {
            out.push_str(&note(diff.resources.len() - index));
            return out;
        }
        out.push_str(&section);
    }
    out
}

fn details(resource: &ResourceDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary><code>{}</code> ({})</summary>\n",
        escape_html(&resource.path),
        resource.change.word()
    );
    if !resource.fields.is_empty() {
        let _ = writeln!(out, "| field | old | new |");
        let _ = writeln!(out, "|---|---|---|");
        for field in &resource.fields {
            let _ = writeln!(
                out,
                "| <code>{}</code> | <code>{}</code> | <code>{}</code> |",
                escape_cell(&escape_html(&field.path)),
                escape_cell(&escape_html(&show_value(field.old.as_ref()))),
                escape_cell(&escape_html(&show_value(field.new.as_ref())))
            );
        }
        out.push('\n');
    }
    // A fence longer than any backtick run in the text cannot be closed early.
    let longest = resource.text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}diff\n{}{fence}\n\n</details>\n", resource.text);
    out
}

/// At most `limit` bytes of `text`, cut at a line end (or a character boundary).
fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = text.get(..end).unwrap_or_default();
    match head.rfind('\n') {
        Some(newline) => head.get(..=newline).unwrap_or(head).to_owned(),
        None => head.to_owned(),
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "&#124;").replace(['\n', '\r'], " ")
}

fn escape_inline(text: &str) -> String {
    escape_html(text).replace(['\n', '\r'], " ")
}

// ── JSON ────────────────────────────────────────────────────────────────────────────

/// The whole diff as pretty JSON: `{"resources": [...], "risks": [...]}`.
pub fn render_json(diff: &TreeDiff) -> String {
    serde_json::to_string_pretty(diff).unwrap_or_else(|error| format!("{{\"error\": {}}}", Value::String(error.to_string())))
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

    #[test]
    fn terminal_colours_only_when_asked() {
        let old = json!({"spec": {"replicas": 2}});
        let new = json!({"spec": {"replicas": 3}});
        let mut changes = Vec::new();
        compare(&mut changes, String::new(), Some(&old), Some(&new));
        let resource = ResourceDiff {
            path: "prod/t/d/deployment-x.yaml".into(),
            env: "prod".into(),
            target: "t".into(),
            domain: "d".into(),
            kind: "Deployment".into(),
            name: "x".into(),
            change: Change::Changed,
            fields: changes,
            text: "-  replicas: 2\n+  replicas: 3\n".into(),
            old_object: Some(old),
            new_object: Some(new),
        };
        let diff = TreeDiff { resources: vec![resource], risks: Vec::new() };
        let plain = render_terminal(&diff, false);
        assert!(!plain.contains('\x1b') && plain.contains("spec.replicas: 2 → 3"), "{plain}");
        let painted = render_terminal(&diff, true);
        assert!(painted.contains("\x1b[32m+  replicas: 3\x1b[0m"), "{painted}");
    }

    #[test]
    fn markdown_is_truncated_under_the_limit_with_a_note() {
        let resource = ResourceDiff {
            path: "dev/t/d/configmap-x.yaml".into(),
            env: "dev".into(),
            target: "t".into(),
            domain: "d".into(),
            kind: "ConfigMap".into(),
            name: "x".into(),
            change: Change::Added,
            fields: Vec::new(),
            text: "+line\n".repeat(400),
            old_object: None,
            new_object: None,
        };
        let diff = TreeDiff { resources: vec![resource; 50], risks: Vec::new() };
        let full = render_markdown(&diff, usize::MAX);
        assert!(full.len() > 20_000);
        let cut = render_markdown(&diff, 20_000);
        assert!(cut.len() <= 20_000, "{}", cut.len());
        assert!(cut.starts_with(MARKDOWN_MARKER));
        assert!(cut.contains("**Truncated:**"));
        let tiny = render_markdown(&diff, 600);
        assert!(tiny.len() <= 600 && tiny.contains("**Truncated:**"), "{tiny}");
    }
}
