//! Model types of the pod settings a workload may add to its pod template: ephemeral
//! storage, termination grace, pod annotations and labels, `NET_BIND_SERVICE`, node
//! selection, tolerations and a memory-backed `/tmp`.

use crate::diag::{Span, Spanned};
use indexmap::IndexMap;

/// `resources cpu="250m" memory="256Mi" cpu-limit="500m" memory-limit="512Mi"
/// ephemeral-storage="1Gi" ephemeral-storage-limit="2Gi"`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Resources {
    /// CPU request.
    pub cpu: Option<Spanned<String>>,
    /// Memory request.
    pub memory: Option<Spanned<String>>,
    /// CPU limit (default: the request).
    pub cpu_limit: Option<Spanned<String>>,
    /// Memory limit (default: the request).
    pub memory_limit: Option<Spanned<String>>,
    /// Ephemeral (node-local disk) storage request; none when not written.
    pub ephemeral_storage: Option<Spanned<String>>,
    /// Ephemeral storage limit (default: the request).
    pub ephemeral_storage_limit: Option<Spanned<String>>,
    /// The whole node, when written.
    pub span: Option<Span>,
}

/// Pod-level settings; each layers on its own (see `resolve::layer`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PodSettings {
    /// `termination-grace 60`: seconds between SIGTERM and SIGKILL.
    pub termination_grace: Option<Spanned<i64>>,
    /// `pod-annotation "prometheus.io/scrape" "true"`, merged key by key.
    pub annotations: IndexMap<String, Spanned<String>>,
    /// `pod-label "sidecar.istio.io/inject" "true"`, merged key by key.
    pub labels: IndexMap<String, Spanned<String>>,
    /// `capability "NET_BIND_SERVICE"`: Linux capabilities added back after `drop: ALL`.
    pub capabilities: Vec<Spanned<String>>,
    /// `node-selector "kubernetes.io/arch" "arm64"`, merged key by key.
    pub node_selector: IndexMap<String, Spanned<String>>,
    /// `toleration "dedicated" value="batch" effect="NoSchedule"`, added up.
    pub tolerations: Vec<Toleration>,
    /// `tmp memory=#true size="128Mi"`: how `/tmp` is backed.
    pub tmp: Option<Tmp>,
}

/// `toleration "key" operator="Equal" value="v" effect="NoSchedule" seconds=300`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Toleration {
    /// Taint key; `None` with `operator="Exists"` tolerates every taint.
    pub key: Option<Spanned<String>>,
    /// `Equal` (default with a `value`) or `Exists` (default without).
    pub operator: Spanned<String>,
    /// Taint value (with `Equal`).
    pub value: Option<Spanned<String>>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; `None` = every effect.
    pub effect: Option<Spanned<String>>,
    /// `tolerationSeconds` (with `NoExecute` only).
    pub seconds: Option<Spanned<i64>>,
    /// The whole node.
    pub span: Span,
}

/// `tmp memory=#true size="128Mi"`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Tmp {
    /// `/tmp` in memory (tmpfs, counted in the container's memory limit).
    pub memory: Option<Spanned<bool>>,
    /// Size limit of `/tmp` (default: the stdlib `tmp-size`).
    pub size: Option<Spanned<String>>,
    /// The node.
    pub span: Option<Span>,
}

/// The only capability a container may add: binding ports below 1024 as non-root. The
/// restricted Pod Security Standard allows it and nothing else.
pub const ALLOWED_CAPABILITIES: &[&str] = &["NET_BIND_SERVICE"];
