//! [`Ts2Phc`]: edges and ToD readings in, paired pulses and per-poll
//! samples out (the rules are in the [module docs](super)).

use alloc::collections::VecDeque;
use tempora_clock::{Duration, Time};
use tempora_system::RawSample;

use super::{ExttsError, ExttsEvent, ExttsParams, ParamsError, PhcTimescale, TodReading};
use crate::filter::{RefSample, SampleFilter};

/// Edges kept waiting for their window to close (the window is under a
/// second, so two are the most a 1 Hz pulse should leave).
const MAX_PENDING_EDGES: usize = 8;
/// ToD readings kept for edges yet to come.
const MAX_PENDING_TODS: usize = 8;
/// Outcomes kept for the caller.
const MAX_OUTCOMES: usize = 64;

/// One paired edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pulse {
    /// The UTC second the edge marks.
    pub second: Time,
    /// The PHC's time of the edge.
    pub phc: Time,
    /// The edge's reference time on the PHC's timescale, with the pulse
    /// delay.
    pub reference: Time,
    /// θ = reference − phc: the PHC's offset (reference − PHC).
    pub offset: Duration,
}

/// What happened so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events handed in (decoded or not).
    pub events: u64,
    /// ToD readings handed in (usable or not).
    pub tods: u64,
    /// Pulses paired and accepted.
    pub pulses: u64,
    /// Events, readings and edges rejected (each an [`ExttsError`]).
    pub rejected: u64,
    /// Edges the PHC count says were not captured (whole seconds skipped
    /// between two edges).
    pub missed_edges: u64,
    /// Usable ToD readings that fell in no edge's window.
    pub unpaired_tods: u64,
    /// Outcomes dropped because the caller did not take them.
    pub dropped_outcomes: u64,
}

/// An edge whose ToD window is open.
#[derive(Debug, Clone, Copy)]
struct PendingEdge {
    phc: Time,
    seen: Time,
    /// The first reading in the window, with its TAI − UTC.
    tod: Option<(Time, Option<i16>)>,
    /// A second different from the first's, if one fell in the window.
    other: Option<Time>,
}

/// A usable ToD reading that may still pair.
#[derive(Debug, Clone, Copy)]
struct PendingTod {
    tod: TodReading,
    paired: bool,
}

/// A ts2phc source: pairs the PPS edges a PHC timestamped with the ToD
/// readings of their seconds, and turns them into the PHC's offsets.
#[derive(Debug, Clone)]
pub struct Ts2Phc {
    params: ExttsParams,
    tai_offset: Option<i16>,
    now: Option<Time>,
    edges: VecDeque<PendingEdge>,
    tods: VecDeque<PendingTod>,
    last_tod: Option<Time>,
    prev_edge: Option<Time>,
    anchor: Option<(Time, Time)>,
    filter: SampleFilter,
    outcomes: VecDeque<Result<Pulse, ExttsError>>,
    counters: Counters,
}

impl Ts2Phc {
    /// A source with `params`, checked.
    pub fn new(params: ExttsParams) -> Result<Self, ParamsError> {
        let second = Duration::from_secs(1);
        if params.tod_lead.is_negative()
            || params.tod_lag.is_negative()
            || params.tod_lead + params.tod_lag >= second
        {
            return Err(ParamsError::TodWindow);
        }
        if params.max_interval_error.is_negative() || params.max_interval_error >= second / 2 {
            return Err(ParamsError::IntervalError);
        }
        Ok(Ts2Phc {
            params,
            tai_offset: None,
            now: None,
            edges: VecDeque::new(),
            tods: VecDeque::new(),
            last_tod: None,
            prev_edge: None,
            anchor: None,
            filter: SampleFilter::new(params.filter_length),
            outcomes: VecDeque::new(),
            counters: Counters::default(),
        })
    }

    /// Its parameters.
    pub fn params(&self) -> &ExttsParams {
        &self.params
    }

    /// Sets TAI − UTC in seconds (from a leap-second file, the kernel, a
    /// PTP grandmaster); it is used before the one a ToD reading carries.
    /// `None` leaves only the readings' own.
    pub fn set_tai_offset(&mut self, offset: Option<i16>) {
        self.tai_offset = offset;
    }

