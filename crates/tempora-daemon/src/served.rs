//! What the daemon serves when its time comes from a reference clock, and
//! holdover when the reference goes (docs/refclocks.md, "Holdover" and
//! "Leap seconds").
//!
//! Once a turn the timing loop calls [`Served::update`]: whether the
//! system peer is a registered reference clock (the reference clock
//! drivers register their sources with [`Served::register_reference`])
//! with a recent sample and the servo locked decides the state of the
//! holdover tracker (`tempora_system::holdover`). When the reference is
//! lost and no other source is selected, the clock holds the servo's last
//! frequency estimate ([`Runtime::hold_frequency`]) instead of the last
//! correction, which carries an offset-removal term meant for one poll
//! interval. From the state, `tempora_system::quality` gives the clock
//! class, accuracy, time source and traceability the PTP engine announces
//! as grandmaster (and the CSPTP server serves, from the engine's data
//! set), and the stratum, reference and root dispersion of the NTP server;
//! the leap second list gives `currentUtcOffset`, leap61/leap59 and the NTP
//! leap indicator, with the selected reference's own leap warning
//! ([`Served::set_reference_leap`], combined by `crate::leap_reference`).

use std::io;

use tempora_clock::leap_seconds::LeapState;
use tempora_clock::{Duration, LeapStatus, ServoState, Time};
use tempora_config::Config;
use tempora_ntp::server::ServerClock;
use tempora_ntp::wire::{LeapIndicator, ReferenceId};
use tempora_ptp::datasets::TimePropertiesDs;
use tempora_ptp::wire::ClockQuality;
use tempora_system::holdover::{Fallback, Holdover, HoldoverStatus};
use tempora_system::quality::{DegradedClass, ServedQuality, served_quality};
use tempora_system::{ReferenceKind, SourceId, Stage, SystemProcess};

use crate::leap_file::LeapFile;
use crate::leap_reference;
use crate::runtime::{DisciplinedClock, PortIo, Runtime};
use crate::served_status::{HoldoverReport, LeapStatusReport};
use tempora_refclock::leap::Leap;

/// Polls without a sample after which a reference counts as lost.
pub const STALE_POLLS: i64 = 3;

/// A reference clock source of the system process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reference {
    id: SourceId,
    kind: ReferenceKind,
    /// How often it delivers a sample.
    poll: Duration,
    /// The leap warning of its samples, if its driver has one.
    leap: Option<Leap>,
}

/// The system peer as the tracker needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// Its handle.
    pub id: SourceId,
    /// When its last measurement was taken.
    pub at: Time,
    /// Its last offset θ (source − local).
    pub offset: Duration,
}

/// What the tracker does with the state of this turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Locked to this reference, its last sample taken then.
    Locked(ReferenceKind, Time),
    /// Another (network) source is selected: no holdover to speak of.
    Following,
    /// Nothing selected, or the reference's samples are stale: holdover.
    Lost,
}

/// Decides the turn's [`Decision`].
fn decide(references: &[Reference], peer: Option<Peer>, servo: ServoState, now: Time) -> Decision {
    let Some(peer) = peer else {
        return Decision::Lost;
    };
    let Some(r) = references.iter().find(|r| r.id == peer.id) else {
        return if servo == ServoState::Locked {
            Decision::Following
        } else {
            Decision::Lost
        };
    };
    let stale = now - peer.at > r.poll * STALE_POLLS;
    if servo == ServoState::Locked && !stale {
        Decision::Locked(r.kind, peer.at)
    } else {
        Decision::Lost
    }
}

/// The leap warning of the selected source when it is a reference clock
/// whose driver has one (an NTP or PTP source's LI is not counted here).
fn selected_leap(references: &[Reference], peer: Option<Peer>) -> Option<Leap> {
    let peer = peer?;
    references.iter().find(|r| r.id == peer.id)?.leap
}

/// The served state (see the module documentation).
pub struct Served {
    holdover: Holdover,
    degraded: DegradedClass,
    references: Vec<Reference>,
    leap: LeapFile,
    /// The configured clock quality and time properties, what is served
    /// without a reference.
    base_quality: ClockQuality,
    base_time_properties: TimePropertiesDs,
    /// `[ptp] current-utc-offset` is set: it wins over the list.
    offset_configured: bool,
    /// The hold frequency was applied for this holdover.
    holding: bool,
    quality: Option<ServedQuality>,
    leap_now: Option<LeapState>,
    /// When the reference's last sample was taken (NTP reference time).
    reference_time: Option<Time>,
    /// The runtime's step count last seen: a step voids the measured
    /// wander and the holdover model.
    seen_steps: u64,
    /// The day (since 1970) a leap disagreement was last logged.
    leap_disagreement_logged: Option<i128>,
}

