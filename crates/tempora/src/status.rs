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
    for line in crate::status_served::lines(&s) {
        println!("{line}");
    }
    for line in refclock_lines(&s) {
        println!("{line}");
    }
    for line in crate::status_ntp::lines(&s) {
        println!("{line}");
    }
    for line in crate::status_roughtime::lines(&s) {
        println!("{line}");
    }
    print_sources(&s);
    ExitCode::SUCCESS
}

/// The system process's sources, one line each: name, kind, selection
/// state, offset and delay, the options set, and the steps made.
fn print_sources(s: &Status) {
    if s.sources.is_empty() {
        return;
    }
    println!(
        "selected source  {} ({} clock steps)",
        s.selected_source.as_deref().unwrap_or("none"),
        s.steps
    );
    for src in &s.sources {
        let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{:+.1} us", v * 1e-3));
        let o = &src.options;
        let mut opts: Vec<String> = [
            (o.prefer, "prefer"),
            (o.noselect, "noselect"),
            (o.trust, "trust"),
            (o.require, "require"),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| (*name).to_string())
        .collect();
        if o.offset_ns != 0.0 {
            opts.push(format!("offset {:+.1} us", o.offset_ns * 1e-3));
        }
        if o.asymmetry_ns != 0.0 {
            opts.push(format!("asymmetry {:+.1} us", o.asymmetry_ns * 1e-3));
        }
        if let Some(d) = o.max_delay_ns {
            opts.push(format!("max-delay {:.1} us", d * 1e-3));
        }
        println!(
            "source {:<25} {:<5} {:<11} offset {:>12} delay {:>12} {}",
            src.name,
            src.kind,
            src.selection,
            us(src.offset_ns),
            us(src.delay_ns),
            opts.join(" ")
        );
    }
}

/// Drop counts as `reason n, reason n` (or `none`).
fn drops(d: &std::collections::BTreeMap<String, u64>) -> String {
    if d.is_empty() {
        return "none".into();
    }
    let parts: Vec<String> = d.iter().map(|(r, n)| format!("{r} {n}")).collect();
    parts.join(", ")
}

/// The reference clocks, two lines each (a third when unusable).
fn refclock_lines(s: &Status) -> Vec<String> {
    let ns = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.0} ns"));
    let mut out = Vec::new();
    for c in &s.refclocks {
        out.push(format!(
            "refclock       {} {} ({} {}, poll 2^{} s): last offset {}, vs system clock {}, poll offset {}",
            if c.selected { '*' } else { ' ' },
            c.name,
            c.driver,
            c.from,
            c.poll,
            ns(c.last_offset_ns),
            ns(c.last_system_offset_ns),
            ns(c.poll_offset_ns),
        ));
        out.push(format!(
            "                 {} samples, {} polls used, {} empty; problems: {}",
            c.samples,
            c.polls_used,
            c.polls_empty,
            drops(&c.problems)
        ));
        if let Some(why) = &c.unusable {
            out.push(format!("                 unusable: {why}"));
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csptp_sources_and_server_get_their_lines() {
        let json = r#"{"identity":"x","ports":[],"parent":"p","grandmaster":"g","steps_removed":0,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":0.0,"clock":"virtual","measurements":1,"uptime_s":1.0,
            "csptp_sources":[{"name":"srv","address":"10.0.0.1:319","timestamping":"software",
              "reach":255,"poll":0,"offset_ns":-12.4,"delay_ns":2400.0,"jitter_ns":300.0,
              "last_offset_ns":null,"last_sequence":7,"selected":true,"system_peer":true,
              "requests":9,"samples":8,"timeouts":1,"dropped":{"replayed":2},
              "data_set":{"grandmaster":"001122.fffe.334455","priority1":128,"clock_class":6,
                "clock_accuracy":33,"offset_scaled_log_variance":20061,"priority2":128,
                "steps_removed":1,"current_utc_offset":37}}],
            "csptp_client":{"unknown_server":1,"no_timestamp":0,"send_errors":0},
            "csptp_server":{"requests":5,"replies":4,"follow_ups":4,"denied":1,"rate_limited":0,
              "dropped":{},"general_ignored":0,"follow_ups_lost":0,"send_errors":0}}"#;
        let s: Status = serde_json::from_str(json).unwrap();
        let lines = csptp_lines(&s);
        assert_eq!(
            lines[0],
            "csptp source   * srv (10.0.0.1:319, software): reach 377, offset -12 ns, delay 2400 ns, jitter 300 ns"
        );
        assert!(lines[1].contains("9 requests, 8 samples, 1 timeouts; dropped: replayed 2"));
        assert!(lines[2].contains("grandmaster 001122.fffe.334455 class 6 accuracy 0x21"));
        assert!(lines[3].contains("1 from unknown servers"));
        assert_eq!(
            lines[4],
            "csptp server     5 requests, 4 replies, 4 follow-ups; 1 denied, 0 rate-limited; dropped: none"
        );
    }

    #[test]
    fn refclocks_get_their_lines_with_the_unusable_reason() {
        let json = r#"{"identity":"x","ports":[],"parent":"p","grandmaster":"g","steps_removed":0,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":0.0,"clock":"virtual","measurements":1,"uptime_s":1.0,
            "refclocks":[{"name":"GPS","driver":"gpsd","from":"127.0.0.1:2947","poll":3,
              "samples":12,"polls_used":1,"polls_empty":2,"last_offset_ns":-1500.0,
              "last_system_offset_ns":-50600000.0,"poll_offset_ns":null,"poll_dispersion_ns":null,
              "unusable":"no fix (mode 1)","last_problem":"no fix (mode 1)",
              "problems":{"no_fix":4},"selected":false}]}"#;
        let s: Status = serde_json::from_str(json).unwrap();
        let lines = refclock_lines(&s);
        assert_eq!(
            lines[0],
            "refclock         GPS (gpsd 127.0.0.1:2947, poll 2^3 s): last offset -1500 ns, vs system clock -50600000 ns, poll offset -"
        );
        assert_eq!(
            lines[1],
            "                 12 samples, 1 polls used, 2 empty; problems: no_fix 4"
        );
        assert_eq!(lines[2], "                 unusable: no fix (mode 1)");
    }
}
