//! The bounds the language puts on numbers, in one place. `model` checks them when it
//! lowers a spec; later stages rely on them and never check again.

/// Replicas of a workload (`replicas`): 0 stops it.
pub const REPLICAS: (i64, i64) = (0, 1000);
/// Replicas an autoscaler keeps (`scale min=` and `max=`).
pub const SCALE: (i64, i64) = (1, 1000);
/// A TCP or UDP port number.
pub const PORT: (i64, i64) = (1, 65535);