    /// The counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The next pulse or rejection, oldest first.
    pub fn next_outcome(&mut self) -> Option<Result<Pulse, ExttsError>> {
        self.outcomes.pop_front()
    }

    /// Forgets the pending edges and readings, the previous edge and
    /// pulse, and the filter's samples: after the PHC was stepped, or
    /// the pin or the ToD source was reopened.
    pub fn reset(&mut self) {
        self.edges.clear();
        self.tods.clear();
        self.last_tod = None;
        self.prev_edge = None;
        self.anchor = None;
        self.filter.clear();
    }

    /// At a poll: the filter's combined sample, if enough pulses arrived
    /// ([`SampleFilter::poll`]).
    pub fn poll(&mut self, interval: Duration) -> Option<RawSample> {
        self.filter.poll(interval)
    }

    /// Hands in the bytes one `read(2)` of the PHC returned, seen at
    /// `seen`.
    pub fn push_bytes(&mut self, bytes: &[u8], seen: Time) {
        for event in super::decode_events(bytes) {
            match event {
                Ok(e) => self.push_event(e, seen),
                Err(e) => {
                    self.counters.events += 1;
                    self.reject(e);
                }
            }
        }
    }

    /// Hands in one event, seen at `seen`.
    pub fn push_event(&mut self, event: ExttsEvent, seen: Time) {
        self.counters.events += 1;
        self.advance(seen);
        if let Err(e) = self.check_edge(&event) {
            self.reject(e);
            return;
        }
        let mut edge = PendingEdge {
            phc: event.time,
            seen,
            tod: None,
            other: None,
        };
        for t in self.tods.iter_mut() {
            if in_window(&self.params, &edge, &t.tod) {
                attach(&mut edge, &t.tod);
                t.paired = true;
            }
        }
        if self.edges.len() == MAX_PENDING_EDGES {
            self.edges.pop_front();
            self.reject(ExttsError::Overflow);
        }
        self.edges.push_back(edge);
    }

    /// Hands in one ToD reading, or the reason its source gave none (the
    /// error is counted and passed on).
    pub fn push_tod(&mut self, tod: Result<TodReading, ExttsError>) {
        self.counters.tods += 1;
        let tod = match tod {
            Ok(t) => t,
            Err(e) => return self.reject(e),
        };
        self.advance(tod.seen);
        match self.last_tod {
            // RMC and ZDA of the same second: the first one seen counts.
            Some(last) if last == tod.second => return,
            Some(last) if last > tod.second => {
                return self.reject(ExttsError::TodBackwards {
                    previous: last,
                    second: tod.second,
                });
            }
            _ => {}
        }
        self.last_tod = Some(tod.second);
        let mut paired = false;
        for edge in self.edges.iter_mut() {
            if in_window(&self.params, edge, &tod) {
                attach(edge, &tod);
                paired = true;
            }
        }
        if self.tods.len() == MAX_PENDING_TODS {
            self.drop_oldest_tod();
        }
        self.tods.push_back(PendingTod { tod, paired });
    }

    /// Moves the clock of seen times to `now` (it never goes back): edges
    /// whose window has closed are paired or rejected, readings too old
    /// for any edge to come are dropped. The push functions call it; a
    /// driver calls it at a poll, so that the last edge is decided.
    pub fn advance(&mut self, now: Time) {
        let now = self.now.map_or(now, |n| n.max(now));
        self.now = Some(now);
        while let Some(edge) = self.edges.front().copied() {
            if edge.seen + self.params.tod_lag >= now {
                break;
            }
            self.edges.pop_front();
            self.finish(edge);
        }
        while let Some(t) = self.tods.front() {
            if t.tod.seen + self.params.tod_lead >= now {
                break;
            }
            self.drop_oldest_tod();
        }
    }

    fn drop_oldest_tod(&mut self) {
        if let Some(t) = self.tods.pop_front()
            && !t.paired
        {
            self.counters.unpaired_tods += 1;
        }
    }

