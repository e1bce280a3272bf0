//! Diff snapshots: every `fixtures/diff/<case>/{old,new}.kdl` pair is compiled through
//! `driver::compile`, compared with `output::diff::diff`, assessed with
//! `output::risk::assess`, and rendered by `output::review` in every format (terminal without colour,
//! Markdown, JSON) into one snapshot. The first line of `new.kdl` says which risk the
//! case must raise: `// expect: risk network-policy-opened`, or `// expect: no risk`.

use berth::driver::{self, Compilation, Inputs, Options};
use berth::output::diff;
use berth::output::review::{self, GITHUB_COMMENT_LIMIT, Review};
use berth::output::risk::{self, Revision};
use std::path::Path;

fn compile(path: &Path) -> Compilation {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("spec.kdl").to_owned();
    let compilation = driver::compile(&Inputs::spec(name, text), &Options::default());
    assert!(!compilation.has_errors(), "{}: {:?}", path.display(), compilation.diagnostics);
    compilation
}

#[test]
fn diff() {
    insta::glob!("../fixtures", "diff/*/new.kdl", |new_path| {
        let old_path = new_path.with_file_name("old.kdl");
        let old = compile(&old_path);
        let new = compile(new_path);
        let changes = diff::diff(&old.tree, &new.tree);
        let risks = risk::assess(
            &changes,
            Revision { estate: old.estate.as_ref(), spec: old.spec.as_ref() },
            Revision { estate: new.estate.as_ref(), spec: new.spec.as_ref() },
        );
        let result = Review { diff: changes, risks };

        let text = std::fs::read_to_string(new_path).expect("fixture is readable");
        let expect = text.lines().next().unwrap_or_default().to_owned();
        let kinds: Vec<String> = result
            .risks
            .iter()
            .map(|risk| {
                serde_json::to_value(risk.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            })
            .collect();
        if let Some(rest) = expect.strip_prefix("// expect: risk ") {
            let wanted = rest.split_whitespace().next().unwrap_or_default();
            assert!(kinds.iter().any(|k| k == wanted), "{}: expected risk {wanted}, got {kinds:?}", new_path.display());
        } else {
            assert!(expect.starts_with("// expect: no risk"), "{}: first line is `// expect: ...`", new_path.display());
            assert!(kinds.is_empty(), "{}: unexpected risks {kinds:?}", new_path.display());
        }
        assert!(!result.is_empty(), "{}: the revisions do not differ", new_path.display());

        let terminal = review::render_terminal(&result, false);
        assert!(!terminal.contains('\x1b'), "colour without a terminal");
        let markdown = review::render_markdown(&result, GITHUB_COMMENT_LIMIT);
        assert!(markdown.starts_with(review::MARKDOWN_MARKER));
        let json = review::render_json(&result);
        serde_json::from_str::<serde_json::Value>(&json).expect("the JSON report parses");
        insta::assert_snapshot!(format!(
            "{expect}\n\n── terminal ──\n{terminal}\n── markdown ──\n{markdown}\n── json ──\n{json}\n"
        ));
    });
}

#[test]
fn identical_trees_do_not_differ() {
    let compilation = compile(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello/spec.kdl"));
    let result = Review { diff: diff::diff(&compilation.tree, &compilation.tree), risks: Vec::new() };
    assert!(result.is_empty());
    assert_eq!(review::render_terminal(&result, false), "no differences\n");
}
