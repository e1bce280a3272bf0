
mod emit_objects;
mod crds;
mod examples;
mod diagnostics;
mod determinism;
mod robustness;
mod netpol;
mod reachability;
mod diff;
mod reports;
mod validate;
mod policy;
mod graph;
mod targets;
mod library;
