//! # tempora-ptp
//!
//! The Precision Time Protocol (IEEE 1588-2019) for Tempora, without any I/O.
//!
//! * [`wire`]: exact, panic-free encoding and decoding of every PTP message
//!   (IEEE 1588-2019 §13), its TLVs (§14, §15, §16) and its transports
//!   (Annex C, D, E).
//! * [`datasets`]: the data sets of a PTP instance (§8.2).
//! * [`management`]: the management responder (§15): answers GET, SET and
//!   COMMAND requests from an instance's state and says what to forward.
//!
//! The crate is `no_std` (with `alloc`): decoded messages borrow from the
//! buffer they were decoded from, and encoders write into a caller-provided
//! buffer.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod datasets;
pub mod management;
pub mod wire;
