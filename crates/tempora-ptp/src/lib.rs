//! # tempora-ptp
//!
//! The Precision Time Protocol (IEEE 1588-2019) for Tempora, without any I/O.
//!
//! * [`wire`]: exact, panic-free encoding and decoding of every PTP message
//!   (IEEE 1588-2019 §13), its TLVs (§14, §15, §16) and its transports
//!   (Annex C, D, E).
//! * [`datasets`]: the data sets of a PTP instance (§8.2).
//! * [`profile`]: PTP profiles as data (§20.3): the default profiles
//!   (Annex I), gPTP (IEEE 802.1AS), the AVnu Automotive Profile and the
//!   ITU-T G.8275.1 and G.8275.2 telecom profiles.
//!
//! The crate is `no_std`: decoded messages borrow from the buffer they were
//! decoded from, and encoders write into a caller-provided buffer.
#![no_std]
#![forbid(unsafe_code)]

pub mod datasets;
pub mod profile;
pub mod wire;
