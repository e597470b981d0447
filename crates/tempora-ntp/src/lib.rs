//! NTP (RFC 5905) and NTS (RFC 8915) wire formats for Tempora.
//!
//! This crate is `no_std` and allocation-free. It converts between bytes and
//! typed values ("sans-IO"); see [`wire`], and [`time`] for conversions to
//! Tempora's time types.
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
pub mod time;
pub mod wire;
pub mod xleave;
