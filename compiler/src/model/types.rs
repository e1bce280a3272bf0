//! The typed, spanned spec: what the user wrote, with names still unresolved.

use super::bounds::PortNumber;
use super::defaults::WorkloadDefaults;
use super::kind_types::BackingKind;
use super::pipeline_types::{BuildKind, ChartTemplate, CiScript, CiSettings, CiSystem};
use super::pod::{PodSettings, Resources};
use super::vars::{DerivedEnv, PodField};
use crate::diag::{Span, Spanned};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

/// A whole spec file (or the stdlib / a user library: they use the same language).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Spec {
    /// The file it was written in (diagnostics about something missing point at its start).
    pub file: crate::diag::FileId,
    /// The `platform` node; required in a spec, absent in library files.
    pub platform: Option<Platform>,
    /// `target` nodes in declaration order.
    pub targets: Vec<Target>,
    /// `environment` nodes in declaration (= promotion) order.
    pub environments: Vec<Environment>,
    /// `domain` nodes in declaration order.
    pub domains: Vec<Domain>,
    /// `policy` nodes (shape-checked now, evaluated by the policy stage).
    pub policies: Vec<Policy>,
    /// `waive` nodes.
    pub waivers: Vec<Waiver>,
    /// `cloud` nodes: cloud profiles (stdlib `targets/*.kdl` or a user library).
    pub clouds: Vec<CloudProfile>,
    /// Network plugins (`cni`, library files).
    pub cnis: Vec<Cni>,
    /// `backing-kind` nodes: backing-service kinds (stdlib `kinds/*.kdl` or a user library).
    pub backing_kinds: Vec<BackingKind>,
    /// `defaults` node: workload defaults (stdlib `defaults.kdl`, overridable).
    pub defaults: Option<WorkloadDefaults>,
    /// `build-kind` nodes: how a workload's source is tested and built (stdlib
    /// `builds/*.kdl` or a user library).
    pub build_kinds: Vec<BuildKind>,
    /// `ci-system` nodes: a CI system's pipeline templates and action pins (stdlib
    /// `ci/*.kdl` or a user library).
    pub ci_systems: Vec<CiSystem>,
    /// `ci-script` nodes: shell scripts every CI system's templates can print (stdlib
    /// `ci-scripts/*.kdl` or a user library).
    pub ci_scripts: Vec<CiScript>,
    /// `metrics-convention` nodes: HTTP metrics of frameworks (stdlib `metrics/*.kdl`).
    pub metrics_conventions: Vec<super::observe::MetricsConvention>,
    /// `monitoring` node: the monitoring objects' templates (stdlib `monitoring.kdl`).
    pub monitoring: Option<super::observe::Monitoring>,
    /// `chart-template` nodes: the files of the Helm charts (stdlib `charts.kdl` or a
    /// user library).
    pub chart_templates: Vec<ChartTemplate>,
    /// `gitops-tool` nodes: the objects a GitOps tool is given (stdlib `gitops/*.kdl` or a
    /// user library).
    pub gitops_tools: Vec<super::gitops_types::GitopsTool>,
    /// `rollouts` node: the progressive-delivery objects' templates (stdlib
    /// `rollouts.kdl`).
    pub rollouts: Option<super::gitops_types::Rollouts>,
}

/// `platform "name" { registry "..."; kubernetes "1.33" }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Platform {
    /// The platform name, used in `app.kubernetes.io/part-of`.
    pub name: Spanned<String>,
    /// Default image registry prefix for bare image names.
    pub registry: Option<Spanned<String>>,
    /// Kubernetes minor version the output targets, e.g. `1.33`.
    pub kubernetes: Option<Spanned<String>>,
    /// Name of the external-secrets `ClusterSecretStore` that `secret` keys are read from.
    pub secret_store: Option<Spanned<String>>,
    /// `policies "baseline" "production"`: the stdlib policy packs enabled for this estate,
    /// as written; `None` when the node is absent (the policy stage then enables
    /// `baseline`), `Some(vec![])` for a bare `policies` (no pack).
    pub policies: Option<Vec<Spanned<String>>>,
    /// `ci "github" "gitlab" spec="berth.kdl" output="deploy" branch="main"`: the CI
    /// systems pipelines are generated for; `None` when the node is absent.
    pub ci: Option<CiSettings>,
    /// `helm "1.4.0"`: write a Helm chart per target and domain (and an umbrella chart per
    /// environment and target), with this chart `version` and `appVersion` (SemVer 2).
    pub helm: Option<Spanned<String>>,
    /// `gitops "argocd" repo="..." path="..." revision="..."`: deliver the output with a
    /// GitOps tool; `None` when the node is absent (no GitOps objects are written).
    pub gitops: Option<super::gitops_types::GitopsSettings>,
    /// The whole node.
    pub span: Span,
}

