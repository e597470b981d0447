//! The system process (RFC 5905 §11, with a start-up policy of its own):
//! selection over sources of every kind, falseticker tracking, the system
//! peer, the start-up step and frequency, and the samples the servo gets.
//!
//! # Call order
//!
//! 1. [`SystemProcess::new`], then [`SystemProcess::add_source`] (or
//!    [`add_source_with`] and its [`SourceOptions`]) for each source, of
//!    any [`SourceKind`] (and whenever one comes or goes, [`add_source`]/
//!    [`remove_source`]).
//! 2. For every correction applied to the clock, by whatever servo,
//!    [`handle_correction`] with the clock's time just before it: the
//!    process's samples stay comparable across steps and slews.
//! 3. For every new measurement of a source, [`handle_update`] with the
//!    source's new filtered [`Estimate`] and the [`Measurement`] itself.
//!    A source without a filter of its own (a PTP port) hands in each raw
//!    measurement with [`handle_sample`] instead. A source that forgot its
//!    samples (e.g. after a step, or a port that left SLAVE) says so with
//!    [`handle_source_reset`].
//! 4. After each `handle_*` call, [`poll_action`] until it returns `None`,
//!    and carry out each [`Action`] on the servo with [`carry_out`], which
//!    returns the correction for the clock; apply it and report it
//!    (step 2).
//! 5. At [`poll_timeout`], call [`handle_timeout`].
//!
//! # Selection
//!
//! Every source, whatever its kind, is a candidate of one selection
//! (RFC 5905 §11.2 with chrony's per-source options; docs/sources.md):
//! `noselect` sources take no part, `trust`ed ones are falsetickers only
//! against other trusted ones, nothing is selected unless a `require`
//! source survives, a `prefer` survivor is the system peer; otherwise the
//! nearest survivor is, the system peer of before by 100 µs (chrony's
//! `reselectdist`). Each source's [`SourceReport`] says where it stood.
//!
//! # Start-up policy
//!
//! The clock is not touched until the sources agree: while
//! [`SystemConfig::startup_timeout`] has not passed, a majority of the
//! active sources must survive the selection (and at least
//! [`SystemConfig::minimum_agreeing`]), each with
//! [`SystemConfig::startup_samples`] samples. A liar that answers first
//! therefore steps nothing. Then the process fits one line through the
//! survivors' samples (in the oscillator's frame, see [`crate::ledger`]):
//! its slope is the oscillator's frequency error, its value now the
//! offset. One [`Action::Start`] steps the clock by the combined offset
//! (when beyond [`SystemConfig::step_threshold`]) and sets the frequency
//! when the fit pins it. After the timeout,
//! [`SystemConfig::minimum_agreeing`] sources are enough.
//!
//! # Settling and hand-over
//!
//! Unless the start-up fit already pins the frequency to 0.05 ppm, the
//! process then settles ([`Stage::Settling`]): on each new sample the fit
//! over the agreeing sources' samples sets the clock's frequency
//! ([`Action::Slew`]: the drift, the fit's posterior with a zero-mean
//! prior, plus the fitted offset removed over one poll interval when it
//! stands clear of its uncertainty, more slowly when it does not), as a
//! regression servo like chrony's would, until the drift's error over a poll interval
//! is below the error of the offsets' mean. Then [`Action::Handover`] hands
//! the servo that whole state (offset, frequency, their uncertainties, the
//! least delay), and the servo goes on from it as if it had estimated it.
//!
//! # Running
//!
//! After that the servo gets each new sample of the system peer once
//! (RFC 5905 §10: a sample is used once), at most one per half poll
//! interval (a burst's samples seconds apart would read their noise as a
//! frequency error), as measured, unless its path delay shows it queued
//! far beyond the source's best. A majority of the sources heard from
//! recently must agree, so that after a step the first source to answer
//! again (a liar, say) is no majority of one.
//!
//! [`add_source`]: SystemProcess::add_source
//! [`add_source_with`]: SystemProcess::add_source_with
//! [`handle_sample`]: SystemProcess::handle_sample
//! [`remove_source`]: SystemProcess::remove_source
//! [`handle_correction`]: SystemProcess::handle_correction
//! [`handle_update`]: SystemProcess::handle_update
//! [`handle_source_reset`]: SystemProcess::handle_source_reset
//! [`poll_action`]: SystemProcess::poll_action
//! [`poll_timeout`]: SystemProcess::poll_timeout
//! [`handle_timeout`]: SystemProcess::handle_timeout

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use tempora_clock::{Correction, Duration, Sample, Time};

