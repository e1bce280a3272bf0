//! Errors of the `model` stage: the document is valid KDL but not a valid Berth spec.
//!
//! Rendered (unicode, no colour) an unknown property reads:
//! ```text
//! model::unknown_property
//!
//!   × unknown property `replica` on `scale`
//!    ╭─[spec.kdl:4:9]
//!  4 │   scale replica=3
//!    ·         ────┬────
//!    ·             ╰── not a property of `scale`
//!    ╰────
//!   help: did you mean `max`?
//! ```

use crate::diag::Span;

/// A problem found while lowering KDL nodes into the spec.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LowerError {
    /// The spec passes a size limit (docs/language.md, "Limits").
    #[error("the spec has {count} {what}, more than the limit of {limit}")]
    #[diagnostic(
        code(model::too_large),
        help(
            "split the estate into several specs (one per platform or business unit); docs/language.md lists the limits"
        )
    )]
    TooLarge {
        /// What is counted.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// How many there are.
        count: usize,
        /// The node that passes the limit.
        #[label("the limit is passed here")]
        span: Span,
    },

    /// A `config` key and a `secret` name the same variable.
    #[error("`{name}` is both a `config` key and a `secret`")]
    #[diagnostic(
        code(model::config_secret_collision),
        help("rename one of them: a container gets one value per variable, and which one wins is not obvious")
    )]
    ConfigSecretCollision {
        /// The variable name.
        name: String,
        /// The secret.
        #[label("secret `{name}` here")]
        span: Span,
        /// The config key.
        #[label("config key here")]
        config: Span,
    },

    /// A node name that is not part of the language at this place.
    #[error("unknown node `{name}` {parent}")]
    #[diagnostic(code(model::unknown_node))]
    UnknownNode {
        /// The node name as written.
        name: String,
        /// Where it was found: `at the top level`, ``in `service` ``.
        parent: String,
        /// The node name.
        #[label("not known here")]
        span: Span,
        /// A suggestion or the list of allowed nodes.
        #[help]
        help: String,
    },

    /// A property a node does not accept.
    #[error("unknown property `{name}` on `{node}`")]
    #[diagnostic(code(model::unknown_property))]
    UnknownProperty {
        /// The property name.
        name: String,
        /// The node name.
        node: String,
        /// The property.
        #[label("not a property of `{node}`")]
        span: Span,
        /// A suggestion or the list of allowed properties.
        #[help]
        help: String,
    },

    /// A positional argument a node does not take.
    #[error("unexpected argument on `{node}`")]
    #[diagnostic(code(model::unexpected_argument))]
    UnexpectedArgument {
        /// The node name.
        node: String,
        /// The argument.
        #[label("`{node}` takes no argument here")]
        span: Span,
        /// What the node takes.
        #[help]
        help: String,
    },

    /// A children block on a node that has none.
    #[error("`{node}` takes no children block")]
    #[diagnostic(code(model::unexpected_children), help("remove the `{{ ... }}` block"))]
    UnexpectedChildren {
        /// The node name.
        node: String,
        /// The node.
        #[label("this node")]
        span: Span,
    },

    /// A value of the wrong type.
    #[error("{what} must be {expected}, not {found}")]
    #[diagnostic(code(model::wrong_type))]
    WrongType {
        /// What the value is for: `` `replicas` ``.
        what: String,
        /// The expected type: `an integer`.
        expected: &'static str,
        /// The type written: `a string`.
        found: &'static str,
        /// The value.
        #[label("expected {expected}")]
        span: Span,
        /// How to write it.
        #[help]
        help: String,
    },

    /// A number outside its allowed range.
    #[error("{what} is {value}, outside {range}")]
    #[diagnostic(code(model::out_of_range))]
    OutOfRange {
        /// What the value is for.
        what: String,
        /// The value as written.
        value: String,
        /// The allowed range: `1 to 65535`.
        range: String,
        /// The value.
        #[label("out of range")]
        span: Span,
        /// How to fix it.
        #[help]
        help: String,
    },

    /// A required argument or property is missing.
    #[error("`{node}` needs {what}")]
    #[diagnostic(code(model::missing_value))]
    MissingValue {
        /// The node name.
        node: String,
        /// What is missing: `a name`, `` `schedule` ``.
        what: String,
        /// The node's name.
        #[label("needs {what}")]
        span: Span,
        /// How to write it.
        #[help]
        help: String,
    },

    /// Two things of one kind with the same name in one scope.
    #[error("duplicate {kind} `{name}`{scope}")]
    #[diagnostic(code(model::duplicate_name))]
    DuplicateName {
        /// What kind of name: `environment`, `name`.
        kind: &'static str,
        /// The name.
        name: String,
        /// ` in domain `order`` or empty.
        scope: String,
        /// The second definition.
        #[label("defined again here")]
        span: Span,
        /// The first definition.
        #[label("first defined here")]
        first: Span,
        /// How to fix it.
        #[help]
        help: String,
    },

    /// A setting that may appear once per block appears twice.
    #[error("`{setting}` is set twice {parent}")]
    #[diagnostic(code(model::duplicate_setting), help("remove one of them"))]
    DuplicateSetting {
        /// The setting (node or property) name.
        setting: String,
        /// Where: ``in `service` `` or `in the file`.
        parent: String,
        /// The second occurrence.
        #[label("set again here")]
        span: Span,
        /// The first occurrence.
        #[label("first set here")]
        first: Span,
    },

    /// A name that is not an RFC 1123 DNS label.
    #[error("{kind} name `{name}` is not a valid DNS label")]
    #[diagnostic(
        code(model::invalid_name),
        help("use 1 to 63 lowercase letters, digits and `-`, starting and ending with a letter or digit")
    )]
    InvalidName {
        /// What is named: `service`, `domain`.
        kind: String,
        /// The name.
        name: String,
        /// Why it is invalid.
        reason: String,
        /// The name.
        #[label("{reason}")]
        span: Span,
    },

    /// A port name that is not an IANA service name.
    #[error("port name `{name}` is not a valid IANA service name")]
    #[diagnostic(
        code(model::invalid_port_name),
        help(
            "use at most 15 lowercase letters, digits and `-`, with at least one letter, no `-` at either end and no `--`"
        )
    )]
    InvalidPortName {
        /// The name.
        name: String,
        /// Why it is invalid.
        reason: String,
        /// The name.
        #[label("{reason}")]
        span: Span,
    },

    /// A CPU or memory value that is not a Kubernetes quantity.
    #[error("invalid quantity `{value}` for {what}")]
    #[diagnostic(code(model::invalid_quantity))]
    InvalidQuantity {
        /// What the value is for.
        what: String,
        /// The value as written.
        value: String,
        /// The value.
        #[label("not a Kubernetes quantity")]
        span: Span,
        /// Examples of valid values.
        #[help]
        help: String,
    },

    /// A cron schedule that does not parse.
    #[error("schedule `{value}` is not a valid cron expression")]
    #[diagnostic(
        code(model::invalid_schedule),
        help("write 5 fields (minute hour day-of-month month day-of-week) such as `0 3 * * *`, or `@daily`")
    )]
    InvalidSchedule {
        /// The schedule as written.
        value: String,
        /// What is wrong.
        reason: String,
        /// The schedule.
        #[label("{reason}")]
        span: Span,
    },

    /// A value not among the allowed choices.
    #[error("{what} `{value}` is not one of {choices}")]
    #[diagnostic(code(model::invalid_choice))]
    InvalidChoice {
        /// What the value is for.
        what: String,
        /// The value as written.
        value: String,
        /// The choices, in backticks.
        choices: String,
        /// The value.
        #[label("not allowed here")]
        span: Span,
        /// A suggestion.
        #[help]
        help: String,
    },

    /// A string value with the wrong shape (digest, date, path, reference).
    #[error("{what} `{value}` is not valid")]
    #[diagnostic(code(model::invalid_value))]
    InvalidValue {
        /// What the value is for.
        what: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
        /// The value.
        #[label("{reason}")]
        span: Span,
        /// How to write it.
        #[help]
        help: String,
    },

    /// A KDL type annotation: Berth gives no meaning to one.
    #[error("type annotation `({annotation})` means nothing in Berth")]
    #[diagnostic(
        code(model::type_annotation),
        help(
            "remove `({annotation})`: each node and property of Berth's language has its own type (docs/language.md)"
        )
    )]
    TypeAnnotation {
        /// The annotation.
        annotation: String,
        /// Where.
        #[label("ignored by Berth, so refused")]
        span: Span,
    },

    /// A `policy` with no `require` or `deny` rule.
    #[error("policy `{id}` has no `require` or `deny` rule")]
    #[diagnostic(
        code(model::policy_without_rules),
        help("add a rule such as `require \"replicas >= 2\" message=\"...\"`")
    )]
    PolicyWithoutRules {
        /// The policy id.
        id: String,
        /// The policy's id.
        #[label("this policy checks nothing")]
        span: Span,
    },
}
