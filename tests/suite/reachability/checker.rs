//! An independent NetworkPolicy evaluator. It knows nothing of Berth: it reads YAML
//! documents (Namespaces, Deployments, Argo Rollouts `Rollout`s, CronJobs, Services,
//! NetworkPolicies) and answers which (source pod, destination pod, port) connections
//! Kubernetes would allow, and which pods each Service sends to.
//!
//! A Deployment with `replicas: 0` runs no pods; a Rollout runs the pods of its own
//! `template` or of the Deployment its `workloadRef` names, labelled with the
//! `rollouts-pod-template-hash` the Rollouts controller adds.
//!
//! Semantics (networking.k8s.io/v1, as the API reference states them):
//! - A policy selects the pods of its own namespace that its `podSelector` matches.
//! - A pod is isolated for ingress (egress) iff some policy selecting it has `Ingress`
//!   (`Egress`) in `policyTypes`. Without `policyTypes`, `Ingress` is implied, and `Egress`
//!   too when the policy has an `egress` section.
//! - A non-isolated direction allows everything; an isolated one allows the union of the
//!   rules of the policies that select the pod for that direction.
//! - A rule with no (or empty) `from`/`to` matches every peer; with no (or empty) `ports`
//!   every port. Peers of one rule are ORed; within one peer `namespaceSelector` and
//!   `podSelector` are ANDed; a `podSelector` alone means the policy's namespace; an
//!   `ipBlock` never matches a pod (pod addresses are assumed outside external ranges).
//! - A port entry: protocol (default TCP), a number (with optional `endPort`) or a name
//!   resolved against the destination pod's container ports, or no port (all ports).
//! - A connection is allowed iff the source's egress AND the destination's ingress allow it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Labels of a pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// A container port of a pod.
#[derive(Debug, Clone)]
pub struct ContainerPort {
    /// Port name, if any.
    pub name: Option<String>,
    /// Number.
    pub number: i64,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
}

/// One pod (template) of the cluster.
#[derive(Debug, Clone)]
pub struct Pod {
    /// `<namespace>/<name>`.
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Pod labels.
    pub labels: Labels,
    /// Container ports.
    pub ports: Vec<ContainerPort>,
}

/// One rule, prepared: which pods (by index) its peers match (`None`: every peer) and its
/// port entries (`None`: every port).
type CompiledRule<'p> = (Option<Vec<bool>>, Option<&'p Vec<Value>>);

/// A connection: source pod id, destination pod id, port number and protocol.
pub type Conn = (String, String, i64, String);

/// A cluster as far as NetworkPolicies are concerned.
#[derive(Debug, Default, Clone)]
pub struct Cluster {
    /// Namespaces with their labels (including `kubernetes.io/metadata.name`).
    pub namespaces: BTreeMap<String, Labels>,
    /// Namespaces that came from the documents (the managed ones).
    pub managed_namespaces: BTreeSet<String>,
    /// Pods.
    pub pods: Vec<Pod>,
    /// NetworkPolicy objects.
    pub policies: Vec<Value>,
    /// Services: `<namespace>/<name>` -> (selector, target ports).
    pub services: BTreeMap<String, (Labels, Vec<Value>)>,
    /// Pod templates of Deployments at zero replicas, by `<namespace>/<name>`.
    templates: BTreeMap<String, Value>,
    /// Rollouts read, resolved once every document is in.
    rollouts: Vec<Value>,
}

/// What the cluster allows.
#[derive(Debug, Default, PartialEq)]
pub struct Matrix {
    /// Connections allowed end to end where at least one end is in a managed namespace.
    pub allowed: BTreeSet<Conn>,
    /// Connections whose source is in a managed namespace and its egress allows.
    pub egress: BTreeSet<Conn>,
    /// Connections whose destination is in a managed namespace and its ingress allows.
    pub ingress: BTreeSet<Conn>,
}

