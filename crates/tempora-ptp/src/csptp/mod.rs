//! Client-server PTP (CSPTP; IEEE P1588.1 draft "Client Server Precision
//! Clock Synchronization Protocol", as ntpd-rs 2.0-alpha implements it in
//! `statime-csptp`), sans-IO.
//!
//! A client sends its server a unicast PTP v2.1 Sync with `majorSdoId` 3
//! carrying the CSPTP request TLV; the stateless server answers with a Sync
//! carrying the response TLV (when and with what correction the request
//! arrived) and, if asked, the status TLV (its grandmaster's data set), then
//! — two-step — a Follow_Up with the precise transmit time of that Sync. The
//! client has t1 (its request's transmit time), t2 (from the response TLV),
//! t3 (the Follow_Up's, or a one-step Sync's, origin timestamp) and t4 (the
//! response's receive time): an NTP-like exchange with PTP's timestamps.
//!
//! * [`message`]: recognising and building CSPTP messages.
//! * [`client`]: [`CsptpClient`], one per server.
//! * [`sample`]: [`CsptpSample`], a complete exchange, and its timescale.
//! * [`filter`]: [`CsptpFilter`], a source's samples for the system process.
//! * [`server`]: [`CsptpServer`], stateless, with the [`ServerDataSet`] it
//!   announces.
//! * [`drop_reason`]: why a message was dropped, and counters.
//!
//! # Calling contract (client)
//!
//! Like quinn-proto: the caller owns the socket and the clock.
//!
//! 1. [`CsptpClient::poll_timeout`] says when the client next wants the
//!    caller's attention; at (or after) that time call
//!    [`CsptpClient::handle_timeout`], then [`CsptpClient::poll_request`]
//!    with the current time and a buffer of at least
//!    [`message::MAX_LEN`] bytes. A returned [`ClientRequest`] is to be sent
//!    to the server's event port (319).
//! 2. When the kernel or the NIC reports the request's transmit timestamp,
//!    pass it with the sequence id to
//!    [`CsptpClient::handle_transmit_timestamp`] (without transmit
//!    timestamps, pass the time just before sending).
//! 3. Every datagram from the server's address (ports 319 and 320) goes to
//!    [`CsptpClient::handle_message`] with its receive time. The Sync
//!    response and the Follow_Up may come in either order; the outcome of
//!    whichever call completes the exchange (transmit timestamp included) is
//!    [`ClientOutcome::Sample`]; feed it to the source's [`CsptpFilter`].
//!
//! Only one request per server is outstanding: a new request abandons the
//! previous one, and each response is accepted once.
//!
//! # Calling contract (server)
//!
//! For each datagram on port 319, [`CsptpServer::handle`] with its receive
//! time and the current [`ServerDataSet`]; send the reply it writes from
//! port 319, and, if it says a Follow_Up is due, take the reply's transmit
//! timestamp and send [`CsptpServer::follow_up`]'s message from port 320.
//! The server keeps nothing between calls.
//!
//! # Timescales
//!
//! Timestamps on the wire are on the server's timescale: PTP's (TAI) when
//! the response's `ptpTimescale` flag is set, which a UTC system clock is
//! 37 s (in 2017–2026) behind. [`CsptpSample::offset`] is already converted
//! to UTC (with the server's announced `currentUtcOffset` when its
//! `currentUtcOffsetValid` flag is set, else the client's configured
//! fallback); [`CsptpSample::server_offset`] is the unconverted offset, for
//! a local clock that is itself on TAI (a PTP hardware clock). A server
//! fills its timestamps on the timescale its data set announces: the daemon
//! converts its UTC clock's times with [`tempora_clock::Timestamp::to_tai`].

pub mod client;
pub mod drop_reason;
pub mod filter;
pub mod message;
pub mod sample;
pub mod server;

pub use client::{
    ClientCounters, ClientOutcome, ClientRequest, CsptpClient, CsptpClientConfig, DEFAULT_DOMAIN,
};
pub use drop_reason::{DropCounters, DropReason};
pub use filter::CsptpFilter;
pub use message::CsptpMessage;
pub use sample::CsptpSample;
pub use server::{CsptpServer, CsptpServerConfig, ServerDataSet, ServerOutcome, StepMode};

#[cfg(test)]
mod tests;
