//! The `backing-kind` node's types: a kind's properties, binding and realisations (stdlib
//! `kinds/*.kdl` or a user library).

use super::bounds::PortNumber;
use super::types::Value;
use crate::diag::{Span, Spanned};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

/// `backing-kind "postgres" { ... }`: a backing-service kind from the stdlib or a library.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BackingKind {
    /// Kind name; also the node name used in a domain (`postgres "orders-db"`).
    pub name: Spanned<String>,
    /// Human description.
    pub description: Option<Spanned<String>>,
    /// Whether the kind keeps state (storage, deletion risk).
    pub stateful: bool,
    /// Default port consumers connect to.
    pub port: Option<Spanned<PortNumber>>,
    /// Properties a declaration of this kind accepts, with their types and defaults.
    pub properties: Vec<KindProperty>,
    /// The variables a consumer gets, in order (`binding { env ... }`).
    pub binding: Vec<BindingEnv>,
    /// How the kind is run, per mode and cloud (`realise "in-cluster" { ... }`).
    pub realisations: Vec<Realisation>,
    /// The whole node.
    pub span: Span,
}

/// `env "PGHOST" key="host"` or `env "DATABASE_URL" value="..."` in a kind's `binding`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BindingEnv {
    /// Environment variable name.
    pub name: Spanned<String>,
    /// Where its value comes from.
    pub source: BindingEnvSource,
    /// The node.
    pub span: Span,
}

/// The value of a binding variable.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum BindingEnvSource {
    /// A binding key every realisation provides (`key="host"`).
    Key(Spanned<String>),
    /// A literal, possibly with `$(VAR)` references to earlier variables.
    Value(Spanned<String>),
}

/// `in-cluster` or `managed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RealisationMode {
    /// Run inside the target cluster (an operator or generated workload).
    InCluster,
    /// The cloud's managed service through its Kubernetes controller.
    Managed,
}

impl RealisationMode {
    /// The spelling in a spec.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InCluster => "in-cluster",
            Self::Managed => "managed",
        }
    }
}

/// `realise "managed" cloud="eks" { ... }` in a `backing-kind`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Realisation {
    /// In-cluster or managed.
    pub mode: Spanned<RealisationMode>,
    /// The cloud profile it is for; `None` = any.
    pub cloud: Option<Spanned<String>>,
    /// `when="{{ props.replicas > 1 }}"`: a template that renders to `true` where this
    /// realisation applies; the first realisation of the mode and cloud whose `when` holds
    /// (or that has none) is chosen. `None` = always.
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// Target params its templates need.
    pub requires: Vec<Spanned<String>>,
    /// The form some of those params must have (`requires "x" pattern=".." example=".."`):
    /// a value that does not match is the target's mistake, reported there, instead of a
    /// custom resource the API server (or the bundled schema) refuses.
    pub param_formats: Vec<ParamFormat>,
    /// Where each binding key comes from, in order.
    pub binds: Vec<Bind>,
    /// Labels of the pods consumers connect to (templates), in order.
    pub pods: IndexMap<String, Spanned<String>>,
    /// Namespace of the operator managing those pods.
    pub operator_namespace: Option<Spanned<String>>,
    /// Whether those pods call the Kubernetes API.
    pub api_server: bool,
    /// The port consumers connect to when it differs from the kind's (`port 10000`).
    pub port: Option<Spanned<PortNumber>>,
    /// Object templates (YAML with minijinja), in order.
    pub objects: Vec<Spanned<String>>,
    /// `accepts "version" "15" "16"`: the only values of a property this realisation can
    /// run, per property, in order.
    pub accepts: Vec<Accepts>,
    /// `accepts-param "kafka-version" "3.9.x" ...`: the only values a target param this
    /// realisation reads may have (a managed service's own version list).
    pub accepts_params: Vec<Accepts>,
    /// `unsupported "partitions" help="..."`: why a property has no effect here and what
    /// to do instead (the help of the error a declaration that writes it gets).
    pub unsupported: IndexMap<String, Spanned<String>>,
    /// `unsupported "init-script" when="{{ ... }}" help="..."`: a property the templates
    /// read but that is refused, with that help, for a declaration that writes it and
    /// for which the template renders `true` (it needs another setting, say). Per
    /// property, the condition.
    #[serde(default)]
    pub unsupported_when: IndexMap<String, Spanned<String>>,
    /// `monitor port=9187 #"..."#`: the prometheus-operator monitor of the exporter the
    /// operator runs next to the service, emitted on targets with a `monitoring-namespace`.
    pub monitor: Option<RealisationMonitor>,
    /// `pod-size count="{{ props.replicas }}" cpu="{{ props.cpu }}" memory="{{ props.memory }}"`:
    /// the pods this realisation runs in the domain's namespace, with each pod's CPU and
    /// memory limits (templates), for the domain's quota check.
    pub pod_sizes: Vec<PodSize>,
    /// The node.
    pub span: Span,
}

