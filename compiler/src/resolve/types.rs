//! The resolved estate: one fully resolved view per (environment, target).
//!
//! Everything here is concrete: defaults, the target's cloud profile, the environment and
//! the `in` overrides are applied, references are bound, images are complete. Emitters
//! read only these types; no emitter sees a spec node or a cloud name in a `match`.

use crate::diag::Span;
use crate::model::bounds::PortNumber;
use crate::model::{HealthCheck, PortProtocol, RealisationMode, Value, WorkloadKind};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The resolved estate.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Estate {
    /// Platform name.
    pub platform: String,
    /// Kubernetes minor version the output targets, e.g. `1.33`.
    pub kubernetes: String,
    /// `ClusterSecretStore` that secret references read from.
    pub secret_store: String,
    /// The LimitRange every domain namespace gets.
    pub limit_range: ResolvedLimitRange,
    /// One entry per (environment, target), in promotion order, then target order.
    pub views: Vec<View>,
    /// The `platform` node (provenance of estate-wide files); `None` only in the empty
    /// estate of a spec without one.
    pub span: Option<Span>,
    /// CI systems and built workloads, when the spec has pipelines.
    pub pipelines: Option<super::pipelines::ResolvedPipelines>,
    /// The chart version of the platform's `helm` node: Helm charts are written when set.
    pub helm: Option<String>,
    /// The monitoring templates and alerting method of the library.
    #[serde(default)]
    pub monitoring: super::observe::ResolvedMonitoring,
    /// The library's chart templates by name (text and span), when `helm` is set: the
    /// files of every chart (docs/helm.md). Not part of the estate's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub chart_templates: BTreeMap<String, crate::diag::Spanned<String>>,
    /// The library's progressive-delivery templates by name (`rollout`: the Argo Rollouts
    /// object, stdlib `rollouts.kdl`). Not part of the estate's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub rollout_templates: BTreeMap<String, crate::diag::Spanned<String>>,
    /// The GitOps tool and repository, when the platform has `gitops`.
    pub gitops: Option<super::gitops::ResolvedGitops>,
    /// The annotations that order migration Jobs and workloads for the deployment tools
    /// (the library's `defaults`). Not part of the estate's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub apply_order: ApplyOrder,
}

/// Apply order as annotations, from the library's `defaults` (stdlib: Argo CD sync waves
/// and hooks, Helm hooks). Which object is in which phase is the emitters' decision: the
/// backing services and everything a workload needs first (no annotation of Berth's),
/// then its migration Job, then its controller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOrder {
    /// `migration-annotation`: on every migration Job.
    pub migration: BTreeMap<String, String>,
    /// `workload-annotation`: on a workload's controller in the workload phase.
    pub workload: BTreeMap<String, String>,
}

/// The estate as deployed in one environment on one target cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct View {
    /// Environment name.
    pub env: String,
    /// Index of the environment in promotion order.
    pub env_index: usize,
    /// Whether the environment is marked production.
    pub production: bool,
    /// Approval group for promotion into this environment.
    pub approval: Option<String>,
    /// How workloads are rolled out (`rolling` by default).
    pub rollout: ResolvedRollout,
    /// Target name.
    pub target: String,
    /// The target's resolved facts.
    pub profile: ResolvedProfile,
    /// Domains in declaration order.
    pub domains: Vec<ResolvedDomain>,
    /// The environment node, for provenance.
    pub span: Span,
}

/// An environment's rollout strategy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedRollout {
    /// The strategy.
    pub strategy: RolloutStrategy,
    /// Canary traffic percentages, increasing (empty unless `canary`).
    pub steps: Vec<u8>,
    /// How long each canary step holds (`10m`); `None`: until promoted by hand.
    pub pause: Option<String>,
    /// The `rollout` node, when written.
    pub span: Option<Span>,
}

/// `rollout "rolling"`, `"canary"` or `"blue-green"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutStrategy {
    /// A Deployment's rolling update.
    Rolling,
    /// An Argo Rollouts canary: traffic shifted in steps.
    Canary,
    /// An Argo Rollouts blue-green: a preview ReplicaSet, then a switch.
    BlueGreen,
}

