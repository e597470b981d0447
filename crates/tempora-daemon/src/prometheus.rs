//! The Prometheus text exposition of the status. Names follow the
//! Prometheus conventions: a `tempora_` prefix, the base unit last
//! (`_seconds`; frequency adjustments as `_ratio`, never ppb), counters and
//! only counters ending in `_total`; `promtool check metrics` passes on the
//! whole exposition (tests in `prometheus_conventions.rs` and
//! crates/tempora/tests/metrics_promtool.rs; the list is docs/metrics.md).
//! The timing loop renders it; `crate::metrics` serves it.

use crate::csptp_status::{CsptpServerCounters, CsptpSourceStatus};
use crate::prometheus_gauge::gauge;
use crate::refclock_status::RefclockStatus;
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
    crate::prometheus_selection::render(&mut out, &status.sources);
    crate::prometheus_ntp::ntp_sources(&mut out, &status.ntp_sources);
    csptp_sources(&mut out, status);
    if let Some(s) = &status.csptp_server {
        csptp_server(&mut out, s);
    }
    refclocks(&mut out, &status.refclocks);
    master_sanity(&mut out, status);
    crate::prometheus_served::render(&mut out, status);
    crate::prometheus_roughtime::render(&mut out, status);
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
        "tempora_clock_frequency_adjustment_ratio",
        "The servo's frequency adjustment, as a ratio (1e-9 is one part per billion).",
        status.frequency_ppb * 1e-9,
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
            "tempora_system_clock_frequency_adjustment_ratio",
            "The system clock's frequency adjustment as a ratio (sync-system-clock).",
            f * 1e-9,
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

/// A labelled family: its HELP and TYPE lines, then one sample per
/// `(labels, value)`.
fn family<'a>(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: impl Iterator<Item = (String, String)> + 'a,
) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for (labels, v) in samples {
        out.push_str(&format!("{name}{{{labels}}} {v}\n"));
    }
}

/// A per-source metric: its name, help and how to read it.
type PerSource<T> = (&'static str, &'static str, fn(&CsptpSourceStatus) -> T);

/// The CSPTP sources: per source gauges and counters, and the client's
/// counters of what no source claimed.
fn csptp_sources(out: &mut String, status: &Status) {
    let Some(c) = &status.csptp_client else {
        return;
    };
    let src = &status.csptp_sources;
    let label = |s: &CsptpSourceStatus| format!("source=\"{}\"", s.address);
    let seconds = |v: Option<f64>| v.map_or("NaN".to_string(), |ns| (ns * 1e-9).to_string());
    let gauges: [PerSource<Option<f64>>; 3] = [
        (
            "offset_seconds",
            "Filtered offset of the CSPTP server (server minus us).",
            |s| s.offset_ns,
        ),
        (
            "delay_seconds",
            "Filtered round-trip delay to the CSPTP server.",
            |s| s.delay_ns,
        ),
        (
            "jitter_seconds",
            "Jitter of the CSPTP source's samples.",
            |s| s.jitter_ns,
        ),
    ];
    for (name, help, f) in gauges {
        let name = format!("tempora_csptp_source_{name}");
        family(
            out,
            &name,
            "gauge",
            help,
            src.iter().map(|s| (label(s), seconds(f(s)))),
        );
    }
    let flags: [PerSource<f64>; 3] = [
        (
            "reach",
            "Reachability register of the CSPTP source (255: the last eight answered).",
            |s| f64::from(s.reach),
        ),
        (
            "selected",
            "1 when the CSPTP source survived the last selection.",
            |s| f64::from(u8::from(s.selected)),
        ),
        (
            "system_peer",
            "1 when the CSPTP source is the system peer.",
            |s| f64::from(u8::from(s.system_peer)),
        ),
    ];
    for (name, help, f) in flags {
        let name = format!("tempora_csptp_source_{name}");
        family(
            out,
            &name,
            "gauge",
            help,
            src.iter().map(|s| (label(s), f(s).to_string())),
        );
    }
    let counts: [PerSource<u64>; 3] = [
        ("requests", "CSPTP requests sent.", |s| s.requests),
        ("samples", "Complete CSPTP exchanges.", |s| s.samples),
        (
            "timeouts",
            "CSPTP requests without a complete answer in time.",
            |s| s.timeouts,
        ),
    ];
    for (name, help, f) in counts {
        let name = format!("tempora_csptp_source_{name}_total");
        family(
            out,
            &name,
            "counter",
            help,
            src.iter().map(|s| (label(s), f(s).to_string())),
        );
    }
    family(
        out,
        "tempora_csptp_source_dropped_total",
        "counter",
        "CSPTP messages from the server dropped, by reason.",
        src.iter().flat_map(|s| {
            s.dropped
                .iter()
                .map(move |(r, n)| (format!("{},reason=\"{r}\"", label(s)), n.to_string()))
        }),
    );
    for (name, help, v) in [
        (
            "unknown_server",
            "Datagrams on the CSPTP client sockets from no configured server.",
            c.unknown_server,
        ),
        (
            "no_timestamp",
            "CSPTP event messages without a receive timestamp.",
            c.no_timestamp,
        ),
        (
            "send_errors",
            "CSPTP requests the socket refused to send.",
            c.send_errors,
        ),
    ] {
        counter(out, "csptp_client", name, help, v);
    }
}

