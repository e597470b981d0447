//! What the operator asks of the system process (through the daemon's
//! control socket, docs/control.md): the tracking report of the system
//! peer (chronyc's `tracking`) and a step to it now (chronyc's
//! `makestep`).

use tempora_clock::{Duration, Time};

use super::{Action, SystemProcess};
use crate::SourceId;

/// The system peer as the selection sees it now (chronyc's `tracking`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tracking {
    /// The system peer.
    pub peer: SourceId,
    /// Its filtered offset (peer − us), carried to now.
    pub offset: Duration,
    /// Its root distance λ now (RFC 5905 §11.2: δ/2 + root + PHI × age +
    /// ψ): the bound on our error while following it.
    pub root_distance: Duration,
    /// Its jitter ψ.
    pub jitter: Duration,
    /// When its last measurement was taken.
    pub at: Time,
    /// The interval between its measurements.
    pub interval: Duration,
    /// The drift the survivors' samples call for less the frequency
    /// adjustment in force, ppb (`None` without a trusted fit).
    pub residual_ppb: Option<f64>,
    /// The standard error of that drift, ppb.
    pub skew_ppb: Option<f64>,
}

/// Why a step cannot be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRefused {
    /// No source is selected (or the selected one has no estimate now,
    /// as just after a step).
    NoSystemPeer,
}

impl SystemProcess {
    /// The system peer's state now, if there is one with an estimate.
    pub fn tracking(&self, now: Time) -> Option<Tracking> {
        let e = self.sources.iter().find(|e| e.report.system_peer)?;
        let est = e.estimate?;
        let c = self.candidate(&est, now);
        let fit = self.fit_now(now).filter(|(_, _, sigma)| sigma.is_finite());
        Some(Tracking {
            peer: e.id,
            offset: c.offset,
            root_distance: c.root_distance,
            jitter: c.jitter,
            at: e.last.map_or(est.at, |m| m.at),
            interval: e.interval,
            residual_ppb: fit.map(|(_, slope, _)| slope - self.ledger.frequency_ppb()),
            skew_ppb: fit.map(|(_, _, sigma)| sigma),
        })
    }

    /// Asks for a step of the clock by the system peer's offset now (the
    /// action [`Action::Start`] with a step and no new frequency, which
    /// [`carry_out`](super::carry_out) turns into a step at the frequency
    /// in force): the step made, or why none can be.
    pub fn request_step(&mut self, now: Time) -> Result<Duration, StepRefused> {
        let t = self.tracking(now).ok_or(StepRefused::NoSystemPeer)?;
        self.actions.push_back(Action::Start {
            step: Some(t.offset),
            offset: t.offset,
            frequency_ppb: None,
            frequency_sigma_ppb: f64::INFINITY,
            agreeing: 1,
        });
        Ok(t.offset)
    }
}
