//! The vocabulary of the language, read from `model/vocab.kdl`: every node and property,
//! where it may appear, its choices and its documentation, and the docs tables of
//! docs/language.md. One source for the docs, the language server's hovers and
//! completions; `tests/suite/vocab.rs` keeps it in step with `model::lower`.

use kdl::{KdlDocument, KdlNode};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The vocabulary file, embedded.
pub const SOURCE: &str = include_str!("vocab.kdl");

/// The name of a node that stands for any name (a backing service's kind in a domain).
pub const ANY: &str = "*";

/// A node of the language.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// Documentation id: the parent's id (or the group's name) + `/` + the name.
    pub id: String,
    /// The node name, or [`ANY`].
    pub name: String,
    /// Choices of the first argument.
    pub values: Vec<String>,
    /// Documentation written on the node itself (when no table row has its id).
    pub doc: Option<String>,
    /// The id of a node whose properties, children and docs this one shares.
    pub like: Option<String>,
    /// Whether the node takes properties of any name.
    pub free_props: bool,
    /// Its own properties.
    pub props: Vec<Prop>,
    /// Its own children (indexes into [`Vocab::nodes`]).
    pub children: Vec<usize>,
    /// Groups whose nodes are children too.
    pub groups: Vec<String>,
}

/// A property of a node.
#[derive(Debug, Clone, Default)]
pub struct Prop {
    /// The node's id + `@` + the name.
    pub id: String,
    /// The property name.
    pub name: String,
    /// Its choices.
    pub values: Vec<String>,
    /// Documentation written on the property itself.
    pub doc: Option<String>,
}

/// A docs table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Its name: the marker `<!-- vocab: NAME -->` in docs/language.md.
    pub name: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows, in order.
    pub rows: Vec<Row>,
}

/// A row of a docs table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Cells, Markdown.
    pub cells: Vec<String>,
    /// The ids it documents.
    pub of: Vec<String>,
}

/// The whole vocabulary.
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    /// Every node of the tree and of the groups.
    pub nodes: Vec<Node>,
    /// Top-level nodes.
    pub top: Vec<usize>,
    /// Groups by name.
    pub groups: BTreeMap<String, Vec<usize>>,
    /// Docs tables, in file order.
    pub tables: Vec<Table>,
}

/// The embedded vocabulary, parsed once. A vocabulary that does not parse is empty (the
/// vocab test reports why).
pub fn get() -> &'static Vocab {
    static VOCAB: OnceLock<Vocab> = OnceLock::new();
    VOCAB.get_or_init(|| parse(SOURCE).unwrap_or_default())
}

/// Parse a vocabulary text.
pub fn parse(text: &str) -> Result<Vocab, String> {
    let document = KdlDocument::parse_v2(text).map_err(|error| format!("model/vocab.kdl does not parse: {error:?}"))?;
    let mut vocab = Vocab::default();
    for node in document.nodes() {
        match node.name().value() {
            "node" => {
                let index = vocab.node(node, "")?;
                vocab.top.push(index);
            }
            "group" => {
                let name = arg(node, 0).ok_or("a group needs a name")?;
                let mut members = Vec::new();
                for child in node.iter_children() {
                    members.push(vocab.node(child, &name)?);
                }
                vocab.groups.insert(name, members);
            }
            "table" => vocab.tables.push(table(node)?),
            other => return Err(format!("model/vocab.kdl: unknown node `{other}`")),
        }
    }
    Ok(vocab)
}

fn arg(node: &KdlNode, index: usize) -> Option<String> {
    node.entries()
        .iter()
        .filter(|e| e.name().is_none())
        .nth(index)
        .and_then(|e| e.value().as_string())
        .map(str::to_owned)
}

fn string_prop(node: &KdlNode, key: &str) -> Option<String> {
    node.entry(key).and_then(|e| e.value().as_string()).map(str::to_owned)
}

fn words(node: &KdlNode, key: &str) -> Vec<String> {
    string_prop(node, key).map(|s| s.split_whitespace().map(str::to_owned).collect()).unwrap_or_default()
}

