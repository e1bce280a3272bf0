//! Lowering `platform` and `defaults`.

use super::domain;
use super::values::{Ctx, Once, Quantity, args, children, prop};
use super::workload;
use super::workload::SETTINGS;
use crate::diag::{Otherwise, Spanned, did_you_mean};
use crate::model::check;
use crate::model::errors::LowerError;
use crate::model::types::*;
use crate::model::{LimitRangeDefaults, WorkloadDefaults};
use kdl::KdlNode;

/// Extra nodes of `defaults`.
const DEFAULTS: &[&str] = &[
    "kubernetes",
    "secret-store",
    "run-as-user",
    "tmp-size",
    "quota",
    "probe",
    "failure-threshold",
    "autoscale",
    "limit-range",
    "dns-namespace",
    "dns-label",
    "dns-port",
    "migration-annotation",
    "workload-annotation",
];

pub(super) fn platform(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Platform> {
    cx.shape(node, &[], 1, "the platform name");
    let name = cx.name_arg(node, "platform", true);
    let mut registry = None;
    let mut kubernetes = None;
    let mut secret_store = None;
    let mut policies = None;
    let mut ci = None;
    let mut helm = None;
    let mut gitops = None;
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        let slot = match key {
            "registry" => &mut registry,
            "kubernetes" => &mut kubernetes,
            "secret-store" => &mut secret_store,
            "helm" => &mut helm,
            "policies" => {
                if cx.once(&mut once, child, key, "platform") {
                    cx.shape(child, &[], usize::MAX, "pack names");
                    cx.no_children(child);
                    policies = Some(args(child).filter_map(|entry| cx.string(entry, "a policy pack name")).collect());
                }
                continue;
            }
            "ci" => {
                if cx.once(&mut once, child, key, "platform") {
                    ci = Some(super::pipeline::ci(cx, child));
                }
                continue;
            }
            "gitops" => {
                if cx.once(&mut once, child, key, "platform") {
                    gitops = super::gitops::gitops(cx, child);
                }
                continue;
            }
            _ => {
                let help = did_you_mean(
                    key,
                    &["registry", "kubernetes", "secret-store", "policies", "ci", "helm", "gitops"],
                    Otherwise::Vocabulary,
                );
                cx.unknown_node(child, "in `platform`", help);
                continue;
            }
        };
        if cx.once(&mut once, child, key, "platform") {
            *slot = cx.single_string(child);
        }
    }
    if let Some(version) = &kubernetes {
        kubernetes_version(cx, version);
    }
    if let Some(version) = &helm {
        chart_version(cx, version);
    }
    if let Some(store) = &secret_store {
        secret_store_name(cx, store);
    }
    let span = cx.span_of(node);
    Some(Platform { name: name?, registry, kubernetes, secret_store, policies, ci, helm, gitops, span })
}

pub(super) fn kubernetes_version(cx: &mut Ctx<'_>, version: &Spanned<String>) {
    let minor = version.value.strip_prefix("1.").and_then(|minor| minor.parse::<u32>().ok());
    if !minor.is_some_and(|minor| (30..=37).contains(&minor)) {
        cx.diags.at(
            version.span,
            LowerError::InvalidValue {
                what: "Kubernetes version".to_owned(),
                value: version.value.clone(),
                reason: "not a supported version".to_owned(),
                span: version.span,
                help: "write a version from `1.30` to `1.37`, such as `\"1.33\"`".to_owned(),
            },
        );
    }
}

/// The ExternalSecrets' `secretStoreRef.name`: a Kubernetes object name.
fn secret_store_name(cx: &mut Ctx<'_>, store: &Spanned<String>) {
    if !check::is_dns_subdomain(&store.value) {
        cx.diags.at(
            store.span,
            LowerError::InvalidValue {
                what: "secret store name".to_owned(),
                value: store.value.clone(),
                reason: "not a Kubernetes object name".to_owned(),
                span: store.span,
                help: "write the name of the (Cluster)SecretStore: lowercase letters, digits, `-` and `.`, \
                       such as `\"vault-backend\"`"
                    .to_owned(),
            },
        );
    }
}

/// A chart version is SemVer 2 (Helm refuses anything else): `MAJOR.MINOR.PATCH`, numbers
/// without leading zeros, an optional `-pre.release` and `+build` of `[0-9A-Za-z-]` parts.
fn chart_version(cx: &mut Ctx<'_>, version: &Spanned<String>) {
    if !check::is_semver(&version.value) {
        cx.diags.at(
            version.span,
            LowerError::InvalidValue {
                what: "chart version".to_owned(),
                value: version.value.clone(),
                reason: "not a SemVer 2 version".to_owned(),
                span: version.span,
                help: "write `MAJOR.MINOR.PATCH`, such as `\"1.4.0\"` (Helm needs SemVer)".to_owned(),
            },
        );
    }
}