/// `monitor port=9187 #"..."#` in a `realise` block: a template of the monitor
/// (PodMonitor or ServiceMonitor) that scrapes the service's exporter, and the container
/// port the exporter listens on, which the service's NetworkPolicy opens to the target's
/// monitoring pods.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RealisationMonitor {
    /// The object template (YAML with minijinja).
    pub template: Spanned<String>,
    /// The exporter's container port.
    pub port: Spanned<PortNumber>,
    /// The node.
    pub span: Span,
}

/// `pod-size count=".." cpu=".." memory=".."` in a `realise` block (templates).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PodSize {
    /// How many pods (a template rendering to an integer).
    pub count: Spanned<String>,
    /// CPU limit of each pod (all its containers).
    pub cpu: Spanned<String>,
    /// Memory limit of each pod.
    pub memory: Spanned<String>,
    /// The node.
    pub span: Span,
}

/// `accepts "version" "15" "16" "17"` in a `realise` block.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Accepts {
    /// The property.
    pub property: Spanned<String>,
    /// The values it may have, as written (an integer property's values are its decimal
    /// spelling).
    pub values: Vec<String>,
    /// `help="..."` (`accepts` only): why the other values do not run here and what to
    /// write instead, instead of the list of values.
    pub help: Option<Spanned<String>>,
    /// The node.
    pub span: Span,
}

/// `bind "host" secret="{{ name }}-app" key="host"`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Bind {
    /// Binding key.
    pub key: Spanned<String>,
    /// Where the value is.
    pub source: BindSource,
    /// The node.
    pub span: Span,
}

/// The source of one binding key; names and values are plain-text templates.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum BindSource {
    /// A key of a Secret.
    Secret {
        /// Secret name template.
        name: Spanned<String>,
        /// Key in the Secret.
        key: String,
    },
    /// A key of a ConfigMap.
    ConfigMap {
        /// ConfigMap name template.
        name: Spanned<String>,
        /// Key in the ConfigMap.
        key: String,
    },
    /// A literal value template.
    Value(Spanned<String>),
}

/// `property "version" type="string" default="16"` inside a `backing-kind`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KindProperty {
    /// Property name.
    pub name: Spanned<String>,
    /// Value type.
    pub ty: PropertyType,
    /// Default value, if any; a property without default and not `required` is optional.
    pub default: Option<Spanned<Value>>,
    /// Whether a declaration must set it.
    pub required: bool,
    /// The smallest and largest value of an integer property (`min=1 max=1000`).
    pub range: (Option<i64>, Option<i64>),
    /// `max-length=`: the longest `identifier` value (default [`IDENTIFIER_MAX`]).
    pub max_length: Option<Spanned<i64>>,
}

/// The form a required target param must have.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ParamFormat {
    /// The param.
    pub param: String,
    /// A regular expression (`regex` syntax) the whole value must match.
    pub pattern: Spanned<String>,
    /// A value of the right form, for the help.
    pub example: Option<String>,
}

/// The longest `type="identifier"` value without `max-length=`: PostgreSQL's and MySQL's
/// identifier limits are 63 and 64 characters.
pub const IDENTIFIER_MAX: i64 = 63;

/// Types a backing-kind property can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PropertyType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// `#true` / `#false`.
    Bool,
    /// A Kubernetes quantity such as `20Gi`.
    Quantity,
    /// A path relative to the spec's folder (`init-sql-file="db/init.sql"`); templates see
    /// the file's text.
    File,
    /// A name for a database object (a database, a user): a lower-case letter first, then
    /// lower-case letters, digits and `_`, at most `max-length=` characters. It needs no
    /// quoting in SQL and fits every service's naming rules.
    Identifier,
}
