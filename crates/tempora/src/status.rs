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
