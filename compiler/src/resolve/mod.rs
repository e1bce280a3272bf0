//! Resolution: spec + library become one concrete [`View`] per (environment, target).
//!
//! In: the user's [`Spec`](crate::model::Spec) and the [`Library`]. Out: [`Estate`].

mod types;

pub use types::*;
