//! Monitoring (`tests/fixtures/monitoring/*.kdl`): the monitors, PrometheusRules and
//! dashboards a spec's `metrics=#true` ports, `http-metrics` and `slo` become, snapshotted;
//! and the properties the snapshots alone would not make plain: the burn-rate factors of
//! the SRE workbook, the team label, the dashboard's JSON, a `--lib` template override,
//! and the AnalysisTemplate an `slo` becomes where a Rollout owns the pods.

use berth::driver::{Compilation, Inputs, Options, compile};
use berth::emit::{ArtifactTree, Body};
use berth::output::listing::listing;
use berth::output::report::{ReportFormat, render};
use serde_json::Value;

/// The file kinds monitoring emits.
/// The file kinds monitoring emits, and the Rollouts an AnalysisTemplate gates.
const KINDS: [&str; 6] =
    ["/servicemonitor-", "/podmonitor-", "/prometheusrule-", "/analysistemplate-", "/rollout-", "-dashboard.yaml"];

fn fixture(name: &str) -> Compilation {
    let path = format!("{}/fixtures/monitoring/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    compile(&Inputs::spec(name.to_owned(), text), &Options::default())
}

fn object<'c>(compilation: &'c Compilation, suffix: &str) -> &'c Value {
    let artifact = compilation.tree.iter().find(|(path, _)| path.ends_with(suffix)).map(|(_, a)| a);
    match artifact.map(|a| &a.body) {
        Some(Body::Object(value)) => value,
        _ => panic!("no object at *{suffix}"),
    }
}

#[test]
fn monitoring_fixtures() {
    insta::glob!("../fixtures", "monitoring/*.kdl", |path| {
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
        assert!(!tree.is_empty(), "{name} emitted no monitoring objects");
        let mut out = listing(&tree);
        out.push_str("── diagnostics ──\n");
        out.push_str(if diagnostics.is_empty() { "(none)\n" } else { &diagnostics });
        insta::assert_snapshot!(out);
    });
}

/// The four burn rates of a 30-day budget are the workbook's 14.4, 6, 3 and 1, each long
/// window paired with its short one; alerts carry the domain's team and a severity.
#[test]
fn burn_rate_alerts_follow_the_workbook() {
    let compilation = fixture("slo.kdl");
    let rule = object(&compilation, "/prometheusrule-checkout-slo.yaml");
    let alerts = rule.pointer("/spec/groups/1/rules").and_then(Value::as_array).unwrap();
    assert_eq!(alerts.len(), 4, "page and ticket, for availability and latency");
    let page = alerts[0]["expr"].as_str().unwrap();
    for pair in ["ratio_rate1h{", "ratio_rate5m{", "ratio_rate6h{", "ratio_rate30m{", "(14.4 * 0.001)", "(6 * 0.001)"] {
        assert!(page.contains(pair), "page alert lacks {pair}: {page}");
    }
    let ticket = alerts[1]["expr"].as_str().unwrap();
    for pair in ["ratio_rate1d{", "ratio_rate2h{", "ratio_rate3d{", "ratio_rate6h{", "(3 * 0.001)", "(1 * 0.001)"] {
        assert!(ticket.contains(pair), "ticket alert lacks {pair}: {ticket}");
    }
    let latency = alerts[2]["expr"].as_str().unwrap();
    assert!(latency.contains("slo_slow_requests") && latency.contains("(14.4 * 0.01)"), "{latency}");
    for (alert, severity) in alerts.iter().zip(["page", "ticket", "page", "ticket"]) {
        assert_eq!(alert["labels"]["severity"], severity);
        assert_eq!(alert["labels"]["team"], "shop-team");
    }
}

/// A shorter window scales the factors: 2 % of a 7-day budget in an hour is 3.36 times
/// the budget rate.
#[test]
fn burn_rate_factors_scale_with_the_window() {
    let path = format!("{}/fixtures/monitoring/slo.kdl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap().replace("window=\"30d\"", "window=\"7d\"");
    let compilation = compile(&Inputs::spec("slo.kdl".to_owned(), text), &Options::default());
    assert!(!compilation.has_errors());
    let rule = object(&compilation, "/prometheusrule-checkout-slo.yaml");
    let page = rule.pointer("/spec/groups/1/rules/0/expr").and_then(Value::as_str).unwrap();
    assert!(page.contains("(3.36 * 0.001)") && page.contains("(1.4 * 0.001)"), "{page}");
}

/// The dashboard is a ConfigMap with Grafana's sidecar label holding valid dashboard
/// JSON: a row and three panels per workload with HTTP metrics.
#[test]
fn the_dashboard_is_grafana_json() {
    let compilation = fixture("slo.kdl");
    let map = object(&compilation, "/configmap-shop-dashboard.yaml");
    assert_eq!(map["metadata"]["labels"]["grafana_dashboard"], "1");
    let json: Value = serde_json::from_str(map["data"]["shop.json"].as_str().unwrap()).unwrap();
    let panels = json["panels"].as_array().unwrap();
    assert_eq!(panels.len(), 8, "checkout and mailer: a row and three panels each");
    let ids: std::collections::BTreeSet<i64> = panels.iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    let exprs: Vec<&str> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .map(|t| t["expr"].as_str().unwrap())
        .collect();
    assert!(
        exprs
            .iter()
            .any(|e| e.contains("http_server_requests_seconds_count{namespace=\"shop-prod\",workload=\"checkout\""))
    );
    assert!(exprs.iter().any(|e| e.contains("histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace=\"shop-prod\",workload=\"mailer\"}")));
}

