//! The library's defaults, read once: every value a spec may leave out comes from
//! `defaults` blocks (`stdlib/defaults.kdl` sets them all; a library may change them).
//! Resolve has no fallback values of its own; a missing one is an error that names it.

use super::errors::ResolveError;
use super::library::Library;
use crate::diag::{Diagnostics, Spanned};

/// Every default resolve needs, each one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Defaults {
    /// Kubernetes minor version when the platform names none.
    pub kubernetes: String,
    /// UID/GID on profiles with `fixed-uid #true`.
    pub run_as_user: i64,
    /// Size limit of the `/tmp` emptyDir.
    pub tmp_size: String,
    /// CPU request of a workload without one.
    pub cpu: String,
    /// Memory request of a workload without one.
    pub memory: String,
    /// Replicas of a workload without `replicas`.
    pub replicas: i64,
    /// Probe `initialDelaySeconds` when `health` gives none.
    pub probe_initial_delay: i64,
    /// Probe `periodSeconds` when `health` gives none.
    pub probe_period: i64,
    /// Quota CPU of a domain without `quota cpu=`.
    pub quota_cpu: String,
    /// Quota memory of a domain without `quota memory=`.
    pub quota_memory: String,
}

impl Defaults {
    /// The defaults of `library`; reports every one that is missing.
    pub(super) fn from_library(diags: &mut Diagnostics, library: &Library) -> Option<Self> {
        let defaults = &library.defaults;
        let resources = defaults.settings.resources.as_ref();
        let quota = defaults.quota.as_ref();
        let mut missing = Vec::new();
        let values = (
            need(&mut missing, "kubernetes", defaults.kubernetes.as_ref()),
            need(&mut missing, "run-as-user", defaults.run_as_user.as_ref()),
            need(&mut missing, "tmp-size", defaults.tmp_size.as_ref()),
            need(&mut missing, "resources cpu=", resources.and_then(|r| r.cpu.as_ref())),
            need(&mut missing, "resources memory=", resources.and_then(|r| r.memory.as_ref())),
            need(&mut missing, "replicas", defaults.settings.replicas.as_ref()),
            need(&mut missing, "probe initial-delay=", defaults.probe_initial_delay.as_ref()),
            need(&mut missing, "probe period=", defaults.probe_period.as_ref()),
            need(&mut missing, "quota cpu=", quota.and_then(|q| q.cpu.as_ref())),
            need(&mut missing, "quota memory=", quota.and_then(|q| q.memory.as_ref())),
        );
        if !missing.is_empty() {
            diags.push(None, ResolveError::MissingDefaults { names: missing.join("`, `") });
        }
        match values {
            (
                Some(kubernetes),
                Some(run_as_user),
                Some(tmp_size),
                Some(cpu),
                Some(memory),
                Some(replicas),
                Some(probe_initial_delay),
                Some(probe_period),
                Some(quota_cpu),
                Some(quota_memory),
            ) => Some(Self {
                kubernetes,
                run_as_user,
                tmp_size,
                cpu,
                memory,
                replicas,
                probe_initial_delay,
                probe_period,
                quota_cpu,
                quota_memory,
            }),
            _ => None,
        }
    }
}

/// The value of one default, or its name added to `missing`.
fn need<T: Clone>(missing: &mut Vec<&'static str>, name: &'static str, value: Option<&Spanned<T>>) -> Option<T> {
    if value.is_none() {
        missing.push(name);
    }
    value.map(|v| v.value.clone())
}

#[cfg(test)]
mod tests {
    use super::Defaults;
    use crate::diag::{Diagnostics, SourceFile, Sources};
    use crate::resolve::Library;

    #[test]
    fn the_stdlib_sets_every_default_and_an_empty_library_names_each_missing_one() {
        let mut diags = Diagnostics::default();
        let text = crate::stdlib::FILES.iter().find(|(path, _)| path.contains("/defaults.kdl")).map(|(_, text)| *text);
        let source = SourceFile { name: "defaults.kdl".to_owned(), text: text.unwrap_or_default().to_owned() };
        let file = Sources::default().add(source.clone());
        let parsed = crate::syntax::parse(&mut diags, file, &source).expect("parses");
        let stdlib = Library::from_specs([&crate::model::lower(&mut diags, &parsed)]);
        let defaults = Defaults::from_library(&mut diags, &stdlib);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(defaults.map(|d| (d.cpu, d.run_as_user, d.replicas)), Some(("100m".to_owned(), 10001, 1)));

        let mut diags = Diagnostics::default();
        assert!(Defaults::from_library(&mut diags, &Library::default()).is_none());
        let report = format!("{diags:?}");
        assert!(report.contains("run-as-user") && report.contains("quota memory="), "{report}");
    }
}