impl RolloutStrategy {
    /// From the spelling in a spec; `model` accepts only these three.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "rolling" => Some(Self::Rolling),
            "canary" => Some(Self::Canary),
            "blue-green" => Some(Self::BlueGreen),
            _ => None,
        }
    }

    /// The spelling in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::Canary => "canary",
            Self::BlueGreen => "blue-green",
        }
    }
}

/// Cloud profile facts after layering stdlib -> profile -> target.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedProfile {
    /// Cloud profile name (`eks`, ...).
    pub cloud: String,
    /// Region, if declared.
    pub region: Option<String>,
    /// DNS zone for exposed hosts.
    pub dns: Option<String>,
    /// Registry prefix for bare image names.
    pub registry: Option<String>,
    /// How exposed services are reached: Ingress, the profile's route object or Gateway API.
    pub exposure: Exposure,
    /// The object template `exposure "route"` renders per `expose` (`route-object`).
    pub route_object: Option<crate::diag::Spanned<String>>,
    /// IngressClass name.
    pub ingress_class: Option<String>,
    /// Annotations added to every Ingress.
    pub ingress_annotations: BTreeMap<String, String>,
    /// Default StorageClass.
    pub storage_class: Option<String>,
    /// Whether pod security contexts carry fixed UID/GID/fsGroup.
    pub fixed_uid: bool,
    /// Why they carry none, for the scanner notes (`uid-note`).
    pub uid_note: Option<String>,
    /// UID and GID to use where fixed UIDs are allowed.
    pub run_as_user: i64,
    /// Size limit of the `/tmp` emptyDir.
    pub tmp_size: String,
    /// Namespace of the cluster DNS pods (`kube-system` default).
    pub dns_namespace: String,
    /// Labels selecting the cluster DNS pods (`k8s-app: kube-dns` default).
    pub dns_labels: BTreeMap<String, String>,
    /// Pod port of the cluster DNS, UDP and TCP (53 default).
    pub dns_port: PortNumber,
    /// Namespace of the ingress controller pods; `None` when the profile cannot name one
    /// (load balancers that reach pods from outside the cluster), so no in-cluster peer
    /// is allowed.
    pub ingress_namespace: Option<String>,
    /// Labels selecting the ingress controller pods within `ingress_namespace`; empty
    /// means every pod of that namespace.
    pub ingress_labels: BTreeMap<String, String>,
    /// Namespace of the monitoring pods that scrape `metrics` ports; `None` when the
    /// profile names none, so no scrape ingress is allowed.
    pub monitoring_namespace: Option<String>,
    /// Labels selecting the monitoring pods within `monitoring_namespace`; empty means
    /// every pod of that namespace.
    pub monitoring_labels: BTreeMap<String, String>,
    /// The cluster's network plugin when the profile or target names one: a library
    /// `cni`, looked up once here.
    pub cni: Option<ResolvedCni>,
    /// Address ranges the ingress load balancer reaches pods from, for exposed ports.
    pub ingress_cidrs: Vec<String>,
    /// Address ranges of managed backing services.
    pub managed_cidrs: Vec<String>,
    /// Node-local DNS addresses.
    pub dns_cidrs: Vec<String>,
    /// Address ranges of the Kubernetes API server.
    pub api_server_cidrs: Vec<String>,
    /// The shared Gateway HTTPRoutes attach to (`exposure "gateway"`).
    pub gateway: Option<ResolvedGateway>,
    /// The Gateway internal exposures attach to (the profile's `internal-gateway`, else `gateway`).
    pub internal_gateway: Option<ResolvedGateway>,
    /// IngressClass of internal exposures (`internal-ingress-class`, else `ingress-class`).
    pub internal_ingress_class: Option<String>,
    /// Annotations of the internal Ingress: `ingress-annotation` with
    /// `internal-ingress-annotation` over it.
    pub internal_ingress_annotations: BTreeMap<String, String>,
    /// Annotations of every `LoadBalancer` Service (`load-balancer-annotation`).
    pub load_balancer_annotations: BTreeMap<String, String>,
    /// Annotations of an internal `LoadBalancer` Service: `load-balancer-annotation` with
    /// `internal-load-balancer-annotation` over it; `None` when the profile names no
    /// internal load balancer.
    pub internal_load_balancer_annotations: Option<BTreeMap<String, String>>,
    /// Named values for realisation and identity templates.
    pub params: BTreeMap<String, String>,
    /// ServiceAccount annotations of a workload with an `identity` (templates).
    pub identity_annotations: BTreeMap<String, crate::diag::Spanned<String>>,
    /// Pod labels of a workload with an `identity` (templates).
    pub identity_labels: BTreeMap<String, crate::diag::Spanned<String>>,
    /// Whether backing services are managed unless declared otherwise.
    pub backing_managed: Option<bool>,
    /// Whether the cluster runs the Argo Rollouts controller.
    pub rollouts_controller: bool,
    /// The template of a canary's `trafficRouting` (`rollout-router`), with its span in
    /// the library; `None`: traffic follows the replica ratio.
    pub rollout_router: Option<crate::diag::Spanned<String>>,
    /// The Service port name a routed canary's Ingress backends name (`rollout-ingress-port`).
    pub rollout_ingress_port: Option<String>,
    /// The cluster's name in the GitOps tool (`cluster-name`; default: the target's name).
    pub cluster_name: String,

    /// The target node.
    pub span: Span,
}

