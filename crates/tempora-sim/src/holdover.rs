//! Holdover scenarios (a `[holdover]` section): a clock over the
//! scenario's oscillator (`[clock]`) is disciplined by the daemon's servo
//! from a reference clock (a PPS: one offset a second with white noise) for
//! `lock_s`, then the reference is lost. From then on the clock holds the
//! servo's last frequency estimate, as the daemon does, and at each
//! checkpoint the run compares the true time error with the estimate the
//! [holdover tracker](tempora_system::holdover) would announce then. Every
//! seed is one independent run (its own oscillator wander and noise).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use serde::{Deserialize, Serialize};
use tempora_clock::{Correction, Duration, Sample, ServoState, Time, VirtualState};
use tempora_system::holdover::{Fallback, Holdover, HoldoverState};
use tempora_system::reference::ReferenceKind;

use crate::model::oscillator::Oscillator;
use crate::scenario::Scenario;
use crate::servos::{ServoKind, make_ntp_servo};

/// The `[holdover]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldoverScenario {
    /// Seconds locked to the reference before it is lost.
    pub lock_s: f64,
    /// Standard deviation of the reference's offsets, ns (a PPS's
    /// timestamping noise).
    #[serde(default = "default_reference_noise")]
    pub reference_noise_ns: f64,
    /// The `holdover-budget`, ns.
    #[serde(default = "default_budget")]
    pub budget_ns: f64,
    /// Seconds of holdover at which the error is reported.
    #[serde(default = "default_checkpoints")]
    pub checkpoints_s: Vec<f64>,
    /// Independent runs (seeds `seed`, `seed + 1`, …).
    #[serde(default = "default_runs")]
    pub runs: u32,
}

fn default_reference_noise() -> f64 {
    20.0
}

fn default_budget() -> f64 {
    1000.0
}

fn default_checkpoints() -> Vec<f64> {
    vec![3600.0, 86400.0]
}

fn default_runs() -> u32 {
    20
}

impl HoldoverScenario {
    /// Checks the values.
    pub fn check(&self) -> Result<(), String> {
        if !(self.lock_s.is_finite() && self.lock_s >= 60.0 && self.lock_s <= 30.0 * 86400.0) {
            return Err("holdover.lock_s must be in [60, 30 days]".into());
        }
        if !(self.reference_noise_ns.is_finite() && self.reference_noise_ns >= 0.0) {
            return Err("holdover.reference_noise_ns must be non-negative".into());
        }
        if !(self.budget_ns.is_finite() && self.budget_ns >= 0.0) {
            return Err("holdover.budget_ns must be non-negative".into());
        }
        if self.checkpoints_s.is_empty()
            || self.checkpoints_s.len() > 16
            || self
                .checkpoints_s
                .iter()
                .any(|c| !(c.is_finite() && *c > 0.0 && *c <= 30.0 * 86400.0))
        {
            return Err("holdover.checkpoints_s must list 1 to 16 times in (0, 30 days]".into());
        }
        if !(1..=1000).contains(&self.runs) {
            return Err("holdover.runs must be in 1..=1000".into());
        }
        Ok(())
    }
}

/// One checkpoint over all runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Seconds of holdover.
    pub after_s: f64,
    /// |true time error| of each run, ns.
    pub errors_ns: Vec<f64>,
    /// The announced estimate of each run, ns.
    pub estimates_ns: Vec<f64>,
    /// Runs whose error was within the estimate.
    pub bounded: usize,
    /// Median |error|, ns.
    pub median_error_ns: f64,
    /// Median estimate, ns.
    pub median_estimate_ns: f64,
    /// Largest |error|, ns.
    pub max_error_ns: f64,
}

/// A holdover scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldoverReport {
    /// The scenario's name.
    pub scenario: String,
    /// The servo.
    pub servo: String,
    /// The first seed.
    pub seed: u64,
    /// Runs.
    pub runs: u32,
    /// |error| at the loss of the reference, median over the runs, ns.
    pub error_at_loss_ns: f64,
    /// The checkpoints.
    pub checkpoints: Vec<Checkpoint>,
    /// Seconds of holdover announced within the budget (clockClass 7),
    /// median over the runs.
    pub announced_in_budget_s: f64,
    /// Seconds of holdover until the true error passed the budget, median.
    pub actual_in_budget_s: f64,
    /// Runs in which the true error passed the budget while still announced
    /// within it.
    pub early_exits: usize,
}

/// One run's numbers.
struct RunResult {
    at_loss_ns: f64,
    /// (|error|, estimate) per checkpoint, ns.
    points: Vec<(f64, f64)>,
    announced_in_budget_s: f64,
    actual_in_budget_s: f64,
}

