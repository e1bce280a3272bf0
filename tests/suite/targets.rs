//! One spec, five clouds: the same service and backing services realised on EKS, GKE,
//! AKS, OpenShift and on-prem (`tests/fixtures/targets/matrix.kdl`, one environment per
//! target), and object storage on the three public clouds (`buckets.kdl`).
//!
//! - Every custom resource of every realisation validates against its bundled CRD schema
//!   (closed against unknown fields), and every one has a bundled schema: no exception.
//! - A consumer gets the same variable names on every target.
//! - Snapshots put each aspect (exposure, identity, postgres, redis, storage, binding)
//!   of the five targets side by side, one section per target, for review.

use crate::crds::check_custom_resources;
use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The targets of `matrix.kdl`, in its environment order, with their environments.
const MATRIX: [(&str, &str); 5] =
    [("on-eks", "eks"), ("on-gke", "gke"), ("on-aks", "aks"), ("on-openshift", "openshift"), ("on-onprem", "onprem")];

fn compile_fixture(name: &str) -> Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/targets").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut inputs = Inputs::spec(format!("targets/{name}"), text);
    inputs.files = berth::output::safe::spec_files(&path);
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{name}:\n{report}");
    assert!(compilation.diagnostics.is_empty(), "{name} should compile without warnings:\n{report}");
    compilation
}

/// Rendered files of one domain on one (environment, target) whose file name starts
/// with one of `prefixes`, each under a `── path ──` line.
fn files(compilation: &Compilation, env: &str, target: &str, prefixes: &[&str]) -> String {
    let folder = format!("{env}/{target}/shop/");
    let mut out = String::new();
    for (path, artifact) in &compilation.tree {
        let Some(file) = path.strip_prefix(&folder) else {
            continue;
        };
        if prefixes.iter().any(|prefix| file.starts_with(prefix)) {
            out.push_str(&format!("── {path} ──\n{}", file::render(artifact)));
        }
    }
    out
}

/// One section per target.
fn side_by_side(section: impl Fn(&str, &str) -> String) -> String {
    MATRIX.iter().map(|(env, target)| format!("════════ {target} ════════\n{}", section(env, target))).collect()
}

fn storefront(compilation: &Compilation, env: &str, target: &str) -> Value {
    compilation.tree[&format!("{env}/{target}/shop/deployment-storefront.yaml")].object().cloned().unwrap_or_default()
}

#[test]
fn every_realisation_on_every_cloud_matches_its_crd_schema() {
    let mut checked = BTreeMap::<String, usize>::new();
    // The monitoring fixture: the prometheus-operator objects of an `slo`.
    for name in ["matrix.kdl", "buckets.kdl", "sizing.kdl", "mysql-cluster.kdl", "../monitoring/slo.kdl"] {
        check_custom_resources(name, &compile_fixture(name).tree, &mut checked);
    }
    let kinds: Vec<&str> = checked.keys().map(String::as_str).collect();
    insta::assert_snapshot!(kinds.join("\n"));
    // Every bundled custom-resource schema but the Cilium and Argo ones is exercised here.
    let emitted: Vec<String> = checked.keys().map(|key| key.to_ascii_lowercase()).collect();
    for (api_version, kind) in berth::validate::bundled_custom_resources() {
        assert!(
            // Argo Rollouts' kinds come from the environment, not a realisation: the
            // examples' are checked by crds.rs, every build's by the validate stage.
            kind == "ciliumnetworkpolicy"
                || api_version.starts_with("argoproj.io/")
                || emitted.contains(&format!("{api_version} {kind}")),
            "{api_version} {kind} never emitted"
        );
    }
}

/// Application code never changes between clouds: the storefront's variables have the
/// same names, in the same order, on every target; only their sources differ.
#[test]
fn a_consumer_gets_the_same_variables_on_every_target() {
    let compilation = compile_fixture("matrix.kdl");
    let names = |env: &str, target: &str| -> Vec<String> {
        storefront(&compilation, env, target)["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["name"].as_str().map(str::to_owned))
            .collect()
    };
    let first = names(MATRIX[0].0, MATRIX[0].1);
    assert!(first.contains(&"DATABASE_URL".to_owned()) && first.contains(&"REDIS_URL".to_owned()), "{first:?}");
    assert!(
        first.contains(&"KAFKA_BOOTSTRAP_SERVERS".to_owned()) && first.contains(&"AMQP_URL".to_owned()),
        "{first:?}"
    );
    assert!(first.contains(&"MONGODB_URI".to_owned()), "{first:?}");
    assert!(first.contains(&"MYSQL_URL".to_owned()), "{first:?}");
    for (env, target) in &MATRIX[1..] {
        assert_eq!(names(env, target), first, "{target}");
    }
}

#[test]
fn side_by_side_exposure() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(&compilation, env, target, &["ingress-", "route-", "httproute-"])
    }));
}

