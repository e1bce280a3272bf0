//! Workload fixtures (`tests/fixtures/workload/*.kdl`): each spec compiles without
//! errors, and the objects that carry a workload's settings (Deployments, CronJobs,
//! ConfigMaps, ExternalSecrets) are snapshotted, so a fixture shows exactly what one
//! feature (derived variables, `$(VAR)` composition, probes, files) turns into.

use berth::driver::{Inputs, Options, compile};
use berth::emit::ArtifactTree;
use berth::output::listing::listing;
use berth::output::report::{ReportFormat, render};

/// The file kinds a workload fixture is about.
const KINDS: [&str; 4] = ["/deployment-", "/cronjob-", "/configmap-", "/externalsecret-"];

#[test]
fn workload_fixtures() {
    insta::glob!("../fixtures", "workload/*.kdl", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let compilation = compile(&Inputs::spec(name.clone(), text), &Options::default());
        let diagnostics = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
        assert!(!compilation.has_errors(), "{name} has errors:\n{diagnostics}");
        let tree: ArtifactTree = compilation
            .tree
            .iter()
            .filter(|(path, _)| KINDS.iter().any(|kind| path.contains(kind)))
            .map(|(path, artifact)| (path.clone(), artifact.clone()))
            .collect();
        assert!(!tree.is_empty(), "{name} emitted no workload objects");
        let mut out = listing(&tree);
        out.push_str("── diagnostics ──\n");
        out.push_str(if diagnostics.is_empty() { "(none)\n" } else { &diagnostics });
        insta::assert_snapshot!(out);
    });
}

/// Exposure fixtures (`tests/fixtures/exposure/*.kdl`): the Services and NetworkPolicies
/// of each spec, so a fixture shows what `expose-port` turns into on each target.
#[test]
fn exposure_fixtures() {
    insta::glob!("../fixtures", "exposure/*.kdl", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let compilation = compile(&Inputs::spec(name.clone(), text), &Options::default());
        let diagnostics = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
        assert!(!compilation.has_errors(), "{name} has errors:\n{diagnostics}");
        let tree: ArtifactTree = compilation
            .tree
            .iter()
            .filter(|(path, _)| path.contains("/service-") || path.contains("/networkpolicy-"))
            .filter(|(path, _)| !path.ends_with("/networkpolicy-default-deny.yaml"))
            .map(|(path, artifact)| (path.clone(), artifact.clone()))
            .collect();
        assert!(tree.keys().any(|p| p.contains("/service-")), "{name} emitted no Service");
        let mut out = listing(&tree);
        out.push_str("── diagnostics ──\n");
        out.push_str(if diagnostics.is_empty() { "(none)\n" } else { &diagnostics });
        insta::assert_snapshot!(out);
    });
}
