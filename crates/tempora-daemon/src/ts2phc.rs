//! ts2phc inside the daemon: a PPS wired into a PHC's external-timestamp
//! pin, paired with the time of day from an NMEA receiver or gpsd, gives
//! the offset of that PHC (what linuxptp's `ts2phc` does as a separate
//! daemon). Not wired into the configuration or the run loop yet: see
//! docs/refclocks.md, "PPS into a PHC (ts2phc)", for the intended
//! configuration.
//!
//! [`Ts2phcSource`] owns the two descriptors (the PHC's event queue and
//! the ToD stream) and the sans-IO pairing ([`Ts2Phc`]): the loop polls
//! [`Ts2phcSource::fds`], calls [`Ts2phcSource::handle_readable`] for a
//! readable one, and [`Ts2phcSource::poll_sample`] at each poll of the
//! source, which gives the per-poll [`RawSample`] of the PHC's offset
//! (reference − PHC) for the PHC's servo or the system process.
//!
//! The edges and the ToD readings are stamped with one monotonic clock
//! when they are read ([`SeenClock`]); the pairing uses only the
//! differences.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Instant;

use tempora_clock::{Duration, Time};
use tempora_linux::extts::{ExttsDevice, ExttsEdge, READ_BUFFER};
use tempora_refclock::extts::{Counters, ExttsError, ExttsParams, TodReading, Ts2Phc};
use tempora_refclock::gpsd::{self, Report};
use tempora_refclock::line::{Line, LineAssembler};
use tempora_refclock::nmea;
use tempora_system::RawSample;

/// The longest NMEA sentence kept (82 characters by NMEA 0183 §5.3, with
/// room for a non-conforming receiver).
const MAX_NMEA_LINE: usize = 256;

/// Where the edges come from: a PHC's event queue ([`ExttsDevice`]), or
/// anything that reads like one (a replay in tests).
pub trait EventQueue {
    /// The descriptor to poll.
    fn fd(&self) -> BorrowedFd<'_>;
    /// Reads queued records into `buf`: the byte count, `None` if none.
    fn read_events(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>>;
}

impl EventQueue for ExttsDevice {
    fn fd(&self) -> BorrowedFd<'_> {
        ExttsDevice::fd(self)
    }

    fn read_events(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        self.read(buf)
    }
}

/// Where the seconds come from.
pub trait TodSource {
    /// The descriptor to poll.
    fn fd(&self) -> BorrowedFd<'_>;
    /// Reads what is available; calls `out` for each reading (or the
    /// reason a report or sentence gave none). `Ok(false)` at the end of
    /// the stream (the source must be reopened).
    fn read_tod(
        &mut self,
        seen: Time,
        out: &mut dyn FnMut(Result<TodReading, ExttsError>),
    ) -> io::Result<bool>;
}

/// The format of a line-oriented ToD stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TodFormat {
    /// NMEA 0183 sentences (RMC, ZDA) from a serial device.
    Nmea,
    /// gpsd's JSON reports (TPV) from its TCP socket.
    Gpsd,
}

/// A ToD source over a non-blocking byte stream: a serial device with
/// NMEA, or a connection to gpsd.
#[derive(Debug)]
pub struct LineTod<S> {
    stream: S,
    format: TodFormat,
    lines: LineAssembler,
}

impl<S: Read + AsFd> LineTod<S> {
    /// NMEA sentences from `stream` (already non-blocking).
    pub fn nmea(stream: S) -> Self {
        LineTod {
            stream,
            format: TodFormat::Nmea,
            lines: LineAssembler::new(MAX_NMEA_LINE),
        }
    }

    /// gpsd's reports from `stream` (already non-blocking), after sending
    /// it the `?WATCH` command.
    pub fn gpsd(mut stream: S) -> io::Result<Self>
    where
        S: Write,
    {
        stream.write_all(gpsd::WATCH_COMMAND)?;
        Ok(LineTod {
            stream,
            format: TodFormat::Gpsd,
            lines: LineAssembler::new(gpsd::MAX_LINE),
        })
    }
}

impl<S: Read + AsFd> TodSource for LineTod<S> {
    fn fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }

    fn read_tod(
        &mut self,
        seen: Time,
        out: &mut dyn FnMut(Result<TodReading, ExttsError>),
    ) -> io::Result<bool> {
        let mut buf = [0u8; 4096];
        loop {
            let n = match self.stream.read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let format = self.format;
            self.lines.push(&buf[..n], |line| {
                if let Line::Complete(l) = line
                    && let Some(r) = tod_of_line(format, l, seen)
                {
                    out(r);
                }
            });
        }
    }
}

/// The reading a line gives: `None` for lines that name no second (GGA,
/// other sentences and reports, unparsable lines, which the refclock
/// drivers count and log).
fn tod_of_line(
    format: TodFormat,
    line: &[u8],
    seen: Time,
) -> Option<Result<TodReading, ExttsError>> {
    match format {
        TodFormat::Nmea => {
            let reading = nmea::parse(line).ok()?.reading()?;
            Some(TodReading::from_nmea(&reading, seen))
        }
        TodFormat::Gpsd => match gpsd::decode(line) {
            Ok(Report::Tpv(tpv)) => Some(TodReading::from_gpsd(&tpv, seen)),
            Err(gpsd::GpsdError::NoFix { .. }) => Some(Err(ExttsError::TodInvalid)),
            _ => None,
        },
    }
}

