//! The estate index: one Markdown page listing environments, targets, domains, their
//! owners, workloads and backing services, at `docs/estate.md`.
//!
//! In: the resolved [`Estate`] (the views the build selected). Out: one estate-wide
//! [`Artifact`] with a [`Format::Markdown`] body, produced from the `platform` node. It is a
//! reader's map of what the build covers, and the first artifact that is not a Kubernetes
//! object: it goes through the same write, ownership and diff path as every other file.

use crate::diag::Diagnostics;
use crate::emit::{Artifact, Body, Format, Scope};
use crate::resolve::{Estate, View};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The top-level folder of the index.
pub const FOLDER: &str = "docs";

/// The index's path in the output tree.
pub const PATH: &str = "docs/estate.md";

/// Emit the estate index (nothing for an estate without a `platform` node).
pub fn emit(_diags: &mut Diagnostics, estate: &Estate) -> Vec<Artifact> {
    let Some(span) = estate.span else {
        return Vec::new();
    };
    vec![Artifact {
        path: PATH.to_owned(),
        origin_label: format!("platform {}", estate.platform),
        origin: span,
        scope: Scope::Estate,
        body: Body::Text { format: Format::Markdown, text: page(estate) },
    }]
}

/// The page's Markdown text.
fn page(estate: &Estate) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Estate `{}`\n", code(&estate.platform));
    let _ = writeln!(
        out,
        "Kubernetes {}. Each domain is a namespace `<domain>-<environment>` in every environment it runs in.\n",
        cell(&estate.kubernetes)
    );
    environments(&mut out, estate);
    targets(&mut out, estate);
    domains(&mut out, estate);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn environments(out: &mut String, estate: &Estate) {
    let _ = writeln!(out, "## Environments\n");
    let _ = writeln!(out, "| Environment | Targets | Production | Approval |");
    let _ = writeln!(out, "|---|---|---|---|");
    let mut envs: Vec<(&View, Vec<&str>)> = Vec::new();
    for view in &estate.views {
        match envs.iter_mut().find(|(first, _)| first.env == view.env) {
            Some((_, targets)) => targets.push(&view.target),
            None => envs.push((view, vec![&view.target])),
        }
    }
    for (view, targets) in envs {
        let targets: Vec<String> = targets.iter().map(|t| format!("`{}`", code(t))).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            code(&view.env),
            targets.join(", "),
            if view.production { "yes" } else { "no" },
            view.approval.as_deref().map(cell).unwrap_or_default()
        );
    }
    out.push('\n');
}

fn targets(out: &mut String, estate: &Estate) {
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| Target | Cloud profile | Region | Exposure |");
    let _ = writeln!(out, "|---|---|---|---|");
    let mut seen: Vec<&str> = Vec::new();
    for view in &estate.views {
        if seen.contains(&view.target.as_str()) {
            continue;
        }
        seen.push(&view.target);
        let profile = &view.profile;
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} |",
            code(&view.target),
            code(&profile.cloud),
            profile.region.as_deref().map(cell).unwrap_or_default(),
            profile.exposure.as_str()
        );
    }
    out.push('\n');
}

