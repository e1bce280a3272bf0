//! Risk notes for `berth diff`: changes a reviewer should look at twice.
//!
//! In: the changes of a [`TreeDiff`] and, for each revision, the resolved [`Estate`] and lowered [`Spec`]
//! (model-level facts the artifacts do not carry, such as backing services, which emit no
//! objects today, and waivers). Out: [`Risk`] values, in a stable order. Pure: no files,
//! no git.

use crate::model::Spec;
use crate::output::diff::{Change, ResourceDiff, TreeDiff};
use crate::resolve::{Estate, View};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// What kind of risk a note flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskKind {
    /// A stateful backing service (database, queue with storage) is no longer declared.
    StatefulBackingRemoved,
    /// A workload runs fewer replicas (or a lower autoscaling minimum) in production.
    ProductionReplicasReduced,
    /// A NetworkPolicy allows traffic it did not allow before.
    NetworkPolicyOpened,
    /// An Ingress or Route was added or removed, or its host or path changed.
    PublicExposureChanged,
    /// A policy waiver was removed (its policy applies again) or is gone with its entity.
    WaiverRemoved,
}

impl RiskKind {
    /// A short heading for reports.
    pub fn title(self) -> &'static str {
        match self {
            RiskKind::StatefulBackingRemoved => "stateful backing service removed",
            RiskKind::ProductionReplicasReduced => "fewer replicas in production",
            RiskKind::NetworkPolicyOpened => "network policy opens new traffic",
            RiskKind::PublicExposureChanged => "public exposure changed",
            RiskKind::WaiverRemoved => "policy waiver removed",
        }
    }
}

/// One flagged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// What is flagged.
    pub kind: RiskKind,
    /// The environment concerned, when there is one.
    pub env: Option<String>,
    /// A one-line explanation naming the entity, e.g. a stateful backing service by `domain/name`.
    pub message: String,
}

/// The model-level facts of one revision; `None` where that stage did not run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Revision<'a> {
    /// The resolved estate.
    pub estate: Option<&'a Estate>,
    /// The lowered spec.
    pub spec: Option<&'a Spec>,
}

/// Every risk note for a diff between `old` and `new`, sorted by kind, then message.
pub fn assess(diff: &TreeDiff, old: Revision<'_>, new: Revision<'_>) -> Vec<Risk> {
    let mut risks = Vec::new();
    if let (Some(old_estate), Some(new_estate)) = (old.estate, new.estate) {
        backing_removed(&mut risks, old_estate, new_estate);
        replicas_reduced(&mut risks, old_estate, new_estate);
    }
    for resource in &diff.resources {
        network_policy_opened(&mut risks, resource);
        exposure_changed(&mut risks, resource);
    }
    if let (Some(old_spec), Some(new_spec)) = (old.spec, new.spec) {
        waivers_removed(&mut risks, old_spec, new_spec);
    }
    risks.sort_by(|a, b| (a.kind, &a.env, &a.message).cmp(&(b.kind, &b.env, &b.message)));
    risks.dedup();
    risks
}

fn find_view<'e>(estate: &'e Estate, view: &View) -> Option<&'e View> {
    estate.views.iter().find(|other| other.env == view.env && other.target == view.target)
}

fn backing_removed(risks: &mut Vec<Risk>, old: &Estate, new: &Estate) {
    for view in &old.views {
        let new_view = find_view(new, view);
        for domain in &view.domains {
            let new_domain = new_view.and_then(|v| v.domains.iter().find(|d| d.name == domain.name));
            for backing in domain.backing.iter().filter(|b| b.stateful) {
                let kept = new_domain
                    .is_some_and(|d| d.backing.iter().any(|b| b.name == backing.name && b.kind == backing.kind));
                if !kept {
                    risks.push(Risk {
                        kind: RiskKind::StatefulBackingRemoved,
                        env: Some(view.env.clone()),
                        message: format!(
                            "`{}/{}` (stateful `{}`) is no longer declared in `{}` on `{}`; berth neither moves nor deletes its data",
                            domain.name, backing.name, backing.kind, view.env, view.target
                        ),
                    });
                }
            }
        }
    }
}

