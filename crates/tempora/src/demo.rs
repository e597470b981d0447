//! `tempora demo`: a simulated PTP network converging in the terminal.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tempora_sim::ServoKind;
use tempora_sim::demo::build;

/// Runs the demo: `seconds` of simulated time at `speed` × real time.
pub fn demo(seconds: u32, speed: f64, seed: u64) -> ExitCode {
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        20.0
    };
    let (mut net, nodes) = build(seed, ServoKind::Kalman);
    let tty = std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Tempora demo: a grandmaster, a boundary clock and three slaves on a simulated LAN\n\
         (software timestamps, 40 us + exponential delays, oscillators off by up to 40 ppm),\n\
         every clock disciplined by the Kalman servo. {seconds} s simulated at {speed}x.\n"
    );
    let started = Instant::now();
    let step = 1.0;
    let mut t = 0.0;
    let mut drawn = 0;
    let rows = nodes.len() + 2;
    // Clear to the end of the line when redrawing in place.
    let el = if tty { "\x1b[K" } else { "" };
    while t <= f64::from(seconds) {
        net.run_until(t);
        let redraw = if tty {
            (t as u64) % 2 == 0
        } else {
            (t as u64) % 30 == 0
        };
        if redraw {
            if tty && drawn > 0 {
                let _ = write!(out, "\x1b[{rows}A");
            }
            let _ = writeln!(
                out,
                "t = {:>4.0} s   {:<12} {:<27} {:>14} {:>12}{el}",
                t, "clock", "port states", "offset (true)", "freq (ppb)"
            );
            let _ = writeln!(out, "{}{el}", "-".repeat(84));
            for n in &nodes {
                let states: Vec<&str> = (0..net.nodes[n.index].engine.port_count())
                    .map(|p| short(net.port_state(n.index, p).name()))
                    .collect();
                let offset = net.true_offset(n.index);
                let freq = net
                    .servo_frequency(n.index)
                    .map_or("-".to_string(), |f| format!("{f:+.1}"));
                let _ = writeln!(
                    out,
                    "             {:<12} {:<27} {:>14} {:>12}{el}",
                    n.name,
                    states.join(" "),
                    if n.reference {
                        "reference".to_string()
                    } else {
                        format_offset(offset.as_nanos_f64())
                    },
                    freq
                );
            }
            let _ = out.flush();
            drawn += 1;
        }
        t += step;
        // Pace the run: `speed` simulated seconds per real second.
        let due = Duration::from_secs_f64(t / speed);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let _ = writeln!(out, "\nSummary after {seconds} s:");
    for n in nodes.iter().filter(|n| !n.reference) {
        let offset = net.true_offset(n.index).as_nanos_f64();
        let _ = writeln!(
            out,
            "  {:<12} offset {:>12}, {} measurements, {} step(s)",
            n.name,
            format_offset(offset),
            net.nodes[n.index].measurements,
            net.nodes[n.index].steps
        );
    }
    ExitCode::SUCCESS
}

fn short(state: &str) -> &str {
    match state {
        "UNCALIBRATED" => "UNCAL",
        "PRE_MASTER" => "PRE_M",
        "LISTENING" => "LISTEN",
        other => other,
    }
}

fn format_offset(ns: f64) -> String {
    let a = ns.abs();
    if a >= 1e6 {
        format!("{:+.3} ms", ns / 1e6)
    } else if a >= 1e3 {
        format!("{:+.3} us", ns / 1e3)
    } else {
        format!("{ns:+.0} ns")
    }
}
