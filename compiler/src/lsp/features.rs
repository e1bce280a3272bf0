//! Hover, go to definition, find references, rename, outline, formatting and code
//! actions, over the scanned text, the vocabulary, the library and the last analysis.

use super::analysis::Analysis;
use super::library::Catalogue;
use super::names::{self, Kind, Occurrence};
use super::scan::{Doc, scan};
use super::text::Lines;
use crate::model::vocab;
use crate::resolve::Estate;
use lsp_types::{
    CodeAction, CodeActionKind, Diagnostic, DocumentSymbol, Hover, HoverContents, Location, MarkupContent, MarkupKind,
    NumberOrString, Position, Range, SymbolKind, TextEdit, Url, WorkspaceEdit,
};
use std::collections::HashMap;

fn markdown(value: String) -> HoverContents {
    HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value })
}

/// The hover at `offset`: a node's or property's documentation, or a name's resolved facts.
pub fn hover(text: &str, offset: usize, catalogue: &Catalogue, estate: Option<&Estate>) -> Option<Hover> {
    let doc = scan(text);
    let lines = Lines::new(text);
    let occurrences = names::occurrences(&doc);
    if let Some(occurrence) = names::at(&occurrences, offset)
        && occurrence.kind != Kind::BackingKind
    {
        let value = facts(occurrence, estate, catalogue);
        return Some(Hover { contents: markdown(value), range: Some(lines.range(occurrence.range.clone())) });
    }
    let vocab = vocab::get();
    for (index, item) in doc.items.iter().enumerate() {
        let path = doc.path(index);
        if item.name.range.contains(&offset) || item.name.range.end == offset {
            let node = vocab.at_path(&path);
            let value = match (node, catalogue.kind(&item.name.text)) {
                (Some(node), Some(kind)) if node.name == vocab::ANY => {
                    let props = kind.properties.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
                    format!(
                        "**{}**: backing service kind\n\n{}\n\nProperties: {props}",
                        kind.name,
                        kind.description.clone().unwrap_or_default()
                    )
                }
                (Some(node), _) => format!("**`{}`**\n\n{}", item.name.text, vocab.doc(&node.id).unwrap_or_default()),
                (None, _) => continue,
            };
            return Some(Hover { contents: markdown(value), range: Some(lines.range(item.name.range.clone())) });
        }
        for prop in &item.props {
            if prop.key.range.contains(&offset) || prop.key.range.end == offset {
                let node = vocab.at_path(&path)?;
                let doc = vocab.doc(&format!("{}@{}", node.id, prop.key.text))?;
                let value = format!("**`{}=`** of `{}`\n\n{doc}", prop.key.text, item.name.text);
                return Some(Hover { contents: markdown(value), range: Some(lines.range(prop.key.range.clone())) });
            }
        }
    }
    None
}

/// What a name resolves to, per environment and target.
fn facts(occurrence: &Occurrence, estate: Option<&Estate>, catalogue: &Catalogue) -> String {
    let key = &occurrence.key;
    let mut out = match occurrence.kind {
        Kind::Workload => format!("**{key}**"),
        Kind::Domain => format!("**domain {key}**"),
        Kind::Target => format!("**target {key}**"),
        Kind::Environment => format!("**environment {key}**"),
        Kind::Shared => format!("**shared {key}**"),
        Kind::Cloud | Kind::BackingKind => {
            let definition = catalogue.cloud(key).or_else(|| catalogue.kind(key));
            return format!("**{key}**: defined in `{}`", definition.map_or("the spec", |d| d.file.as_str()));
        }
    };
    let Some(estate) = estate else {
        out.push_str("\n\n(resolved facts appear once the spec resolves without errors)");
        return out;
    };
    out.push('\n');
    for view in &estate.views {
        let place = format!("`{}` on `{}`", view.env, view.target);
        match occurrence.kind {
            Kind::Workload => {
                let Some((domain, name)) = key.split_once('/') else { continue };
                let Some(resolved) = view.domains.iter().find(|d| d.name == domain) else { continue };
                if let Some(workload) = resolved.workloads.iter().find(|w| w.name == name) {
                    let hosts: Vec<String> =
                        workload.expose.iter().map(|e| format!("`{}{}`", e.host, e.path)).collect();
                    out.push_str(&format!(
                        "\n- {place}: namespace `{}`, image `{}`",
                        resolved.namespace, workload.image
                    ));
                    if !hosts.is_empty() {
                        out.push_str(&format!(", host {}", hosts.join(", ")));
                    }
                } else if let Some(backing) = resolved.backing.iter().find(|b| b.name == name) {
                    let mode = if backing.managed { "managed" } else { "in-cluster" };
                    out.push_str(&format!(
                        "\n- {place}: {} ({mode}), namespace `{}`",
                        backing.kind, resolved.namespace
                    ));
                }
            }
            Kind::Domain => {
                if let Some(resolved) = view.domains.iter().find(|d| d.name == *key) {
                    out.push_str(&format!("\n- {place}: namespace `{}`", resolved.namespace));
                }
            }
            Kind::Target if view.target == *key => {
                out.push_str(&format!("\n- environment `{}`", view.env));
            }
            Kind::Environment if view.env == *key => {
                out.push_str(&format!(
                    "\n- target `{}`{}",
                    view.target,
                    if view.production { " (production)" } else { "" }
                ));
            }
            _ => {}
        }
    }
    out
}