impl Served {
    /// From the configuration, and the engine's configured quality and time
    /// properties.
    pub fn new(config: &Config, base_quality: ClockQuality, base_tp: TimePropertiesDs) -> Self {
        let c = &config.clock;
        Served {
            holdover: Holdover::new(c.holdover_budget),
            degraded: DegradedClass::from_class(c.holdover_class).unwrap_or_default(),
            references: Vec::new(),
            leap: LeapFile::load(c.leap_seconds_file.as_deref()),
            base_quality,
            base_time_properties: base_tp,
            offset_configured: config.ptp.current_utc_offset.is_some(),
            holding: false,
            quality: None,
            leap_now: None,
            reference_time: None,
            seen_steps: 0,
            leap_disagreement_logged: None,
        }
    }

    /// Registers a reference clock source of the system process: its kind
    /// and how often it delivers a sample (after [`STALE_POLLS`] of them
    /// without one it counts as lost).
    pub fn register_reference(&mut self, id: SourceId, kind: ReferenceKind, poll: Duration) {
        self.references.retain(|r| r.id != id);
        self.references.push(Reference {
            id,
            kind,
            poll,
            leap: None,
        });
    }

    /// The leap warning reference `id`'s samples carry now (`None`: its
    /// driver does not say).
    pub fn set_reference_leap(&mut self, id: SourceId, leap: Option<Leap>) {
        if let Some(r) = self.references.iter_mut().find(|r| r.id == id) {
            r.leap = leap;
        }
    }

    /// Replaces the leap second list (tests, or a reload).
    pub fn set_leap_file(&mut self, leap: LeapFile) {
        self.leap = leap;
    }

    /// The turn: the holdover state from the system process's peer and the
    /// servo, the hold frequency on the loss, and what the engine
    /// announces. `now` is the clock's UTC time.
    pub fn update<P: PortIo, C: DisciplinedClock>(
        &mut self,
        now: Time,
        system: Option<&SystemProcess>,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        let peer = system.and_then(|s| {
            let id = s.system_peer()?;
            let m = s.last_measurement(id)?;
            Some(Peer {
                id,
                at: m.at,
                offset: m.offset,
            })
        });
        if runtime.steps() != self.seen_steps {
            self.seen_steps = runtime.steps();
            self.holdover.forget();
        }
        // While it settles (before the servo takes over) the system process
        // steers the clock from its sources' fit: the time is the
        // reference's then as much as when the servo is locked.
        let settled = system.is_some_and(|s| s.stage() != Stage::Startup);
        let servo = match runtime.servo_state() {
            ServoState::Unlocked if settled => ServoState::Locked,
            state => state,
        };
        match decide(&self.references, peer, servo, now) {
            Decision::Locked(kind, at) => {
                if self.reference_time != Some(at) {
                    // A new sample: the offset local − reference, and the
                    // adjustment the servo set after it.
                    let offset = peer.map_or(Duration::ZERO, |p| -p.offset);
                    self.holdover.observe(at, offset, runtime.frequency_ppb());
                }
                let fallback = Fallback {
                    frequency_ppb: runtime.frequency_ppb(),
                    offset: peer.map_or(Duration::ZERO, |p| -p.offset),
                };
                self.holdover
                    .locked(at, kind, runtime.holdover_model(), fallback);
                self.holding = false;
                self.reference_time = Some(at);
            }
            Decision::Following => {
                self.holdover.forget();
                self.holding = false;
            }
            Decision::Lost => self.lost(now, runtime)?,
        }
        let reference_leap = selected_leap(&self.references, peer);
        let combined = leap_reference::combine(self.leap.state(now), reference_leap, now);
        self.log_leap_disagreement(now, combined.disagreement);
        self.leap_now = combined.state;
        self.quality = served_quality(&self.holdover.status(now), self.degraded);
        runtime.set_served(self.clock_quality(), self.time_properties())
    }

    /// Logs, once a day, that the list and the selected reference
    /// disagree on the coming midnight's leap second.
    fn log_leap_disagreement(
        &mut self,
        now: Time,
        disagreement: Option<(Option<LeapStatus>, LeapStatus)>,
    ) {
        let Some((list, reference)) = disagreement else {
            return;
        };
        let day = now.secs_nanos().0.div_euclid(86_400);
        if self.leap_disagreement_logged == Some(day) {
            return;
        }
        self.leap_disagreement_logged = Some(day);
        tracing::warn!(
            list = ?list,
            reference = ?reference,
            "the leap second list and the selected reference clock disagree on tonight's leap second (a list's leap is kept; a reference's warning the list lacks is served)"
        );
    }

    fn lost<P: PortIo, C: DisciplinedClock>(
        &mut self,
        now: Time,
        runtime: &mut Runtime<P, C>,
    ) -> io::Result<()> {
        self.holdover.lost();
        let status = self.holdover.status(now);
        if self.holding {
            return Ok(());
        }
        if let Some(f) = status.hold_frequency_ppb {
            let sigma = runtime.holdover_model().map_or(
                tempora_system::holdover::FALLBACK_FREQUENCY_SIGMA_PPB,
                |m| m.frequency_variance.max(0.0).sqrt(),
            );
            tracing::warn!(
                reference = status.reference.map(ReferenceKind::name),
                hold_frequency_ppb = f,
                "reference clock lost: holdover on the last frequency estimate"
            );
            runtime.hold_frequency(f, sigma)?;
            self.holding = true;
        }
        Ok(())
    }