use crate::fit::{self, Point};
use crate::ledger::Ledger;
use crate::options::SourceOptions;
use crate::select::Candidate;

mod action;
mod choose;
mod control;
mod raw;
mod startup;

pub use action::{Action, carry_out};
pub use control::{StepRefused, Tracking};
pub use raw::RawSample;

/// A fitted frequency is trusted (set at the start, used to carry
/// offsets over time) when its standard error is below this, ppb.
const TRUSTED_PPB: f64 = 20_000.0;

/// Frequency tolerance used to age a sample's error (RFC 5905 §7.3: PHI,
/// 15 ppm).
const PHI: f64 = 15e-6;

/// Samples of each source kept for the start-up fit.
const HISTORY: usize = 16;

/// A source's own samples in a row found falsetickers before
/// [`SourceReport::falseticker_run`] calls it one that lies.
pub const FALSETICKER_SAMPLES: u32 = 8;

/// A source's handle, from [`SystemProcess::add_source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// What kind of source it is (for reports; the selection treats all
/// alike, by their root distance and options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// An NTP server or pool member (RFC 5905).
    Ntp,
    /// A client-server PTP server.
    Csptp,
    /// A reference clock.
    Refclock,
    /// A PTP port.
    Ptp,
}

/// One measurement of a source: its offset θ (source − local) at local
/// time `at`, over a path of round-trip `delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// When it was taken (the local clock's time).
    pub at: Time,
    /// θ: the source's time minus ours.
    pub offset: Duration,
    /// Round-trip delay δ (zero for a reference clock).
    pub delay: Duration,
}

/// A source's filtered state (for NTP, the clock filter's output, RFC 5905
/// §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// When its best sample was taken.
    pub at: Time,
    /// Its offset θ then.
    pub offset: Duration,
    /// Its delay δ.
    pub delay: Duration,
    /// The distance of the source itself to its reference: root delay / 2
    /// + root dispersion (zero for a primary reference).
    pub root: Duration,
    /// Jitter ψ.
    pub jitter: Duration,
    /// Samples in the filter.
    pub count: usize,
}

/// What a source hands the system process for each new measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceUpdate {
    /// The new measurement.
    pub measurement: Measurement,
    /// The source's filtered state with it.
    pub estimate: Estimate,
    /// When its next measurement is due, from now (its poll interval): the
    /// servo's horizon for removing an offset, so that it does not remove
    /// in two seconds what it will only see again in sixteen.
    pub interval: Duration,
}

/// The system process's configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SystemConfig {
    /// Sources that must agree for any time to be selected (at least 1).
    pub minimum_agreeing: usize,
    /// Samples each agreeing source must have before the start-up step.
    pub startup_samples: usize,
    /// How long the start-up waits for a majority of the sources to agree
    /// before `minimum_agreeing` are enough.
    pub startup_timeout: Duration,
    /// Start-up offsets up to this are slewed by the servo, not stepped.
    pub step_threshold: Duration,
    /// The largest frequency adjustment the clock takes, ppb.
    pub max_frequency_ppb: f64,
    /// RFC 5905's own rules instead of Tempora's, for the RFC 5905
    /// discipline as a baseline: no start-up policy (that discipline makes
    /// its own step decisions, §11.3), and the servo gets the system peer's
    /// clock filter output when it is newer than the last one used (§10),
    /// not each new measurement.
    pub rfc5905: bool,
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            minimum_agreeing: 1,
            startup_samples: 4,
            startup_timeout: Duration::from_secs(60),
            step_threshold: Duration::from_micros(20),
            max_frequency_ppb: 500_000.0,
            rfc5905: false,
        }
    }
}

/// Where the process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the sources to agree; the clock is left alone.
    Startup,
    /// Started; the frequency is set from the sources' fit until it is
    /// known well enough for the servo.
    Settling,
    /// Started: the servo follows the system peer.
    Running,
}

