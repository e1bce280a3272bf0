//! The other side of the comparison: the connections the spec declares, read from the
//! resolved estate (the `uses` graph, exposures, metrics ports and the target's facts),
//! and the pods outside Berth's namespaces that a real cluster has (DNS, the ingress
//! controller, the monitoring scraper, and intruders that must reach nothing).

use super::checker::{Cluster, Conn, ContainerPort, Labels};
use berth::driver::Compilation;
use berth::emit::ArtifactTree;
use berth::output::file;
use berth::resolve::{Estate, ResolvedDomain, ResolvedWorkload, UseTarget, View};
use std::collections::{BTreeMap, BTreeSet};

/// A port no policy should open: every destination is probed on it too.
pub const PROBE_PORTS: &[(i64, &str)] = &[(65000, "TCP"), (65000, "UDP")];

/// The role label of the stand-in pods the test adds.
const ROLE: &str = "berth.test/role";

/// One target cluster: its documents parsed by the checker, the extra pods, and what
/// the spec declares.
#[derive(Clone)]
pub struct Case {
    /// Target name.
    pub target: String,
    /// The cluster as the checker sees it.
    pub cluster: Cluster,
    /// Connections the spec declares.
    pub expected: BTreeSet<Conn>,
    /// External egress the spec declares with a `cidr`.
    pub expected_external: BTreeSet<(String, String, i64, String)>,
    /// Ingress the target's load-balancer ranges (`ingress-cidr`) get: (range, pod, port,
    /// protocol) for every exposed port.
    pub expected_external_ingress: BTreeSet<(String, String, i64, String)>,
    /// Each Service of a workload (`<name>`, and a Rollout's `<name>-preview` or
    /// `<name>-canary`) -> the one pod it must send to and that pod's ports it targets.
    pub expected_services: BTreeMap<String, (String, Vec<i64>)>,
}

impl Case {
    /// The expected egress view: declared connections from managed sources.
    pub fn expected_egress(&self) -> BTreeSet<Conn> {
        self.expected.iter().filter(|c| self.managed(&c.0)).cloned().collect()
    }

    /// The expected ingress view: declared connections to managed destinations.
    pub fn expected_ingress(&self) -> BTreeSet<Conn> {
        self.expected.iter().filter(|c| self.managed(&c.1)).cloned().collect()
    }

    fn managed(&self, pod: &str) -> bool {
        pod.split_once('/').is_some_and(|(ns, _)| self.cluster.managed_namespaces.contains(ns))
    }
}

fn protocol(workload_port: &berth::resolve::ResolvedPort) -> &'static str {
    // Compared by name so this file does not depend on the model's enum.
    if format!("{:?}", workload_port.protocol) == "Udp" { "UDP" } else { "TCP" }
}

/// A domain's workloads and, for each with a `migrate` step, the pods of its migration
/// Job: named `<workload>-migrate`, with the workload's connections but no ports, so
/// nothing connects to them (docs/language.md, `migrate`).
fn running(domain: &ResolvedDomain) -> Vec<ResolvedWorkload> {
    let mut out = domain.workloads.clone();
    for workload in domain.workloads.iter().filter(|w| w.migration.is_some()) {
        let mut migration = workload.clone();
        migration.name = format!("{}-migrate", workload.name);
        migration.ports = Vec::new();
        migration.expose = Vec::new();
        out.push(migration);
    }
    out
}

fn pod_id(namespace: &str, workload: &ResolvedWorkload) -> String {
    format!("{namespace}/{}", workload.name)
}

fn with_role(labels: &BTreeMap<String, String>, role: &str) -> Labels {
    let mut labels = labels.clone();
    labels.insert(ROLE.to_owned(), role.to_owned());
    labels
}

fn tcp_udp(port: i64) -> Vec<ContainerPort> {
    ["UDP", "TCP"]
        .into_iter()
        .map(|protocol| ContainerPort { name: Some("dns".to_owned()), number: port, protocol: protocol.to_owned() })
        .collect()
}

/// One [`Case`] per target of a compilation: documents rendered by the YAML renderer and
/// parsed back, stand-in pods from the target's profile, expectations from the estate.
pub fn cases(compilation: &Compilation) -> Vec<Case> {
    let estate = compilation.estate.as_ref().expect("no errors, so an estate");
    cases_of(estate, &compilation.tree)
}