/// Where the name at `offset` is defined: in the spec, or a library file for a kind or profile.
pub fn definition(uri: &Url, text: &str, offset: usize, catalogue: &Catalogue) -> Option<Location> {
    let doc = scan(text);
    let occurrences = names::occurrences(&doc);
    let occurrence = names::at(&occurrences, offset)?;
    let lines = Lines::new(text);
    if let Some(definition) =
        occurrences.iter().find(|o| o.definition && o.kind == occurrence.kind && o.key == occurrence.key)
    {
        return Some(Location { uri: uri.clone(), range: lines.range(definition.range.clone()) });
    }
    let library = match occurrence.kind {
        Kind::Cloud => catalogue.cloud(&occurrence.key),
        Kind::BackingKind => catalogue.kind(&occurrence.key),
        _ => None,
    }?;
    let (path, file_text) = catalogue.file_of(library)?;
    let range = Lines::new(&file_text).range(library.range.clone());
    Some(Location { uri: Url::from_file_path(path).ok()?, range })
}

/// Every occurrence of the name at `offset` (with its definition when `declaration`).
pub fn references(text: &str, offset: usize, declaration: bool) -> Vec<(Range, bool)> {
    let doc = scan(text);
    let occurrences = names::occurrences(&doc);
    let Some(target) = names::at(&occurrences, offset).cloned() else { return Vec::new() };
    let lines = Lines::new(text);
    occurrences
        .iter()
        .filter(|o| o.kind == target.kind && o.key == target.key && (declaration || !o.definition))
        .map(|o| (lines.range(o.range.clone()), o.definition))
        .collect()
}

/// The edits renaming the workload, domain, target or environment at `offset` to `new_name`.
pub fn rename(uri: &Url, text: &str, offset: usize, new_name: &str) -> Result<WorkspaceEdit, String> {
    if new_name.is_empty()
        || !new_name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || new_name.starts_with('-')
        || new_name.ends_with('-')
    {
        return Err(format!("`{new_name}` is not a DNS-1123 label: use lowercase letters, digits and `-`"));
    }
    let doc = scan(text);
    let occurrences = names::occurrences(&doc);
    let Some(target) = names::at(&occurrences, offset) else {
        return Err("no workload, domain, target or environment name here".into());
    };
    if !matches!(target.kind, Kind::Workload | Kind::Domain | Kind::Target | Kind::Environment) {
        return Err("only workloads, backing services, domains, targets and environments are renamed".into());
    }
    let lines = Lines::new(text);
    let mut edits: Vec<TextEdit> = occurrences
        .iter()
        .filter(|o| o.kind == target.kind && o.key == target.key)
        .map(|o| TextEdit { range: lines.range(o.range.clone()), new_text: new_name.to_owned() })
        .collect();
    if target.kind == Kind::Domain {
        // `uses "domain/name"` keeps its workload key under the old domain: rename the prefix too.
        edits.dedup_by(|a, b| a.range == b.range);
    }
    Ok(WorkspaceEdit { changes: Some(HashMap::from([(uri.clone(), edits)])), ..WorkspaceEdit::default() })
}