/// Where a source stood in the last selection (chrony's `chronyc sources`
/// column: `*`, `+`, `-`, `x`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SelectionState {
    /// No measurement to select on (not heard yet, forgotten after a step,
    /// or a PTP port no longer followed): chrony's `?`.
    #[default]
    Unusable,
    /// `noselect`: measured and shown only.
    Noselect,
    /// A falseticker: its interval misses the intersection (`x`).
    Falseticker,
    /// In the intersection, but clustered out (`-`).
    Outlier,
    /// A survivor, combined with the system peer (`+`).
    Candidate,
    /// The system peer: the servo follows it (`*`).
    Selected,
    /// The selection chose nothing: no majority agrees, or no `require`
    /// source survived.
    Unselected,
    /// A timing loop: the source's own reference ids include ours (an
    /// NTPv5 server's Bloom filter, draft-ietf-ntp-ntpv5 §7.1, holds our
    /// reference id), so it takes its time from us; never selected, no
    /// vote, until it no longer does ([`SystemProcess::set_timing_loop`]).
    TimingLoop,
}

impl SelectionState {
    /// Every state, in the order of the selection's verdicts (best first).
    pub const ALL: [SelectionState; 8] = [
        SelectionState::Selected,
        SelectionState::Candidate,
        SelectionState::Outlier,
        SelectionState::Falseticker,
        SelectionState::Unusable,
        SelectionState::Noselect,
        SelectionState::Unselected,
        SelectionState::TimingLoop,
    ];

    /// Its name in status output.
    pub fn name(self) -> &'static str {
        match self {
            SelectionState::Unusable => "unusable",
            SelectionState::Noselect => "noselect",
            SelectionState::Falseticker => "falseticker",
            SelectionState::Outlier => "outlier",
            SelectionState::Candidate => "candidate",
            SelectionState::Selected => "selected",
            SelectionState::Unselected => "unselected",
            SelectionState::TimingLoop => "timing-loop",
        }
    }
}

/// A source's own frequency estimate ([`SystemProcess::source_frequency`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceFrequency {
    /// The frequency correction its samples ask for, ppb (the sign of the
    /// servo's frequency adjustment).
    pub ppb: f64,
    /// Its standard error, ppb.
    pub sigma_ppb: f64,
}

/// What the selection made of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceReport {
    /// It survived the last selection.
    pub selected: bool,
    /// It is the system peer.
    pub system_peer: bool,
    /// Its own samples found falsetickers in a row.
    pub falseticker_run: u32,
    /// Where it stood in the last selection.
    pub state: SelectionState,
    /// Measurements ignored for a delay beyond its `max-delay`.
    pub delay_rejected: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    id: SourceId,
    kind: SourceKind,
    estimate: Option<Estimate>,
    last: Option<Measurement>,
    interval: Duration,
    history: Vec<Point>,
    report: SourceReport,
    /// The last measurement judged true or false (its time).
    judged: Option<Time>,
    options: SourceOptions,
    /// It hands in raw samples ([`SystemProcess::handle_sample`]).
    raw: bool,
    /// The servo gets its samples' delay (see [`RawSample::own_delay`]).
    servo_delay: bool,
    /// Its last measurement has not gone to the servo yet.
    fresh: bool,
    /// It takes its time from us ([`SelectionState::TimingLoop`]).
    timing_loop: bool,
}

/// The system process (see the module documentation).
#[derive(Debug, Clone)]
pub struct SystemProcess {
    config: SystemConfig,
    ledger: Ledger,
    origin: Time,
    created: Time,
    sources: Vec<Entry>,
    stage: Stage,
    actions: VecDeque<Action>,
    last_used: Option<Time>,
    /// The last measurement given to the servo.
    last_fed: Option<Time>,
    /// Samples handled while settling.
    settle_steps: u32,
    /// The start-up timeout was handled.
    timed_out: bool,
    next_id: u32,
    /// The oscillator's drift as the sources see it (the slope of their
    /// offsets in its frame, ns/s), from the last fit; `None` before one.
    drift: Option<f64>,
}

impl SystemProcess {
    /// A process starting at `now` on a clock running at `frequency_ppb`.
    pub fn new(config: SystemConfig, now: Time, frequency_ppb: f64) -> Self {
        SystemProcess {
            config: SystemConfig {
                minimum_agreeing: config.minimum_agreeing.max(1),
                startup_samples: config.startup_samples.clamp(1, HISTORY),
                ..config
            },
            ledger: Ledger::new(now, frequency_ppb),
            origin: now,
            created: now,
            sources: Vec::new(),
            stage: if config.rfc5905 {
                Stage::Running
            } else {
                Stage::Startup
            },
            actions: VecDeque::new(),
            last_used: None,
            last_fed: None,
            settle_steps: 0,
            timed_out: false,
            next_id: 0,
            drift: None,
        }
    }

