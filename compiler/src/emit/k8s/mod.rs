//! Core Kubernetes objects for every (environment, target, domain).
//!
//! In: the resolved [`Estate`]. Out: one [`Artifact`] per object: the namespace and its
//! tenancy objects (quota, limit range, role binding), and per workload its service
//! account, Deployment or CronJob, Service, ConfigMap, autoscaler, disruption budget,
//! Ingress, HTTPRoutes or the profile's route objects, and ExternalSecret.
//!
//! Everything cloud-specific comes from [`View::profile`](crate::resolve::View); this
//! module never matches on a cloud name. NetworkPolicies live in their own emitter.

mod expose;
mod external_secret;
mod files;
mod migration;
mod namespace;
mod pod;
mod rollout;
mod service;
mod workload;

use crate::diag::Diagnostics;
use crate::emit::{Artifact, common};
use crate::resolve::{Estate, ResolvedDomain, ResolvedWorkload, View};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::{BTreeMap, BTreeSet};

/// Emit namespaces, workloads, services, config, autoscaling and exposure.
pub fn emit(diags: &mut Diagnostics, estate: &Estate) -> Vec<Artifact> {
    let mut out = Vec::new();
    // A broken profile template is reported once, not once per workload and view.
    let mut reported = BTreeSet::new();
    for view in &estate.views {
        for domain in &view.domains {
            let ctx = Ctx { estate, view, domain };
            namespace::emit(&ctx, &mut out);
            for workload in &domain.workloads {
                emit_workload(diags, &mut reported, &ctx, workload, &mut out);
                // A routed canary's exposure names its canary Service.
                let plan = rollout::plan(&ctx, workload);
                let canary = plan.second_service(workload).filter(|_| plan != rollout::Plan::BlueGreen);
                if let Err(broken) = expose::emit(&ctx, workload, canary, &mut out) {
                    let (span, error) = *broken;
                    if reported.insert(span) {
                        diags.at(span, error);
                    }
                }
            }
        }
    }
    out
}

/// Everything one domain's objects are built from.
struct Ctx<'a> {
    /// The whole estate (platform name, Kubernetes version, secret store).
    estate: &'a Estate,
    /// The (environment, target) view.
    view: &'a View,
    /// The domain; its objects live in `domain.namespace`.
    domain: &'a ResolvedDomain,
}

impl Ctx<'_> {
    /// An artifact for an object that belongs to the domain itself.
    fn domain_artifact<T: serde::Serialize>(&self, kind: &str, name: &str, object: &T) -> Artifact {
        common::artifact(
            self.view,
            &self.domain.name,
            kind,
            name,
            format!("domain {}", self.domain.name),
            self.domain.span,
            object,
        )
    }

    /// An artifact for an object produced by a workload.
    fn workload_artifact<T: serde::Serialize>(
        &self,
        workload: &ResolvedWorkload,
        kind: &str,
        name: &str,
        object: &T,
    ) -> Artifact {
        common::artifact(
            self.view,
            &self.domain.name,
            kind,
            name,
            format!("{} {}/{}", workload.kind.as_str(), self.domain.name, workload.name),
            workload.span,
            object,
        )
    }

    /// Labels of a workload's objects and pods.
    fn labels(&self, workload: &ResolvedWorkload) -> BTreeMap<String, String> {
        common::workload_labels(&self.estate.platform, self.view, workload)
    }

    /// Metadata of a namespaced object produced by a workload.
    fn workload_meta(&self, workload: &ResolvedWorkload, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.domain.namespace.clone()),
            labels: Some(self.labels(workload)),
            ..ObjectMeta::default()
        }
    }
}

/// All objects of one workload.
fn emit_workload(
    diags: &mut Diagnostics,
    reported: &mut BTreeSet<crate::diag::Span>,
    ctx: &Ctx<'_>,
    workload: &ResolvedWorkload,
    out: &mut Vec<Artifact>,
) {
    let plan = rollout::plan(ctx, workload);
    // Rendered first: the autoscaler scales what the template made of it.
    let rollout = if plan.progressive() { rollout::rollout(diags, reported, ctx, workload, &plan) } else { None };
    out.push(workload::service_account(ctx, workload));
    if !workload.config.is_empty() {
        out.push(service::config_map(ctx, workload));
    }
    if !workload.secrets.is_empty() {
        out.push(external_secret::emit(ctx, workload));
    }
    files::emit(ctx, workload, out);
    workload::emit(ctx, workload, &plan, rollout.as_ref(), out);
    if let Some(object) = rollout {
        let kind = object.get("kind").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        out.push(ctx.workload_artifact(workload, &kind, &workload.name, &object));
    }
    if !workload.ports.is_empty() && workload.kind == crate::model::WorkloadKind::Service {
        out.push(service::service(ctx, workload, &workload.name));
        if let Some(second) = plan.second_service(workload) {
            out.push(service::service(ctx, workload, &second));
        }
        out.extend(service::port_services(ctx, workload));
    }
}

/// Name of the ConfigMap holding a workload's `config`.
fn config_map_name(workload: &ResolvedWorkload) -> String {
    format!("{}-config", workload.name)
}

/// Name of the ExternalSecret, and of the Secret it creates, holding a workload's secrets.
fn secret_name(workload: &ResolvedWorkload) -> String {
    format!("{}-secrets", workload.name)
}
