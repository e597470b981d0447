//! Tempora's system process, sans-IO: what the daemon, the simulator and
//! the fuzzers all run between the sources and the servo.
//!
//! Sources of every kind (NTP servers and pools, PTP ports; CSPTP servers
//! and reference clocks next) each keep their own protocol state and hand
//! the system process one [`SourceUpdate`] per new measurement (with their
//! own filter's estimate), or a [`RawSample`] (PTP ports: the process
//! makes the estimate). Each source has its [`SourceOptions`] (chrony's
//! `prefer`, `noselect`, `trust`, `require`, `offset`, `maxdelay`, and
//! ptp4l's delay asymmetry). The system process does the rest of RFC 5905's "system
//! process" (§11): it runs the selection ([`select`]: intersection,
//! clustering, combining), tracks falsetickers and the system peer, and
//! decides what reaches the clock: nothing until enough sources agree, then
//! one start-up step to the combined estimate with a frequency estimated
//! from the sources' own samples (the [start-up policy](process)), then each
//! new sample of the system peer for the servo.
//!
//! Every sample is kept in the frame of the free-running oscillator: the
//! process hears of every correction applied to the clock (its own and, say,
//! a PTP servo's, through [`SystemProcess::handle_correction`]) and keeps
//! them in a [`ledger`], so that samples taken seconds apart while the clock
//! was being slewed or stepped are compared as if the clock had been left
//! alone.
//!
//! The contract follows quinn-proto's: `handle_*` calls feed it inputs with
//! the current time, `poll_*` calls take out what it wants done, and
//! [`SystemProcess::poll_timeout`] says when it next wants
//! [`SystemProcess::handle_timeout`]. It never reads a clock and never
//! blocks. `no_std` with `alloc`.

#![no_std]

extern crate alloc;

pub mod filter;
mod fit;
pub mod holdover;
pub mod ledger;
pub mod options;
pub mod process;
pub mod quality;
pub mod reference;
pub mod select;
pub mod servo;
pub mod wander;

pub use holdover::{Holdover, HoldoverState, HoldoverStatus};
pub use options::SourceOptions;
pub use process::{
    Action, Estimate, Measurement, RawSample, SelectionState, SourceFrequency, SourceId,
    SourceKind, SourceReport, SourceUpdate, Stage, StepRefused, SystemConfig, SystemProcess,
    Tracking, carry_out,
};
pub use quality::{DegradedClass, ServedQuality, served_quality};
pub use reference::ReferenceKind;
