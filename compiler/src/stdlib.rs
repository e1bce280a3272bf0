//! The standard library: cloud profiles, backing-service kinds and workload defaults,
//! embedded in the binary as Berth source text.
//!
//! In: the `.kdl` files under `stdlib/` at the workspace root, read at compile time with
//! `include_str!` from a table `compiler/build.rs` generates from the folder listing (a new
//! file is embedded by adding it). Out: [`FILES`], `(pseudo-path, text)` pairs sorted by
//! path. The driver turns each pair into a `SourceFile` and runs it through the same
//! `syntax` and `model` stages as a spec, so stdlib diagnostics read `<stdlib/targets/eks.kdl>:12:5`.
//! A user library folder (`berth build --lib DIR`) is read after these files, and a later
//! `cloud`, `backing-kind` or `defaults` with the same name replaces the stdlib one.
//!
//! This module holds data only: no filesystem access at run time. [`lowered`] holds the
//! same files already lowered, so that a run does not parse them.

pub mod lowered;

/// The kind a stdlib pseudo-path defines, for `<stdlib/kinds/<kind>.kdl>` (the stdlib
/// test checks that each kind file defines the kind its name says).
pub fn kind_of(pseudo_path: &str) -> Option<&str> {
    pseudo_path.strip_prefix("<stdlib/kinds/")?.strip_suffix(".kdl>")
}

include!(concat!(env!("OUT_DIR"), "/stdlib.rs"));

#[cfg(test)]
mod tests {
    use super::FILES;
    use std::path::{Path, PathBuf};

    #[test]
    fn files_are_non_empty_and_sorted() {
        for (path, text) in FILES {
            assert!(!text.trim().is_empty(), "{path} is empty");
        }
        let paths: Vec<&str> = FILES.iter().map(|(path, _)| *path).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(paths, sorted, "stdlib::FILES must be sorted by path, without duplicates");
    }

