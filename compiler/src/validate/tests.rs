//! Unit tests: broken objects produce the bug-report diagnostic; unknown kinds are skipped.

use super::{json_path, objects, objects_again};
use crate::diag::{Diagnostics, FileId, Span};
use crate::emit::{Artifact, ArtifactTree, Body, Format, Scope};
use serde_json::{Value, json};

fn tree(objects: &[Value]) -> ArtifactTree {
    objects
        .iter()
        .enumerate()
        .map(|(index, object)| {
            let path = format!("dev/eks/order/object-{index}.yaml");
            let artifact = Artifact {
                path: path.clone(),
                origin_label: "service order/order-api".to_owned(),
                origin: Span { file: FileId(0), offset: 10, len: 7 },
                scope: Scope::View {
                    env: "dev".to_owned(),
                    target: "eks".to_owned(),
                    domain: Some("order".to_owned()),
                },
                body: Body::Object(object.clone()),
            };
            (path, artifact)
        })
        .collect()
}

fn messages(diags: &Diagnostics) -> Vec<String> {
    diags
        .sorted()
        .iter()
        .map(|collected| {
            let diagnostic = collected.diagnostic.as_ref();
            let code = diagnostic.code().map(|code| code.to_string()).unwrap_or_default();
            let help = diagnostic.help().map(|help| help.to_string()).unwrap_or_default();
            let labels: Vec<String> = diagnostic
                .labels()
                .map(|labels| labels.map(|label| format!("{}+{}", label.offset(), label.len())).collect())
                .unwrap_or_default();
            format!("{code}: {diagnostic} [{}] help: {help}", labels.join(","))
        })
        .collect()
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "order-api", "namespace": "order-dev"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "order-api"}},
            "template": {
                "metadata": {"labels": {"app": "order-api"}},
                "spec": {"containers": [{"name": "order-api", "image": "registry.example/order-api:1.0"}]}
            }
        }
    })
}

#[test]
fn valid_deployment_passes_in_every_supported_version() {
    for minor in 30..=37 {
        let mut diags = Diagnostics::default();
        objects(&mut diags, &tree(&[deployment()]), &format!("1.{minor}"));
        assert!(diags.is_empty(), "1.{minor}: {:?}", messages(&diags));
    }
}

#[test]
fn unknown_field_and_wrong_type_are_reported_as_bugs() {
    let mut broken = deployment();
    broken["spec"]["replica"] = json!(3);
    broken["spec"]["template"]["spec"]["containers"][0]["image"] = json!(42);
    let mut diags = Diagnostics::default();
    objects(&mut diags, &tree(&[broken]), "1.33");
    let found = messages(&diags);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|message| message.starts_with(
        "validate::schema_mismatch: emitted `Deployment` `dev/eks/order/object-0.yaml` does not match the Kubernetes 1.33 schema at `$.spec"
    )));
    assert!(found.iter().all(|message| message.contains("[10+7] help: this is a bug in Berth; please report it")));
    assert!(
        found.iter().any(|message| message.contains("at `$.spec`: ") && message.contains("'replica' was unexpected"))
    );
    assert!(
        found
            .iter()
            .any(|message| { message.contains("at `$.spec.template.spec.containers[0].image`: 42 is not of type") })
    );
}

#[test]
fn custom_resources_are_closed_against_unknown_fields() {
    let external_secret = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "order-api", "namespace": "order-dev"},
        "spec": {
            "refreshIntervl": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"name": "order-api"}
        }
    });
    let mut diags = Diagnostics::default();
    objects(&mut diags, &tree(&[external_secret]), "1.33");
    let found = messages(&diags);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("the `external-secrets.io/v1` `ExternalSecret` CRD schema at `$.spec`"), "{found:#?}");
    assert!(found[0].contains("'refreshIntervl' was unexpected"), "{found:#?}");
}

#[test]
fn kinds_without_a_bundled_schema_are_skipped() {
    let unknown = json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"anything": true}});
    let daemonset = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "spec": {"nonsense": 1}});
    let mut diags = Diagnostics::default();
    objects(&mut diags, &tree(&[unknown, daemonset]), "1.33");
    assert!(diags.is_empty(), "{:?}", messages(&diags));
}

#[test]
fn json_paths() {
    assert_eq!(json_path(""), "$");
    assert_eq!(json_path("/spec/template/spec/containers/0/name"), "$.spec.template.spec.containers[0].name");
    assert_eq!(json_path("/metadata/labels/app.kubernetes.io~1name"), "$.metadata.labels['app.kubernetes.io/name']");
}

/// Gateway API is a `*.k8s.io` group served by CRDs: its kinds are checked against the
/// bundled CRD schema, not skipped as built-ins without a file.
#[test]
fn gateway_api_routes_are_checked_against_their_crd() {
    let route = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "shop-dev"},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "gateway-system"}],
            "rules": [{"backendRefs": [{"name": "web", "port": 8080}], "timeoutz": {}}]
        }
    });
    let mut diags = Diagnostics::default();
    objects(&mut diags, &tree(&[route]), "1.33");
    let found = messages(&diags);
    assert!(found.iter().any(|m| m.contains("'timeoutz' was unexpected")), "{found:#?}");
}

