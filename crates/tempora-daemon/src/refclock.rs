//! The daemon's reference clocks (`[[refclock]]`, docs/refclocks.md):
//! each a driver (`crate::refclock_io`, `crate::refclock_gpsd`) whose
//! samples go through the sans-IO `tempora_refclock::SampleFilter` and,
//! once per poll, to the same system process as the NTP and CSPTP
//! sources (`SourceKind::Refclock`), which selects over all of them.
//!
//! Times: a driver's sample is a reference time against a CLOCK_REALTIME
//! time (gpsd's and an SHM writer's receive stamp, the kernel's PPS edge,
//! our read); the daemon's clock may be a virtual clock over
//! CLOCK_REALTIME, so that time is turned into the daemon clock's reading
//! at that instant (`DisciplinedClock::ntp_time`, as for an NTP receive
//! timestamp) before the offset is taken. A PPS pulse is numbered by its
//! `lock` refclock's last offset, or by the disciplined clock once the
//! selected source's offset says it is within 0.4 s.
//!
//! A poll with too few samples hands nothing on and resets the source in
//! the selection (it is not offered until it measures again); every
//! problem is counted by kind, shown as the `unusable` reason, and logged
//! at most once a minute per kind and source. A clock step voids the
//! samples gathered.
//!
//! An `extts` refclock (ts2phc, `crate::refclock_extts`) pairs its PHC's
//! edges with the seconds its `tod` refclock's samples name, and at its
//! poll hands its own filter's sample (the PHC's offset) to the system
//! process when the disciplined clock is that PHC.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::time::Instant;

use tempora_clock::{Duration, Time};
use tempora_config::{ClockKind, PpsEdgeSetting, RefclockDriver, RefclockSettings};
use tempora_refclock::filter::{RefSample, SampleFilter};
use tempora_refclock::leap::Leap;
use tempora_refclock::pps::{Edge, Lock, PpsParams, pulse_offset};
use tempora_system::{ReferenceKind, SourceId, SourceKind};

use crate::ntp_client::NtpClient;
use crate::refclock_event::{Event, Problem};
use crate::refclock_extts::ExttsDriver;
use crate::refclock_gpsd::GpsdDriver;
use crate::refclock_io::LocalDriver;
use crate::refclock_status::RefclockStatus;
use crate::runtime::{DisciplinedClock, PortIo, Runtime};

/// How often the timer reads the SHM segments, PPS devices and PHCs and
/// looks after gpsd connections.
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// How often one kind of problem of one source is logged.
const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The PPS edge of the configuration.
fn edge_of(e: Option<PpsEdgeSetting>) -> Edge {
    match e {
        Some(PpsEdgeSetting::Clear) => Edge::Clear,
        _ => Edge::Assert,
    }
}

/// A driver of either family.
enum Driver {
    Local(LocalDriver),
    Gpsd(GpsdDriver),
    Extts(Box<ExttsDriver>),
}

impl Driver {
    /// The driver of `s`, its device, clock, segment or socket open where
    /// it can be (before the daemon gives up its start-up privileges).
    fn open(s: &RefclockSettings, clock: &ClockKind) -> io::Result<Driver> {
        let mut d = Self::new(s, clock)?;
        match &mut d {
            Driver::Local(l) => l.open_early(),
            Driver::Extts(e) => {
                let mut problems = Vec::new();
                e.tick(&mut problems);
                for p in problems {
                    if let Event::Problem(p) = p {
                        tracing::warn!(refclock = %s.name, problem = %p.text, "reference clock not open yet (retried)");
                    }
                }
            }
            Driver::Gpsd(_) => {}
        }
        Ok(d)
    }

    fn new(s: &RefclockSettings, clock: &ClockKind) -> io::Result<Driver> {
        let device = || s.device.clone().unwrap_or_default();
        Ok(match s.driver {
            RefclockDriver::Gpsd => Driver::Gpsd(GpsdDriver::new(
                s.gpsd_address(),
                s.device.as_ref().map(|d| d.display().to_string()),
            )),
            RefclockDriver::Shm => Driver::Local(LocalDriver::shm(s.shm_key(), s.mode)),
            RefclockDriver::Pps => Driver::Local(LocalDriver::pps(&device(), edge_of(s.edge))),
            RefclockDriver::Phc => Driver::Local(LocalDriver::phc(&device())),
            RefclockDriver::Sock => {
                Driver::Local(LocalDriver::sock(&s.path.clone().unwrap_or_default())?)
            }
            RefclockDriver::Nmea => {
                Driver::Local(LocalDriver::nmea(&device(), s.baud.unwrap_or(9600))?)
            }
            RefclockDriver::Extts => Driver::Extts(Box::new(ExttsDriver::new(s, clock))),
        })
    }

