//! # tempora-ptp
//!
//! The Precision Time Protocol (IEEE 1588-2019) for Tempora, without any I/O.
//!
//! * [`wire`]: exact, panic-free encoding and decoding of every PTP message
//!   (IEEE 1588-2019 §13), its TLVs (§14, §15, §16) and its transports
//!   (Annex C, D, E).
//! * [`datasets`]: the data sets of a PTP instance (§8.2).
//! * [`bmca`]: the best master clock algorithm (§9.3): foreign master
//!   qualification, data set comparison, state decision and data set
//!   updates, with a hook for profiles' alternate BMCAs (ITU-T G.8275.1).
//!
//! The crate is `no_std`: decoded messages borrow from the buffer they were
//! decoded from, and encoders write into a caller-provided buffer.
#![no_std]
#![forbid(unsafe_code)]

pub mod bmca;
pub mod datasets;
pub mod wire;
