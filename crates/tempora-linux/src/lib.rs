//! # tempora-linux
//!
//! The Linux platform layer and the one crate of Tempora allowed to use
//! `unsafe`: sockets with SO_TIMESTAMPING, control messages, clock_adjtime,
//! PTP hardware clocks, all through plain libc calls that run under
//! clknetsim.
//!
//! This crate is the layer's place in the workspace; its contents arrive with
//! the Linux daemon work (issue #5).