/// `target "name" cloud="eks" { ... }`: a concrete cluster, based on a cloud profile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// Target name; a path component of the output.
    pub name: Spanned<String>,
    /// Cloud profile name (`eks`, `gke`, `aks`, `openshift`, `onprem`, or a library one).
    pub cloud: Spanned<String>,
    /// Cloud region, informational for now.
    pub region: Option<Spanned<String>>,
    /// Facts overriding the cloud profile's.
    pub facts: ProfileFacts,
    /// The whole node.
    pub span: Span,
}

/// Facts a cloud profile provides and a target may override. All optional: resolution
/// layers them stdlib -> profile -> target.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ProfileFacts {
    /// DNS zone for exposed hosts, e.g. `apps.ocp.acme.internal`.
    pub dns: Option<Spanned<String>>,
    /// Image registry prefix overriding the platform's.
    pub registry: Option<Spanned<String>>,
    /// How exposure is realised: `ingress`, `route` (the profile's `route-object`) or `gateway`.
    pub exposure: Option<Spanned<String>>,
    /// The object `exposure "route"` emits per `expose`: a YAML template over `name`,
    /// `workload`, `host`, `path` and `port` (`route-object #"""..."""#`).
    pub route_object: Option<Spanned<String>>,
    /// IngressClass name for `ingress` exposure.
    pub ingress_class: Option<Spanned<String>>,
    /// Extra annotations on every Ingress (e.g. ALB scheme), in order.
    pub ingress_annotations: IndexMap<String, Spanned<String>>,
    /// Default StorageClass for persistent volumes.
    pub storage_class: Option<Spanned<String>>,
    /// Whether pods may carry fixed UIDs/GIDs (false on OpenShift's restricted SCC).
    pub fixed_uid: Option<Spanned<bool>>,
    /// Why pods carry no fixed UID where `fixed-uid #false` (`uid-note "..."`): the
    /// reason the scanner notes on each controller give.
    pub uid_note: Option<Spanned<String>>,
    /// Namespace of the cluster DNS pods that NetworkPolicies allow egress to, e.g.
    /// `kube-system` or `openshift-dns`.
    pub dns_namespace: Option<Spanned<String>>,
    /// Labels of the cluster DNS pods (`dns-label "k8s-app" "kube-dns"`), in order.
    pub dns_labels: IndexMap<String, Spanned<String>>,
    /// Port the DNS pods listen on (UDP and TCP); policies see the pod port, so 5353 on
    /// OpenShift although its Service says 53.
    pub dns_port: Option<Spanned<PortNumber>>,
    /// Namespace of the ingress controller (or router) pods that reach exposed services.
    pub ingress_namespace: Option<Spanned<String>>,
    /// Labels of the ingress controller pods (`ingress-label "k" "v"`), in order.
    pub ingress_labels: IndexMap<String, Spanned<String>>,
    /// Namespace of the monitoring pods (Prometheus) that scrape `metrics=#true` ports.
    pub monitoring_namespace: Option<Spanned<String>>,
    /// Labels of the monitoring pods (`monitoring-label "k" "v"`), in order; empty means
    /// every pod of the monitoring namespace.
    pub monitoring_labels: IndexMap<String, Spanned<String>>,
    /// The cluster's network plugin (`cni "cilium"`), a library `cni` by name.
    pub cni: Option<Spanned<String>>,
    /// Address ranges the ingress load balancer reaches pods from
    /// (`ingress-cidr "35.191.0.0/16"`), for load balancers outside the cluster.
    pub ingress_cidrs: Vec<Spanned<String>>,
    /// Address ranges of the cloud's managed services (`managed-cidr "10.20.0.0/16"`),
    /// which consumers of managed backing services get egress to on the kind's port.
    pub managed_cidrs: Vec<Spanned<String>>,
    /// Node-local DNS addresses pods resolve through (`dns-cidr "169.254.20.10/32"`),
    /// allowed on the DNS port next to the DNS pods.
    pub dns_cidrs: Vec<Spanned<String>>,
    /// Address ranges of the Kubernetes API server endpoints (`api-server-cidr`), for
    /// operator-run pods that call the API.
    pub api_server_cidrs: Vec<Spanned<String>>,
    /// The shared Gateway that `exposure "gateway"` attaches HTTPRoutes to.
    pub gateway: Option<GatewayRef>,
    /// The Gateway for `expose ... internal=#true` (default: `gateway`).
    pub internal_gateway: Option<GatewayRef>,
    /// IngressClass for internal exposures (default: `ingress-class`).
    pub internal_ingress_class: Option<Spanned<String>>,
    /// Annotations of the internal Ingress, over `ingress-annotation` (same key wins).
    pub internal_ingress_annotations: IndexMap<String, Spanned<String>>,
    /// Annotations of every `LoadBalancer` Service (`expose-port type="load-balancer"`).
    pub load_balancer_annotations: IndexMap<String, Spanned<String>>,
    /// Annotations of an internal load balancer, over `load-balancer-annotation`.
    pub internal_load_balancer_annotations: IndexMap<String, Spanned<String>>,
    /// ServiceAccount annotations of a workload with an `identity`, as templates
    /// (`identity-annotation "eks.amazonaws.com/role-arn" "arn:aws:iam::{{ params.account }}:role/{{ identity }}"`).
    pub identity_annotations: IndexMap<String, Spanned<String>>,
    /// Pod labels of a workload with an `identity` (`identity-label "azure.workload.identity/use" "true"`).
    pub identity_labels: IndexMap<String, Spanned<String>>,
    /// Named values that backing-service realisations and identity templates read
    /// (`param "project" "acme-prod"`), in order.
    pub params: IndexMap<String, Spanned<String>>,
    /// Whether backing services on this target are managed unless a declaration says
    /// otherwise (`backing-managed #true`); overrides the kind's `managed` default.
    pub backing_managed: Option<Spanned<bool>>,
    /// The cluster runs the Argo Rollouts controller (`rollouts-controller #true`).
    pub rollouts_controller: Option<Spanned<bool>>,
    /// Template of a canary's `trafficRouting` (`rollout-router`); none: replica ratio.
    pub rollout_router: Option<Spanned<String>>,
    /// Port name of a routed canary's Ingress backends (`rollout-ingress-port`).
    pub rollout_ingress_port: Option<Spanned<String>>,
    /// The cluster's name in the GitOps tool (`cluster-name "prod-seoul"`: Argo CD's
    /// registered cluster); default: the target's name.
    pub cluster_name: Option<Spanned<String>>,
}

