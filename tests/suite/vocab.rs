//! The vocabulary (`compiler/src/model/vocab.kdl`) against the docs and the lowering code:
//! docs/language.md's node tables are generated from it, every node and property in it is
//! documented and accepted by `model::lower`, and every node or property name the
//! lowering code accepts is in it.
//!
//! Adding a node or property to the language: add it to the tree in vocab.kdl (where it may
//! appear), and a row documenting it to the table of its docs section (or `doc="..."` on
//! it), then run `BERTH_UPDATE_DOCS=1 cargo test -p tests --test suite vocab` to rewrite
//! docs/language.md's tables.

use berth::diag::{Diagnostics, SourceFile, Sources};
use berth::model::{self, vocab};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const MARKER: &str = "<!-- vocab: ";
const HOW: &str = "edit compiler/src/model/vocab.kdl (see its header comment)";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vocab() -> vocab::Vocab {
    match vocab::parse(vocab::SOURCE) {
        Ok(vocab) => vocab,
        Err(error) => panic!("{error}"),
    }
}

/// docs/language.md with every marked table regenerated.
fn regenerate(docs: &str, vocab: &vocab::Vocab) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut seen = Vec::new();
    let mut lines = docs.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(rest) = line.strip_prefix(MARKER) else { continue };
        let name = rest.split_whitespace().next().unwrap_or_default().to_owned();
        let table = vocab
            .render_table(&name)
            .unwrap_or_else(|| panic!("docs/language.md marks a table `{name}` that vocab.kdl does not have; {HOW}"));
        while lines.peek().is_some_and(|l| l.starts_with('|')) {
            lines.next();
        }
        out.push_str(&table);
        seen.push(name);
    }
    (out, seen)
}

#[test]
fn docs_tables_are_generated_from_the_vocabulary() {
    let vocab = vocab();
    let path = root().join("docs/language.md");
    let docs = std::fs::read_to_string(&path).expect("docs/language.md");
    let (generated, seen) = regenerate(&docs, &vocab);
    for table in &vocab.tables {
        assert!(
            seen.contains(&table.name),
            "vocab.kdl table `{}` has no `{MARKER}{} -->` line in docs/language.md: put one before where the table goes",
            table.name,
            table.name
        );
    }
    if generated != docs {
        if std::env::var_os("BERTH_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &generated).expect("write docs/language.md");
            return;
        }
        let diff = similar_lines(&docs, &generated);
        panic!(
            "docs/language.md's tables differ from compiler/src/model/vocab.kdl (the tables are generated: \
             edit vocab.kdl, then run `BERTH_UPDATE_DOCS=1 cargo test -p tests --test suite vocab`):\n{diff}"
        );
    }
}

fn similar_lines(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let mut out = String::new();
    for (index, (a, b)) in old.iter().zip(&new).enumerate() {
        if a != b {
            out.push_str(&format!("line {}:\n- {a}\n+ {b}\n", index + 1));
            break;
        }
    }
    if old.len() != new.len() {
        out.push_str(&format!("({} lines now, {} generated)\n", old.len(), new.len()));
    }
    out
}

