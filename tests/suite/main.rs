
mod emit_objects;
mod crds;
