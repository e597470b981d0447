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
