//! The `extts` reference clock (docs/refclocks.md, "PPS into a PHC
//! (ts2phc)"): a PPS into a PHC's external-timestamp channel
//! ([`Ts2phcSource`]), its seconds named by another refclock (`tod`, a
//! gpsd or nmea one) whose samples `crate::refclock` hands in
//! ([`ExttsDriver::tod`]). Its per-poll sample is the PHC's offset
//! (reference − PHC); it is a sample of the disciplined clock only when
//! `[clock] kind` is that PHC ([`ExttsDriver::disciplines`]), otherwise
//! the source measures and shows its offsets but hands nothing to the
//! selection.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

use tempora_clock::{Duration, Time};
use tempora_config::{ClockKind, PhcTimescaleSetting, PpsEdgeSetting, RefclockSettings};
use tempora_linux::extts::{ExttsDevice, ExttsEdge};
use tempora_refclock::extts::{ExttsError, ExttsParams, PhcTimescale, Pulse};
use tempora_system::RawSample;

use crate::refclock_event::{Event, Problem};
use crate::ts2phc::{EventQueue, Ts2phcConfig, Ts2phcSource};

/// The ts2phc parameters of an `extts` refclock's settings.
pub fn ts2phc_config(s: &RefclockSettings) -> Ts2phcConfig {
    Ts2phcConfig {
        device: s
            .device
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        pin: s.pin,
        edge: match s.edge {
            Some(PpsEdgeSetting::Clear) => ExttsEdge::Falling,
            _ => ExttsEdge::Rising,
        },
        params: ExttsParams {
            channel: s.channel.unwrap_or(0),
            pulse_delay: s.pulse_delay.unwrap_or(Duration::ZERO),
            timescale: match s.timescale {
                Some(PhcTimescaleSetting::Utc) => PhcTimescale::Utc,
                _ => PhcTimescale::Tai,
            },
            filter_length: usize::from(s.filter),
            ..ExttsParams::default()
        },
    }
}

