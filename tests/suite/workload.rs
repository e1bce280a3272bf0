//! Workload fixtures (`tests/fixtures/workload/*.kdl`): each spec compiles without
//! errors, and the objects that carry a workload's settings (Deployments, CronJobs,
//! ConfigMaps, ExternalSecrets) are snapshotted, so a fixture shows exactly what one
//! feature (derived variables, `$(VAR)` composition, probes, files) turns into.

use berth::driver::{Inputs, Options, compile};
use berth::emit::ArtifactTree;
use berth::output::listing::listing;
use berth::output::report::{ReportFormat, render};

/// The file kinds a workload fixture is about.
const KINDS: [&str; 5] = ["/deployment-", "/cronjob-", "/job-", "/configmap-", "/externalsecret-"];

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

/// The migration Job of `tests/fixtures/workload/migration.kdl`, its ordering annotations,
/// its name per release, and the network access of its pods.
#[test]
fn a_migration_job_runs_before_each_release() {
    let text = std::fs::read_to_string("fixtures/workload/migration.kdl").unwrap();
    let build = |text: &str| compile(&Inputs::spec("migration.kdl", text), &Options::default()).tree;
    let tree = build(&text);
    let object = |prefix: &str| -> serde_json::Value {
        let (_, artifact) =
            tree.iter().find(|(path, _)| path.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix}"));
        artifact.object().unwrap().clone()
    };
    let job = object("dev/dc1/order/job-order-api-migrate-");
    let annotations = &job["metadata"]["annotations"];
    assert_eq!(annotations["argocd.argoproj.io/hook"], "Sync");
    assert_eq!(annotations["argocd.argoproj.io/sync-wave"], "1");
    assert_eq!(annotations["helm.sh/hook"], "post-install,pre-upgrade");
    assert_eq!(annotations["helm.sh/hook-delete-policy"], "before-hook-creation,hook-succeeded");
    let pod = &job["spec"]["template"];
    assert_eq!(pod["spec"]["restartPolicy"], "Never");
    assert_eq!(pod["spec"]["serviceAccountName"], "order-api");
    assert_eq!(pod["metadata"]["labels"]["app.kubernetes.io/name"], "order-api-migrate");
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["image"], "flyway/flyway:11.8.2");
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(container.get("livenessProbe").is_none() && container.get("ports").is_none());
    let env: Vec<&str> = container["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(env.contains(&"PGPASSWORD"), "the workload's bindings: {env:?}");
    assert_eq!(container["envFrom"][0]["configMapRef"]["name"], "order-api-config");

    // The workload rolls out after the Job; its Service never selects the Job's pods.
    let deployment = object("dev/dc1/order/deployment-order-api.yaml");
    assert_eq!(deployment["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"], "2");
    let service = object("dev/dc1/order/service-order-api.yaml");
    assert_eq!(service["spec"]["selector"]["app.kubernetes.io/name"], "order-api");

    // Its pods get the workload's egress to the database, and the database admits them.
    let policy = object("dev/dc1/order/networkpolicy-order-api-migrate.yaml");
    assert_eq!(policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "order-api-migrate");
    assert_eq!(policy["spec"]["ingress"], serde_json::json!([]));
    let egress = policy["spec"]["egress"].to_string();
    assert!(egress.contains("cnpg.io/cluster") && egress.contains("5432"), "{egress}");
    let database = object("dev/dc1/order/networkpolicy-orders-db.yaml").to_string();
    assert!(database.contains("order-api-migrate"), "{database}");

    // One Job per release: the same spec gives the same name, another image another one.
    let name = job["metadata"]["name"].as_str().unwrap().to_owned();
    assert!(build(&text).keys().any(|path| path.ends_with(&format!("/job-{name}.yaml"))));
    let prod = object("prod/dc1/order/job-order-api-migrate-");
    assert_eq!(prod["spec"]["template"]["spec"]["containers"][0]["image"], "flyway/flyway:11.8.1");
    let next = build(&text.replace("11.8.2", "11.9.0"));
    assert!(!next.keys().any(|path| path.ends_with(&format!("/job-{name}.yaml"))), "a new release, a new Job");
    assert!(next.keys().any(|path| path.starts_with("dev/dc1/order/job-order-api-migrate-")));
}
