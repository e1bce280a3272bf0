//! Layering, all of it: workload settings (defaults, then the workload, then `in`
//! blocks), library `defaults` over earlier ones, and a target's profile facts over its
//! cloud profile's. Scalars are replaced; lists add up (ports and config replace entries
//! of the same name).

use crate::model::{CloudProfile, PodSettings, ProfileFacts, Quota, WorkloadDefaults, WorkloadSettings};

/// Apply `overlay` on top of `base`.
pub fn apply_settings(base: &mut WorkloadSettings, overlay: &WorkloadSettings) {
    overlay_option(&mut base.image, &overlay.image);
    overlay_option(&mut base.command, &overlay.command);
    overlay_option(&mut base.args, &overlay.args);
    overlay_option(&mut base.migration, &overlay.migration);
    for port in &overlay.ports {
        base.ports.retain(|existing| existing.name.value != port.name.value);
        base.ports.push(port.clone());
    }
    base.expose.extend(overlay.expose.iter().cloned());
    for exposure in &overlay.expose_ports {
        base.expose_ports.retain(|existing| existing.port.value != exposure.port.value);
        base.expose_ports.push(exposure.clone());
    }
    overlay_option(&mut base.health, &overlay.health);
    overlay_option(&mut base.readiness, &overlay.readiness);
    overlay_option(&mut base.liveness, &overlay.liveness);
    overlay_option(&mut base.startup, &overlay.startup);
    if let Some(resources) = &overlay.resources {
        let merged = base.resources.get_or_insert_with(Default::default);
        overlay_option(&mut merged.cpu, &resources.cpu);
        overlay_option(&mut merged.memory, &resources.memory);
        overlay_option(&mut merged.cpu_limit, &resources.cpu_limit);
        overlay_option(&mut merged.memory_limit, &resources.memory_limit);
        overlay_option(&mut merged.ephemeral_storage, &resources.ephemeral_storage);
        overlay_option(&mut merged.ephemeral_storage_limit, &resources.ephemeral_storage_limit);
        overlay_option(&mut merged.span, &resources.span);
    }
    apply_pod(&mut base.pod, &overlay.pod);
    overlay_option(&mut base.replicas, &overlay.replicas);
    overlay_option(&mut base.scale, &overlay.scale);
    for (key, value) in &overlay.config {
        base.config.insert(key.clone(), value.clone());
    }
    for secret in &overlay.secrets {
        base.secrets.retain(|existing| existing.env.value != secret.env.value);
        base.secrets.push(secret.clone());
    }
    base.include.extend(overlay.include.iter().cloned());
    for (key, value) in &overlay.from_pod {
        base.from_pod.insert(key.clone(), value.clone());
    }
    base.uses.extend(overlay.uses.iter().cloned());
    base.writable.extend(overlay.writable.iter().cloned());
    for dir in &overlay.files {
        base.files.retain(|existing| existing.path.value != dir.path.value);
        base.files.push(dir.clone());
    }
    // External endpoints add up; the same host and port twice is one entry (the later
    // layer's range wins).
    for egress in &overlay.egress {
        base.egress
            .retain(|existing| existing.host.value != egress.host.value || existing.port.value != egress.port.value);
        base.egress.push(egress.clone());
    }
    overlay_option(&mut base.enabled, &overlay.enabled);
    overlay_option(&mut base.identity, &overlay.identity);
    overlay_option(&mut base.placement, &overlay.placement);
    if let Some(slo) = &overlay.slo {
        let merged = base.slo.get_or_insert_with(|| slo.clone());
        overlay_option(&mut merged.availability, &slo.availability);
        overlay_option(&mut merged.latency_ms, &slo.latency_ms);
        overlay_option(&mut merged.percentile, &slo.percentile);
        overlay_option(&mut merged.window_days, &slo.window_days);
        // `slo #false` turns the objectives off; objectives written in a later layer turn
        // them on again.
        let written = slo.availability.is_some() || slo.latency_ms.is_some();
        merged.enabled =
            if written && slo.enabled.is_none() { None } else { slo.enabled.clone().or(merged.enabled.clone()) };
        merged.span = slo.span;
    }
    overlay_option(&mut base.http_metrics, &overlay.http_metrics);
}