/// A target's network plugin (library `cni`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedCni {
    /// Its name.
    pub name: String,
    /// The template of the policy that allows egress to external hosts by name; `None`
    /// when the plugin cannot enforce such egress.
    pub egress_by_name: Option<crate::diag::Spanned<String>>,
}

/// How a profile exposes services (`exposure "ingress"`, `"route"`, `"gateway"`), decided
/// once in `resolve` from the layered profile facts (`ingress` when none says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// Kubernetes Ingress objects with the profile's class and annotations.
    Ingress,
    /// OpenShift Routes.
    Route,
    /// Gateway API HTTPRoutes attached to the profile's `gateway`.
    Gateway,
}

impl Exposure {
    /// From the spelling in a profile; `model` accepts only these three.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "ingress" => Some(Self::Ingress),
            "route" => Some(Self::Route),
            "gateway" => Some(Self::Gateway),
            _ => None,
        }
    }

    /// The spelling in a profile.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Route => "route",
            Self::Gateway => "gateway",
        }
    }
}

/// A platform-owned Gateway.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedGateway {
    /// Gateway name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// Listener name, if routes attach to one listener only.
    pub section: Option<String>,
}

/// A domain in one view: becomes a namespace.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedDomain {
    /// Domain name (the output folder).
    pub name: String,
    /// Namespace of this domain in this environment: `<domain>-<env>`, because several
    /// environments may share one target cluster. Use this for `metadata.namespace`.
    pub namespace: String,
    /// Owning team.
    pub team: Option<String>,
    /// Group bound to the namespace's `edit` ClusterRole.
    pub group: Option<String>,
    /// Namespace quota (always present: stdlib default when not written).
    pub quota: ResolvedQuota,
    /// Workloads enabled in this environment, in declaration order.
    pub workloads: Vec<ResolvedWorkload>,
    /// Backing services, in declaration order.
    pub backing: Vec<ResolvedBacking>,
    /// The domain node.
    pub span: Span,
}

/// Resolved namespace quota.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedQuota {
    /// CPU total, a Kubernetes quantity.
    pub cpu: String,
    /// Memory total.
    pub memory: String,
    /// Pod count.
    pub pods: Option<i64>,
}

/// The LimitRange of every domain namespace (stdlib `defaults { limit-range ... }`): what a
/// container created without requests or limits gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ResolvedLimitRange {
    /// Default CPU request.
    pub request_cpu: String,
    /// Default memory request.
    pub request_memory: String,
    /// Default CPU limit.
    pub limit_cpu: String,
    /// Default memory limit.
    pub limit_memory: String,
}