fn labels_of(value: &Value) -> Labels {
    value
        .as_object()
        .map(|map| map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

impl Cluster {
    /// Read YAML documents; other kinds are ignored.
    pub fn from_documents<'t>(texts: impl IntoIterator<Item = &'t str>) -> Self {
        let mut cluster = Self::default();
        for text in texts {
            let object: Value = serde_saphyr::from_str(text).expect("document parses as YAML");
            cluster.add_object(&object);
        }
        for rollout in std::mem::take(&mut cluster.rollouts) {
            cluster.add_rollout(&rollout);
        }
        cluster
    }

    /// The pods of a Rollout: its template, or its `workloadRef` Deployment's.
    fn add_rollout(&mut self, object: &Value) {
        let namespace = str_of(&object["metadata"]["namespace"]);
        let name = str_of(&object["metadata"]["name"]);
        let reference = &object["spec"]["workloadRef"];
        let template = if reference.is_object() {
            assert_eq!(reference["kind"], "Deployment", "{namespace}/{name}: workloadRef kind");
            let key = format!("{namespace}/{}", str_of(&reference["name"]));
            self.templates.get(&key).cloned().unwrap_or_else(|| panic!("{namespace}/{name}: no Deployment {key} at 0"))
        } else {
            object["spec"]["template"].clone()
        };
        let mut labels = labels_of(&template["metadata"]["labels"]);
        let selector = labels_of(&object["spec"]["selector"]["matchLabels"]);
        assert!(selector.iter().all(|(k, v)| labels.get(k) == Some(v)), "{namespace}/{name}: selector misses pods");
        labels.insert("rollouts-pod-template-hash".to_owned(), "6d4f8c7b9".to_owned());
        self.add_pod(&namespace, &name, labels, container_ports(&template));
    }

    /// The pods a Service sends to, each with the container ports its target ports name
    /// (`None` for a target port no selected pod has).
    pub fn service_endpoints(&self, service: &str) -> Vec<(String, Vec<Option<i64>>)> {
        let Some((selector, ports)) = self.services.get(service) else { return Vec::new() };
        let namespace = service.split('/').next().unwrap_or_default();
        self.pods
            .iter()
            .filter(|pod| pod.namespace == namespace && selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)))
            .map(|pod| {
                let resolved = ports
                    .iter()
                    .map(|port| match &port["targetPort"] {
                        Value::String(name) => {
                            pod.ports.iter().find(|p| p.name.as_deref() == Some(name.as_str())).map(|p| p.number)
                        }
                        Value::Number(number) => number.as_i64(),
                        _ => port["port"].as_i64(),
                    })
                    .collect();
                (pod.id.clone(), resolved)
            })
            .collect()
    }

    fn add_object(&mut self, object: &Value) {
        let namespace = str_of(&object["metadata"]["namespace"]);
        let name = str_of(&object["metadata"]["name"]);
        match object["kind"].as_str() {
            Some("Namespace") => {
                self.add_namespace(&name, labels_of(&object["metadata"]["labels"]));
                self.managed_namespaces.insert(name);
            }
            Some("NetworkPolicy") => self.policies.push(object.clone()),
            Some("Rollout") => self.rollouts.push(object.clone()),
            Some("Service") => {
                let selector = labels_of(&object["spec"]["selector"]);
                let ports = object["spec"]["ports"].as_array().cloned().unwrap_or_default();
                self.services.insert(format!("{namespace}/{name}"), (selector, ports));
            }
            Some("Deployment") if object["spec"]["replicas"].as_i64() == Some(0) => {
                self.templates.insert(format!("{namespace}/{name}"), object["spec"]["template"].clone());
            }
            Some("StatefulSet") => {
                let template = &object["spec"]["template"];
                let ports = container_ports(template);
                let labels = labels_of(&template["metadata"]["labels"]);
                // Two replicas, so traffic between a set's own pods is part of the matrix.
                for ordinal in 0..2 {
                    self.add_pod(&namespace, &format!("{name}-{ordinal}"), labels.clone(), ports.clone());
                }
            }
            Some(kind) if operator_pods(object["apiVersion"].as_str().unwrap_or_default(), kind, &name).is_some() => {
                let (labels, ports) =
                    operator_pods(object["apiVersion"].as_str().unwrap_or_default(), kind, &name).unwrap_or_default();
                for ordinal in 0..2 {
                    self.add_pod(&namespace, &format!("{name}-{ordinal}"), labels.clone(), ports.clone());
                }
            }
            // A migration Job's pods are named after their workload label (the Job's own
            // name ends in a hash of its spec).
            Some("Job") => {
                let template = &object["spec"]["template"];
                let labels = labels_of(&template["metadata"]["labels"]);
                let pod = labels.get("app.kubernetes.io/name").cloned().unwrap_or(name);
                self.add_pod(&namespace, &pod, labels, container_ports(template));
            }
            Some(kind @ ("Deployment" | "CronJob")) => {
                let template = if kind == "Deployment" {
                    &object["spec"]["template"]
                } else {
                    &object["spec"]["jobTemplate"]["spec"]["template"]
                };
                self.add_pod(&namespace, &name, labels_of(&template["metadata"]["labels"]), container_ports(template));
            }
            _ => {}
        }
    }

    /// Add (or relabel) a namespace; its name label is implicit, as the API server sets it.
    pub fn add_namespace(&mut self, name: &str, mut labels: Labels) {
        labels.insert("kubernetes.io/metadata.name".to_owned(), name.to_owned());
        self.namespaces.insert(name.to_owned(), labels);
    }

    /// Add a pod; its namespace is created when missing.
    pub fn add_pod(&mut self, namespace: &str, name: &str, labels: Labels, ports: Vec<ContainerPort>) {
        if !self.namespaces.contains_key(namespace) {
            self.add_namespace(namespace, Labels::new());
        }
        self.pods.push(Pod { id: format!("{namespace}/{name}"), namespace: namespace.to_owned(), labels, ports });
    }

    /// The (port, protocol) pairs checked towards every pod: every container port of the
    /// cluster plus `probe_ports`, so that a rule widened to other pods or to every port
    /// shows whatever port it names.
    fn candidate_ports(&self, probe_ports: &[(i64, &str)]) -> BTreeSet<(i64, String)> {
        self.pods
            .iter()
            .flat_map(|pod| pod.ports.iter().map(|p| (p.number, p.protocol.clone())))
            .chain(probe_ports.iter().map(|(n, p)| (*n, (*p).to_owned())))
            .collect()
    }

    /// The rules of `section` of a policy with, per rule, which pods its peers match
    /// (`None`: every peer) and its port entries (`None`: every port).
    fn compiled_rules<'p>(&self, policy: &'p Value, section: &str) -> Vec<CompiledRule<'p>> {
        let peers_key = if section == "egress" { "to" } else { "from" };
        let policy_namespace = str_of(&policy["metadata"]["namespace"]);
        policy["spec"][section]
            .as_array()
            .into_iter()
            .flatten()
            .map(|rule| {
                let peers = rule[peers_key].as_array().filter(|peers| !peers.is_empty()).map(|peers| {
                    self.pods
                        .iter()
                        .map(|pod| peers.iter().any(|element| self.peer_matches(element, &policy_namespace, pod)))
                        .collect()
                });
                let ports = rule["ports"].as_array().filter(|ports| !ports.is_empty());
                (peers, ports)
            })
            .collect()
    }

    /// Evaluate every (pod, pod, port) triple.
    pub fn matrix(&self, probe_ports: &[(i64, &str)]) -> Matrix {
        let candidates = self.candidate_ports(probe_ports);
        // Per policy index: its compiled ingress and egress rules.
        let compiled: Vec<_> = self
            .policies
            .iter()
            .map(|policy| (self.compiled_rules(policy, "ingress"), self.compiled_rules(policy, "egress")))
            .collect();
        // Whether a compiled rule set allows `peer` (index) on `port` towards `destination`.
        let allows = |rules: &[CompiledRule<'_>], peer: usize, destination: &Pod, port: i64, protocol: &str| {
            rules.iter().any(|(peers, ports)| {
                peers.as_ref().is_none_or(|matched| matched[peer])
                    && ports
                        .is_none_or(|ports| ports.iter().any(|entry| port_matches(entry, destination, port, protocol)))
            })
        };
        // Per pod: the policies that isolate it for ingress and for egress.
        let selecting: Vec<(Vec<usize>, Vec<usize>)> = self
            .pods
            .iter()
            .map(|pod| {
                let mut ingress = Vec::new();
                let mut egress = Vec::new();
                for (index, policy) in self.policies.iter().enumerate() {
                    if policy["metadata"]["namespace"].as_str() != Some(pod.namespace.as_str())
                        || !selector_matches(&policy["spec"]["podSelector"], &pod.labels)
                    {
                        continue;
                    }
                    let (has_ingress, has_egress) = policy_types(policy);
                    if has_ingress {
                        ingress.push(index);
                    }
                    if has_egress {
                        egress.push(index);
                    }
                }
                (ingress, egress)
            })
            .collect();
        let mut matrix = Matrix::default();
        for (si, src) in self.pods.iter().enumerate() {
            let src_managed = self.managed_namespaces.contains(&src.namespace);
            for (di, dst) in self.pods.iter().enumerate() {
                if si == di {
                    continue;
                }
                let dst_managed = self.managed_namespaces.contains(&dst.namespace);
                if !src_managed && !dst_managed {
                    continue;
                }
                // Whether any rule could allow the pair at all (or the side is not isolated);
                // most pairs fail both and need no per-port work.
                let egress_hit = selecting[si].1.is_empty()
                    || selecting[si]
                        .1
                        .iter()
                        .any(|&p| compiled[p].1.iter().any(|(peers, _)| peers.as_ref().is_none_or(|m| m[di])));
                let ingress_hit = selecting[di].0.is_empty()
                    || selecting[di]
                        .0
                        .iter()
                        .any(|&p| compiled[p].0.iter().any(|(peers, _)| peers.as_ref().is_none_or(|m| m[si])));
                if !ingress_hit && (!src_managed || !egress_hit) {
                    continue;
                }
                for (port, protocol) in &candidates {
                    let (port, protocol) = (*port, protocol.as_str());
                    // Named ports resolve against the destination pod in both directions.
                    let egress_ok = selecting[si].1.is_empty()
                        || selecting[si].1.iter().any(|&p| allows(&compiled[p].1, di, dst, port, protocol));
                    let ingress_ok = selecting[di].0.is_empty()
                        || selecting[di].0.iter().any(|&p| allows(&compiled[p].0, si, dst, port, protocol));
                    if !egress_ok && !ingress_ok {
                        continue;
                    }
                    let conn = (src.id.clone(), dst.id.clone(), port, protocol.to_owned());
                    if src_managed && egress_ok {
                        matrix.egress.insert(conn.clone());
                    }
                    if dst_managed && ingress_ok {
                        matrix.ingress.insert(conn.clone());
                    }
                    if egress_ok && ingress_ok {
                        matrix.allowed.insert(conn);
                    }
                }
            }
        }
        matrix
    }

    /// One peer element: `ipBlock` matches no pod; otherwise namespace AND pod selector.
    fn peer_matches(&self, element: &Value, policy_namespace: &str, pod: &Pod) -> bool {
        if element.get("ipBlock").is_some() {
            return false;
        }
        let namespace_ok = match element.get("namespaceSelector") {
            Some(selector) => {
                self.namespaces.get(&pod.namespace).is_some_and(|labels| selector_matches(selector, labels))
            }
            None => pod.namespace == policy_namespace,
        };
        let pod_ok = element.get("podSelector").is_none_or(|selector| selector_matches(selector, &pod.labels));
        namespace_ok && pod_ok
    }

    /// Ingress from address ranges: (cidr, destination pod, port, protocol) for every
    /// `ipBlock` peer of an ingress rule of a policy selecting a pod of a managed namespace.
    pub fn external_ingress(&self) -> BTreeSet<(String, String, i64, String)> {
        self.address_rules("ingress").map(|(pod, cidr, port, protocol)| (cidr, pod, port, protocol)).collect()
    }

    /// Egress to address ranges: (source pod, cidr, port, protocol) for every `ipBlock`
    /// peer of an egress rule of a policy selecting a pod of a managed namespace.
    pub fn external_egress(&self) -> BTreeSet<(String, String, i64, String)> {
        self.address_rules("egress").collect()
    }

    /// (pod, cidr, port, protocol) of every `ipBlock` peer in `section` of the policies
    /// selecting pods of Berth's namespaces.
    fn address_rules(&self, section: &str) -> impl Iterator<Item = (String, String, i64, String)> {
        let peers_key = if section == "egress" { "to" } else { "from" };
        let mut found = BTreeSet::new();
        for pod in self.pods.iter().filter(|p| self.managed_namespaces.contains(&p.namespace)) {
            for policy in &self.policies {
                let (ingress, egress) = policy_types(policy);
                if str_of(&policy["metadata"]["namespace"]) != pod.namespace
                    || !selector_matches(&policy["spec"]["podSelector"], &pod.labels)
                    || !(if section == "egress" { egress } else { ingress })
                {
                    continue;
                }
                for rule in policy["spec"][section].as_array().into_iter().flatten() {
                    for element in rule[peers_key].as_array().into_iter().flatten() {
                        let Some(cidr) = element["ipBlock"]["cidr"].as_str() else {
                            continue;
                        };
                        for entry in rule["ports"].as_array().into_iter().flatten() {
                            found.insert((
                                pod.id.clone(),
                                cidr.to_owned(),
                                entry["port"].as_i64().unwrap_or(-1),
                                entry["protocol"].as_str().unwrap_or("TCP").to_owned(),
                            ));
                        }
                    }
                }
            }
        }
        found.into_iter()
    }
}

