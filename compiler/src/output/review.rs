//! A review of a change: the semantic diff of two artifact trees with the risk notes
//! assessed from it, rendered as terminal text, a Markdown pull-request comment or JSON
//! (`berth diff`).
//!
//! In: a [`TreeDiff`] from [`crate::output::diff`] and the [`Risk`]s that
//! [`crate::output::risk::assess`] read from it. Out: text. Neither of those modules
//! imports the other; this one reads both.

use crate::output::diff::{Change, ResourceDiff, TreeDiff, count, show_value};
use crate::output::risk::Risk;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// GitHub refuses issue and pull-request comments longer than this many characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The hidden marker that opens every Markdown report, so a workflow can find and update
/// its previous comment instead of adding a new one.
pub const MARKDOWN_MARKER: &str = "<!-- berth-diff -->";

/// What `berth diff` reports: the changes and the risk notes read from them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Review {
    /// The changed resources.
    #[serde(flatten)]
    pub diff: TreeDiff,
    /// Risk notes, sorted by kind, then message.
    pub risks: Vec<Risk>,
}

impl Review {
    /// Whether nothing differs and nothing is flagged.
    pub fn is_empty(&self) -> bool {
        self.diff.is_empty() && self.risks.is_empty()
    }
}

fn summary_line(review: &Review) -> String {
    let (added, removed, changed) = review.diff.counts();
    let risks = review.risks.len();
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
pub fn render_terminal(review: &Review, color: bool) -> String {
    let paint = |code: &'static str, text: &str| if color { format!("{code}{text}{RESET}") } else { text.to_owned() };
    let mut out = String::new();
    if review.is_empty() {
        out.push_str("no differences\n");
        return out;
    }
    let mut group = None;
    for resource in &review.diff.resources {
        let key = (&resource.env, &resource.target, &resource.domain);
        if group != Some(key) {
            group = Some(key);
            let _ = writeln!(out, "{}", paint(BOLD, &heading(resource)));
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
    if !review.risks.is_empty() {
        let _ = writeln!(out, "{}", paint(BOLD, "risks"));
        for risk in &review.risks {
            let _ = writeln!(out, "  {} {}: {}", paint(YELLOW, "!"), risk.kind.title(), risk.message);
        }
    }
    let _ = writeln!(out, "{}", summary_line(review));
    out
}

/// The group heading of a resource: `env / target / domain`, or `estate` for an
/// estate-wide file.
fn heading(resource: &ResourceDiff) -> String {
    match (resource.env.is_empty(), resource.domain.is_empty()) {
        (true, _) => ESTATE.to_owned(),
        (false, true) => format!("{} / {}", resource.env, resource.target),
        (false, false) => format!("{} / {} / {}", resource.env, resource.target, resource.domain),
    }
}

/// The group of estate-wide files in reports.
const ESTATE: &str = "estate";

// ── Markdown ────────────────────────────────────────────────────────────────────────

/// A pull-request comment: the hidden marker, a summary, risk notes, one table per
/// environment and a collapsible `<details>` per resource with its field changes and
/// unified diff. Never longer than `limit` bytes (so never more characters): resources
/// that do not fit are left out, with a note saying how many.
pub fn render_markdown(review: &Review, limit: usize) -> String {
    let mut head = String::new();
    let _ = writeln!(head, "{MARKDOWN_MARKER}");
    let _ = writeln!(head, "### berth diff\n");
    if review.is_empty() {
        let _ = writeln!(head, "No differences in the generated resources.");
        return cut(&head, limit);
    }
    let _ = writeln!(head, "**{}**\n", summary_line(review));
    if !review.risks.is_empty() {
        let _ = writeln!(head, "#### ⚠️ Risks\n");
        for risk in &review.risks {
            let _ = writeln!(head, "- **{}**: {}", risk.kind.title(), escape_inline(&risk.message));
        }
        head.push('\n');
    }
    let mut envs: BTreeMap<&str, Vec<&ResourceDiff>> = BTreeMap::new();
    for resource in &review.diff.resources {
        envs.entry(resource.env.as_str()).or_default().push(resource);
    }
    for (env, resources) in &envs {
        let (added, removed, changed) = count(resources.iter().copied());
        let group = if env.is_empty() { ESTATE.to_owned() } else { format!("`{env}`") };
        let _ = writeln!(head, "#### {group}: {added} added, {removed} removed, {changed} changed\n");
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
    let reserve = note(review.diff.resources.len()).len();
    if head.len() + reserve > limit {
        let mut out = cut(&head, limit.saturating_sub(reserve));
        out.push_str(&note(review.diff.resources.len()));
        return cut(&out, limit);
    }
    let mut out = head;
    for (index, resource) in review.diff.resources.iter().enumerate() {
        let section = details(resource);
        if out.len() + section.len() + reserve > limit {
            out.push_str(&note(review.diff.resources.len() - index));
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
pub fn render_json(review: &Review) -> String {
    serde_json::to_string_pretty(review)
        .unwrap_or_else(|error| format!("{{\"error\": {}}}", Value::String(error.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::diff::FieldChange;
    use serde_json::json;

    #[test]
    fn terminal_colours_only_when_asked() {
        let old = json!({"spec": {"replicas": 2}});
        let new = json!({"spec": {"replicas": 3}});
        let changes = vec![FieldChange { path: "spec.replicas".into(), old: Some(json!(2)), new: Some(json!(3)) }];
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
        let review = Review { diff: TreeDiff { resources: vec![resource] }, risks: Vec::new() };
        let plain = render_terminal(&review, false);
        assert!(!plain.contains('\x1b') && plain.contains("spec.replicas: 2 → 3"), "{plain}");
        let painted = render_terminal(&review, true);
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
        let review = Review { diff: TreeDiff { resources: vec![resource; 50] }, risks: Vec::new() };
        let full = render_markdown(&review, usize::MAX);
        assert!(full.len() > 20_000);
        let cut = render_markdown(&review, 20_000);
        assert!(cut.len() <= 20_000, "{}", cut.len());
        assert!(cut.starts_with(MARKDOWN_MARKER));
        assert!(cut.contains("**Truncated:**"));
        let tiny = render_markdown(&review, 600);
        assert!(tiny.len() <= 600 && tiny.contains("**Truncated:**"), "{tiny}");
    }
}
