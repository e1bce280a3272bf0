//! The names a spec defines and refers to, from the scanned text: targets, environments,
//! domains, workloads and backing services, shared sets, cloud profiles and kinds. For
//! go to definition, find references, rename, completion and hover.

use super::scan::{Doc, Item, Val};
use std::ops::Range;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Target,
    Environment,
    Domain,
    /// A workload or backing service: `domain/name`.
    Workload,
    /// A domain's `shared` set: `domain/name`.
    Shared,
    /// A cloud profile.
    Cloud,
    /// A backing-service kind (the node name of a declaration).
    BackingKind,
}

/// One place a name is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub kind: Kind,
    /// `name`, or `domain/name` for workloads and shared sets.
    pub key: String,
    /// The bytes of the name itself (inside quotes; one part of `domain/name`).
    pub range: Range<usize>,
    /// Whether this is the definition.
    pub definition: bool,
}

/// Workload node names.
pub const WORKLOADS: &[&str] = &["service", "worker", "job"];
/// Domain children that are no backing service.
const DOMAIN_NODES: &[&str] = &["service", "worker", "job", "quota", "shared"];

/// A named entity of the spec, for completion and the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub kind: Kind,
    /// `name`, or `domain/name`.
    pub key: String,
    /// The node name (`service`, `postgres`, `target`, ...).
    pub node: String,
}

fn occurrence(kind: Kind, key: String, val: &Val, definition: bool) -> Occurrence {
    Occurrence { kind, key, range: val.inner.clone(), definition }
}

/// The domain item a workload-level item is in, and the workload item.
fn workload_of(doc: &Doc, index: usize) -> Option<(&Item, &Item)> {
    let mut current = doc.items.get(index)?;
    loop {
        let parent = doc.items.get(current.parent?)?;
        if parent.name.text == "domain" && parent.parent.is_none() {
            return Some((parent, current));
        }
        current = parent;
    }
}

/// Whether `item` is a workload or backing service declaration (a child of a top-level domain).
pub fn is_declaration(doc: &Doc, item: &Item) -> bool {
    item.parent.and_then(|p| doc.items.get(p)).is_some_and(|p| p.name.text == "domain" && p.parent.is_none())
        && !["quota", "shared"].contains(&item.name.text.as_str())
}

/// A reference `name` or `domain/name` to a workload, from within `domain`.
fn workload_ref(out: &mut Vec<Occurrence>, domain: &str, val: &Val) {
    match val.text.split_once('/') {
        Some((other, name)) => {
            let split = val.inner.start + other.len();
            out.push(Occurrence {
                kind: Kind::Domain,
                key: other.to_owned(),
                range: val.inner.start..split,
                definition: false,
            });
            out.push(Occurrence {
                kind: Kind::Workload,
                key: format!("{other}/{name}"),
                range: split + 1..val.inner.end,
                definition: false,
            });
        }
        None => out.push(occurrence(Kind::Workload, format!("{domain}/{}", val.text), val, false)),
    }
}

/// Every occurrence of a name in the document, in text order.
pub fn occurrences(doc: &Doc) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let domains: Vec<&str> =
        doc.items.iter().filter(|i| i.parent.is_none() && i.name.text == "domain").filter_map(Item::arg0).collect();
    for (index, item) in doc.items.iter().enumerate() {
        let name = item.name.text.as_str();
        let top = item.parent.is_none();
        let parent = item.parent.and_then(|p| doc.items.get(p));
        let parent_name = parent.map_or("", |p| p.name.text.as_str());
        match (top, name) {
            (true, "target") => {
                out.extend(item.args.first().map(|v| occurrence(Kind::Target, v.text.clone(), v, true)));
                out.extend(item.prop("cloud").map(|v| occurrence(Kind::Cloud, v.text.clone(), v, false)));
            }
            (true, "environment") => {
                out.extend(item.args.first().map(|v| occurrence(Kind::Environment, v.text.clone(), v, true)));
                out.extend(item.prop("target").map(|v| occurrence(Kind::Target, v.text.clone(), v, false)));
            }
            (true, "domain") => {
                out.extend(item.args.first().map(|v| occurrence(Kind::Domain, v.text.clone(), v, true)))
            }
            (true, "cloud") => out.extend(item.args.first().map(|v| occurrence(Kind::Cloud, v.text.clone(), v, true))),
            (true, "backing-kind") => {
                out.extend(item.args.first().map(|v| occurrence(Kind::BackingKind, v.text.clone(), v, true)));
            }
            (true, "waive") => {
                if let Some(on) = item.prop("on") {
                    if on.text.contains('/') {
                        workload_ref(&mut out, "", on);
                    } else if domains.contains(&on.text.as_str()) {
                        out.push(occurrence(Kind::Domain, on.text.clone(), on, false));
                    } else {
                        out.push(occurrence(Kind::Environment, on.text.clone(), on, false));
                    }
                }
            }
            (false, "target") if parent_name == "environment" => {
                out.extend(item.args.iter().map(|v| occurrence(Kind::Target, v.text.clone(), v, false)));
            }
            (false, "match") if parent_name == "policy" => {
                out.extend(item.prop("env").map(|v| occurrence(Kind::Environment, v.text.clone(), v, false)));
            }
            _ => {}
        }
        if top {
            continue;
        }
        if is_declaration(doc, item) {
            let domain = parent.and_then(Item::arg0).unwrap_or_default();
            if let Some(arg) = item.args.first() {
                out.push(occurrence(Kind::Workload, format!("{domain}/{}", arg.text), arg, true));
            }
            if !DOMAIN_NODES.contains(&name) {
                out.push(occurrence(Kind::BackingKind, name.to_owned(), &item.name, false));
                out.extend(item.prop("placement").map(|v| occurrence(Kind::Target, v.text.clone(), v, false)));
            }
            continue;
        }
        if name == "shared" && parent_name == "domain" {
            let domain = parent.and_then(Item::arg0).unwrap_or_default();
            out.extend(item.args.first().map(|v| occurrence(Kind::Shared, format!("{domain}/{}", v.text), v, true)));
            continue;
        }
        let Some((domain, _)) = workload_of(doc, index) else { continue };
        let domain = domain.arg0().unwrap_or_default();
        match name {
            "uses" => out.extend(
                item.args
                    .first()
                    .map(|v| {
                        let mut refs = Vec::new();
                        workload_ref(&mut refs, domain, v);
                        refs
                    })
                    .into_iter()
                    .flatten(),
            ),
            "in" => {
                out.extend(item.args.first().map(|v| occurrence(Kind::Environment, v.text.clone(), v, false)));
                out.extend(item.prop("placement").map(|v| occurrence(Kind::Target, v.text.clone(), v, false)));
            }
            "placement" => out.extend(item.args.iter().map(|v| occurrence(Kind::Target, v.text.clone(), v, false))),
            "include" => {
                out.extend(
                    item.args.iter().map(|v| occurrence(Kind::Shared, format!("{domain}/{}", v.text), v, false)),
                );
            }
            _ => {}
        }
    }
    out.retain(|o| !o.key.is_empty() && !o.key.ends_with('/'));
    out
}

