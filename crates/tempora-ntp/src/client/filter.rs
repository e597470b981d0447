//! The clock filter (RFC 5905 §10). It lives in the system process's crate
//! (`tempora_system::filter`), shared by every kind of source that measures
//! over a network path (NTP and CSPTP servers).

pub use tempora_system::filter::{ClockFilter, FilterSample, Filtered, STAGES};