/// Pod settings: the grace period and each `tmp` property replaced, maps merged key by
/// key, capabilities and tolerations added (a toleration of the same key and effect
/// replaces the earlier one).
fn apply_pod(base: &mut PodSettings, overlay: &PodSettings) {
    overlay_option(&mut base.termination_grace, &overlay.termination_grace);
    for (from, to) in [
        (&overlay.annotations, &mut base.annotations),
        (&overlay.labels, &mut base.labels),
        (&overlay.node_selector, &mut base.node_selector),
    ] {
        for (key, value) in from {
            to.insert(key.clone(), value.clone());
        }
    }
    for capability in &overlay.capabilities {
        if !base.capabilities.iter().any(|c| c.value == capability.value) {
            base.capabilities.push(capability.clone());
        }
    }
    let same = |a: &Option<crate::diag::Spanned<String>>, b: &Option<crate::diag::Spanned<String>>| {
        a.as_ref().map(|x| &x.value) == b.as_ref().map(|x| &x.value)
    };
    for toleration in &overlay.tolerations {
        base.tolerations.retain(|t| !(same(&t.key, &toleration.key) && same(&t.effect, &toleration.effect)));
        base.tolerations.push(toleration.clone());
    }
    if let Some(tmp) = &overlay.tmp {
        let merged = base.tmp.get_or_insert_with(Default::default);
        overlay_option(&mut merged.memory, &tmp.memory);
        overlay_option(&mut merged.size, &tmp.size);
        overlay_option(&mut merged.span, &tmp.span);
    }
}

/// `defaults` on top of earlier `defaults`: settings layer, the rest is replaced when set.
pub(super) fn merge_defaults(base: &mut WorkloadDefaults, overlay: &WorkloadDefaults) {
    apply_settings(&mut base.settings, &overlay.settings);
    overlay_option(&mut base.run_as_user, &overlay.run_as_user);
    overlay_option(&mut base.tmp_size, &overlay.tmp_size);
    overlay_option(&mut base.kubernetes, &overlay.kubernetes);
    overlay_option(&mut base.secret_store, &overlay.secret_store);
    overlay_option(&mut base.probe_initial_delay, &overlay.probe_initial_delay);
    overlay_option(&mut base.probe_period, &overlay.probe_period);
    overlay_option(&mut base.probe_timeout, &overlay.probe_timeout);
    overlay_option(&mut base.readiness_failures, &overlay.readiness_failures);
    overlay_option(&mut base.liveness_failures, &overlay.liveness_failures);
    overlay_option(&mut base.startup_failures, &overlay.startup_failures);
    overlay_option(&mut base.cpu_percent, &overlay.cpu_percent);
    if let Some(limits) = &overlay.limit_range {
        let base = base.limit_range.get_or_insert_with(Default::default);
        overlay_option(&mut base.request_cpu, &limits.request_cpu);
        overlay_option(&mut base.request_memory, &limits.request_memory);
        overlay_option(&mut base.limit_cpu, &limits.limit_cpu);
        overlay_option(&mut base.limit_memory, &limits.limit_memory);
    }
    // The DNS labels go with their namespace: a library naming another namespace without
    // labels means all its pods, not the stdlib's `kube-dns` ones.
    if overlay.dns.dns_namespace.is_some() && overlay.dns.dns_labels.is_empty() {
        base.dns.dns_labels.clear();
    }
    overlay_facts(&mut base.dns, &overlay.dns);
    // Apply-order annotations replace as a whole: a library written for another
    // deployment tool drops the stdlib's hooks and waves, not just the keys it repeats.
    if !overlay.migration_annotations.is_empty() {
        base.migration_annotations.clone_from(&overlay.migration_annotations);
    }
    if !overlay.workload_annotations.is_empty() {
        base.workload_annotations.clone_from(&overlay.workload_annotations);
    }
    if let Some(quota) = &overlay.quota {
        match &mut base.quota {
            Some(existing) => merge_quota(existing, quota),
            None => base.quota = Some(quota.clone()),
        }
    }
}

