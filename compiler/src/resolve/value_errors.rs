//! Errors about values a spec writes that resolve finds only once layers, library
//! defaults and target params meet: a limit below its request, a param or a property
//! outside what the realisation accepts. Part of [`ResolveError`](super::errors::ResolveError).

use crate::diag::Span;

/// A value the cluster (or the custom resource's schema) would refuse.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ValueError {
    /// A limit below the request it meets after layering (`in` blocks, defaults).
    #[error(
        "`{what}-limit` of `{workload}` is `{limit}`, below its `{what}` request `{request}` in environment `{env}`"
    )]
    #[diagnostic(
        code(resolve::limit_below_request),
        help(
            "a limit must be at least the request: raise this limit, or set `{what}-limit` next to the `{what}` request that raises it (an `in` block's or the defaults')"
        )
    )]
    LimitBelowRequest {
        /// `cpu` or `memory`.
        what: &'static str,
        /// The limit.
        limit: String,
        /// The request it meets.
        request: String,
        /// Workload.
        workload: String,
        /// Environment.
        env: String,
        /// The limit as written.
        #[label("below the request `{request}` in `{env}`")]
        span: Span,
    },
    /// A target param that does not have the form its realisation requires.
    #[error("param `{param}` of target `{target}` is `{value}`, which is not of the form the realisation needs")]
    #[diagnostic(code(resolve::invalid_param), help("write it like `{example}` (it must match `{pattern}`)"))]
    InvalidParam {
        /// Param name.
        param: String,
        /// Its value, escaped.
        value: String,
        /// Target.
        target: String,
        /// The pattern.
        pattern: String,
        /// A value of the right form.
        example: String,
        /// The target node.
        #[label("param `{param}` of this target")]
        span: Span,
    },
    /// A target param outside the values its realisation runs (`accepts-param`).
    #[error("param `{param}` of target `{target}` is `{value}`, which the {mode} {kind} realisation does not run")]
    #[diagnostic(
        code(resolve::unsupported_param),
        help("write one of {allowed} (or leave the param out for the realisation's default)")
    )]
    UnsupportedParam {
        /// Param name.
        param: String,
        /// Its value, escaped.
        value: String,
        /// Target.
        target: String,
        /// `managed` or `in-cluster`.
        mode: &'static str,
        /// Kind.
        kind: String,
        /// The values it runs, in words.
        allowed: String,
        /// The target node.
        #[label("param `{param}` of this target")]
        span: Span,
    },
    /// An integer backing-service property outside the kind's range.
    #[error("`{name}` of {kind} is {value}, outside {range}")]
    #[diagnostic(code(resolve::kind_property_range), help("write a value within {range}"))]
    KindPropertyRange {
        /// Property.
        name: String,
        /// Kind.
        kind: String,
        /// The value.
        value: i64,
        /// `1..=1000`, `at least 1`.
        range: String,
        /// Where.
        #[label("out of range")]
        span: Span,
    },
    /// A property the realisation reads, refused by its `unsupported ... when=` for this
    /// declaration (it needs another setting, or its value cannot run here).
    #[error("`{property}` cannot run on the {mode} {kind} {place} as written")]
    #[diagnostic(code(resolve::property_refused))]
    PropertyRefused {
        /// Property.
        property: String,
        /// Kind.
        kind: String,
        /// `in-cluster` or `managed`.
        mode: &'static str,
        /// `on `eks``.
        place: String,
        /// What to write, from the kind's `unsupported` node.
        #[help]
        help: String,
        /// The value written.
        #[label("refused here")]
        span: Span,
    },
}