    /// The stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// A new source of `kind`, with the default [`SourceOptions`].
    pub fn add_source(&mut self, kind: SourceKind) -> SourceId {
        self.add_source_with(kind, SourceOptions::default())
    }

    /// A new source of `kind` with `options`.
    pub fn add_source_with(&mut self, kind: SourceKind, options: SourceOptions) -> SourceId {
        let id = SourceId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.sources.push(Entry {
            id,
            kind,
            estimate: None,
            last: None,
            interval: Duration::from_secs(16),
            history: Vec::with_capacity(HISTORY),
            report: SourceReport {
                state: if options.noselect {
                    SelectionState::Noselect
                } else {
                    SelectionState::Unusable
                },
                ..SourceReport::default()
            },
            judged: None,
            options,
            raw: false,
            servo_delay: true,
            fresh: false,
            timing_loop: false,
        });
        id
    }

    /// Marks source `id` as a timing loop (its upstream includes us), or
    /// clears the mark: while marked it is left out of the selection, with
    /// no vote, and reported as [`SelectionState::TimingLoop`]. Takes
    /// effect at the next selection.
    pub fn set_timing_loop(&mut self, id: SourceId, timing_loop: bool) {
        if let Some(e) = self.sources.iter_mut().find(|e| e.id == id) {
            e.timing_loop = timing_loop;
        }
    }

    /// Whether source `id` is marked as a timing loop.
    pub fn is_timing_loop(&self, id: SourceId) -> bool {
        self.sources.iter().any(|e| e.id == id && e.timing_loop)
    }

    /// The options of source `id`.
    pub fn options(&self, id: SourceId) -> Option<SourceOptions> {
        self.entry(id).map(|e| e.options)
    }

    /// Forgets source `id`.
    pub fn remove_source(&mut self, id: SourceId) {
        self.sources.retain(|e| e.id != id);
    }

    /// The kind of source `id`.
    pub fn kind(&self, id: SourceId) -> Option<SourceKind> {
        self.entry(id).map(|e| e.kind)
    }

    /// The last measurement of source `id` the process took (with its
    /// options' corrections), until a step or reset voids it.
    pub fn last_measurement(&self, id: SourceId) -> Option<Measurement> {
        self.entry(id).and_then(|e| e.last)
    }

    /// Source `id`'s own estimate of the clock's frequency error, as
    /// chrony's `sourcestats` shows a source's frequency: the weighted
    /// least-squares slope of its samples (the last 16) in the oscillator's
    /// frame, in ppb with the sign of the servo's frequency adjustment (the
    /// correction this source alone asks for), and its standard error.
    /// `None` with fewer than three samples or a slope they cannot tell
    /// (a standard error of 20 ppm or more).
    pub fn source_frequency(&self, id: SourceId) -> Option<SourceFrequency> {
        let e = self.entry(id)?;
        if e.history.len() < 3 {
            return None;
        }
        let g = fit::group(&e.history)?;
        let f = fit::pooled(core::iter::once((g, e.history.as_slice())))?;
        (f.slope_sigma < TRUSTED_PPB).then_some(SourceFrequency {
            ppb: f.slope,
            sigma_ppb: f.slope_sigma,
        })
    }

    /// What the selection made of source `id`.
    pub fn report(&self, id: SourceId) -> SourceReport {
        self.entry(id).map(|e| e.report).unwrap_or_default()
    }

    /// The system peer, if any.
    pub fn system_peer(&self) -> Option<SourceId> {
        self.sources
            .iter()
            .find(|e| e.report.system_peer)
            .map(|e| e.id)
    }

    fn entry(&self, id: SourceId) -> Option<&Entry> {
        self.sources.iter().find(|e| e.id == id)
    }

    /// A correction was applied to the clock at local time `now` (just
    /// before it took effect).
    pub fn handle_correction(&mut self, now: Time, correction: Correction) {
        self.ledger.apply(now, correction);
        if let Correction::Step { .. } = correction {
            // Filtered states of before the step are void (their sources
            // start over); the history, in the oscillator's frame, stays.
            for e in &mut self.sources {
                e.estimate = None;
                e.last = None;
            }
            self.last_used = None;
        }
    }

