//! Every custom resource the Kubernetes emitter writes (ExternalSecret, Route) validates
//! against its CRD's schema from `schemas/crds/`, closed against unknown fields.

use crate::emit_objects::{emit_tree, ingress_estate, route_estate};
use serde_json::Value;
use std::path::PathBuf;

/// The schema file of a custom resource: `schemas/crds/<group>/<kind>_<version>.json`.
fn schema_path(api_version: &str, kind: &str) -> Option<PathBuf> {
    let (group, version) = api_version.split_once('/')?;
    let file = format!("{}_{version}.json", kind.to_ascii_lowercase());
    Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/crds").join(group).join(file))
}

fn validator(api_version: &str, kind: &str) -> jsonschema::Validator {
    let path = schema_path(api_version, kind).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    // Closed as the compiler closes the CRD schemas it embeds (`compiler/build.rs`).
    berth::validate::strict::strictify(&mut schema);
    jsonschema::validator_for(&schema).expect("schema builds")
}

fn errors(validator: &jsonschema::Validator, object: &Value) -> Vec<String> {
    validator.iter_errors(object).map(|error| format!("{error} at {}", error.instance_path())).collect()
}

/// Validate every custom resource of `tree` against its CRD schema (built-in kinds have
/// no dot in their group, or a `k8s.io` one) and count the checked objects per kind.
/// No emitted custom resource goes unchecked: one with no schema file under `schemas/crds/`
/// (so `berth build`, which embeds that folder, would not check it either) fails the
/// calling test.
pub(crate) fn check_custom_resources(
    context: &str,
    tree: &berth::emit::ArtifactTree,
    checked: &mut std::collections::BTreeMap<String, usize>,
) {
    let bundled: Vec<(&str, &str)> = berth::validate::bundled_custom_resources().collect();
    for artifact in tree.values() {
        // Text files (the estate index) have no Kubernetes schema.
        let Some(object) = artifact.object() else { continue };
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let group = api_version.split_once('/').map_or("", |(group, _)| group);
        // Built in: the core group, or a `*.k8s.io` group other than Gateway API's
        // (served by CRDs).
        if !group.contains('.') || (group.ends_with(".k8s.io") && group != "gateway.networking.k8s.io") {
            continue;
        }
        assert!(
            bundled.contains(&(api_version, kind.to_ascii_lowercase().as_str())),
            "{context}: {}: {api_version} {kind} has no bundled CRD schema (schemas/crds/, embedded by compiler/build.rs)",
            artifact.path
        );
        let found = errors(&validator(api_version, kind), object);
        assert!(found.is_empty(), "{context}: {}:\n{}", artifact.path, found.join("\n"));
        *checked.entry(format!("{api_version} {kind}")).or_default() += 1;
    }
}

#[test]
fn custom_resources_match_their_crd_schemas() {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for estate in [ingress_estate(), route_estate()] {
        check_custom_resources("hand-built estate", &emit_tree(&estate), &mut checked);
    }
    assert_eq!(
        checked.keys().map(String::as_str).collect::<Vec<_>>(),
        ["external-secrets.io/v1 ExternalSecret", "route.openshift.io/v1 Route"]
    );
}

#[test]
fn strict_schemas_reject_misspelt_fields() {
    let tree = emit_tree(&ingress_estate());
    let external_secret =
        tree.values().find(|artifact| artifact.kind() == "ExternalSecret").expect("the service has secrets");
    let mut object = external_secret.object().expect("a Kubernetes object").clone();
    object["spec"]["refreshIntervl"] = Value::String("1h".to_owned());
    let validator = validator("external-secrets.io/v1", "ExternalSecret");
    assert!(!errors(&validator, &object).is_empty());
}

/// Every custom resource in every example's output matches its CRD schema, and every
/// custom kind an example emits has a bundled schema (`validator` panics otherwise).
#[test]
fn example_custom_resources_match_their_crd_schemas() {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for name in crate::examples::example_names() {
        let compilation = crate::examples::compile_example(&name);
        check_custom_resources(&name, &compilation.tree, &mut checked);
    }
    // The enterprise example has secrets on OpenShift (Routes) and EKS.
    assert!(
        checked.contains_key("external-secrets.io/v1 ExternalSecret")
            && checked.contains_key("route.openshift.io/v1 Route"),
        "{checked:?}"
    );
}
