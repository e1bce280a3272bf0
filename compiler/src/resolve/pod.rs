//! A workload's pod settings and resources in one view: `/tmp` (on disk or in memory,
//! its size counted in the memory limit), requests and limits, and the pod fields
//! (`termination-grace`, annotations, labels, capabilities, node selection).

use super::defaults::Defaults;
use super::types::{ResolvedPod, ResolvedResources, ResolvedToleration};
use crate::model::{WorkloadSettings, quantity_value};

/// The pod settings of `settings`, with the library's `/tmp` size as the default.
pub(super) fn pod(defaults: &Defaults, settings: &WorkloadSettings) -> ResolvedPod {
    let pod = &settings.pod;
    let strings = |map: &indexmap::IndexMap<String, crate::diag::Spanned<String>>| {
        map.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
    };
    let tmp = pod.tmp.as_ref();
    ResolvedPod {
        termination_grace: pod.termination_grace.as_ref().map(|g| g.value),
        annotations: strings(&pod.annotations),
        labels: strings(&pod.labels),
        capabilities: pod.capabilities.iter().map(|c| c.value.clone()).collect(),
        node_selector: strings(&pod.node_selector),
        tolerations: pod
            .tolerations
            .iter()
            .map(|t| ResolvedToleration {
                key: t.key.as_ref().map(|k| k.value.clone()),
                operator: t.operator.value.clone(),
                value: t.value.as_ref().map(|v| v.value.clone()),
                effect: t.effect.as_ref().map(|e| e.value.clone()),
                seconds: t.seconds.as_ref().map(|s| s.value),
            })
            .collect(),
        tmp_memory: tmp.and_then(|t| t.memory.as_ref()).is_some_and(|m| m.value),
        tmp_size: tmp.and_then(|t| t.size.as_ref()).map_or_else(|| defaults.tmp_size.clone(), |s| s.value.clone()),
    }
}

/// Requests and limits; a limit not written is the request. A memory-backed `/tmp` is
/// memory the container uses: its size is added to the memory limit, so the program
/// keeps what it asked for.
pub(super) fn resources(defaults: &Defaults, settings: &WorkloadSettings, pod: &ResolvedPod) -> ResolvedResources {
    let resources = settings.resources.clone().unwrap_or_default();
    let cpu = resources.cpu.map_or_else(|| defaults.cpu.clone(), |c| c.value);
    let memory = resources.memory.map_or_else(|| defaults.memory.clone(), |m| m.value);
    let mut memory_limit = resources.memory_limit.map_or_else(|| memory.clone(), |m| m.value);
    if pod.tmp_memory {
        memory_limit = add_bytes(&memory_limit, &pod.tmp_size).unwrap_or(memory_limit);
    }
    let ephemeral_storage = resources.ephemeral_storage.map(|e| e.value);
    ResolvedResources {
        cpu_limit: resources.cpu_limit.map_or_else(|| cpu.clone(), |c| c.value),
        memory_limit,
        cpu,
        memory,
        ephemeral_storage_limit: resources
            .ephemeral_storage_limit
            .map(|e| e.value)
            .or_else(|| ephemeral_storage.clone()),
        ephemeral_storage,
    }
}

/// `a + b` for two byte quantities, written with the largest binary suffix that keeps
/// it whole (`1Gi` + `256Mi` = `1280Mi`).
pub(super) fn add_bytes(a: &str, b: &str) -> Option<String> {
    let sum = quantity_value(a)? + quantity_value(b)?;
    Some(format_bytes(sum))
}

/// Bytes as a quantity with the largest binary suffix that keeps it whole.
pub(super) fn format_bytes(bytes: f64) -> String {
    let whole = bytes.ceil();
    for (suffix, factor) in [("Ti", 1024f64.powi(4)), ("Gi", 1024f64.powi(3)), ("Mi", 1024f64.powi(2)), ("Ki", 1024.0)]
    {
        if whole >= factor && (whole / factor).fract() == 0.0 {
            return format!("{}{suffix}", whole / factor);
        }
    }
    format!("{whole}")
}

#[cfg(test)]
mod tests {
    use super::add_bytes;

    #[test]
    fn byte_sums_keep_a_readable_suffix() {
        assert_eq!(add_bytes("1Gi", "256Mi").as_deref(), Some("1280Mi"));
        assert_eq!(add_bytes("512Mi", "512Mi").as_deref(), Some("1Gi"));
        assert_eq!(add_bytes("1G", "64Mi").as_deref(), Some("1067108864"));
    }
}