/// `gateway "public" namespace="gateway-system" section="https"`: a platform-owned Gateway.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GatewayRef {
    /// Gateway name.
    pub name: Spanned<String>,
    /// Its namespace. (Which pods reach exposed services is the profile's
    /// `ingress-namespace`/`ingress-cidr`: a gateway's data plane need not run here.)
    pub namespace: Spanned<String>,
    /// Listener (`sectionName`) to attach to, if not all.
    pub section: Option<Spanned<String>>,
    /// The node.
    pub span: Span,
}

/// `cloud "eks" { ... }`: a cloud profile from the stdlib or a user library.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CloudProfile {
    /// Profile name referenced by `target cloud=`.
    pub name: Spanned<String>,
    /// Human description.
    pub description: Option<Spanned<String>>,
    /// The profile's facts.
    pub facts: ProfileFacts,
    /// The whole node.
    pub span: Span,
}

/// `cni "cilium" { ... }`: a cluster network plugin a target's `cni` can name, from the
/// stdlib (`stdlib/cnis/`) or a user library; what it can enforce beyond NetworkPolicy.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Cni {
    /// Name referenced by a profile's or target's `cni`.
    pub name: Spanned<String>,
    /// Human description.
    pub description: Option<Spanned<String>>,
    /// `egress-by-name #"""..."""#`: the YAML template of the policy that lets a
    /// workload reach external hosts by name (`egress` without `cidr=`); without it such
    /// egress is not enforceable on this plugin.
    pub egress_by_name: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// A scalar value as written (serialised as the JSON scalar itself).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

