//! `tempora sources`: every source of the daemon's selection, one row each
//! (like `chronyc sources -v` and `sourcestats`), from its JSON status.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};
use tempora_daemon::status::{SourceStatus, Status};

use crate::daemon_status::{fetch, print_json, signed, unsigned};

/// One source as `tempora sources` shows it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    name: String,
    kind: String,
    /// The selection state (or `offline`, or for NTP `demobilized`).
    state: String,
    /// Why it is not selected, when it is not.
    reason: Option<String>,
    reach: Option<u8>,
    stratum: Option<u8>,
    poll: Option<i8>,
    offset_ns: Option<f64>,
    delay_ns: Option<f64>,
    jitter_ns: Option<f64>,
    /// The frequency its own samples ask for, and its standard error, ppb
    /// (chrony's `sourcestats` Freq and Freq Skew).
    frequency_ppb: Option<f64>,
    frequency_sigma_ppb: Option<f64>,
}

/// Why a source in `state` is not the system peer, in words.
fn reason(state: &str) -> Option<&'static str> {
    Some(match state {
        "selected" => return None,
        "candidate" => "survivor, combined with the system peer",
        "outlier" => "clustered out: agrees, but farther from the survivors",
        "falseticker" => "falseticker: its interval misses the majority's",
        "unusable" => {
            "no usable measurement (not heard yet, after a step, or a PTP port not SLAVE)"
        }
        "noselect" => "noselect: monitored only",
        "unselected" => "no majority agrees (or no `require` source survived)",
        "timing-loop" => "timing loop: it takes its time from us",
        "offline" => "offline (tempora ctl offline): not polled",
        "demobilized" => "demobilized by a DENY or RSTR kiss",
        _ => "unknown state",
    })
}

/// chronyc's mark of a state (`*` system peer, `+` combined, `-` clustered
/// out, `x` falseticker, `?` unusable, `~` other).
fn mark(state: &str) -> char {
    match state {
        "selected" => '*',
        "candidate" => '+',
        "outlier" => '-',
        "falseticker" => 'x',
        "unusable" | "offline" | "demobilized" => '?',
        _ => '~',
    }
}

/// A row of the selection's source `src`, with what its own kind's status
/// adds (reach, poll, stratum, jitter).
fn row(s: &Status, src: &SourceStatus) -> Row {
    let mut r = Row {
        name: src.name.clone(),
        kind: src.kind.clone(),
        state: src.selection.clone(),
        reason: None,
        reach: None,
        stratum: None,
        poll: None,
        offset_ns: src.offset_ns,
        delay_ns: src.delay_ns,
        jitter_ns: None,
        frequency_ppb: src.frequency_ppb,
        frequency_sigma_ppb: src.frequency_sigma_ppb,
    };
    let ntp = s
        .ntp_sources
        .iter()
        .find(|n| src.name.strip_prefix("ntp:") == Some(n.address.as_str()));
    if let Some(n) = ntp {
        if n.state != "active" {
            r.state = n.state.name().into();
        }
        (r.reach, r.poll, r.stratum, r.jitter_ns) =
            (Some(n.reach), Some(n.poll), n.stratum, n.jitter_ns);
    }
    let csptp = s
        .csptp_sources
        .iter()
        .find(|c| src.name.strip_prefix("csptp:") == Some(c.address.as_str()));
    if let Some(c) = csptp {
        if c.offline {
            r.state = "offline".into();
        }
        (r.reach, r.poll, r.jitter_ns) = (Some(c.reach), Some(c.poll), c.jitter_ns);
    }
    let refclock = s
        .refclocks
        .iter()
        .find(|c| src.name.strip_prefix("refclock:") == Some(c.name.as_str()));
    if let Some(c) = refclock {
        (r.poll, r.stratum) = (Some(c.poll), Some(0));
    }
    if let Some(p) = src
        .name
        .strip_prefix("ptp:port")
        .and_then(|n| n.parse::<u16>().ok())
    {
        let port = s.ports.iter().find(|x| x.number == p);
        r.stratum = port.filter(|x| x.state == "SLAVE").map(|_| {
            u8::try_from(s.steps_removed)
                .unwrap_or(u8::MAX)
                .saturating_add(1)
        });
    }
    r.reason = reason(&r.state).map(String::from);
    r
}

