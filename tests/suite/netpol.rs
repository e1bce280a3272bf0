//! NetworkPolicies of the bundled examples: every namespace has a default-deny, every
//! pod is selected by a policy with both ingress and egress sections, and every `uses`
//! edge between workloads opens exactly one egress rule on the caller and one ingress
//! rule on the callee, on the callee's container ports.

use crate::examples::compile_example;
use berth::emit::ArtifactTree;
use berth::model::{PortProtocol, WorkloadKind};
use berth::resolve::{Estate, ResolvedWorkload, UseTarget, View};
use serde_json::{Value, json};

/// The examples with workload-to-workload `uses` edges: same-domain on GKE, and
/// cross-domain on OpenShift and EKS.
const EXAMPLES: &[&str] = &["hello", "online-boutique", "enterprise"];

fn compiled(name: &str) -> (Estate, ArtifactTree) {
    let compilation = compile_example(name);
    let estate = compilation.estate.expect("an example without errors has an estate");
    (estate, compilation.tree)
}

fn policy<'t>(tree: &'t ArtifactTree, view: &View, domain: &str, name: &str) -> &'t Value {
    let path = format!("{}/{}/{domain}/networkpolicy-{name}.yaml", view.env, view.target);
    tree.get(&path)
        .unwrap_or_else(|| panic!("missing {path}"))
        .object()
        .unwrap_or_else(|| panic!("{path} is not a Kubernetes object"))
}

/// The peer that selects `workload`'s pods in `namespace`, as the emitter must write it:
/// namespace and pod selector in one element.
fn workload_peer(view: &View, namespace: &str, workload: &ResolvedWorkload) -> Value {
    json!({
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "podSelector": {"matchLabels": {
            "app.kubernetes.io/name": workload.name,
            "app.kubernetes.io/instance": format!("{}-{}", workload.name, view.env),
        }},
    })
}

/// The ports a `uses` edge opens: all but the metrics ports, unless every port is one.
fn ports(workload: &ResolvedWorkload) -> Value {
    let all_metrics = workload.ports.iter().all(|port| port.metrics);
    workload
        .ports
        .iter()
        .filter(|port| all_metrics || !port.metrics)
        .map(|port| {
            let protocol = if port.protocol == PortProtocol::Udp { "UDP" } else { "TCP" };
            json!({"port": port.container_port, "protocol": protocol})
        })
        .collect()
}

fn rules<'v>(policy: &'v Value, section: &str) -> &'v [Value] {
    policy["spec"][section].as_array().map_or(&[], Vec::as_slice)
}

#[test]
fn every_namespace_has_a_default_deny() {
    for name in EXAMPLES {
        let (estate, tree) = compiled(name);
        for view in &estate.views {
            for domain in &view.domains {
                let deny = policy(&tree, view, &domain.name, "default-deny");
                assert_eq!(deny["metadata"]["namespace"], json!(domain.namespace));
                assert_eq!(
                    deny["spec"],
                    json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
                    "{name}: default-deny of {}",
                    domain.namespace
                );
            }
        }
    }
}

/// Every pod template in the tree (Deployments and CronJobs) is matched by a
/// NetworkPolicy in its namespace that has both an `ingress` and an `egress` section.
#[test]
fn every_pod_is_selected_by_a_policy_with_ingress_and_egress() {
    for name in EXAMPLES {
        let (_, tree) = compiled(name);
        let policies: Vec<&Value> = tree
            .values()
            .filter_map(|artifact| artifact.object())
            .filter(|object| object["kind"] == "NetworkPolicy")
            .collect();
        let mut pods = 0;
        for artifact in tree.values() {
            let Some(object) = artifact.object() else { continue };
            let template = match object["kind"].as_str() {
                Some("Deployment") => &object["spec"]["template"],
                Some("CronJob") => &object["spec"]["jobTemplate"]["spec"]["template"],
                _ => continue,
            };
            pods += 1;
            let namespace = &object["metadata"]["namespace"];
            let labels = template["metadata"]["labels"].as_object().expect("pod templates carry labels");
            let covered = policies.iter().any(|policy| {
                let selector = policy["spec"]["podSelector"]["matchLabels"].as_object();
                policy["metadata"]["namespace"] == *namespace
                    && selector.is_some_and(|selector| {
                        !selector.is_empty() && selector.iter().all(|(key, value)| labels.get(key) == Some(value))
                    })
                    && policy["spec"]["ingress"].is_array()
                    && policy["spec"]["egress"].is_array()
                    && policy["spec"]["policyTypes"] == json!(["Ingress", "Egress"])
            });
            assert!(covered, "{name}: {} has no policy with ingress and egress", artifact.path);
        }
        assert!(pods > 0, "{name}: no pod templates found");
    }
}

