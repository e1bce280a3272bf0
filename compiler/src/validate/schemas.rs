//! The bundled schemas, embedded with `include_str!`: the Kubernetes built-in kinds Berth
//! emits for every supported version (`schemas/k8s/v1.<minor>/`) and the custom resources
//! it emits (`schemas/crds/`). Sources and checksums: `schemas/README.md`. What is embedded
//! is each file as `build.rs` prepared it: CRDs closed ([`super::strict::strictify`]),
//! descriptions dropped, compact.

/// The schema file of a built-in kind, as kubeconform names it:
/// `<kind>[-<first label of the group>]-<version>`; `None` for a kind that is not built in.
pub fn k8s_file(api_version: &str, kind: &str) -> Option<String> {
    let (group, version) = match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    };
    if group.contains('.') && !group.ends_with(".k8s.io") {
        return None;
    }
    let group_label = group.split('.').next().unwrap_or_default();
    let kind = kind.to_ascii_lowercase();
    Some(if group_label.is_empty() { format!("{kind}-{version}") } else { format!("{kind}-{group_label}-{version}") })
}

/// One function per Kubernetes version: `file` to the embedded text of
/// `schemas/k8s/v1.<minor>/<file>.json` (prepared by `build.rs`).
macro_rules! k8s_version {
    ($name:ident, $minor:literal, [$($file:literal),*]) => {
        fn $name(file: &str) -> Option<&'static str> {
            match file {
                $($file => Some(include_str!(concat!(env!("OUT_DIR"), "/schemas/k8s/v1.", $minor, "/", $file, ".json"))),)*
                _ => None,
            }
        }
    };
}

/// Generates [`k8s`] over every supported version and every bundled kind.
macro_rules! k8s_table {
    ([$($minor:literal => $name:ident),*], $files:tt) => {
        $(k8s_version!($name, $minor, $files);)*

        /// The embedded schema `schemas/k8s/v1.<minor>/<file>.json`, if bundled.
        pub fn k8s(minor: &str, file: &str) -> Option<&'static str> {
            match minor {
                $($minor => $name(file),)*
                _ => None,
            }
        }
    };
}

k8s_table!(
    ["30" => v1_30, "31" => v1_31, "32" => v1_32, "33" => v1_33, "34" => v1_34, "35" => v1_35, "36" => v1_36, "37" => v1_37],
    [
        "namespace-v1",
        "resourcequota-v1",
        "limitrange-v1",
        "rolebinding-rbac-v1",
        "serviceaccount-v1",
        "deployment-apps-v1",
        "cronjob-batch-v1",
        "service-v1",
        "configmap-v1",
        "horizontalpodautoscaler-autoscaling-v2",
        "poddisruptionbudget-policy-v1",
        "ingress-networking-v1",
        "networkpolicy-networking-v1",
        "statefulset-apps-v1"
    ]
);

// The bundled custom resources: every file under `schemas/crds/`, listed by `build.rs`
// (`<group>/<lower-case kind>_<version>.json`), so adding a schema file is all it takes.
include!(concat!(env!("OUT_DIR"), "/crds.rs"));

/// The embedded CRD schema of a custom resource (`schemas/crds/<group>/<kind>_<version>.json`).
pub fn crd(api_version: &str, kind: &str) -> Option<&'static str> {
    let kind = kind.to_ascii_lowercase();
    CRDS.iter().find(|(api, lower, _)| *api == api_version && *lower == kind).map(|(_, _, text)| *text)
}

/// Every bundled custom resource as `(apiVersion, lower-case kind)`.
pub fn crd_kinds() -> impl Iterator<Item = (&'static str, &'static str)> {
    CRDS.iter().map(|(api, kind, _)| (*api, *kind))
}