fn table(node: &KdlNode) -> Result<Table, String> {
    let name = arg(node, 0).ok_or("a table needs a name")?;
    let mut table = Table { name, ..Table::default() };
    for child in node.iter_children() {
        let cells: Vec<String> = child
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .filter_map(|e| e.value().as_string())
            .map(str::to_owned)
            .collect();
        match child.name().value() {
            "columns" => table.columns = cells,
            "row" => table.rows.push(Row { cells, of: words(child, "of") }),
            other => return Err(format!("table `{}`: unknown node `{other}`", table.name)),
        }
    }
    Ok(table)
}

impl Vocab {
    fn node(&mut self, node: &KdlNode, parent: &str) -> Result<usize, String> {
        if node.name().value() != "node" {
            return Err(format!("`{parent}`: expected `node`, found `{}`", node.name().value()));
        }
        let name = arg(node, 0).ok_or_else(|| format!("`{parent}`: a node needs a name"))?;
        let id = string_prop(node, "id")
            .unwrap_or_else(|| if parent.is_empty() { name.clone() } else { format!("{parent}/{name}") });
        let index = self.nodes.len();
        self.nodes.push(Node {
            id: id.clone(),
            name,
            values: words(node, "values"),
            doc: string_prop(node, "doc"),
            like: string_prop(node, "like"),
            free_props: node.entry("free-props").and_then(|e| e.value().as_bool()).unwrap_or(false),
            ..Node::default()
        });
        let (mut props, mut children, mut groups) = (Vec::new(), Vec::new(), Vec::new());
        for child in node.iter_children() {
            match child.name().value() {
                "prop" => {
                    let name = arg(child, 0).ok_or_else(|| format!("`{id}`: a prop needs a name"))?;
                    props.push(Prop {
                        id: format!("{id}@{name}"),
                        name,
                        values: words(child, "values"),
                        doc: string_prop(child, "doc"),
                    });
                }
                "node" => children.push(self.node(child, &id)?),
                "use" => groups.push(arg(child, 0).ok_or_else(|| format!("`{id}`: `use` needs a group"))?),
                other => return Err(format!("`{id}`: unknown node `{other}`")),
            }
        }
        if let Some(slot) = self.nodes.get_mut(index) {
            slot.props = props;
            slot.children = children;
            slot.groups = groups;
        }
        Ok(index)
    }

    /// The node with this id.
    pub fn by_id(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The node `like=` names, if any.
    fn like(&self, node: &Node) -> Option<&Node> {
        node.like.as_deref().and_then(|id| self.by_id(id)).filter(|like| like.id != node.id)
    }

    /// Every property of `node`: its own, then those of the node it is like.
    pub fn props<'v>(&'v self, node: &'v Node) -> Vec<&'v Prop> {
        let mut out: Vec<&Prop> = node.props.iter().collect();
        if let Some(like) = self.like(node) {
            out.extend(like.props.iter().filter(|p| !node.props.iter().any(|own| own.name == p.name)));
        }
        out
    }

    /// Whether `node` takes properties of any name.
    pub fn free_props(&self, node: &Node) -> bool {
        node.free_props || self.like(node).is_some_and(|like| like.free_props)
    }

    /// The choices of `node`'s first argument.
    pub fn values<'v>(&'v self, node: &'v Node) -> &'v [String] {
        match self.like(node) {
            Some(like) if node.values.is_empty() => &like.values,
            _ => &node.values,
        }
    }

    /// Every child node of `node`: its own, its groups', then the node it is like.
    pub fn children<'v>(&'v self, node: &'v Node) -> Vec<&'v Node> {
        let mut out: Vec<&Node> = Vec::new();
        let add = |out: &mut Vec<&'v Node>, indexes: &[usize]| {
            for child in indexes.iter().filter_map(|&i| self.nodes.get(i)) {
                if !out.iter().any(|n| n.name == child.name) {
                    out.push(child);
                }
            }
        };
        add(&mut out, &node.children);
        for group in &node.groups {
            if let Some(members) = self.groups.get(group) {
                add(&mut out, members);
            }
        }
        if let Some(like) = self.like(node) {
            add(&mut out, &like.children);
            for group in &like.groups {
                if let Some(members) = self.groups.get(group) {
                    add(&mut out, members);
                }
            }
        }
        out
    }

