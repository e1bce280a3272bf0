//! `berth graph`: the online-boutique graph matches the real call graph, and both
//! formats are snapshotted.

use crate::examples::compile_example;
use berth::output::graph::{GraphFormat, render};
use std::collections::BTreeSet;

/// The `A -->|"label"| B` edges of a Mermaid graph, as (A, B) node ids.
fn mermaid_edges(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (from, rest) = line.trim().split_once(" -->")?;
            let to = rest.rsplit(' ').next()?;
            Some((from.to_owned(), to.to_owned()))
        })
        .collect()
}

fn callees(edges: &BTreeSet<(String, String)>, caller: &str) -> BTreeSet<String> {
    edges
        .iter()
        .filter(|(from, _)| from == &format!("boutique__{caller}"))
        .map(|(_, to)| to.trim_start_matches("boutique__").to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn online_boutique_graph_is_its_call_graph() {
    let compilation = compile_example("online-boutique");
    let estate = compilation.estate.expect("estate");
    let text = render(&estate, None, GraphFormat::Mermaid).expect("a first environment");
    let edges = mermaid_edges(&text);
    assert_eq!(
        callees(&edges, "frontend"),
        set(&[
            "adservice",
            "cartservice",
            "checkoutservice",
            "currencyservice",
            "productcatalogservice",
            "recommendationservice",
            "shippingservice",
        ])
    );
    assert_eq!(
        callees(&edges, "checkoutservice"),
        set(&[
            "cartservice",
            "currencyservice",
            "emailservice",
            "paymentservice",
            "productcatalogservice",
            "shippingservice",
        ])
    );
    assert_eq!(callees(&edges, "cartservice"), set(&["redis_cart"]));
    assert_eq!(callees(&edges, "recommendationservice"), set(&["productcatalogservice"]));
    assert_eq!(callees(&edges, "loadgenerator"), set(&["frontend"]));
    assert_eq!(edges.len(), 7 + 6 + 1 + 1 + 1);
    assert!(text.contains("subgraph cluster_boutique[\"boutique\"]"));
    assert!(text.contains("boutique__loadgenerator[[\"loadgenerator\"]]"), "workers are subroutine shapes");
}

#[test]
fn graph_snapshots() {
    let compilation = compile_example("online-boutique");
    let estate = compilation.estate.expect("estate");
    insta::assert_snapshot!("online-boutique-mermaid", render(&estate, None, GraphFormat::Mermaid).expect("dev"));
    insta::assert_snapshot!("online-boutique-dot", render(&estate, Some("prod"), GraphFormat::Dot).expect("prod"));
    assert!(render(&estate, Some("nope"), GraphFormat::Dot).is_none());
}

/// Every example's README carries its Mermaid graph, as `berth graph` prints it.
#[test]
fn example_readmes_carry_their_graph() {
    for name in crate::examples::example_names() {
        let compilation = compile_example(&name);
        let estate = compilation.estate.expect("estate");
        let graph = render(&estate, None, GraphFormat::Mermaid).expect("a first environment");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(&name).join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            readme.contains(&format!("```mermaid\n{graph}```")),
            "examples/{name}/README.md lacks its current graph; run `berth graph examples/{name}/spec.kdl`"
        );
    }
}
