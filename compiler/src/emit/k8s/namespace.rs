//! The domain's namespace and its tenancy objects: Namespace (with Pod Security
//! Admission labels), ResourceQuota, LimitRange and the team's RoleBinding.

use super::Ctx;
use crate::emit::Artifact;
use crate::emit::common::{
    LABEL_COMPONENT, LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF, LABEL_TEAM, fit_label_value,
};
use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
};
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// The Pod Security Standard every namespace enforces.
const POD_SECURITY_LEVEL: &str = "restricted";

/// Push the namespace objects of `ctx.domain`.
pub(super) fn emit(ctx: &Ctx<'_>, out: &mut Vec<Artifact>) {
    out.push(namespace(ctx));
    out.push(resource_quota(ctx));
    out.push(limit_range(ctx));
    if let Some(binding) = role_binding(ctx) {
        out.push(binding);
    }
}

/// Labels of the domain-level objects.
fn domain_labels(ctx: &Ctx<'_>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (LABEL_NAME.to_owned(), ctx.domain.name.clone()),
        (LABEL_COMPONENT.to_owned(), "namespace".to_owned()),
        (LABEL_PART_OF.to_owned(), fit_label_value(&ctx.estate.platform)),
        (LABEL_MANAGED_BY.to_owned(), "berth".to_owned()),
        (LABEL_ENVIRONMENT.to_owned(), fit_label_value(&ctx.view.env)),
    ]);
    if let Some(team) = &ctx.domain.team {
        labels.insert(LABEL_TEAM.to_owned(), fit_label_value(team));
    }
    labels
}

/// Metadata of a namespaced domain-level object.
fn meta(ctx: &Ctx<'_>, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(ctx.domain.namespace.clone()),
        labels: Some(domain_labels(ctx)),
        ..ObjectMeta::default()
    }
}

fn namespace(ctx: &Ctx<'_>) -> Artifact {
    let mut labels = domain_labels(ctx);
    let version = format!("v{}", ctx.estate.kubernetes);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), POD_SECURITY_LEVEL.to_owned());
        labels.insert(format!("pod-security.kubernetes.io/{mode}-version"), version.clone());
    }
    let object = Namespace {
        metadata: ObjectMeta {
            name: Some(ctx.domain.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    ctx.domain_artifact("Namespace", &ctx.domain.namespace, &object)
}

fn resource_quota(ctx: &Ctx<'_>) -> Artifact {
    let quota = &ctx.domain.quota;
    let mut hard = BTreeMap::from([
        ("requests.cpu".to_owned(), Quantity(quota.cpu.clone())),
        ("limits.cpu".to_owned(), Quantity(quota.cpu.clone())),
        ("requests.memory".to_owned(), Quantity(quota.memory.clone())),
        ("limits.memory".to_owned(), Quantity(quota.memory.clone())),
    ]);
    if let Some(pods) = quota.pods {
        hard.insert("pods".to_owned(), Quantity(pods.to_string()));
    }
    let object = ResourceQuota {
        metadata: meta(ctx, &ctx.domain.name),
        spec: Some(ResourceQuotaSpec { hard: Some(hard), ..ResourceQuotaSpec::default() }),
        ..ResourceQuota::default()
    };
    ctx.domain_artifact("ResourceQuota", &ctx.domain.name, &object)
}

/// The LimitRange of the library's defaults (Berth always sets requests and limits; this
/// covers pods created by hand in the namespace).
fn limit_range(ctx: &Ctx<'_>) -> Artifact {
    let limits = &ctx.estate.limit_range;
    let pair = |cpu: &str, memory: &str| {
        BTreeMap::from([
            ("cpu".to_owned(), Quantity(cpu.to_owned())),
            ("memory".to_owned(), Quantity(memory.to_owned())),
        ])
    };
    let object = LimitRange {
        metadata: meta(ctx, &ctx.domain.name),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".to_owned(),
                default_request: Some(pair(&limits.request_cpu, &limits.request_memory)),
                default: Some(pair(&limits.limit_cpu, &limits.limit_memory)),
                ..LimitRangeItem::default()
            }],
        }),
    };
    ctx.domain_artifact("LimitRange", &ctx.domain.name, &object)
}

/// The team's group gets the `edit` ClusterRole in its namespace; no team, no binding.
fn role_binding(ctx: &Ctx<'_>) -> Option<Artifact> {
    let group = ctx.domain.group.as_ref().or(ctx.domain.team.as_ref())?;
    let name = format!("{}-edit", ctx.domain.name);
    let object = RoleBinding {
        metadata: meta(ctx, &name),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_owned(),
            kind: "ClusterRole".to_owned(),
            name: "edit".to_owned(),
        },
        subjects: Some(vec![Subject {
            api_group: Some("rbac.authorization.k8s.io".to_owned()),
            kind: "Group".to_owned(),
            name: group.clone(),
            namespace: None,
        }]),
    };
    Some(ctx.domain_artifact("RoleBinding", &name, &object))
}
