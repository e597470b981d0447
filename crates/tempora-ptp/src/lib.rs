//! # tempora-ptp
//!
//! The Precision Time Protocol (IEEE 1588-2019) for Tempora, without any I/O.
//!
//! * [`wire`]: exact, panic-free encoding and decoding of every PTP message
//!   (IEEE 1588-2019 §13), its TLVs (§14, §15, §16) and its transports
//!   (Annex C, D, E).
//! * [`datasets`]: the data sets of a PTP instance (§8.2).
//! * [`unicast`]: unicast discovery and negotiation of grants (§16.1), as
//!   used by ITU-T G.8275.2 and enterprise networks.
//!
//! The crate is `no_std`, with `alloc` for the unicast tables: decoded
//! messages borrow from the buffer they were decoded from, and encoders write
//! into a caller-provided buffer.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod datasets;
pub mod unicast;
pub mod wire;