pub(super) fn defaults(cx: &mut Ctx<'_>, node: &KdlNode) -> WorkloadDefaults {
    cx.shape(node, &[], 0, "nothing");
    let mut defaults = WorkloadDefaults::default();
    let mut once = Once::default();
    for child in children(node) {
        let key = child.name().value();
        match key {
            "kubernetes" => {
                if cx.once(&mut once, child, key, "defaults") {
                    defaults.kubernetes = cx.single_string(child);
                    if let Some(version) = defaults.kubernetes.clone() {
                        kubernetes_version(cx, &version);
                    }
                }
            }
            "secret-store" => {
                if cx.once(&mut once, child, key, "defaults") {
                    defaults.secret_store = cx.single_string(child);
                    if let Some(store) = &defaults.secret_store {
                        secret_store_name(cx, store);
                    }
                }
            }
            "run-as-user" => {
                if cx.once(&mut once, child, key, "defaults") {
                    defaults.run_as_user = cx.single_integer(child, 1, 2_147_483_647);
                }
            }
            "tmp-size" => {
                if cx.once(&mut once, child, key, "defaults") {
                    cx.shape(child, &[], 1, "a size such as `\"64Mi\"`");
                    cx.no_children(child);
                    defaults.tmp_size = match args(child).next() {
                        Some(entry) => cx.quantity(entry, "`tmp-size`", Quantity::Memory),
                        None => {
                            cx.missing(child, "a size", "write `tmp-size \"64Mi\"`");
                            None
                        }
                    };
                }
            }
            "quota" => {
                if cx.once(&mut once, child, key, "defaults") {
                    defaults.quota = Some(domain::quota(cx, child));
                }
            }
            "probe" | "failure-threshold" | "autoscale" | "limit-range" => {
                if cx.once(&mut once, child, key, "defaults") {
                    numbers(cx, child, &mut defaults);
                }
            }
            "dns-namespace" | "dns-label" | "dns-port" => {
                super::profile::fact(cx, child, &mut defaults.dns, &mut once, "defaults");
            }
            "migration-annotation" => {
                super::profile::meta_pair(
                    cx,
                    child,
                    key,
                    "defaults",
                    "annotation",
                    &mut defaults.migration_annotations,
                );
            }
            "workload-annotation" => {
                super::profile::meta_pair(cx, child, key, "defaults", "annotation", &mut defaults.workload_annotations);
            }
            _ => {
                if !workload::setting(cx, child, &mut defaults.settings, &mut once, "defaults") {
                    let mut allowed = DEFAULTS.to_vec();
                    allowed.extend_from_slice(SETTINGS);
                    let help = did_you_mean(key, &allowed, Otherwise::Vocabulary);
                    cx.unknown_node(child, "in `defaults`", help);
                }
            }
        }
    }
    defaults
}

/// The property-only nodes of `defaults`: `probe`, `failure-threshold`, `autoscale` and
/// `limit-range`.
fn numbers(cx: &mut Ctx<'_>, child: &KdlNode, defaults: &mut WorkloadDefaults) {
    cx.no_children(child);
    match child.name().value() {
        "probe" => {
            let only = "only `initial-delay=`, `period=` and `timeout=`";
            cx.shape(child, &["initial-delay", "period", "timeout"], 0, only);
            defaults.probe_initial_delay =
                prop(child, "initial-delay").and_then(|e| cx.integer(e, "`initial-delay`", 0, 3600));
            defaults.probe_period = prop(child, "period").and_then(|e| cx.integer(e, "`period`", 1, 3600));
            defaults.probe_timeout = prop(child, "timeout").and_then(|e| cx.integer(e, "`timeout`", 1, 3600));
        }
        "failure-threshold" => {
            let only = "only `readiness=`, `liveness=` and `startup=`";
            cx.shape(child, &["readiness", "liveness", "startup"], 0, only);
            defaults.readiness_failures = prop(child, "readiness").and_then(|e| cx.integer(e, "`readiness`", 1, 1000));
            defaults.liveness_failures = prop(child, "liveness").and_then(|e| cx.integer(e, "`liveness`", 1, 1000));
            defaults.startup_failures = prop(child, "startup").and_then(|e| cx.integer(e, "`startup`", 1, 1000));
        }
        "autoscale" => {
            cx.shape(child, &["cpu-percent"], 0, "only `cpu-percent=`");
            defaults.cpu_percent = prop(child, "cpu-percent").and_then(|e| cx.integer(e, "`cpu-percent`", 1, 100));
        }
        _ => {
            let names = ["request-cpu", "request-memory", "limit-cpu", "limit-memory"];
            let only = "only `request-cpu=`, `request-memory=`, `limit-cpu=` and `limit-memory=`";
            cx.shape(child, &names, 0, only);
            let mut quantity = |name: &str, kind: Quantity| {
                prop(child, name).and_then(|entry| cx.quantity(entry, &format!("`{name}`"), kind))
            };
            defaults.limit_range = Some(LimitRangeDefaults {
                request_cpu: quantity("request-cpu", Quantity::Cpu),
                request_memory: quantity("request-memory", Quantity::Memory),
                limit_cpu: quantity("limit-cpu", Quantity::Cpu),
                limit_memory: quantity("limit-memory", Quantity::Memory),
            });
        }
    }
}