#[test]
fn side_by_side_identity() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        let labels = &storefront(&compilation, env, target)["spec"]["template"]["metadata"]["labels"];
        format!(
            "{}── pod template labels ──\n{}\n",
            files(&compilation, env, target, &["serviceaccount-storefront"]),
            serde_json::to_string_pretty(labels).unwrap_or_default()
        )
    }));
}

#[test]
fn side_by_side_postgres() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(
            &compilation,
            env,
            target,
            &[
                "cluster-orders-db",
                "configmap-orders-db-init-sql",
                "job-orders-db-init",
                "networkpolicy-orders-db-init",
                "dbinstance-orders-db",
                "sqlinstance-orders-db",
                "sqldatabase-orders-db",
                "sqluser-orders-db",
                "flexibleserver-orders-db",
                "externalsecret-orders-db",
                "networkpolicy-orders-db",
            ],
        )
    }));
}

#[test]
fn side_by_side_redis() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(
            &compilation,
            env,
            target,
            &[
                "statefulset-sessions",
                "service-sessions",
                "replicationgroup-",
                "redisinstance-",
                "redisenterprise",
                "externalsecret-sessions",
            ],
        )
    }));
}

#[test]
fn side_by_side_kafka() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(
            &compilation,
            env,
            target,
            &[
                "kafka-events",
                "kafkatopic-events",
                "kafkauser-events",
                "cluster-events",
                "managedkafka",
                "namespace-events",
                "externalsecret-events",
            ],
        )
    }));
}

#[test]
fn side_by_side_rabbitmq() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(&compilation, env, target, &["rabbitmqcluster-jobs", "broker-jobs", "externalsecret-jobs"])
    }));
}

#[test]
fn side_by_side_mongodb() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(
            &compilation,
            env,
            target,
            &[
                "statefulset-catalog",
                "dbcluster-catalog",
                "dbinstance-catalog",
                "atlasdeployment-catalog",
                "databaseaccount-catalog",
                "mongodbdatabase-catalog",
                "externalsecret-catalog",
            ],
        )
    }));
}

#[test]
fn side_by_side_mysql() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        files(
            &compilation,
            env,
            target,
            &[
                "statefulset-carts",
                "service-carts",
                "configmap-carts-init-sql",
                "job-carts-init",
                "networkpolicy-carts-init",
                "dbinstance-carts",
                "sqlinstance-carts",
                "sqldatabase-carts",
                "sqluser-carts",
                "flexibleserver-carts",
                "flexibleserversdatabase-carts",
                "externalsecret-carts",
                "networkpolicy-carts",
            ],
        )
    }));
}

/// Where each target's volumes come from: every `storageClass`/`storageClassName` field of
/// every object, by file.
#[test]
fn side_by_side_storage() {
    fn walk(value: &Value, pointer: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let here = format!("{pointer}/{key}");
                    if key == "storageClass"
                        || key == "storageClassName"
                        || (key == "class" && pointer.contains("storage"))
                    {
                        out.push(format!("{here}: {child}"));
                    } else {
                        walk(child, &here, out);
                    }
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(child, &format!("{pointer}/{index}"), out);
                }
            }
            _ => {}
        }
    }
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        let folder = format!("{env}/{target}/");
        let mut out = String::new();
        for (path, artifact) in compilation.tree.range(folder.clone()..) {
            if !path.starts_with(&folder) {
                break;
            }
            let mut found = Vec::new();
            walk(artifact.object().unwrap_or(&Value::Null), "", &mut found);
            for line in found {
                out.push_str(&format!("{path}: {line}\n"));
            }
        }
        if out.is_empty() { "(no storage class named: the cluster default)\n".to_owned() } else { out }
    }));
}