/// `environment "prod" target="aws" { approval ...; rollout ... }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Environment {
    /// Environment name; a path component of the output.
    pub name: Spanned<String>,
    /// Targets this environment runs on (`target="a"` or `target "a" "b"` for hybrid).
    pub targets: Vec<Spanned<String>>,
    /// Marked production (`production=#true`): production policies apply.
    pub production: Option<Spanned<bool>>,
    /// Group that must approve a promotion into this environment.
    pub approval: Option<Spanned<String>>,
    /// Rollout strategy for this environment.
    pub rollout: Option<Rollout>,
    /// The whole node.
    pub span: Span,
}

/// `rollout "canary" steps="10,30,60"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rollout {
    /// `rolling`, `canary` or `blue-green`.
    pub strategy: Spanned<String>,
    /// Canary traffic percentages, strictly increasing (canary only).
    pub steps: Vec<u8>,
    /// How long each canary step holds (`pause="10m"`); `None`: until promoted by hand.
    pub pause: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// `domain "order" team="order-squad" { ... }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Domain {
    /// Domain name; the namespace is `<domain>` in every environment's cluster.
    pub name: Spanned<String>,
    /// Owning team; becomes a label and the RoleBinding's group.
    pub team: Option<Spanned<String>>,
    /// Group bound to the domain namespace's `edit` role (default: the team name).
    pub group: Option<Spanned<String>>,
    /// `quota` node.
    pub quota: Option<Quota>,
    /// Workloads in declaration order.
    pub workloads: Vec<Workload>,
    /// Backing services in declaration order.
    pub backing: Vec<BackingService>,
    /// `shared "name" { ... }`: config and secrets that workloads `include`.
    pub shared: Vec<super::vars::SharedConfig>,
    /// The whole node.
    pub span: Span,
}

/// `quota cpu=8 memory="16Gi" pods=50`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Quota {
    /// Total CPU requests (and limits) of the namespace.
    pub cpu: Option<Spanned<String>>,
    /// Total memory requests (and limits).
    pub memory: Option<Spanned<String>>,
    /// Maximum pod count.
    pub pods: Option<Spanned<i64>>,
    /// The whole node.
    pub span: Span,
}

/// The three workload node names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// `service`: long-running, has ports, gets a Service.
    Service,
    /// `worker`: long-running, no Service.
    Worker,
    /// `job`: a CronJob on `schedule`.
    Job,
}

impl WorkloadKind {
    /// The node name as written in the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Worker => "worker",
            Self::Job => "job",
        }
    }
}

/// A `service`, `worker` or `job` node.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Workload {
    /// Which of the three it is.
    pub kind: WorkloadKind,
    /// Name, unique within its domain.
    pub name: Spanned<String>,
    /// Cron schedule (jobs only; required there).
    pub schedule: Option<Spanned<String>>,
    /// Settings at the top level of the node.
    pub settings: WorkloadSettings,
    /// `in "<env>" { ... }` blocks, applied by `resolve` in order.
    pub overrides: Vec<EnvOverride>,
    /// `source "services/order-api"`: where its code lives in the repository; a workload
    /// with a source gets a pipeline.
    pub source: Option<Spanned<String>>,
    /// `source ... repo="https://..." ref="main"`: the repository the source folder is
    /// in, when it is not the spec's.
    pub repository: Option<crate::model::SourceRepository>,
    /// `build "maven"`: how the source is built (a `build-kind`; default `dockerfile`).
    pub build: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// Everything a workload may set, at the top level or in an `in` block. Lists add up
