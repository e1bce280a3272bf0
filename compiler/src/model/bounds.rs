//! The bounds the language puts on numbers, in one place. `model` checks them when it
//! lowers a spec; later stages rely on them and never check again.

/// Replicas of a workload (`replicas`): 0 stops it.
pub const REPLICAS: (i64, i64) = (0, 1000);
/// Replicas an autoscaler keeps (`scale min=` and `max=`).
pub const SCALE: (i64, i64) = (1, 1000);
/// A TCP or UDP port number.
pub const PORT: (i64, i64) = (1, 65535);
/// The one integer type of a port number, from the model through `resolve` to the
/// emitted objects (the Kubernetes API's `int32`); [`PORT`] and [`NODE_PORT`] bound it.
pub type PortNumber = i32;
/// Seconds between SIGTERM and SIGKILL (`termination-grace`): up to a day.
pub const TERMINATION_GRACE: (i64, i64) = (0, 86_400);
/// `tolerationSeconds` of a `NoExecute` toleration: up to a day.
pub const TOLERATION_SECONDS: (i64, i64) = (0, 86_400);
/// A fixed `node-port=`: Kubernetes' default NodePort range.
pub const NODE_PORT: (i64, i64) = (30_000, 32_767);
/// An `slo`'s `availability=` and `percentile=`, in percent: at least this, below 100.
pub const SLO_PERCENT_MIN: f64 = 50.0;
/// An `slo`'s `latency=` in milliseconds.
pub const SLO_LATENCY_MS: (i64, i64) = (1, 60_000);
/// An `slo`'s `window=` in days: as long as the longest burn-rate window (3 days) twice over.
pub const SLO_WINDOW_DAYS: (i64, i64) = (7, 90);
/// Bytes of a file next to the spec that a `type="file"` backing property reads (init SQL):
/// a ConfigMap holds at most 1 MiB, and the text, escaped into an object template, stays
/// under the template's output limit.
pub const SPEC_FILE_BYTES: usize = 256 * 1024;
