//! The Kubernetes emitter on hand-built estates: every object of a service with
//! everything (expose, scale, secrets, config), a worker and a job, once on a fixed-UID
//! Ingress target and once on an OpenShift-like Route target.
//!
//! Set `BERTH_EMIT_OBJECTS_DIR=<dir>` to also write the files there, for the external
//! oracles (`check-k8s`, `check-security`).

use berth::diag::{Diagnostics, FileId, Span, Spanned};
use berth::emit::{self, ArtifactTree};
use berth::model::{HealthCheck, PortProtocol, WorkloadKind};
use berth::output::file;
use berth::resolve::{
    Estate, Exposure, ResolvedDomain, ResolvedExpose, ResolvedHealth, ResolvedLimitRange, ResolvedPod, ResolvedPort,
    ResolvedProfile, ResolvedQuota, ResolvedResources, ResolvedScale, ResolvedSecret, ResolvedWorkload, View,
};
use std::collections::BTreeMap;

/// A span in the (imaginary) spec file; tests only need distinct values.
fn span(offset: usize) -> Span {
    Span { file: FileId(0), offset, len: 1 }
}

/// A fixed-UID target with an ALB-style Ingress.
fn ingress_profile() -> ResolvedProfile {
    ResolvedProfile {
        load_balancer_annotations: BTreeMap::new(),
        internal_load_balancer_annotations: None,
        cloud: "eks".to_owned(),
        region: Some("ap-northeast-2".to_owned()),
        dns: Some("shop.acme.com".to_owned()),
        registry: Some("123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/shop".to_owned()),
        exposure: Exposure::Ingress,
        route_object: None,
        ingress_class: Some("alb".to_owned()),
        ingress_annotations: BTreeMap::from([
            ("alb.ingress.kubernetes.io/scheme".to_owned(), "internet-facing".to_owned()),
            ("alb.ingress.kubernetes.io/target-type".to_owned(), "ip".to_owned()),
        ]),
        storage_class: Some("gp3".to_owned()),
        fixed_uid: true,
        uid_note: None,
        run_as_user: 10001,
        tmp_size: "64Mi".to_owned(),
        dns_namespace: "kube-system".to_owned(),
        dns_labels: BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())]),
        dns_port: 53,
        ingress_namespace: None,
        ingress_labels: BTreeMap::new(),
        monitoring_namespace: None,
        monitoring_labels: BTreeMap::new(),
        cni: None,
        ingress_cidrs: vec!["10.20.0.0/16".to_owned()],
        managed_cidrs: Vec::new(),
        api_server_cidrs: Vec::new(),
        dns_cidrs: Vec::new(),
        gateway: None,
        internal_gateway: None,
        internal_ingress_class: None,
        internal_ingress_annotations: BTreeMap::new(),
        params: BTreeMap::new(),
        identity_annotations: BTreeMap::new(),
        identity_labels: BTreeMap::new(),
        backing_managed: None,
        rollouts_controller: false,
        rollout_router: None,
        rollout_ingress_port: None,
        cluster_name: "cluster".to_owned(),
        span: span(0),
    }
}

/// The `route-object` template of the stdlib's `openshift` profile, read by the front end.
fn stdlib_route_object() -> String {
    let (path, text) =
        berth::stdlib::FILES.iter().find(|(path, _)| path.ends_with("/openshift.kdl>")).expect("profile");
    let file = berth::diag::SourceFile { name: (*path).to_owned(), text: (*text).to_owned() };
    let mut sources = berth::diag::Sources::default();
    let id = sources.add(file.clone());
    let mut diags = Diagnostics::default();
    let parsed = berth::syntax::parse(&mut diags, id, &file).expect("parses");
    let spec = berth::model::lower(&mut diags, &parsed);
    spec.clouds[0].facts.route_object.clone().expect("a route-object").value
}

