//! Adding a cloud or a backing-service kind needs no Rust change: a user library folder
//! (`tests/fixtures/library/platform-lib/`, what `--lib` reads) defines a `rancher` cloud
//! profile, an `elasticsearch` kind realised by ECK, and a managed realisation of the
//! stdlib's `postgres` for that cloud; `tests/fixtures/library/spec.kdl` uses all three.

use berth::diag::SourceFile;
use berth::driver::{Compilation, Inputs, Options, compile};
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use serde_json::{Value, json};
use std::path::Path;

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/library")
}

fn compile_with(library: bool) -> Compilation {
    let dir = fixture_dir();
    let spec = std::fs::read_to_string(dir.join("spec.kdl")).expect("spec");
    let mut inputs = Inputs::spec("library/spec.kdl", spec);
    if library {
        let mut files: Vec<_> = std::fs::read_dir(dir.join("platform-lib"))
            .expect("library folder")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        files.sort();
        for path in files {
            let name = format!("library/platform-lib/{}", path.file_name().unwrap_or_default().to_string_lossy());
            let text = std::fs::read_to_string(&path).expect("library file");
            inputs.libraries.push(SourceFile { name, text });
        }
    }
    compile(&inputs, &Options::default())
}

fn object<'c>(compilation: &'c Compilation, file: &str) -> &'c Value {
    compilation
        .tree
        .get(&format!("dev/dc2/search/{file}"))
        .unwrap_or_else(|| panic!("{file} not emitted: {:?}", compilation.tree.keys().collect::<Vec<_>>()))
        .object()
        .expect("a Kubernetes object")
}

