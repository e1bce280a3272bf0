//! Completion by context: the node names valid where the cursor is, the properties of the
//! node and their choices, and the spec's names where a reference goes (`uses`, `in`,
//! `target=`, `placement`, `cloud=`, `include`, `on=`), from the vocabulary, the library
//! and the scanned text.

use super::library::Catalogue;
use super::names::{self, Entity, Kind};
use super::scan::{At, Doc, scan};
use super::text::Lines;
use crate::model::vocab::{self, Vocab};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent, MarkupKind, TextEdit,
};

/// What is completed, before it becomes an LSP item.
struct Offer {
    label: String,
    kind: CompletionItemKind,
    detail: Option<String>,
    doc: Option<String>,
    insert: String,
}

/// The completions at byte `offset` of `text`.
pub fn complete(text: &str, offset: usize, catalogue: &Catalogue) -> Vec<CompletionItem> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let prefix_doc = scan(before);
    let whole = scan(text);
    let entities = names::entities(&whole);
    let vocab = vocab::get();
    let (offers, prefix) = match &prefix_doc.at {
        At::NodeName { prefix } => (node_names(vocab, &prefix_doc, catalogue), prefix.clone()),
        At::Entry { node, prefix } => {
            let mut offers = properties(vocab, &prefix_doc, *node, catalogue);
            offers.extend(arguments(vocab, &prefix_doc, *node, &entities, true));
            (offers, prefix.clone())
        }
        At::Arg { node, index, prefix } if *index == 0 || is_list(&prefix_doc, *node) => {
            (arguments(vocab, &prefix_doc, *node, &entities, false), prefix.clone())
        }
        At::Value { node, key, prefix } => {
            let quoted = before.len() >= prefix.len() && before[..before.len() - prefix.len()].ends_with('"');
            (values(vocab, &prefix_doc, *node, key, &entities, catalogue, quoted), prefix.clone())
        }
        At::Arg { .. } | At::Nothing => (Vec::new(), String::new()),
    };
    let lines = Lines::new(text);
    let range = lines.range(offset.saturating_sub(prefix.len())..offset);
    let mut seen = std::collections::BTreeSet::new();
    offers
        .into_iter()
        .filter(|offer| seen.insert(offer.label.clone()))
        .map(|offer| CompletionItem {
            label: offer.label,
            kind: Some(offer.kind),
            detail: offer.detail,
            documentation: offer
                .doc
                .map(|value| Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value })),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text: offer.insert })),
            ..CompletionItem::default()
        })
        .collect()
}

/// Whether every argument of the node is a name (`placement "a" "b"`, `target "a" "b"`).
fn is_list(doc: &Doc, node: usize) -> bool {
    doc.items
        .get(node)
        .is_some_and(|item| ["placement", "target", "include", "policies", "ci"].contains(&item.name.text.as_str()))
}

fn vocab_node<'v>(vocab: &'v Vocab, doc: &Doc, node: usize) -> Option<&'v vocab::Node> {
    vocab.at_path(&doc.path(node))
}

fn node_names(vocab: &Vocab, doc: &Doc, catalogue: &Catalogue) -> Vec<Offer> {
    let path: Option<Vec<&str>> = doc
        .open
        .iter()
        .map(|owner| owner.and_then(|index| doc.items.get(index)).map(|item| item.name.text.as_str()))
        .collect();
    let Some(path) = path else { return Vec::new() };
    let children = if path.is_empty() {
        vocab.top_nodes()
    } else {
        match vocab.at_path(&path) {
            Some(node) => vocab.children(node),
            None => return Vec::new(),
        }
    };
    let mut offers: Vec<Offer> = Vec::new();
    for child in children {
        if child.name == vocab::ANY {
            for kind in &catalogue.kinds {
                offers.push(Offer {
                    label: kind.name.clone(),
                    kind: CompletionItemKind::CLASS,
                    detail: Some("backing service kind".into()),
                    doc: kind.description.clone(),
                    insert: kind.name.clone(),
                });
            }
            continue;
        }
        offers.push(Offer {
            label: child.name.clone(),
            kind: CompletionItemKind::KEYWORD,
            detail: Some("node".into()),
            doc: vocab.doc(&child.id),
            insert: child.name.clone(),
        });
    }
    offers
}