/// An OpenShift-like target: Routes, UIDs assigned by the cluster.
fn route_profile() -> ResolvedProfile {
    ResolvedProfile {
        load_balancer_annotations: BTreeMap::new(),
        internal_load_balancer_annotations: None,
        cloud: "openshift".to_owned(),
        region: None,
        dns: Some("apps.ocp.acme.internal".to_owned()),
        registry: Some("registry.acme.internal/shop".to_owned()),
        exposure: Exposure::Route,
        route_object: Some(Spanned::new(stdlib_route_object(), span(0))),
        ingress_class: None,
        ingress_annotations: BTreeMap::new(),
        storage_class: None,
        fixed_uid: false,
        uid_note: Some("OpenShift restricted-v2 SCC assigns the UID from the namespace range".to_owned()),
        run_as_user: 10001,
        tmp_size: "64Mi".to_owned(),
        dns_namespace: "openshift-dns".to_owned(),
        dns_labels: BTreeMap::from([("dns.operator.openshift.io/daemonset-dns".to_owned(), "default".to_owned())]),
        dns_port: 5353,
        ingress_namespace: Some("openshift-ingress".to_owned()),
        ingress_labels: BTreeMap::from([(
            "ingresscontroller.operator.openshift.io/deployment-ingresscontroller".to_owned(),
            "default".to_owned(),
        )]),
        monitoring_namespace: None,
        monitoring_labels: BTreeMap::new(),
        cni: None,
        ingress_cidrs: Vec::new(),
        managed_cidrs: Vec::new(),
        api_server_cidrs: Vec::new(),
        dns_cidrs: Vec::new(),
        gateway: None,
        internal_gateway: None,
        internal_ingress_class: None,
        internal_ingress_annotations: BTreeMap::new(),
        params: BTreeMap::new(),
        identity_annotations: BTreeMap::new(),
        identity_labels: BTreeMap::new(),
        backing_managed: None,
        rollouts_controller: false,
        rollout_router: None,
        rollout_ingress_port: None,
        cluster_name: "cluster".to_owned(),
        span: span(0),
    }
}

fn resources(cpu: &str, memory: &str, cpu_limit: &str, memory_limit: &str) -> ResolvedResources {
    ResolvedResources {
        cpu: cpu.to_owned(),
        memory: memory.to_owned(),
        cpu_limit: cpu_limit.to_owned(),
        memory_limit: memory_limit.to_owned(),
        ephemeral_storage: None,
        ephemeral_storage_limit: None,
    }
}

fn workload(kind: WorkloadKind, name: &str, image: &str, offset: usize) -> ResolvedWorkload {
    ResolvedWorkload {
        kind,
        name: name.to_owned(),
        image: image.to_owned(),
        command: Vec::new(),
        args: Vec::new(),
        schedule: None,
        ports: Vec::new(),
        expose: Vec::new(),
        expose_ports: Vec::new(),
        health: None,
        resources: resources("100m", "128Mi", "100m", "128Mi"),
        replicas: 1,
        scale: None,
        config: BTreeMap::new(),
        secrets: Vec::new(),
        uses: Vec::new(),
        readiness: None,
        liveness: None,
        startup: None,
        composed: Vec::new(),
        pod_env: Vec::new(),
        files: Vec::new(),
        writable: Vec::new(),
        egress: Vec::new(),
        bindings: Vec::new(),
        identity: None,
        http_metrics: None,
        slo: None,
        pod: ResolvedPod { tmp_size: "64Mi".to_owned(), ..ResolvedPod::default() },
        migration: None,
        span: span(offset),
    }
}

/// The readiness and liveness probes `health` gives, as resolve derives them.
fn with_probes(workload: &mut ResolvedWorkload) {
    workload.liveness = workload.health.clone();
    workload.readiness =
        workload.health.clone().map(|health| ResolvedHealth { initial_delay: 0, failure_threshold: 3, ..health });
}

