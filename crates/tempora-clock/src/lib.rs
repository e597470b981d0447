//! # tempora-clock
//!
//! The clock-discipline layer shared by PTP and NTP: the [`time`] types
//! every layer uses, the [`clock`] traits with the virtual clock, and the
//! [`servo`]s (Kalman filter, PI baseline), and the IERS
//! [`leap_seconds`] list. It is `no_std` like the
//! protocol cores that use it.
#![no_std]
#![forbid(unsafe_code)]

pub mod clock;
pub mod leap_seconds;
pub mod servo;
pub mod time;

pub use clock::{BaseClock, Clock, ClockError, ClockInfo, LeapStatus, VirtualClock, VirtualState};
pub use servo::{Correction, Handover, Sample, Servo, ServoState};
pub use time::{Duration, Time, Timescale, Timestamp};
