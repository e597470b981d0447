//! `tempora status`: asks a running daemon what it is doing.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tempora_daemon::control::query_status;
use tempora_daemon::status::Status;

/// Runs the command.
pub fn status(socket: &Path, json: bool) -> ExitCode {
    let text = match query_status(socket, Duration::from_secs(2)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tempora status: no answer from {}: {e}", socket.display());
            return ExitCode::from(1);
        }
    };
    if json {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    let s: Status = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "tempora status: unexpected answer from {}: {e}",
                socket.display()
            );
            return ExitCode::from(1);
        }
    };
    println!("clock identity   {}", s.identity);
    for p in &s.ports {
        let refused = match p.rx_auth_failures {
            0 => String::new(),
            n => format!(", {n} messages refused by authentication"),
        };
        println!(
            "port {:<11} {} ({}) {}{refused}",
            p.number, p.interface, p.transport, p.state
        );
    }
    println!("parent           {}", s.parent);
    println!(
        "grandmaster      {} ({} steps removed)",
        s.grandmaster, s.steps_removed
    );
    println!(
        "offset           {:.0} ns, mean path delay {:.0} ns",
        s.offset_from_master_ns, s.mean_path_delay_ns
    );
    println!(
        "servo            {}, frequency {:+.3} ppb",
        s.servo_state, s.frequency_ppb
    );
    match s.error_vs_system_ns {
        Some(e) => println!(
            "clock            {} (error vs system {:+.0} ns)",
            s.clock, e
        ),
        None => println!("clock            {}", s.clock),
    }
    if let (Some(o), Some(f)) = (s.system_clock_offset_ns, s.system_clock_frequency_ppb) {
        println!("system clock     {o:+.0} ns from the PHC's UTC, frequency {f:+.3} ppb");
    }
    let g = &s.master_sanity;
    if let Some(o) = g.held_offset_ns.filter(|_| g.holding) {
        println!(
            "master held      {:+.3} s from the clock, beyond the sanity threshold",
            o * 1e-9
        );
    }
    if let Some(o) = g.utc_offset_offered.filter(|_| g.utc_offset_holding) {
        println!("UTC offset held  the grandmaster offers currentUtcOffset {o}");
    }
    if g.masters_held > 0 || g.utc_offset_changes_held > 0 {
        println!(
            "sanity gates     {} masters held, {} UTC offset jumps held",
            g.masters_held, g.utc_offset_changes_held
        );
    }
    for line in csptp_lines(&s) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// Drop counts as `reason n, reason n` (or `none`).
fn drops(d: &std::collections::BTreeMap<String, u64>) -> String {
    if d.is_empty() {
        return "none".into();
    }
    let parts: Vec<String> = d.iter().map(|(r, n)| format!("{r} {n}")).collect();
    parts.join(", ")
}

/// The CSPTP sources and server, a few lines each.
fn csptp_lines(s: &Status) -> Vec<String> {
    let mut out = Vec::new();
    let ns = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.0} ns"));
    for c in &s.csptp_sources {
        let mark = match (c.system_peer, c.selected) {
            (true, _) => '*',
            (false, true) => '+',
            (false, false) => ' ',
        };
        out.push(format!(
            "csptp source   {mark} {} ({}, {}): reach {:03o}, offset {}, delay {}, jitter {}",
            c.name,
            c.address,
            c.timestamping,
            c.reach,
            ns(c.offset_ns),
            ns(c.delay_ns).trim_start_matches('+'),
            ns(c.jitter_ns).trim_start_matches('+'),
        ));
        out.push(format!(
            "                 {} requests, {} samples, {} timeouts; dropped: {}",
            c.requests,
            c.samples,
            c.timeouts,
            drops(&c.dropped)
        ));
        if let Some(d) = &c.data_set {
            out.push(format!(
                "                 grandmaster {} class {} accuracy {:#04x} variance {:#06x} priorities {}/{}, {} steps removed, UTC offset {} s",
                d.grandmaster,
                d.clock_class,
                d.clock_accuracy,
                d.offset_scaled_log_variance,
                d.priority1,
                d.priority2,
                d.steps_removed,
                d.current_utc_offset
            ));
        }
    }
    if let Some(c) = &s.csptp_client {
        if c.unknown_server + c.no_timestamp + c.send_errors > 0 {
            out.push(format!(
                "csptp client     {} from unknown servers, {} without timestamp, {} send errors",
                c.unknown_server, c.no_timestamp, c.send_errors
            ));
        }
    }
    if let Some(c) = &s.csptp_server {
        out.push(format!(
            "csptp server     {} requests, {} replies, {} follow-ups; {} denied, {} rate-limited; dropped: {}",
            c.requests,
            c.replies,
            c.follow_ups,
            c.denied,
            c.rate_limited,
            drops(&c.dropped)
        ));
    }
    out
}