/// A workload after all layers apply.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedWorkload {
    /// Service, worker or job.
    pub kind: WorkloadKind,
    /// Name.
    pub name: String,
    /// Full image reference: `registry/name:tag@digest`.
    pub image: String,
    /// Container command.
    pub command: Vec<String>,
    /// Container args.
    pub args: Vec<String>,
    /// Cron schedule (jobs).
    pub schedule: Option<String>,
    /// Ports in declaration order.
    pub ports: Vec<ResolvedPort>,
    /// Public exposures.
    pub expose: Vec<ResolvedExpose>,
    /// Ports reached through a `LoadBalancer` or `NodePort` Service (`expose-port`).
    pub expose_ports: Vec<ResolvedPortExposure>,
    /// Health probe, if any (`health`, the short form, as written).
    pub health: Option<ResolvedHealth>,
    /// Readiness probe: `readiness`, else from `health`.
    pub readiness: Option<ResolvedHealth>,
    /// Liveness probe: `liveness`, else from `health`.
    pub liveness: Option<ResolvedHealth>,
    /// Startup probe (`startup`).
    pub startup: Option<ResolvedHealth>,
    /// Requests and limits.
    pub resources: ResolvedResources,
    /// Fixed replica count (ignored when `scale` is set; HPA owns replicas then).
    pub replicas: i64,
    /// Autoscaling.
    pub scale: Option<ResolvedScale>,
    /// Config entries for the ConfigMap, sorted by key (those without `$(VAR)`).
    pub config: BTreeMap<String, String>,
    /// Config entries that name other variables as `$(VAR)`: `env` entries after every
    /// other variable, each after those it names.
    pub composed: Vec<ResolvedEnv>,
    /// Variables from the pod (`from-pod`), in declaration order.
    pub pod_env: Vec<ResolvedEnv>,
    /// Secret references, in declaration order.
    pub secrets: Vec<ResolvedSecret>,
    /// Bound dependencies.
    pub uses: Vec<ResolvedUse>,
    /// Extra writable paths (emptyDir).
    pub writable: Vec<String>,
    /// Directories of read-only files, in declaration order.
    pub files: Vec<ResolvedFiles>,
    /// Allowed endpoints outside the cluster, in declaration order.
    pub egress: Vec<ResolvedEgress>,
    /// Connection variables of the backing services it uses and variables derived from
    /// its `uses` (`env=`, `env` children), in `uses` order.
    pub bindings: Vec<ResolvedEnv>,
    /// The cloud identity its pods assume, realised for this target.
    pub identity: Option<ResolvedIdentity>,
    /// Pod settings: grace period, annotations, labels, capabilities, scheduling, `/tmp`.
    pub pod: ResolvedPod,
    /// The migration Job run before each release of this workload (`migrate`).
    pub migration: Option<ResolvedMigration>,
    /// The HTTP server metrics it exposes (`http-metrics`, a library convention).
    pub http_metrics: Option<super::observe::ResolvedHttpMetrics>,
    /// Its service level objectives (`slo`).
    pub slo: Option<super::observe::ResolvedSlo>,
    /// The workload node (provenance).
    pub span: Span,
}

/// A workload's migration step: its own image, command and args; everything else (the
/// variables, identity, files, resources and network access) is the workload's.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedMigration {
    /// Full image reference.
    pub image: String,
    /// Container command (empty: the image's entrypoint).
    pub command: Vec<String>,
    /// Container args (empty: the image's).
    pub args: Vec<String>,
    /// The `migrate` node.
    pub span: Span,
}

/// The pod settings of a workload in one view.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ResolvedPod {
    /// `terminationGracePeriodSeconds`, when written (else the Kubernetes default, 30).
    pub termination_grace: Option<i64>,
    /// Pod annotations.
    pub annotations: BTreeMap<String, String>,
    /// Pod labels beside Berth's own.
    pub labels: BTreeMap<String, String>,
    /// Capabilities added back after dropping `ALL` (only `NET_BIND_SERVICE`).
    pub capabilities: Vec<String>,
    /// Node labels the pods must run on.
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate, in order.
    pub tolerations: Vec<ResolvedToleration>,
    /// `/tmp` is a tmpfs (emptyDir `medium: Memory`), counted in the memory limit.
    pub tmp_memory: bool,
    /// Size limit of `/tmp`.
    pub tmp_size: String,
}