/// (has Ingress, has Egress) of a policy, with the API's defaults.
fn policy_types(policy: &Value) -> (bool, bool) {
    match policy["spec"]["policyTypes"].as_array() {
        Some(types) => (types.iter().any(|t| t == "Ingress"), types.iter().any(|t| t == "Egress")),
        None => (true, policy["spec"].get("egress").is_some()),
    }
}

/// A label selector: `matchLabels` and `matchExpressions` all hold; empty matches all.
/// A missing selector (`null`) matches nothing, as a policy without podSelector is invalid.
pub fn selector_matches(selector: &Value, labels: &Labels) -> bool {
    let Some(selector) = selector.as_object() else {
        return false;
    };
    let labels_ok = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(key, value)| labels.get(key).map(String::as_str) == value.as_str());
    let expressions_ok =
        selector.get("matchExpressions").and_then(Value::as_array).into_iter().flatten().all(|expression| {
            let key = str_of(&expression["key"]);
            let values: Vec<&str> =
                expression["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let value = labels.get(&key).map(String::as_str);
            match expression["operator"].as_str() {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        });
    labels_ok && expressions_ok
}

/// One `ports` entry against a destination pod's port.
fn port_matches(entry: &Value, destination: &Pod, port: i64, protocol: &str) -> bool {
    if entry["protocol"].as_str().unwrap_or("TCP") != protocol {
        return false;
    }
    match &entry["port"] {
        Value::Null => true,
        Value::Number(number) => {
            let start = number.as_i64().unwrap_or(-1);
            let end = entry["endPort"].as_i64().unwrap_or(start);
            (start..=end).contains(&port)
        }
        Value::String(name) => destination
            .ports
            .iter()
            .any(|p| p.name.as_deref() == Some(name.as_str()) && p.number == port && p.protocol == protocol),
        _ => false,
    }
}

/// The container ports of a pod template.
fn container_ports(template: &Value) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    for container in template["spec"]["containers"].as_array().into_iter().flatten() {
        for port in container["ports"].as_array().into_iter().flatten() {
            ports.push(ContainerPort {
                name: port["name"].as_str().map(str::to_owned),
                number: port["containerPort"].as_i64().expect("containerPort is a number"),
                protocol: port["protocol"].as_str().unwrap_or("TCP").to_owned(),
            });
        }
    }
    ports
}

