//! Core Kubernetes objects for every (environment, target, domain).

use crate::diag::Diagnostics;
use crate::emit::Artifact;
use crate::resolve::Estate;

/// Emit namespaces, workloads, services, config, autoscaling and exposure.
pub fn emit(_diags: &mut Diagnostics, _estate: &Estate) -> Vec<Artifact> {
    Vec::new()
}
