//! Roughtime for Tempora: the wire format, the client and the server
//! cores of RFC 10049 (version 1), of draft-ietf-ntp-roughtime-14 as
//! roughenough 1.3.0-draft14 speaks it, and of the original Google
//! protocol as roughenough 1.1.8 speaks it. Every difference between the
//! three is a column of one table, [`version::Params`].
//!
//! `no_std` with `alloc` (messages are built into vectors, batches are
//! vectors) and sans-IO: no clock, socket or entropy of its own. The
//! caller passes the time (microseconds since the Unix epoch, UTC),
//! datagrams, nonces and key seeds.
//!
//! - [`message`], [`framing`], [`tag`]: the message format (RFC 10049 §4)
//!   and the packet (§5); decoders borrow and never panic, encoders are
//!   byte-exact;
//! - [`request`], [`reply`]: typed requests (§5.1) and responses (§5.2);
//! - [`hash`], [`merkle`], [`keys`]: SHA-512 and its truncation, the Merkle
//!   tree and PATH verifier (§5.3), Ed25519 keys, delegation and the
//!   signature contexts (§5.2.1, §5.2.6);
//! - [`client`]: a request and the verification of its reply (§5.4), and
//!   [`backoff`]: the retry intervals (§5, §8.4.2);
//! - [`server`]: batches of requests, one tree and one signature per
//!   version, typed outcomes, the amplification rule (§9.7);
//! - [`chain`], [`consensus`](mod@consensus), [`report`]: chained nonces and the proof of
//!   malfeasance (§8.2), agreement among servers, and the malfeasance
//!   report (§8.4.1), with [`base64`] (RFC 4648).
//!
//! A round trip, server and client in one:
//!
//! ```
//! use tempora_roughtime::{Batch, ClientRequest, LongTermKey, Outcome, Server, ServerConfig, Version};
//!
//! let now_us = 1_796_440_890_000_000; // the caller's clock
//! let long_term = LongTermKey::from_seed(&[1; 32]); // the caller's secret
//! let delegation = long_term.delegate(&[2; 32], now_us - 3_600_000_000, now_us + 3_600_000_000);
//! let server = Server::new(&long_term, delegation, ServerConfig::default());
//!
//! let request = ClientRequest::new(Version::Rfc, &[7; 32], Some(&long_term.public())).unwrap();
//! let mut batch = Batch::new();
//! batch.push(&server, request.packet(), "client address").unwrap();
//! let (_, outcome) = batch.finish(&server, now_us).pop().unwrap();
//! let Outcome::Reply { packet, .. } = outcome else { panic!() };
//!
//! let time = request.verify(&packet, &long_term.public()).unwrap();
//! assert_eq!(time.midpoint_us, now_us);
//! assert_eq!(time.radius_us, 3_000_000);
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod backoff;
pub mod base64;
pub mod chain;
pub mod client;
pub mod consensus;
pub mod error;
pub mod framing;
pub mod hash;
pub mod keys;
pub mod merkle;
pub mod message;
pub mod reply;
pub mod report;
pub mod request;
pub mod server;
pub mod tag;
pub mod version;

pub use chain::{Chain, ChainError, Link, Malfeasance};
pub use client::{ClientRequest, Verified, VerifyError};
pub use consensus::{Consensus, ConsensusConfig, Sample, consensus};
pub use error::Error;
pub use keys::{Delegation, LongTermKey, parse_public_key};
pub use server::{Batch, DropReason, Outcome, Server, ServerConfig};
pub use tag::Tag;
pub use version::{Version, VersionSet};
