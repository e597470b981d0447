//! # tempora-clock
//!
//! The clock-discipline layer shared by PTP and NTP. So far it holds the
//! [`time`] types every layer uses; the clock traits, the virtual clock and
//! the servos (Kalman filter, PI baseline) arrive with issue #4. It is
//! `no_std` like the protocol cores that use it.
#![no_std]
#![forbid(unsafe_code)]

pub mod time;

pub use time::{Duration, Time};
