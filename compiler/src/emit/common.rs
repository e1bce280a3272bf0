//! Helpers shared by emitters: labels, names, paths.