/// A platform team replaces one template with `--lib`: the others stay the stdlib's.
#[test]
fn a_library_replaces_a_monitoring_template() {
    let path = format!("{}/fixtures/monitoring/slo.kdl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let library = r##"
monitoring {
    pod-monitor #"""
        apiVersion: monitoring.coreos.com/v1
        kind: PodMonitor
        metadata:
          name: [= name =]-custom
        spec:
          selector:
            matchLabels:
              app.kubernetes.io/name: [= name =]
          podMetricsEndpoints:
            - port: [= ports[0].name =]
        """#
}
"##;
    let mut inputs = Inputs::spec("slo.kdl".to_owned(), text);
    inputs
        .libraries
        .push(berth::diag::SourceFile { name: "platform-lib/monitoring.kdl".to_owned(), text: library.to_owned() });
    let compilation = compile(&inputs, &Options::default());
    let diagnostics = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{diagnostics}");
    assert!(compilation.tree.keys().any(|p| p.ends_with("/podmonitor-mailer-custom.yaml")));
    assert!(!compilation.tree.keys().any(|p| p.ends_with("/podmonitor-mailer.yaml")));
    assert!(compilation.tree.keys().any(|p| p.ends_with("/servicemonitor-checkout.yaml")), "the stdlib's stays");
}

/// The `analysis` step or blue-green analysis of a Rollout: the template it names and the
/// argument it passes.
fn gate(analysis: &Value) -> (&str, &Value) {
    let name = analysis.pointer("/templates/0/templateName").and_then(Value::as_str).unwrap_or_default();
    (name, &analysis["args"])
}

/// Each canary weight is followed by the analysis of the `slo`, before its pause; the
/// blue-green switch waits for it (pre-promotion) and is undone by it (post-promotion).
/// The Rollout names the AnalysisTemplate emitted next to it and passes the new pods'
/// pod-template hash, which the template declares. A Rollout without `slo` is not gated.
#[test]
fn an_slo_gates_each_canary_step_and_the_blue_green_switch() {
    let compilation = fixture("analysis.kdl");
    let hash = serde_json::json!([{ "name": "pod-hash", "valueFrom": { "podTemplateHashValue": "Latest" } }]);
    for env in ["prod/aws", "dr/azure"] {
        let template = object(&compilation, &format!("{env}/order/analysistemplate-order-api-slo.yaml"));
        assert_eq!(template["kind"], "AnalysisTemplate");
        assert_eq!(template["spec"]["args"], serde_json::json!([{ "name": "pod-hash" }]));
    }
    let canary = object(&compilation, "prod/aws/order/rollout-order-api.yaml");
    let steps = canary.pointer("/spec/strategy/canary/steps").and_then(Value::as_array).unwrap();
    let kinds: Vec<&str> = steps.iter().map(|step| step.as_object().unwrap().keys().next().unwrap().as_str()).collect();
    assert_eq!(kinds, ["setWeight", "analysis", "pause", "setWeight", "analysis", "pause"]);
    for step in steps.iter().filter_map(|step| step.get("analysis")) {
        assert_eq!(gate(step), ("order-api-slo", &hash));
    }
    let blue_green = object(&compilation, "dr/azure/order/rollout-order-api.yaml");
    for when in ["prePromotionAnalysis", "postPromotionAnalysis"] {
        let analysis = &blue_green["spec"]["strategy"]["blueGreen"][when];
        assert_eq!(gate(analysis), ("order-api-slo", &hash), "{when}");
    }
    for path in ["prod/aws/order/rollout-order-query.yaml", "dr/azure/order/rollout-order-query.yaml"] {
        let text = object(&compilation, path).to_string();
        assert!(!text.contains("nalysis"), "{path} has no slo and no analysis: {text}");
    }
    assert!(!compilation.tree.keys().any(|p| p.contains("analysistemplate-order-query")));
}

/// The conditions are the error budgets of the objectives (99.5 %: 0.005 failed; a p95
/// under 250 ms: 0.05 slow), on the new pods' requests only, and a measurement with no
/// requests reads 0 rather than nothing.
#[test]
fn analysis_conditions_are_the_slo_budgets_on_the_new_pods() {
    let compilation = fixture("analysis.kdl");
    let template = object(&compilation, "prod/aws/order/analysistemplate-order-api-slo.yaml");
    let metrics = template["spec"]["metrics"].as_array().unwrap();
    let conditions: Vec<(&str, &str)> =
        metrics.iter().map(|m| (m["name"].as_str().unwrap(), m["successCondition"].as_str().unwrap())).collect();
    assert_eq!(conditions, [("error-ratio", "result[0] <= 0.005"), ("slow-ratio", "result[0] <= 0.05")]);
    for metric in metrics {
        let prometheus = &metric["provider"]["prometheus"];
        assert_eq!(prometheus["address"], "http://prometheus-operated.monitoring.svc:9090");
        let query = prometheus["query"].as_str().unwrap();
        let selector = r#"namespace="order-prod",workload="order-api",rollouts_pod_template_hash="{{args.pod-hash}}""#;
        assert!(query.contains(selector), "{query}");
        assert!(query.trim_end().ends_with("or vector(0)"), "{query}");
    }
    assert!(metrics[0]["provider"]["prometheus"]["query"].as_str().unwrap().contains(r#"code=~"5..""#));
    assert!(metrics[1]["provider"]["prometheus"]["query"].as_str().unwrap().contains(r#"le=~"0[.]25""#));
    // The monitors copy the pod label the queries select on.
    let monitor = object(&compilation, "prod/aws/order/podmonitor-order-api.yaml");
    let relabelings = monitor.pointer("/spec/podMetricsEndpoints/0/relabelings").unwrap().to_string();
    assert!(relabelings.contains("__meta_kubernetes_pod_label_rollouts_pod_template_hash"), "{relabelings}");
}

/// A library `analysis` template that renders another name (or no `pod-hash` argument)
/// would leave the Rollout naming what does not exist: `emit::monitoring_template`.
#[test]
fn a_library_analysis_template_keeps_what_the_rollout_names() {
    let path = format!("{}/fixtures/monitoring/analysis.kdl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    for (metadata, args, expected) in [
        ("[= name =]-gate", "[= pod_hash_arg =]", "names the AnalysisTemplate `order-api-slo`"),
        ("[= analysis =]", "hash", "passes the argument `pod-hash`"),
    ] {
        let library = format!(
            "monitoring {{\n    analysis #\"\"\"\n        apiVersion: argoproj.io/v1alpha1\n        kind: AnalysisTemplate\n        metadata:\n          name: {metadata}\n        spec:\n          args:\n            - name: {args}\n          metrics: []\n        \"\"\"#\n}}\n"
        );
        let mut inputs = Inputs::spec("analysis.kdl".to_owned(), text.clone());
        inputs
            .libraries
            .push(berth::diag::SourceFile { name: "platform-lib/monitoring.kdl".to_owned(), text: library });
        let compilation = compile(&inputs, &Options::default());
        let found: Vec<(String, String)> = compilation
            .diagnostics
            .sorted()
            .iter()
            .map(|d| (d.diagnostic.code().map(|c| c.to_string()).unwrap_or_default(), d.diagnostic.to_string()))
            .collect();
        assert!(
            found.iter().any(|(code, message)| code == "emit::monitoring_template" && message.contains(expected)),
            "{found:?}"
        );
    }
}

/// The in-cluster realisations with an exporter (CloudNativePG, Strimzi, RabbitMQ) get its
/// PodMonitor where Prometheus runs, and their NetworkPolicy admits the monitoring pods on
/// the exporter's port and no other; where no Prometheus runs, neither.
#[test]
fn backing_services_get_their_exporters_monitor_where_prometheus_runs() {
    let compilation = fixture("backing.kdl");
    let diagnostics = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert!(!compilation.has_errors(), "{diagnostics}");
    for (backing, selector, port, number) in [
        ("orders-db", "cnpg.io/cluster", "metrics", 9187),
        ("events", "strimzi.io/cluster", "tcp-prometheus", 9404),
        ("jobs", "app.kubernetes.io/name", "prometheus", 15692),
    ] {
        let monitor = object(&compilation, &format!("prod/onprem/shop/podmonitor-{backing}-exporter.yaml"));
        assert_eq!(monitor["spec"]["selector"]["matchLabels"][selector], backing);
        assert_eq!(monitor["spec"]["podMetricsEndpoints"], serde_json::json!([{ "port": port }]));
        let policy = object(&compilation, &format!("prod/onprem/shop/networkpolicy-{backing}.yaml"));
        let scrape: Vec<&Value> = policy["spec"]["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|rule| rule.to_string().contains("\"monitoring\""))
            .collect();
        assert_eq!(scrape.len(), 1, "{policy}");
        assert_eq!(scrape[0]["ports"], serde_json::json!([{ "port": number, "protocol": "TCP" }]));
        assert!(
            !compilation.tree.keys().any(|p| p.starts_with("dev/") && p.contains(&format!("podmonitor-{backing}")))
        );
        let dev = object(&compilation, &format!("dev/lab/shop/networkpolicy-{backing}.yaml"));
        assert!(!dev.to_string().contains("\"monitoring\""), "{dev}");
    }
    // Strimzi serves the metrics the monitor scrapes only with a metrics reporter.
    let kafka = object(&compilation, "prod/onprem/shop/kafka-events.yaml");
    assert_eq!(kafka["spec"]["kafka"]["metricsConfig"]["type"], "strimziMetricsReporter");
}
