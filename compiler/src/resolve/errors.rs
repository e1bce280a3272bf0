//! Errors of the resolve stage: references that do not bind, layers that do not fit.

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A problem found while binding names and applying layers.
#[derive(Debug, Error, Diagnostic)]
pub enum ResolveError {
    /// The spec has no `platform` node.
    #[error("the spec has no `platform` node")]
    #[diagnostic(
        code(resolve::missing_platform),
        help("add `platform \"<name>\" {{ kubernetes \"1.33\" }}` at the top of the spec")
    )]
    MissingPlatform,

    /// The spec declares no environment.
    #[error("the spec declares no `environment`")]
    #[diagnostic(
        code(resolve::missing_environment),
        help("add `environment \"dev\" target=\"<target>\"`; environments are built in declaration order")
    )]
    MissingEnvironment,

    /// A name that should refer to something declared does not.
    #[error("unknown {what} `{name}`")]
    #[diagnostic(code(resolve::unknown_reference))]
    UnknownReference {
        /// `target`, `cloud profile`, `environment`, `backing-service kind`...
        what: &'static str,
        /// The name as written.
        name: String,
        /// Where it was written.
        #[label("no {what} of this name")]
        span: Span,
        /// A suggestion or the list of known names.
        #[help]
        help: String,
    },

    /// A `uses` that names nothing declared.
    #[error("`uses \"{reference}\"` refers to nothing declared")]
    #[diagnostic(code(resolve::dangling_uses))]
    DanglingUses {
        /// The reference as written.
        reference: String,
        /// Where.
        #[label("not a service or backing service of domain `{domain}`")]
        span: Span,
        /// The domain searched.
        domain: String,
        /// Suggestion.
        #[help]
        help: String,
    },

    /// A `uses` that names a worker or a job, which accept no connections.
    #[error("`uses \"{reference}\"` names a {kind}, which has no endpoint")]
    #[diagnostic(
        code(resolve::uses_non_service),
        help("only a `service` or a backing service can be used; workers and jobs accept no connections")
    )]
    UsesNonService {
        /// The reference.
        reference: String,
        /// `worker` or `job`.
        kind: &'static str,
        /// Where.
        #[label("this is a {kind}")]
        span: Span,
        /// The callee's declaration.
        #[label("declared here")]
        declared: Span,
    },

    /// A `uses` of another domain's backing service: data belongs to its domain, and
    /// other domains reach it only through one of that domain's services.
    #[error("`uses \"{reference}\"` reaches into domain `{owner}`'s {kind} `{name}`")]
    #[diagnostic(code(resolve::cross_domain_backing))]
    CrossDomainBacking {
        /// The reference as written.
        reference: String,
        /// The owning domain.
        owner: String,
        /// The backing service's name.
        name: String,
        /// Its kind (`postgres`, ...).
        kind: String,
        /// Where.
        #[label("a backing service of another domain")]
        span: Span,
        /// The backing service's declaration.
        #[label("owned by domain `{owner}` here")]
        declared: Span,
        /// What to use instead.
        #[help]
        help: String,
    },

    /// A workload that uses itself.
    #[error("`{name}` uses itself")]
    #[diagnostic(code(resolve::self_use), help("remove this `uses`"))]
    SelfUse {
        /// The workload.
        name: String,
        /// Where.
        #[label("self reference")]
        span: Span,
    },

    /// A workload without an image.
    #[error("{kind} `{name}` has no `image`")]
    #[diagnostic(code(resolve::missing_image), help("add `image \"<repository>\" tag=\"<version>\"`"))]
    MissingImage {
        /// Workload kind.
        kind: &'static str,
        /// Name.
        name: String,
        /// The workload node.
        #[label("no image for environment `{env}`")]
        span: Span,
        /// Environment where it is missing.
        env: String,
    },

    /// A service without ports.
    #[error("service `{name}` declares no `port`")]
    #[diagnostic(
        code(resolve::service_without_port),
        help("add `port \"http\" 8080`, or declare it as a `worker` if it accepts no connections")
    )]
    ServiceWithoutPort {
        /// Name.
        name: String,
        /// The service node.
        #[label("a service needs at least one port")]
        span: Span,
    },

    /// A port name that the workload does not declare.
    #[error("unknown port `{port}` on `{workload}`")]
    #[diagnostic(code(resolve::unknown_port))]
    UnknownPort {
        /// The port name.
        port: String,
        /// The workload.
        workload: String,
        /// Where.
        #[label("no port of this name")]
        span: Span,
        /// Known ports.
        #[help]
        help: String,
    },

    /// `expose` or `health` on a workload without ports.
    #[error("`{node}` needs a port, and `{workload}` declares none")]
    #[diagnostic(code(resolve::needs_port), help("add `port \"http\" 8080` to the workload"))]
    NeedsPort {
        /// `expose` or `health`.
        node: &'static str,
        /// The workload.
        workload: String,
        /// Where.
        #[label("no port to use")]
        span: Span,
    },

    /// `expose` with no host and no DNS zone on the target.
    #[error("`expose` has no `host` and target `{target}` has no `dns` zone")]
    #[diagnostic(
        code(resolve::missing_host),
        help("set `host=\"...\"` on `expose`, or `dns \"apps.example.com\"` on the target")
    )]
    MissingHost {
        /// Target.
        target: String,
        /// Where.
        #[label("no host for this exposure")]
        span: Span,
    },

    /// `scale min=` greater than `max=`.
    #[error("`scale` has min {min} above max {max}")]
    #[diagnostic(code(resolve::scale_range), help("make `min` at most `max`"))]
    ScaleRange {
        /// Min.
        min: i64,
        /// Max.
        max: i64,
        /// Where.
        #[label("min > max")]
        span: Span,
    },

    /// A backing-service property the kind does not declare.
    #[error("unknown property `{name}` for {kind} `{service}`")]
    #[diagnostic(code(resolve::unknown_kind_property))]
    UnknownKindProperty {
        /// Property.
        name: String,
        /// Kind.
        kind: String,
        /// Declared service.
        service: String,
        /// Where.
        #[label("not a property of `{kind}`")]
        span: Span,
        /// Suggestion or the known list.
        #[help]
        help: String,
    },

    /// A backing-service property of the wrong type.
    #[error("`{name}` of {kind} must be {expected}")]
    #[diagnostic(code(resolve::kind_property_type), help("write {example}"))]
    KindPropertyType {
        /// Property.
        name: String,
        /// Kind.
        kind: String,
        /// Expected type.
        expected: &'static str,
        /// An example of a right value.
        example: &'static str,
        /// Where.
        #[label("wrong type")]
        span: Span,
    },

    /// A required backing-service property not set.
    #[error("{kind} `{service}` needs `{name}`")]
    #[diagnostic(code(resolve::missing_kind_property), help("add `{name}=...` to the declaration"))]
    MissingKindProperty {
        /// Property.
        name: String,
        /// Kind.
        kind: String,
        /// Declared service.
        service: String,
        /// The declaration.
        #[label("`{name}` missing")]
        span: Span,
    },

    /// An unsupported Kubernetes version.
    #[error("unsupported Kubernetes version `{version}`")]
    #[diagnostic(code(resolve::kubernetes_version), help("use one of 1.30 … 1.37, e.g. `kubernetes \"1.33\"`"))]
    KubernetesVersion {
        /// As written.
        version: String,
        /// Where.
        #[label("not a supported version")]
        span: Span,
    },

    /// A generated object name that would exceed a Kubernetes limit.
    #[error("name `{name}` is too long once combined ({len} > {max} characters)")]
    #[diagnostic(code(resolve::generated_name_too_long), help("shorten the name"))]
    GeneratedNameTooLong {
        /// The combined name.
        name: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// The entity.
        #[label("this name")]
        span: Span,
    },

    /// A quantity out of range of what emitters can represent.
    #[error("{what} `{value}` is out of range")]
    #[diagnostic(code(resolve::out_of_range), help("{help}"))]
    OutOfRange {
        /// What.
        what: &'static str,
        /// Value.
        value: i64,
        /// Allowed range in words.
        help: &'static str,
        /// Where.
        #[label("out of range")]
        span: Span,
    },

    /// The same container port number declared twice.
    #[error("duplicate {what} `{value}` on `{workload}`")]
    #[diagnostic(code(resolve::duplicate_port), help("each port needs its own name and number"))]
    DuplicatePort {
        /// `port name` or `port number`.
        what: &'static str,
        /// Value.
        value: String,
        /// Workload.
        workload: String,
        /// Second.
        #[label("declared again here")]
        span: Span,
        /// First.
        #[label("first declared here")]
        first: Span,
    },
}
