//! Berth: a platform-as-code compiler.

pub mod diag;
pub mod driver;
pub mod emit;
pub mod lsp;
pub mod model;
pub mod output;
pub mod policy;
pub mod resolve;
pub mod stdlib;
pub mod syntax;
pub mod template;
pub mod validate;