#[test]
fn every_node_and_property_is_documented() {
    let vocab = vocab();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut missing = Vec::new();
    for (path, node) in vocab.walk() {
        ids.insert(node.id.clone());
        if vocab.doc(&node.id).is_none() {
            missing.push(format!("node `{}` (id `{}`)", path.join(" > "), node.id));
        }
        for prop in vocab.props(node) {
            ids.insert(prop.id.clone());
            let id = format!("{}@{}", node.id, prop.name);
            ids.insert(id.clone());
            if vocab.doc(&id).is_none() {
                missing.push(format!("property `{}=` of `{}` (id `{id}`)", prop.name, path.join(" > ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no documentation for:\n  {}\nadd the id to the `of=` of the docs table row that describes it, or `doc=\"...\"` on it; {HOW}",
        missing.join("\n  ")
    );
    for table in &vocab.tables {
        for row in &table.rows {
            for id in &row.of {
                assert!(
                    ids.contains(id),
                    "table `{}` documents `{id}`, which is no node or property of the tree",
                    table.name
                );
            }
        }
    }
}

/// A spec text in which `path` (node names from the top level) is written, with `prop` on
/// its last node.
fn snippet(path: &[String], prop: Option<&str>) -> String {
    let mut open = String::new();
    let mut close = String::new();
    for (depth, name) in path.iter().enumerate() {
        let name = if name == vocab::ANY { "postgres" } else { name.as_str() };
        let last = depth + 1 == path.len();
        let extra = match name {
            "target" if depth == 0 => " cloud=\"eks\"",
            "job" => " schedule=\"@daily\"",
            _ => "",
        };
        let prop = if last { prop.map(|p| format!(" {p}=\"x\"")).unwrap_or_default() } else { String::new() };
        if last {
            open.push_str(&format!("{name} \"x\"{extra}{prop}\n"));
        } else {
            open.push_str(&format!("{name} \"x\"{extra} {{\n"));
            close.push_str("}\n");
        }
    }
    open + &close
}

fn unknown_codes(text: &str) -> Vec<String> {
    let mut sources = Sources::default();
    let id = sources.add(SourceFile { name: "vocab.kdl".into(), text: text.into() });
    let mut diags = Diagnostics::default();
    let source = sources.get(id).expect("source");
    let Some(parsed) = berth::syntax::parse(&mut diags, id, source) else {
        return vec![format!("does not parse: {text}")];
    };
    model::lower(&mut diags, &parsed);
    diags
        .sorted()
        .iter()
        .filter_map(|d| d.diagnostic.code().map(|c| c.to_string()))
        .filter(|code| code == "model::unknown_node" || code == "model::unknown_property")
        .collect()
}

#[test]
fn lowering_accepts_every_node_and_property_of_the_vocabulary() {
    let vocab = vocab();
    assert_eq!(unknown_codes("platform \"x\" {\n    nope \"x\"\n}\n"), ["model::unknown_node"], "the check itself");
    let mut wrong = Vec::new();
    for (path, node) in vocab.walk() {
        let text = snippet(&path, None);
        if !unknown_codes(&text).is_empty() {
            wrong.push(format!("node `{}` is in vocab.kdl but lowering does not accept it:\n{text}", path.join(" > ")));
        }
        for prop in vocab.props(node) {
            let text = snippet(&path, Some(&prop.name));
            if !unknown_codes(&text).is_empty() {
                wrong.push(format!(
                    "property `{}=` of `{}` is in vocab.kdl but lowering does not accept it:\n{text}",
                    prop.name,
                    path.join(" > ")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Words in compiler/src/model/lower/ that are string literals but no node or property
/// name: choices written elsewhere, messages, type names.
const NOT_NAMES: &[&str] = &[
    "absolute",
    "common",
    "content",
    "deploy",
    "eks",
    "empty",
    "estate",
    "f",
    "gateway-system",
    "github",
    "gitlab",
    "header",
    "http",
    "https",
    "label",
    "annotation",
    "main",
    "maven",
    // A unit of `slo latency="300ms"`, not a name.
    "ms",
    "name",
    "nothing",
    "public",
    "quantity",
    "string",
    "strings",
    "integer",
    "bool",
    "zero",
    "workload",
    "require",
    "match",
    "deny",
    "role",
];

#[test]
fn the_vocabulary_has_every_name_lowering_accepts() {
    let vocab = vocab();
    let mut known: BTreeSet<String> = NOT_NAMES.iter().map(|s| (*s).to_owned()).collect();
    for (_, node) in vocab.walk() {
        known.insert(node.name.clone());
        known.extend(vocab.values(node).iter().cloned());
        for prop in vocab.props(node) {
            known.insert(prop.name.clone());
            known.extend(prop.values.iter().cloned());
        }
    }
    let dir = root().join("compiler/src/model/lower");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("model/lower").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (index, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for word in line.split('"').skip(1).step_by(2) {
                let is_name = !word.is_empty()
                    && word.starts_with(|c: char| c.is_ascii_lowercase())
                    && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if is_name && !known.contains(word) {
                    missing.push(format!(
                        "`{word}` (compiler/src/model/lower/{}:{})",
                        file.file_name().unwrap_or_default().to_string_lossy(),
                        index + 1
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "names the lowering code accepts that compiler/src/model/vocab.kdl does not describe:\n  {}\n\
         add each as a `node`/`prop` under its parent in vocab.kdl (choices as `values=`), with a docs table row \
         (`of=` its id) or `doc=`; if a word is no node, property or choice, add it to NOT_NAMES in tests/suite/vocab.rs",
        missing.join("\n  ")
    );
}