/// The `order` domain of one view: a service with everything, a worker and a job.
fn order_domain(env: &str, registry: &str, dns: &str) -> ResolvedDomain {
    let digest = "sha256:4f6c9d1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
    let mut api = workload(WorkloadKind::Service, "order-api", &format!("{registry}/order-api:1.4.2@{digest}"), 100);
    api.ports = vec![
        ResolvedPort {
            name: "http".to_owned(),
            container_port: 8080,
            service_port: 80,
            protocol: PortProtocol::Http,
            metrics: false,
        },
        ResolvedPort {
            name: "grpc".to_owned(),
            container_port: 9090,
            service_port: 9090,
            protocol: PortProtocol::Grpc,
            metrics: false,
        },
    ];
    let host = format!("order-api.order.{dns}");
    api.expose = vec![
        ResolvedExpose {
            internal: false,
            host: host.clone(),
            path: "/api/orders".to_owned(),
            port: "http".to_owned(),
            span: span(110),
        },
        ResolvedExpose {
            internal: false,
            host,
            path: "/api/carts".to_owned(),
            port: "http".to_owned(),
            span: span(120),
        },
    ];
    api.health = Some(ResolvedHealth {
        check: HealthCheck::Http { path: "/healthz".to_owned() },
        port: "http".to_owned(),
        port_number: 8080,
        initial_delay: 10,
        period: 10,
        timeout: 2,
        failure_threshold: 6,
        headers: Vec::new(),
    });
    with_probes(&mut api);
    api.resources = resources("250m", "256Mi", "500m", "512Mi");
    api.scale = Some(ResolvedScale { min: 2, max: 10, cpu_percent: 70 });
    api.config = BTreeMap::from([
        ("LOG_LEVEL".to_owned(), "info".to_owned()),
        // YAML 1.1 readers would take these for a boolean and an octal number.
        ("FEATURE_X".to_owned(), "on".to_owned()),
        ("UMASK".to_owned(), "0022".to_owned()),
    ]);
    api.secrets = vec![
        ResolvedSecret {
            env: "PAYMENT_TOKEN".to_owned(),
            key: "shop/payments/token".to_owned(),
            property: None,
            span: span(130),
        },
        ResolvedSecret {
            env: "DB_PASSWORD".to_owned(),
            key: "shop/orders-db".to_owned(),
            property: Some("password".to_owned()),
            span: span(140),
        },
    ];
    api.writable = vec!["/var/cache/app".to_owned()];

    let mut projector =
        workload(WorkloadKind::Worker, "order-projector", &format!("{registry}/order-projector:2.0.0@{digest}"), 200);
    projector.ports = vec![ResolvedPort {
        name: "metrics".to_owned(),
        container_port: 9100,
        service_port: 9100,
        protocol: PortProtocol::Tcp,
        metrics: false,
    }];
    projector.health = Some(ResolvedHealth {
        check: HealthCheck::Tcp,
        port: "metrics".to_owned(),
        port_number: 9100,
        initial_delay: 5,
        period: 15,
        timeout: 2,
        failure_threshold: 6,
        headers: Vec::new(),
    });
    with_probes(&mut projector);
    projector.replicas = 2;
    projector.config = BTreeMap::from([("TOPIC".to_owned(), "order-events".to_owned())]);

    let mut archive = workload(WorkloadKind::Job, "order-archive", &format!("{registry}/order-archiver:0.9.1"), 300);
    archive.schedule = Some("0 3 * * *".to_owned());
    archive.args = vec!["--older-than".to_owned(), "90d".to_owned()];

    ResolvedDomain {
        name: "order".to_owned(),
        namespace: format!("order-{env}"),
        team: Some("order-squad".to_owned()),
        group: Some("order-devs".to_owned()),
        quota: ResolvedQuota { cpu: "8".to_owned(), memory: "16Gi".to_owned(), pods: Some(50) },
        workloads: vec![api, projector, archive],
        backing: Vec::new(),
        span: span(10),
    }
}

fn estate(env: &str, target: &str, profile: ResolvedProfile) -> Estate {
    let registry = profile.registry.clone().unwrap_or_default();
    let dns = profile.dns.clone().unwrap_or_default();
    Estate {
        platform: "acme-shop".to_owned(),
        kubernetes: "1.33".to_owned(),
        secret_store: "vault".to_owned(),
        limit_range: ResolvedLimitRange {
            request_cpu: "100m".to_owned(),
            request_memory: "128Mi".to_owned(),
            limit_cpu: "500m".to_owned(),
            limit_memory: "512Mi".to_owned(),
        },
        helm: None,
        chart_templates: std::collections::BTreeMap::new(),
        rollout_templates: std::collections::BTreeMap::new(),
        gitops: None,
        apply_order: berth::resolve::ApplyOrder::default(),
        views: vec![View {
            env: env.to_owned(),
            env_index: 0,
            production: env == "prod",
            approval: None,
            rollout: berth::resolve::ResolvedRollout {
                strategy: berth::resolve::RolloutStrategy::Rolling,
                steps: Vec::new(),
                pause: None,
                span: None,
            },
            target: target.to_owned(),
            profile,
            domains: vec![order_domain(env, &registry, &dns)],
            span: span(1),
        }],
        span: None,
        pipelines: None,
        monitoring: Default::default(),
    }
}

/// The estate on a fixed-UID Ingress target (`prod` on `aws`).
pub fn ingress_estate() -> Estate {
    estate("prod", "aws", ingress_profile())
}