    fn fd(&self) -> Option<RawFd> {
        match self {
            Driver::Local(d) => d.fd(),
            Driver::Gpsd(d) => d.fd(),
            Driver::Extts(d) => d.fd(),
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Event>) {
        match self {
            Driver::Local(d) => d.tick(out),
            Driver::Gpsd(d) => d.tick(now, out),
            Driver::Extts(d) => d.tick(out),
        }
    }

    fn readable(&mut self, out: &mut Vec<Event>) {
        match self {
            Driver::Local(d) => d.readable(out),
            Driver::Gpsd(d) => d.readable(out),
            Driver::Extts(d) => d.readable(out),
        }
    }
}

/// What the settings say the driver reads, for the status.
fn from_of(s: &RefclockSettings) -> String {
    match s.driver {
        RefclockDriver::Gpsd => match &s.device {
            Some(d) => format!("{} {}", s.gpsd_address(), d.display()),
            None => s.gpsd_address().to_string(),
        },
        RefclockDriver::Shm => format!("segment {} ({:#x})", s.segment.unwrap_or(0), s.shm_key()),
        RefclockDriver::Sock => s
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        _ => s
            .device
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
}

/// What a driver's time is a reference of: a PPS is a pulse, a PHC
/// another clock, and every time-of-day source here (gpsd, NMEA, an SHM
/// segment or SOCK datagrams, in practice a receiver's) GNSS time. An
/// `extts` refclock is a GNSS receiver's PPS too: its time is the
/// pulse's (the ToD only numbers the seconds), so it is served as `PPS`
/// like the pps driver (RFC 5905 §7.3's refid; the time source, GNSS, is
/// the same for both kinds).
fn reference_kind(driver: RefclockDriver) -> ReferenceKind {
    match driver {
        RefclockDriver::Pps | RefclockDriver::Extts => ReferenceKind::Pps,
        RefclockDriver::Phc => ReferenceKind::Phc,
        RefclockDriver::Shm
        | RefclockDriver::Gpsd
        | RefclockDriver::Sock
        | RefclockDriver::Nmea => ReferenceKind::Gnss,
    }
}

/// The status of a refclock before its first sample: an `extts` one whose
/// PHC is not the disciplined clock says so from the start.
fn initial_unusable(s: &RefclockSettings, clock: &ClockKind) -> String {
    match (&s.driver, &s.device) {
        (RefclockDriver::Extts, Some(d))
            if !crate::refclock_extts::is_disciplined_clock(clock, d) =>
        {
            not_disciplined(&d.display().to_string())
        }
        _ => "no samples yet".into(),
    }
}

/// Why an `extts` refclock's samples are not used.
fn not_disciplined(device: &str) -> String {
    format!(
        "extts: {device} is not the disciplined clock ([clock] kind): its offsets are measured and shown, not used"
    )
}

/// One reference clock.
struct Refclock {
    driver: Driver,
    /// What it is a reference of, for what the daemon serves.
    kind: ReferenceKind,
    filter: SampleFilter,
    poll: Duration,
    next_poll: Instant,
    delay: Duration,
    /// The index of the refclock a PPS is locked to.
    lock: Option<usize>,
    /// The extts refclocks whose seconds this one names (`tod`).
    tod_for: Vec<usize>,
    /// The index of an extts refclock's `tod` refclock.
    tod: Option<usize>,
    /// The leap warning of its last sample, if its driver has one.
    leap: Option<Leap>,
    /// Its `offset` option (added to its offsets by the selection, and to
    /// the offset it lends a PPS as its lock).
    correction: Duration,
    id: SourceId,
    /// The last sample: its offset to the daemon's clock and when.
    last: Option<(Duration, Instant)>,
    /// A problem since the last poll made it unusable.
    problem_since_poll: Option<String>,
    sample_since_poll: bool,
    logged: BTreeMap<&'static str, Instant>,
    status: RefclockStatus,
}

/// The reference clocks.
pub struct Refclocks {
    clocks: Vec<Refclock>,
    next_tick: Instant,
    seen_steps: u64,
    fds: Vec<RawFd>,
}

/// What an extts refclock's poll gave.
enum ExttsPoll {
    /// The sample (if any) of the disciplined PHC.
    Used(Option<tempora_system::RawSample>),
    /// The sample (if any) of a PHC (the device) that is not the
    /// disciplined clock.
    NotDisciplined(String, Option<tempora_system::RawSample>),
}

/// The descriptors that came and went (a gpsd connection).
#[derive(Debug, Default)]
pub struct FdChanges {
    /// No longer to poll.
    pub removed: Vec<RawFd>,
    /// New to poll.
    pub added: Vec<RawFd>,
}

impl Refclocks {
    /// Opens the drivers of `settings` (the SOCK sockets and serial ports
    /// now: a failure is an error naming the refclock; SHM, PPS and PHC
    /// now if they can be, otherwise at the ticks, retried; gpsd at the
    /// first tick) and adds each to `ntp`'s system process.
    pub fn new(
        settings: &[RefclockSettings],
        clock: &ClockKind,
        ntp: &mut NtpClient,
    ) -> io::Result<Self> {
        let now = Instant::now();
        let mut clocks = Vec::new();
        for s in settings {
            let driver = Driver::open(s, clock)
                .map_err(|e| io::Error::new(e.kind(), format!("refclock {}: {e}", s.name)))?;
            tracing::info!(refclock = %s.name, driver = s.driver.name(), from = %from_of(s), "reference clock");
            let poll = Duration::from_log2_secs(s.log2_poll());
            clocks.push(Refclock {
                driver,
                kind: reference_kind(s.driver),
                filter: SampleFilter::new(usize::from(s.filter)),
                poll,
                next_poll: now + std::time::Duration::from_secs_f64(poll.as_secs_f64()),
                delay: s.sample_delay(),
                lock: s
                    .lock
                    .as_ref()
                    .and_then(|l| settings.iter().position(|o| &o.name == l)),
                tod_for: settings
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.tod.as_ref() == Some(&s.name))
                    .map(|(j, _)| j)
                    .collect(),
                leap: None,
                tod: s
                    .tod
                    .as_ref()
                    .and_then(|l| settings.iter().position(|o| &o.name == l)),
                correction: s.offset.unwrap_or(Duration::ZERO),
                id: ntp.add_source(SourceKind::Refclock, crate::sources::refclock_options(s)),
                last: None,
                problem_since_poll: None,
                sample_since_poll: false,
                logged: BTreeMap::new(),
                status: RefclockStatus {
                    name: s.name.clone(),
                    driver: s.driver.name().into(),
                    from: from_of(s),
                    poll: s.log2_poll(),
                    unusable: Some(initial_unusable(s, clock)),
                    ..RefclockStatus::default()
                },
            });
        }
        let mut me = Refclocks {
            clocks,
            next_tick: now,
            seen_steps: 0,
            fds: Vec::new(),
        };
        me.fds = me.current_fds();
        Ok(me)
    }

    fn current_fds(&self) -> Vec<RawFd> {
        self.clocks.iter().filter_map(|c| c.driver.fd()).collect()
    }

    /// The descriptors to poll now.
    pub fn fds(&self) -> Vec<RawFd> {
        self.fds.clone()
    }

    /// How long until the next tick or poll.
    pub fn next_wait(&self) -> Duration {
        let now = Instant::now();
        let next = self
            .clocks
            .iter()
            .map(|c| c.next_poll)
            .chain([self.next_tick])
            .min()
            .unwrap_or(self.next_tick);
        Duration::from_secs_f64(next.saturating_duration_since(now).as_secs_f64())
    }

    /// A ready descriptor: the refclock it belongs to reads it.
    pub fn service<P: PortIo, C: DisciplinedClock>(
        &mut self,
        fd: RawFd,
        ntp: &NtpClient,
        runtime: &Runtime<P, C>,
    ) {
        let Some(i) = self.clocks.iter().position(|c| c.driver.fd() == Some(fd)) else {
            return;
        };
        let mut events = Vec::new();
        if let Some(c) = self.clocks.get_mut(i) {
            c.driver.readable(&mut events);
        }
        self.handle(i, events, ntp, runtime);
    }

    /// The timer and the polls that are due: the drivers read on the timer
    /// read, each refclock whose poll is due hands its filtered sample to
    /// the system process. Returns the descriptors that came and went.
    pub fn upkeep<P: PortIo, C: DisciplinedClock>(
        &mut self,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<FdChanges> {
        self.follow_steps(ntp, runtime);
        let now = Instant::now();
        if now >= self.next_tick {
            self.next_tick = now + TICK;
            for i in 0..self.clocks.len() {
                let mut events = Vec::new();
                if let Some(c) = self.clocks.get_mut(i) {
                    c.driver.tick(now, &mut events);
                }
                self.handle(i, events, ntp, runtime);
            }
        }
        for i in 0..self.clocks.len() {
            if self.clocks.get(i).is_some_and(|c| now >= c.next_poll) {
                self.poll(i, now, ntp, runtime)?;
            }
        }
        let fds = self.current_fds();
        let changes = FdChanges {
            removed: self
                .fds
                .iter()
                .filter(|f| !fds.contains(f))
                .copied()
                .collect(),
            added: fds
                .iter()
                .filter(|f| !self.fds.contains(f))
                .copied()
                .collect(),
        };
        self.fds = fds;
        Ok(changes)
    }

    /// A clock step voids the samples gathered (they are of the old time).
    fn follow_steps<P: PortIo, C: DisciplinedClock>(
        &mut self,
        ntp: &mut NtpClient,
        runtime: &Runtime<P, C>,
    ) {
        if runtime.steps() == self.seen_steps {
            return;
        }
        self.seen_steps = runtime.steps();
        for c in &mut self.clocks {
            c.filter.clear();
            if let Driver::Extts(d) = &mut c.driver {
                d.reset();
            }
            c.last = None;
            ntp.handle_source_reset(c.id);
        }
    }

    /// The events refclock `i`'s driver produced.
    fn handle<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        events: Vec<Event>,
        ntp: &NtpClient,
        runtime: &Runtime<P, C>,
    ) {
        self.forward_tod(i, &events, ntp, runtime);
        for e in events {
            match e {
                Event::Sample {
                    reference,
                    local,
                    dispersion,
                    leap,
                } => {
                    if let Some(c) = self.clocks.get_mut(i) {
                        c.leap = leap;
                    }
                    self.sample(i, reference, local, dispersion, runtime)
                }
                Event::Pulse { edge } => self.pulse(i, edge, ntp, runtime),
                Event::Problem(p) => self.problem(i, p),
            }
        }
        self.note_pulses(i);
    }

    /// Refclock `i`'s events to the extts refclocks it names the seconds
    /// of, and what their pairing made of them.
    fn forward_tod<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        events: &[Event],
        ntp: &NtpClient,
        runtime: &Runtime<P, C>,
    ) {
        let targets = self
            .clocks
            .get(i)
            .map(|c| c.tod_for.clone())
            .unwrap_or_default();
        for j in targets {
            let mut out = Vec::new();
            if let Some(Driver::Extts(d)) = self.clocks.get_mut(j).map(|c| &mut c.driver) {
                for e in events {
                    d.tod(e, &mut out);
                }
            }
            self.handle(j, out, ntp, runtime);
        }
    }

