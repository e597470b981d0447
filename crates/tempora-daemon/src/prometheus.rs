//! The Prometheus text exposition of the status (names follow the
//! Prometheus conventions: a `tempora_` prefix, units in the names). The
//! timing loop renders it; `crate::metrics` serves it.

use crate::status::{NtpServerCounters, NtsKeStatus, ServoState, Status};

/// Appends the counter `tempora_{group}_{name}_total` with its help line.
fn counter(out: &mut String, group: &str, name: &str, help: &str, v: u64) {
    out.push_str(&format!(
        "# HELP tempora_{group}_{name}_total {help}\n# TYPE tempora_{group}_{name}_total counter\ntempora_{group}_{name}_total {v}\n"
    ));
}

/// The exposition of `status`.
pub fn render(status: &Status) -> String {
    let mut out = String::new();
    clock_gauges(&mut out, status);
    port_families(&mut out, status);
    if let Some(n) = &status.ntp_server {
        ntp_server_counters(&mut out, n);
    }
    if let Some(k) = &status.nts_ke {
        nts_ke_counters(&mut out, k);
    }
    master_sanity(&mut out, status);
    out.push_str("# HELP tempora_ptp_receive_errors_total PTP messages dropped on receipt.\n# TYPE tempora_ptp_receive_errors_total counter\n");
    for p in &status.ports {
        out.push_str(&format!(
            "tempora_ptp_receive_errors_total{{port=\"{}\"}} {}\n",
            p.number, p.rx_errors
        ));
    }
    // Only with authentication in use, so other scrapes stay as they were.
    if status.ports.iter().any(|p| p.rx_auth_failures > 0) {
        out.push_str("# HELP tempora_ptp_auth_failures_total PTP messages dropped for failing authentication (IEEE 1588-2019 Annex P).\n# TYPE tempora_ptp_auth_failures_total counter\n");
        for p in &status.ports {
            out.push_str(&format!(
                "tempora_ptp_auth_failures_total{{port=\"{}\"}} {}\n",
                p.number, p.rx_auth_failures
            ));
        }
    }
    out
}

/// The master sanity gate and the UTC offset gate: counters and states.
fn master_sanity(out: &mut String, status: &Status) {
    let g = &status.master_sanity;
    counter(
        out,
        "ptp",
        "masters_held",
        "Masters held back: they disagreed with the disciplined clock beyond the sanity threshold.",
        g.masters_held,
    );
    counter(
        out,
        "ptp",
        "utc_offset_changes_held",
        "Jumps of the grandmaster's UTC offset held back.",
        g.utc_offset_changes_held,
    );
    let held = |b: bool| if b { 1.0 } else { 0.0 };
    gauge(
        out,
        "tempora_ptp_master_held",
        "1 while a master is held back by the sanity gate.",
        held(g.holding),
    );
    gauge(
        out,
        "tempora_ptp_utc_offset_held",
        "1 while a jump of the UTC offset is held back.",
        held(g.utc_offset_holding),
    );
}

/// Appends the gauge `name` with its help line.
fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    out.push_str(&format!(
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
    ));
}

/// The PTP, servo and clock gauges, the uptime and the measurements.
fn clock_gauges(out: &mut String, status: &Status) {
    let mut add = |name: &str, help: &str, value: f64| gauge(out, name, help, value);
    add(
        "tempora_ptp_offset_from_master_seconds",
        "Offset from the master (offsetFromMaster).",
        status.offset_from_master_ns * 1e-9,
    );
    add(
        "tempora_ptp_mean_path_delay_seconds",
        "Mean path delay to the master (meanPathDelay).",
        status.mean_path_delay_ns * 1e-9,
    );
    add(
        "tempora_ptp_steps_removed",
        "Communication paths to the grandmaster (stepsRemoved).",
        f64::from(status.steps_removed),
    );
    add(
        "tempora_clock_frequency_adjustment_ppb",
        "The servo's frequency adjustment, parts per billion.",
        status.frequency_ppb,
    );
    add(
        "tempora_servo_locked",
        "1 when the servo is locked.",
        if status.servo_state == ServoState::Locked {
            1.0
        } else {
            0.0
        },
    );
    if let Some(e) = status.error_vs_system_ns {
        add(
            "tempora_virtual_clock_error_seconds",
            "The virtual clock minus CLOCK_REALTIME.",
            e * 1e-9,
        );
    }
    if let Some(o) = status.system_clock_offset_ns {
        add(
            "tempora_system_clock_offset_seconds",
            "The system clock minus the PHC's time in UTC (sync-system-clock).",
            o * 1e-9,
        );
    }
    if let Some(f) = status.system_clock_frequency_ppb {
        add(
            "tempora_system_clock_frequency_adjustment_ppb",
            "The system clock's frequency adjustment (sync-system-clock).",
            f,
        );
    }
    add(
        "tempora_uptime_seconds",
        "Seconds since the daemon started.",
        status.uptime_s,
    );
    out.push_str("# HELP tempora_servo_measurements_total Offset measurements handed to the servo.\n# TYPE tempora_servo_measurements_total counter\n");
    out.push_str(&format!(
        "tempora_servo_measurements_total {}\n",
        status.measurements
    ));
}