#[test]
fn side_by_side_binding() {
    let compilation = compile_fixture("matrix.kdl");
    insta::assert_snapshot!(side_by_side(|env, target| {
        let env_list = &storefront(&compilation, env, target)["spec"]["template"]["spec"]["containers"][0]["env"];
        let mut out = String::new();
        for entry in env_list.as_array().into_iter().flatten() {
            let name = entry["name"].as_str().unwrap_or_default();
            let source = if let Some(value) = entry["value"].as_str() {
                format!("= {value}")
            } else if let Some(secret) = entry["valueFrom"].get("secretKeyRef") {
                format!(
                    "secret {}[{}]",
                    secret["name"].as_str().unwrap_or_default(),
                    secret["key"].as_str().unwrap_or_default()
                )
            } else if let Some(map) = entry["valueFrom"].get("configMapKeyRef") {
                format!(
                    "configmap {}[{}]",
                    map["name"].as_str().unwrap_or_default(),
                    map["key"].as_str().unwrap_or_default()
                )
            } else {
                entry.to_string()
            };
            out.push_str(&format!("{name:<26} {source}\n"));
        }
        out
    }));
}

#[test]
fn side_by_side_buckets() {
    let compilation = compile_fixture("buckets.kdl");
    let mut out = String::new();
    for (path, artifact) in &compilation.tree {
        let file = path.rsplit('/').next().unwrap_or_default();
        if ["bucket-", "storagebucket-", "storageaccount-", "serviceaccount-exporter"]
            .iter()
            .any(|p| file.starts_with(p))
        {
            out.push_str(&format!("── {path} ──\n{}", file::render(artifact)));
        }
    }
    insta::assert_snapshot!(out);
}