/// across layers; scalars are replaced.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkloadSettings {
    /// `image "name" tag="1.2" digest="sha256:..."`.
    pub image: Option<Image>,
    /// `command "a" "b"` (container args override is `args`).
    pub command: Option<Spanned<Vec<String>>>,
    /// `args "a" "b"`.
    pub args: Option<Spanned<Vec<String>>>,
    /// `port "http" 8080 service-port=80 protocol="http"`, in order.
    pub ports: Vec<Port>,
    /// `expose "/path" port="http" host="..."`.
    pub expose: Vec<Expose>,
    /// `expose-port "tcp" type="load-balancer" { from "..." }`: a port outside HTTP.
    pub expose_ports: Vec<super::exposure::PortExposure>,
    /// `health ...`: the short form, one probe for liveness and readiness.
    pub health: Option<Health>,
    /// `readiness ...`: replaces the readiness probe `health` gives.
    pub readiness: Option<Health>,
    /// `liveness ...`: replaces the liveness probe `health` gives.
    pub liveness: Option<Health>,
    /// `startup ...`: a startup probe.
    pub startup: Option<Health>,
    /// `resources cpu=".." memory=".." cpu-limit=".." memory-limit=".."`.
    pub resources: Option<Resources>,
    /// `replicas N`.
    pub replicas: Option<Spanned<i64>>,
    /// `scale min= max= cpu-percent=`.
    pub scale: Option<Scale>,
    /// `config KEY="value" ...`, merged key by key across layers.
    pub config: IndexMap<String, Spanned<String>>,
    /// `secret "ENV_NAME" key="path/in/store" property="field"`.
    pub secrets: Vec<SecretRef>,
    /// `uses "name"` / `uses "domain/name" as="producer"`.
    pub uses: Vec<Use>,
    /// `include "common"`: the domain's `shared` config and secrets this workload gets,
    /// under its own; names add up across layers.
    pub include: Vec<Spanned<String>>,
    /// `from-pod POD_NAMESPACE="namespace"`: variables from the downward API, merged key
    /// by key across layers.
    pub from_pod: IndexMap<String, Spanned<PodField>>,
    /// `files "/dir" { ... }`: secret and config values as read-only files; a directory
    /// written again in a later layer replaces the earlier one.
    pub files: Vec<super::files::FileDir>,
    /// `writable "/path"`: extra emptyDir mounts (the root filesystem is read-only).
    pub writable: Vec<Spanned<String>>,
    /// `egress "api.stripe.com" port=443 cidr="203.0.113.0/24"`: allowed connections to
    /// endpoints outside the cluster, in order; lists add up across layers.
    pub egress: Vec<Egress>,
    /// `enabled #false` in an `in` block removes the workload from that environment.
    pub enabled: Option<Spanned<bool>>,
    /// `identity "orders"`: the cloud identity (IAM role, service account, managed
    /// identity) the workload's pods assume, realised by the target profile.
    pub identity: Option<Spanned<String>>,
    /// `placement "aws" "gcp"`: the targets of a hybrid environment the workload runs
    /// on; absent = all of them.
    pub placement: Option<Spanned<Vec<String>>>,
    /// `migrate { image ...; command ...; args ... }`: a Job that runs to completion
    /// before this workload's new version rolls out, on every release; a later layer's
    /// replaces an earlier one.
    pub migration: Option<Migration>,
    /// Pod settings (`termination-grace`, `pod-annotation`, `node-selector`, `tmp`, ...).
    pub pod: PodSettings,
    /// `slo availability=99.9 latency="300ms"`: objectives over the HTTP metrics.
    pub slo: Option<super::observe::Slo>,
    /// `http-metrics "micrometer"`: which HTTP server metrics the app exposes.
    pub http_metrics: Option<super::observe::HttpMetrics>,
}

/// `migrate { image "flyway/flyway" tag="11.8"; args "migrate" }`: the migration step of
/// a workload (its own image, command and args; the workload's variables, identity and
/// network access).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Migration {
    /// The image that runs the migration (required).
    pub image: Image,
    /// `command "a" "b"`.
    pub command: Option<Spanned<Vec<String>>>,
    /// `args "a" "b"`.
    pub args: Option<Spanned<Vec<String>>>,
    /// The whole node.
    pub span: Span,
}

/// A container image reference.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Image {
    /// Repository, bare (`order-api`: prefixed by the registry) or full (`redis`, `ghcr.io/x/y`).
    pub name: Spanned<String>,
    /// Tag, from `tag=` or from a `:tag` suffix of the name.
    pub tag: Option<Spanned<String>>,
    /// `sha256:<64 hex>` digest.
    pub digest: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// Application protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortProtocol {
    /// HTTP (default).
    Http,
    /// gRPC (HTTP/2).
    Grpc,
    /// Raw TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// `port "http" 8080 service-port=80 protocol="http"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Port {
    /// Port name (IANA service name: <= 15 chars, lowercase, a letter).
    pub name: Spanned<String>,
    /// Container port.
    pub container_port: Spanned<PortNumber>,
    /// Port on the Service (default: the container port).
    pub service_port: Option<Spanned<PortNumber>>,
    /// Application protocol.
    pub protocol: Spanned<PortProtocol>,
    /// `metrics=#true`: the monitoring namespace's pods may scrape this port.
    pub metrics: bool,
    /// The whole node.
    pub span: Span,
}

