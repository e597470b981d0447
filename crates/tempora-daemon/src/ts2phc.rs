//! ts2phc inside the daemon: a PPS wired into a PHC's external-timestamp
//! pin, paired with the time of day from an NMEA receiver or gpsd, gives
//! the offset of that PHC (what linuxptp's `ts2phc` does as a separate
//! daemon). Configured as an `extts` refclock (docs/refclocks.md, "PPS
//! into a PHC (ts2phc)") and run by `crate::refclock_extts`.
//!
//! [`Ts2phcSource`] owns the PHC's event queue and the sans-IO pairing
//! ([`Ts2Phc`]): the loop polls [`Ts2phcSource::fd`], calls
//! [`Ts2phcSource::handle_readable`] when it is readable, hands in each
//! second the ToD refclock (a gpsd or nmea driver of `crate::refclock_io`
//! or `crate::refclock_gpsd`, whose readers are not duplicated here) names
//! with [`Ts2phcSource::push_tod`], and calls
//! [`Ts2phcSource::poll_sample`] at each poll of the source, which gives
//! the per-poll [`RawSample`] of the PHC's offset (reference − PHC) for
//! the system process.
//!
//! The edges and the ToD readings are stamped with one monotonic clock
//! when they are handed in ([`SeenClock`]); the pairing uses only the
//! differences.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Instant;

use tempora_clock::{Duration, Time};
use tempora_linux::extts::{ExttsDevice, ExttsEdge, READ_BUFFER};
use tempora_refclock::extts::{Counters, ExttsError, ExttsParams, Pulse, TodReading, Ts2Phc};
use tempora_system::RawSample;

/// The most outcomes (pulses, rejections) kept between two
/// [`Ts2phcSource::take_outcomes`] (a few seconds' worth).
const MAX_OUTCOMES: usize = 64;

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
pub struct Ts2phcSource<E> {
    events: E,
    core: Ts2Phc,
    clock: SeenClock,
    buf: Vec<u8>,
    last_error: Option<ExttsError>,
    outcomes: Vec<Result<Pulse, ExttsError>>,
}

impl Ts2phcSource<ExttsDevice> {
    /// Opens the PHC of `config`, sets its pin (if any) to the
    /// external-timestamp function on the channel, and enables the
    /// channel's timestamps.
    pub fn open(config: &Ts2phcConfig) -> io::Result<Self> {
        let mut dev = ExttsDevice::open(&config.device)?;
        let channel = config.params.channel;
        if let Some(pin) = config.pin {
            dev.set_pin_extts(pin, channel)?;
        }
        dev.enable(channel, config.edge)?;
        Self::new(dev, config.params, monotonic_clock())
    }
}

impl<E: EventQueue> Ts2phcSource<E> {
    /// A source over an event queue, stamping with `clock`.
    pub fn new(events: E, params: ExttsParams, clock: SeenClock) -> io::Result<Self> {
        let core = Ts2Phc::new(params).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ts2phc parameters: {e:?}"),
            )
        })?;
        Ok(Ts2phcSource {
            events,
            core,
            clock,
            buf: vec![0; READ_BUFFER],
            last_error: None,
            outcomes: Vec::new(),
        })
    }

    /// The descriptor to poll: the event queue's.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.events.fd()
    }

    /// Reads the queued edges. An error means the descriptor failed and
    /// the source needs reopening.
    pub fn handle_readable(&mut self) -> io::Result<()> {
        while let Some(n) = self.events.read_events(&mut self.buf)? {
            let Some(bytes) = self.buf.get(..n).filter(|b| !b.is_empty()) else {
                break;
            };
            let seen = (self.clock)();
            self.core.push_bytes(bytes, seen);
        }
        self.drain_outcomes();
        Ok(())
    }

    /// The ToD refclock named `second` (UTC, a whole second; TAI − UTC if
    /// it said) just now, or gave a reading that names none (`Err`: no
    /// fix).
    pub fn push_tod(&mut self, second: Result<(Time, Option<i16>), ExttsError>) {
        let seen = (self.clock)();
        let reading = second.and_then(|(s, tai)| TodReading::new(s, seen, tai));
        self.core.push_tod(reading);
        self.drain_outcomes();
    }

    /// The pulses paired and the edges rejected since the last call (at
    /// most the last 64).
    pub fn take_outcomes(&mut self) -> Vec<Result<Pulse, ExttsError>> {
        std::mem::take(&mut self.outcomes)
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
            if self.outcomes.len() >= MAX_OUTCOMES {
                let _oldest = self.outcomes.remove(0);
            }
            self.outcomes.push(outcome);
        }
    }
}

#[cfg(test)]
mod tests;