/// `prefix=` on a `uses` renames a backing service's variables, and the references to
/// them inside composed values, so one workload can use two databases.
#[test]
fn a_prefix_separates_two_backing_services_of_one_kind() {
    let text = r#"platform "shop" { kubernetes "1.33" }
target "dc" cloud="onprem" { dns "apps.example.com"; storage-class "longhorn"; api-server-cidr "10.0.0.0/24" }
environment "dev" target="dc"
domain "order" team="order-team" {
    worker "archiver" {
        image "archiver" tag="1.0"
        resources cpu="100m" memory="128Mi"
        uses "orders-db"
        uses "archive-db" prefix="ARCHIVE_"
    }
    postgres "orders-db"
    postgres "archive-db"
}
"#;
    let compilation = compile(&Inputs::spec("prefix.kdl", text), &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    let env = &compilation.tree["dev/dc/order/deployment-archiver.yaml"].object().expect("a Kubernetes object")["spec"]
        ["template"]["spec"]["containers"][0]["env"];
    let find =
        |name: &str| env.as_array().and_then(|e| e.iter().find(|v| v["name"] == name)).cloned().unwrap_or_default();
    assert_eq!(find("PGHOST")["valueFrom"]["secretKeyRef"]["name"], "orders-db-app");
    assert_eq!(find("ARCHIVE_PGHOST")["valueFrom"]["secretKeyRef"]["name"], "archive-db-app");
    assert_eq!(
        find("ARCHIVE_DATABASE_URL")["value"],
        "postgresql://$(ARCHIVE_PGUSER):$(ARCHIVE_PGPASSWORD)@$(ARCHIVE_PGHOST):$(ARCHIVE_PGPORT)/$(ARCHIVE_PGDATABASE)"
    );
    assert_eq!(find("DATABASE_URL")["value"], "postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)");
}

/// Sizing (`sizing.kdl`): per environment, CPU and memory become the pods' resources
/// in-cluster and the instance class (EKS) or machine tier (GKE) managed; storage class
/// and instances reach the volumes and the instance count.
#[test]
fn side_by_side_sizing() {
    let compilation = compile_fixture("sizing.kdl");
    let wanted = [
        "dbInstanceClass:",
        "tier:",
        "name: Standard_",
        "instances:",
        "replicas:",
        "storageClass:",
        "storageClassName:",
        "class:",
        "cpu:",
        "memory:",
        "size:",
    ];
    insta::assert_snapshot!(side_by_side(|env, target| {
        let all = files(
            &compilation,
            env,
            target,
            &[
                "cluster-orders-db",
                "dbinstance-",
                "sqlinstance-",
                "flexibleserver-",
                "statefulset-catalog-db",
                "kafkanodepool-events-broker",
            ],
        );
        let mut out = String::new();
        for line in all.lines() {
            let trimmed = line.trim_start();
            if line.starts_with("── ") || wanted.iter().any(|w| trimmed.starts_with(w)) {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }));
    // Sized on EKS and GKE: the class and tier follow the numbers, not the environment.
    let object = |path: &str| compilation.tree[path].object().cloned().unwrap_or_default();
    assert_eq!(object("on-eks/eks/shop/dbinstance-orders-db.yaml")["spec"]["dbInstanceClass"], "db.m7g.xlarge");
    assert_eq!(object("on-eks/eks/shop/dbinstance-catalog-db.yaml")["spec"]["dbInstanceClass"], "db.t4g.small");
    assert_eq!(object("on-gke/gke/shop/sqlinstance-orders-db.yaml")["spec"]["settings"]["tier"], "db-custom-4-10240");
    let cluster = object("on-onprem/onprem/shop/cluster-orders-db.yaml");
    assert_eq!(cluster["spec"]["instances"], 3);
    assert_eq!(cluster["spec"]["storage"]["storageClass"], "fast-ssd");
    assert_eq!(cluster["spec"]["resources"]["limits"]["memory"], "4Gi");
    // The domain's quota counts the backing pods.
    let estate = compilation.estate.as_ref().unwrap();
    let onprem = estate.views.iter().find(|v| v.env == "on-onprem").unwrap();
    let shop = &onprem.domains[0];
    let postgres = shop.backing.iter().find(|b| b.name == "orders-db").unwrap();
    assert_eq!(postgres.realisation.pod_sizes[0].count, 3);
    assert_eq!(postgres.realisation.pod_sizes[0].cpu, "2");
}

/// Clients without credentials (`legacy-clients.kdl`, #12 point 4): `auth=#false` takes
/// the password off the in-cluster redis and mongod, needs its waiver (the baseline
/// policy is an error), and changes no NetworkPolicy.
#[test]
fn auth_false_drops_only_authentication() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/targets/legacy-clients.kdl");
    let text = std::fs::read_to_string(&path).unwrap();
    let build =
        |text: String| compile(&Inputs::spec("targets/legacy-clients.kdl".to_owned(), text), &Options::default());
    let open = build(text.clone());
    let report = render(&open.sources, &open.diagnostics, ReportFormat::Plain, false);
    assert!(!open.has_errors(), "{report}");
    // Exactly the two waived findings, one per declaration.
    assert_eq!(report.matches("(waived)").count(), 2, "{report}");
    assert_eq!(report.matches("unauthenticated-backing-service").count(), 2, "{report}");
    // Without the waivers the build fails.
    let unwaived: String = text.lines().filter(|l| !l.starts_with("waive ")).map(|l| format!("{l}\n")).collect();
    let failed = build(unwaived);
    assert!(failed.has_errors());
    // With authentication (the default) for comparison.
    let closed = build(text.replace(" auth=#false", ""));
    for (env, target) in [("on-openshift", "openshift"), ("on-onprem", "onprem")] {
        let object = |c: &Compilation, file: &str| {
            c.tree.get(&format!("{env}/{target}/shop/{file}")).and_then(|a| a.object().cloned()).unwrap_or_default()
        };
        for file in ["networkpolicy-sessions.yaml", "networkpolicy-catalog.yaml", "networkpolicy-storefront.yaml"] {
            assert_eq!(object(&open, file), object(&closed, file), "{env}: {file} changed");
            assert!(object(&open, file).is_object(), "{env}: {file} missing");
        }
        // No store entry: Berth writes the binding Secret, empty password.
        assert!(!open.tree.contains_key(&format!("{env}/{target}/shop/externalsecret-sessions-binding.yaml")));
        assert!(closed.tree.contains_key(&format!("{env}/{target}/shop/externalsecret-sessions-binding.yaml")));
        assert_eq!(object(&open, "secret-sessions-binding.yaml")["stringData"]["password"], "");
        assert_eq!(object(&open, "secret-catalog-binding.yaml")["stringData"]["password"], "");
        let redis = &object(&open, "statefulset-sessions.yaml")["spec"]["template"]["spec"]["containers"][0];
        let args: Vec<&str> = redis["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(!args.contains(&"--requirepass"), "{args:?}");
        assert!(args.windows(2).any(|w| w == ["--protected-mode", "no"]), "{args:?}");
        let closed_redis = &object(&closed, "statefulset-sessions.yaml")["spec"]["template"]["spec"]["containers"][0];
        assert!(closed_redis["args"].as_array().unwrap().iter().any(|a| a == "--requirepass"));
        let mongo = &object(&open, "statefulset-catalog.yaml")["spec"]["template"]["spec"]["containers"][0];
        let env_names: Vec<&str> = mongo["env"].as_array().unwrap().iter().filter_map(|e| e["name"].as_str()).collect();
        assert!(!env_names.iter().any(|n| n.starts_with("MONGO_INITDB_ROOT")), "{env_names:?}");
        let storefront = storefront(&open, env, target);
        let vars = storefront["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap().clone();
        let uri = vars.iter().find(|v| v["name"] == "MONGODB_URI").unwrap();
        assert_eq!(uri["value"], "mongodb://$(MONGODB_HOST):$(MONGODB_PORT)/");
    }
}

/// Without the target's version params, the managed services get a version they offer
/// (`kafka-version` 3.8.x, `rabbitmq-version` 4.2, `docdb-version` 5.0.0), never the
/// in-cluster `version` default (Strimzi's 4.3.1, the 4.3 image, mongo 8.0).
#[test]
fn managed_versions_default_to_what_the_service_offers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/targets/matrix.kdl");
    let text = std::fs::read_to_string(&path).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !["kafka-version", "rabbitmq-version", "docdb-version"].iter().any(|p| l.contains(p)))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut inputs = Inputs::spec("targets/matrix.kdl".to_owned(), text);
    inputs.files = berth::output::safe::spec_files(&path);
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    let spec = |file: &str| {
        compilation.tree[&format!("on-eks/eks/shop/{file}")].object().cloned().unwrap_or_default()["spec"].clone()
    };
    assert_eq!(spec("cluster-events.yaml")["kafkaVersion"], "3.8.x");
    assert_eq!(spec("broker-jobs.yaml")["engineVersion"], "4.2");
    assert_eq!(spec("dbcluster-catalog.yaml")["engineVersion"], "5.0.0");
}

/// A managed database's initial data (#12 point 1): a one-off Job `<name>-init` feeds the
/// init files to the server's client, only into an empty database, ordered before the
/// migration Jobs (Argo CD wave 0 hook, Helm hook weight -1), with a NetworkPolicy that
/// admits only DNS and the target's managed ranges on the database port.
#[test]
fn managed_databases_get_a_guarded_init_job() {
    let compilation = compile_fixture("matrix.kdl");
    let object = |path: &str| compilation.tree[path].object().cloned().unwrap_or_default();
    for (env, target, name, port, files) in [
        ("on-eks", "eks", "orders-db", 5432, vec!["01-init-sql-file.sql"]),
        ("on-gke", "gke", "orders-db", 5432, vec!["02-init-sql.sql"]),
        ("on-aks", "aks", "orders-db", 5432, vec!["01-init-sql-file.sql", "02-init-sql.sql"]),
        ("on-eks", "eks", "carts", 3306, vec!["02-init-sql.sql"]),
        ("on-gke", "gke", "carts", 3306, vec!["01-init-sql-file.sql"]),
        ("on-aks", "aks", "carts", 3306, vec!["01-init-sql-file.sql", "02-init-sql.sql"]),
    ] {
        let job = object(&format!("{env}/{target}/shop/job-{name}-init.yaml"));
        let annotations = &job["metadata"]["annotations"];
        assert_eq!(annotations["argocd.argoproj.io/hook"], "Sync", "{env} {name}");
        assert_eq!(annotations["argocd.argoproj.io/sync-wave"], "0");
        assert_eq!(annotations["helm.sh/hook"], "post-install,post-upgrade");
        assert_eq!(annotations["helm.sh/hook-weight"], "-1");
        let pod = &job["spec"]["template"]["spec"];
        let script = pod["containers"][0]["args"][0].as_str().unwrap();
        // Only into an empty database: a re-run is a no-op.
        assert!(script.contains("information_schema.tables"), "{script}");
        assert!(script.contains("initialised already\"; exit 0"), "{script}");
        // On AKS the host comes from the server's ConfigMap, elsewhere from the binding.
        assert_eq!(script.contains("/etc/conn/host"), target == "aks", "{script}");
        let sources = pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "init-sql").unwrap()["projected"]
            ["sources"]
            .as_array()
            .unwrap()
            .clone();
        let paths: Vec<&str> = sources.iter().filter_map(|s| s["configMap"]["items"][0]["path"].as_str()).collect();
        assert_eq!(paths, files, "{env} {name}");
        // The binding as files, never in the environment.
        let env_vars = pod["containers"][0]["env"].as_array().unwrap();
        assert!(env_vars.iter().all(|e| e["valueFrom"].is_null()));
        let policy = object(&format!("{env}/{target}/shop/networkpolicy-{name}-init.yaml"));
        // It selects exactly the Job's pods.
        assert_eq!(policy["spec"]["podSelector"]["matchLabels"], job["spec"]["template"]["metadata"]["labels"]);
        let egress = policy["spec"]["egress"].as_array().unwrap();
        assert_eq!(egress.len(), 2, "{env} {name}: DNS and the managed ranges");
        assert_eq!(egress[1]["ports"][0]["port"], port);
        assert!(egress[1]["to"].as_array().unwrap().iter().all(|peer| peer["ipBlock"]["cidr"].is_string()));
        assert!(policy["spec"]["ingress"].is_null(), "no ingress at all");
    }
    // No init files, no Job.
    assert!(!compilation.tree.keys().any(|path| path.starts_with("on-onprem/") && path.contains("-init.yaml")));
}

/// Managed MongoDB initial data (#12 point 1): on DocumentDB, Atlas and Cosmos DB the same
/// one-off Job as the managed SQL servers, with mongosh, into `database`, only while it
/// has no collection; on DocumentDB over TLS verified with the Amazon RDS CA bundle from
/// the file next to the spec (ConfigMap `<name>-ca`; without one: refused, see the
/// diagnostic fixture). `database` is the URI's path everywhere and Cosmos DB's database.
#[test]
fn managed_mongodb_gets_a_guarded_init_job() {
    let compilation = compile_fixture("matrix.kdl");
    let object = |path: &str| compilation.tree[path].object().cloned().unwrap_or_default();
    for (env, target, port, secret, files) in [
        ("on-eks", "eks", 27017, "catalog-binding", vec!["02-init-script.js"]),
        ("on-gke", "gke", 27017, "catalog-binding", vec!["01-init-script-file.js"]),
        ("on-aks", "aks", 10255, "catalog-auth", vec!["01-init-script-file.js", "02-init-script.js"]),
    ] {
        let job = object(&format!("{env}/{target}/shop/job-catalog-init.yaml"));
        assert_eq!(job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"], "0", "{env}");
        assert_eq!(job["metadata"]["annotations"]["helm.sh/hook-weight"], "-1");
        let pod = &job["spec"]["template"]["spec"];
        let script = pod["containers"][0]["args"][0].as_str().unwrap();
        let env_vars = pod["containers"][0]["env"].as_array().unwrap();
        assert!(env_vars.iter().any(|e| e["name"] == "MONGODB_DATABASE" && e["value"] == "catalog"), "{env}");
        assert!(script.contains("db.getCollectionNames().length"), "{script}");
        assert!(script.contains("initialised already\"; exit 0"), "{script}");
        assert!(script.contains("mongosh \"$uri\" \"$@\" /etc/init-script/*.js"), "{script}");
        assert!(env_vars.iter().all(|e| e["valueFrom"].is_null()));
        let volumes = pod["volumes"].as_array().unwrap();
        assert_eq!(volumes[0]["secret"]["secretName"], secret, "{env}");
        let sources = volumes.iter().find(|v| v["name"] == "init-script").unwrap()["projected"]["sources"].clone();
        let paths: Vec<&str> =
            sources.as_array().unwrap().iter().filter_map(|s| s["configMap"]["items"][0]["path"].as_str()).collect();
        assert_eq!(paths, files, "{env}");
        let policy = object(&format!("{env}/{target}/shop/networkpolicy-catalog-init.yaml"));
        assert_eq!(policy["spec"]["podSelector"]["matchLabels"], job["spec"]["template"]["metadata"]["labels"]);
        let egress = policy["spec"]["egress"].as_array().unwrap();
        assert_eq!(egress.len(), 2, "{env}: DNS and the managed ranges");
        assert_eq!(egress[1]["ports"][0]["port"], port);
    }
    // DocumentDB: mongosh trusts the bundle next to the spec, mounted from `catalog-ca`.
    let pod = object("on-eks/eks/shop/job-catalog-init.yaml")["spec"]["template"]["spec"].clone();
    let script = pod["containers"][0]["args"][0].as_str().unwrap_or_default();
    assert!(script.contains("--tls --tlsCAFile /etc/ca/global-bundle.pem"), "{script}");
    assert!(script.contains("retryWrites=false"), "{script}");
    let ca = pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "ca").unwrap().clone();
    assert_eq!(ca["configMap"]["name"], "catalog-ca");
    assert_eq!(ca["configMap"]["items"][0]["key"], "global-bundle.pem");
    let bundle = object("on-eks/eks/shop/configmap-catalog-ca.yaml");
    assert!(bundle["data"]["global-bundle.pem"].as_str().unwrap_or_default().contains("-----BEGIN CERTIFICATE-----"));
    // Nowhere else: Atlas and Cosmos DB chain to public CAs.
    assert_eq!(compilation.tree.keys().filter(|path| path.ends_with("/configmap-catalog-ca.yaml")).count(), 1);
    let database = object("on-aks/aks/shop/mongodbdatabase-catalog.yaml");
    assert_eq!(database["spec"]["azureName"], "catalog");
    assert_eq!(database["spec"]["resource"]["id"], "catalog");
    for (env, target) in [("on-eks", "eks"), ("on-gke", "gke"), ("on-aks", "aks")] {
        let text = serde_json::to_string(&storefront(&compilation, env, target)).unwrap_or_default();
        assert!(text.contains("/catalog?"), "{env}: the URI's path");
    }
}

/// In-cluster initial data (#12 point 1): the mysql and mongo images'
/// `docker-entrypoint-initdb.d`, read-only, with the file next to the spec first
/// (`01-...`, Berth's ConfigMap) and the named ConfigMap second (`02-...`); the init
/// database in the image's environment and mongodb's URI; and the image overrides of
/// mongodb, redis and rabbitmq (a pre-seeded image).
#[test]
fn in_cluster_databases_mount_their_init_files() {
    let compilation = compile_fixture("matrix.kdl");
    let object = |path: &str| compilation.tree[path].object().cloned().unwrap_or_default();
    let shop = "on-openshift/openshift/shop";
    for (name, container, ext, own, key) in [
        ("carts", "mysql", "sql", "carts-init-sql", "init.sql"),
        ("catalog", "mongodb", "js", "catalog-init-script", "init.js"),
    ] {
        // OpenShift's carts has three servers (an InnoDBCluster, tests/suite/mysql_cluster.rs).
        let shop = if name == "carts" { "on-onprem/onprem/shop" } else { shop };
        let pod = object(&format!("{shop}/statefulset-{name}.yaml"))["spec"]["template"]["spec"].clone();
        let main = &pod["containers"][0];
        assert_eq!(main["name"], container);
        let mount = main["volumeMounts"].as_array().unwrap().iter().find(|m| m["name"] == "init").unwrap().clone();
        assert_eq!(mount["mountPath"], "/docker-entrypoint-initdb.d", "{name}");
        assert_eq!(mount["readOnly"], true, "{name}");
        let volume = pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "init").unwrap().clone();
        let sources: Vec<(String, String)> = volume["projected"]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let config_map = &s["configMap"];
                assert_eq!(config_map["items"][0]["key"], key, "{name}");
                (
                    config_map["name"].as_str().unwrap().to_owned(),
                    config_map["items"][0]["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let seed = format!("{name}-seed");
        assert_eq!(
            sources,
            [
                (own.to_owned(), format!("01-init-{}-file.{ext}", if ext == "js" { "script" } else { "sql" })),
                (seed, format!("02-init-{}.{ext}", if ext == "js" { "script" } else { "sql" }))
            ],
            "{name}"
        );
        // Berth's ConfigMap holds the file's text.
        let config_map = object(&format!("{shop}/configmap-{own}.yaml"));
        assert!(config_map["data"][key].as_str().unwrap().contains(if ext == "js" {
            "insertMany"
        } else {
            "CREATE TABLE carts"
        }));
    }
    let mongo = &object(&format!("{shop}/statefulset-catalog.yaml"))["spec"]["template"]["spec"]["containers"][0];
    let database = mongo["env"].as_array().unwrap().iter().find(|e| e["name"] == "MONGO_INITDB_DATABASE").unwrap();
    assert_eq!(database["value"], "catalog");
    // The database is the URI's path, in-cluster on both targets that write it (both run
    // a replica set of three members there).
    for (env, target) in [("on-openshift", "openshift"), ("on-onprem", "onprem")] {
        let vars = storefront(&compilation, env, target)["spec"]["template"]["spec"]["containers"][0]["env"].clone();
        let uri = vars.as_array().unwrap().iter().find(|v| v["name"] == "MONGODB_URI").unwrap().clone();
        let members: Vec<String> =
            (0..3).map(|member| format!("catalog-{member}.catalog.shop-{env}.svc:$(MONGODB_PORT)")).collect();
        assert_eq!(
            uri["value"],
            format!(
                "mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@{}/catalog?authSource=admin&replicaSet=catalog",
                members.join(",")
            )
        );
    }
    // Nothing mounted and no init database where none is written.
    let plain = &object("on-onprem/onprem/shop/statefulset-catalog.yaml")["spec"]["template"]["spec"];
    assert!(plain["volumes"].as_array().unwrap().iter().all(|v| v["name"] != "init"));
    assert!(!compilation.tree.contains_key("on-onprem/onprem/shop/configmap-catalog-init-script.yaml"));
    // Image overrides, in-cluster.
    let image = |path: &str, pointer: &str| object(path).pointer(pointer).cloned().unwrap_or_default();
    let container = "/spec/template/spec/containers/0/image";
    assert_eq!(
        image("on-onprem/onprem/shop/statefulset-catalog.yaml", container),
        "registry.example.com/matrix/catalog-demo-db:8.0"
    );
    assert_eq!(
        image("on-onprem/onprem/shop/statefulset-sessions.yaml", container),
        "registry.example.com/matrix/sessions-warm:7.2"
    );
    assert_eq!(
        image("on-openshift/openshift/shop/statefulset-sessions.yaml", container),
        "docker.io/library/redis:7.2"
    );
    assert_eq!(
        image("on-openshift/openshift/shop/rabbitmqcluster-jobs.yaml", "/spec/image"),
        "registry.example.com/matrix/rabbitmq-defs:4.3-management"
    );
    assert_eq!(image("on-onprem/onprem/shop/rabbitmqcluster-jobs.yaml", "/spec/image"), "rabbitmq:4.3-management");
}

/// DocumentDB (`documentdb.kdl`): without `replicas`, two instances in production (a
/// replica to fail over to) and one elsewhere (#12 point 3); initial data with the
/// platform's CA bundle ConfigMap (the target's `docdb-ca-configmap`) mounts that one and
/// emits no `<name>-ca` (#12 point 1).
#[test]
fn documentdb_defaults_and_the_platform_ca_bundle() {
    let compilation = compile_fixture("documentdb.kdl");
    let instances = |env: &str| -> Vec<&str> {
        compilation
            .tree
            .keys()
            .filter_map(|path| path.strip_prefix(&format!("{env}/eks/shop/")))
            .filter(|file| file.starts_with("dbinstance-"))
            .collect()
    };
    assert_eq!(instances("prod"), ["dbinstance-reviews-db-2.yaml", "dbinstance-reviews-db.yaml"]);
    assert_eq!(instances("dev"), ["dbinstance-reviews-db.yaml"]);
    insta::assert_snapshot!(files(&compilation, "prod", "eks", &["dbinstance-"]));
    let job = compilation.tree["dev/eks/shop/job-reviews-db-init.yaml"].object().cloned().unwrap_or_default();
    let volumes = job["spec"]["template"]["spec"]["volumes"].as_array().cloned().unwrap_or_default();
    let ca = volumes.iter().find(|v| v["name"] == "ca").cloned().unwrap_or_default();
    assert_eq!(ca["configMap"]["name"], "rds-ca-bundle");
    assert!(!compilation.tree.keys().any(|path| path.ends_with("configmap-reviews-db-ca.yaml")));
    assert!(!compilation.tree.contains_key("prod/eks/shop/job-reviews-db-init.yaml"), "no init data in prod");
}