/// `egress "api.stripe.com" port=443 cidr="203.0.113.0/24"`: an endpoint outside the
/// cluster that a workload may connect to over TCP.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Egress {
    /// Host name of the endpoint (documentation, and the FQDN for Cilium policies).
    pub host: Spanned<String>,
    /// Destination TCP port.
    pub port: Spanned<PortNumber>,
    /// Address range of the endpoint (`203.0.113.0/24`), for a plain NetworkPolicy.
    pub cidr: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// `expose "/api" port="http" host="shop.example.com"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Expose {
    /// URL path prefix.
    pub path: Spanned<String>,
    /// Port name (default: the first port).
    pub port: Option<Spanned<String>>,
    /// Host name (default: `<service>.<domain>.<target dns>`).
    pub host: Option<Spanned<String>>,
    /// `internal=#true`: reachable from the private network only (the profile's
    /// internal load balancer, class or gateway).
    pub internal: bool,
    /// The whole node.
    pub span: Span,
}

/// Health check kinds: `{"check": "http", "path": "/healthz"}`, `{"check": "grpc"}`,
/// `{"check": "tcp"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, serde::Deserialize)]
#[serde(tag = "check", rename_all = "lowercase")]
pub enum HealthCheck {
    /// HTTP GET on a path.
    Http {
        /// The path.
        path: String,
    },
    /// gRPC health protocol.
    Grpc,
    /// TCP connect.
    Tcp,
}

/// `health "/healthz"` / `health grpc=#true` / `health tcp=#true`, with `port=`,
/// `initial-delay=`, `period=`; also `readiness`, `liveness` and `startup`, which add
/// `timeout=`, `failure-threshold=` and `header` children.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Health {
    /// What to probe.
    pub check: Spanned<HealthCheck>,
    /// Port name (default: the first port).
    pub port: Option<Spanned<String>>,
    /// Initial delay in seconds (for `health`: of the liveness probe).
    pub initial_delay: Option<Spanned<i64>>,
    /// Probe period in seconds.
    pub period: Option<Spanned<i64>>,
    /// Probe timeout in seconds.
    pub timeout: Option<Spanned<i64>>,
    /// Failed probes in a row before the probe counts as failed.
    pub failure_threshold: Option<Spanned<i64>>,
    /// HTTP headers (`header "Name" "value"`), in order.
    pub headers: Vec<(Spanned<String>, Spanned<String>)>,
    /// The whole node.
    pub span: Span,
}

/// `scale min=2 max=10 cpu-percent=70`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Scale {
    /// Minimum replicas.
    pub min: Spanned<i64>,
    /// Maximum replicas.
    pub max: Spanned<i64>,
    /// Target average CPU utilisation in percent.
    pub cpu_percent: Option<Spanned<i64>>,
    /// The whole node.
    pub span: Span,
}

/// `secret "ENV_NAME" key="shop/payments/token" property="value"`: a reference into the
/// external secret store, never a value.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SecretRef {
    /// Environment variable name in the container.
    pub env: Spanned<String>,
    /// Key (path) in the external store.
    pub key: Spanned<String>,
    /// Property within the key (for JSON secrets).
    pub property: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// `uses "orders-db"` / `uses "payment/payment-api" as="producer"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Use {
    /// Domain part, when written as `domain/name`.
    pub domain: Option<String>,
    /// Name part.
    pub name: String,
    /// The reference as written.
    pub span: Span,
    /// Role for queues (`producer`, `consumer`), informational.
    pub role: Option<Spanned<String>>,
    /// `prefix="ARCHIVE_"`: put before every connection variable of a backing service,
    /// so a workload can use two of the same kind.
    pub prefix: Option<Spanned<String>>,
    /// `env="CART_ADDR"`: a service's address (`host:port`) in this variable.
    pub env: Option<Spanned<String>>,
    /// `port="grpc"`: the callee port that `env=` and `$(PORT)` name.
    pub port: Option<Spanned<String>>,
    /// `env "NAME" "value"` children: variables built from the callee's variables.
    pub derived: Vec<DerivedEnv>,
}

