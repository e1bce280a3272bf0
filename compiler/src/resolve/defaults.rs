//! The library's defaults, read once: every value a spec may leave out comes from
//! `defaults` blocks (`stdlib/defaults.kdl` sets them all; a library may change them).
//! Resolve has no fallback values of its own; a missing one is an error that names it.

use super::errors::ResolveError;
use super::library::Library;
use super::types::{ApplyOrder, ResolvedLimitRange};
use crate::diag::{Diagnostics, Spanned};
use crate::model::bounds::PortNumber;
use std::collections::BTreeMap;

/// Every default resolve needs, each one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Defaults {
    /// Kubernetes minor version when the platform names none.
    pub kubernetes: String,
    /// ClusterSecretStore when the platform names none.
    pub secret_store: String,
    /// UID/GID on profiles with `fixed-uid #true`.
    pub run_as_user: i64,
    /// Size limit of the `/tmp` emptyDir.
    pub tmp_size: String,
    /// CPU request of a workload without one.
    pub cpu: String,
    /// Memory request of a workload without one.
    pub memory: String,
    /// Replicas of a workload without `replicas`.
    pub replicas: i64,
    /// Probe `initialDelaySeconds` when `health` gives none.
    pub probe_initial_delay: i64,
    /// Probe `periodSeconds` when `health` gives none.
    pub probe_period: i64,
    /// Probe `timeoutSeconds` when the probe gives none.
    pub probe_timeout: i64,
    /// `failureThreshold` of readiness, liveness and startup probes that give none.
    pub failures: Failures,
    /// Target CPU utilisation of a `scale` without `cpu-percent=`.
    pub cpu_percent: i64,
    /// Quota CPU of a domain without `quota cpu=`.
    pub quota_cpu: String,
    /// Quota memory of a domain without `quota memory=`.
    pub quota_memory: String,
    /// The LimitRange of every domain namespace.
    pub limit_range: ResolvedLimitRange,
    /// Namespace of the cluster DNS pods of a profile that names none.
    pub dns_namespace: String,
    /// Their labels (used only with that namespace).
    pub dns_labels: BTreeMap<String, String>,
    /// Their pod port of a profile that names none.
    pub dns_port: PortNumber,
    /// The annotations that order what is applied (`migration-annotation`,
    /// `workload-annotation`); none when the library writes none.
    pub apply_order: ApplyOrder,
}

/// Default failure thresholds per probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Failures {
    /// Readiness: failed probes before the pod leaves its Service.
    pub readiness: i64,
    /// Liveness: failed probes before the container restarts.
    pub liveness: i64,
    /// Startup: failed probes before the start is given up.
    pub startup: i64,
}