/// A toleration as Kubernetes spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ResolvedToleration {
    /// Taint key; `None` tolerates every key (with `Exists`).
    pub key: Option<String>,
    /// `Equal` or `Exists`.
    pub operator: String,
    /// Taint value (with `Equal`).
    pub value: Option<String>,
    /// Taint effect; `None` = every effect.
    pub effect: Option<String>,
    /// Seconds a `NoExecute` taint is tolerated before eviction.
    pub seconds: Option<i64>,
}

/// A workload identity on one target.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedIdentity {
    /// The logical name (`identity "orders"`).
    pub name: String,
    /// ServiceAccount annotations, rendered.
    pub annotations: BTreeMap<String, String>,
    /// Pod labels, rendered.
    pub labels: BTreeMap<String, String>,
}

/// One environment variable of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ResolvedEnv {
    /// Variable name.
    pub name: String,
    /// Where the value comes from.
    pub source: EnvSource,
}

/// The value of an environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnvSource {
    /// A literal (may contain `$(VAR)` references to earlier variables).
    Value(String),
    /// A key of a Secret in the namespace.
    Secret {
        /// Secret name.
        name: String,
        /// Key.
        key: String,
    },
    /// A key of a ConfigMap in the namespace.
    ConfigMap {
        /// ConfigMap name.
        name: String,
        /// Key.
        key: String,
    },
    /// A field of the pod (downward API `fieldPath`, e.g. `metadata.namespace`).
    PodField(String),
}

/// A resolved port.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedPort {
    /// Name.
    pub name: String,
    /// Container port.
    pub container_port: PortNumber,
    /// Service port.
    pub service_port: PortNumber,
    /// Application protocol.
    pub protocol: PortProtocol,
    /// Whether the monitoring namespace may scrape this port.
    pub metrics: bool,
}

/// An allowed endpoint outside the cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedEgress {
    /// Host name.
    pub host: String,
    /// TCP port.
    pub port: PortNumber,
    /// Address range, when written.
    pub cidr: Option<String>,
    /// The `egress` node.
    pub span: Span,
}

/// A resolved exposure.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedExpose {
    /// Host name.
    pub host: String,
    /// Path prefix.
    pub path: String,
    /// Port name on the Service.
    pub port: String,
    /// Reachable from the private network only.
    pub internal: bool,
    /// The `expose` node.
    pub span: Span,
}

/// A port reached from outside the cluster through its own Service.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedPortExposure {
    /// The port (name, numbers, protocol).
    pub port: ResolvedPort,
    /// Load balancer or node port.
    #[serde(rename = "type")]
    pub kind: crate::model::PortExposureType,
    /// A fixed node port, when written.
    pub node_port: Option<PortNumber>,
    /// On the private network only.
    pub internal: bool,
    /// Client address ranges allowed in.
    pub from: Vec<String>,
    /// The Service's annotations (the profile's load-balancer facts).
    pub annotations: BTreeMap<String, String>,
    /// The `expose-port` node.
    pub span: Span,
}

/// A resolved health probe.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedHealth {
    /// What to probe.
    #[serde(flatten)]
    pub check: HealthCheck,
    /// Port name.
    pub port: String,
    /// Container port number (gRPC probes need a number).
    pub port_number: PortNumber,
    /// Initial delay (s); for `health`, of the liveness probe.
    pub initial_delay: i64,
    /// Period (s).
    pub period: i64,
    /// Timeout (s).
    pub timeout: i64,
    /// Failed probes in a row before the probe fails.
    pub failure_threshold: i64,
    /// HTTP headers, in order.
    pub headers: Vec<(String, String)>,
}

/// Resolved requests and limits (Kubernetes quantities).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedResources {
    /// CPU request.
    pub cpu: String,
    /// Memory request.
    pub memory: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit (with a memory-backed `/tmp`, its size added).
    pub memory_limit: String,
    /// Ephemeral storage request, when written.
    pub ephemeral_storage: Option<String>,
    /// Ephemeral storage limit (default: the request), when a request or limit is written.
    pub ephemeral_storage_limit: Option<String>,
}

