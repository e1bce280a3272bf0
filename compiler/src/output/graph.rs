//! `berth graph`: the estate's call graph as Mermaid or Graphviz DOT text.
//!
//! In: the resolved [`Estate`] and an environment (default: the first view). Out: one
//! text. Domains are clusters (subgraphs); services, workers, jobs and backing services
//! are nodes shaped by kind (stateful backing services as cylinders); external endpoints
//! (`egress`) sit outside every domain. Edges follow `uses` and `egress`, labelled with
//! the ports they reach: the callee's Service ports (`name port`), the backing service's
//! port, or the external port. Everything is in declaration order, so output is stable.

use crate::model::WorkloadKind;
use crate::resolve::{Estate, ResolvedBacking, ResolvedWorkload, UseTarget, View};
use std::fmt::Write as _;

/// Output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Mermaid `flowchart LR`, as GitHub renders in Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// What a node stands for; decides its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Service,
    Worker,
    Job,
    Stateful,
    Stateless,
    External,
}

struct Node {
    id: String,
    label: String,
    shape: Shape,
}

struct Edge {
    from: String,
    to: String,
    label: String,
}

/// The graph of one view, ready to print.
struct Graph {
    title: String,
    /// (domain name, its nodes), in declaration order.
    clusters: Vec<(String, Vec<Node>)>,
    externals: Vec<Node>,
    edges: Vec<Edge>,
}

/// Render the graph of environment `env` (the first view of it), or of the first view.
/// `None` when the estate has no such environment.
pub fn render(estate: &Estate, env: Option<&str>, format: GraphFormat) -> Option<String> {
    let view = match env {
        Some(env) => estate.views.iter().find(|v| v.env == env)?,
        None => estate.views.first()?,
    };
    let graph = build(estate, view);
    Some(match format {
        GraphFormat::Mermaid => mermaid(&graph),
        GraphFormat::Dot => dot(&graph),
    })
}

/// A node id safe in both syntaxes: letters, digits and `_`.
fn node_id(domain: &str, name: &str) -> String {
    format!("{domain}__{name}").replace(['-', '.', '/'], "_")
}

/// The id of a domain's cluster, or of an external endpoint: one `_` after the prefix,
/// so never equal to a node id (domain names have no `_`, node ids have `__`).
fn group_id(prefix: &str, name: &str) -> String {
    format!("{prefix}_{name}").replace(['-', '.'], "_")
}

fn workload_shape(workload: &ResolvedWorkload) -> Shape {
    match workload.kind {
        WorkloadKind::Service => Shape::Service,
        WorkloadKind::Worker => Shape::Worker,
        WorkloadKind::Job => Shape::Job,
    }
}

fn backing_label(backing: &ResolvedBacking) -> String {
    format!("{} ({})", backing.name, backing.kind)
}

fn build(estate: &Estate, view: &View) -> Graph {
    let mut clusters = Vec::new();
    let mut externals: Vec<Node> = Vec::new();
    let mut edges = Vec::new();
    for domain in &view.domains {
        let mut nodes = Vec::new();
        for workload in &domain.workloads {
            let from = node_id(&domain.name, &workload.name);
            nodes.push(Node { id: from.clone(), label: workload.name.clone(), shape: workload_shape(workload) });
            let mut seen: Vec<&UseTarget> = Vec::new();
            for used in &workload.uses {
                if seen.contains(&&used.target) {
                    continue;
                }
                seen.push(&used.target);
                let edge = match &used.target {
                    UseTarget::Workload { domain: callee_domain, name } => {
                        // A callee disabled in this environment has no node, so no edge.
                        let Some(callee) = view
                            .domains
                            .iter()
                            .find(|d| &d.name == callee_domain)
                            .and_then(|d| d.workloads.iter().find(|w| &w.name == name))
                        else {
                            continue;
                        };
                        let ports: Vec<String> =
                            callee.ports.iter().map(|p| format!("{} {}", p.name, p.service_port)).collect();
                        Edge { from: from.clone(), to: node_id(callee_domain, name), label: ports.join(", ") }
                    }
                    UseTarget::Backing { domain: owner, name, .. } => {
                        let port = view
                            .domains
                            .iter()
                            .find(|d| &d.name == owner)
                            .and_then(|d| d.backing.iter().find(|b| &b.name == name))
                            .and_then(|b| b.port);
                        let mut label = port.map(|p| p.to_string()).unwrap_or_default();
                        if let Some(role) = &used.role {
                            label = if label.is_empty() { role.clone() } else { format!("{label} {role}") };
                        }
                        Edge { from: from.clone(), to: node_id(owner, name), label }
                    }
                };
                edges.push(edge);
            }
            for egress in &workload.egress {
                let id = group_id("ext", &egress.host);
                if !externals.iter().any(|n| n.id == id) {
                    externals.push(Node { id: id.clone(), label: egress.host.clone(), shape: Shape::External });
                }
                edges.push(Edge { from: from.clone(), to: id, label: egress.port.to_string() });
            }
        }
        for backing in &domain.backing {
            nodes.push(Node {
                id: node_id(&domain.name, &backing.name),
                label: backing_label(backing),
                shape: if backing.stateful { Shape::Stateful } else { Shape::Stateless },
            });
        }
        clusters.push((domain.name.clone(), nodes));
    }
    Graph { title: format!("{} ({} on {})", estate.platform, view.env, view.target), clusters, externals, edges }
}