/// A per-refclock metric: its name, help and how to read it.
type PerRefclock<T> = (&'static str, &'static str, fn(&RefclockStatus) -> T);

/// The reference clocks: offsets, whether usable and selected, samples,
/// polls and problems by kind.
fn refclocks(out: &mut String, clocks: &[RefclockStatus]) {
    if clocks.is_empty() {
        return;
    }
    let label = |c: &RefclockStatus| format!("refclock=\"{}\",driver=\"{}\"", c.name, c.driver);
    let gauges: [PerRefclock<Option<f64>>; 3] = [
        (
            "offset_seconds",
            "Offset of the reference clock's last sample (reference minus us).",
            |c| c.last_offset_ns.map(|v| v * 1e-9),
        ),
        (
            "poll_offset_seconds",
            "Filtered offset of the reference clock's last good poll.",
            |c| c.poll_offset_ns.map(|v| v * 1e-9),
        ),
        (
            "usable",
            "1 when the reference clock's last poll gave a sample.",
            |c| Some(f64::from(u8::from(c.unusable.is_none()))),
        ),
    ];
    for (name, help, f) in gauges {
        let v = |c: &RefclockStatus| f(c).map_or("NaN".to_string(), |v| v.to_string());
        family(
            out,
            &format!("tempora_refclock_{name}"),
            "gauge",
            help,
            clocks.iter().map(|c| (label(c), v(c))),
        );
    }
    family(
        out,
        "tempora_refclock_selected",
        "gauge",
        "1 when the reference clock is the system peer.",
        clocks
            .iter()
            .map(|c| (label(c), u8::from(c.selected).to_string())),
    );
    let counts: [PerRefclock<u64>; 3] = [
        ("samples", "Reference clock samples accepted.", |c| {
            c.samples
        }),
        (
            "polls_used",
            "Polls that gave the selection a sample.",
            |c| c.polls_used,
        ),
        ("polls_empty", "Polls with too few samples.", |c| {
            c.polls_empty
        }),
    ];
    for (name, help, f) in counts {
        family(
            out,
            &format!("tempora_refclock_{name}_total"),
            "counter",
            help,
            clocks.iter().map(|c| (label(c), f(c).to_string())),
        );
    }
    family(
        out,
        "tempora_refclock_problems_total",
        "counter",
        "Reference clock readings that were not usable, by kind.",
        clocks.iter().flat_map(|c| {
            c.problems
                .iter()
                .map(move |(k, n)| (format!("{},kind=\"{k}\"", label(c)), n.to_string()))
        }),
    );
}

/// The CSPTP server's counters.
fn csptp_server(out: &mut String, s: &CsptpServerCounters) {
    for (name, help, v) in [
        (
            "requests",
            "Datagrams received on the CSPTP event ports.",
            s.requests,
        ),
        ("replies", "CSPTP Sync replies sent.", s.replies),
        ("follow_ups", "CSPTP Follow_Ups sent.", s.follow_ups),
        (
            "denied",
            "CSPTP requests refused by the access lists.",
            s.denied,
        ),
        (
            "rate_limited",
            "CSPTP requests over their client's rate.",
            s.rate_limited,
        ),
        (
            "general_ignored",
            "Datagrams on the CSPTP general ports (dropped).",
            s.general_ignored,
        ),
        (
            "follow_ups_lost",
            "CSPTP replies whose transmit timestamp never came.",
            s.follow_ups_lost,
        ),
        (
            "send_errors",
            "CSPTP messages the socket refused to send.",
            s.send_errors,
        ),
    ] {
        counter(out, "csptp_server", name, help, v);
    }
    family(
        out,
        "tempora_csptp_server_dropped_total",
        "counter",
        "CSPTP requests dropped by the server, by reason.",
        s.dropped
            .iter()
            .map(|(r, n)| (format!("reason=\"{r}\""), n.to_string())),
    );
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
        ("v5_replied", "NTPv5 (draft) replies sent.", n.v5_replied),
        (
            "upgrade_replied",
            "NTPv4 replies answering the NTPv5 upgrade signal.",
            n.upgrade_replied,
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
        assert!(
            text.contains(
                "tempora_csptp_source_offset_seconds{source=\"10.0.0.1:319\"} 0.0000015\n"
            ),
            "{text}"
        );
        assert!(text.contains("tempora_csptp_source_delay_seconds{source=\"10.0.0.1:319\"} NaN\n"));
        assert!(text.contains(
            "tempora_csptp_source_dropped_total{source=\"10.0.0.1:319\",reason=\"replayed\"} 2\n"
        ));
        assert!(text.contains("tempora_csptp_client_unknown_server_total 3\n"));
        assert!(text.contains("tempora_csptp_server_follow_ups_total 6\n"));
        assert!(text.contains("tempora_csptp_server_dropped_total{reason=\"truncated_tlv\"} 1\n"));
        assert!(text.contains(
            "tempora_refclock_offset_seconds{refclock=\"GPS\",driver=\"gpsd\"} -0.0000015\n"
        ));
        assert!(text.contains("tempora_refclock_usable{refclock=\"GPS\",driver=\"gpsd\"} 0\n"));
        assert!(text.contains(
            "tempora_refclock_problems_total{refclock=\"GPS\",driver=\"gpsd\",kind=\"no_fix\"} 3\n"
        ));
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