/// Resolved autoscaling.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedScale {
    /// Min replicas.
    pub min: i64,
    /// Max replicas.
    pub max: i64,
    /// Target CPU utilisation (%).
    pub cpu_percent: i64,
}

/// A resolved secret reference.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedSecret {
    /// Env var name.
    pub env: String,
    /// Store key.
    pub key: String,
    /// Property within the key.
    pub property: Option<String>,
    /// The `secret` node.
    pub span: Span,
}

/// What a `uses` edge points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "target", rename_all = "lowercase")]
pub enum UseTarget {
    /// A workload (service) in a domain.
    Workload {
        /// Callee domain.
        domain: String,
        /// Callee name.
        name: String,
    },
    /// A backing service in a domain.
    Backing {
        /// Owning domain.
        domain: String,
        /// Backing service name.
        name: String,
        /// Its kind.
        kind: String,
    },
}

/// A bound `uses` edge.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedUse {
    /// What it points at.
    pub target: UseTarget,
    /// Role (`producer`, `consumer`).
    pub role: Option<String>,
    /// Prefix of the connection variables of a backing service (`prefix="ARCHIVE_"`).
    pub prefix: Option<String>,
    /// The `uses` node.
    pub span: Span,
}

/// A backing service in one view.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedBacking {
    /// Kind name.
    pub kind: String,
    /// Declared name.
    pub name: String,
    /// Managed by the cloud (true) or in-cluster (false).
    pub managed: bool,
    /// Whether the kind is stateful.
    pub stateful: bool,
    /// Port consumers connect to (the realisation's `port`, else the kind's).
    pub port: Option<PortNumber>,
    /// All properties, kind defaults applied, sorted by name.
    pub properties: BTreeMap<String, Value>,
    /// How it runs on this target.
    pub realisation: ResolvedRealisation,
    /// What a consumer gets, in the kind's order.
    pub binding: Vec<ResolvedEnv>,
    /// The declaration node.
    pub span: Span,
}

/// The realisation of a backing service on one target.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedRealisation {
    /// In-cluster or managed.
    pub mode: RealisationMode,
    /// Object templates with their spans in the library.
    pub objects: Vec<crate::diag::Spanned<String>>,
    /// The template context (`name`, `namespace`, `props`, `params`, ...).
    pub context: serde_json::Value,
    /// Labels of the pods consumers connect to (in-cluster), rendered.
    pub pods: BTreeMap<String, String>,
    /// Namespace of the operator managing those pods.
    pub operator_namespace: Option<String>,
    /// Whether those pods call the Kubernetes API.
    pub api_server: bool,
    /// The pods it runs in the domain's namespace (`pod-size`), for the quota check.
    pub pod_sizes: Vec<ResolvedPodSize>,
    /// The monitor template of the exporter (`monitor`), with its span in the library.
    pub monitor: Option<crate::diag::Spanned<String>>,
    /// The exporter's container port (`monitor port=`).
    pub metrics_port: Option<crate::model::bounds::PortNumber>,
    /// The `realise` node in the library.
    pub span: Span,
}

/// Pods a backing service runs in the domain's namespace, each with the same limits.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedPodSize {
    /// How many.
    pub count: i64,
    /// CPU limit of each (a quantity).
    pub cpu: String,
    /// Memory limit of each (a quantity).
    pub memory: String,
}

/// A directory of mounted files.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedFiles {
    /// Absolute directory.
    pub path: String,
    /// File mode of every file (e.g. `0o440`).
    pub mode: i32,
    /// Files from the secret store: file name, store key, property.
    pub secrets: Vec<ResolvedSecretFile>,
    /// Plain files: file name to content, sorted.
    pub config: BTreeMap<String, String>,
    /// The `files` node.
    pub span: Span,
}

/// One file whose content comes from the secret store.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolvedSecretFile {
    /// File name.
    pub file: String,
    /// Store key.
    pub key: String,
    /// Property within the key.
    pub property: Option<String>,
}
