//! Output: everything that turns artifacts and diagnostics into text or files.

pub mod diff;
mod excerpt;
pub mod fault;
pub mod file;
pub mod graph;
pub mod listing;
pub mod report;
pub mod review;
pub mod risk;
pub mod safe;
pub mod stamps;
pub mod state;
pub mod write;
pub mod yaml;
