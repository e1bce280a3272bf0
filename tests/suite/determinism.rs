//! Determinism: the same spec gives byte-identical output, run after run, and the order
//! of independent top-level nodes (domains, policies, waivers) does not matter.
//!
//! Compiles every `examples/*/spec.kdl` through [`berth::driver::compile`] and renders
//! each artifact with [`berth::output::file::render`], the text `berth build` writes.

use berth::driver::{self, Inputs, Options};
use berth::output::file;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every `examples/<name>/spec.kdl`, sorted by name.
pub(crate) fn example_specs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut specs = Vec::new();
    for entry in std::fs::read_dir(&root).expect("examples/ is readable") {
        let dir: PathBuf = entry.expect("dir entry").path();
        let spec = dir.join("spec.kdl");
        if spec.is_file() {
            let name = dir.file_name().expect("a folder name").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&spec).expect("spec is UTF-8");
            specs.push((name, text));
        }
    }
    specs.sort();
    assert!(!specs.is_empty(), "no examples/*/spec.kdl");
    specs
}

/// Compile and render: path -> file text. Panics with the diagnostics on any error.
fn build(name: &str, text: &str) -> BTreeMap<String, String> {
    let mut inputs = Inputs::spec(format!("examples/{name}/spec.kdl"), text);
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
    inputs.files = berth::output::safe::spec_files(&folder.join("spec.kdl"));
    let compilation = driver::compile(&inputs, &Options::default());
    if compilation.has_errors() {
        let report = berth::output::report::render(
            &compilation.sources,
            &compilation.diagnostics,
            berth::output::report::ReportFormat::Plain,
            false,
        );
        panic!("examples/{name} has errors:\n{report}");
    }
    compilation.tree.iter().map(|(path, artifact)| (path.clone(), file::render(artifact))).collect()
}

/// Compare two builds file by file, naming the first difference.
#[track_caller]
fn assert_same(name: &str, what: &str, first: &BTreeMap<String, String>, second: &BTreeMap<String, String>) {
    let first_paths: Vec<&String> = first.keys().collect();
    let second_paths: Vec<&String> = second.keys().collect();
    assert_eq!(first_paths, second_paths, "examples/{name}: {what}: different file sets");
    for (path, text) in first {
        assert!(text == &second[path], "examples/{name}: {what}: {path} differs");
    }
}

#[test]
fn every_example_builds_byte_identically_twice() {
    for (name, text) in example_specs() {
        let first = build(&name, &text);
        let second = build(&name, &text);
        assert!(!first.is_empty(), "examples/{name} produced no files");
        assert_same(&name, "second build", &first, &second);
        for (path, text) in &first {
            assert!(!text.contains('\r'), "examples/{name}: {path} has a CR");
            assert!(text.ends_with('\n'), "examples/{name}: {path} does not end with a newline");
        }
    }
}

#[test]
fn shuffling_independent_top_level_nodes_changes_nothing() {
    for (name, text) in example_specs() {
        let original = build(&name, &text);
        let chunks = top_level_chunks(&text);
        let movable = chunks.iter().filter(|chunk| is_independent(chunk)).count();
        if movable < 2 {
            continue;
        }
        for seed in [1_u64, 2, 3] {
            let shuffled = shuffle_independent(&chunks, seed);
            assert_ne!(shuffled, text, "examples/{name}: the shuffle (seed {seed}) changed nothing");
            let rebuilt = build(&name, &shuffled);
            assert_same(&name, &format!("top-level nodes shuffled (seed {seed})"), &original, &rebuilt);
        }
    }
}

/// Split a formatted spec into top-level chunks: each starts at a line in column 0 that
/// is not a closing brace, and takes the comment lines just above it along.
pub(crate) fn top_level_chunks(text: &str) -> Vec<String> {
    let mut chunks: Vec<String> = Vec::new();
    let mut pending = String::new(); // comments and blank lines before the next node
    let mut current: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let starts_node = line.starts_with(|c: char| c.is_alphabetic() || c == '"');
        let is_comment_or_blank = line.trim().is_empty() || line.starts_with("//");
        if starts_node {
            if let Some(chunk) = current.take() {
                chunks.push(chunk);
            }
            current = Some(std::mem::take(&mut pending) + line);
        } else if is_comment_or_blank && !line.starts_with(' ') {
            pending.push_str(line);
        } else if let Some(chunk) = current.as_mut() {
            chunk.push_str(&std::mem::take(&mut pending));
            chunk.push_str(line);
        } else {
            pending.push_str(line);
        }
    }
    if let Some(chunk) = current {
        chunks.push(chunk);
    }
    // A trailing comment after the last node becomes its own (immovable) chunk.
    if !pending.is_empty() {
        chunks.push(pending);
    }
    chunks
}

/// Domains, policies and waivers may appear in any order; platform, targets and
/// environments keep theirs (environment order is promotion order).
fn is_independent(chunk: &str) -> bool {
    let node = chunk.lines().find(|line| line.starts_with(|c: char| c.is_alphabetic())).unwrap_or("");
    ["domain ", "policy ", "waive "].iter().any(|kind| node.starts_with(kind))
}

/// Shuffle the independent chunks among their own slots (Fisher-Yates, xorshift).
fn shuffle_independent(chunks: &[String], seed: u64) -> String {
    let slots: Vec<usize> = (0..chunks.len()).filter(|&i| is_independent(&chunks[i])).collect();
    let mut order = slots.clone();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = usize::try_from(state % (i as u64 + 1)).unwrap();
        order.swap(i, j);
    }
    // Reversing guarantees a different order even when the shuffle is the identity.
    if order == slots {
        order.reverse();
    }
    // Every chunk ends with a newline, so moving the last one keeps lines apart.
    let lines: Vec<String> =
        chunks.iter().map(|chunk| if chunk.ends_with('\n') { chunk.clone() } else { format!("{chunk}\n") }).collect();
    let mut result: Vec<&str> = lines.iter().map(String::as_str).collect();
    for (slot, source) in slots.iter().zip(&order) {
        result[*slot] = &lines[*source];
    }
    result.concat()
}

#[test]
fn chunking_keeps_every_byte() {
    for (name, text) in example_specs() {
        assert_eq!(top_level_chunks(&text).concat(), text, "examples/{name}");
    }
}
