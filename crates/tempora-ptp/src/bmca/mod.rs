//! The best master clock algorithm, BMCA (IEEE 1588-2019 §9.3).
//!
//! Everything here is a pure function of its inputs or a small bounded
//! container; nothing reads a clock or does I/O. A port state machine drives
//! it like this:
//!
//! 1. Every received Announce goes into the port's [`ForeignMasters`]
//!    (§9.3.2.4, §9.3.2.5), which rejects the ones that may not be used and
//!    counts the rest in the foreign master time window.
//! 2. At each state decision event (§9.2.6.8), each port computes its
//!    `Erbest` with [`ForeignMasters::erbest`] (§9.3.2.3) and the instance
//!    picks `Ebest` over all ports with [`ebest`] (§9.3.2.2).
//! 3. Each port runs the state decision algorithm [`state_decision`]
//!    (§9.3.3, Figure 33), which returns a [`RecommendedState`].
//! 4. The data sets are updated for that decision with [`apply_decision`]
//!    (§9.3.5).
//!
//! The comparisons go through [`compare`] (§9.3.4, Figures 34 and 35) by
//! default; profiles with an alternate BMCA (§9.3.1), such as ITU-T
//! G.8275.1, plug in through the [`Bmca`] trait or the [`BmcaKind`] enum.

mod acceptable;
mod alternate;
mod compare;
mod dataset;
mod decision;
mod foreign;
mod update;

pub use acceptable::{AcceptableMaster, AcceptableMasterTable, TableFull};
pub use alternate::{Bmca, BmcaKind, G8275Dot1Bmca, Ieee1588Bmca, g8275_1_compare};
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
