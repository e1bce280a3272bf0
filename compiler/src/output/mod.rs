//! Output: everything that turns artifacts and diagnostics into text or files.

pub mod yaml;
pub mod graph;
pub mod report;
pub mod write;
pub mod listing;
pub mod diff;
pub mod review;
pub mod risk;