/// Where one entity runs: environment -> targets (with a note per target, e.g. the
/// realisation mode), in view order.
type Placements = Vec<(String, Vec<(String, Option<&'static str>)>)>;

/// One domain across the views: its owners and where each of its entities runs.
#[derive(Default)]
struct DomainRow {
    team: Option<String>,
    group: Option<String>,
    workloads: Vec<(String, &'static str, Placements)>,
    backing: Vec<(String, String, Placements)>,
}

fn place(placements: &mut Placements, view: &View, note: Option<&'static str>) {
    let entry = (view.target.clone(), note);
    match placements.iter_mut().find(|(env, _)| *env == view.env) {
        Some((_, targets)) => targets.push(entry),
        None => placements.push((view.env.clone(), vec![entry])),
    }
}

fn domains(out: &mut String, estate: &Estate) {
    // Domains by name (the order of top-level nodes does not change the output);
    // workloads and backing services in declaration order.
    let mut rows: BTreeMap<String, DomainRow> = BTreeMap::new();
    for view in &estate.views {
        for domain in &view.domains {
            let row = rows.entry(domain.name.clone()).or_default();
            row.team = row.team.take().or_else(|| domain.team.clone());
            row.group = row.group.take().or_else(|| domain.group.clone());
            for workload in &domain.workloads {
                match row.workloads.iter_mut().find(|(name, ..)| *name == workload.name) {
                    Some((_, _, placements)) => place(placements, view, None),
                    None => {
                        let mut placements = Vec::new();
                        place(&mut placements, view, None);
                        row.workloads.push((workload.name.clone(), workload.kind.as_str(), placements));
                    }
                }
            }
            for backing in &domain.backing {
                let mode = Some(backing.realisation.mode.as_str());
                match row.backing.iter_mut().find(|(name, ..)| *name == backing.name) {
                    Some((_, _, placements)) => place(placements, view, mode),
                    None => {
                        let mut placements = Vec::new();
                        place(&mut placements, view, mode);
                        row.backing.push((backing.name.clone(), backing.kind.clone(), placements));
                    }
                }
            }
        }
    }
    // Environments on several targets (hybrid) name the target of each placement.
    let hybrid: Vec<&str> = estate
        .views
        .windows(2)
        .filter_map(|pair| match pair {
            [first, second] if first.env == second.env => Some(first.env.as_str()),
            _ => None,
        })
        .collect();
    let _ = writeln!(out, "## Domains\n");
    let _ = writeln!(out, "| Domain | Team | Group | Workloads | Backing services |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (name, row) in &rows {
        let _ = writeln!(
            out,
            "| [`{0}`](#domain-{0}) | {1} | {2} | {3} | {4} |",
            code(name),
            row.team.as_deref().map(cell).unwrap_or_default(),
            row.group.as_deref().map(cell).unwrap_or_default(),
            row.workloads.len(),
            row.backing.len()
        );
    }
    out.push('\n');
    for (name, row) in &rows {
        // The heading's anchor on GitHub and most renderers is `domain-<name>`.
        let _ = writeln!(out, "### Domain `{}`\n", code(name));
        if let Some(team) = &row.team {
            let _ = writeln!(out, "Owned by team {}.\n", cell(team));
        }
        if !row.workloads.is_empty() {
            let _ = writeln!(out, "| Workload | Kind | Runs in |");
            let _ = writeln!(out, "|---|---|---|");
            for (workload, kind, placements) in &row.workloads {
                let _ = writeln!(out, "| `{}` | {kind} | {} |", code(workload), runs_in(placements, &hybrid));
            }
            out.push('\n');
        }
        if !row.backing.is_empty() {
            let _ = writeln!(out, "| Backing service | Kind | Runs in |");
            let _ = writeln!(out, "|---|---|---|");
            for (backing, kind, placements) in &row.backing {
                let _ = writeln!(out, "| `{}` | `{}` | {} |", code(backing), code(kind), runs_in(placements, &hybrid));
            }
            out.push('\n');
        }
    }
}

/// `dev, prod`, with the targets of a hybrid environment (`prod (aws, onprem)`) and
/// notes (`dev (in-cluster)`, `prod (aws: managed, onprem: in-cluster)`).
fn runs_in(placements: &Placements, hybrid: &[&str]) -> String {
    let parts: Vec<String> = placements
        .iter()
        .map(|(env, targets)| {
            let several = hybrid.contains(&env.as_str());
            let inner: Vec<String> = targets
                .iter()
                .filter_map(|(target, note)| match (several, note) {
                    (true, Some(note)) => Some(format!("{target}: {note}")),
                    (true, None) => Some(target.clone()),
                    (false, Some(note)) => Some((*note).to_owned()),
                    (false, None) => None,
                })
                .collect();
            if inner.is_empty() { env.clone() } else { format!("{env} ({})", inner.join(", ")) }
        })
        .collect();
    parts.join(", ")
}

/// Free text in a table cell: no pipes, no line breaks, no HTML.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A name inside backticks: no backtick or pipe can end the span or the cell.
fn code(text: &str) -> String {
    text.replace(['`', '|', '\n', '\r'], " ")
}