    /// The checks on an edge by itself and against the previous one.
    fn check_edge(&mut self, event: &ExttsEvent) -> Result<(), ExttsError> {
        if event.channel != self.params.channel {
            return Err(ExttsError::WrongChannel {
                expected: self.params.channel,
                got: event.channel,
            });
        }
        let Some(prev) = self.prev_edge.replace(event.time) else {
            return Ok(());
        };
        let interval = event.time - prev;
        if interval < Duration::from_millis(500) {
            return Err(ExttsError::DuplicateEdge { interval });
        }
        let (seconds, residual) = whole_seconds(interval);
        if residual.abs() > self.params.max_interval_error {
            return Err(ExttsError::OffSecond { residual });
        }
        let missed = u64::try_from(seconds - 1).unwrap_or(0);
        self.counters.missed_edges = self.counters.missed_edges.saturating_add(missed);
        Ok(())
    }

    /// Pairs an edge whose window has closed.
    fn finish(&mut self, edge: PendingEdge) {
        match self.pair(&edge) {
            Ok(pulse) => {
                self.counters.pulses += 1;
                self.filter.add(RefSample {
                    at: pulse.phc,
                    offset: pulse.offset,
                    dispersion: self.params.precision,
                });
                self.emit(Ok(pulse));
            }
            Err(e) => self.reject(e),
        }
    }

    fn pair(&mut self, edge: &PendingEdge) -> Result<Pulse, ExttsError> {
        let Some((second, tod_tai)) = edge.tod else {
            return Err(ExttsError::MissingTod { phc: edge.phc });
        };
        if let Some(other) = edge.other {
            return Err(ExttsError::Ambiguous {
                first: second,
                second: other,
            });
        }
        self.check_sequence(edge.phc, second)?;
        let scale = match self.params.timescale {
            PhcTimescale::Utc => 0,
            PhcTimescale::Tai => self.tai_offset.or(tod_tai).ok_or(ExttsError::NoUtcOffset)?,
        };
        let reference = second + Duration::from_secs(i64::from(scale)) + self.params.pulse_delay;
        Ok(Pulse {
            second,
            phc: edge.phc,
            reference,
            offset: reference - edge.phc,
        })
    }

    /// Checks the edge's second against the previous paired edge's (the
    /// anchor), which it then becomes; an edge not at least a second of
    /// PHC time after the anchor is a duplicate and leaves it.
    fn check_sequence(&mut self, phc: Time, second: Time) -> Result<(), ExttsError> {
        let Some((anchor_phc, anchor_second)) = self.anchor else {
            self.anchor = Some((phc, second));
            return Ok(());
        };
        let interval = phc - anchor_phc;
        let (n, _) = whole_seconds(interval);
        if n < 1 {
            return Err(ExttsError::DuplicateEdge { interval });
        }
        self.anchor = Some((phc, second));
        let expected = anchor_second + Duration::from_secs(n);
        if expected != second {
            return Err(ExttsError::SecondMismatch {
                expected,
                got: second,
            });
        }
        Ok(())
    }

    fn reject(&mut self, e: ExttsError) {
        self.counters.rejected += 1;
        self.emit(Err(e));
    }

    fn emit(&mut self, outcome: Result<Pulse, ExttsError>) {
        if self.outcomes.len() == MAX_OUTCOMES {
            self.outcomes.pop_front();
            self.counters.dropped_outcomes += 1;
        }
        self.outcomes.push_back(outcome);
    }
}

/// Whether `tod` was seen within the edge's window.
fn in_window(params: &ExttsParams, edge: &PendingEdge, tod: &TodReading) -> bool {
    let d = tod.seen - edge.seen;
    d >= -params.tod_lead && d <= params.tod_lag
}

/// Records a reading that fell in the edge's window.
fn attach(edge: &mut PendingEdge, tod: &TodReading) {
    match edge.tod {
        None => edge.tod = Some((tod.second, tod.tai_offset)),
        Some((s, _)) if s != tod.second => edge.other = Some(tod.second),
        Some(_) => {}
    }
}

/// The whole number of seconds nearest `d` and the rest (d − n s).
fn whole_seconds(d: Duration) -> (i64, Duration) {
    let ns = d.nanos();
    let n = ns.saturating_add(500_000_000).div_euclid(1_000_000_000);
    let n = i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX });
    (n, d - Duration::from_secs(n))
}