/// Every named entity the document defines.
pub fn entities(doc: &Doc) -> Vec<Entity> {
    let mut out = Vec::new();
    for item in &doc.items {
        let Some(name) = item.arg0() else { continue };
        let entity = |kind| Entity { kind, key: name.to_owned(), node: item.name.text.clone() };
        if item.parent.is_none() {
            match item.name.text.as_str() {
                "target" => out.push(entity(Kind::Target)),
                "environment" => out.push(entity(Kind::Environment)),
                "domain" => out.push(entity(Kind::Domain)),
                "cloud" => out.push(entity(Kind::Cloud)),
                "backing-kind" => out.push(entity(Kind::BackingKind)),
                _ => {}
            }
            continue;
        }
        let Some(parent) = item.parent.and_then(|p| doc.items.get(p)) else { continue };
        let domain = parent.arg0().unwrap_or_default();
        if is_declaration(doc, item) {
            out.push(Entity { kind: Kind::Workload, key: format!("{domain}/{name}"), node: item.name.text.clone() });
        } else if item.name.text == "shared" && parent.name.text == "domain" {
            out.push(Entity { kind: Kind::Shared, key: format!("{domain}/{name}"), node: "shared".into() });
        }
    }
    out
}

/// The occurrence at `offset`, if any.
pub fn at(occurrences: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    occurrences.iter().find(|o| o.range.start <= offset && offset <= o.range.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::scan::scan;

    const SPEC: &str = r#"target "t1" cloud="c1"
environment "dev" target="t1"
domain "shop" {
    service "api" {
        uses "db"
        uses "pay/gw"
        in "dev" { placement "t1" }
    }
    postgres "db"
}
domain "pay" {
    service "gw" { port "http" 80 }
}
waive "x" on="shop/api" reason="r"
"#;

    #[test]
    fn definitions_and_references() {
        let occurrences = occurrences(&scan(SPEC));
        let keys: Vec<(Kind, &str, bool)> =
            occurrences.iter().map(|o| (o.kind, o.key.as_str(), o.definition)).collect();
        assert!(keys.contains(&(Kind::Workload, "shop/db", true)));
        assert!(keys.contains(&(Kind::Workload, "shop/db", false)));
        assert!(keys.contains(&(Kind::Workload, "pay/gw", false)));
        assert!(keys.contains(&(Kind::Domain, "pay", false)));
        assert!(keys.contains(&(Kind::Environment, "dev", false)));
        assert_eq!(keys.iter().filter(|k| k.0 == Kind::Target && k.1 == "t1").count(), 3);
        assert!(keys.contains(&(Kind::Workload, "shop/api", false)));
        assert!(keys.contains(&(Kind::BackingKind, "postgres", false)));
        let gw = occurrences.iter().find(|o| o.key == "pay/gw" && !o.definition).map(|o| &SPEC[o.range.clone()]);
        assert_eq!(gw, Some("gw"));
    }

    #[test]
    fn entities_of_a_spec() {
        let entities = entities(&scan(SPEC));
        let keys: Vec<&str> = entities.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["t1", "dev", "shop", "shop/api", "shop/db", "pay", "pay/gw"]);
    }
}
