//! `tempora ports`: the PTP ports (state, counters) with the parent,
//! grandmaster and steps removed, from the daemon's JSON status.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use tempora_daemon::status::{PortStatus, Status};

use crate::daemon_status::{fetch, print_json};

/// `name count, ...` of a counter list.
fn counters(list: &[(String, u64)]) -> String {
    if list.is_empty() {
        return "-".into();
    }
    list.iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lines of one port.
fn port_lines(p: &PortStatus) -> Vec<String> {
    let mut out = vec![
        format!(
            "port {} {} ({}) {}",
            p.number, p.interface, p.transport, p.state
        ),
        format!("  received     {}", counters(&p.rx)),
        format!("  sent         {}", counters(&p.tx)),
        format!(
            "  errors       {} receive errors, {} refused by authentication",
            p.rx_errors, p.rx_auth_failures
        ),
    ];
    if p.residence_count > 0 {
        out.push(format!(
            "  residence    {} messages, mean {:.0} ns, max {:.0} ns",
            p.residence_count,
            p.residence_mean_ns.unwrap_or_default(),
            p.residence_max_ns.unwrap_or_default()
        ));
    }
    out
}

/// Every line.
fn lines(s: &Status) -> Vec<String> {
    let mut out = vec![
        format!("clock identity {}", s.identity),
        format!("parent         {}", s.parent),
        format!("grandmaster    {}", s.grandmaster),
        format!("steps removed  {}", s.steps_removed),
    ];
    if s.ports.is_empty() {
        out.push("no PTP ports".into());
    }
    out.extend(s.ports.iter().flat_map(port_lines));
    out
}

/// Runs the command.
pub fn ports(socket: &Path, json: bool) -> ExitCode {
    let s = match fetch(socket, "ports") {
        Ok(s) => s,
        Err(code) => return code,
    };
    if json {
        return print_json(&json!({
            "identity": s.identity,
            "parent": s.parent,
            "grandmaster": s.grandmaster,
            "steps_removed": s.steps_removed,
            "ports": s.ports,
        }));
    }
    for line in lines(&s) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_show_state_parent_and_counters() {
        let s: Status = serde_json::from_str(
            r#"{"identity":"aa","ports":[{"number":1,"interface":"veth0","transport":"udp4",
            "state":"SLAVE","rx":[["Sync",10],["Announce",3]],"tx":[["Delay_Req",9]],
            "rx_errors":2,"residence_count":0}],"parent":"bb-1","grandmaster":"cc","steps_removed":2,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":0.0,"clock":"virtual","measurements":1,"uptime_s":1.0}"#,
        )
        .unwrap();
        let text = lines(&s).join("\n");
        assert!(text.contains("port 1 veth0 (udp4) SLAVE"), "{text}");
        assert!(text.contains("received     Sync 10, Announce 3"), "{text}");
        assert!(text.contains("steps removed  2"), "{text}");
        assert!(text.contains("2 receive errors"), "{text}");
    }
}
