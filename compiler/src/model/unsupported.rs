//! Kubernetes concepts people write as Berth nodes: the table of what Berth says about
//! each (the setting to write instead, or that it is not supported and where it is
//! planned), read from `kubernetes.kdl` next to this file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The table, embedded.
const TABLE: &str = include_str!("kubernetes.kdl");

/// What Berth says about `name` when a spec writes it as a node or property it does not
/// know, if `name` is a Kubernetes concept in the table.
pub(crate) fn concept(name: &str) -> Option<&'static str> {
    static CONCEPTS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let concepts = CONCEPTS.get_or_init(|| parse(TABLE));
    concepts.get(&normalise(name)).map(String::as_str)
}

/// `initContainers`, `init_containers` and `Init-Containers` are all `init-containers`.
fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && index > 0 && !out.ends_with('-') {
            out.push('-');
        }
        out.push(if ch == '_' { '-' } else { ch.to_ascii_lowercase() });
    }
    out
}

fn parse(table: &str) -> BTreeMap<String, String> {
    let Ok(document) = kdl::KdlDocument::parse_v2(table) else { return BTreeMap::new() };
    document
        .nodes()
        .iter()
        .filter(|node| node.name().value() == "concept")
        .filter_map(|node| {
            let mut args = node.entries().iter().filter(|entry| entry.name().is_none()).map(kdl::KdlEntry::value);
            match (args.next(), args.next()) {
                (Some(kdl::KdlValue::String(name)), Some(kdl::KdlValue::String(says))) => {
                    Some((normalise(name), says.clone()))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_line_is_a_concept() {
        let concepts = parse(TABLE);
        let lines = TABLE.lines().filter(|line| line.starts_with("concept ")).count();
        assert_eq!(concepts.len(), lines, "a line of kubernetes.kdl does not parse or repeats a name");
        assert!(concept("initContainers").is_some_and(|says| says.contains("migrate")));
        assert!(concept("init_containers").is_some());
        assert!(concept("Sidecar").is_some());
        assert_eq!(concept("image"), None);
    }

    #[test]
    fn no_concept_is_a_workload_setting() {
        let vocab = include_str!("vocab.kdl");
        let start = vocab.find("group \"workload\"").unwrap_or_default();
        let end = vocab[start..].find("\n}\n").map_or(vocab.len(), |end| start + end);
        let settings = &vocab[start..end];
        for name in parse(TABLE).keys() {
            assert!(
                !settings.contains(&format!("\n    node \"{name}\"")),
                "`{name}` is a workload setting now: remove it from kubernetes.kdl"
            );
        }
    }
}
