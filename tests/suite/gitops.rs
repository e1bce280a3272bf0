//! GitOps delivery with Argo CD: `platform { gitops "argocd" repo= path= revision= }`
//! becomes an `AppProject` per domain and an `ApplicationSet` per environment and target
//! under `gitops/argocd/`, from the stdlib's `gitops-tool "argocd"` templates (replaceable
//! with `--lib`); the workloads' controllers sync after their backing services and
//! migration Jobs.

use berth::diag::SourceFile;
use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use serde_json::{Value, json};

/// dev syncs by itself; stage needs an approval; prod is production (two targets, one
/// with its own cluster name). `order` has a team and a group, `hr` neither.
const SPEC: &str = r#"platform "shop" {
    kubernetes "1.33"
    registry "registry.example.com/shop"
    gitops "argocd" repo="https://git.example.com/shop/deploy.git" path="out" revision="main"
}
target "dc" cloud="onprem" { dns "apps.example.com"; cluster-name "in-cluster" }
target "aws" cloud="eks" { dns "apps.example.com"; cluster-name "prod-seoul" }
target "gcp" cloud="gke" { dns "apps.example.com" }
environment "dev" target="dc"
environment "stage" target="dc" { approval "qa-leads"; }
environment "prod" production=#true { target "aws" "gcp"; }
domain "order" team="order-squad" group="order-admins" {
    service "order-api" {
        image "order-api" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        uses "orders-db"
        migrate {
            image "order-migrations" tag="1.0.0"
        }
    }
    worker "order-projector" {
        image "order-projector" tag="1.0.0"
        uses "orders-db"
    }
    postgres "orders-db" version="16" managed=#false
}
domain "hr" {
    job "hr-sync" schedule="0 1 * * *" {
        image "hr-sync" tag="1.0.0"
    }
}
"#;

fn build(spec: &str, libraries: Vec<SourceFile>) -> Compilation {
    let mut inputs = Inputs::spec("gitops.kdl", spec);
    inputs.libraries = libraries;
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    compilation
}

fn object<'c>(compilation: &'c Compilation, path: &str) -> &'c Value {
    compilation.tree.get(path).and_then(|a| a.object()).unwrap_or_else(|| panic!("no object at {path}"))
}

fn gitops_paths(compilation: &Compilation) -> Vec<&str> {
    compilation.tree.keys().filter(|path| path.starts_with("gitops/")).map(String::as_str).collect()
}

fn text(compilation: &Compilation, paths: &[&str]) -> String {
    paths.iter().map(|path| format!("--- {path}\n{}", file::render(compilation.tree.get(*path).expect(path)))).collect()
}

#[test]
fn each_domain_gets_a_project_and_each_view_an_application_set() {
    let compilation = build(SPEC, Vec::new());
    assert_eq!(
        gitops_paths(&compilation),
        [
            "gitops/argocd/applicationset-shop-dev-dc.yaml",
            "gitops/argocd/applicationset-shop-prod-aws.yaml",
            "gitops/argocd/applicationset-shop-prod-gcp.yaml",
            "gitops/argocd/applicationset-shop-stage-dc.yaml",
            "gitops/argocd/appproject-shop-hr.yaml",
            "gitops/argocd/appproject-shop-order.yaml",
            "gitops/argocd/kustomization.yaml",
        ]
    );
    insta::assert_snapshot!(
        "order_project_and_dev_and_prod_sets",
        text(
            &compilation,
            &[
                "gitops/argocd/appproject-shop-order.yaml",
                "gitops/argocd/applicationset-shop-dev-dc.yaml",
                "gitops/argocd/applicationset-shop-prod-aws.yaml",
                "gitops/argocd/kustomization.yaml",
            ]
        )
    );
}

