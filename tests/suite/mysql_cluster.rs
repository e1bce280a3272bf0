//! In-cluster MySQL with `replicas` 3 to 9 (`tests/fixtures/targets/mysql-cluster.kdl`):
//! the MySQL Operator's InnoDBCluster instead of the one-server StatefulSet, its root
//! Secret, the Job that creates the application user and database, and NetworkPolicies
//! that follow the realisation (consumers → Router → servers ↔ servers, operator → both).

use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use std::path::Path;

fn compilation() -> Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/targets/mysql-cluster.kdl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let inputs = Inputs::spec("targets/mysql-cluster.kdl", text);
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.diagnostics.is_empty(), "{report}");
    compilation
}

#[test]
fn three_mysql_servers_are_an_innodb_cluster_behind_its_router() {
    let compilation = compilation();
    let folder = "prod/onprem/shop/";
    let names: Vec<&str> = compilation.tree.keys().filter_map(|path| path.strip_prefix(folder)).collect();
    assert!(!names.iter().any(|name| name.starts_with("statefulset-carts")), "{names:?}");
    let mut out = String::new();
    for (path, artifact) in &compilation.tree {
        let Some(name) = path.strip_prefix(folder) else { continue };
        if ["innodbcluster-carts", "externalsecret-carts", "job-carts", "networkpolicy-carts"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            out.push_str(&format!("── {path} ──\n{}", file::render(artifact)));
        }
    }
    insta::assert_snapshot!(out);

    // The consumer connects to the Router's Service on 3306, its egress opens the Router
    // pods' port 6446 (the Service's target port).
    let deployment =
        compilation.tree[&format!("{folder}deployment-storefront.yaml")].object().cloned().unwrap_or_default();
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    let value = |name: &str| {
        env.as_array().into_iter().flatten().find(|e| e["name"] == name).map(|e| e["value"].clone()).unwrap_or_default()
    };
    assert_eq!(value("MYSQL_HOST"), "carts.shop-prod.svc");
    assert_eq!(value("MYSQL_PORT"), "3306");
    let policy = file::render(&compilation.tree[&format!("{folder}networkpolicy-storefront.yaml")]);
    assert!(policy.contains("component: mysqlrouter") && policy.contains("port: 6446"), "{policy}");
}