fn replicas_reduced(risks: &mut Vec<Risk>, old: &Estate, new: &Estate) {
    for view in new.views.iter().filter(|v| v.production) {
        let Some(old_view) = find_view(old, view) else { continue };
        for domain in &view.domains {
            let Some(old_domain) = old_view.domains.iter().find(|d| d.name == domain.name) else { continue };
            for workload in &domain.workloads {
                let Some(old_workload) = old_domain.workloads.iter().find(|w| w.name == workload.name) else {
                    continue;
                };
                let before = old_workload.scale.as_ref().map_or(old_workload.replicas, |s| s.min);
                let after = workload.scale.as_ref().map_or(workload.replicas, |s| s.min);
                if after < before {
                    risks.push(Risk {
                        kind: RiskKind::ProductionReplicasReduced,
                        env: Some(view.env.clone()),
                        message: format!(
                            "`{}/{}` in production `{}` on `{}`: {} → {} replicas (minimum)",
                            domain.name, workload.name, view.env, view.target, before, after
                        ),
                    });
                }
            }
        }
    }
}

/// Every (peer, port) pair a policy direction allows, as canonical JSON text.
fn allowed(policy: Option<&Value>, direction: &str, peers_key: &str) -> BTreeSet<String> {
    let mut entries = BTreeSet::new();
    let rules = policy.and_then(|object| object.pointer(&format!("/spec/{direction}"))).and_then(Value::as_array);
    for rule in rules.into_iter().flatten() {
        let any = [Value::Null];
        let peers = rule.get(peers_key).and_then(Value::as_array).map_or(&any[..], Vec::as_slice);
        let ports = rule.get("ports").and_then(Value::as_array).map_or(&any[..], Vec::as_slice);
        for peer in peers {
            for port in ports {
                entries.insert(format!("{peer} {port}"));
            }
        }
    }
    entries
}

fn network_policy_opened(risks: &mut Vec<Risk>, resource: &ResourceDiff) {
    if resource.kind != "NetworkPolicy" || resource.change != Change::Changed {
        return;
    }
    for (direction, peers_key) in [("ingress", "from"), ("egress", "to")] {
        let before = allowed(resource.old_object.as_ref(), direction, peers_key);
        let after = allowed(resource.new_object.as_ref(), direction, peers_key);
        let gained = after.difference(&before).count();
        if gained > 0 {
            risks.push(Risk {
                kind: RiskKind::NetworkPolicyOpened,
                env: Some(resource.env.clone()),
                message: format!(
                    "`{}` allows {gained} new {direction} peer/port pair{} ({})",
                    resource.name,
                    if gained == 1 { "" } else { "s" },
                    resource.path
                ),
            });
        }
    }
}

fn exposure_changed(risks: &mut Vec<Risk>, resource: &ResourceDiff) {
    if !matches!(resource.kind.as_str(), "Ingress" | "Route" | "HTTPRoute") {
        return;
    }
    let what = match resource.change {
        Change::Added => "now public".to_owned(),
        Change::Removed => "no longer public".to_owned(),
        Change::Changed => {
            let fields: Vec<&str> = resource
                .fields
                .iter()
                .map(|f| f.path.as_str())
                .filter(|path| {
                    let last = path.rsplit(['.', '[']).next().unwrap_or_default();
                    path.starts_with("spec.rules") || path.starts_with("spec.tls") || last == "host" || last == "path"
                })
                .collect();
            if fields.is_empty() {
                return;
            }
            format!("changed: {}", fields.join(", "))
        }
    };
    risks.push(Risk {
        kind: RiskKind::PublicExposureChanged,
        env: Some(resource.env.clone()),
        message: format!("{} `{}` {what} ({})", resource.kind, resource.name, resource.path),
    });
}

fn waivers_removed(risks: &mut Vec<Risk>, old: &Spec, new: &Spec) {
    let kept: BTreeSet<(&str, &str)> =
        new.waivers.iter().map(|w| (w.policy.value.as_str(), w.on.value.as_str())).collect();
    for waiver in &old.waivers {
        if !kept.contains(&(waiver.policy.value.as_str(), waiver.on.value.as_str())) {
            risks.push(Risk {
                kind: RiskKind::WaiverRemoved,
                env: None,
                message: format!(
                    "waiver of `{}` on `{}` was removed; the policy applies again",
                    waiver.policy.value, waiver.on.value
                ),
            });
        }
    }
}