fn properties(vocab: &Vocab, doc: &Doc, node: usize, catalogue: &Catalogue) -> Vec<Offer> {
    let Some(item) = doc.items.get(node) else { return Vec::new() };
    let written: Vec<&str> = item.props.iter().map(|p| p.key.text.as_str()).collect();
    let mut offers = Vec::new();
    if let Some(vocab_node) = vocab_node(vocab, doc, node) {
        for prop in vocab.props(vocab_node) {
            offers.push(Offer {
                label: format!("{}=", prop.name),
                kind: CompletionItemKind::PROPERTY,
                detail: Some("property".into()),
                doc: vocab.doc(&format!("{}@{}", vocab_node.id, prop.name)),
                insert: format!("{}=", prop.name),
            });
        }
    }
    // A backing service (or its `in`) takes its kind's properties.
    let declaration =
        if names::is_declaration(doc, item) { Some(item) } else { item.parent.and_then(|p| doc.items.get(p)) };
    if let Some(kind) = declaration.and_then(|d| catalogue.kind(&d.name.text)) {
        for name in &kind.properties {
            offers.push(Offer {
                label: format!("{name}="),
                kind: CompletionItemKind::PROPERTY,
                detail: Some(format!("{} property", kind.name)),
                doc: None,
                insert: format!("{name}="),
            });
        }
    }
    offers.retain(|o| !written.contains(&o.label.trim_end_matches('=')));
    offers
}

/// The domain a node is in (its top-level `domain`'s name).
fn domain_of(doc: &Doc, node: usize) -> Option<String> {
    let mut current = doc.items.get(node)?;
    while let Some(parent) = current.parent {
        current = doc.items.get(parent)?;
    }
    (current.name.text == "domain").then(|| current.arg0().map(str::to_owned)).flatten()
}

fn name_offer(label: String, kind: CompletionItemKind, detail: &str, quote: bool) -> Offer {
    let insert = if quote { format!("\"{label}\"") } else { label.clone() };
    Offer { label, kind, detail: Some(detail.to_owned()), doc: None, insert }
}

/// Names of `kind` from the spec, as a reference from `domain` writes them.
fn names_of(entities: &[Entity], kind: Kind, domain: Option<&str>) -> Vec<(String, String)> {
    entities
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            let short = match (domain, e.key.split_once('/')) {
                (Some(domain), Some((d, name))) if d == domain => name.to_owned(),
                _ => e.key.clone(),
            };
            (short, e.node.clone())
        })
        .collect()
}

fn arguments(vocab: &Vocab, doc: &Doc, node: usize, entities: &[Entity], quote: bool) -> Vec<Offer> {
    let Some(item) = doc.items.get(node) else { return Vec::new() };
    let parent = item.parent.and_then(|p| doc.items.get(p)).map_or("", |p| p.name.text.as_str());
    let domain = domain_of(doc, node);
    let reference = |kind: Kind, detail: &str| -> Vec<Offer> {
        names_of(entities, kind, domain.as_deref())
            .into_iter()
            .map(|(name, node)| name_offer(name, CompletionItemKind::REFERENCE, &format!("{detail} ({node})"), quote))
            .collect()
    };
    match item.name.text.as_str() {
        "uses" if domain.is_some() => {
            let mut offers = reference(Kind::Workload, "service or backing service");
            let callable: Vec<String> = entities
                .iter()
                .filter(|e| e.kind == Kind::Workload && !["worker", "job"].contains(&e.node.as_str()))
                .map(|e| e.key.clone())
                .collect();
            offers.retain(|o| {
                let key = if o.label.contains('/') {
                    o.label.clone()
                } else {
                    format!("{}/{}", domain.as_deref().unwrap_or_default(), o.label)
                };
                callable.contains(&key)
                    && domain
                        .as_deref()
                        .is_some_and(|d| key != format!("{d}/{}", enclosing_workload(doc, node).unwrap_or_default()))
            });
            offers
        }
        "in" if domain.is_some() => reference(Kind::Environment, "environment"),
        "placement" if domain.is_some() => reference(Kind::Target, "target"),
        "target" if parent == "environment" => reference(Kind::Target, "target"),
        "include" if domain.is_some() => reference(Kind::Shared, "shared set"),
        _ => match vocab_node(vocab, doc, node) {
            Some(vocab_node) => vocab.values(vocab_node).iter().map(|v| value_offer(v, quote)).collect(),
            None => Vec::new(),
        },
    }
}

