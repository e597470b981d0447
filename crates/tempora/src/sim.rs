//! `tempora sim`: run a scenario in the simulator and report the servo's
//! accuracy against the PI baseline.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tempora_sim::{RunReport, Scenario, ServoKind, evaluate, run_holdover};

/// Runs the command.
pub fn sim(path: &Path, json: bool, seed: u64, servo: &str) -> ExitCode {
    let Some(kind) = ServoKind::from_name(servo) else {
        eprintln!("tempora sim: unknown servo {servo:?} (kalman, pi or rfc5905)");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tempora sim: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let scenario = match Scenario::parse(&text, &path.display().to_string()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tempora sim: {e}");
            return ExitCode::from(2);
        }
    };
    if scenario.holdover.is_some() {
        return holdover(&scenario, kind, seed, json);
    }
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let report = evaluate(&scenario, kind, seed, &mut |fraction| {
        // A progress bar only for runs that take more than a second.
        if bar.is_none() && started.elapsed() > Duration::from_secs(1) {
            let b = ProgressBar::new(1000);
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} simulating [{bar:40}] {percent}%")
            {
                b.set_style(style);
            }
            bar = Some(b);
        }
        if let Some(b) = &bar {
            b.set_position((fraction * 1000.0) as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json {
        match serde_json::to_string(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("tempora sim: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        print_summary(&report, &scenario, started.elapsed());
    }
    ExitCode::SUCCESS
}

fn line(r: &RunReport) -> String {
    let conv = r
        .stats
        .convergence_s
        .map_or_else(|| "never".to_string(), |s| format!("{s:.0} s"));
    format!(
        "{:<7} rms {:>10.1} ns  p99 {:>10.1} ns  max {:>10.1} ns  mean {:>9.1} ns  converged after {}  worst after 60 s {:.1} ns",
        r.servo,
        r.stats.rms_ns,
        r.stats.p99_abs_ns,
        r.stats.max_abs_ns,
        r.stats.mean_ns,
        conv,
        r.stats.worst_after_60s_ns
    )
}

fn print_summary(r: &RunReport, s: &Scenario, wall: Duration) {
    println!("scenario {} — {}", r.scenario, s.scenario.description);
    println!(
        "{:.0} s simulated (statistics after {:.0} s), seed {}, {:.2} s of wall time",
        r.duration_s,
        s.scenario.warmup_s,
        r.seed,
        wall.as_secs_f64()
    );
    println!("{}", line(r));
    if let Some(sel) = &r.selection {
        println!("selected source  {}", sel.timeline_text());
        println!("selected share   {}", sel.fractions_text());
    }
    if let Some(b) = &r.baseline {
        println!("{}", line(b));
        if b.stats.rms_ns > 0.0 {
            println!(
                "rms ratio {} / {}: {:.2}",
                r.servo,
                b.servo,
                r.stats.rms_ns / b.stats.rms_ns
            );
        }
    }
}

/// A holdover scenario: the time error after the reference is lost against
/// the estimate announced, over the scenario's runs.
fn holdover(scenario: &Scenario, kind: ServoKind, seed: u64, json: bool) -> ExitCode {
    let started = Instant::now();
    let Some(report) = run_holdover(scenario, kind, seed, &mut |_| {}) else {
        return ExitCode::from(2);
    };
    if json {
        match serde_json::to_string(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("tempora sim: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        println!(
            "scenario {} — {}",
            report.scenario, scenario.scenario.description
        );
        println!("{:.2} s of wall time", started.elapsed().as_secs_f64());
        print!("{}", report.text());
    }
    ExitCode::SUCCESS
}