/// `in "prod" { ... }`: per-environment overrides.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EnvOverride {
    /// Environment name as written.
    pub env: Spanned<String>,
    /// Settings replacing or adding to the base ones.
    pub settings: WorkloadSettings,
    /// The whole node.
    pub span: Span,
}

/// A backing-service declaration, `postgres "orders-db" version="16" { in "prod" managed=#true }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BackingService {
    /// Kind name as written (node name): resolved against the library's kinds.
    pub kind: Spanned<String>,
    /// Declared name, unique within the domain.
    pub name: Spanned<String>,
    /// `managed=` as written: the cloud's managed service (true) or in-cluster (false).
    pub managed: Option<Spanned<bool>>,
    /// `placement="<target>"` as written: the one target of a hybrid environment it runs on.
    pub placement: Option<Spanned<String>>,
    /// The kind's properties as written (neither `managed` nor `placement`), checked
    /// against the kind in `resolve`.
    pub properties: IndexMap<String, Spanned<Value>>,
    /// Per-environment property overrides: `in "prod" managed=#true storage="50Gi"`.
    pub overrides: Vec<BackingOverride>,
    /// The whole node.
    pub span: Span,
}

/// `in "prod" managed=#true` inside a backing service.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BackingOverride {
    /// Environment name.
    pub env: Spanned<String>,
    /// `managed=` in that environment.
    pub managed: Option<Spanned<bool>>,
    /// `placement=` in that environment.
    pub placement: Option<Spanned<String>>,
    /// Kind properties replaced in that environment.
    pub properties: IndexMap<String, Spanned<Value>>,
    /// The whole node.
    pub span: Span,
}

/// `policy "id" severity="error" { match "service" env="prod"; require "expr" message=".." }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// Policy id.
    pub id: Spanned<String>,
    /// `error`, `warning` or `info`.
    pub severity: Spanned<String>,
    /// What it matches: entity kinds or Kubernetes kinds.
    pub matches: Vec<PolicyMatch>,
    /// `require` / `deny` rules.
    pub rules: Vec<PolicyRule>,
    /// `pack="baseline"`: the stdlib pack the policy belongs to. A policy with a pack runs
    /// only when the platform enables that pack (`policies "baseline" ...`); one without
    /// (a spec's own policy) always runs.
    pub pack: Option<Spanned<String>>,
    /// `status="stable"` (or `preview`): how settled a stdlib policy is, listed in
    /// `docs/policies.md`; informational, both run.
    pub status: Option<Spanned<String>>,
    /// `since="0.1.0"`: the Berth version that introduced a stdlib policy.
    pub since: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}

/// `match "service" env="prod"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PolicyMatch {
    /// Entity kind (`service`, `worker`, `job`, `backing`, `domain`, `environment`) or a
    /// Kubernetes kind (`Deployment`).
    pub kind: Spanned<String>,
    /// Optional environment filter.
    pub env: Option<Spanned<String>>,
}

/// `require "expr" message=".."` or `deny "expr" message=".."`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PolicyRule {
    /// `true` for `require`, `false` for `deny`.
    pub require: bool,
    /// CEL expression text.
    pub expression: Spanned<String>,
    /// Message shown when the rule fails.
    pub message: Option<Spanned<String>>,
    /// `each="config"`: the expression runs once per key of that map (or element of that
    /// list) as `item`, and each item that fails is its own finding, named and waivable.
    pub each: Option<Spanned<String>>,
}

/// `waive "policy" on="domain/entity" reason="..." until="YYYY-MM-DD"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Waiver {
    /// Policy id.
    pub policy: Spanned<String>,
    /// Entity the waiver applies to, `domain/name` or `domain`.
    pub on: Spanned<String>,
    /// Only the finding about this item (a rule with `each=`), such as one `config` key.
    pub item: Option<Spanned<String>>,
    /// Why (required by the policy stage).
    pub reason: Option<Spanned<String>>,
    /// Expiry date.
    pub until: Option<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}
