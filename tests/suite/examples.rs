//! Every bundled example compiles without errors, and its whole emitted tree is
//! snapshotted (one snapshot per example: the files a user would get, in path order).

use berth::driver::{Inputs, Options, compile};
use berth::output::listing::listing;
use berth::output::report::{ReportFormat, render};
use std::path::Path;

/// Compile `examples/<name>/spec.kdl`; panics with the rendered diagnostics on errors.
pub fn compile_example(name: &str) -> berth::driver::Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name).join("spec.kdl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut inputs = Inputs::spec(format!("examples/{name}/spec.kdl"), text);
    inputs.files = berth::output::safe::spec_files(&path);
    let compilation = compile(&inputs, &Options::default());
    assert!(
        !compilation.has_errors(),
        "example {name} has errors:\n{}",
        render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false)
    );
    compilation
}

/// The example folders (each has a spec.kdl).
pub fn example_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("spec.kdl").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn examples_compile_and_match_snapshots() {
    let names = example_names();
    assert!(names.len() >= 3, "expected hello, online-boutique and enterprise, found {names:?}");
    for name in names {
        let compilation = compile_example(&name);
        assert!(!compilation.tree.is_empty(), "example {name} emitted nothing");
        let mut text = listing(&compilation.tree);
        text.push_str("── diagnostics ──\n");
        let diagnostics = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
        text.push_str(if diagnostics.is_empty() { "(none)\n" } else { &diagnostics });
        insta::assert_snapshot!(format!("example-{name}"), text);
    }
}