#[test]
fn a_library_adds_a_cloud_a_kind_and_a_realisation() {
    let compilation = compile_with(true);
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.diagnostics.is_empty(), "{report}");

    // The library's cloud: its ingress class and storage class apply.
    assert_eq!(object(&compilation, "ingress-search-api.yaml")["spec"]["ingressClassName"], "traefik");
    let elasticsearch = object(&compilation, "elasticsearch-catalog-index.yaml");
    assert_eq!(elasticsearch["apiVersion"], "elasticsearch.k8s.elastic.co/v1");
    assert_eq!(elasticsearch["metadata"]["namespace"], "search-dev");
    assert_eq!(elasticsearch["metadata"]["labels"]["app.kubernetes.io/component"], "backing");
    assert_eq!(elasticsearch["spec"]["nodeSets"][0]["volumeClaimTemplates"][0]["spec"]["storageClassName"], "longhorn");

    // The library's managed postgres realisation for `rancher`.
    let request = object(&compilation, "configmap-catalog-db-farm-request.yaml");
    assert_eq!(request["data"]["database"], "catalog_db");

    // The consumer gets both kinds' variables, from where the library says.
    let env = &object(&compilation, "deployment-search-api.yaml")["spec"]["template"]["spec"]["containers"][0]["env"];
    let find = |name: &str| env.as_array().and_then(|e| e.iter().find(|v| v["name"] == name)).cloned();
    assert_eq!(find("ELASTICSEARCH_URL").map(|v| v["value"].clone()), Some(json!("http://$(ELASTICSEARCH_HOST):9200")));
    assert_eq!(find("PGHOST").map(|v| v["valueFrom"]["secretKeyRef"]["name"].clone()), Some(json!("catalog-db-farm")));

    // NetworkPolicies from library facts alone: the ECK pods on 9200, the farm's range on
    // 5432, Traefik into the exposed port.
    let policy = object(&compilation, "networkpolicy-search-api.yaml");
    let egress = policy["spec"]["egress"].to_string();
    assert!(egress.contains(r#""elasticsearch.k8s.elastic.co/cluster-name":"catalog-index""#), "{egress}");
    assert!(egress.contains(r#"{"ipBlock":{"cidr":"10.50.0.0/16"}}"#), "{egress}");
    assert!(policy["spec"]["ingress"].to_string().contains(r#""kubernetes.io/metadata.name":"traefik""#));
    let pods = object(&compilation, "networkpolicy-catalog-index.yaml");
    assert_eq!(
        pods["spec"]["podSelector"]["matchLabels"],
        json!({"elasticsearch.k8s.elastic.co/cluster-name": "catalog-index"})
    );

    let mut shown = String::new();
    for file in ["elasticsearch-catalog-index.yaml", "configmap-catalog-db-farm-request.yaml"] {
        shown.push_str(&file::render(&compilation.tree[&format!("dev/dc2/search/{file}")]));
    }
    insta::assert_snapshot!(shown);
}

/// Without the folder the same spec names a cloud nobody defines (its domains are then
/// resolved in no view, so the unknown kind is not reached).
#[test]
fn without_the_library_the_spec_does_not_resolve() {
    let compilation = compile_with(false);
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.has_errors());
    assert!(report.contains("unknown cloud profile `rancher`"), "{report}");
    assert!(compilation.tree.is_empty());
}

/// A realisation with its own `port` renders `{{ port }}` as that port, not the kind's
/// (issue #10: the template context carried the kind's port).
#[test]
fn a_realisations_own_port_is_the_template_port() {
    let library = r#"
backing-kind "cache" {
    port 1000
    binding {
        env "CACHE_URL" key="url"
    }
    realise "in-cluster" {
        port 2000
        bind "url" value="cache://{{ name }}:{{ port }}"
    }
}
"#;
    let spec = r#"
platform "acme"
target "dc" cloud="onprem" {
    dns "apps.example.com"
}
environment "dev" target="dc"
domain "shop" {
    service "api" {
        image "registry.example.com/api" tag="1.0.0"
        port "http" 8080
        uses "sessions"
    }
    cache "sessions"
}
"#;
    let mut inputs = Inputs::spec("spec.kdl", spec.to_owned());
    inputs.libraries.push(SourceFile { name: "lib/cache.kdl".to_owned(), text: library.to_owned() });
    let compilation = compile(&inputs, &Options::default());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    let deployment =
        compilation.tree.get("dev/dc/shop/deployment-api.yaml").and_then(|a| a.object()).expect("the deployment");
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    let url = env.as_array().into_iter().flatten().find(|e| e["name"] == "CACHE_URL").expect("CACHE_URL");
    assert_eq!(url["value"], "cache://sessions:2000", "{env}");
}

/// The values a spec leaves out come from the library's `defaults` (no Rust fallback): a
/// library that changes the LimitRange, the probe thresholds, the autoscaler's target and
/// the cluster DNS changes the objects; the stdlib's are what an empty library gets.
#[test]
fn library_defaults_decide_the_limit_range_probes_autoscaler_and_dns() {
    let spec = r#"
platform "acme"
target "dc" cloud="plain" {
    dns "apps.example.com"
}
environment "dev" target="dc"
domain "shop" {
    service "api" {
        image "registry.example.com/api" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        scale min=2 max=4
    }
}
"#;
    let cloud = r#"cloud "plain" {
    exposure "ingress"
    fixed-uid #true
}
"#;
    let defaults = r#"defaults {
    probe timeout=7
    failure-threshold readiness=4 liveness=9 startup=40
    autoscale cpu-percent=65
    limit-range limit-cpu="750m" limit-memory="1Gi"
    dns-namespace "coredns"
    dns-port 1053
}
"#;
    let build = |with_defaults: bool| {
        let mut inputs = Inputs::spec("spec.kdl", spec.to_owned());
        inputs.libraries.push(SourceFile { name: "lib/plain.kdl".to_owned(), text: cloud.to_owned() });
        if with_defaults {
            inputs.libraries.push(SourceFile { name: "lib/defaults.kdl".to_owned(), text: defaults.to_owned() });
        }
        let compilation = compile(&inputs, &Options::default());
        let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
        assert!(!compilation.has_errors(), "{report}");
        let get = |file: &str| {
            compilation.tree.get(&format!("dev/dc/shop/{file}")).and_then(|a| a.object()).cloned().expect(file)
        };
        (
            get("limitrange-shop.yaml"),
            get("deployment-api.yaml"),
            get("horizontalpodautoscaler-api.yaml"),
            get("networkpolicy-api.yaml"),
        )
    };
    let dns_rule = |policy: &Value| {
        let egress = policy["spec"]["egress"].as_array().cloned().unwrap_or_default();
        egress.into_iter().find(|rule| rule["ports"][0]["protocol"] == "UDP").expect("a DNS rule")
    };
    let (limits, deployment, hpa, policy) = build(false);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(limits["spec"]["limits"][0]["default"], json!({"cpu": "500m", "memory": "512Mi"}));
    assert_eq!(container["readinessProbe"]["failureThreshold"], 3);
    assert_eq!(container["livenessProbe"]["timeoutSeconds"], 2);
    assert_eq!(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 80);
    let dns = dns_rule(&policy);
    assert_eq!(dns["ports"][0]["port"], 53, "{dns}");
    assert_eq!(dns["to"][0]["podSelector"]["matchLabels"], json!({"k8s-app": "kube-dns"}), "{dns}");

    let (limits, deployment, hpa, policy) = build(true);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    // Only the fields the library sets change: the requests stay the stdlib's.
    assert_eq!(limits["spec"]["limits"][0]["default"], json!({"cpu": "750m", "memory": "1Gi"}));
    assert_eq!(limits["spec"]["limits"][0]["defaultRequest"], json!({"cpu": "100m", "memory": "128Mi"}));
    assert_eq!(container["readinessProbe"]["failureThreshold"], 4);
    assert_eq!(container["livenessProbe"]["failureThreshold"], 9);
    assert_eq!(container["livenessProbe"]["timeoutSeconds"], 7);
    assert_eq!(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 65);
    let dns = dns_rule(&policy);
    assert_eq!(dns["ports"][0]["port"], 1053, "{dns}");
    assert_eq!(
        dns["to"][0]["namespaceSelector"]["matchLabels"],
        json!({"kubernetes.io/metadata.name": "coredns"}),
        "{dns}"
    );
    // Another namespace without labels: every pod of it, not the stdlib's kube-dns label.
    assert!(dns["to"][0]["podSelector"].get("matchLabels").is_none_or(|l| l == &json!({})), "{dns}");
}

/// A network plugin is library data: a library `cni` with an `egress-by-name` template
/// turns an `egress` without `cidr=` into that plugin's policy on targets naming it, with
/// no Rust change; a plugin without one leaves the warning.
#[test]
fn a_library_cni_decides_the_host_name_egress_policy() {
    let library = r##"
cni "meshnet" {
    description "A plugin with its own host-name egress policy"
    egress-by-name #"""
        apiVersion: policy.meshnet.example/v1
        kind: HostEgress
        spec:
          pods: {{ selector }}
          dns: {{ dns_namespace ~ ":" ~ dns_port }}
          hosts:
        {% for host in hosts %}
            - {{ host.host ~ ":" ~ host.port }}
        {% endfor %}
        """#
}
cni "plain" {
    description "NetworkPolicy only"
}
"##;
    let spec = |cni: &str| {
        format!(
            r#"
platform "acme"
target "dc" cloud="onprem" {{
    cni "{cni}"
    dns "apps.example.com"
    ingress-namespace "gateway-system"
}}
environment "dev" target="dc"
domain "shop" team="shop" {{
    service "api" {{
        image "registry.example.com/api" tag="1.0.0"
        port "http" 8080
        egress "api.payments.example" port=443
    }}
}}
"#
        )
    };
    let build = |cni: &str| {
        let mut inputs = Inputs::spec("spec.kdl", spec(cni));
        inputs.libraries.push(SourceFile { name: "lib/cnis.kdl".to_owned(), text: library.to_owned() });
        compile(&inputs, &Options::default())
    };
    let compilation = build("meshnet");
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{report}");
    assert!(!report.contains("unenforced_egress"), "{report}");
    let policy = compilation
        .tree
        .get("dev/dc/shop/hostegress-api-egress.yaml")
        .and_then(|a| a.object())
        .unwrap_or_else(|| panic!("no policy: {:?}", compilation.tree.keys().collect::<Vec<_>>()));
    assert_eq!(policy["metadata"]["name"], "api-egress");
    assert_eq!(policy["metadata"]["namespace"], "shop-dev");
    assert_eq!(policy["spec"]["hosts"], json!(["api.payments.example:443"]));
    assert_eq!(policy["spec"]["dns"], "kube-system:53");

    let compilation = build("plain");
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(report.contains("emit::unenforced_egress"), "{report}");
    assert!(!compilation.tree.keys().any(|path| path.contains("-egress.yaml")), "{:?}", compilation.tree.keys());
}

/// Apply order is library data: the stdlib's `defaults` annotate a migration Job and its
/// workload's controller for Argo CD and Helm; a library `defaults` that writes its own
/// `migration-annotation`s and `workload-annotation`s replaces each whole set (another
/// deployment tool's keys, none of the stdlib's left), and a key that is not an
/// annotation key is `model::invalid_value` at the library line.
#[test]
fn library_defaults_decide_the_apply_order_annotations() {
    let spec = r#"
platform "acme"
target "dc" cloud="onprem" {
    dns "apps.example.com"
}
environment "dev" target="dc"
domain "shop" {
    service "api" {
        image "registry.example.com/api" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        migrate {
            image "registry.example.com/api-migrations" tag="1.0.0"
        }
    }
}
"#;
    let compile_with = |defaults: Option<&str>| {
        let mut inputs = Inputs::spec("spec.kdl", spec.to_owned());
        if let Some(defaults) = defaults {
            inputs.libraries.push(SourceFile { name: "lib/defaults.kdl".to_owned(), text: defaults.to_owned() });
        }
        compile(&inputs, &Options::default())
    };
    let annotations = |defaults: Option<&str>| {
        let compilation = compile_with(defaults);
        let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
        assert!(!compilation.has_errors(), "{report}");
        let job = compilation.tree.iter().find(|(path, _)| path.starts_with("dev/dc/shop/job-api-migrate-"));
        let job = job.and_then(|(_, artifact)| artifact.object()).cloned().expect("the migration Job");
        let deployment = compilation.tree.get("dev/dc/shop/deployment-api.yaml").and_then(|a| a.object()).cloned();
        let deployment = deployment.expect("the Deployment");
        (job["metadata"]["annotations"].clone(), deployment["metadata"]["annotations"].clone())
    };
    let (job, deployment) = annotations(None);
    assert_eq!(job["argocd.argoproj.io/hook"], "Sync", "{job}");
    assert_eq!(job["argocd.argoproj.io/sync-wave"], "1", "{job}");
    assert_eq!(job["helm.sh/hook"], "post-install,pre-upgrade", "{job}");
    assert_eq!(deployment["argocd.argoproj.io/sync-wave"], "2", "{deployment}");

    let defaults = r#"defaults {
    migration-annotation "kapp.k14s.io/change-group" "acme/migrations"
    workload-annotation "kapp.k14s.io/change-rule" "upsert after upserting acme/migrations"
}
"#;
    let (job, deployment) = annotations(Some(defaults));
    assert_eq!(job["kapp.k14s.io/change-group"], "acme/migrations", "{job}");
    assert_eq!(deployment["kapp.k14s.io/change-rule"], "upsert after upserting acme/migrations", "{deployment}");
    for key in ["argocd.argoproj.io/hook", "argocd.argoproj.io/sync-wave", "helm.sh/hook", "helm.sh/hook-delete-policy"]
    {
        assert!(job.get(key).is_none(), "{key} left on the Job: {job}");
        assert!(deployment.get(key).is_none(), "{key} left on the Deployment: {deployment}");
    }

    let compilation = compile_with(Some("defaults {\n    migration-annotation \"not a key\" \"1\"\n}\n"));
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(compilation.has_errors(), "{report}");
    assert!(report.contains("model::invalid_value") && report.contains("lib/defaults.kdl:2"), "{report}");
}