    /// The `clockQuality` announced: the configured one, with the class and
    /// accuracy of a reference.
    pub fn clock_quality(&self) -> ClockQuality {
        let mut q = self.base_quality;
        if let Some(s) = &self.quality {
            q.clock_class = s.clock_class;
            q.clock_accuracy = s.clock_accuracy;
        }
        q
    }

    /// The time properties announced: the configured ones, with the leap
    /// second list's offset and warning on the PTP timescale, and the
    /// traceability and time source of a reference.
    pub fn time_properties(&self) -> TimePropertiesDs {
        time_properties(
            self.base_time_properties,
            self.offset_configured,
            self.leap_now,
            self.quality.as_ref(),
        )
    }

    /// TAI − UTC as known, whatever the timescale served: `[ptp]
    /// current-utc-offset` if configured, else the leap-second list's,
    /// else the kernel's (the base time properties' when valid).
    pub fn tai_minus_utc(&self) -> Option<i16> {
        let base = self.base_time_properties;
        let configured_or_kernel = || {
            base.current_utc_offset_valid
                .then_some(base.current_utc_offset)
        };
        if self.offset_configured {
            return configured_or_kernel();
        }
        self.leap_now
            .and_then(|l| l.tai_minus_utc)
            .or_else(configured_or_kernel)
    }

    /// The leap second list's state now (for the NTPv5 leap smear,
    /// `crate::leap_smear`).
    pub fn leap_state(&self) -> Option<LeapState> {
        self.leap_now
    }

    /// What the NTP server announces instead of its own rules: `None`
    /// when no reference decides it; `Some(UNSYNCHRONIZED)` when the
    /// holdover estimate is beyond NTP's distance threshold.
    pub fn ntp_clock(&self, precision: i8, now: Time) -> Option<ServerClock> {
        let q = self.quality?;
        let Some(ntp) = q.ntp else {
            return Some(ServerClock {
                precision,
                ..ServerClock::UNSYNCHRONIZED
            });
        };
        Some(ServerClock {
            leap: self.leap_indicator(),
            stratum: ntp.stratum,
            precision,
            reference_id: ReferenceId(ntp.reference_id),
            reference_time: self.reference_time.unwrap_or(now),
            root_delay: Duration::ZERO,
            root_dispersion: ntp.root_dispersion,
            ..ServerClock::UNSYNCHRONIZED
        })
    }

    /// The leap indicator of the list (RFC 5905 §7.3), for any
    /// synchronized answer.
    pub fn leap_indicator(&self) -> LeapIndicator {
        match self.leap_now.map(|l| l.pending) {
            Some(LeapStatus::Insert) => LeapIndicator::AddSecond,
            Some(LeapStatus::Delete) => LeapIndicator::DeleteSecond,
            _ => LeapIndicator::NoWarning,
        }
    }

    /// The holdover status (for tests and status).
    pub fn holdover_status(&self, now: Time) -> HoldoverStatus {
        self.holdover.status(now)
    }

    /// What status shows of holdover.
    pub fn holdover_report(&self, now: Time) -> HoldoverReport {
        let s = self.holdover.status(now);
        HoldoverReport {
            state: s.state.name().into(),
            reference: s.reference.map(|r| r.name().into()),
            holdover_s: s.elapsed.as_secs_f64(),
            estimated_error_ns: s.estimated_error.map(Duration::as_nanos_f64),
            budget_ns: self.holdover.budget().as_nanos_f64(),
            clock_class: self.quality.map(|q| q.clock_class),
            stratum: self.quality.and_then(|q| q.ntp).map(|n| n.stratum),
            hold_frequency_ppb: s.hold_frequency_ppb,
        }
    }

    /// What status shows of the leap second list.
    pub fn leap_report(&self, now: Time) -> LeapStatusReport {
        self.leap.report(now)
    }
}

/// `base` with the list's offset (unless configured) and leap warning on
/// the PTP timescale (IEEE 1588-2019 §8.2.4.2–§8.2.4.5; on ARB they mean
/// nothing), and the reference's traceability and time source.
fn time_properties(
    base: TimePropertiesDs,
    offset_configured: bool,
    leap: Option<LeapState>,
    quality: Option<&ServedQuality>,
) -> TimePropertiesDs {
    let mut tp = base;
    if let (true, Some(l)) = (tp.ptp_timescale, leap) {
        if let (false, Some(o)) = (offset_configured, l.tai_minus_utc) {
            tp.current_utc_offset = o;
            tp.current_utc_offset_valid = true;
        }
        tp.leap61 = l.pending == LeapStatus::Insert;
        tp.leap59 = l.pending == LeapStatus::Delete;
    }
    if let Some(q) = quality {
        tp.time_traceable = q.time_traceable;
        tp.frequency_traceable = q.frequency_traceable;
        tp.time_source = q.time_source;
    }
    tp
}

#[cfg(test)]
mod tests;