/// Whether the disciplined clock (`[clock] kind`) is the PHC `device`: the
/// same path, or the same device once both are resolved.
pub fn is_disciplined_clock(clock: &ClockKind, device: &Path) -> bool {
    let ClockKind::Phc(phc) = clock else {
        return false;
    };
    if phc == device {
        return true;
    }
    match (phc.canonicalize(), device.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// What a ToD refclock's event gives the pairing: a sample's second, no
/// fix, or a leap second (23:59:60); nothing for other problems (a bad
/// checksum names no second).
pub fn tod_of_event(event: &Event) -> Option<Result<(Time, Option<i16>), ExttsError>> {
    match event {
        Event::Sample { reference, .. } => Some(Ok((*reference, None))),
        Event::Problem(p) if p.kind == "no_fix" => Some(Err(ExttsError::TodInvalid)),
        Event::Problem(p) if p.kind == "leap_second" => Some(Err(ExttsError::TodLeapSecond)),
        _ => None,
    }
}

/// A rejection as a problem: its counter's name and its status text.
pub fn problem_of(e: &ExttsError) -> Event {
    let kind = match e {
        ExttsError::Truncated { .. } | ExttsError::BadNanos { .. } => "garbage",
        ExttsError::WrongChannel { .. } => "wrong_channel",
        ExttsError::DuplicateEdge { .. } => "duplicate_edge",
        ExttsError::OffSecond { .. } => "off_second",
        ExttsError::TodInvalid => "no_fix",
        ExttsError::TodNotOnSecond
        | ExttsError::TodLeapSecond
        | ExttsError::TodBackwards { .. } => "bad_tod",
        ExttsError::MissingTod { .. } => "missing_tod",
        ExttsError::Ambiguous { .. } => "ambiguous_tod",
        ExttsError::SecondMismatch { .. } => "second_mismatch",
        ExttsError::NoUtcOffset => "no_utc_offset",
        ExttsError::Overflow => "overflow",
    };
    Problem::event(kind, format!("extts: {e:?}"))
}

/// How an [`ExttsDriver`] opens its source.
pub type Opener<E> = Box<dyn FnMut(&Ts2phcConfig) -> io::Result<Ts2phcSource<E>>>;

/// The `extts` driver: the source once its PHC is open.
pub struct ExttsDriver<E = ExttsDevice> {
    config: Ts2phcConfig,
    source: Option<Ts2phcSource<E>>,
    open: Opener<E>,
    disciplines: bool,
    tai_offset: Option<i16>,
    last_pulse: Option<Pulse>,
}

impl ExttsDriver<ExttsDevice> {
    /// The driver of `s`; `clock` is the disciplined clock.
    pub fn new(s: &RefclockSettings, clock: &ClockKind) -> Self {
        let config = ts2phc_config(s);
        let disciplines = is_disciplined_clock(clock, Path::new(&config.device));
        Self::with_opener(config, disciplines, Box::new(Ts2phcSource::open))
    }
}

impl<E: EventQueue> ExttsDriver<E> {
    /// A driver opening its source with `open` (tests: a socket standing
    /// in for the PHC).
    pub fn with_opener(config: Ts2phcConfig, disciplines: bool, open: Opener<E>) -> Self {
        ExttsDriver {
            config,
            source: None,
            open,
            disciplines,
            tai_offset: None,
            last_pulse: None,
        }
    }

    /// Whether its samples are of the disciplined clock.
    pub fn disciplines(&self) -> bool {
        self.disciplines
    }

    /// The PHC's event descriptor, while open.
    pub fn fd(&self) -> Option<RawFd> {
        self.source.as_ref().map(|s| s.fd().as_raw_fd())
    }

    /// Opens the PHC if it is not open: a failure is a problem (retried at
    /// the next tick), never a panic.
    pub fn tick(&mut self, out: &mut Vec<Event>) {
        if self.source.is_some() {
            return;
        }
        match (self.open)(&self.config) {
            Ok(mut s) => {
                s.set_tai_offset(self.tai_offset);
                self.source = Some(s);
            }
            Err(e) => out.push(Problem::event(
                "open",
                format!("extts: cannot open {}: {e}", self.config.device),
            )),
        }
    }

    /// Reads the PHC's queued edges; a failed read closes it (reopened at
    /// the next tick).
    pub fn readable(&mut self, out: &mut Vec<Event>) {
        let Some(s) = self.source.as_mut() else {
            return;
        };
        if let Err(e) = s.handle_readable() {
            out.push(Problem::event("read", format!("extts: read failed: {e}")));
            self.source = None;
            return;
        }
        self.outcomes(out);
    }

    /// An event of the ToD refclock.
    pub fn tod(&mut self, event: &Event, out: &mut Vec<Event>) {
        let (Some(s), Some(tod)) = (self.source.as_mut(), tod_of_event(event)) else {
            return;
        };
        s.push_tod(tod);
        self.outcomes(out);
    }

    fn outcomes(&mut self, out: &mut Vec<Event>) {
        let Some(s) = self.source.as_mut() else {
            return;
        };
        for o in s.take_outcomes() {
            match o {
                Ok(p) => self.last_pulse = Some(p),
                Err(e) => out.push(problem_of(&e)),
            }
        }
    }

    /// The poll's sample (the PHC's offset, reference − PHC), if enough
    /// pulses were paired; the outcomes of the last edge's pairing, which
    /// the poll decides, go to `out`.
    pub fn poll(&mut self, interval: Duration, out: &mut Vec<Event>) -> Option<RawSample> {
        let sample = self.source.as_mut()?.poll_sample(interval);
        self.outcomes(out);
        sample
    }

    /// TAI − UTC, for a PHC counting TAI (the leap-second file's or the
    /// kernel's).
    pub fn set_tai_offset(&mut self, offset: Option<i16>) {
        self.tai_offset = offset;
        if let Some(s) = self.source.as_mut() {
            s.set_tai_offset(offset);
        }
    }

    /// Forgets pending edges and samples (the PHC was stepped).
    pub fn reset(&mut self) {
        if let Some(s) = self.source.as_mut() {
            s.reset();
        }
    }

    /// Pulses paired so far and the last one.
    pub fn pulses(&self) -> (u64, Option<Pulse>) {
        let n = self.source.as_ref().map_or(0, |s| s.counters().pulses);
        (n, self.last_pulse)
    }
}

#[cfg(test)]
mod tests;
