//! NTP (RFC 5905) and NTS (RFC 8915) wire formats for Tempora.
//!
//! This crate is `no_std` and allocation-free. It converts between bytes and
//! typed values ("sans-IO"); see [`wire`], and [`time`] for conversions to
//! Tempora's time types.
//!
//! On top of the wire formats, the protocol logic, with no clock, socket or
//! entropy of its own (the caller passes the time, the datagrams and a
//! random number generator):
//!
//! - [`server`]: the server core. [`server::Server::handle`] takes one
//!   datagram and decides everything once (access lists and rate limiting
//!   from [`access`], the interleaved mode from [`xleave`], NTS from
//!   [`nts`] with the cookie master keys passed in, the DENY, RATE and NTSN
//!   kiss codes) and returns a typed [`server::Outcome`] to send and count.
//!   The daemon's timing and worker loops, the simulator and the
//!   `ntp_server` fuzz target all call it;
//! - [`client`] and [`exchange`]: the client's sources, clock filter and
//!   selection, and one request–reply exchange;
//! - [`symmetric`]: symmetric-key MACs (RFC 5905 §7.3, RFC 8573), the
//!   key file's lines in chrony's format, and a keyed source's reply check;
//! - [`nts`]: NTS-protected requests and replies (RFC 8915 §5) and cookies;
//!   [`nts::client`] the client's state per source (keys, cookie stash,
//!   when to run key establishment again), on the time the caller passes.
//!
//! - [`v5`]: NTPv5 (draft-ietf-ntp-ntpv5 -08 and -09): header, extension
//!   fields, the reference-ID Bloom filter and the NTPv4 upgrade signal,
//!   with the per-draft constants in one table.
//!
//! Decoders borrow from their input and never panic; every value that
//! decodes re-encodes to exactly the bytes it came from.
#![no_std]
#![forbid(unsafe_code)]

pub mod access;
pub mod client;
pub mod exchange;
pub mod nts;
mod reply;
pub mod server;
pub mod symmetric;
pub mod time;
pub mod v5;
pub mod wire;
pub mod xleave;
