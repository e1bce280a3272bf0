//! Reachability: an independent checker proves the emitted NetworkPolicies allow exactly
//! the declared graph.
//!
//! [`checker`] reads only YAML text (each artifact rendered by `berth::output::yaml` and
//! parsed back) and evaluates Kubernetes NetworkPolicy semantics; it imports nothing from
//! Berth. [`expected`] reads the resolved estate for what the spec declares: every `uses`
//! edge on the callee's container ports, DNS, the ingress controller on exposed ports and
//! the monitoring scraper on metrics ports, plus `ipBlock` egress for `egress ... cidr=`.
//! Stand-in pods (DNS, controller, scraper, an intruder in every namespace and a twin of
//! every pod in a foreign namespace) make any widened selector visible, and a probe port
//! on every pod makes a widened port list visible. The checker compares three views: end
//! to end, the sources' egress alone and the destinations' ingress alone, so a rule
//! widened on one side only (still masked by the other side) is caught too.

mod checker;
mod expected;
mod generate;

use crate::examples::{compile_example, example_names};
use berth::driver::{Inputs, Options, compile};
use berth::emit::Body;
use berth::output::file;
use berth::output::report::{ReportFormat, render};
use checker::Conn;
use expected::{Case, PROBE_PORTS, cases};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Up to ten differences of each sign, for a readable failure.
fn difference(what: &str, found: &BTreeSet<Conn>, expected: &BTreeSet<Conn>) -> Option<String> {
    if found == expected {
        return None;
    }
    let extra: Vec<&Conn> = found.difference(expected).take(10).collect();
    let missing: Vec<&Conn> = expected.difference(found).take(10).collect();
    Some(format!("{what}: extra {extra:?}, missing {missing:?}"))
}

/// Every difference between what the checker finds and what the spec declares.
fn problems(case: &Case) -> Vec<String> {
    let matrix = case.cluster.matrix(PROBE_PORTS);
    let mut found = Vec::new();
    found.extend(difference("allowed", &matrix.allowed, &case.expected));
    found.extend(difference("egress", &matrix.egress, &case.expected_egress()));
    found.extend(difference("ingress", &matrix.ingress, &case.expected_ingress()));
    let ingress = case.cluster.external_ingress();
    if ingress != case.expected_external_ingress {
        found.push(format!("external ingress: found {ingress:?}, expected {:?}", case.expected_external_ingress));
    }
    // Every Service of a workload, the preview and canary Services of a Rollout
    // included, sends to exactly that workload's pods on container ports they have: what
    // reaches the Service reaches those pods, whose traffic the matrix above proves.
    for (service, (pod, ports)) in &case.expected_services {
        let want = vec![(pod.clone(), ports.iter().map(|p| Some(*p)).collect::<Vec<_>>())];
        let endpoints = case.cluster.service_endpoints(service);
        if endpoints != want {
            found.push(format!("service {service}: sends to {endpoints:?}, expected {want:?}"));
        }
    }
    let external = case.cluster.external_egress();
    if external != case.expected_external {
        found.push(format!("external egress: found {external:?}, expected {:?}", case.expected_external));
    }
    found
}

fn assert_exact(label: &str, compilation: &berth::driver::Compilation) -> usize {
    let mut connections = 0;
    for case in cases(compilation) {
        let problems = problems(&case);
        assert!(problems.is_empty(), "{label}, target {}:\n{}", case.target, problems.join("\n"));
        connections += case.expected.len();
    }
    connections
}

#[test]
fn every_example_allows_exactly_its_declared_graph() {
    for name in example_names() {
        let compilation = compile_example(&name);
        let connections = assert_exact(&name, &compilation);
        assert!(connections > 0, "{name}: nothing declared");
    }
}

