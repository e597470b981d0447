//! Reference clock protocols for Tempora, sans-IO: what a reference clock
//! driver reads is handed in as bytes with the local timestamps the driver
//! took, and comes back as typed readings, samples or errors. Nothing here
//! reads a clock, sleeps, or touches a file, device or socket; the drivers
//! that will (serial ports, `/dev/ppsN`, SysV shared memory, Unix and TCP
//! sockets) are thin I/O around these functions and are not part of this
//! crate.
//!
//! - [`nmea`]: NMEA 0183 sentences (RMC, ZDA, GGA) with their checksum, and
//!   [`line::LineAssembler`] for a byte stream that arrives in pieces;
//! - [`gpsd`]: gpsd's JSON protocol (`gpsd_json(5)`): the `?WATCH` command and
//!   the TPV, PPS, TOFF, VERSION and DEVICES reports;
//! - [`sock`]: chrony's SOCK reference clock datagram (`struct sock_sample`
//!   of chrony's `refclock_sock.c`);
//! - [`shm`]: the NTP shared-memory segment (`struct shmTime` of ntpd's
//!   `refclock_shm.c`, driver 28) and its mode 0 / mode 1 handshake;
//! - [`pps`]: RFC 2783 PPS API events and the offset of a pulse locked to
//!   another source or to the disciplined clock;
//! - [`extts`]: a PPS into a PHC's external-timestamp input, paired with
//!   NMEA or gpsd time of day (linuxptp's `ts2phc`): the kernel's event
//!   records and the pairing of edges with their seconds;
//! - [`filter`]: the per-poll median filter chrony uses for reference clocks,
//!   whose output is a [`tempora_system::RawSample`].
//!
//! Times are [`tempora_clock::Time`] on the UTC timescale (`CLOCK_REALTIME`'s:
//! seconds since 1970-01-01 UTC without leap seconds); see [`civil`].
//!
//! `no_std` with `alloc` (gpsd's JSON goes through `serde_json` with its
//! `alloc` feature); `#![forbid(unsafe_code)]`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod civil;
pub mod extts;
pub mod filter;
pub mod gpsd;
pub mod leap;
pub mod line;
pub mod nmea;
pub mod pps;
pub mod shm;
pub mod sock;

pub use leap::Leap;