/// The outline: top-level nodes, and the workloads, backing services and shared sets of domains.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written; the field is deprecated.
pub fn symbols(text: &str) -> Vec<DocumentSymbol> {
    let doc = scan(text);
    let lines = Lines::new(text);
    let symbol = |doc: &Doc, index: usize, children: Option<Vec<DocumentSymbol>>| -> Option<DocumentSymbol> {
        let item = doc.items.get(index)?;
        let name = item.arg0().filter(|n| !n.is_empty())?.to_owned();
        let kind = match item.name.text.as_str() {
            "domain" => SymbolKind::NAMESPACE,
            "service" | "worker" | "job" => SymbolKind::CLASS,
            "target" | "environment" | "platform" => SymbolKind::MODULE,
            "policy" | "waive" => SymbolKind::EVENT,
            _ => SymbolKind::OBJECT,
        };
        let selection = item.args.first().map_or(item.name.range.clone(), |a| a.range.clone());
        Some(DocumentSymbol {
            name,
            detail: Some(item.name.text.clone()),
            kind,
            tags: None,
            deprecated: None,
            range: lines.range(item.range()),
            selection_range: lines.range(selection),
            children,
        })
    };
    let mut out = Vec::new();
    for (index, item) in doc.items.iter().enumerate().filter(|(_, item)| item.parent.is_none()) {
        let children: Vec<DocumentSymbol> = if item.name.text == "domain" {
            doc.items
                .iter()
                .enumerate()
                .filter(|(_, child)| child.parent == Some(index) && child.name.text != "quota")
                .filter_map(|(child, _)| symbol(&doc, child, None))
                .collect()
        } else {
            Vec::new()
        };
        out.extend(symbol(&doc, index, Some(children)));
    }
    out
}

/// `berth fmt` as one edit of the whole document; `None` when the text does not parse.
pub fn format(text: &str) -> Option<Vec<TextEdit>> {
    let formatted = crate::syntax::format(text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let lines = Lines::new(text);
    Some(vec![TextEdit { range: lines.range(0..text.len()), new_text: formatted }])
}

/// Quick fixes for `diagnostics`: apply a did-you-mean; add a waiver for a policy finding.
pub fn code_actions(uri: &Url, text: &str, diagnostics: &[Diagnostic], analysis: Option<&Analysis>) -> Vec<CodeAction> {
    let lines = Lines::new(text);
    let mut actions = Vec::new();
    for diagnostic in diagnostics {
        if let Some(suggestion) = crate::diag::suggested(&diagnostic.message).map(str::to_owned) {
            let start = lines.offset(diagnostic.range.start);
            let end = lines.offset(diagnostic.range.end).max(start);
            let written = text.get(start..end).unwrap_or_default();
            let (from, to) = if let Some(inner) = written.strip_prefix('"') {
                (start + 1, start + 1 + inner.find('"').unwrap_or(inner.len()))
            } else {
                let word = written.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(written.len());
                (start, start + word)
            };
            let edit = TextEdit { range: lines.range(from..to), new_text: suggestion.clone() };
            actions.push(action(format!("Change to `{suggestion}`"), uri, vec![edit], diagnostic, true));
        }
        let code = match &diagnostic.code {
            Some(NumberOrString::String(code)) => code.as_str(),
            _ => continue,
        };
        let finding = analysis.and_then(|a| {
            a.findings.iter().find(|f| {
                f.policy == code
                    && !f.waived
                    && lines.range(f.span.offset..f.span.offset + f.span.len).start == diagnostic.range.start
            })
        });
        if let Some(finding) = finding {
            let end = lines.position(text.len());
            let newline = if text.ends_with('\n') || text.is_empty() { "" } else { "\n" };
            let waiver = format!(
                "{newline}waive \"{}\" on=\"{}\" reason=\"TODO: why this is acceptable\"\n",
                finding.policy, finding.on
            );
            let edit = TextEdit { range: Range { start: end, end }, new_text: waiver };
            actions.push(action(
                format!("Waive `{}` for `{}`", finding.policy, finding.on),
                uri,
                vec![edit],
                diagnostic,
                false,
            ));
        }
    }
    actions
}

fn action(title: String, uri: &Url, edits: Vec<TextEdit>, diagnostic: &Diagnostic, preferred: bool) -> CodeAction {
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit { changes: Some(HashMap::from([(uri.clone(), edits)])), ..WorkspaceEdit::default() }),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    }
}

/// A position's byte offset in `text`.
pub fn offset(text: &str, position: Position) -> usize {
    Lines::new(text).offset(position)
}