fn enclosing_workload(doc: &Doc, node: usize) -> Option<String> {
    let mut current = doc.items.get(node)?;
    loop {
        if names::is_declaration(doc, current) {
            return current.arg0().map(str::to_owned);
        }
        current = doc.items.get(current.parent?)?;
    }
}

fn value_offer(value: &str, quote: bool) -> Offer {
    let is_keyword = value.starts_with('#');
    let insert = if quote && !is_keyword { format!("\"{value}\"") } else { value.to_owned() };
    Offer { label: value.to_owned(), kind: CompletionItemKind::ENUM_MEMBER, detail: None, doc: None, insert }
}

#[allow(clippy::too_many_arguments)]
fn values(
    vocab: &Vocab,
    doc: &Doc,
    node: usize,
    key: &str,
    entities: &[Entity],
    catalogue: &Catalogue,
    quoted: bool,
) -> Vec<Offer> {
    let Some(item) = doc.items.get(node) else { return Vec::new() };
    let quote = !quoted;
    let domain = domain_of(doc, node);
    let reference = |kind: Kind, detail: &str| -> Vec<Offer> {
        names_of(entities, kind, domain.as_deref())
            .into_iter()
            .map(|(name, _)| name_offer(name, CompletionItemKind::REFERENCE, detail, quote))
            .collect()
    };
    match (item.name.text.as_str(), key) {
        ("environment", "target") | (_, "placement") => return reference(Kind::Target, "target"),
        ("target", "cloud") => {
            let mut offers: Vec<Offer> = catalogue
                .clouds
                .iter()
                .map(|c| name_offer(c.name.clone(), CompletionItemKind::CLASS, "cloud profile", quote))
                .collect();
            offers.extend(reference(Kind::Cloud, "cloud profile"));
            return offers;
        }
        ("waive", "on") => {
            let mut offers = reference(Kind::Domain, "domain");
            offers.extend(names_of(entities, Kind::Workload, None).into_iter().map(|(name, _)| {
                name_offer(name, CompletionItemKind::REFERENCE, "workload or backing service", quote)
            }));
            offers.extend(reference(Kind::Environment, "environment"));
            return offers;
        }
        ("match", "env") => return reference(Kind::Environment, "environment"),
        _ => {}
    }
    let Some(vocab_node) = vocab_node(vocab, doc, node) else { return Vec::new() };
    vocab
        .props(vocab_node)
        .into_iter()
        .find(|p| p.name == key)
        .map(|p| p.values.iter().map(|v| value_offer(v, quote)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "target \"t1\" cloud=\"onprem\"\nenvironment \"dev\" target=\"t1\"\ndomain \"shop\" {\n    service \"api\" {\n        uses \"\n    }\n    service \"cart\" { port \"http\" 80 }\n    worker \"w\"\n    postgres \"db\"\n}\ndomain \"pay\" {\n    service \"gw\"\n}\n";

    fn labels(text: &str, offset: usize) -> Vec<String> {
        complete(text, offset, &Catalogue::new(&[])).into_iter().map(|c| c.label).collect()
    }

    #[test]
    fn uses_offers_the_callable_names() {
        let offset = SPEC.find("uses \"").unwrap_or_default() + "uses \"".len();
        assert_eq!(labels(SPEC, offset), ["cart", "db", "pay/gw"]);
    }

    #[test]
    fn node_names_properties_and_values() {
        let text = "domain \"d\" {\n    service \"s\" {\n        rep";
        assert!(labels(text, text.len()).contains(&"replicas".to_owned()));
        let text = "domain \"d\" {\n    service \"s\" {\n        port \"http\" 80 ";
        assert!(labels(text, text.len()).contains(&"protocol=".to_owned()));
        let text = "domain \"d\" {\n    service \"s\" {\n        port \"http\" 80 protocol=";
        assert_eq!(labels(text, text.len()), ["http", "grpc", "tcp", "udp"]);
        let text = "domain \"d\" {\n    ";
        let offered = labels(text, text.len());
        assert!(offered.contains(&"service".to_owned()) && offered.contains(&"postgres".to_owned()));
        let text = "target \"t\" cloud=\"";
        assert!(labels(text, text.len()).contains(&"openshift".to_owned()));
    }
}
