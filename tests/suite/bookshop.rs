//! The bookshop example runs without a hand edit: every variable its services read is in
//! their containers with the right value in every environment, and every `$(VAR)` the
//! kubelet expands names a variable set before it.

use crate::examples::compile_example;
use berth::emit::ArtifactTree;
use serde_json::Value;

/// The pod spec of a Deployment or CronJob.
fn pod_spec<'t>(tree: &'t ArtifactTree, path: &str) -> &'t Value {
    let object = tree.get(path).and_then(|a| a.object()).unwrap_or_else(|| panic!("no object {path}"));
    let spec = &object["spec"];
    if spec["jobTemplate"].is_object() {
        &spec["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &spec["template"]["spec"]
    }
}

/// The container's variables in order: name and a readable value (a literal, or
/// `secret:<name>/<key>`, `field:<path>`, `config:<key>` for the ConfigMap loaded whole).
fn variables(tree: &ArtifactTree, path: &str) -> Vec<(String, String)> {
    let container = &pod_spec(tree, path)["containers"][0];
    let mut out = Vec::new();
    for source in container["envFrom"].as_array().into_iter().flatten() {
        let name = source["configMapRef"]["name"].as_str().unwrap();
        let config_path = path.rsplit_once('/').map(|(dir, _)| format!("{dir}/configmap-{name}.yaml")).unwrap();
        let config = tree.get(&config_path).and_then(|a| a.object()).unwrap();
        for (key, value) in config["data"].as_object().unwrap() {
            out.push((key.clone(), format!("config:{}", value.as_str().unwrap())));
        }
    }
    for entry in container["env"].as_array().into_iter().flatten() {
        let from = &entry["valueFrom"];
        let value = if let Some(value) = entry["value"].as_str() {
            value.to_owned()
        } else if from["secretKeyRef"].is_object() {
            format!(
                "secret:{}/{}",
                from["secretKeyRef"]["name"].as_str().unwrap(),
                from["secretKeyRef"]["key"].as_str().unwrap()
            )
        } else {
            format!("field:{}", from["fieldRef"]["fieldPath"].as_str().unwrap())
        };
        out.push((entry["name"].as_str().unwrap().to_owned(), value));
    }
    out
}

/// `$(NAME)` references of a value (`$$` escapes).
fn references(value: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
        } else if let Some(open) = after.strip_prefix('(')
            && let Some(close) = open.find(')')
        {
            names.push(open[..close].to_owned());
            rest = &open[close + 1..];
        } else {
            rest = after;
        }
    }
    names
}

fn value<'v>(vars: &'v [(String, String)], name: &str) -> &'v str {
    vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no `{name}` in {vars:?}"))
}

