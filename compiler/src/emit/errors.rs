//! Diagnostics of the emit stage: what the spec asks for but the target cannot enforce.

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A problem found while emitting. `unenforced_egress` is a warning (the output is still
/// written); the others are errors.
#[derive(Debug, Error, Diagnostic)]
pub enum EmitError {
    /// An `egress` without `cidr=` on a target whose CNI cannot allow a host name: the
    /// workload's NetworkPolicy has no rule for it, so the connection will be blocked.
    #[error(
        "egress to `{host}` port {port} is not enforced on target `{target}`: a NetworkPolicy cannot allow a host name, so the default-deny blocks it"
    )]
    #[diagnostic(
        code(emit::unenforced_egress),
        severity(Warning),
        help(
            "add `cidr=\"<address range of {host}>\"` to the `egress`, or set `cni \"cilium\"` on target `{target}` to allow the host name with a CiliumNetworkPolicy"
        )
    )]
    UnenforcedEgress {
        /// Host name as written.
        host: String,
        /// Destination port.
        port: crate::model::bounds::PortNumber,
        /// The target the rule was dropped on.
        target: String,
        /// The `egress` node.
        #[label("no rule allows this connection on `{target}`")]
        span: Span,
    },

    /// A pipeline template of a CI system does not render: a bug in the library.
    #[error("the `{scope}` template of CI system `{system}` does not render{subject}: {reason}")]
    #[diagnostic(
        code(emit::pipeline_template),
        help("fix the `template` in the `ci-system` (docs/pipelines.md lists the template context)")
    )]
    PipelineTemplate {
        /// CI system name.
        system: String,
        /// `workload` or `estate`.
        scope: &'static str,
        /// ` for order/order-api`, or empty.
        subject: String,
        /// What went wrong, with the template line.
        reason: String,
        /// The template text.
        #[label("this template")]
        span: Span,
    },

    /// A `chart-template` of the library does not render, or renders text that is not the
    /// file it must be.
    #[error("the `{name}` chart template does not render{subject}: {reason}")]
    #[diagnostic(
        code(emit::chart_template),
        help("fix the `chart-template \"{name}\"` of the library (docs/helm.md lists each template's context)")
    )]
    ChartTemplate {
        /// Which chart file (`helpers`, `notes`, ...).
        name: String,
        /// ` for chart order on target aws`, or empty.
        subject: String,
        /// What went wrong, with the template line.
        reason: String,
        /// The template text.
        #[label("this template")]
        span: Span,
    },

    /// A `gitops-tool` template does not render one object: a bug in the library.
    #[error("the `{scope}` template of GitOps tool `{tool}` does not render for {subject}: {reason}")]
    #[diagnostic(
        code(emit::gitops_template),
        help("fix the `template` in the `gitops-tool` (docs/delivery.md lists the template context)")
    )]
    GitopsTemplate {
        /// Tool name.
        tool: String,
        /// `domain` or `view`.
        scope: &'static str,
        /// `domain order`, `environment prod`.
        subject: String,
        /// What went wrong.
        reason: String,
        /// The template text.
        #[label("this template")]
        span: Span,
    },

    /// The library has no `chart-template` of a chart file the platform's `helm` needs.
    #[error("the library has no `chart-template \"{name}\"`, so the Helm charts cannot be written")]
    #[diagnostic(
        code(emit::missing_chart_template),
        help("add `chart-template \"{name}\"` to a `--lib` file (copy it from stdlib/charts.kdl), or remove `helm`")
    )]
    MissingChartTemplate {
        /// Which chart file.
        name: String,
        /// The platform's `helm` node.
        #[label("charts are asked for here")]
        span: Span,
    },

    /// A target profile's `rollout-router` template does not render: a bug in the library.
    #[error("the `rollout-router` template of target `{target}` does not render: {reason}")]
    #[diagnostic(
        code(emit::router_template),
        help(
            "fix the `rollout-router` of the target or its cloud profile (docs/language.md lists its template context)"
        )
    )]
    RouterTemplate {
        /// The target.
        target: String,
        /// What went wrong.
        reason: String,
        /// The template text.
        #[label("this template")]
        span: Span,
    },

    /// The library's `rollout` template does not render into the workload's Rollout: a bug
    /// in the library.
    #[error("the `rollout` template does not render for {subject}: {reason}")]
    #[diagnostic(
        code(emit::rollout_template),
        help("fix the `rollout` template in the library's `rollouts` node (docs/delivery.md lists its context)")
    )]
    RolloutTemplate {
        /// The workload, `<domain>/<name>`.
        subject: String,
        /// What went wrong.
        reason: String,
        /// The template text.
        #[label("this template")]
        span: Span,
    },

    /// A monitoring template does not render, or not into what it must be: a bug in the
    /// library.
    #[error("the `{template}` monitoring template does not render for {subject}: {reason}")]
    #[diagnostic(
        code(emit::monitoring_template),
        help("fix the template in the library's `monitoring` node (docs/monitoring.md lists its context)")
    )]
    MonitoringTemplate {
        /// `service-monitor`, `pod-monitor`, `rules`, `analysis` or `dashboard`.
        template: String,
        /// `order/order-api`, or the domain.
        subject: String,
        /// What went wrong, with the template line.
        reason: String,
        /// The template text.
        #[label("this template")]
        span: Span,
    },

    /// An `slo` on a target where nothing evaluates it.
    #[error("`slo` of `{workload}` has no effect on target `{target}`: it names no `monitoring-namespace`")]
    #[diagnostic(
        code(emit::unmonitored_slo),
        severity(Warning),
        help(
            "name where Prometheus (with the prometheus-operator) runs on target `{target}`: `monitoring-namespace \"monitoring\"`; or turn the objectives off there with `in \"<env>\" {{ slo #false }}`"
        )
    )]
    UnmonitoredSlo {
        /// The workload.
        workload: String,
        /// The target without monitoring.
        target: String,
        /// The `slo` node.
        #[label("no alert on `{target}`")]
        span: Span,
    },

    /// A value that a pipeline would put into a shell command or a YAML key has
    /// characters that would need quoting.
    #[error("{what} `{value}` cannot go into a pipeline: {reason}")]
    #[diagnostic(code(emit::unsafe_pipeline_value))]
    UnsafePipelineValue {
        /// What the value is.
        what: &'static str,
        /// The value.
        value: String,
        /// Why not.
        reason: &'static str,
        /// Where it comes from.
        #[label("used by the generated pipelines")]
        span: Span,
        /// What to write instead.
        #[help]
        help: &'static str,
    },

    /// Two pipeline files declare the same object (a Tekton `Pipeline`, a `Trigger`...):
    /// applied to one namespace, the later would replace the earlier.
    #[error("two pipeline files declare the {kind} `{name}`: `{path}` and `{first_path}`")]
    #[diagnostic(
        code(emit::pipeline_name_collision),
        help(
            "rename the workload or its domain: the `{system}` templates name this workload's objects after it, and `{name}` is already taken"
        )
    )]
    PipelineNameCollision {
        /// The CI system.
        system: String,
        /// The object's kind.
        kind: String,
        /// The object's name.
        name: String,
        /// The later file.
        path: String,
        /// The earlier file.
        first_path: String,
        /// Where the later file comes from.
        #[label("this one's {kind}")]
        span: Span,
        /// Where the earlier file comes from.
        #[label("has the same name as this one's")]
        first: Span,
    },

    /// A realisation's object template does not render: a bug in the library.
    #[error("an object template of the {mode} `{kind}` realisation does not render on target `{target}`: {reason}")]
    #[diagnostic(
        code(emit::template),
        help("fix the `object` template in the library file (docs/backing-services.md lists the template context)")
    )]
    Template {
        /// Kind.
        kind: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// Target.
        target: String,
        /// Why.
        reason: String,
        /// The template.
        #[label("this template")]
        span: Span,
    },

    /// A profile's `route-object` does not render into an object: a mistake in the library.
    #[error("the `route-object` of target `{target}` does not render: {reason}")]
    #[diagnostic(
        code(emit::route_object),
        help(
            "fix the `route-object` template of the cloud profile (context: `name`, `workload`, `namespace`, `host`, `path`, `port`); it needs `apiVersion` and `kind`, Berth adds `metadata`"
        )
    )]
    RouteObject {
        /// Target.
        target: String,
        /// Why.
        reason: String,
        /// The template.
        #[label("this template")]
        span: Span,
    },

    /// A network plugin's `egress-by-name` does not render into an object: a mistake in
    /// the library.
    #[error("the `egress-by-name` policy of network plugin `{cni}` does not render: {reason}")]
    #[diagnostic(
        code(emit::egress_policy),
        help(
            "fix the `egress-by-name` template of the `cni` (context: `name`, `namespace`, `selector`, `dns_namespace`, `dns_labels`, `dns_port`, `hosts` with `host` and `port`); it needs `apiVersion` and `kind`, Berth adds `metadata`"
        )
    )]
    EgressPolicy {
        /// The plugin.
        cni: String,
        /// Why.
        reason: String,
        /// The template.
        #[label("this template")]
        span: Span,
    },

    /// An emitter produced a file outside the outputs it declares: a bug in Berth.
    #[error("emitter `{emitter}` produced `{path}`, outside the outputs it declares")]
    #[diagnostic(code(emit::misplaced), help("this is a bug in Berth; please report it"))]
    Misplaced {
        /// The emitter's name.
        emitter: &'static str,
        /// The artifact's path.
        path: String,
        /// The entity the artifact came from.
        #[label("this entity's file")]
        span: Span,
    },

    /// Two emitted objects would be written to the same file.
    #[error("two objects would be written to `{path}`")]
    #[diagnostic(
        code(emit::path_collision),
        help("rename one of the two entities: their generated objects have the same kind and name in one namespace")
    )]
    PathCollision {
        /// The output path.
        path: String,
        /// The later entity.
        #[label("this one's object")]
        span: Span,
        /// The earlier entity.
        #[label("collides with this one's")]
        first: Span,
    },

    /// Consumers of a backing service get no egress rule on this target.
    #[error(
        "consumers of {kind} `{name}` cannot reach it on target `{target}`: {}",
        if *managed { "the target names no `managed-cidr` for the cloud's managed services" } else { "its realisation names no `pods` to allow" }
    )]
    #[diagnostic(
        code(emit::unreachable_backing),
        severity(Warning),
        help(
            "{}",
            if *managed { format!("add `managed-cidr \"<address range>\"` (the VPC or private-service range the managed endpoints live in) to target `{target}`") } else { "add `pods \"<label>\" \"<value>\"` to the kind's in-cluster realisation".to_owned() }
        )
    )]
    UnreachableBacking {
        /// Kind.
        kind: String,
        /// Declared name.
        name: String,
        /// Target.
        target: String,
        /// Managed (true) or in-cluster.
        managed: bool,
        /// The declaration.
        #[label("the default-deny policy blocks its consumers on `{target}`")]
        span: Span,
    },

    /// Operator-run pods that call the Kubernetes API on a target with no API range.
    #[error(
        "the pods of `{name}` cannot reach the Kubernetes API on target `{target}`: the target names no `api-server-cidr`"
    )]
    #[diagnostic(
        code(emit::api_server_unreachable),
        severity(Warning),
        help(
            "add `api-server-cidr \"<address range of the API server endpoints>\"` to target `{target}` (`kubectl get endpoints kubernetes` shows them)"
        )
    )]
    ApiServerUnreachable {
        /// Declared name.
        name: String,
        /// Target.
        target: String,
        /// The declaration.
        #[label("its operator-run pods call the API")]
        span: Span,
    },

    /// An exposed service on a target whose profile names no source for its traffic.
    #[error(
        "`{workload}` is exposed on target `{target}`, but its NetworkPolicy admits no ingress controller or load balancer there"
    )]
    #[diagnostic(
        code(emit::unreachable_exposure),
        severity(Warning),
        help(
            "name where the traffic comes from on target `{target}`: `ingress-namespace \"<namespace of the gateway or ingress pods>\"` (with `ingress-label` to narrow it) or `ingress-cidr \"<load balancer range>\"`"
        )
    )]
    UnreachableExposure {
        /// Workload.
        workload: String,
        /// Target.
        target: String,
        /// The `expose` node.
        #[label("the default-deny blocks this on `{target}`")]
        span: Span,
    },

    /// Consumers of a backing service reached over the cloud's public endpoint (no port)
    /// that allow no HTTPS egress.
    #[error(
        "`{workload}` uses {kind} `{name}` on target `{target}` but may open no HTTPS connection: the default-deny blocks the cloud's endpoint"
    )]
    #[diagnostic(
        code(emit::unreachable_endpoint),
        severity(Warning),
        help(
            "allow the provider's endpoint with `egress \"<endpoint host>\" port=443` (with `cidr=`, or on a Cilium target), as docs/backing-services.md lists per cloud"
        )
    )]
    UnreachableEndpoint {
        /// Workload.
        workload: String,
        /// Kind.
        kind: String,
        /// Backing service.
        name: String,
        /// Target.
        target: String,
        /// The `uses` node.
        #[label("no egress on port 443")]
        span: Span,
    },
}
