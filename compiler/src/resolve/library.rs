//! The library: cloud profiles, backing-service kinds and workload defaults, gathered
//! from the embedded stdlib and any user library folders (later definitions win).

use crate::model::{
    BackingKind, BuildKind, ChartTemplate, CiScript, CiSystem, CloudProfile, Cni, GitopsTool, MetricsConvention,
    Monitoring, Rollouts, Spec, WorkloadDefaults,
};
use std::collections::BTreeMap;

/// Everything a spec can refer to by name that is not declared in the spec itself.
#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Cloud profiles by name.
    pub clouds: BTreeMap<String, CloudProfile>,
    /// Network plugins by name.
    pub cnis: BTreeMap<String, Cni>,
    /// Backing-service kinds by name.
    pub kinds: BTreeMap<String, BackingKind>,
    /// Workload defaults, merged field by field.
    pub defaults: WorkloadDefaults,
    /// Build kinds by name.
    pub build_kinds: BTreeMap<String, BuildKind>,
    /// CI systems by name.
    pub ci_systems: BTreeMap<String, CiSystem>,
    /// Shell scripts the CI systems' templates print, by name.
    pub ci_scripts: BTreeMap<String, CiScript>,
    /// HTTP metrics conventions by name.
    pub metrics_conventions: BTreeMap<String, MetricsConvention>,
    /// The monitoring templates and alerting method, merged field by field.
    pub monitoring: Monitoring,
    /// The files of the Helm charts by name (`helpers`, `notes`, ...).
    pub chart_templates: BTreeMap<String, ChartTemplate>,
    /// GitOps tools by name.
    pub gitops_tools: BTreeMap<String, GitopsTool>,
    /// The progressive-delivery templates, merged template by template.
    pub rollouts: Rollouts,
}

impl Library {
    /// Gather a library from lowered library files, in order: stdlib first, then user
    /// folders. A later `cloud`, `cni`, `backing-kind`, `build-kind`, `ci-system`, `ci-script`,
    /// `chart-template` or `gitops-tool` of the same name replaces the earlier one whole; a
    /// later `defaults` replaces only the fields it sets.
    pub fn from_specs<'a>(specs: impl IntoIterator<Item = &'a Spec>) -> Self {
        let mut library = Self::default();
        for spec in specs {
            for cloud in &spec.clouds {
                library.clouds.insert(cloud.name.value.clone(), cloud.clone());
            }
            for cni in &spec.cnis {
                library.cnis.insert(cni.name.value.clone(), cni.clone());
            }
            for kind in &spec.backing_kinds {
                library.kinds.insert(kind.name.value.clone(), kind.clone());
            }
            for kind in &spec.build_kinds {
                library.build_kinds.insert(kind.name.value.clone(), kind.clone());
            }
            for system in &spec.ci_systems {
                library.ci_systems.insert(system.name.value.clone(), system.clone());
            }
            for script in &spec.ci_scripts {
                library.ci_scripts.insert(script.name.value.clone(), script.clone());
            }
            for convention in &spec.metrics_conventions {
                library.metrics_conventions.insert(convention.name.value.clone(), convention.clone());
            }
            for template in &spec.chart_templates {
                library.chart_templates.insert(template.name.value.clone(), template.clone());
            }
            if let Some(monitoring) = &spec.monitoring {
                merge_monitoring(&mut library.monitoring, monitoring);
            }
            if let Some(rollouts) = &spec.rollouts {
                for (name, template) in &rollouts.templates {
                    library.rollouts.templates.insert(name.clone(), template.clone());
                }
            }
            for tool in &spec.gitops_tools {
                library.gitops_tools.insert(tool.name.value.clone(), tool.clone());
            }
            if let Some(defaults) = &spec.defaults {
                super::layer::merge_defaults(&mut library.defaults, defaults);
            }
        }
        library
    }
}

/// A later `monitoring` over an earlier one: each template it writes replaces that
/// template; its burn rates and dashboard labels, when it has any, replace the lists.
fn merge_monitoring(base: &mut Monitoring, overlay: &Monitoring) {
    for (name, template) in &overlay.templates {
        base.templates.insert(name.clone(), template.clone());
    }
    if !overlay.burn_rates.is_empty() {
        base.burn_rates.clone_from(&overlay.burn_rates);
    }
    if !overlay.dashboard_labels.is_empty() {
        base.dashboard_labels.clone_from(&overlay.dashboard_labels);
    }
    if overlay.span.is_some() {
        base.span = overlay.span;
    }
}