#[test]
fn a_project_may_deploy_only_to_its_domains_namespaces_from_the_repository() {
    let compilation = build(SPEC, Vec::new());
    let project = object(&compilation, "gitops/argocd/appproject-shop-order.yaml");
    assert_eq!(project["metadata"]["namespace"], "argocd");
    assert_eq!(project["spec"]["sourceRepos"], json!(["https://git.example.com/shop/deploy.git"]));
    // dev and stage share the data-centre cluster (its Argo CD name `in-cluster`); prod
    // runs on `prod-seoul` (named) and `gcp` (the target's name by default).
    assert_eq!(
        project["spec"]["destinations"],
        json!([
            {"name": "in-cluster", "namespace": "order-dev"},
            {"name": "in-cluster", "namespace": "order-stage"},
            {"name": "prod-seoul", "namespace": "order-prod"},
            {"name": "gcp", "namespace": "order-prod"},
        ])
    );
    assert_eq!(project["spec"]["clusterResourceWhitelist"], json!([{"group": "", "kind": "Namespace"}]));
    // The group (over the team) syncs what needs no approval: dev, and prod, which has no
    // approval group; qa-leads syncs stage.
    let roles = project["spec"]["roles"].as_array().expect("roles");
    assert_eq!(roles[0]["name"], "team");
    assert_eq!(roles[0]["groups"], json!(["order-admins"]));
    let policies: Vec<&str> = roles[0]["policies"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(
        policies,
        [
            "p, proj:shop-order:team, applications, get, shop-order/*, allow",
            "p, proj:shop-order:team, applications, sync, shop-order/order-dev-dc, allow",
            "p, proj:shop-order:team, applications, sync, shop-order/order-prod-aws, allow",
            "p, proj:shop-order:team, applications, sync, shop-order/order-prod-gcp, allow",
        ]
    );
    assert_eq!(roles[1]["name"], "approvers");
    assert_eq!(roles[1]["groups"], json!(["qa-leads"]));
    assert_eq!(
        roles[1]["policies"][1],
        "p, proj:shop-order:approvers, applications, sync, shop-order/order-stage-dc, allow"
    );
    // A domain without a team or group has only the approvers' role.
    let hr = object(&compilation, "gitops/argocd/appproject-shop-hr.yaml");
    let names: Vec<&Value> = hr["spec"]["roles"].as_array().unwrap().iter().map(|r| &r["name"]).collect();
    assert_eq!(names, [&json!("approvers")]);
}

#[test]
fn only_non_production_environments_without_approval_sync_by_themselves() {
    let compilation = build(SPEC, Vec::new());
    for (view, automated) in [("dev-dc", true), ("stage-dc", false), ("prod-aws", false), ("prod-gcp", false)] {
        let set = object(&compilation, &format!("gitops/argocd/applicationset-shop-{view}.yaml"));
        let policy = &set["spec"]["template"]["spec"]["syncPolicy"];
        if automated {
            assert_eq!(policy["automated"], json!({"prune": true, "selfHeal": true}), "{view}");
        } else {
            assert!(policy.get("automated").is_none(), "{view}: {policy}");
        }
        // One application per domain, each the domain's kustomization folder.
        let (env, target) = view.split_once('-').unwrap();
        let elements = set["spec"]["generators"][0]["list"]["elements"].as_array().expect("elements");
        let paths: Vec<&Value> = elements.iter().map(|e| &e["path"]).collect();
        assert_eq!(paths, [&json!(format!("out/{env}/{target}/hr")), &json!(format!("out/{env}/{target}/order"))]);
        assert!(compilation.tree.contains_key(&format!("{env}/{target}/order/kustomization.yaml")));
        assert_eq!(set["spec"]["template"]["spec"]["source"]["targetRevision"], "main");
    }
}

#[test]
fn backing_services_and_migrations_sync_before_the_workloads() {
    let compilation = build(SPEC, Vec::new());
    let wave = |path: &str| {
        object(&compilation, path)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .map(str::to_owned)
    };
    let dev = |file: &str| format!("dev/dc/{file}");
    // Workloads in wave 2, with or without a migration; the migration Job (a Sync hook)
    // in wave 1; the database, its Secret, Services and policies in wave 0 (unannotated).
    assert_eq!(wave(&dev("order/deployment-order-api.yaml")).as_deref(), Some("2"));
    assert_eq!(wave(&dev("order/deployment-order-projector.yaml")).as_deref(), Some("2"));
    assert_eq!(wave(&dev("hr/cronjob-hr-sync.yaml")).as_deref(), Some("2"));
    let job = compilation.tree.keys().find(|p| p.starts_with("dev/dc/order/job-order-api-migrate-")).expect("job");
    assert_eq!(wave(job).as_deref(), Some("1"));
    for path in compilation.tree.keys().filter(|p| p.starts_with("dev/dc/order/")) {
        let Some(object) = compilation.tree[path].object() else { continue };
        let kind = object["kind"].as_str().unwrap_or_default();
        if !["Deployment", "Job", "CronJob", "Rollout"].contains(&kind) {
            assert_eq!(wave(path), None, "{path}: {kind} must be in wave 0");
        }
    }
    assert!(compilation.tree.keys().any(|p| p == "dev/dc/order/cluster-orders-db.yaml"));
}

#[test]
fn without_gitops_nothing_changes() {
    let spec = SPEC.replace(
        r#"    gitops "argocd" repo="https://git.example.com/shop/deploy.git" path="out" revision="main"
"#,
        "",
    );
    let compilation = build(&spec, Vec::new());
    assert!(gitops_paths(&compilation).is_empty());
    // Only a workload with a migration waits for its Job.
    let annotations = |path: &str| object(&compilation, path)["metadata"]["annotations"].clone();
    assert_eq!(annotations("dev/dc/order/deployment-order-api.yaml")["argocd.argoproj.io/sync-wave"], "2");
    assert!(annotations("dev/dc/order/deployment-order-projector.yaml").get("argocd.argoproj.io/sync-wave").is_none());
}

#[test]
fn with_helm_the_applications_deploy_the_charts() {
    let spec = SPEC.replace(r#"    gitops "argocd""#, "    helm \"1.0.0\"\n    gitops \"argocd\"");
    let compilation = build(&spec, Vec::new());
    let set = object(&compilation, "gitops/argocd/applicationset-shop-prod-aws.yaml");
    let elements = &set["spec"]["generators"][0]["list"]["elements"];
    assert_eq!(elements[1]["path"], "out/charts/aws/order");
    assert_eq!(elements[1]["values"], "values-prod.yaml");
    assert!(compilation.tree.contains_key("charts/aws/order/values-prod.yaml"));
    let source = &set["spec"]["template"]["spec"]["source"];
    assert_eq!(source["helm"], json!({"releaseName": "{{.domain}}", "valueFiles": ["{{.values}}"]}));
    insta::assert_snapshot!(
        "helm_prod_aws_set",
        text(&compilation, &["gitops/argocd/applicationset-shop-prod-aws.yaml"])
    );
}

#[test]
fn every_gitops_object_matches_its_crd_schema_closed() {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for spec in [SPEC.to_owned(), SPEC.replace(r#"    gitops "argocd""#, "    helm \"1.0.0\"\n    gitops \"argocd\"")] {
        let compilation = build(&spec, Vec::new());
        crate::crds::check_custom_resources("gitops spec", &compilation.tree, &mut checked);
    }
    assert_eq!(checked.get("argoproj.io/v1alpha1 AppProject"), Some(&4));
    assert_eq!(checked.get("argoproj.io/v1alpha1 ApplicationSet"), Some(&8));
}

/// A platform team replaces the tool with `--lib`: here plain Applications per domain
/// and view instead of ApplicationSets, and a namespace of its own.
#[test]
fn a_library_replaces_the_argo_cd_templates() {
    let library = r##"gitops-tool "argocd" {
    description "Argo CD, one Application per domain and view"
    namespace "gitops"
    template "domain" #"""
        apiVersion: argoproj.io/v1alpha1
        kind: AppProject
        metadata:
          name: [= domain.project =]
          namespace: [= namespace =]
        spec:
          sourceRepos: [[= repo|tojson =]]
          destinations:
        [% for destination in destinations %]
            - name: [= destination.cluster|tojson =]
              namespace: [= destination.namespace|tojson =]
        [% endfor %]
        """#
    template "view" #"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: [= applications[0].name =]
          namespace: [= namespace =]
        spec:
          project: [= applications[0].project =]
          source:
            repoURL: [= repo|tojson =]
            targetRevision: [= revision|tojson =]
            path: [= applications[0].source.path|tojson =]
          destination:
            name: [= cluster|tojson =]
            namespace: [= applications[0].namespace|tojson =]
        """#
}
"##;
    let libraries = vec![SourceFile { name: "lib/argocd.kdl".to_owned(), text: library.to_owned() }];
    let compilation = build(SPEC, libraries);
    // The view template renders the first application (by domain name) of each view.
    let app = object(&compilation, "gitops/argocd/application-hr-prod-aws.yaml");
    assert_eq!(app["metadata"]["namespace"], "gitops");
    assert_eq!(app["spec"]["destination"], json!({"name": "prod-seoul", "namespace": "hr-prod"}));
    assert!(!compilation.tree.keys().any(|p| p.contains("applicationset")));
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    crate::crds::check_custom_resources("library gitops", &compilation.tree, &mut checked);
    assert_eq!(checked.get("argoproj.io/v1alpha1 Application"), Some(&4));
}

/// A library template that renders no object is the library's bug, reported at the
/// template; nothing is written.
#[test]
fn a_broken_template_is_an_error_at_the_template() {
    let library = r##"gitops-tool "argocd" {
    description "broken"
    namespace "argocd"
    template "domain" "kind: AppProject"
    template "view" "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [= missing.name =]\n"
}
"##;
    let mut inputs = Inputs::spec("gitops.kdl", SPEC);
    inputs.libraries = vec![SourceFile { name: "lib/argocd.kdl".to_owned(), text: library.to_owned() }];
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.has_errors());
    assert!(report.contains("emit::gitops_template"), "{report}");
    assert!(report.contains("not one object with `apiVersion` and `kind`"), "{report}");
    assert!(report.contains("lib/argocd.kdl"), "{report}");
}
