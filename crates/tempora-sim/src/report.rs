//! A scenario's result as `tempora sim` reports it: the servo under test and
//! the PI baseline on the same seed.

use serde::Serialize;

use crate::runner::run;
use crate::scenario::Scenario;
use crate::servos::{ServoKind, make_ntp_servo, make_servo};
use crate::stats::Stats;

/// One servo's run of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The scenario's name.
    pub scenario: String,
    /// The servo's name.
    pub servo: String,
    /// The seed.
    pub seed: u64,
    /// Simulated seconds.
    pub duration_s: f64,
    /// Accuracy statistics.
    #[serde(flatten)]
    pub stats: Stats,
    /// Offset measurements the servo received.
    pub measurements: u64,
    /// Clock steps it made.
    pub steps: u64,
    /// Which source the system process selected over time (scenarios with
    /// an `[ntp]` section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<SelectionReport>,
    /// The PI baseline on the same seed (absent inside the baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Box<RunReport>>,
}

/// Runs one servo.
pub fn run_one(
    scenario: &Scenario,
    kind: ServoKind,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> RunReport {
    let hardware = scenario.timestamping.kind == "hardware";
    // NTP scenarios run the daemon's NTP servo, step policy included.
    let servo = if scenario.ntp.is_some() {
        make_ntp_servo(kind, hardware)
    } else {
        make_servo(kind, hardware)
    };
    let trace = run(scenario, servo, seed, progress);
    RunReport {
        scenario: scenario.scenario.name.clone(),
        servo: kind.name().into(),
        seed,
        duration_s: scenario.scenario.duration_s,
        stats: Stats::of(
            &trace,
            scenario.scenario.warmup_s,
            scenario.scenario.threshold_ns,
        ),
        measurements: trace.measurements,
        steps: trace.steps,
        selection: (!trace.selection.is_empty())
            .then(|| SelectionReport::of(&trace.selection, trace.duration_s)),
        baseline: None,
    }
}

/// Runs `kind` and the baseline (PI for PTP, RFC 5905 for NTP scenarios);
/// `progress` hears the fraction of both.
pub fn evaluate(
    scenario: &Scenario,
    kind: ServoKind,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> RunReport {
    let mut main = run_one(scenario, kind, seed, &mut |f| progress(f / 2.0));
    // The baseline users know: linuxptp's PI for PTP, RFC 5905's PLL/FLL
    // for NTP.
    let base_kind = if scenario.ntp.is_some() {
        ServoKind::Rfc5905
    } else {
        ServoKind::Pi
    };
    let baseline = run_one(scenario, base_kind, seed, &mut |f| progress(0.5 + f / 2.0));
    main.baseline = Some(Box::new(baseline));
    main
}

/// One stretch of time with one source selected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionSpan {
    /// From, seconds since the start.
    pub from_s: f64,
    /// To.
    pub to_s: f64,
    /// The selected source (`None`: none was).
    pub source: Option<String>,
}

/// Which source was selected over a run: the timeline, and each source's
/// fraction of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionReport {
    /// The stretches, in order, covering the run.
    pub timeline: Vec<SelectionSpan>,
    /// (source, fraction of the run it was selected), most first; `none`
    /// for the time nothing was.
    pub fractions: Vec<(String, f64)>,
}

impl SelectionReport {
    /// The report of `changes` (the system peer's changes: time, name)
    /// over a run of `duration_s`.
    pub fn of(changes: &[(f64, Option<String>)], duration_s: f64) -> Self {
        let mut timeline: Vec<SelectionSpan> = Vec::new();
        let mut push = |from_s: f64, source: Option<String>| match timeline.last_mut() {
            Some(last) if last.source == source => {}
            _ => timeline.push(SelectionSpan {
                from_s,
                to_s: duration_s,
                source,
            }),
        };
        push(0.0, None);
        for (t, source) in changes {
            push(t.clamp(0.0, duration_s), source.clone());
        }
        // Each stretch ends where the next begins; empty ones go.
        for i in 1..timeline.len() {
            timeline[i - 1].to_s = timeline[i].from_s;
        }
        timeline.retain(|s| s.to_s > s.from_s);
        let mut fractions: Vec<(String, f64)> = Vec::new();
        for span in &timeline {
            let name = span.source.clone().unwrap_or_else(|| "none".into());
            let f = (span.to_s - span.from_s) / duration_s.max(1e-9);
            match fractions.iter_mut().find(|(n, _)| *n == name) {
                Some((_, total)) => *total += f,
                None => fractions.push((name, f)),
            }
        }
        fractions.sort_by(|a, b| b.1.total_cmp(&a.1));
        SelectionReport {
            timeline,
            fractions,
        }
    }

    /// The timeline in one line, e.g. `0–12 s none, 12–600 s ptp:gm`
    /// (stretches under a second are merged into the count at the end).
    pub fn timeline_text(&self) -> String {
        let shown: Vec<String> = self
            .timeline
            .iter()
            .filter(|s| s.to_s - s.from_s >= 1.0)
            .map(|s| {
                format!(
                    "{:.0}\u{2013}{:.0} s {}",
                    s.from_s,
                    s.to_s,
                    s.source.as_deref().unwrap_or("none")
                )
            })
            .collect();
        let brief = self.timeline.len() - shown.len();
        let mut text = shown.join(", ");
        if brief > 0 {
            text.push_str(&format!(" (and {brief} changes under 1 s)"));
        }
        text
    }

    /// Each source's selected fraction, e.g. `ptp:gm 98.0 %, none 2.0 %`.
    pub fn fractions_text(&self) -> String {
        self.fractions
            .iter()
            .map(|(n, f)| format!("{n} {:.1} %", f * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_and_fractions() {
        let changes = [
            (12.0, Some("ptp:gm".to_string())),
            (300.0, Some("ntp:server1".to_string())),
        ];
        let r = SelectionReport::of(&changes, 600.0);
        assert_eq!(
            r.timeline_text(),
            "0\u{2013}12 s none, 12\u{2013}300 s ptp:gm, 300\u{2013}600 s ntp:server1"
        );
        assert_eq!(r.fractions[0], ("ntp:server1".to_string(), 0.5));
        assert_eq!(r.fractions[1], ("ptp:gm".to_string(), 0.48));
        assert_eq!(r.fractions[2], ("none".to_string(), 0.02));
        // Selected from the start: no empty "none" stretch.
        let r = SelectionReport::of(&[(0.0, Some("a".into()))], 10.0);
        assert_eq!(r.timeline_text(), "0\u{2013}10 s a");
    }
}
