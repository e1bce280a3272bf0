//! Diagnostics of the emit stage: what the spec asks for but the target cannot enforce.

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A problem found while emitting; all of them are warnings, the output is still written.
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
        port: i32,
        /// The target the rule was dropped on.
        target: String,
        /// The `egress` node.
        #[label("no rule allows this connection on `{target}`")]
        span: Span,
    },
}