    /// Every `.kdl` file under `stdlib/` must be listed, so a new file cannot be forgotten.
    #[test]
    fn every_stdlib_file_is_listed() {
        fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
            let entries = std::fs::read_dir(dir).expect("stdlib dir is readable");
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    collect(&path, root, out);
                } else if path.extension().is_some_and(|ext| ext == "kdl") {
                    let relative = path.strip_prefix(root).expect("under the workspace root");
                    let relative = relative.to_string_lossy().replace('\\', "/");
                    out.push(format!("<{relative}>"));
                }
            }
        }
        let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut on_disk = Vec::new();
        collect(&root.join("stdlib"), &root, &mut on_disk);
        on_disk.sort_unstable();
        let listed: Vec<String> = FILES.iter().map(|(path, _)| (*path).to_owned()).collect();
        assert_eq!(listed, on_disk, "stdlib::FILES and the .kdl files under stdlib/ differ");
    }

    /// Every file goes through the real front end (`syntax::parse`, `model::lower`)
    /// without a single diagnostic, warnings included.
    #[test]
    fn every_file_parses_and_lowers_cleanly() {
        use crate::diag::{Diagnostics, SourceFile, Sources};
        for (path, text) in FILES {
            let mut sources = Sources::default();
            let source = SourceFile { name: (*path).to_owned(), text: (*text).to_owned() };
            let file = sources.add(source.clone());
            let mut diags = Diagnostics::default();
            let parsed = crate::syntax::parse(&mut diags, file, &source);
            let parsed = parsed.unwrap_or_else(|| panic!("{path} does not parse: {diags:?}"));
            let _spec = crate::model::lower(&mut diags, &parsed);
            assert!(diags.is_empty(), "{path} has diagnostics: {diags:?}");
        }
    }

    #[test]
    fn every_chart_file_has_a_stdlib_template() {
        for name in crate::model::CHART_TEMPLATES {
            let path = format!("<stdlib/charts/{name}.kdl>");
            assert!(FILES.iter().any(|(file, _)| *file == path), "{path} is missing");
        }
    }

    /// Each file defines exactly what its path says: `targets/<name>.kdl` one `cloud
    /// "<name>"`, `kinds/<name>.kdl` one `backing-kind "<name>"` with a `managed` bool
    /// defaulting to `#false`, `builds/<name>.kdl` one `build-kind "<name>"`, `ci/<name>.kdl`
    /// one `ci-system "<name>"` with a workload template, `metrics/<name>.kdl` one
    /// `metrics-convention "<name>"` with its source, `charts/<name>.kdl` one
    /// `chart-template "<name>"` (and every chart file has one), `gitops/<name>.kdl` one
    /// `gitops-tool "<name>"` with a domain and a view template, `defaults.kdl` the
    /// `defaults` node, `monitoring.kdl` the `monitoring` node, `rollouts.kdl` the
    /// `rollouts` node.
    #[test]
    fn every_file_defines_what_its_path_says() {
        use crate::diag::{Diagnostics, SourceFile, Sources};
        use crate::model::{PropertyType, Value};
        for (path, text) in FILES {
            let mut sources = Sources::default();
            let source = SourceFile { name: (*path).to_owned(), text: (*text).to_owned() };
            let file = sources.add(source.clone());
            let mut diags = Diagnostics::default();
            let parsed = crate::syntax::parse(&mut diags, file, &source).expect("parses");
            let spec = crate::model::lower(&mut diags, &parsed);
            let stem = path.trim_start_matches('<').trim_end_matches('>');
            let name = stem.rsplit('/').next().unwrap_or_default().trim_end_matches(".kdl");
            let n_nodes = spec.clouds.len()
                + spec.backing_kinds.len()
                + spec.build_kinds.len()
                + spec.ci_systems.len()
                + spec.ci_scripts.len()
                + spec.cnis.len()
                + spec.chart_templates.len()
                + spec.gitops_tools.len()
                + usize::from(spec.defaults.is_some())
                + spec.metrics_conventions.len()
                + usize::from(spec.monitoring.is_some())
                + usize::from(spec.rollouts.is_some())
                + spec.policies.len();
            assert_eq!(n_nodes, 1, "{path} must define exactly one library node");
            if let Some(rest) = stem.strip_prefix("stdlib/policies/") {
                // `policies/<pack>/<id>.kdl`: one policy with that id, in that pack,
                // documented with the `## What it does` / `## Why is this bad?` headings.
                let policy = &spec.policies[0];
                let pack = rest.split('/').next().unwrap_or_default();
                assert_eq!(policy.id.value, name, "{path}");
                assert_eq!(policy.pack.as_ref().map(|p| p.value.as_str()), Some(pack), "{path}");
                assert!(policy.status.is_some() && policy.since.is_some(), "{path} needs `status=` and `since=`");
                assert!(text.starts_with("// ## What it does\n"), "{path} needs `// ## What it does` first");
                assert!(text.contains("\n// ## Why is this bad?\n"), "{path} needs `// ## Why is this bad?`");
            } else if stem.starts_with("stdlib/targets/") {
                let cloud = &spec.clouds[0];
                assert_eq!(cloud.name.value, name, "{path}");
                assert!(cloud.description.is_some(), "{path} needs a description");
                assert!(cloud.facts.exposure.is_some(), "{path} needs an exposure");
                assert!(cloud.facts.fixed_uid.is_some(), "{path} needs fixed-uid");
            } else if stem.starts_with("stdlib/metrics/") {
                let convention = &spec.metrics_conventions[0];
                assert_eq!(convention.name.value, name, "{path}");
                assert!(convention.description.is_some(), "{path} needs a description");
                assert!(text.contains("https://"), "{path} needs the source of its names");
            } else if stem.starts_with("stdlib/builds/") {
                let kind = &spec.build_kinds[0];
                assert_eq!(kind.name.value, name, "{path}");
                assert!(kind.description.is_some(), "{path} needs a description");
                assert_eq!(kind.image.is_some(), !kind.test.is_empty(), "{path}: commands need an image to run in");
            } else if stem.starts_with("stdlib/charts/") {
                assert_eq!(spec.chart_templates[0].name.value, name, "{path}");
            } else if stem.starts_with("stdlib/cnis/") {
                let cni = &spec.cnis[0];
                assert_eq!(cni.name.value, name, "{path}");
                assert!(cni.description.is_some(), "{path} needs a description");
            } else if stem.starts_with("stdlib/ci/") {
                let system = &spec.ci_systems[0];
                assert_eq!(system.name.value, name, "{path}");
                assert!(system.description.is_some(), "{path} needs a description");
                assert!(
                    system.templates.iter().any(|t| t.scope.value == crate::model::TemplateScope::Workload),
                    "{path} needs a workload template"
                );
            } else if stem.starts_with("stdlib/ci-scripts/") {
                assert_eq!(spec.ci_scripts[0].name.value, name, "{path}");
                assert!(text.contains("https://"), "{path} needs the sources of the requests it makes");
            } else if stem.starts_with("stdlib/gitops/") {
                let tool = &spec.gitops_tools[0];
                assert_eq!(tool.name.value, name, "{path}");
                assert!(tool.description.is_some(), "{path} needs a description");
                for scope in [crate::model::GitopsScope::Domain, crate::model::GitopsScope::View] {
                    assert!(tool.templates.iter().any(|t| t.scope.value == scope), "{path} needs a {scope:?} template");
                }
            } else if stem.starts_with("stdlib/kinds/") {
                let kind = &spec.backing_kinds[0];
                assert_eq!(kind.name.value, name, "{path}");
                assert!(kind.description.is_some(), "{path} needs a description");
                let managed = kind.properties.iter().find(|property| property.name.value == "managed");
                let managed = managed.unwrap_or_else(|| panic!("{path} needs a `managed` property"));
                assert_eq!(managed.ty, PropertyType::Bool, "{path}");
                // In-cluster by default, except object storage, which has no in-cluster
                // realisation (MinIO's images are gone) and is managed by nature.
                let expected = name == "bucket";
                assert_eq!(managed.default.as_ref().map(|value| &value.value), Some(&Value::Bool(expected)), "{path}");
                assert!(!kind.binding.is_empty(), "{path} needs a `binding`");
                assert!(!kind.realisations.is_empty(), "{path} needs a `realise`");
            } else if stem == "stdlib/monitoring.kdl" {
                let monitoring = spec.monitoring.as_ref().expect("monitoring node");
                for template in crate::model::MONITORING_TEMPLATES {
                    assert!(monitoring.templates.contains_key(*template), "{path}: `{template}`");
                }
                assert_eq!(monitoring.burn_rates.len(), 4, "{path}: the workbook's four burn rates");
            } else if stem == "stdlib/rollouts.kdl" {
                let rollouts = spec.rollouts.as_ref().expect("rollouts node");
                for template in crate::model::ROLLOUTS_TEMPLATES {
                    assert!(rollouts.templates.contains_key(*template), "{path}: `{template}`");
                }
            } else {
                assert_eq!(stem, "stdlib/defaults.kdl");
                let defaults = spec.defaults.as_ref().expect("defaults node");
                assert_eq!(defaults.kubernetes.as_ref().map(|v| v.value.as_str()), Some("1.33"));
                assert_eq!(defaults.run_as_user.as_ref().map(|v| v.value), Some(10001));
                assert_eq!(defaults.tmp_size.as_ref().map(|v| v.value.as_str()), Some("64Mi"));
                assert_eq!(defaults.settings.replicas.as_ref().map(|v| v.value), Some(1));
                assert_eq!(defaults.probe_initial_delay.as_ref().map(|v| v.value), Some(10));
                assert_eq!(defaults.probe_period.as_ref().map(|v| v.value), Some(10));
                assert_eq!(defaults.probe_timeout.as_ref().map(|v| v.value), Some(2));
                assert_eq!(defaults.liveness_failures.as_ref().map(|v| v.value), Some(6));
                assert_eq!(defaults.cpu_percent.as_ref().map(|v| v.value), Some(80));
                assert_eq!(defaults.dns.dns_port.as_ref().map(|v| v.value), Some(53));
                let limits = defaults.limit_range.as_ref().expect("default limit range");
                assert_eq!(limits.limit_memory.as_ref().map(|v| v.value.as_str()), Some("512Mi"));
                let quota = defaults.quota.as_ref().expect("default quota");
                assert_eq!(quota.cpu.as_ref().map(|v| v.value.as_str()), Some("4"));
                assert_eq!(quota.memory.as_ref().map(|v| v.value.as_str()), Some("8Gi"));
                assert_eq!(quota.pods.as_ref().map(|v| v.value), Some(40));
                let resources = defaults.settings.resources.as_ref().expect("default resources");
                assert_eq!(resources.cpu.as_ref().map(|v| v.value.as_str()), Some("100m"));
                assert_eq!(resources.memory.as_ref().map(|v| v.value.as_str()), Some("128Mi"));
            }
        }
    }
}