/// What an operator's pods for one custom resource look like: their labels and ports.
/// This is the checker's own model of each operator, written from the operators'
/// documentation and not read from Berth's library: if Berth's `pods` labels for a kind
/// drifted from what the operator really sets, the policies would select no pod here.
/// - CloudNativePG: instances labelled `cnpg.io/cluster: <cluster>`; PostgreSQL on 5432,
///   the instance manager's status endpoint on 8000.
/// - Strimzi: every pod of a cluster labelled `strimzi.io/cluster: <cluster>`; clients on
///   9092, replication 9091, KRaft controllers 9090.
/// - RabbitMQ cluster operator: `app.kubernetes.io/name: <cluster>`, `component:
///   rabbitmq`, `part-of: rabbitmq`; AMQP 5672, management 15672, clustering 25672, epmd 4369.
fn operator_pods(api_version: &str, kind: &str, name: &str) -> Option<(Labels, Vec<ContainerPort>)> {
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    let (labels, ports): (Vec<(&str, &str)>, &[i64]) = match (group, kind) {
        ("postgresql.cnpg.io", "Cluster") => (vec![("cnpg.io/cluster", name)], &[5432, 8000, 9187]),
        ("kafka.strimzi.io", "Kafka") => (vec![("strimzi.io/cluster", name)], &[9090, 9091, 9092, 9404]),
        ("rabbitmq.com", "RabbitmqCluster") => (
            vec![
                ("app.kubernetes.io/name", name),
                ("app.kubernetes.io/component", "rabbitmq"),
                ("app.kubernetes.io/part-of", "rabbitmq"),
            ],
            &[4369, 5672, 15672, 15692, 25672],
        ),
        _ => return None,
    };
    let labels = labels.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let ports =
        ports.iter().map(|number| ContainerPort { name: None, number: *number, protocol: "TCP".to_owned() }).collect();
    Some((labels, ports))
}