/// Escape text for a double-quoted Mermaid label.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn mermaid_node(out: &mut String, indent: &str, node: &Node) {
    let label = mermaid_text(&node.label);
    let shape = match node.shape {
        Shape::Service => format!("(\"{label}\")"),
        Shape::Worker => format!("[[\"{label}\"]]"),
        Shape::Job => format!("[/\"{label}\"/]"),
        Shape::Stateful => format!("[(\"{label}\")]"),
        Shape::Stateless => format!("{{{{\"{label}\"}}}}"),
        Shape::External => format!(">\"{label}\"]"),
    };
    let _ = writeln!(out, "{indent}{}{shape}", node.id);
}

fn mermaid(graph: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "---\ntitle: {}\n---\nflowchart LR", mermaid_text(&graph.title));
    for (domain, nodes) in &graph.clusters {
        let _ = writeln!(out, "    subgraph {}[\"{}\"]", group_id("cluster", domain), mermaid_text(domain));
        for node in nodes {
            mermaid_node(&mut out, "        ", node);
        }
        out.push_str("    end\n");
    }
    for node in &graph.externals {
        mermaid_node(&mut out, "    ", node);
    }
    for edge in &graph.edges {
        if edge.label.is_empty() {
            let _ = writeln!(out, "    {} --> {}", edge.from, edge.to);
        } else {
            let _ = writeln!(out, "    {} -->|\"{}\"| {}", edge.from, mermaid_text(&edge.label), edge.to);
        }
    }
    out
}

/// Escape text for a double-quoted DOT string.
fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_node(out: &mut String, indent: &str, node: &Node) {
    let attributes = match node.shape {
        Shape::Service => "shape=box, style=rounded",
        Shape::Worker => "shape=component",
        Shape::Job => "shape=parallelogram",
        Shape::Stateful => "shape=cylinder",
        Shape::Stateless => "shape=hexagon",
        Shape::External => "shape=cds, style=dashed",
    };
    let _ = writeln!(out, "{indent}{} [label=\"{}\", {attributes}];", node.id, dot_text(&node.label));
}

fn dot(graph: &Graph) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "digraph estate {{\n    label=\"{}\";\n    labelloc=t;\n    rankdir=LR;", dot_text(&graph.title));
    for (domain, nodes) in &graph.clusters {
        let _ =
            writeln!(out, "    subgraph {} {{\n        label=\"{}\";", group_id("cluster", domain), dot_text(domain));
        for node in nodes {
            dot_node(&mut out, "        ", node);
        }
        out.push_str("    }\n");
    }
    for node in &graph.externals {
        dot_node(&mut out, "    ", node);
    }
    for edge in &graph.edges {
        let _ = writeln!(out, "    {} -> {} [label=\"{}\"];", edge.from, edge.to, dot_text(&edge.label));
    }
    out.push_str("}\n");
    out
}
