//! `validate`, the internal schema check, through `compile`: every example's output
//! matches the bundled Kubernetes and CRD schemas, for every supported Kubernetes version.

use berth::diag::Diagnostics;
use berth::driver::{Inputs, Options, compile};
use berth::output::report::{ReportFormat, render};
use std::path::Path;

fn example_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name).join("spec.kdl");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The spec with its platform's `kubernetes` version replaced (or added).
fn with_version(text: &str, version: &str) -> String {
    if let Some(start) = text.find("    kubernetes \"1.") {
        let end = start + text[start..].find('\n').unwrap();
        format!("{}    kubernetes \"{version}\"{}", &text[..start], &text[end..])
    } else {
        let start = text.find("platform \"").unwrap();
        let brace = start + text[start..].find("{\n").unwrap() + 2;
        format!("{}    kubernetes \"{version}\"\n{}", &text[..brace], &text[brace..])
    }
}

#[test]
fn every_example_validates_clean_for_every_supported_version() {
    for name in crate::examples::example_names() {
        let text = example_text(&name);
        for minor in 30..=37 {
            let version = format!("1.{minor}");
            let spec = with_version(&text, &version);
            let compilation = compile(&Inputs::spec(format!("examples/{name}/spec.kdl"), spec), &Options::default());
            let estate = compilation.estate.as_ref().expect("the example resolves");
            assert_eq!(estate.kubernetes, version, "{name}");
            // Emit and validate again through the stage entries, so that errors of other
            // stages (policies) cannot hide the check by emptying the tree.
            let mut diags = Diagnostics::default();
            let tree = berth::emit::emit(&mut diags, estate);
            assert!(!tree.is_empty(), "{name}");
            berth::validate::objects(&mut diags, &tree, &version);
            assert!(
                !diags.has_errors(),
                "{name} on Kubernetes {version}:\n{}",
                render(&compilation.sources, &diags, ReportFormat::Plain, false)
            );
            let from_compile: Vec<String> = compilation
                .diagnostics
                .sorted()
                .iter()
                .filter_map(|collected| collected.diagnostic.code().map(|code| code.to_string()))
                .filter(|code| code.starts_with("validate::"))
                .collect();
            assert!(from_compile.is_empty(), "{name} on Kubernetes {version}: {from_compile:?}");
        }
    }
}
