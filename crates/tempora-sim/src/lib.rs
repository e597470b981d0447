//! # tempora-sim
//!
//! A deterministic simulator that measures clock discipline: it runs the
//! real PTP engine of `tempora-ptp` (or the NTP client and server of
//! `tempora-ntp`, for scenarios with an `[ntp]` section) and a servo of
//! `tempora-clock` on
//! virtual time, over a modelled network (base delays, delay distributions,
//! asymmetry, loss, queueing bursts) and a modelled oscillator (frequency
//! offset, random-walk wander, temperature, steps, phase noise), far faster
//! than real time. Scenarios are TOML files ([`scenario`]); a run reports
//! the slave's true offset statistics ([`stats`]).
//!
//! The simulated PTP network ([`network`]) is also a library of its own:
//! any topology of ordinary, boundary and transparent clocks, started and
//! stopped, links cut, frames recorded; the PTP engine's acceptance tests
//! (tempora-ptp's `tests/network.rs`) run on it.

pub mod demo;
pub mod holdover;
mod mixed;
pub mod model;
pub mod network;
pub mod ntp;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod servos;
pub mod stats;

pub use holdover::{HoldoverReport, run_holdover};
pub use report::{RunReport, SelectionReport, SelectionSpan, evaluate, run_one};
pub use runner::{Trace, run};
pub use scenario::{Scenario, ScenarioError};
pub use servos::{ServoKind, make_ntp_servo, make_servo};
pub use stats::Stats;