/// Runs every seed of a holdover scenario with `kind`; `progress` hears the
/// fraction done.
pub fn run_holdover(
    scenario: &Scenario,
    kind: ServoKind,
    seed: u64,
    progress: &mut dyn FnMut(f64),
) -> Option<HoldoverReport> {
    let h = scenario.holdover.as_ref()?;
    let mut results = Vec::new();
    for i in 0..h.runs {
        results.push(run_once(scenario, h, kind, seed.wrapping_add(u64::from(i))));
        progress(f64::from(i + 1) / f64::from(h.runs));
    }
    Some(summarize(scenario, h, kind, seed, &results))
}

fn summarize(
    scenario: &Scenario,
    h: &HoldoverScenario,
    kind: ServoKind,
    seed: u64,
    results: &[RunResult],
) -> HoldoverReport {
    let checkpoints = h
        .checkpoints_s
        .iter()
        .enumerate()
        .map(|(i, &after_s)| {
            let errors_ns: Vec<f64> = results.iter().map(|r| r.points[i].0).collect();
            let estimates_ns: Vec<f64> = results.iter().map(|r| r.points[i].1).collect();
            Checkpoint {
                after_s,
                bounded: results
                    .iter()
                    .filter(|r| r.points[i].0 <= r.points[i].1)
                    .count(),
                median_error_ns: median(&errors_ns),
                median_estimate_ns: median(&estimates_ns),
                max_error_ns: errors_ns.iter().copied().fold(0.0, f64::max),
                errors_ns,
                estimates_ns,
            }
        })
        .collect();
    let announced: Vec<f64> = results.iter().map(|r| r.announced_in_budget_s).collect();
    let actual: Vec<f64> = results.iter().map(|r| r.actual_in_budget_s).collect();
    HoldoverReport {
        scenario: scenario.scenario.name.clone(),
        servo: kind.name().into(),
        seed,
        runs: h.runs,
        error_at_loss_ns: median(&results.iter().map(|r| r.at_loss_ns).collect::<Vec<_>>()),
        checkpoints,
        announced_in_budget_s: median(&announced),
        actual_in_budget_s: median(&actual),
        early_exits: results
            .iter()
            .filter(|r| r.actual_in_budget_s < r.announced_in_budget_s)
            .count(),
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

const START: Time = Time::from_secs_nanos(1_800_000_000, 0);

/// The simulated clock: oscillator, the virtual clock's corrections over
/// it, and the random stream.
struct Rig {
    osc: Oscillator,
    clock: VirtualState,
    rng: ChaCha8Rng,
}

impl Rig {
    /// The clock's error (local − true) at `t` seconds.
    fn error_at(&mut self, t: f64) -> (Time, Time, Duration) {
        let truth = START + Duration::from_secs_f64(t);
        let base = self.osc.advance(truth, &mut self.rng);
        let local = self.clock.time_at(base);
        (base, local, local - truth)
    }
}

fn run_once(scenario: &Scenario, h: &HoldoverScenario, kind: ServoKind, seed: u64) -> RunResult {
    let initial = Duration::from_secs_f64(scenario.clock.initial_offset_us * 1e-6);
    let mut rig = Rig {
        osc: Oscillator::new(scenario.clock.clone(), START),
        clock: VirtualState::new(START, initial, 0.0),
        rng: ChaCha8Rng::seed_from_u64(seed),
    };
    let mut servo = make_ntp_servo(kind, true);
    servo.set_max_frequency(rig.clock.max_frequency());
    let noise = Normal::new(0.0, h.reference_noise_ns.max(1e-9)).ok();
    let mut tracker = Holdover::new(Duration::from_secs_f64(h.budget_ns * 1e-9));
    // Locked: one reference sample a second.
    let mut t = 0.0;
    while t < h.lock_s {
        let (base, local, err) = rig.error_at(t);
        let n = noise.map_or(0.0, |n| n.sample(&mut rig.rng));
        let offset = err + Duration::from_secs_f64(n * 1e-9) + rig.osc.phase_noise(&mut rig.rng);
        let c = servo.sample(Sample {
            local_time: local,
            offset,
            delay: None,
        });
        rig.clock.apply_at(base, c);
        if matches!(c, Correction::Step { .. }) {
            tracker.forget();
        }
        if servo.state() == ServoState::Locked {
            tracker.observe(local, offset, servo.frequency_ppb());
            let fallback = Fallback {
                frequency_ppb: servo.frequency_ppb(),
                offset,
            };
            tracker.locked(local, ReferenceKind::Pps, servo.holdover_model(), fallback);
        }
        t += 1.0;
    }
    // The reference is lost: hold the last frequency estimate.
    tracker.lost();
    let (base, local, at_loss) = rig.error_at(t);
    if let Some(f) = tracker.status(local).hold_frequency_ppb {
        rig.clock
            .apply_at(base, Correction::Frequency { frequency_ppb: f });
    }
    holdover_phase(&mut rig, &tracker, h, t, at_loss)
}

fn holdover_phase(
    rig: &mut Rig,
    tracker: &Holdover,
    h: &HoldoverScenario,
    loss_t: f64,
    at_loss: Duration,
) -> RunResult {
    let end = h.checkpoints_s.iter().copied().fold(0.0, f64::max);
    let budget = tracker.budget().as_nanos_f64();
    let mut points = vec![(0.0, 0.0); h.checkpoints_s.len()];
    let mut announced = None;
    let mut actual = None;
    let mut s = 0.0;
    while s <= end {
        let (_, local, err) = rig.error_at(loss_t + s);
        let status = tracker.status(local);
        let error = err.as_nanos_f64().abs();
        let estimate = status
            .estimated_error
            .map_or(f64::INFINITY, |e| e.as_nanos_f64());
        if announced.is_none() && status.state != HoldoverState::InBudget {
            announced = Some(s);
        }
        if actual.is_none() && error > budget {
            actual = Some(s);
        }
        for (i, &c) in h.checkpoints_s.iter().enumerate() {
            if (s - c).abs() < 0.5 {
                points[i] = (error, estimate);
            }
        }
        s += 1.0;
    }
    RunResult {
        at_loss_ns: at_loss.as_nanos_f64().abs(),
        points,
        announced_in_budget_s: announced.unwrap_or(end),
        actual_in_budget_s: actual.unwrap_or(end),
    }
}

impl HoldoverReport {
    /// The report as text, one line per checkpoint.
    pub fn text(&self) -> String {
        let mut out = format!(
            "holdover: {} runs (seeds {}..{}), servo {}; |error| when the reference was lost: median {:.1} ns\n",
            self.runs,
            self.seed,
            self.seed + u64::from(self.runs) - 1,
            self.servo,
            self.error_at_loss_ns
        );
        for c in &self.checkpoints {
            out.push_str(&format!(
                "after {:>7.0} s: |error| median {:>12.1} ns, max {:>12.1} ns; announced estimate median {:>12.1} ns; error within estimate in {}/{} runs\n",
                c.after_s,
                c.median_error_ns,
                c.max_error_ns,
                c.median_estimate_ns,
                c.bounded,
                self.runs
            ));
        }
        out.push_str(&format!(
            "clockClass 7 announced for {:.0} s (median); true error within the budget for {:.0} s (median); runs where the error left the budget before the announcement did: {}/{}\n",
            self.announced_in_budget_s, self.actual_in_budget_s, self.early_exits, self.runs
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(wander: f64, runs: u32) -> Scenario {
        let text = format!(
            r#"
[scenario]
name = "t"
duration_s = 1
warmup_s = 0
threshold_ns = 1000

[clock]
frequency_offset_ppm = 2
wander_ppb_per_sqrt_s = {wander}

[holdover]
lock_s = 1800
reference_noise_ns = 20
budget_ns = 1000
checkpoints_s = [600, 3600, 86400]
runs = {runs}
"#
        );
        Scenario::parse(&text, "t").unwrap()
    }

    #[test]
    fn estimate_bounds_a_random_walk_oscillator_mostly() {
        let s = scenario(0.01, 10);
        let r = run_holdover(&s, ServoKind::Kalman, 1, &mut |_| {}).unwrap();
        let hour = &r.checkpoints[1];
        // The model is the oscillator's (random-walk FM): 2σ bounds most
        // runs.
        assert!(hour.bounded >= 7, "{}", r.text());
        // And the estimate is not absurdly loose: within 30× the error.
        assert!(
            hour.median_estimate_ns < 30.0 * hour.median_error_ns.max(10.0),
            "{}",
            r.text()
        );
        // A 2 ppm oscillator held at its estimate: far from 2 ppm·3600 s.
        assert!(hour.max_error_ns < 100_000.0, "{}", r.text());
        // After a day the wander measured while locked keeps the bound.
        let day = &r.checkpoints[2];
        assert!(day.bounded >= 8, "{}", r.text());
    }

    #[test]
    fn pi_servo_gets_the_pessimistic_fallback() {
        let s = scenario(0.01, 2);
        let r = run_holdover(&s, ServoKind::Pi, 1, &mut |_| {}).unwrap();
        // 10 ppb of assumed frequency error: 72 µs (2σ) after an hour.
        assert!(
            r.checkpoints[1].median_estimate_ns > 72_000.0,
            "{}",
            r.text()
        );
    }

    #[test]
    fn bad_sections_are_refused() {
        let mut h = scenario(0.01, 1).holdover.unwrap();
        h.lock_s = 10.0;
        assert!(h.check().is_err());
        let mut h = scenario(0.01, 1).holdover.unwrap();
        h.checkpoints_s = vec![];
        assert!(h.check().is_err());
    }
}