/// [`cases`] for a given (possibly altered) artifact tree.
pub fn cases_of(estate: &Estate, tree: &ArtifactTree) -> Vec<Case> {
    let mut targets: Vec<&str> = estate.views.iter().map(|v| v.target.as_str()).collect();
    targets.dedup();
    let mut seen = BTreeSet::new();
    targets.retain(|t| seen.insert(*t));
    targets
        .into_iter()
        .map(|target| {
            let texts: Vec<String> = tree
                .values()
                .filter(|a| a.path.split('/').nth(1) == Some(target) && a.object().is_some())
                // Only the kinds the checker reads (it ignores others anyway): rendering
                // and parsing every file of a 200-service estate is the slow part.
                .filter(|a| {
                    let file = a.path.rsplit('/').next().unwrap_or_default();
                    [
                        "namespace-",
                        "deployment-",
                        "rollout-",
                        "service-",
                        "cronjob-",
                        "job-",
                        "statefulset-",
                        "cluster-",
                        "kafka-",
                        "rabbitmqcluster-",
                        "networkpolicy-",
                    ]
                    .iter()
                    .any(|kind| file.starts_with(kind))
                })
                .map(file::render)
                .collect();
            let mut cluster = Cluster::from_documents(texts.iter().map(String::as_str));
            let views: Vec<&View> = estate.views.iter().filter(|v| v.target == target).collect();
            let expected = declared(estate, &views, &mut cluster);
            let mut expected_external: BTreeSet<(String, String, i64, String)> = views
                .iter()
                .flat_map(|view| {
                    view.domains.iter().flat_map(move |domain| {
                        running(domain).into_iter().flat_map(move |w| {
                            w.egress.clone().into_iter().filter_map(move |e| {
                                Some((
                                    pod_id(&domain.namespace, &w),
                                    e.cidr.clone()?,
                                    i64::from(e.port),
                                    "TCP".to_owned(),
                                ))
                            })
                        })
                    })
                })
                .collect();
            expected_external.extend(backing_external(&views, &cluster));
            let mut expected_external_ingress = BTreeSet::new();
            for view in &views {
                for domain in &view.domains {
                    for workload in &domain.workloads {
                        for expose in &workload.expose {
                            let Some(port) = workload.ports.iter().find(|p| p.name == expose.port) else { continue };
                            for cidr in &view.profile.ingress_cidrs {
                                expected_external_ingress.insert((
                                    cidr.clone(),
                                    pod_id(&domain.namespace, workload),
                                    i64::from(port.container_port),
                                    protocol(port).to_owned(),
                                ));
                            }
                        }
                    }
                }
            }
            // `expose-port`: its `from` ranges, and a load balancer's own addresses
            // (the profile's `ingress-cidr`), on the exposed container port.
            for view in &views {
                for domain in &view.domains {
                    for workload in &domain.workloads {
                        for exposure in &workload.expose_ports {
                            let mut ranges = exposure.from.clone();
                            if exposure.kind == berth::model::PortExposureType::LoadBalancer {
                                ranges.extend(view.profile.ingress_cidrs.iter().cloned());
                            }
                            for cidr in ranges {
                                expected_external_ingress.insert((
                                    cidr,
                                    pod_id(&domain.namespace, workload),
                                    i64::from(exposure.port.container_port),
                                    protocol(&exposure.port).to_owned(),
                                ));
                            }
                        }
                    }
                }
            }
            let expected_services = services(&views);
            Case {
                expected_external_ingress,
                target: target.to_owned(),
                cluster,
                expected,
                expected_external,
                expected_services,
            }
        })
        .collect()
}

/// The Services of the views' services: `<name>` and, under a progressive rollout, the
/// preview (blue-green) or canary (canary through the profile's router, exposed services)
/// Service, each sending to the workload's pod on every container port.
fn services(views: &[&View]) -> BTreeMap<String, (String, Vec<i64>)> {
    let mut services = BTreeMap::new();
    for view in views {
        let strategy = format!("{:?}", view.rollout.strategy);
        for domain in &view.domains {
            for workload in domain.workloads.iter().filter(|w| w.kind.as_str() == "service" && !w.ports.is_empty()) {
                let pod = pod_id(&domain.namespace, workload);
                let ports: Vec<i64> = workload.ports.iter().map(|p| i64::from(p.container_port)).collect();
                let mut names = vec![workload.name.clone()];
                if view.profile.rollouts_controller && strategy == "BlueGreen" {
                    names.push(format!("{}-preview", workload.name));
                }
                let routed = view.profile.rollout_router.is_some() && !workload.expose.is_empty();
                if view.profile.rollouts_controller && strategy == "Canary" && routed {
                    names.push(format!("{}-canary", workload.name));
                }
                for name in names {
                    services.insert(format!("{}/{name}", domain.namespace), (pod.clone(), ports.clone()));
                }
            }
        }
    }
    services
}