/// The estate on an OpenShift-like Route target (`dev` on `onprem`).
pub fn route_estate() -> Estate {
    estate("dev", "onprem", route_profile())
}

/// Emit an estate, failing on any diagnostic.
pub fn emit_tree(estate: &Estate) -> ArtifactTree {
    let mut diags = Diagnostics::default();
    let tree = emit::emit(&mut diags, estate);
    assert!(diags.is_empty(), "emit pushed diagnostics");
    tree
}

/// The whole tree as one text, as the user would read the files.
fn listing(tree: &ArtifactTree) -> String {
    let mut text = String::new();
    for (path, artifact) in tree {
        text.push_str(&format!("── {path} ──\n{}\n", file::render(artifact)));
    }
    text
}

/// Write the rendered files under `BERTH_EMIT_OBJECTS_DIR`, when set.
fn write_for_oracles(tree: &ArtifactTree) {
    let Some(root) = std::env::var_os("BERTH_EMIT_OBJECTS_DIR") else {
        return;
    };
    let root = std::path::PathBuf::from(root);
    for (path, artifact) in tree {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("create output folder");
        }
        std::fs::write(&file, file::render(artifact)).expect("write output file");
    }
}

#[test]
fn ingress_fixed_uid() {
    let tree = emit_tree(&ingress_estate());
    write_for_oracles(&tree);
    insta::assert_snapshot!(listing(&tree));
}

#[test]
fn route_openshift() {
    let tree = emit_tree(&route_estate());
    write_for_oracles(&tree);
    insta::assert_snapshot!(listing(&tree));
}

#[test]
fn output_is_deterministic_and_well_formed() {
    for estate in [ingress_estate(), route_estate()] {
        let first = listing(&emit_tree(&estate));
        assert_eq!(first, listing(&emit_tree(&estate)));
        for artifact in emit_tree(&estate).values() {
            // The kustomizations listing the objects are checked in `kustomize.rs`.
            if artifact.object().is_none() {
                continue;
            }
            let text = file::render(artifact);
            assert!(text.starts_with("# Generated by berth from "), "{text}");
            assert!(text.ends_with('\n') && !text.contains('\r'));
            // Every file reads back as the very object that was emitted.
            let body: String = text.lines().skip(1).map(|line| format!("{line}\n")).collect();
            let back: serde_json::Value = serde_saphyr::from_str(&body).expect("emitted YAML parses");
            assert_eq!(Some(&back), artifact.object(), "{}", artifact.path);
        }
    }
}

#[test]
fn every_namespaced_object_names_its_namespace_and_labels() {
    for estate in [ingress_estate(), route_estate()] {
        for artifact in emit_tree(&estate).values() {
            // Objects only: the folders' kustomization.yaml files are not in a namespace.
            let Some(object) = artifact.object() else { continue };
            let meta = &object["metadata"];
            let kind = artifact.kind();
            if kind != "Namespace" {
                assert!(meta["namespace"].as_str().is_some_and(|ns| ns.starts_with("order-")), "{}", artifact.path);
            }
            assert_eq!(meta["labels"]["app.kubernetes.io/managed-by"], "berth", "{}", artifact.path);
            assert!(meta["labels"]["app.kubernetes.io/name"].is_string(), "{}", artifact.path);
        }
    }
}

#[test]
fn single_replica_gets_no_budget_and_no_spread() {
    let mut estate = ingress_estate();
    for workload in &mut estate.views[0].domains[0].workloads {
        workload.replicas = 1;
        workload.scale = None;
    }
    let tree = emit_tree(&estate);
    assert!(!tree.keys().any(|path| path.contains("poddisruptionbudget-")));
    assert!(!tree.keys().any(|path| path.contains("horizontalpodautoscaler-")));
    let deployment = tree["prod/aws/order/deployment-order-api.yaml"].object().expect("a Kubernetes object");
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert!(deployment["spec"]["template"]["spec"].get("topologySpreadConstraints").is_none());
}

#[test]
fn autoscaled_deployment_leaves_replicas_to_the_autoscaler() {
    let tree = emit_tree(&ingress_estate());
    let deployment = tree["prod/aws/order/deployment-order-api.yaml"].object().expect("a Kubernetes object");
    assert!(deployment["spec"].get("replicas").is_none());
    let autoscaler =
        tree["prod/aws/order/horizontalpodautoscaler-order-api.yaml"].object().expect("a Kubernetes object");
    assert_eq!(autoscaler["spec"]["minReplicas"], 2);
}
