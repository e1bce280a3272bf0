//! Progressive delivery: `rollout "canary"` and `rollout "blue-green"` become Argo
//! Rollouts `Rollout`s that take over the workload's Deployment (`workloadRef`), with the
//! traffic router of each target profile where it has one, and the autoscaler, Services
//! and exposure objects that go with them.

use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use serde_json::{Value, json};

/// One canary environment over a target of each exposure kind (ALB Ingress, Gateway API,
/// OpenShift Route, GKE Ingress without a router) and a blue-green one on AKS.
const SPEC: &str = r#"platform "shop" { kubernetes "1.33"; registry "registry.example.com/shop" }
target "aws" cloud="eks" { dns "apps.example.com"; ingress-cidr "10.0.0.0/16"; rollouts-controller #true }
target "dc" cloud="onprem" { dns "apps.example.com"; ingress-namespace "envoy-gateway-system"; rollouts-controller #true }
target "ocp" cloud="openshift" { dns "apps.example.com"; rollouts-controller #true }
target "gcp" cloud="gke" { dns "apps.example.com"; ingress-cidr "130.211.0.0/22"; rollouts-controller #true }
target "azure" cloud="aks" { dns "apps.example.com"; ingress-namespace "app-routing-system"; rollouts-controller #true }
environment "prod" production=#true {
    target "aws" "dc" "ocp" "gcp"
    approval "release-managers"
    rollout "canary" steps="10,30,60" pause="10m"
}
environment "dr" target="azure" production=#true {
    approval "release-managers"
    rollout "blue-green"
}
domain "order" team="order-team" {
    service "order-api" {
        image "order-api" tag="1.0.0"
        port "http" 8080
        expose "/"
        health "/healthz"
        resources cpu="100m" memory="128Mi"
        scale min=2 max=6 cpu-percent=70
    }
    service "order-query" {
        image "order-query" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        resources cpu="100m" memory="128Mi"
        replicas 2
    }
}
"#;

fn build() -> Compilation {
    let compilation = compile(&Inputs::spec("rollout.kdl", SPEC), &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    // The one warning: where requests are not routed (GKE, the unexposed order-query),
    // 2 pods shift in steps of 50 %, coarser than the steps.
    let codes: Vec<String> = compilation
        .diagnostics
        .sorted()
        .iter()
        .map(|d| d.diagnostic.code().map(|c| c.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(codes, ["resolve::rollout_replica_ratio"], "{report}");
    compilation
}

fn object<'c>(compilation: &'c Compilation, path: &str) -> &'c Value {
    compilation.tree.get(path).and_then(|a| a.object()).unwrap_or_else(|| panic!("no object at {path}"))
}

fn text(compilation: &Compilation, paths: &[&str]) -> String {
    paths.iter().map(|path| format!("--- {path}\n{}", file::render(compilation.tree.get(*path).expect(path)))).collect()
}

#[test]
fn a_canary_takes_over_the_deployment_and_routes_through_the_profiles_router() {
    let compilation = build();
    for target in ["aws", "dc", "ocp", "gcp"] {
        let rollout = object(&compilation, &format!("prod/{target}/order/rollout-order-api.yaml"));
        assert_eq!(rollout["apiVersion"], "argoproj.io/v1alpha1");
        assert_eq!(
            rollout["spec"]["workloadRef"],
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "order-api", "scaleDown": "never"})
        );
        let steps = &rollout["spec"]["strategy"]["canary"]["steps"];
        let weights: Vec<&Value> = steps.as_array().unwrap().iter().filter_map(|s| s.get("setWeight")).collect();
        assert_eq!(weights, [&json!(10), &json!(30), &json!(60)]);
        assert_eq!(steps[1], json!({"pause": {"duration": "10m"}}));
        // The autoscaler owns the count, and scales the Rollout; the Deployment is a template.
        assert!(rollout["spec"].get("replicas").is_none());
        let deployment = object(&compilation, &format!("prod/{target}/order/deployment-order-api.yaml"));
        assert_eq!(deployment["spec"]["replicas"], 0);
        let hpa = object(&compilation, &format!("prod/{target}/order/horizontalpodautoscaler-order-api.yaml"));
        assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Rollout");
        assert_eq!(hpa["spec"]["scaleTargetRef"]["apiVersion"], "argoproj.io/v1alpha1");
        // An unexposed service has no route to shift: replica ratio, no canary Service.
        let query = object(&compilation, &format!("prod/{target}/order/rollout-order-query.yaml"));
        assert!(query["spec"]["strategy"]["canary"].get("trafficRouting").is_none());
        assert_eq!(query["spec"]["replicas"], 2);
        assert!(!compilation.tree.contains_key(&format!("prod/{target}/order/service-order-query-canary.yaml")));
    }
    let routing = |target: &str| {
        object(&compilation, &format!("prod/{target}/order/rollout-order-api.yaml"))["spec"]["strategy"]["canary"]
            ["trafficRouting"]
            .clone()
    };
    assert_eq!(routing("aws"), json!({"alb": {"ingresses": ["order-api"], "servicePort": 8080}}));
    assert_eq!(
        routing("dc"),
        json!({"plugins": {"argoproj-labs/gatewayAPI": {"httpRoutes": [{"name": "order-api"}], "namespace": "order-prod"}}})
    );
    assert_eq!(
        routing("ocp"),
        json!({"plugins": {"argoproj-labs/openshift": {"routes": ["order-api"], "namespace": "order-prod"}}})
    );
    // GKE Ingress has no router: the weight is the share of canary pods.
    assert_eq!(routing("gcp"), Value::Null);
    assert!(!compilation.tree.contains_key("prod/gcp/order/service-order-api-canary.yaml"));
    // The ALB reads the weights from the annotation Argo Rollouts writes.
    let ingress = object(&compilation, "prod/aws/order/ingress-order-api.yaml");
    assert_eq!(ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["name"], "use-annotation");
    // The HTTPRoute lists the canary Service at weight 0 for the plugin to shift.
    let route = object(&compilation, "prod/dc/order/httproute-order-api.yaml");
    let backends: Vec<&Value> =
        route["spec"]["rules"][0]["backendRefs"].as_array().unwrap().iter().map(|b| &b["name"]).collect();
    assert_eq!(backends, [&json!("order-api"), &json!("order-api-canary")]);
    insta::assert_snapshot!(
        "canary",
        text(
            &compilation,
            &[
                "prod/aws/order/rollout-order-api.yaml",
                "prod/aws/order/deployment-order-api.yaml",
                "prod/aws/order/service-order-api-canary.yaml",
                "prod/aws/order/horizontalpodautoscaler-order-api.yaml",
                "prod/dc/order/httproute-order-api.yaml",
                "prod/gcp/order/rollout-order-query.yaml",
            ]
        )
    );
}

#[test]
fn blue_green_switches_between_the_active_and_the_preview_service() {
    let compilation = build();
    let rollout = object(&compilation, "dr/azure/order/rollout-order-api.yaml");
    assert_eq!(
        rollout["spec"]["strategy"],
        json!({"blueGreen": {
            "activeService": "order-api",
            "previewService": "order-api-preview",
            "autoPromotionEnabled": true,
            "scaleDownDelaySeconds": 30,
        }})
    );
    let preview = object(&compilation, "dr/azure/order/service-order-api-preview.yaml");
    let active = object(&compilation, "dr/azure/order/service-order-api.yaml");
    assert_eq!(preview["spec"]["selector"], active["spec"]["selector"]);
    assert_eq!(preview["spec"]["ports"], active["spec"]["ports"]);
    // Every service, exposed or not, gets its preview.
    assert!(compilation.tree.contains_key("dr/azure/order/service-order-query-preview.yaml"));
    insta::assert_snapshot!(
        "blue_green",
        text(&compilation, &["dr/azure/order/rollout-order-api.yaml", "dr/azure/order/service-order-api-preview.yaml"])
    );
}

#[test]
fn a_target_without_its_profiles_router_falls_back_to_replica_ratio() {
    let spec = SPEC.replace(
        r#"ingress-namespace "envoy-gateway-system"; rollouts-controller #true }"#,
        r#"ingress-namespace "envoy-gateway-system"; rollouts-controller #true; rollout-router "" }"#,
    );
    let compilation = compile(&Inputs::spec("rollout.kdl", spec), &Options::default());
    assert!(!compilation.has_errors());
    let rollout = object(&compilation, "prod/dc/order/rollout-order-api.yaml");
    assert!(rollout["spec"]["strategy"]["canary"].get("trafficRouting").is_none());
    let route = object(&compilation, "prod/dc/order/httproute-order-api.yaml");
    assert_eq!(route["spec"]["rules"][0]["backendRefs"].as_array().map(Vec::len), Some(1));
}

/// The Rollout's shape is the library's `rollouts` template (stdlib `rollouts.kdl`): a
/// platform team replaces it with `--lib`, here with Argo Rollouts notifications, two
/// old ReplicaSets kept and `dynamicStableScale`, from the same context. Berth still
/// places it (namespace, the workload's labels next to the template's) and the
/// autoscaler still scales it.
#[test]
fn a_library_replaces_the_rollout_template() {
    let library = r##"rollouts {
    rollout #"""
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata:
          name: [= name =]
          labels:
            acme.example/release-train: weekly
          annotations:
            notifications.argoproj.io/subscribe.on-rollout-aborted.slack: releases
        spec:
        [% if replicas is not none %]
          replicas: [= replicas =]
        [% endif %]
          revisionHistoryLimit: 2
          selector:
            matchLabels: [= selector|tojson =]
          workloadRef: {apiVersion: apps/v1, kind: Deployment, name: [= deployment =], scaleDown: never}
          strategy:
        [% if strategy == "blue-green" %]
            blueGreen: {activeService: [= active_service =], previewService: [= preview_service =]}
        [% else %]
            canary:
              dynamicStableScale: true
              steps:
        [% for weight in steps %]
                - setWeight: [= weight =]
                - pause: {duration: [= (pause or "5m")|tojson =]}
        [% endfor %]
        [% if traffic_routing %]
              stableService: [= stable_service =]
              canaryService: [= canary_service =]
              trafficRouting: [= traffic_routing =]
        [% endif %]
        [% endif %]
        """#
}
"##;
    let mut inputs = Inputs::spec("rollout.kdl", SPEC);
    inputs.libraries = vec![berth::diag::SourceFile { name: "lib/rollouts.kdl".to_owned(), text: library.to_owned() }];
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    let rollout = object(&compilation, "prod/aws/order/rollout-order-api.yaml");
    assert_eq!(rollout["spec"]["revisionHistoryLimit"], 2);
    let canary = &rollout["spec"]["strategy"]["canary"];
    assert_eq!(canary["dynamicStableScale"], true);
    assert!(canary.get("maxSurge").is_none());
    assert_eq!(canary["steps"].as_array().map(Vec::len), Some(6));
    // The profile's router, as the stdlib template gets it.
    assert_eq!(canary["trafficRouting"], json!({"alb": {"ingresses": ["order-api"], "servicePort": 8080}}));
    assert_eq!(canary["canaryService"], "order-api-canary");
    let metadata = &rollout["metadata"];
    assert_eq!(metadata["namespace"], "order-prod");
    assert_eq!(metadata["labels"]["acme.example/release-train"], "weekly");
    assert_eq!(metadata["labels"]["app.kubernetes.io/name"], "order-api");
    assert_eq!(metadata["annotations"]["notifications.argoproj.io/subscribe.on-rollout-aborted.slack"], "releases");
    let blue_green = object(&compilation, "dr/azure/order/rollout-order-api.yaml");
    assert_eq!(
        blue_green["spec"]["strategy"],
        json!({"blueGreen": {"activeService": "order-api", "previewService": "order-api-preview"}})
    );
    let autoscaler = object(&compilation, "prod/aws/order/horizontalpodautoscaler-order-api.yaml");
    assert_eq!(autoscaler["spec"]["scaleTargetRef"]["kind"], "Rollout");
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    crate::crds::check_custom_resources("library rollout", &compilation.tree, &mut checked);
    assert_eq!(checked.get("argoproj.io/v1alpha1 Rollout"), Some(&10));
}

/// A `rollout` template that does not render the workload's Rollout (here: another name,
/// which the Services, the autoscaler and the analysis would miss) is the library's bug,
/// reported once at the template.
#[test]
fn a_broken_rollout_template_is_an_error_at_the_template() {
    let library = "rollouts {\n    rollout \"apiVersion: argoproj.io/v1alpha1\\nkind: Rollout\\nmetadata:\\n  name: [= name =]-v2\\n\"\n}\n";
    let mut inputs = Inputs::spec("rollout.kdl", SPEC);
    inputs.libraries = vec![berth::diag::SourceFile { name: "lib/rollouts.kdl".to_owned(), text: library.to_owned() }];
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.has_errors());
    assert_eq!(report.matches("emit::rollout_template").count(), 1, "{report}");
    assert!(report.contains("must be named `order-api`"), "{report}");
}