/// Add the stand-in pods of the target and return the declared connections.
fn declared(_estate: &Estate, views: &[&View], cluster: &mut Cluster) -> BTreeSet<Conn> {
    let profile = &views[0].profile;
    let dns = format!("{}/dns", profile.dns_namespace);
    cluster.add_pod(
        &profile.dns_namespace,
        "dns",
        with_role(&profile.dns_labels, "dns"),
        tcp_udp(i64::from(profile.dns_port)),
    );
    let mut intruder_namespaces: BTreeSet<String> = cluster.managed_namespaces.clone();
    intruder_namespaces.insert("intruders".to_owned());
    // A pod next to a stand-in only stays unreachable if the stand-in is picked by labels.
    if !profile.dns_labels.is_empty() {
        intruder_namespaces.insert(profile.dns_namespace.clone());
    }
    let controller = profile.ingress_namespace.as_ref().map(|ns| {
        cluster.add_pod(ns, "controller", with_role(&profile.ingress_labels, "ingress"), Vec::new());
        if !profile.ingress_labels.is_empty() {
            intruder_namespaces.insert(ns.clone());
        }
        format!("{ns}/controller")
    });
    let monitor = profile.monitoring_namespace.as_ref().map(|ns| {
        cluster.add_pod(ns, "monitor", with_role(&profile.monitoring_labels, "monitoring"), Vec::new());
        if !profile.monitoring_labels.is_empty() {
            intruder_namespaces.insert(ns.clone());
        }
        format!("{ns}/monitor")
    });
    // The operators that manage in-cluster backing services reach their pods.
    let mut operators = BTreeSet::new();
    for view in views {
        for domain in &view.domains {
            for backing in &domain.backing {
                if let Some(ns) = &backing.realisation.operator_namespace
                    && format!("{:?}", backing.realisation.mode) == "InCluster"
                    && operators.insert(ns.clone())
                {
                    cluster.add_pod(
                        ns,
                        "operator",
                        Labels::from([(ROLE.to_owned(), "operator".to_owned())]),
                        Vec::new(),
                    );
                }
            }
        }
    }
    // Twins: a pod with the labels and ports of every pod so far, in a namespace no rule
    // names, so a rule that stops checking the namespace lets a twin through.
    for pod in cluster.pods.clone() {
        let name = format!("twin-{}", pod.id.replace('/', "-"));
        cluster.add_pod("intruders", &name, pod.labels.clone(), pod.ports.clone());
    }
    // Intruders: a pod with labels no rule names, in every namespace, so a rule that stops
    // checking pod labels lets one through.
    for namespace in &intruder_namespaces {
        let ports = vec![ContainerPort { name: Some("http".to_owned()), number: 8080, protocol: "TCP".to_owned() }];
        cluster.add_pod(namespace, "intruder", Labels::from([(ROLE.to_owned(), "intruder".to_owned())]), ports);
    }

    let mut expected = BTreeSet::new();
    // Every port any pod listens on, plus the probe ports: what "all ports" allows.
    let every_port: BTreeSet<(i64, String)> = cluster
        .pods
        .iter()
        .flat_map(|pod| pod.ports.iter().map(|p| (p.number, p.protocol.clone())))
        .chain(PROBE_PORTS.iter().map(|(n, p)| (*n, (*p).to_owned())))
        .collect();
    for view in views {
        for domain in &view.domains {
            for backing in &domain.backing {
                let pods = backing_pods(cluster, &domain.namespace, &backing.name);
                for a in &pods {
                    for protocol in ["UDP", "TCP"] {
                        expected.insert((a.clone(), dns.clone(), i64::from(profile.dns_port), protocol.to_owned()));
                    }
                    for b in pods.iter().filter(|b| b != &a) {
                        for (port, protocol) in &every_port {
                            expected.insert((a.clone(), b.clone(), *port, protocol.clone()));
                        }
                    }
                    if let Some(ns) = &backing.realisation.operator_namespace {
                        for (port, protocol) in &every_port {
                            expected.insert((format!("{ns}/operator"), a.clone(), *port, protocol.clone()));
                        }
                    }
                    // The monitoring scraper reaches the exporter of a realisation with a
                    // `monitor`.
                    if let (Some(monitor), Some(port), true) =
                        (&monitor, backing.realisation.metrics_port, backing.realisation.monitor.is_some())
                    {
                        expected.insert((monitor.clone(), a.clone(), i64::from(port), "TCP".to_owned()));
                    }
                }
            }
            for workload in &running(domain) {
                let me = pod_id(&domain.namespace, workload);
                for protocol in ["UDP", "TCP"] {
                    expected.insert((me.clone(), dns.clone(), i64::from(profile.dns_port), protocol.to_owned()));
                }
                for used in &workload.uses {
                    if let UseTarget::Backing { name, .. } = &used.target {
                        let port = domain.backing.iter().find(|b| &b.name == name).and_then(|b| b.port);
                        for pod in backing_pods(cluster, &domain.namespace, name) {
                            if let Some(port) = port {
                                expected.insert((me.clone(), pod, i64::from(port), "TCP".to_owned()));
                            }
                        }
                        continue;
                    }
                    let UseTarget::Workload { domain: callee_domain, name } = &used.target else {
                        continue;
                    };
                    let Some(callee_domain) = view.domains.iter().find(|d| &d.name == callee_domain) else {
                        continue;
                    };
                    let Some(callee) = callee_domain.workloads.iter().find(|w| &w.name == name) else {
                        continue;
                    };
                    // A `uses` edge reaches the callee's ports but its metrics ports,
                    // unless every port is one (docs/language.md, `port`).
                    let all_metrics = callee.ports.iter().all(|p| p.metrics);
                    for port in callee.ports.iter().filter(|p| all_metrics || !p.metrics) {
                        expected.insert((
                            me.clone(),
                            pod_id(&callee_domain.namespace, callee),
                            i64::from(port.container_port),
                            protocol(port).to_owned(),
                        ));
                    }
                }
                if let Some(controller) = &controller {
                    for expose in &workload.expose {
                        if let Some(port) = workload.ports.iter().find(|p| p.name == expose.port) {
                            expected.insert((
                                controller.clone(),
                                me.clone(),
                                i64::from(port.container_port),
                                protocol(port).to_owned(),
                            ));
                        }
                    }
                }
                if let Some(monitor) = &monitor {
                    for port in workload.ports.iter().filter(|p| p.metrics) {
                        expected.insert((
                            monitor.clone(),
                            me.clone(),
                            i64::from(port.container_port),
                            protocol(port).to_owned(),
                        ));
                    }
                }
            }
        }
    }
    expected
}