/// Every row: the selection's sources, the PTP ports when there is no
/// selection (a PTP-only daemon), and Roughtime's start-up check.
fn rows(s: &Status) -> Vec<Row> {
    let mut rows: Vec<Row> = s.sources.iter().map(|src| row(s, src)).collect();
    if s.sources.is_empty() {
        rows.extend(s.ports.iter().map(|p| {
            let slave = p.state == "SLAVE";
            let state = if slave { "selected" } else { "unusable" };
            Row {
                name: format!("ptp:port{}", p.number),
                kind: "ptp".into(),
                state: state.into(),
                reason: reason(state).map(|r| format!("{r}; port {}", p.state)),
                reach: None,
                stratum: None,
                poll: None,
                offset_ns: slave.then_some(-s.offset_from_master_ns),
                delay_ns: slave.then_some(2.0 * s.mean_path_delay_ns),
                jitter_ns: None,
                frequency_ppb: None,
                frequency_sigma_ppb: None,
            }
        }));
    }
    for r in s.roughtime.iter().flat_map(|r| &r.sources) {
        let reason = match &r.error {
            Some(e) => format!("start-up check only: {e}"),
            None => "start-up check only, not polled".into(),
        };
        rows.push(Row {
            name: format!("roughtime:{}", r.name),
            kind: "roughtime".into(),
            state: if r.verified { "verified" } else { "unusable" }.into(),
            reason: Some(reason),
            reach: None,
            stratum: None,
            poll: None,
            offset_ns: r.offset_s.map(|o| o * 1e9),
            delay_ns: r.rtt_s.map(|d| d * 1e9),
            jitter_ns: r.radius_s.map(|d| d * 1e9),
            frequency_ppb: None,
            frequency_sigma_ppb: None,
        });
    }
    rows
}

fn to_json(r: &Row) -> Value {
    json!({
        "name": r.name,
        "kind": r.kind,
        "state": r.state,
        "reason": r.reason,
        "reach": r.reach,
        "stratum": r.stratum,
        "poll": r.poll,
        "offset_ns": r.offset_ns,
        "delay_ns": r.delay_ns,
        "jitter_ns": r.jitter_ns,
        "frequency_ppb": r.frequency_ppb,
        "frequency_sigma_ppb": r.frequency_sigma_ppb,
    })
}

/// The table's lines: a header, a line per row and its reason.
fn lines(rows: &[Row]) -> Vec<String> {
    let mut out = vec![format!(
        "  {:<9} {:<30} {:<12} {:>5} {:>3} {:>4} {:>10} {:>10} {:>10} {:>11}",
        "Kind", "Name", "State", "Reach", "St", "Poll", "Offset", "Delay", "Jitter", "Freq"
    )];
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for r in rows {
        out.push(format!(
            "{} {:<9} {:<30} {:<12} {:>5} {:>3} {:>4} {:>10} {:>10} {:>10} {:>11}",
            mark(&r.state),
            r.kind,
            r.name,
            r.state,
            opt(r.reach.map(|x| format!("{x:o}"))),
            opt(r.stratum.map(|x| x.to_string())),
            opt(r.poll.map(|x| x.to_string())),
            signed(r.offset_ns),
            unsigned(r.delay_ns),
            unsigned(r.jitter_ns),
            opt(r.frequency_ppb.map(|f| format!("{f:+.1}ppb"))),
        ));
        if let Some(why) = &r.reason {
            out.push(format!("    {why}"));
        }
    }
    out
}

/// Runs the command.
pub fn sources(socket: &Path, json: bool) -> ExitCode {
    let s = match fetch(socket, "sources") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let rows = rows(&s);
    if json {
        return print_json(&Value::Array(rows.iter().map(to_json).collect()));
    }
    if rows.is_empty() {
        println!("no sources");
    }
    for line in lines(&rows) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests;
