//! The best master clock algorithm, BMCA (IEEE 1588-2019 §9.3).
//!
//! Pure functions and small bounded containers; nothing here reads a clock
//! or does I/O.

mod compare;
mod dataset;

pub use compare::{Comparison, compare, compare_topology};
pub use dataset::{ComparisonDataSet, DEFAULT_LOCAL_PRIORITY};