/// The pods the checker found for a backing service: `<namespace>/<name>-<ordinal>` from
/// its StatefulSet or operator resource (none for a managed one).
fn backing_pods(cluster: &Cluster, namespace: &str, name: &str) -> Vec<String> {
    let prefix = format!("{namespace}/{name}-");
    cluster
        .pods
        .iter()
        .filter(|pod| pod.id.strip_prefix(&prefix).is_some_and(|rest| rest.parse::<u32>().is_ok()))
        .map(|pod| pod.id.clone())
        .collect()
}

/// Address-range egress the profile and the backing services imply: every pod to the
/// target's node-local DNS addresses (`dns-cidr`), consumers of managed backing services
/// to the `managed-cidr` ranges on the kind's port, and operator-run pods that call the
/// API to the `api-server-cidr` ranges on 443 and 6443.
fn backing_external(views: &[&View], cluster: &Cluster) -> BTreeSet<(String, String, i64, String)> {
    let mut out = BTreeSet::new();
    for view in views {
        let profile = &view.profile;
        for domain in &view.domains {
            let mut pods: Vec<String> = running(domain).iter().map(|w| pod_id(&domain.namespace, w)).collect();
            for backing in &domain.backing {
                pods.extend(backing_pods(cluster, &domain.namespace, &backing.name));
            }
            for pod in pods {
                for cidr in &profile.dns_cidrs {
                    for protocol in ["UDP", "TCP"] {
                        out.insert((pod.clone(), cidr.clone(), i64::from(profile.dns_port), protocol.to_owned()));
                    }
                }
            }
            for backing in &domain.backing {
                let managed = format!("{:?}", backing.realisation.mode) == "Managed";
                if managed {
                    let Some(port) = backing.port else { continue };
                    for workload in running(domain).iter().filter(|w| {
                        w.uses
                            .iter()
                            .any(|u| matches!(&u.target, UseTarget::Backing { name, .. } if name == &backing.name))
                    }) {
                        for cidr in &profile.managed_cidrs {
                            out.insert((
                                pod_id(&domain.namespace, workload),
                                cidr.clone(),
                                i64::from(port),
                                "TCP".to_owned(),
                            ));
                        }
                    }
                } else if backing.realisation.api_server {
                    for pod in backing_pods(cluster, &domain.namespace, &backing.name) {
                        for cidr in &profile.api_server_cidrs {
                            for port in [443, 6443] {
                                out.insert((pod.clone(), cidr.clone(), port, "TCP".to_owned()));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
