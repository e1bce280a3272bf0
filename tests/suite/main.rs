
mod emit_objects;
mod crds;
mod examples;
mod diagnostics;
mod determinism;
mod robustness;
mod netpol;
mod reports;
mod diff;
mod validate;