    /// An extts refclock's pulses into its status (its samples are the
    /// pulses its pairing accepted).
    fn note_pulses(&mut self, i: usize) {
        let Some(c) = self.clocks.get_mut(i) else {
            return;
        };
        let Driver::Extts(d) = &c.driver else { return };
        let (n, last) = d.pulses();
        if n > c.status.samples || (n > 0 && n < c.status.samples) {
            c.sample_since_poll = true;
            c.last = last.map(|p| (p.offset, Instant::now()));
            c.status.last_offset_ns = last.map(|p| p.offset.as_nanos_f64());
        }
        c.status.samples = n;
    }

    /// Sets TAI − UTC for the extts refclocks whose PHC counts TAI.
    pub fn set_tai_offset(&mut self, offset: Option<i16>) {
        for c in &mut self.clocks {
            if let Driver::Extts(d) = &mut c.driver {
                d.set_tai_offset(offset);
            }
        }
    }

    /// A sample: the reference's time against the daemon clock's reading
    /// at the CLOCK_REALTIME time `local`.
    fn sample<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        reference: Time,
        local: Time,
        dispersion: Duration,
        runtime: &Runtime<P, C>,
    ) {
        let Some(c) = self.clocks.get_mut(i) else {
            return;
        };
        let at = runtime.clock.ntp_time(Some(local));
        let offset = reference - at;
        c.filter.add(RefSample {
            at,
            offset,
            dispersion,
        });
        c.last = Some((offset, Instant::now()));
        c.sample_since_poll = true;
        c.status.samples += 1;
        c.status.last_offset_ns = Some(offset.as_nanos_f64());
        c.status.last_system_offset_ns = Some((reference - local).as_nanos_f64());
        tracing::trace!(refclock = %c.status.name, offset_ns = offset.as_nanos_f64(), "refclock sample");
    }

    /// A PPS edge: numbered by the lock, then a sample.
    fn pulse<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        edge: Time,
        ntp: &NtpClient,
        runtime: &Runtime<P, C>,
    ) {
        let lock = self.lock_of(i, ntp);
        let at = runtime.clock.ntp_time(Some(edge));
        match pulse_offset(at, lock, &PpsParams::default()) {
            // The second it marks, against the edge (CLOCK_REALTIME).
            Ok(p) => self.sample(i, p.second, edge, Duration::from_micros(1), runtime),
            Err(tempora_refclock::pps::PpsError::NoLock) => {
                self.problem_kind(i, "no_lock", "pps: no lock".into());
            }
            Err(tempora_refclock::pps::PpsError::LockTooUncertain(e)) => self.problem_kind(
                i,
                "no_lock",
                format!("pps: no lock (clock error up to {:.3} s)", e.as_secs_f64()),
            ),
            Err(tempora_refclock::pps::PpsError::TooFar(d)) => self.problem_kind(
                i,
                "too_far",
                format!("pps: pulse {:.3} s from the lock's second", d.as_secs_f64()),
            ),
        }
    }

    /// What numbers refclock `i`'s pulses: its `lock` refclock's last
    /// sample (if within two of that refclock's polls), or without `lock`
    /// the disciplined clock, bounded by the selected source's offset.
    fn lock_of(&self, i: usize, ntp: &NtpClient) -> Lock {
        let Some(c) = self.clocks.get(i) else {
            return Lock::Missing;
        };
        match c.lock.and_then(|l| self.clocks.get(l)) {
            Some(l) => match l.last {
                Some((offset, when))
                    if when.elapsed().as_secs_f64() <= 2.0 * l.poll.as_secs_f64().max(1.0) =>
                {
                    Lock::Source {
                        offset: offset + l.correction,
                    }
                }
                _ => Lock::Missing,
            },
            None if c.lock.is_some() => Lock::Missing,
            None => match ntp.system_peer_offset() {
                Some(offset) => Lock::Clock {
                    max_error: offset.abs() + Duration::from_millis(1),
                },
                None => Lock::Missing,
            },
        }
    }

    fn problem(&mut self, i: usize, p: Problem) {
        self.problem_kind(i, p.kind, p.text);
    }

    /// Counts, shows and (rate-limited) logs a problem of refclock `i`.
    fn problem_kind(&mut self, i: usize, kind: &'static str, text: String) {
        let Some(c) = self.clocks.get_mut(i) else {
            return;
        };
        *c.status.problems.entry(kind.to_string()).or_default() += 1;
        let now = Instant::now();
        let due = c
            .logged
            .get(kind)
            .is_none_or(|t| now.duration_since(*t) >= LOG_EVERY);
        if due {
            c.logged.insert(kind, now);
            tracing::warn!(refclock = %c.status.name, problem = %text, "reference clock problem (logged once a minute per kind)");
        }
        if !c.sample_since_poll {
            c.status.unusable = Some(text.clone());
        }
        c.status.last_problem = Some(text.clone());
        c.problem_since_poll = Some(text);
    }

    /// Refclock `i`'s poll: its filtered sample to the system process, or
    /// nothing and a reset when it had too few.
    fn poll<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        now: Instant,
        ntp: &mut NtpClient,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        let extts = self.poll_extts(i, ntp, runtime);
        let Some(c) = self.clocks.get_mut(i) else {
            return Ok(());
        };
        let step = std::time::Duration::from_secs_f64(c.poll.as_secs_f64());
        while c.next_poll <= now {
            c.next_poll += step;
        }
        let problem = c.problem_since_poll.take();
        let fresh = std::mem::take(&mut c.sample_since_poll);
        let polled = match extts {
            Some(ExttsPoll::Used(s)) => s,
            Some(ExttsPoll::NotDisciplined(device, s)) => {
                c.status.poll_offset_ns = s.map(|s| s.measurement.offset.as_nanos_f64());
                c.status.unusable = Some(not_disciplined(&device));
                return Ok(());
            }
            None => c.filter.poll(c.poll),
        };
        let Some(mut sample) = polled else {
            c.status.polls_empty += 1;
            let reason = if fresh {
                "too few samples in the poll"
            } else {
                "no samples"
            };
            c.status.unusable = Some(problem.unwrap_or_else(|| reason.into()));
            if !fresh {
                // Nothing new: the source is out until it measures again.
                c.filter.clear();
                ntp.handle_source_reset(c.id);
            }
            // Too few new ones (a 4 s poll of a once-a-second source
            // catches 3 or 4) wait for the next poll's, as chrony's filter
            // keeps them.
            return Ok(());
        };
        sample.measurement.delay = c.delay;
        c.status.polls_used += 1;
        c.status.unusable = None;
        c.status.poll_offset_ns = Some(sample.measurement.offset.as_nanos_f64());
        c.status.poll_dispersion_ns = Some(sample.root.as_nanos_f64());
        tracing::debug!(refclock = %c.status.name, offset_ns = sample.measurement.offset.as_nanos_f64(), dispersion_ns = sample.root.as_nanos_f64(), "refclock poll");
        ntp.handle_source_sample(c.id, sample, runtime)
    }

    /// An extts refclock's poll: its pairing's sample, the outcomes of the
    /// last edge handled; `None` for the other drivers.
    fn poll_extts<P: PortIo, C: DisciplinedClock>(
        &mut self,
        i: usize,
        ntp: &NtpClient,
        runtime: &Runtime<P, C>,
    ) -> Option<ExttsPoll> {
        let c = self.clocks.get_mut(i)?;
        let poll = c.poll;
        let Driver::Extts(d) = &mut c.driver else {
            return None;
        };
        let mut out = Vec::new();
        let sample = d.poll(poll, &mut out);
        let result = if d.disciplines() {
            ExttsPoll::Used(sample)
        } else {
            ExttsPoll::NotDisciplined(c.status.from.clone(), sample)
        };
        self.handle(i, out, ntp, runtime);
        Some(result)
    }

    /// Each refclock's name in the selection (`refclock:NAME`) and its
    /// handle, for the status of every source.
    pub fn names_and_ids(&self) -> Vec<(String, SourceId)> {
        self.clocks
            .iter()
            .map(|c| (format!("refclock:{}", c.status.name), c.id))
            .collect()
    }

    /// Each refclock's handle in the system process, the kind of reference
    /// it stands for and its poll (for `crate::served`).
    pub fn references(&self) -> Vec<(SourceId, ReferenceKind, Duration)> {
        self.clocks.iter().map(|c| (c.id, c.kind, c.poll)).collect()
    }

    /// Each refclock's handle and the leap warning its samples carry: its
    /// own (SHM, SOCK), else for a PPS its `lock`'s and for an extts its
    /// `tod`'s (the reference that numbers its seconds), else `None`.
    pub fn leap_warnings(&self) -> Vec<(SourceId, Option<Leap>)> {
        self.clocks
            .iter()
            .map(|c| {
                let numbering = c.lock.or(c.tod).and_then(|l| self.clocks.get(l));
                (c.id, c.leap.or(numbering.and_then(|l| l.leap)))
            })
            .collect()
    }

    /// The refclocks for the status.
    pub fn status(&self, ntp: &NtpClient) -> Vec<RefclockStatus> {
        self.clocks
            .iter()
            .map(|c| RefclockStatus {
                selected: ntp.report(c.id).system_peer,
                ..c.status.clone()
            })
            .collect()
    }
}
