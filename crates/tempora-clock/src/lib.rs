//! # tempora-clock
//!
//! The clock-discipline layer shared by PTP and NTP: time types, the clock
//! traits and the virtual clock, and the servos (Kalman filter, PI baseline).
//!
//! This crate is the layer's place in the workspace; its contents arrive with
//! the clock-discipline work (issue #4). It is `no_std` like the protocol
//! cores that feed it.
#![no_std]
#![forbid(unsafe_code)]