    /// Source `id` forgot its samples. A source of raw samples (a PTP
    /// port that left SLAVE) is gone until it measures again: its history
    /// goes too, so that it no longer counts among the sources heard from
    /// that must agree.
    pub fn handle_source_reset(&mut self, id: SourceId) {
        if let Some(e) = self.sources.iter_mut().find(|e| e.id == id) {
            e.estimate = None;
            e.last = None;
            if e.raw {
                e.history.clear();
            }
        }
    }

    /// A new measurement of source `id`, received at `now`. Its `offset`
    /// and `asymmetry` options are added to the offsets; one beyond its
    /// `max-delay` is ignored (and counted).
    pub fn handle_update(&mut self, now: Time, id: SourceId, update: SourceUpdate) {
        let Some(e) = self.sources.iter_mut().find(|e| e.id == id) else {
            return;
        };
        if !e.options.delay_ok(update.measurement.delay) {
            e.report.delay_rejected = e.report.delay_rejected.saturating_add(1);
            return;
        }
        let correction = e.options.correction();
        let mut update = update;
        update.measurement.offset += correction;
        update.estimate.offset += correction;
        let m = update.measurement;
        let point = Point {
            t: (m.at - self.origin).as_secs_f64(),
            y: m.offset.as_nanos_f64() + self.ledger.ahead_at(m.at),
            delay: m.delay.as_nanos_f64(),
        };
        let Some(e) = self.sources.iter_mut().find(|e| e.id == id) else {
            return;
        };
        e.estimate = Some(update.estimate);
        e.last = Some(m);
        e.fresh = true;
        e.interval = update.interval;
        if e.history.len() == HISTORY {
            e.history.remove(0);
        }
        e.history.push(point);
        self.refit();
        self.evaluate(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    /// `None` once the start-up timeout was handled: after it, new samples
    /// drive everything.
    pub fn poll_timeout(&self) -> Option<Time> {
        (self.stage == Stage::Startup && !self.timed_out)
            .then(|| self.created + self.config.startup_timeout)
    }

    /// Time passed: at the start-up timeout fewer sources may agree.
    pub fn handle_timeout(&mut self, now: Time) {
        if self.stage == Stage::Startup && now >= self.created + self.config.startup_timeout {
            self.timed_out = true;
            self.evaluate(now);
        }
    }

    /// The next thing to do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Fits the drift again over the sources that survived the last
    /// selection (all sources before there was one), each with at least
    /// three samples.
    fn refit(&mut self) {
        let any_selected = self.sources.iter().any(|e| e.report.selected);
        let groups: Vec<_> = self
            .sources
            .iter()
            .filter(|e| e.history.len() >= 3 && (e.report.selected || !any_selected))
            .filter_map(|e| fit::group(&e.history).map(|g| (g, e.history.as_slice())))
            .collect();
        self.drift = fit::pooled(groups.iter().map(|(g, p)| (*g, *p)))
            .filter(|f| f.slope_sigma < TRUSTED_PPB)
            .map(|f| f.slope);
    }

    /// The selection candidate of `e` at `now`: its filtered offset carried
    /// to now, its root distance aged (RFC 5905 §11.2: λ = δ/2 + root +
    /// PHI × age + ψ). Carrying it takes off the corrections made since it
    /// was taken and adds the oscillator's drift over the time (the fitted
    /// one, or, before a fit, what the clock's frequency adjustment
    /// cancels): a sample taken while the clock was slewed fast stays
    /// comparable with a fresh one.
    fn candidate(&self, est: &Estimate, now: Time) -> Candidate {
        let age = (now - est.at).max(Duration::ZERO);
        let drift = self.drift.unwrap_or(self.ledger.frequency_ppb());
        let moved =
            self.ledger.ahead_at(now) - self.ledger.ahead_at(est.at) - drift * age.as_secs_f64();
        let aged = Duration::from_secs_f64(age.as_secs_f64() * PHI);
        Candidate {
            offset: est.offset - Duration::from_secs_f64(moved * 1e-9),
            root_distance: est.delay / 2 + est.root + aged + est.jitter,
            jitter: est.jitter,
        }
    }

    /// Sources that must agree now: a majority of the sources heard from
    /// within their last eight poll intervals (all sources during the
    /// start-up, until its timeout), and at least `minimum_agreeing`. A
    /// majority of the sources present is not enough: right after a step
    /// the first source to answer again would be a majority of one, and a
    /// liar answering first would become the system peer.
    /// `skip_liars`: sources whose last [`FALSETICKER_SAMPLES`] samples
    /// were all falsetickers are not counted (see [`choose`]).
    fn required(&self, now: Time, skip_liars: bool) -> usize {
        let min = self.config.minimum_agreeing;
        let t = (now - self.origin).as_secs_f64();
        let startup =
            self.stage == Stage::Startup && now < self.created + self.config.startup_timeout;
        let heard = self
            .sources
            .iter()
            .filter(|e| !e.options.noselect && !e.timing_loop)
            .filter(|e| !(skip_liars && e.report.falseticker_run >= FALSETICKER_SAMPLES))
            .filter(|e| {
                startup
                    || e.history
                        .last()
                        .is_some_and(|p| t - p.t <= 8.0 * e.interval.as_secs_f64())
            })
            .count();
        min.max(heard / 2 + 1)
    }

    /// Selection over the sources (see [`choose`]), then the start-up
    /// decision or the servo's sample.
    fn evaluate(&mut self, now: Time) {
        let Some((peer, agreeing)) = self.choose(now) else {
            return;
        };
        match self.stage {
            Stage::Startup => self.try_start(now, agreeing),
            Stage::Settling => self.settle(now, peer),
            Stage::Running => self.feed_servo(peer),
        }
    }

    /// The servo gets the system peer's newest measurement, once, unless it
    /// was queued far beyond the source's best delay (with a PI servo its
    /// error would go straight into the clock; it still counts in the
    /// source's filter).
    fn feed_servo(&mut self, peer: usize) {
        let Some(e) = self.sources.get(peer) else {
            return;
        };
        let (Some(mut last), Some(est)) = (e.last, e.estimate) else {
            return;
        };
        // A raw source's (a PTP port's) every measurement goes to the
        // servo once, as its engine would feed it straight: a Sync
        // measured again with a new delay included.
        if e.raw {
            if e.fresh {
                self.feed_raw(peer, last);
            }
            return;
        }
        if self.config.rfc5905 {
            last = Measurement {
                at: est.at,
                offset: est.offset,
                delay: est.delay,
            };
        }
        if self.last_used.is_some_and(|u| last.at <= u) {
            return;
        }
        // A burst's samples come seconds apart where the servo expects one
        // a poll interval: fed all, their noise over so short a time reads
        // as a frequency error (hundreds of ppm over a WAN). The servo gets
        // one per half interval at most; the rest still count in the
        // source's filter and in the selection.
        let spacing = e.interval / 2;
        if !self.config.rfc5905
            && self
                .last_fed
                .is_some_and(|f| last.at < f + spacing && last.at > f)
        {
            return;
        }
        self.last_used = Some(last.at);
        let limit = est.delay * 3 + Duration::from_millis(1);
        if !self.config.rfc5905 && est.count >= 4 && last.delay > limit {
            return;
        }
        // θ is the source's time minus ours; the servo wants ours minus it.
        self.last_fed = Some(last.at);
        self.actions.push_back(Action::Servo {
            sample: Sample {
                local_time: last.at,
                offset: -last.offset,
                delay: Some(last.delay),
            },
            interval: e.interval,
        });
    }

    /// Feeds the servo `last`, the newest measurement of raw source
    /// `peer`, as measured. Its delay is the round trip, as an NTP
    /// source's: the servo weighs each sample by its delay's excess over
    /// the least of the last ones, which must not read a switch between a
    /// PTP port and an NTP server as queueing.
    fn feed_raw(&mut self, peer: usize, last: Measurement) {
        let Some(e) = self.sources.get_mut(peer) else {
            return;
        };
        e.fresh = false;
        self.last_used = Some(last.at);
        self.last_fed = Some(last.at);
        self.actions.push_back(Action::Servo {
            sample: Sample {
                local_time: last.at,
                offset: -last.offset,
                delay: e.servo_delay.then_some(last.delay),
            },
            interval: e.interval,
        });
    }
}