/// The clock the edges and readings are stamped with when read.
pub type SeenClock = Box<dyn FnMut() -> Time>;

/// A monotonic [`SeenClock`]: the time since it was made.
pub fn monotonic_clock() -> SeenClock {
    let origin = Instant::now();
    Box::new(move || Time::from_nanos(origin.elapsed().as_nanos() as i128))
}

/// The intended configuration of one ts2phc source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ts2phcConfig {
    /// The PHC, e.g. `/dev/ptp0`.
    pub device: String,
    /// The pin the PPS is wired to, set to the external-timestamp
    /// function; `None` for PHCs whose channels have fixed inputs (no
    /// programmable pins).
    pub pin: Option<u32>,
    /// The edge of the pulse that marks the second.
    pub edge: ExttsEdge,
    /// The pairing parameters (with the channel, the pulse delay and the
    /// PHC's timescale).
    pub params: ExttsParams,
}

/// A ts2phc source.
pub struct Ts2phcSource<E, T> {
    events: E,
    tod: T,
    core: Ts2Phc,
    clock: SeenClock,
    buf: Vec<u8>,
    last_error: Option<ExttsError>,
}

impl<T: TodSource> Ts2phcSource<ExttsDevice, T> {
    /// Opens the PHC of `config`, sets its pin (if any) to the
    /// external-timestamp function on the channel, and enables the
    /// channel's timestamps.
    pub fn open(config: &Ts2phcConfig, tod: T) -> io::Result<Self> {
        let mut dev = ExttsDevice::open(&config.device)?;
        let channel = config.params.channel;
        if let Some(pin) = config.pin {
            dev.set_pin_extts(pin, channel)?;
        }
        dev.enable(channel, config.edge)?;
        Self::new(dev, tod, config.params, monotonic_clock())
    }
}

impl<E: EventQueue, T: TodSource> Ts2phcSource<E, T> {
    /// A source over an event queue and a ToD source, stamping with
    /// `clock`.
    pub fn new(events: E, tod: T, params: ExttsParams, clock: SeenClock) -> io::Result<Self> {
        let core = Ts2Phc::new(params).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ts2phc parameters: {e:?}"),
            )
        })?;
        Ok(Ts2phcSource {
            events,
            tod,
            core,
            clock,
            buf: vec![0; READ_BUFFER],
            last_error: None,
        })
    }

    /// The descriptors to poll: the event queue's and the ToD source's.
    pub fn fds(&self) -> [BorrowedFd<'_>; 2] {
        [self.events.fd(), self.tod.fd()]
    }

    /// Reads what is ready on `fd` (one of [`Self::fds`]). An error means
    /// the descriptor failed (for the ToD source, also its end of stream:
    /// `UnexpectedEof`) and the source needs reopening.
    pub fn handle_readable(&mut self, fd: RawFd) -> io::Result<()> {
        if fd == self.events.fd().as_raw_fd() {
            while let Some(n) = self.events.read_events(&mut self.buf)? {
                if n == 0 {
                    break;
                }
                let seen = (self.clock)();
                self.core.push_bytes(&self.buf[..n], seen);
            }
        } else if fd == self.tod.fd().as_raw_fd() {
            let seen = (self.clock)();
            let core = &mut self.core;
            let open = self.tod.read_tod(seen, &mut |r| core.push_tod(r))?;
            if !open {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "ts2phc time-of-day source closed",
                ));
            }
        }
        self.drain_outcomes();
        Ok(())
    }

    /// At a poll of the source: decides the last edge's pairing, and the
    /// filter's combined sample if enough pulses arrived.
    pub fn poll_sample(&mut self, interval: Duration) -> Option<RawSample> {
        self.core.advance((self.clock)());
        self.drain_outcomes();
        self.core.poll(interval)
    }

    /// Sets TAI − UTC (from the leap-second file or the kernel).
    pub fn set_tai_offset(&mut self, offset: Option<i16>) {
        self.core.set_tai_offset(offset);
    }

    /// Forgets pending edges and samples (after the PHC was stepped).
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// The pairing's counters.
    pub fn counters(&self) -> Counters {
        self.core.counters()
    }

    /// The last rejection, for status.
    pub fn last_error(&self) -> Option<ExttsError> {
        self.last_error
    }

    fn drain_outcomes(&mut self) {
        while let Some(outcome) = self.core.next_outcome() {
            match outcome {
                Ok(p) => tracing::trace!(second = ?p.second, offset = %p.offset, "ts2phc pulse"),
                Err(e) => {
                    // Per pulse at most once a second: debug, with the
                    // latest in status.
                    tracing::debug!(error = ?e, "ts2phc edge rejected");
                    self.last_error = Some(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