/// Per port: the state, the messages by type, the residence times.
fn port_families(out: &mut String, status: &Status) {
    out.push_str("# HELP tempora_ptp_port_state Port state (1 for the current state).\n# TYPE tempora_ptp_port_state gauge\n");
    for p in &status.ports {
        out.push_str(&format!(
            "tempora_ptp_port_state{{port=\"{}\",interface=\"{}\",state=\"{}\"}} 1\n",
            p.number, p.interface, p.state
        ));
    }
    for (dir, help) in [
        ("received", "PTP messages received, by type."),
        ("sent", "PTP messages sent, by type."),
    ] {
        out.push_str(&format!(
            "# HELP tempora_ptp_messages_{dir}_total {help}\n# TYPE tempora_ptp_messages_{dir}_total counter\n"
        ));
        for p in &status.ports {
            let list = if dir == "received" { &p.rx } else { &p.tx };
            for (t, n) in list {
                out.push_str(&format!(
                    "tempora_ptp_messages_{dir}_total{{port=\"{}\",type=\"{t}\"}} {n}\n",
                    p.number
                ));
            }
        }
    }
    out.push_str("# HELP tempora_ptp_residence_time_seconds Transparent clock: residence time of event messages forwarded out of a port.\n# TYPE tempora_ptp_residence_time_seconds summary\n");
    for p in &status.ports {
        let sum = p.residence_mean_ns.unwrap_or(0.0) * p.residence_count as f64 * 1e-9;
        out.push_str(&format!(
            "tempora_ptp_residence_time_seconds_sum{{port=\"{}\"}} {sum}\ntempora_ptp_residence_time_seconds_count{{port=\"{}\"}} {}\n",
            p.number, p.number, p.residence_count
        ));
    }
}

/// The NTP server's counters.
fn ntp_server_counters(out: &mut String, n: &NtpServerCounters) {
    for (name, help, v) in [
        (
            "received",
            "NTP datagrams received by the server.",
            n.received,
        ),
        ("replied", "NTP replies sent.", n.replied),
        (
            "ignored",
            "NTP datagrams not answered (malformed, not a request, bad version).",
            n.ignored,
        ),
        (
            "send_errors",
            "NTP replies the socket refused.",
            n.send_errors,
        ),
        (
            "denied",
            "NTP requests refused by the access lists.",
            n.denied,
        ),
        (
            "rate_limited",
            "NTP requests over their client's rate.",
            n.rate_limited,
        ),
        (
            "kisses",
            "Kiss-o'-death replies sent (DENY, RATE, NTSN).",
            n.kisses,
        ),
        (
            "interleaved",
            "Interleaved NTP replies sent.",
            n.interleaved,
        ),
        (
            "nts_replies",
            "NTS-protected NTP replies sent.",
            n.nts_replies,
        ),
        ("nts_naks", "NTS NAKs sent.", n.nts_naks),
        (
            "nts_rejected",
            "NTS requests dropped (malformed), and plain ones refused under require-nts.",
            n.nts_rejected,
        ),
        (
            "keyed_replies",
            "NTP replies signed with a symmetric key.",
            n.keyed_replies,
        ),
        (
            "key_rejected",
            "NTP requests with an unknown key or a bad MAC, dropped.",
            n.key_rejected,
        ),
    ] {
        counter(out, "ntp_server", name, help, v);
    }
}

/// The NTS-KE server's counters.
fn nts_ke_counters(out: &mut String, k: &NtsKeStatus) {
    for (name, help, v) in [
        ("completed", "NTS key exchanges completed.", k.completed),
        ("failed", "NTS-KE connections that failed.", k.failed),
        (
            "refused",
            "NTS-KE connections refused at the bound.",
            k.refused,
        ),
        (
            "rate_limited",
            "NTS-KE connections refused by the per-address rate limit.",
            k.rate_limited,
        ),
        (
            "evicted",
            "Idle NTS-KE connections closed early to make room.",
            k.evicted,
        ),
    ] {
        counter(out, "nts_ke", name, help, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::tests::sample;

    #[test]
    fn prometheus_exposition() {
        let text = render(&sample());
        assert!(
            text.contains("tempora_ptp_offset_from_master_seconds -0.00000012"),
            "{text}"
        );
        assert!(text.contains("tempora_ptp_messages_received_total{port=\"1\",type=\"sync\"} 10"));
        assert!(
            text.contains(
                "tempora_ptp_port_state{port=\"1\",interface=\"veth0\",state=\"SLAVE\"} 1"
            )
        );
        assert!(text.contains("tempora_virtual_clock_error_seconds"));
        assert!(text.contains("tempora_ptp_residence_time_seconds_sum{port=\"1\"} 0.0001\n"));
        assert!(text.contains("tempora_ptp_residence_time_seconds_count{port=\"1\"} 4\n"));
        assert!(text.contains("tempora_ntp_server_replied_total 8\n"));
        // Every sample line belongs to a declared metric family.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let summary = ["_sum", "_count"]
                .iter()
                .filter_map(|s| name.strip_suffix(s))
                .any(|base| text.contains(&format!("# TYPE {base} summary\n")));
            assert!(
                summary || text.contains(&format!("# TYPE {name} ")),
                "{name} has no TYPE"
            );
        }
    }
}