#[test]
fn each_uses_edge_opens_one_egress_and_one_ingress_rule_on_the_callee_ports() {
    let mut edges = 0;
    for name in EXAMPLES {
        let (estate, tree) = compiled(name);
        for view in &estate.views {
            for domain in &view.domains {
                for caller in &domain.workloads {
                    for used in &caller.uses {
                        let UseTarget::Workload { domain: callee_domain, name: callee_name } = &used.target else {
                            continue;
                        };
                        let Some(target_domain) = view.domains.iter().find(|d| &d.name == callee_domain) else {
                            continue;
                        };
                        let Some(callee) = target_domain.workloads.iter().find(|w| &w.name == callee_name) else {
                            continue;
                        };
                        assert_eq!(callee.kind, WorkloadKind::Service, "{name}: uses a non-service");
                        edges += 1;
                        let expected_ports = ports(callee);

                        let to_callee = workload_peer(view, &target_domain.namespace, callee);
                        let caller_policy = policy(&tree, view, &domain.name, &caller.name);
                        let egress: Vec<&Value> = rules(caller_policy, "egress")
                            .iter()
                            .filter(|rule| rule["to"] == json!([to_callee]))
                            .collect();
                        assert_eq!(egress.len(), 1, "{name}: {}/{} -> {callee_name} egress", view.env, caller.name);
                        assert_eq!(egress[0]["ports"], expected_ports);

                        let from_caller = workload_peer(view, &domain.namespace, caller);
                        let callee_policy = policy(&tree, view, callee_domain, callee_name);
                        let ingress: Vec<&Value> = rules(callee_policy, "ingress")
                            .iter()
                            .filter(|rule| rule["from"] == json!([from_caller]))
                            .collect();
                        assert_eq!(ingress.len(), 1, "{name}: {}/{} <- {} ingress", view.env, callee_name, caller.name);
                        assert_eq!(ingress[0]["ports"], expected_ports);
                    }
                }
            }
        }
    }
    assert!(edges > 10, "expected the examples to have workload edges, found {edges}");
}

/// The first egress rule of every workload policy reaches the target's DNS pods on its
/// DNS port, over UDP and TCP; exposed services on a target whose profile names an
/// ingress controller accept it on the exposed port.
#[test]
fn dns_and_ingress_controller_rules_come_from_the_profile() {
    let mut exposed_with_controller = 0;
    for name in EXAMPLES {
        let (estate, tree) = compiled(name);
        for view in &estate.views {
            let profile = &view.profile;
            let dns_port = profile.dns_port;
            let mut to = vec![json!({
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": profile.dns_namespace}},
                "podSelector": {"matchLabels": profile.dns_labels},
            })];
            // Node-local DNS addresses (`dns-cidr`, on GKE) are ipBlock peers of the same rule.
            to.extend(profile.dns_cidrs.iter().map(|cidr| json!({"ipBlock": {"cidr": cidr}})));
            let dns_rule = json!({
                "ports": [{"port": dns_port, "protocol": "UDP"}, {"port": dns_port, "protocol": "TCP"}],
                "to": to,
            });
            if profile.cloud == "openshift" {
                assert_eq!(dns_port, 5353);
                assert_eq!(profile.dns_namespace, "openshift-dns");
            }
            for domain in &view.domains {
                for workload in &domain.workloads {
                    let policy = policy(&tree, view, &domain.name, &workload.name);
                    assert_eq!(rules(policy, "egress").first(), Some(&dns_rule), "{name}: {}", workload.name);
                    let Some(namespace) = &profile.ingress_namespace else {
                        continue;
                    };
                    for expose in &workload.expose {
                        let Some(port) = workload.ports.iter().find(|p| p.name == expose.port) else {
                            continue;
                        };
                        exposed_with_controller += 1;
                        let found = rules(policy, "ingress").iter().any(|rule| {
                            rule["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                                == json!(namespace)
                                && rule["ports"]
                                    .as_array()
                                    .is_some_and(|ports| ports.iter().any(|p| p["port"] == json!(port.container_port)))
                        });
                        assert!(found, "{name}: {} is exposed but the controller is not allowed in", workload.name);
                    }
                }
            }
        }
    }
    assert!(exposed_with_controller > 0, "no example exposes a service on a target with a controller");
}
