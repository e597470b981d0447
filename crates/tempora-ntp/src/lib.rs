//! NTP (RFC 5905) and NTS (RFC 8915) wire formats for Tempora.
//!
//! This crate is `no_std`, allocation-free and dependency-free. It only
//! converts between bytes and typed values ("sans-IO"); see [`wire`].
//!
//! Decoders borrow from their input and never panic; every value that
//! decodes re-encodes to exactly the bytes it came from.
#![no_std]
#![forbid(unsafe_code)]

pub mod wire;