#[test]
fn random_specs_allow_exactly_their_declared_graph() {
    for (seed, services) in [(1, 3), (7, 12), (42, 40), (99, 200)] {
        let started = std::time::Instant::now();
        let generated = generate::spec(seed, services);
        let compilation =
            compile(&Inputs::spec(format!("gen-{seed}.kdl"), generated.text.clone()), &Options::default());
        assert!(
            !compilation.has_errors(),
            "seed {seed}: generated spec has errors:\n{}\n{}",
            render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false),
            generated.text
        );
        let estate = compilation.estate.as_ref().expect("estate");
        // Every generated edge is in the estate (in the first environment nothing is disabled).
        let bound: usize = estate.views[0].domains.iter().flat_map(|d| &d.workloads).map(|w| w.uses.len()).sum();
        assert_eq!(bound, generated.edges, "seed {seed}: edges bound");
        assert_exact(&format!("seed {seed}"), &compilation);
        eprintln!("seed {seed}, {services} services: {:?}", started.elapsed());
    }
}

/// Every way to weaken or widen one rule of one policy, as (description, altered policy).
fn mutations(policy: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for section in ["ingress", "egress"] {
        let peers_key = if section == "ingress" { "from" } else { "to" };
        let count = policy["spec"][section].as_array().map_or(0, Vec::len);
        for index in 0..count {
            let mut dropped = policy.clone();
            if let Some(rules) = dropped["spec"][section].as_array_mut() {
                rules.remove(index);
            }
            out.push((format!("drop {section} rule {index}"), dropped));

            let mut all_ports = policy.clone();
            if let Some(rule) = all_ports["spec"][section][index].as_object_mut() {
                rule.remove("ports");
            }
            out.push((format!("all ports in {section} rule {index}"), all_ports));

            let peers = policy["spec"][section][index][peers_key].as_array().map_or(0, Vec::len);
            for peer in 0..peers {
                if policy["spec"][section][index][peers_key][peer].get("ipBlock").is_some() {
                    // An ipBlock peer takes no selectors; widen its range instead.
                    let mut widened = policy.clone();
                    widened["spec"][section][index][peers_key][peer]["ipBlock"]["cidr"] = json!("0.0.0.0/0");
                    out.push((format!("widen ipBlock of {section} rule {index} peer {peer}"), widened));
                    continue;
                }
                for selector in ["podSelector", "namespaceSelector"] {
                    let mut widened = policy.clone();
                    widened["spec"][section][index][peers_key][peer][selector] = json!({});
                    out.push((format!("empty {selector} of {section} rule {index} peer {peer}"), widened));
                }
            }
        }
    }
    // A workload policy's policy types are backed by the default-deny (defence in depth):
    // only the default-deny's must matter on their own.
    let default_deny = policy["metadata"]["name"] == "default-deny";
    for kind in ["Ingress", "Egress"].into_iter().filter(|_| default_deny) {
        let mut unisolated = policy.clone();
        if let Some(types) = unisolated["spec"]["policyTypes"].as_array_mut() {
            types.retain(|t| t != kind);
        }
        out.push((format!("no {kind} policy type"), unisolated));
    }
    // Only changes count: widening an already empty selector is no mutation.
    out.retain(|(_, altered)| altered != policy);
    out
}

/// Each single-rule change to any NetworkPolicy of online-boutique and enterprise (drop
/// a rule, open all its ports, empty one of its selectors, drop the whole policy, drop a
/// policy type of the default-deny) makes the checker report a difference.
#[test]
fn the_checker_notices_every_dropped_or_widened_rule() {
    let mut tried = 0;
    for name in ["online-boutique", "enterprise"] {
        let compilation = compile_example(name);
        let estate = compilation.estate.as_ref().expect("estate");
        // Mutate the policies of one environment: enough, and keeps the test fast.
        let first_env = format!("{}/", estate.views[0].env);
        let base = cases(&compilation);
        for (path, artifact) in &compilation.tree {
            let Some(object) = artifact.object().filter(|o| o["kind"] == "NetworkPolicy") else { continue };
            if !path.starts_with(&first_env) {
                continue;
            }
            let mut changes = mutations(object);
            changes.push(("drop the policy".to_owned(), Value::Null));
            let target = path.split('/').nth(1).unwrap_or_default();
            let case = base.iter().find(|case| case.target == target).expect("a case per target");
            let position = case
                .cluster
                .policies
                .iter()
                .position(|p| p["metadata"] == object["metadata"])
                .expect("the checker read the policy");
            for (change, altered) in changes {
                // Only this policy changes: re-render it and hand the checker its text.
                let mut cluster = case.cluster.clone();
                if altered.is_null() {
                    cluster.policies.remove(position);
                } else {
                    let mut changed = artifact.clone();
                    changed.body = Body::Object(altered);
                    let text = file::render(&changed);
                    cluster.policies[position] = serde_saphyr::from_str(&text).expect("YAML parses");
                }
                let mutated = Case { cluster, ..case.clone() };
                let noticed = !problems(&mutated).is_empty();
                assert!(noticed, "{name}: {path}: `{change}` went unnoticed");
                tried += 1;
            }
        }
    }
    assert!(tried > 100, "only {tried} mutations tried");
}

