//! The best master clock algorithm, BMCA (IEEE 1588-2019 §9.3).
//!
//! Pure functions and small bounded containers; nothing here reads a clock
//! or does I/O.

mod acceptable;
mod compare;
mod dataset;
mod decision;
mod foreign;
mod update;

pub use acceptable::{AcceptableMaster, AcceptableMasterTable, TableFull};
pub use compare::{Comparison, compare, compare_topology};
pub use dataset::{ComparisonDataSet, DEFAULT_LOCAL_PRIORITY};
pub use decision::{
    DecisionInput, RecommendedState, ebest, ebest_by, state_decision, state_decision_by,
};
pub use foreign::{
    AnnounceRecord, FOREIGN_MASTER_CAPACITY, FOREIGN_MASTER_THRESHOLD, FOREIGN_MASTER_TIME_WINDOW,
    ForeignMasters, Recorded, Rejection,
};
pub use update::{
    apply_decision, time_properties_from_announce, update_as_grandmaster, update_as_slave,
};