#[test]
fn bookshop_variables_are_complete_and_right_in_every_environment() {
    let tree = compile_example("bookshop").tree;
    for env in ["dev", "prod"] {
        let path = |domain: &str, kind: &str, name: &str| format!("{env}/dc1/{domain}/{kind}-{name}.yaml");
        // Every reference the kubelet expands names a variable set before it (env) or
        // loaded whole (envFrom); `args` may name any variable of the container.
        for (domain, kind, name) in [
            ("catalog", "deployment", "catalog-api"),
            ("orders", "deployment", "orders-api"),
            ("orders", "cronjob", "orders-export"),
            ("web", "deployment", "storefront"),
        ] {
            let path = path(domain, kind, name);
            let vars = variables(&tree, &path);
            for (index, (var, val)) in vars.iter().enumerate() {
                for named in references(val) {
                    assert!(
                        vars[..index].iter().any(|(n, _)| *n == named),
                        "{path}: `{var}` names `$({named})` before it is set"
                    );
                }
            }
            let args = pod_spec(&tree, &path)["containers"][0]["args"].as_array().cloned().unwrap_or_default();
            for arg in args.iter().filter_map(Value::as_str) {
                for named in references(arg) {
                    assert!(vars.iter().any(|(n, _)| *n == named), "{path}: args name `$({named})`, which is not set");
                }
            }
        }

        let catalog = variables(&tree, &path("catalog", "deployment", "catalog-api"));
        assert_eq!(value(&catalog, "SPRING_DATASOURCE_URL"), "jdbc:postgresql://$(PGHOST):$(PGPORT)/$(PGDATABASE)");
        assert_eq!(value(&catalog, "PGHOST"), "secret:catalog-db-app/host");
        assert_eq!(value(&catalog, "SPRING_DATASOURCE_USERNAME"), "secret:catalog-db-app/username");
        assert_eq!(value(&catalog, "SPRING_DATASOURCE_PASSWORD"), "secret:catalog-db-app/password");
        assert_eq!(value(&catalog, "SPRING_CONFIG_ADDITIONAL_LOCATION"), "config:file:/config/");

        let orders = variables(&tree, &path("orders", "deployment", "orders-api"));
        assert_eq!(
            value(&orders, "ORDERS_DB_URI"),
            "postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)"
        );
        assert_eq!(value(&orders, "PGPASSWORD"), "secret:orders-db-app/password");
        assert_eq!(value(&orders, "CATALOG_URL"), format!("http://catalog-api.catalog-{env}.svc:8080/api/v1"));
        assert_eq!(value(&orders, "POD_NAMESPACE"), "field:metadata.namespace");
        assert_eq!(value(&orders, "CALLBACK_URL"), "http://orders-api.$(POD_NAMESPACE).svc:8000/callbacks");
        assert_eq!(value(&orders, "SENTRY_DSN"), "secret:orders-api-secrets/SENTRY_DSN");
        assert_eq!(value(&orders, "LOG_FORMAT"), "config:json");
        assert_eq!(value(&orders, "JWT_KEY_DIR"), "config:/etc/jwt");

        let export = variables(&tree, &path("orders", "cronjob", "orders-export"));
        assert_eq!(value(&export, "LOG_FORMAT"), "config:json");
        assert_eq!(value(&export, "SENTRY_DSN"), "secret:orders-export-secrets/SENTRY_DSN");
        assert_eq!(value(&export, "ORDERS_DB_URI"), value(&orders, "ORDERS_DB_URI"));

        let storefront = variables(&tree, &path("web", "deployment", "storefront"));
        assert_eq!(value(&storefront, "CATALOG_ADDR"), format!("catalog-api.catalog-{env}.svc:8080"));
        assert_eq!(value(&storefront, "ORDERS_ADDR"), format!("orders-api.orders-{env}.svc:8000"));

        // The signing keys and the Spring configuration are files, not variables.
        let orders_pod = pod_spec(&tree, &path("orders", "deployment", "orders-api"));
        let mount = orders_pod["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == "/etc/jwt")
            .unwrap();
        assert_eq!(mount["readOnly"], true);
        assert!(tree.contains_key(&path("orders", "externalsecret", "orders-api-files-1")));
        assert!(tree.contains_key(&path("catalog", "configmap", "catalog-api-files-1")));
    }
}

#[test]
fn bookshop_pod_settings_reach_the_pod_template() {
    let tree = compile_example("bookshop").tree;
    for env in ["dev", "prod"] {
        let path = |domain: &str, kind: &str, name: &str| format!("{env}/dc1/{domain}/{kind}-{name}.yaml");
        let catalog_path = path("catalog", "deployment", "catalog-api");
        let catalog = tree.get(&catalog_path).and_then(|a| a.object()).unwrap();
        let template = &catalog["spec"]["template"];
        assert_eq!(template["metadata"]["annotations"]["prometheus.io/port"], "8081");
        assert_eq!(template["spec"]["terminationGracePeriodSeconds"], 45);
        let resources = &template["spec"]["containers"][0]["resources"];
        assert_eq!(resources["requests"]["ephemeral-storage"], "256Mi");
        assert_eq!(resources["limits"]["ephemeral-storage"], "1Gi");
        // The production pool only in production.
        let pool = &template["spec"]["nodeSelector"]["node.bookshop.example.com/pool"];
        assert_eq!(pool.as_str(), (env == "prod").then_some("memory"));

        let export = pod_spec(&tree, &path("orders", "cronjob", "orders-export"));
        assert_eq!(export["nodeSelector"]["node.bookshop.example.com/pool"], "batch");
        assert_eq!(export["tolerations"][0]["operator"], "Exists");
        let tmp = export["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "tmp").unwrap();
        assert_eq!(tmp["emptyDir"]["medium"], "Memory");
        // 128Mi for the program plus the 64Mi tmpfs.
        assert_eq!(export["containers"][0]["resources"]["limits"]["memory"], "192Mi");

        let storefront_path = path("web", "deployment", "storefront");
        let storefront = tree.get(&storefront_path).and_then(|a| a.object()).unwrap();
        let labels = &storefront["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["sidecar.istio.io/inject"], "false");
        assert_eq!(labels["app.kubernetes.io/name"], "storefront");
    }
}

#[test]
fn bookshop_point_of_sale_terminals_reach_the_gateway_over_tcp() {
    let tree = compile_example("bookshop").tree;
    for (env, kind, range) in [("dev", "NodePort", "198.51.100.0/24"), ("prod", "LoadBalancer", "192.0.2.0/24")] {
        let path = |kind: &str, name: &str| format!("{env}/dc1/orders/{kind}-{name}.yaml");
        let service = tree.get(&path("service", "pos-gateway-pos")).and_then(|a| a.object()).unwrap();
        assert_eq!(service["spec"]["type"], kind);
        assert_eq!(service["spec"]["ports"][0]["port"], 515);
        assert_eq!(service["spec"]["externalTrafficPolicy"], "Local");
        let policy = tree.get(&path("networkpolicy", "pos-gateway")).and_then(|a| a.object()).unwrap();
        let admits = policy["spec"]["ingress"].as_array().unwrap().iter().any(|rule| {
            rule["from"].as_array().into_iter().flatten().any(|peer| peer["ipBlock"]["cidr"] == range)
                && rule["ports"][0]["port"] == 515
        });
        assert!(admits, "{env}: no ingress from {range} on 515: {policy}");
        let container = &pod_spec(&tree, &path("deployment", "pos-gateway"))["containers"][0];
        assert_eq!(container["securityContext"]["capabilities"]["add"][0], "NET_BIND_SERVICE");
        assert_eq!(container["securityContext"]["capabilities"]["drop"][0], "ALL");
        let orders = variables(&tree, &path("deployment", "pos-gateway"));
        assert_eq!(value(&orders, "ORDERS_ADDR"), format!("orders-api.orders-{env}.svc:8000"));
    }
}