fn merge_quota(base: &mut Quota, overlay: &Quota) {
    overlay_option(&mut base.cpu, &overlay.cpu);
    overlay_option(&mut base.memory, &overlay.memory);
    overlay_option(&mut base.pods, &overlay.pods);
}

/// Replace `base` with `overlay` when the overlay is set.
pub(super) fn overlay_option<T: Clone>(base: &mut Option<T>, overlay: &Option<T>) {
    if let Some(value) = overlay {
        *base = Some(value.clone());
    }
}

/// Profile facts with the target's facts on top.
pub(super) fn layer_facts(cloud: &CloudProfile, target: &ProfileFacts) -> ProfileFacts {
    let mut facts = cloud.facts.clone();
    overlay_facts(&mut facts, target);
    facts
}

/// `target`'s facts on top of `facts`.
pub(super) fn overlay_facts(facts: &mut ProfileFacts, target: &ProfileFacts) {
    overlay_option(&mut facts.dns, &target.dns);
    overlay_option(&mut facts.registry, &target.registry);
    overlay_option(&mut facts.exposure, &target.exposure);
    overlay_option(&mut facts.route_object, &target.route_object);
    overlay_option(&mut facts.uid_note, &target.uid_note);
    overlay_option(&mut facts.ingress_class, &target.ingress_class);
    overlay_option(&mut facts.storage_class, &target.storage_class);
    overlay_option(&mut facts.fixed_uid, &target.fixed_uid);
    for (key, value) in &target.ingress_annotations {
        facts.ingress_annotations.insert(key.clone(), value.clone());
    }
    overlay_option(&mut facts.dns_namespace, &target.dns_namespace);
    overlay_option(&mut facts.dns_port, &target.dns_port);
    overlay_option(&mut facts.ingress_namespace, &target.ingress_namespace);
    // Pod labels replace as a whole: merging the profile's DNS or controller labels with
    // a target's would select pods that match neither.
    if !target.dns_labels.is_empty() {
        facts.dns_labels = target.dns_labels.clone();
    }
    if !target.ingress_labels.is_empty() {
        facts.ingress_labels = target.ingress_labels.clone();
    }
    overlay_option(&mut facts.monitoring_namespace, &target.monitoring_namespace);
    if !target.monitoring_labels.is_empty() {
        facts.monitoring_labels = target.monitoring_labels.clone();
    }
    overlay_option(&mut facts.cni, &target.cni);
    // Load-balancer ranges replace as a whole, like pod labels: a target that names its
    // own ranges means exactly those.
    if !target.ingress_cidrs.is_empty() {
        facts.ingress_cidrs = target.ingress_cidrs.clone();
    }
    if !target.dns_cidrs.is_empty() {
        facts.dns_cidrs = target.dns_cidrs.clone();
    }
    if !target.managed_cidrs.is_empty() {
        facts.managed_cidrs = target.managed_cidrs.clone();
    }
    if !target.api_server_cidrs.is_empty() {
        facts.api_server_cidrs = target.api_server_cidrs.clone();
    }
    overlay_option(&mut facts.gateway, &target.gateway);
    overlay_option(&mut facts.internal_gateway, &target.internal_gateway);
    overlay_option(&mut facts.internal_ingress_class, &target.internal_ingress_class);
    for (key, value) in &target.internal_ingress_annotations {
        facts.internal_ingress_annotations.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.load_balancer_annotations {
        facts.load_balancer_annotations.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.internal_load_balancer_annotations {
        facts.internal_load_balancer_annotations.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.identity_annotations {
        facts.identity_annotations.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.identity_labels {
        facts.identity_labels.insert(key.clone(), value.clone());
    }
    for (key, value) in &target.params {
        facts.params.insert(key.clone(), value.clone());
    }
    overlay_option(&mut facts.backing_managed, &target.backing_managed);
    overlay_option(&mut facts.rollouts_controller, &target.rollouts_controller);
    overlay_option(&mut facts.rollout_router, &target.rollout_router);
    overlay_option(&mut facts.rollout_ingress_port, &target.rollout_ingress_port);
    overlay_option(&mut facts.cluster_name, &target.cluster_name);
}
