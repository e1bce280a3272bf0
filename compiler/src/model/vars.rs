//! Model types for environment variables a workload builds rather than writes:
//! `from-pod` fields (the downward API) and `env` children of a `uses`.

use crate::diag::{Span, Spanned};

/// A field of the pod that `from-pod` can put in a variable (the downward API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PodField {
    /// `namespace`: `metadata.namespace`.
    Namespace,
    /// `name`: `metadata.name`.
    Name,
    /// `uid`: `metadata.uid`.
    Uid,
    /// `node`: `spec.nodeName`.
    Node,
    /// `service-account`: `spec.serviceAccountName`.
    ServiceAccount,
    /// `ip`: `status.podIP`.
    Ip,
    /// `host-ip`: `status.hostIP`.
    HostIp,
}

impl PodField {
    /// Every field, with its spelling in a spec.
    pub const ALL: [(&'static str, Self); 7] = [
        ("namespace", Self::Namespace),
        ("name", Self::Name),
        ("uid", Self::Uid),
        ("node", Self::Node),
        ("service-account", Self::ServiceAccount),
        ("ip", Self::Ip),
        ("host-ip", Self::HostIp),
    ];

    /// The field as spelled in a spec.
    #[must_use]
    pub fn parse(written: &str) -> Option<Self> {
        Self::ALL.iter().find(|(name, _)| *name == written).map(|(_, field)| *field)
    }

    /// The downward API's `fieldPath`.
    #[must_use]
    pub fn field_path(self) -> &'static str {
        match self {
            Self::Namespace => "metadata.namespace",
            Self::Name => "metadata.name",
            Self::Uid => "metadata.uid",
            Self::Node => "spec.nodeName",
            Self::ServiceAccount => "spec.serviceAccountName",
            Self::Ip => "status.podIP",
            Self::HostIp => "status.hostIP",
        }
    }
}

/// `env "SPRING_DATASOURCE_URL" "jdbc:postgresql://$(PGHOST):$(PGPORT)/$(PGDATABASE)"`
/// inside a `uses`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DerivedEnv {
    /// The variable the container gets.
    pub name: Spanned<String>,
    /// Its value, with `$(VAR)` naming the callee's variables.
    pub value: Spanned<String>,
}

/// `shared "common" { config ...; secret ... }` in a domain: config and secrets written
/// once and given to every workload that says `include "common"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SharedConfig {
    /// Name, unique within the domain.
    pub name: Spanned<String>,
    /// Its `config` entries.
    pub config: indexmap::IndexMap<String, Spanned<String>>,
    /// Its `secret` references.
    pub secrets: Vec<super::types::SecretRef>,
    /// The whole node.
    pub span: Span,
}
