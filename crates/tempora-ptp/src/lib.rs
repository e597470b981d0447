//! # tempora-ptp
//!
//! The Precision Time Protocol (IEEE 1588-2019) for Tempora, without any I/O.
//!
//! * [`wire`]: exact, panic-free encoding and decoding of every PTP message
//!   (IEEE 1588-2019 §13), its TLVs (§14, §15, §16) and its transports
//!   (Annex C, D, E).
//! * [`datasets`]: the data sets of a PTP instance (§8.2).
//! * [`auth`]: the AUTHENTICATION TLV (§16.14, Annex P): security
//!   associations, ICVs, linuxptp's `sa_file` format.
//! * [`bmca`]: the best master clock algorithm (§9.3) and its alternates.
//! * [`csptp`]: client-server PTP (IEEE P1588.1 draft, as ntpd-rs 2.0-alpha
//!   speaks it): a per-server client, its filter, a stateless server.
//! * [`engine`]: a PTP instance (ordinary, boundary or transparent clock) as
//!   a sans-IO state machine (§9, §10, §11); its module docs give the
//!   calling contract.
//! * [`interval`]: [`interval::LogInterval`], a configured message interval
//!   (§7.7.2), range-checked.
//! * [`management`]: answers to management messages (§15) from live state,
//!   as linuxptp's `pmc` expects them.
//! * [`profile`]: PTP profiles as data (§20.3): the default profiles
//!   (Annex I), gPTP (IEEE 802.1AS), the AVnu Automotive Profile and the
//!   ITU-T G.8275.1 and G.8275.2 telecom profiles.
//! * [`time`]: conversions between the wire's time types and Tempora's.
//! * [`unicast`]: unicast discovery and negotiation of grants (§16.1), as
//!   used by ITU-T G.8275.2 and enterprise networks.
//!
//! The crate is `no_std`, with `alloc` for the engine's tables: decoded
//! messages borrow from the buffer they were decoded from, and encoders write
//! into a caller-provided buffer. The engine reads no clock and opens no
//! socket: time and packets come in as arguments, actions go out.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod auth;
pub mod bmca;
pub mod csptp;
pub mod datasets;
pub mod engine;
pub mod interval;
pub mod management;
pub mod profile;
pub mod time;
pub mod unicast;
pub mod wire;