    /// The top-level nodes.
    pub fn top_nodes(&self) -> Vec<&Node> {
        self.top.iter().filter_map(|&i| self.nodes.get(i)).collect()
    }

    /// The node at a path of node names from the top level (`["domain", "service",
    /// "port"]`); a name no node has matches the parent's [`ANY`] child.
    pub fn at_path(&self, path: &[&str]) -> Option<&Node> {
        let (first, rest) = path.split_first()?;
        let mut node = *self.top_nodes().iter().find(|n| n.name == *first)?;
        for name in rest {
            let children = self.children(node);
            node = children
                .iter()
                .find(|n| n.name == *name)
                .or_else(|| children.iter().find(|n| n.name == ANY))
                .copied()?;
        }
        Some(node)
    }

    /// The documentation of a node or property id, as Markdown: the cells of the table
    /// row that documents it, under their column names, or the doc written on it; for a
    /// node that is `like=` another, the other's.
    pub fn doc(&self, id: &str) -> Option<String> {
        let rows: Vec<String> = self
            .tables
            .iter()
            .flat_map(|table| {
                table.rows.iter().filter(|r| r.of.iter().any(|of| of == id)).map(move |row| render_row(table, row))
            })
            .collect();
        if !rows.is_empty() {
            return Some(rows.join("\n\n---\n\n"));
        }
        let (node_id, prop) = match id.split_once('@') {
            Some((node, prop)) => (node, Some(prop)),
            None => (id, None),
        };
        let node = self.by_id(node_id)?;
        let written = match prop {
            Some(prop) => node.props.iter().find(|p| p.name == prop).and_then(|p| p.doc.clone()),
            None => node.doc.clone(),
        };
        written.or_else(|| {
            let like = self.like(node)?;
            let like_id = match prop {
                Some(prop) => format!("{}@{prop}", like.id),
                None => like.id.clone(),
            };
            self.doc(&like_id)
        })
    }

    /// The Markdown of a table, as docs/language.md shows it (without the marker).
    pub fn render_table(&self, name: &str) -> Option<String> {
        let table = self.tables.iter().find(|t| t.name == name)?;
        let mut out = format!("| {} |\n", table.columns.join(" | "));
        out.push_str(&format!("|{}\n", "---|".repeat(table.columns.len())));
        for row in &table.rows {
            out.push('|');
            for cell in &row.cells {
                if cell.is_empty() {
                    out.push_str(" |");
                } else {
                    out.push_str(&format!(" {cell} |"));
                }
            }
            out.push('\n');
        }
        Some(out)
    }

    /// Every node of the tree with its path of names from the top level (groups expanded
    /// where they are used), depth first.
    pub fn walk(&self) -> Vec<(Vec<String>, &Node)> {
        let mut out = Vec::new();
        for node in self.top_nodes() {
            self.walk_from(node, vec![node.name.clone()], &mut out);
        }
        out
    }

    fn walk_from<'v>(&'v self, node: &'v Node, path: Vec<String>, out: &mut Vec<(Vec<String>, &'v Node)>) {
        out.push((path.clone(), node));
        if path.len() > 8 {
            return;
        }
        for child in self.children(node) {
            let mut child_path = path.clone();
            child_path.push(child.name.clone());
            self.walk_from(child, child_path, out);
        }
    }
}

fn render_row(table: &Table, row: &Row) -> String {
    let mut out = String::new();
    for (column, cell) in table.columns.iter().zip(&row.cells) {
        if !cell.is_empty() {
            out.push_str(&format!("**{column}**: {cell}\n\n"));
        }
    }
    out.trim_end().to_owned()
}
