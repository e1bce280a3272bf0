//! In-cluster MongoDB with `replicas` 3, 5 or 7 (`tests/fixtures/targets/mongodb-replica-set.kdl`):
//! the same StatefulSet as one member, run as a replica set (keyfile init container,
//! member 0's initiation hook, pods started together and published before they are
//! ready), a PodDisruptionBudget, and the consumer URI with every member.

use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use std::path::Path;

fn compilation() -> Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/targets/mongodb-replica-set.kdl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let inputs = Inputs::spec("targets/mongodb-replica-set.kdl", text);
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.diagnostics.is_empty(), "{report}");
    compilation
}

#[test]
fn three_mongodb_members_are_one_replica_set() {
    let compilation = compilation();
    let folder = "prod/onprem/shop/";
    let mut out = String::new();
    for (path, artifact) in &compilation.tree {
        let Some(name) = path.strip_prefix(folder) else { continue };
        if ["statefulset-catalog", "service-catalog", "poddisruptionbudget-catalog", "networkpolicy-catalog"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            out.push_str(&format!("── {path} ──\n{}", file::render(artifact)));
        }
    }
    insta::assert_snapshot!(out);

    // The consumer's URI names every member and the replica set; MONGODB_HOST stays the
    // Service.
    let deployment =
        compilation.tree[&format!("{folder}deployment-storefront.yaml")].object().cloned().unwrap_or_default();
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    let value = |name: &str| {
        env.as_array().into_iter().flatten().find(|e| e["name"] == name).map(|e| e["value"].clone()).unwrap_or_default()
    };
    assert_eq!(value("MONGODB_HOST"), "catalog.shop-prod.svc");
    assert_eq!(
        value("MONGODB_URI"),
        "mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@catalog-0.catalog.shop-prod.svc:$(MONGODB_PORT),\
         catalog-1.catalog.shop-prod.svc:$(MONGODB_PORT),catalog-2.catalog.shop-prod.svc:$(MONGODB_PORT)\
         /catalog?authSource=admin&replicaSet=catalog"
    );
}
