//! Diagnostics of the policy stage itself: broken expressions, unknown packs and waiver
//! problems. Policy *findings* are not here: they are built at run time (see
//! [`super::Finding`]) with the policy id as their code.

use crate::diag::Span;

/// A problem with a policy, a pack name or a waiver.
///
/// ```text
///   × waiver of `latest-image-tag` on `order/order-api` has no reason
///    ╭─[spec.kdl:40:1]
///  40 │ waive "latest-image-tag" on="order/order-api"
///     · ───────────────────────┬──────────────────────
///     ·                        ╰── waived without a reason
///    ╰────
///   help: add `reason="..."` saying why the exception is acceptable
/// ```
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PolicyError {
    /// A `require` / `deny` expression is not valid CEL.
    #[error("expression of policy `{policy}` is not valid CEL: {reason}")]
    #[diagnostic(
        code(policy::invalid_expression),
        help("fix the CEL expression; see docs/policies.md for the variables")
    )]
    InvalidExpression {
        /// Policy id.
        policy: String,
        /// The CEL parser's message.
        reason: String,
        /// The expression.
        #[label("does not compile")]
        span: Span,
    },
    /// The CEL engine could not be built: one of Berth's functions clashes with the CEL
    /// library. A bug in Berth, never the spec's fault.
    #[error("the policy engine could not be built: {reason}")]
    #[diagnostic(
        code(policy::engine),
        help("this is a bug in Berth, not in the spec: please report it; no policy was checked")
    )]
    Engine {
        /// What failed.
        reason: String,
    },
    /// An expression passes a size or nesting limit (checked before CEL parses it).
    #[error("expression of policy `{policy}` is too large to evaluate: {reason}")]
    #[diagnostic(
        code(policy::expression_too_costly),
        help("split the check into smaller policies, or simplify it (docs/language.md lists the limits)")
    )]
    ExpressionTooCostly {
        /// Policy id.
        policy: String,
        /// Which limit.
        reason: String,
        /// Where in the expression the limit is passed.
        #[label("limit passed here")]
        span: Span,
    },
    /// Evaluating an expression failed or did not give a boolean.
    #[error("policy `{policy}` could not be evaluated on {entity}: {reason}")]
    #[diagnostic(
        code(policy::evaluation_failed),
        help("guard optional fields with `has(..)` or `!= null` and make the expression return a bool")
    )]
    EvaluationFailed {
        /// Policy id.
        policy: String,
        /// The entity it was evaluated on, e.g. `service order/order-api`.
        entity: String,
        /// What went wrong.
        reason: String,
        /// The expression.
        #[label("failed here")]
        span: Span,
    },
    /// `policies "..."` names a pack no policy belongs to.
    #[error("unknown policy pack `{name}`")]
    #[diagnostic(code(policy::unknown_pack))]
    UnknownPack {
        /// The name as written.
        name: String,
        /// The pack name.
        #[label("no policy belongs to this pack")]
        span: Span,
        /// Which packs exist.
        #[help]
        help: String,
    },
    /// `match "<kind>"` names a lower-case kind that is not an entity kind.
    #[error("policy `{policy}` matches unknown entity kind `{kind}`")]
    #[diagnostic(
        code(policy::unknown_match_kind),
        help(
            "match `service`, `worker`, `job`, `backing`, `domain`, `environment` or a Kubernetes kind such as `Deployment`"
        )
    )]
    UnknownMatchKind {
        /// Policy id.
        policy: String,
        /// The kind as written.
        kind: String,
        /// The kind.
        #[label("not an entity kind")]
        span: Span,
    },
    /// `match ... env="<env>"` in the spec names no environment of the spec.
    #[error("policy `{policy}` matches unknown environment `{env}`")]
    #[diagnostic(code(policy::unknown_environment))]
    UnknownEnvironment {
        /// Policy id.
        policy: String,
        /// The environment as written.
        env: String,
        /// The `env` value.
        #[label("no environment has this name")]
        span: Span,
        /// The environments that exist.
        #[help]
        help: String,
    },
    /// A waiver without `reason=`.
    #[error("waiver of `{policy}` on `{on}` has no reason")]
    #[diagnostic(
        code(policy::waiver_without_reason),
        help("add `reason=\"...\"` saying why the exception is acceptable")
    )]
    WaiverWithoutReason {
        /// Policy id.
        policy: String,
        /// Entity.
        on: String,
        /// The waiver.
        #[label("waived without a reason")]
        span: Span,
    },
    /// A waiver whose `until` date has passed.
    #[error("waiver of `{policy}` on `{on}` expired on {until}")]
    #[diagnostic(
        code(policy::expired_waiver),
        help("fix what the policy flags and remove the waiver, or renew it with a later `until`")
    )]
    ExpiredWaiver {
        /// Policy id.
        policy: String,
        /// Entity.
        on: String,
        /// The expiry date.
        until: String,
        /// The `until` value.
        #[label("before today, {today}")]
        span: Span,
        /// Today's date.
        today: String,
    },
    /// A waiver naming a policy that does not exist (or is not enabled).
    #[error("waiver names unknown policy `{policy}`")]
    #[diagnostic(code(policy::unknown_policy))]
    UnknownPolicy {
        /// The id as written.
        policy: String,
        /// The policy id.
        #[label("no enabled policy has this id")]
        span: Span,
        /// A close id, or how to list them.
        #[help]
        help: String,
    },
    /// A valid waiver that waived no finding.
    #[error("waiver of `{policy}` on `{on}` matches nothing")]
    #[diagnostic(
        code(policy::unused_waiver),
        severity(Warning),
        help("remove the waiver: the policy no longer fires on this entity")
    )]
    UnusedWaiver {
        /// Policy id.
        policy: String,
        /// Entity.
        on: String,
        /// The waiver.
        #[label("nothing to waive")]
        span: Span,
    },
}
