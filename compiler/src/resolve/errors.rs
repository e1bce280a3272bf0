//! Errors of the resolve stage: references that do not bind, layers that do not fit.

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A problem found while binding names and applying layers.
#[derive(Debug, Error, Diagnostic)]
pub enum ResolveError {
    /// A value of the spec the cluster would refuse (`value_errors.rs`).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Value(#[from] super::value_errors::ValueError),

    /// The spec has no `platform` node.
    #[error("the spec has no `platform` node")]
    #[diagnostic(
        code(resolve::missing_platform),
        help("add `platform \"<name>\" {{ kubernetes \"1.33\" }}` at the top of the spec")
    )]
    MissingPlatform {
        /// The start of the spec.
        #[label("no `platform` in this file")]
        span: Span,
    },

    /// The spec declares no environment.
    #[error("the spec declares no `environment`")]
    #[diagnostic(
        code(resolve::missing_environment),
        help("add `environment \"dev\" target=\"<target>\"`; environments are built in declaration order")
    )]
    MissingEnvironment {
        /// The platform's name.
        #[label("this platform has no environment")]
        span: Span,
    },

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

    /// A workload says how it is built but not where its source is.
    #[error("`build` without `source`: there is nothing to build")]
    #[diagnostic(
        code(resolve::build_without_source),
        help("add `source \"<folder in the repository>\"` to the workload, or remove `build`")
    )]
    BuildWithoutSource {
        /// The `build` node.
        #[label("built from where?")]
        span: Span,
    },

    /// A workload has a `source` but the spec's CI systems define no template for it.
    #[error("CI system `{system}` has no `template` to render")]
    #[diagnostic(
        code(resolve::empty_ci_system),
        help(
            "give the `ci-system` a `template \"workload\" path=\"...\"` (see docs/pipelines.md), or remove it from `ci`"
        )
    )]
    EmptyCiSystem {
        /// System name.
        system: String,
        /// Where the platform names it.
        #[label("nothing would be generated for it")]
        span: Span,
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

    /// A workload's `slo` or `http-metrics` does not fit it (`resolve::slo_*`, `no_metrics_port`).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Monitoring(#[from] super::observe::MonitoringError),

    /// A probe on a job, which runs to completion and is never probed.
    #[error("`{node}` on job `{job}`, which is never probed")]
    #[diagnostic(
        code(resolve::probe_on_job),
        help("a job runs to completion and its CronJob gets no probes: remove this `{node}`")
    )]
    ProbeOnJob {
        /// `health`, `readiness`, `liveness` or `startup`.
        node: &'static str,
        /// The job.
        job: String,
        /// Where.
        #[label("a job takes no probe")]
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

    /// A domain's workloads and backing pods do not fit in its quota.
    #[error("domain `{domain}` does not fit in its quota in `{env}`: {over}")]
    #[diagnostic(code(resolve::quota_exceeded))]
    QuotaExceeded {
        /// Domain.
        domain: String,
        /// Environment.
        env: String,
        /// What is over, with the numbers.
        over: String,
        /// What to change, and the largest contributors.
        #[help]
        help: String,
        /// The `quota` node, or the domain name.
        #[label("limits × most pods (autoscaler maximum, one rollout surge pod, backing pods) exceed this")]
        span: Span,
    },

    /// A library `pod-size` that does not render to a count or quantities.
    #[error("{what} renders `{value}`, not a whole number or a quantity")]
    #[diagnostic(
        code(resolve::bad_pod_size),
        help(
            "`count=` must render to a whole number, `cpu=` and `memory=` to Kubernetes quantities such as `500m` and `1Gi`"
        )
    )]
    BadPodSize {
        /// Which realisation's `pod-size`.
        what: String,
        /// What it rendered.
        value: String,
        /// The node or value.
        #[label("here")]
        span: Span,
    },

    /// An `expose-port` this workload or target cannot realise.
    #[error("{reason}")]
    #[diagnostic(code(resolve::port_exposure))]
    PortExposure {
        /// What is wrong.
        reason: String,
        /// The label text.
        label: String,
        /// The `expose-port` node.
        #[label("{label}")]
        span: Span,
        /// What to write instead.
        #[help]
        help: String,
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

    /// The library's `defaults` lack a value resolve needs (the stdlib sets every one).
    #[error("the library's defaults lack `{names}`")]
    #[diagnostic(
        code(resolve::missing_defaults),
        help(
            "stdlib/defaults.kdl sets every default; a library `defaults` block can change a value but not remove it, so this is a bug in Berth"
        )
    )]
    MissingDefaults {
        /// The missing defaults, joined.
        names: String,
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

    /// No realisation of the kind fits the mode and the target's cloud.
    #[error("{kind} `{name}` has no {mode} realisation on target `{target}` (cloud `{cloud}`)")]
    #[diagnostic(code(resolve::no_realisation), help("{help}"))]
    NoRealisation {
        /// Kind.
        kind: String,
        /// Declared name.
        name: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// Target.
        target: String,
        /// Its cloud profile.
        cloud: String,
        /// What to do.
        help: String,
        /// The declaration.
        #[label("declared here")]
        span: Span,
    },

    /// A property value the chosen realisation cannot run (its `accepts` list).
    #[error("`{property}` `{value}` is not available for the {mode} {kind} {place}")]
    #[diagnostic(code(resolve::unsupported_value))]
    UnsupportedValue {
        /// Property.
        property: String,
        /// Its value.
        value: String,
        /// Kind.
        kind: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// `on `eks``.
        place: String,
        /// The values it accepts.
        #[help]
        help: String,
        /// The value written, or the declaration when it is the default.
        #[label("not available here")]
        span: Span,
    },

    /// A property written for a declaration that its realisation does not read.
    #[error("`{property}` has no effect on the {mode} {kind} {place}")]
    #[diagnostic(code(resolve::property_has_no_effect))]
    PropertyHasNoEffect {
        /// Property.
        property: String,
        /// Kind.
        kind: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// `on `eks``.
        place: String,
        /// Why, and what to write instead.
        #[help]
        help: String,
        /// The value written.
        #[label("ignored by this realisation")]
        span: Span,
    },

    /// A realisation needs a target param the target does not set.
    #[error("target `{target}` has no `param \"{param}\"`, which the {mode} {kind} realisation needs for `{name}`")]
    #[diagnostic(
        code(resolve::missing_param),
        help("add `param \"{param}\" \"<value>\"` to target `{target}` (or to its cloud profile)")
    )]
    MissingParam {
        /// Param name.
        param: String,
        /// Target.
        target: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// Kind.
        kind: String,
        /// Backing service or workload name.
        name: String,
        /// The target node.
        #[label("this target")]
        span: Span,
    },

    /// A library template failed to render: a bug in the library, not in the spec.
    #[error("the {what} template does not render: {reason}")]
    #[diagnostic(
        code(resolve::template),
        help(
            "fix the template in the library file; every variable it prints must exist (see docs/backing-services.md, \"Template context\")"
        )
    )]
    Template {
        /// Which template.
        what: String,
        /// Why.
        reason: String,
        /// The template in the library.
        #[label("this template")]
        span: Span,
    },

    /// A realisation does not bind a key the kind's binding needs.
    #[error("the {mode} realisation of kind `{kind}` does not bind `{key}`, which the kind's `binding` reads")]
    #[diagnostic(
        code(resolve::unbound_key),
        help("add `bind \"{key}\" secret=\"<name>\"` (or `value=`, `config-map=`) to this realisation")
    )]
    UnboundKey {
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// Kind.
        kind: String,
        /// Binding key.
        key: String,
        /// The `realise` node.
        #[label("no `bind \"{key}\"` here")]
        span: Span,
    },

    /// Two sources give a workload the same environment variables.
    #[error("`{workload}` gets {variables} twice")]
    #[diagnostic(
        code(resolve::env_collision),
        help(
            "give the second backing service its own names with `prefix=`, e.g. `uses \"archive-db\" prefix=\"ARCHIVE_\"` (then `ARCHIVE_PGHOST`, ...), or rename the clashing `config`/`secret` entry"
        )
    )]
    EnvCollision {
        /// Workload.
        workload: String,
        /// The variables, in words.
        variables: String,
        /// The second source.
        #[label("again from here")]
        span: Span,
        /// The first source.
        #[label("first from here")]
        first: Span,
    },

    /// A `uses` option that does not apply to what it points at (`prefix=` on a
    /// service, `env=` or `port=` on a backing service).
    #[error("`{option}` does not apply to `uses \"{reference}\"`, a {what}")]
    #[diagnostic(code(resolve::uses_option))]
    UsesOption {
        /// The option, `prefix=`.
        option: &'static str,
        /// The reference as written.
        reference: String,
        /// `service` or `backing service`.
        what: &'static str,
        /// The option's value.
        #[label("not for a {what}")]
        span: Span,
        /// What to write instead.
        #[help]
        help: &'static str,
    },

    /// A `$(VAR)` in an `env` child of a `uses` that the callee does not have.
    #[error("`$({variable})` in `{name}` is not a variable of `{callee}`")]
    #[diagnostic(code(resolve::unknown_binding_variable), help("`{callee}` has {known}"))]
    UnknownBindingVariable {
        /// The variable referenced.
        variable: String,
        /// The variable being built.
        name: String,
        /// The callee as written.
        callee: String,
        /// The callee's variables, in words.
        known: String,
        /// The value.
        #[label("no `{variable}` here")]
        span: Span,
    },

    /// A `$(VAR)` in `config`, `command` or `args` naming no variable of the container.
    #[error("{what} refers to `$({variable})`, which workload `{workload}` does not set")]
    #[diagnostic(
        code(resolve::unknown_variable),
        help(
            "Kubernetes expands `$({variable})` only from the container's own variables: declare it (`config`, `secret`, `from-pod`, a `uses`), or write `$$({variable})` for a literal `$({variable})`"
        )
    )]
    UnknownVariable {
        /// `config \`X\``, `command`, `args`.
        what: String,
        /// The variable referenced.
        variable: String,
        /// Workload.
        workload: String,
        /// The value.
        #[label("no `{variable}` in this container")]
        span: Span,
    },

    /// `config` entries whose `$(VAR)` references go round in a circle.
    #[error("config `{name}` refers to itself through {path}")]
    #[diagnostic(
        code(resolve::variable_cycle),
        help(
            "Kubernetes sets each variable after those it names, so a circle has no order: write one of the values out in full"
        )
    )]
    VariableCycle {
        /// The entry.
        name: String,
        /// The circle, in words.
        path: String,
        /// The value.
        #[label("part of a circle")]
        span: Span,
    },

    /// `placement` names a target the environment does not run on.
    #[error("`placement` names `{name}`, which environment `{env}` does not run on")]
    #[diagnostic(code(resolve::unknown_placement), help("{help}"))]
    UnknownPlacement {
        /// The name written.
        name: String,
        /// Environment.
        env: String,
        /// Targets of the environment, or a suggestion.
        help: String,
        /// Where.
        #[label("not a target of `{env}`")]
        span: Span,
    },

    /// A workload calls a service that runs only on other targets of the environment.
    #[error("`{caller}` on target `{target}` calls `{callee}`, which runs only on {elsewhere} in environment `{env}`")]
    #[diagnostic(
        code(resolve::cross_target_call),
        severity(Warning),
        help(
            "a cluster-internal name does not resolve across clusters and no NetworkPolicy opens this edge: place `{callee}` on `{target}` too, or expose it and reach it through its public host with `egress`"
        )
    )]
    CrossTargetCall {
        /// Caller.
        caller: String,
        /// Callee.
        callee: String,
        /// The caller's target.
        target: String,
        /// The callee's targets, in words.
        elsewhere: String,
        /// Environment.
        env: String,
        /// The `uses` node.
        #[label("crosses clusters")]
        span: Span,
    },

    /// A workload uses a backing service placed on another target.
    #[error("`{caller}` on target `{target}` uses `{backing}`, which is placed on `{placed}` in environment `{env}`")]
    #[diagnostic(
        code(resolve::cross_target_backing),
        help(
            "a backing service is reached inside its own cluster only: place `{caller}` on `{placed}`, or drop the backing service's `placement`"
        )
    )]
    CrossTargetBacking {
        /// Caller.
        caller: String,
        /// Backing service.
        backing: String,
        /// The caller's target.
        target: String,
        /// Where the backing service is.
        placed: String,
        /// Environment.
        env: String,
        /// The `uses` node.
        #[label("crosses clusters")]
        span: Span,
    },

    /// `exposure "gateway"` without a Gateway to attach routes to.
    #[error("target `{target}` exposes services through Gateway API but names no Gateway")]
    #[diagnostic(
        code(resolve::missing_gateway),
        help(
            "add `gateway \"<name>\" namespace=\"<namespace>\"` (the platform's shared Gateway) to target `{target}`, or set `exposure \"ingress\"`"
        )
    )]
    MissingGateway {
        /// Target.
        target: String,
        /// Its cloud profile.
        cloud: String,
        /// The target node.
        #[label("exposure `gateway` (from cloud `{cloud}` or this target)")]
        span: Span,
    },

    /// `exposure "route"` without the object a route is.
    #[error("target `{target}` exposes services through routes, but its profile has no `route-object`")]
    #[diagnostic(
        code(resolve::missing_route_object),
        help(
            "add `route-object #\"\"\"...\"\"\"#` (the YAML template of one route, as the stdlib's targets/openshift.kdl has) to cloud `{cloud}` or target `{target}`, or set `exposure \"ingress\"`"
        )
    )]
    MissingRouteObject {
        /// Target.
        target: String,
        /// Its cloud profile.
        cloud: String,
        /// The target node.
        #[label("exposure `route` (from cloud `{cloud}` or this target)")]
        span: Span,
    },

    /// A realisation needs the target's region and the target declares none.
    #[error("target `{target}` has no `region`, which the {mode} {kind} realisation needs for `{name}`")]
    #[diagnostic(
        code(resolve::missing_region),
        help(
            "add `region=\"<cloud region>\"` to target `{target}`, e.g. `target \"{target}\" cloud=\"...\" region=\"europe-west3\"`"
        )
    )]
    MissingRegion {
        /// Target.
        target: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// Kind.
        kind: String,
        /// Backing service.
        name: String,
        /// The target's name.
        #[label("no `region=` here")]
        span: Span,
    },

    /// A workload's identity cannot be realised from the target's params.
    #[error("identity `{identity}` of `{workload}` cannot be realised on target `{target}`: {reason}")]
    #[diagnostic(
        code(resolve::identity_param),
        help(
            "the profile builds `{fact}` as `{template}`: set every param it reads on target `{target}` (`param \"<name>\" \"<value>\"`)"
        )
    )]
    IdentityParam {
        /// The identity name.
        identity: String,
        /// The workload.
        workload: String,
        /// Target.
        target: String,
        /// The annotation or label key.
        fact: String,
        /// The template text.
        template: String,
        /// Why rendering failed.
        reason: String,
        /// The `identity` node.
        #[label("realised from target `{target}`'s params")]
        span: Span,
    },

    /// A user library file holds a node only a spec may hold.
    #[error("a library file's `{node}` node is ignored")]
    #[diagnostic(
        code(resolve::spec_node_in_library),
        severity(Warning),
        help(
            "library folders (`--lib`) hold `cloud`, `backing-kind`, `defaults` and `policy` nodes; move this `{node}` into the spec"
        )
    )]
    SpecNodeInLibrary {
        /// The node name.
        node: &'static str,
        /// The node.
        #[label("only a spec may declare a `{node}`")]
        span: Span,
    },
}
