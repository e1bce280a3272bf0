//! Apply-ready output: every view folder and domain folder has a `kustomization.yaml`
//! that lists each of its object files exactly once, in an order a new cluster can take
//! (the namespace first, RBAC and NetworkPolicies before the pods, exposure last).

use crate::examples::{compile_example, example_names};
use berth::emit::{Body, Format};
use std::collections::{BTreeMap, BTreeSet};

/// `resources:` of a kustomization text.
fn resources(text: &str) -> Vec<String> {
    let value: serde_json::Value = serde_saphyr::from_str(text).expect("kustomization parses");
    assert_eq!(value["apiVersion"], "kustomize.config.k8s.io/v1beta1");
    assert_eq!(value["kind"], "Kustomization");
    assert_eq!(value["sortOptions"]["order"], "fifo", "Berth's order must be kept: {text}");
    value["resources"].as_array().expect("resources").iter().map(|r| r.as_str().unwrap().to_owned()).collect()
}

#[test]
fn every_object_file_is_listed_once_in_apply_order() {
    for name in example_names() {
        let compilation = compile_example(&name);
        let tree = &compilation.tree;
        // folder -> object files in it (name -> kind); folder -> listed resources.
        let mut objects: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, artifact) in tree {
            let (folder, file) = path.rsplit_once('/').expect("nested path");
            match &artifact.body {
                Body::Object(_) => {
                    objects.entry(folder.to_owned()).or_default().insert(file.to_owned(), artifact.kind().to_owned());
                }
                Body::Text { format: Format::Kustomization, text } => {
                    assert_eq!(file, "kustomization.yaml");
                    listed.insert(folder.to_owned(), resources(text));
                }
                Body::Text { .. } => {}
            }
        }
        assert!(!objects.is_empty(), "{name}: no objects");
        for (folder, files) in &objects {
            let list = listed.get(folder).unwrap_or_else(|| panic!("{name}: no kustomization in {folder}"));
            let unique: BTreeSet<&String> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "{name}: {folder} lists a file twice: {list:?}");
            let expected: BTreeSet<&String> = files.keys().collect();
            assert_eq!(unique, expected, "{name}: {folder} must list exactly its object files");
            let kinds: Vec<&str> = list.iter().map(|file| files[file].as_str()).collect();
            if folder.starts_with("gitops/") {
                // The GitOps bootstrap: projects before the sets whose applications use them.
                let projects = kinds.iter().rposition(|k| *k == "AppProject");
                let sets = kinds.iter().position(|k| *k == "ApplicationSet");
                assert!(projects < sets || sets.is_none(), "{name}: {folder}: projects first: {kinds:?}");
                continue;
            }
            assert_eq!(kinds[0], "Namespace", "{name}: {folder} must start with its namespace: {kinds:?}");
            let position = |kind: &str| kinds.iter().position(|k| *k == kind);
            let last = |kind: &str| kinds.iter().rposition(|k| *k == kind);
            for (before, after) in [
                ("ServiceAccount", "Deployment"),
                ("RoleBinding", "Deployment"),
                ("NetworkPolicy", "Deployment"),
                ("NetworkPolicy", "StatefulSet"),
                ("Service", "Deployment"),
                ("Deployment", "HTTPRoute"),
                ("Deployment", "Ingress"),
                ("Deployment", "Route"),
            ] {
                if let (Some(b), Some(a)) = (last(before), position(after)) {
                    assert!(b < a, "{name}: {folder}: every {before} must come before the first {after}: {kinds:?}");
                }
            }
            // The view folder above lists this domain folder.
            let (view, domain) = folder.rsplit_once('/').expect("domain folder");
            let view_list = listed.get(view).unwrap_or_else(|| panic!("{name}: no kustomization in {view}"));
            assert!(view_list.iter().any(|r| r == domain), "{name}: {view} does not list {domain}: {view_list:?}");
        }
        // A view kustomization lists only folders that exist.
        for (folder, list) in &listed {
            if objects.contains_key(folder) {
                continue;
            }
            for domain in list {
                assert!(objects.contains_key(&format!("{folder}/{domain}")), "{name}: {folder} lists {domain}");
            }
        }
    }
}

#[test]
fn domain_kustomization_of_hello_prod() {
    let compilation = compile_example("hello");
    let artifact = &compilation.tree["prod/onprem/greeting/kustomization.yaml"];
    let Body::Text { text, .. } = &artifact.body else { panic!("text artifact") };
    assert_eq!(artifact.origin_label, "domain greeting");
    insta::assert_snapshot!("kustomization-hello-prod-greeting", text);
    let view = &compilation.tree["prod/onprem/kustomization.yaml"];
    assert_eq!(view.origin_label, "environment prod");
}
