//! Model type of `expose-port`: a TCP or UDP port reachable from outside the cluster
//! through a `LoadBalancer` or `NodePort` Service, for clients that do not speak HTTP.

use super::bounds::PortNumber;
use crate::diag::{Span, Spanned};

/// How an `expose-port` reaches the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortExposureType {
    /// A `LoadBalancer` Service: the cloud's (or MetalLB's) network load balancer.
    LoadBalancer,
    /// A `NodePort` Service: the port on every node's address.
    NodePort,
}

impl PortExposureType {
    /// The Service `type`.
    #[must_use]
    pub fn service_type(self) -> &'static str {
        match self {
            Self::LoadBalancer => "LoadBalancer",
            Self::NodePort => "NodePort",
        }
    }
}

/// `expose-port "edi" type="load-balancer" internal=#true { from "203.0.113.0/24" }`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PortExposure {
    /// The workload's port name.
    pub port: Spanned<String>,
    /// Load balancer or node port.
    pub kind: Spanned<PortExposureType>,
    /// `node-port=30575`: a fixed node port (default: one the cluster picks).
    pub node_port: Option<Spanned<PortNumber>>,
    /// `internal=#true`: a load balancer on the private network (the profile's
    /// `internal-load-balancer-annotation`s).
    pub internal: bool,
    /// `from "203.0.113.0/24"` children: the client address ranges allowed in; at least
    /// one (`from "0.0.0.0/0"` is everyone, written out).
    pub from: Vec<Spanned<String>>,
    /// The whole node.
    pub span: Span,
}