/// The CiliumNetworkPolicy of the enterprise example (AKS target with `cni "cilium"`)
/// allows the live PSP by name on 443 and keeps DNS inspection for FQDN policies.
#[test]
fn host_name_egress_becomes_a_cilium_policy() {
    let compilation = compile_example("enterprise");
    let policy = &compilation
        .tree
        .get("dr/azure/payment/ciliumnetworkpolicy-payment-api-egress.yaml")
        .expect("a CiliumNetworkPolicy for payment-api in dr")
        .object()
        .expect("a Kubernetes object");
    let egress = &policy["spec"]["egress"];
    assert_eq!(egress[0]["toPorts"][0]["rules"]["dns"], json!([{"matchPattern": "*"}]));
    assert_eq!(egress[1]["toFQDNs"], json!([{"matchName": "psp.example.net"}]));
    assert_eq!(egress[1]["toPorts"][0]["ports"], json!([{"port": "443", "protocol": "TCP"}]));
    // It matches the bundled cilium.io/v2 CRD schema (crds.rs also checks it closed
    // against unknown fields, with every other custom resource of the examples).
    let schema_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/crds/cilium.io/ciliumnetworkpolicy_v2.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema builds");
    let errors: Vec<String> = validator.iter_errors(policy).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The OpenShift views have no Cilium: only the sandbox range, as an ipBlock.
    assert!(!compilation.tree.keys().any(|p| p.contains("onprem") && p.contains("ciliumnetworkpolicy")));
}

/// Without `cidr=` on a target that is not Cilium, the build warns once per target,
/// pointing at the `egress`, and says how to fix it.
#[test]
fn host_name_egress_without_cilium_warns() {
    let text = r#"platform "p" { registry "r.example.internal/p" }
target "t" cloud="eks" { dns "apps.example.com" }
environment "dev" target="t"
environment "prod" target="t"
domain "pay" team="pay-team" {
    service "api" {
        image "api" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        resources cpu="100m" memory="128Mi"
        egress "psp.example.net" port=443
    }
}
"#;
    let compilation = compile(&Inputs::spec("warn.kdl", text), &Options::default());
    assert!(!compilation.has_errors());
    let report = render(&compilation.sources, &compilation.diagnostics, ReportFormat::Plain, false);
    assert_eq!(report.matches("emit::unenforced_egress").count(), 1, "{report}");
    assert!(report.contains("emit::unenforced_egress"), "{report}");
    assert!(report.contains("egress to `psp.example.net` port 443 is not enforced on target `t`"), "{report}");
    assert!(report.contains("cidr="), "{report}");
    assert!(!compilation.tree.keys().any(|p| p.contains("ciliumnetworkpolicy")));
}

#[test]
fn port_exposures_admit_exactly_their_ranges() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/exposure/load-balancer.kdl");
    let text = std::fs::read_to_string(path).unwrap();
    let compilation = compile(&Inputs::spec("load-balancer.kdl", text), &Options::default());
    assert!(!compilation.has_errors());
    assert_exact("exposure/load-balancer.kdl", &compilation);
    // The declared ranges are really there: four targets, each with its ranges.
    let cases = cases(&compilation);
    assert_eq!(cases.len(), 4);
    for case in &cases {
        assert!(
            case.expected_external_ingress.iter().any(|(cidr, _, port, _)| cidr == "203.0.113.0/24" && *port == 6000),
            "{}: {:?}",
            case.target,
            case.expected_external_ingress
        );
    }
}