fn text_tree(files: &[(Format, &str)]) -> ArtifactTree {
    files
        .iter()
        .enumerate()
        .map(|(index, (format, text))| {
            let path = format!("docs/file-{index}");
            let artifact = Artifact {
                path: path.clone(),
                origin_label: "platform shop".to_owned(),
                origin: Span { file: FileId(0), offset: 1, len: 2 },
                scope: Scope::Estate,
                body: Body::Text { format: *format, text: (*text).to_owned() },
            };
            (path, artifact)
        })
        .collect()
}

/// Text artifacts are checked by format: JSON and YAML must parse, a document with a
/// bundled schema must match it, Markdown and Groovy are left to the external checks.
#[test]
fn text_artifacts_are_checked_by_their_format() {
    let good_workflow =
        "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n";
    let good = text_tree(&[
        (Format::Json, "{\"a\": 1}\n"),
        (Format::Yaml, "a: 1\n"),
        (Format::Markdown, "# {{ not checked\n"),
        (Format::Jenkinsfile, "pipeline {\n"),
        (Format::GithubWorkflow, good_workflow),
        (Format::GitlabCi, "build:\n  script:\n    - make\n"),
        (Format::HelmChart, "apiVersion: v2\nname: shop\nversion: 1.0.0\n"),
    ]);
    let mut diags = Diagnostics::default();
    objects(&mut diags, &good, "1.33");
    assert!(diags.is_empty(), "{:?}", messages(&diags));

    let bad = text_tree(&[
        (Format::Json, "{\"a\": }"),
        (Format::GithubWorkflow, "name: ci\non: push\njobs:\n  build:\n    runs-onn: ubuntu-latest\n"),
    ]);
    let mut diags = Diagnostics::default();
    objects(&mut diags, &bad, "1.33");
    let found = messages(&diags);
    assert!(
        found.iter().any(|m| m.starts_with("validate::unparsable: emitted JSON file `docs/file-0` does not parse")
            && m.contains("[1+2] help: this is a bug in Berth")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|m| m.starts_with("validate::schema_mismatch: emitted `GitHub workflow` `docs/file-1` does not match the GitHub workflow schema")),
        "{found:#?}"
    );
}

/// The build-time rewriting drops only `description` annotations: a property called
/// `description`, data values and `not` branches (printed by their error) stay whole, and
/// every other key keeps its place (errors are reported in keyword order).
#[test]
fn prepared_schemas_drop_only_descriptions() {
    let schema = json!({
        "description": "a thing",
        "type": "object",
        "properties": {
            "description": {"description": "the field called description", "type": "string"},
            "mode": {"enum": [{"description": "data"}], "default": {"description": "data"}},
            "ref": {"not": {"description": "kept", "required": ["x"]}, "items": [{"description": "y", "type": "string"}]}
        },
        "additionalProperties": false
    });
    let expected = json!({
        "type": "object",
        "properties": {
            "description": {"type": "string"},
            "mode": {"enum": [{"description": "data"}], "default": {"description": "data"}},
            "ref": {"not": {"description": "kept", "required": ["x"]}, "items": [{"type": "string"}]}
        },
        "additionalProperties": false
    });
    let prepared = super::strict::without_descriptions(&schema);
    assert_eq!(prepared, expected);
    let keys: Vec<&String> = prepared.as_object().map(|map| map.keys().collect()).unwrap_or_default();
    assert_eq!(keys, ["type", "properties", "additionalProperties"]);
}

/// CRD schemas are embedded closed: an unknown field is an error.
#[test]
fn embedded_crd_schemas_are_strict() {
    let strict_everywhere = super::schemas::crd_kinds().all(|(api_version, kind)| {
        let text = super::schemas::crd(api_version, kind).unwrap_or_default();
        let mut schema: Value = serde_json::from_str(text).unwrap_or_default();
        let before = schema.clone();
        super::strict::strictify(&mut schema);
        schema == before && !text.contains("\"description\":\"")
    });
    assert!(strict_everywhere, "a CRD schema is embedded unprepared (compiler/build.rs)");
}

/// The language server's re-validation reuses an unchanged object's errors, labelled where
/// its entity now is: an edit before it moves the span, not the object.
#[test]
fn revalidation_labels_reused_errors_at_the_moved_origin() {
    let mut broken = deployment();
    broken["spec"]["replica"] = json!(3);
    let mut diags = Diagnostics::default();
    objects_again(&mut diags, &tree(std::slice::from_ref(&broken)), "1.33");
    let mut moved = tree(&[broken]);
    for artifact in moved.values_mut() {
        artifact.origin.offset += 1;
    }
    let (mut again, mut afresh) = (Diagnostics::default(), Diagnostics::default());
    objects_again(&mut again, &moved, "1.33");
    objects(&mut afresh, &moved, "1.33");
    assert_eq!(messages(&again), messages(&afresh));
    assert!(messages(&again).iter().all(|message| message.contains("[11+7]")), "{:#?}", messages(&again));
}

/// A changed body at the same path is validated again, never given the previous errors:
/// the memo compares digests of the bodies.
#[test]
fn revalidation_checks_a_changed_body_again() {
    let mut broken = deployment();
    broken["spec"]["replica"] = json!(3);
    let fixed = deployment();
    for (body, errors) in [(&broken, true), (&fixed, false), (&broken, true), (&broken, true)] {
        let mut again = Diagnostics::default();
        objects_again(&mut again, &tree(std::slice::from_ref(body)), "1.33");
        assert_eq!(messages(&again).is_empty(), !errors, "{:#?}", messages(&again));
    }
}
