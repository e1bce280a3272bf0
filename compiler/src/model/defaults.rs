//! The `defaults { }` node of a library: every value a spec may leave out
//! (`stdlib/defaults.kdl` sets them all; `resolve::defaults` reads them once).

use super::types::{ProfileFacts, Quota, WorkloadSettings};
use crate::diag::Spanned;
use indexmap::IndexMap;

/// `defaults { ... }`: defaults for every workload, domain and target, from the stdlib (a
/// library may override any of them).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkloadDefaults {
    /// Default settings (resources, replicas, health timings).
    pub settings: WorkloadSettings,
    /// UID/GID used where the profile allows fixed UIDs.
    pub run_as_user: Option<Spanned<i64>>,
    /// Size limit of the `/tmp` emptyDir.
    pub tmp_size: Option<Spanned<String>>,
    /// Default quota of a domain namespace without one.
    pub quota: Option<Quota>,
    /// Default Kubernetes version when the platform names none.
    pub kubernetes: Option<Spanned<String>>,
    /// `secret-store "default"`: the ClusterSecretStore when the platform names none.
    pub secret_store: Option<Spanned<String>>,
    /// `probe initial-delay=10 period=10 timeout=2`: default probe timings (seconds).
    pub probe_initial_delay: Option<Spanned<i64>>,
    /// Default probe period (seconds).
    pub probe_period: Option<Spanned<i64>>,
    /// Default probe timeout (seconds).
    pub probe_timeout: Option<Spanned<i64>>,
    /// `failure-threshold readiness=3 liveness=6 startup=30`: failed probes in a row
    /// before the pod leaves its Service.
    pub readiness_failures: Option<Spanned<i64>>,
    /// ... before the container is restarted.
    pub liveness_failures: Option<Spanned<i64>>,
    /// ... before the start is given up.
    pub startup_failures: Option<Spanned<i64>>,
    /// `autoscale cpu-percent=80`: the CPU utilisation a `scale` without `cpu-percent=`
    /// aims at.
    pub cpu_percent: Option<Spanned<i64>>,
    /// `limit-range`: the LimitRange every domain namespace gets.
    pub limit_range: Option<LimitRangeDefaults>,
    /// `dns-namespace`, `dns-label`, `dns-port`: the cluster DNS of a profile that names
    /// none (only those three facts are set here).
    pub dns: ProfileFacts,
    /// `migration-annotation "key" "value"` (repeatable): the annotations of every
    /// migration Job, which order it before its workload for the deployment tools (sync
    /// wave and hook). A library that writes any replaces the whole set.
    pub migration_annotations: IndexMap<String, Spanned<String>>,
    /// `workload-annotation "key" "value"` (repeatable): the annotations of a workload's
    /// controller when it rolls out after its migration Job or the estate is delivered by
    /// a GitOps tool (the workload wave). A library that writes any replaces the whole set.
    pub workload_annotations: IndexMap<String, Spanned<String>>,
}

/// `limit-range request-cpu="100m" request-memory="128Mi" limit-cpu="500m" limit-memory="512Mi"`:
/// what a container created in a domain namespace without requests or limits gets.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LimitRangeDefaults {
    /// Default CPU request.
    pub request_cpu: Option<Spanned<String>>,
    /// Default memory request.
    pub request_memory: Option<Spanned<String>>,
    /// Default CPU limit.
    pub limit_cpu: Option<Spanned<String>>,
    /// Default memory limit.
    pub limit_memory: Option<Spanned<String>>,
}