impl Defaults {
    /// The defaults of `library`; reports every one that is missing.
    pub(super) fn from_library(diags: &mut Diagnostics, library: &Library) -> Option<Self> {
        let d = &library.defaults;
        let resources = d.settings.resources.as_ref();
        let quota = d.quota.as_ref();
        let limits = d.limit_range.as_ref();
        let mut missing = Vec::new();
        let m = &mut missing;
        let kubernetes = need(m, "kubernetes", d.kubernetes.as_ref());
        let secret_store = need(m, "secret-store", d.secret_store.as_ref());
        let run_as_user = need(m, "run-as-user", d.run_as_user.as_ref());
        let tmp_size = need(m, "tmp-size", d.tmp_size.as_ref());
        let cpu = need(m, "resources cpu=", resources.and_then(|r| r.cpu.as_ref()));
        let memory = need(m, "resources memory=", resources.and_then(|r| r.memory.as_ref()));
        let replicas = need(m, "replicas", d.settings.replicas.as_ref());
        let probe_initial_delay = need(m, "probe initial-delay=", d.probe_initial_delay.as_ref());
        let probe_period = need(m, "probe period=", d.probe_period.as_ref());
        let probe_timeout = need(m, "probe timeout=", d.probe_timeout.as_ref());
        let readiness = need(m, "failure-threshold readiness=", d.readiness_failures.as_ref());
        let liveness = need(m, "failure-threshold liveness=", d.liveness_failures.as_ref());
        let startup = need(m, "failure-threshold startup=", d.startup_failures.as_ref());
        let cpu_percent = need(m, "autoscale cpu-percent=", d.cpu_percent.as_ref());
        let quota_cpu = need(m, "quota cpu=", quota.and_then(|q| q.cpu.as_ref()));
        let quota_memory = need(m, "quota memory=", quota.and_then(|q| q.memory.as_ref()));
        let request_cpu = need(m, "limit-range request-cpu=", limits.and_then(|l| l.request_cpu.as_ref()));
        let request_memory = need(m, "limit-range request-memory=", limits.and_then(|l| l.request_memory.as_ref()));
        let limit_cpu = need(m, "limit-range limit-cpu=", limits.and_then(|l| l.limit_cpu.as_ref()));
        let limit_memory = need(m, "limit-range limit-memory=", limits.and_then(|l| l.limit_memory.as_ref()));
        let dns_namespace = need(m, "dns-namespace", d.dns.dns_namespace.as_ref());
        let dns_port = need(m, "dns-port", d.dns.dns_port.as_ref());
        if !missing.is_empty() {
            diags.push(None, ResolveError::MissingDefaults { names: missing.join("`, `") });
            return None;
        }
        Some(Self {
            kubernetes: kubernetes?,
            secret_store: secret_store?,
            run_as_user: run_as_user?,
            tmp_size: tmp_size?,
            cpu: cpu?,
            memory: memory?,
            replicas: replicas?,
            probe_initial_delay: probe_initial_delay?,
            probe_period: probe_period?,
            probe_timeout: probe_timeout?,
            failures: Failures { readiness: readiness?, liveness: liveness?, startup: startup? },
            cpu_percent: cpu_percent?,
            quota_cpu: quota_cpu?,
            quota_memory: quota_memory?,
            limit_range: ResolvedLimitRange {
                request_cpu: request_cpu?,
                request_memory: request_memory?,
                limit_cpu: limit_cpu?,
                limit_memory: limit_memory?,
            },
            dns_namespace: dns_namespace?,
            dns_labels: d.dns.dns_labels.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
            dns_port: dns_port?,
            apply_order: ApplyOrder {
                migration: d.migration_annotations.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
                workload: d.workload_annotations.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
            },
        })
    }
}

/// The value of one default, or its name added to `missing`.
fn need<T: Clone>(missing: &mut Vec<&'static str>, name: &'static str, value: Option<&Spanned<T>>) -> Option<T> {
    if value.is_none() {
        missing.push(name);
    }
    value.map(|v| v.value.clone())
}

#[cfg(test)]
mod tests {
    use super::Defaults;
    use crate::diag::{Diagnostics, SourceFile, Sources};
    use crate::resolve::Library;

    #[test]
    fn the_stdlib_sets_every_default_and_an_empty_library_names_each_missing_one() {
        let mut diags = Diagnostics::default();
        let text = crate::stdlib::FILES.iter().find(|(path, _)| path.contains("/defaults.kdl")).map(|(_, text)| *text);
        let source = SourceFile { name: "defaults.kdl".to_owned(), text: text.unwrap_or_default().to_owned() };
        let file = Sources::default().add(source.clone());
        let parsed = crate::syntax::parse(&mut diags, file, &source).expect("parses");
        let stdlib = Library::from_specs([&crate::model::lower(&mut diags, &parsed)]);
        let defaults = Defaults::from_library(&mut diags, &stdlib);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(defaults.map(|d| (d.cpu, d.run_as_user, d.replicas)), Some(("100m".to_owned(), 10001, 1)));

        let mut diags = Diagnostics::default();
        assert!(Defaults::from_library(&mut diags, &Library::default()).is_none());
        let report = format!("{diags:?}");
        assert!(report.contains("run-as-user") && report.contains("quota memory="), "{report}");
        assert!(report.contains("limit-range limit-cpu=") && report.contains("dns-port"), "{report}");
    }
}
