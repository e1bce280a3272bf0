//! Layering of workload settings: defaults, then the workload, then `in` blocks.
//! Scalars are replaced; lists add up (ports and config replace entries of the same name).

use super::library::overlay_option;
use crate::model::WorkloadSettings;

/// Apply `overlay` on top of `base`.
pub fn apply_settings(base: &mut WorkloadSettings, overlay: &WorkloadSettings) {
    overlay_option(&mut base.image, &overlay.image);
    overlay_option(&mut base.command, &overlay.command);
    overlay_option(&mut base.args, &overlay.args);
    for port in &overlay.ports {
        base.ports.retain(|existing| existing.name.value != port.name.value);
        base.ports.push(port.clone());
    }
    base.expose.extend(overlay.expose.iter().cloned());
    overlay_option(&mut base.health, &overlay.health);
    if let Some(resources) = &overlay.resources {
        let merged = base.resources.get_or_insert_with(Default::default);
        overlay_option(&mut merged.cpu, &resources.cpu);
        overlay_option(&mut merged.memory, &resources.memory);
        overlay_option(&mut merged.cpu_limit, &resources.cpu_limit);
        overlay_option(&mut merged.memory_limit, &resources.memory_limit);
        overlay_option(&mut merged.span, &resources.span);
    }
    overlay_option(&mut base.replicas, &overlay.replicas);
    overlay_option(&mut base.scale, &overlay.scale);
    for (key, value) in &overlay.config {
        base.config.insert(key.clone(), value.clone());
    }
    for secret in &overlay.secrets {
        base.secrets.retain(|existing| existing.env.value != secret.env.value);
        base.secrets.push(secret.clone());
    }
    base.uses.extend(overlay.uses.iter().cloned());
    base.writable.extend(overlay.writable.iter().cloned());
    // External endpoints add up; the same host and port twice is one entry (the later
    // layer's range wins).
    for egress in &overlay.egress {
        base.egress.retain(|existing| {
            existing.host.value != egress.host.value || existing.port.value != egress.port.value
        });
        base.egress.push(egress.clone());
    }
    overlay_option(&mut base.enabled, &overlay.enabled);
    overlay_option(&mut base.identity, &overlay.identity);
    overlay_option(&mut base.placement, &overlay.placement);
}
