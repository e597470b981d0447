//! What `tempora status` shows: a snapshot of the daemon's state, built by
//! the timing loop and served on the Unix socket (as JSON) and the metrics
//! endpoint (as Prometheus text).

use serde::{Deserialize, Serialize};
use tempora_clock::ServoState;
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::PtpInstance;

/// One port's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortStatus {
    /// portNumber.
    pub number: u16,
    /// The network interface.
    pub interface: String,
    /// udp4, udp6 or l2.
    pub transport: String,
    /// The port state (linuxptp's names: MASTER, SLAVE, ...).
    pub state: String,
    /// Messages received, by type name.
    pub rx: Vec<(String, u64)>,
    /// Messages sent, by type name.
    pub tx: Vec<(String, u64)>,
    /// Messages dropped (malformed, other domain, ...).
    pub rx_errors: u64,
    /// Transparent clock: event messages forwarded out of this port with a
    /// measured residence time.
    pub residence_count: u64,
    /// Their mean residence time, if any.
    pub residence_mean_ns: Option<f64>,
    /// Their longest residence time, if any.
    pub residence_max_ns: Option<f64>,
}

/// Appends the counter `tempora_{group}_{name}_total` with its help line.
fn counter(out: &mut String, group: &str, name: &str, help: &str, v: u64) {
    out.push_str(&format!(
        "# HELP tempora_{group}_{name}_total {help}\n# TYPE tempora_{group}_{name}_total counter\ntempora_{group}_{name}_total {v}\n"
    ));
}

/// The NTS-KE server's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtsKeStatus {
    /// Key exchanges completed.
    pub completed: u64,
    /// Connections that failed (TLS, timeout, bad request).
    pub failed: u64,
    /// Connections refused at `max-connections`.
    pub refused: u64,
}

/// One source as `tempora status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NtpSourceStatus {
    /// The configured name.
    pub name: String,
    /// The address polled.
    pub address: String,
    /// `active` or `demobilized`.
    pub state: String,
    /// Reachability register (377 octal: the last eight answered).
    pub reach: u8,
    /// Poll interval, log2 s.
    pub poll: i8,
    /// Filtered offset (server − us), ns.
    pub offset_ns: Option<f64>,
    /// Filtered delay, ns.
    pub delay_ns: Option<f64>,
    /// Jitter, ns.
    pub jitter_ns: Option<f64>,
    /// The server's stratum in its last reply.
    pub stratum: Option<u8>,
    /// Survived the last selection.
    pub selected: bool,
    /// The system peer.
    pub system_peer: bool,
    /// Samples from interleaved replies (RFC 9769).
    #[serde(default)]
    pub interleaved_samples: u64,
    /// NTS, for a source with `nts = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nts: Option<NtsStatus>,
}

/// The NTS state of a source, as `tempora status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtsStatus {
    /// Cookies in the stash.
    pub cookies: usize,
    /// Key establishments completed.
    pub key_exchanges: u64,
    /// Replies refused (tampered, forged, replayed or unprotected).
    pub rejected: u64,
    /// NTS NAKs received.
    pub naks: u64,
}

/// Counters of the NTP server (status and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtpServerCounters {
    /// Datagrams received.
    pub received: u64,
    /// Replies sent.
    pub replied: u64,
    /// Datagrams not answered (malformed, not a request, bad version).
    pub ignored: u64,
    /// Replies the socket refused to send.
    pub send_errors: u64,
    /// Requests refused by the access lists.
    #[serde(default)]
    pub denied: u64,
    /// Requests over a client's rate.
    #[serde(default)]
    pub rate_limited: u64,
    /// Kiss-o'-death replies sent (DENY, RATE).
    #[serde(default)]
    pub kisses: u64,
    /// Interleaved replies (RFC 9769) sent.
    #[serde(default)]
    pub interleaved: u64,
    /// NTS-protected replies sent (RFC 8915 §5.7).
    #[serde(default)]
    pub nts_replies: u64,
    /// NTS NAKs sent (cookies that did not open: unknown or expired master
    /// key, or forged; requests that did not authenticate).
    #[serde(default)]
    pub nts_naks: u64,
    /// NTS requests dropped (malformed, placeholders not as long as the
    /// cookie, nonce too short), and plain requests refused under
    /// `require-nts`.
    #[serde(default)]
    pub nts_rejected: u64,
}

impl NtpServerCounters {
    /// Adds `other` to these counters (the worker loops' sum).
    pub fn add(&mut self, other: &NtpServerCounters) {
        self.received += other.received;
        self.replied += other.replied;
        self.ignored += other.ignored;
        self.send_errors += other.send_errors;
        self.denied += other.denied;
        self.rate_limited += other.rate_limited;
        self.kisses += other.kisses;
        self.interleaved += other.interleaved;
        self.nts_replies += other.nts_replies;
        self.nts_naks += other.nts_naks;
        self.nts_rejected += other.nts_rejected;
    }
}

/// The whole status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// clockIdentity.
    pub identity: String,
    /// The ports.
    pub ports: Vec<PortStatus>,
    /// parentPortIdentity.
    pub parent: String,
    /// grandmasterIdentity.
    pub grandmaster: String,
    /// stepsRemoved.
    pub steps_removed: u16,
    /// offsetFromMaster, ns.
    pub offset_from_master_ns: f64,
    /// meanPathDelay, ns.
    pub mean_path_delay_ns: f64,
    /// The servo's state: unlocked, jump, locked.
    pub servo_state: String,
    /// The servo's frequency adjustment, ppb.
    pub frequency_ppb: f64,
    /// system, virtual or the PHC's path.
    pub clock: String,
    /// For the virtual clock: the virtual clock minus CLOCK_REALTIME, in UTC, ns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_vs_system_ns: Option<f64>,
    /// With `sync-system-clock`: the system clock minus its target (the
    /// PHC's time in UTC) at the last comparison, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_clock_offset_ns: Option<f64>,
    /// With `sync-system-clock`: the system clock's frequency adjustment, ppb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_clock_frequency_ppb: Option<f64>,
    /// The NTP sources, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ntp_sources: Vec<NtpSourceStatus>,
    /// The NTP server's counters, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntp_server: Option<NtpServerCounters>,
    /// The NTS-KE server's counters, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nts_ke: Option<NtsKeStatus>,
    /// Offset measurements taken.
    pub measurements: u64,
    /// Seconds since the daemon started.
    pub uptime_s: f64,
}

/// The name of a servo state.
pub fn servo_state_name(s: ServoState) -> &'static str {
    match s {
        ServoState::Unlocked => "unlocked",
        ServoState::Jump => "jump",
        ServoState::Locked => "locked",
    }
}

const TYPE_NAMES: [(usize, &str); 10] = [
    (0x0, "sync"),
    (0x1, "delay_req"),
    (0x2, "pdelay_req"),
    (0x3, "pdelay_resp"),
    (0x8, "follow_up"),
    (0x9, "delay_resp"),
    (0xa, "pdelay_resp_follow_up"),
    (0xb, "announce"),
    (0xc, "signaling"),
    (0xd, "management"),
];

/// The per-port part of the status from the engine; `ports` gives each
/// port's interface and transport.
pub fn port_statuses(engine: &PtpInstance, ports: &[(String, String)]) -> Vec<PortStatus> {
    (0..engine.port_count())
        .map(|i| {
            let ds = engine.port_ds(i);
            let counters = engine.port_counters(i).copied().unwrap_or_default();
            let named = |v: &[u64; 16]| {
                TYPE_NAMES
                    .iter()
                    .map(|(t, n)| (n.to_string(), v[*t]))
                    .collect()
            };
            PortStatus {
                number: ds.map(|d| d.port_identity.port_number).unwrap_or(0),
                interface: ports.get(i).map(|p| p.0.clone()).unwrap_or_default(),
                transport: ports.get(i).map(|p| p.1.clone()).unwrap_or_default(),
                state: ds
                    .map(|d| d.port_state)
                    .unwrap_or(PortState::Faulty)
                    .name()
                    .to_string(),
                rx: named(&counters.rx),
                tx: named(&counters.tx),
                rx_errors: counters.rx_errors,
                residence_count: counters.residence_count,
                residence_mean_ns: (counters.residence_count > 0).then(|| {
                    counters.residence_total.as_nanos_f64() / counters.residence_count as f64
                }),
                residence_max_ns: (counters.residence_count > 0)
                    .then(|| counters.residence_max.as_nanos_f64()),
            }
        })
        .collect()
}

impl Status {
    /// The Prometheus text exposition of the status (names follow the
    /// Prometheus conventions: a `tempora_` prefix, units in the names).
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut gauge = |name: &str, help: &str, value: f64| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        };
        gauge(
            "tempora_ptp_offset_from_master_seconds",
            "Offset from the master (offsetFromMaster).",
            self.offset_from_master_ns * 1e-9,
        );
        gauge(
            "tempora_ptp_mean_path_delay_seconds",
            "Mean path delay to the master (meanPathDelay).",
            self.mean_path_delay_ns * 1e-9,
        );
        gauge(
            "tempora_ptp_steps_removed",
            "Communication paths to the grandmaster (stepsRemoved).",
            f64::from(self.steps_removed),
        );
        gauge(
            "tempora_clock_frequency_adjustment_ppb",
            "The servo's frequency adjustment, parts per billion.",
            self.frequency_ppb,
        );
        gauge(
            "tempora_servo_locked",
            "1 when the servo is locked.",
            if self.servo_state == "locked" {
                1.0
            } else {
                0.0
            },
        );
        if let Some(e) = self.error_vs_system_ns {
            gauge(
                "tempora_virtual_clock_error_seconds",
                "The virtual clock minus CLOCK_REALTIME.",
                e * 1e-9,
            );
        }
        if let Some(o) = self.system_clock_offset_ns {
            gauge(
                "tempora_system_clock_offset_seconds",
                "The system clock minus the PHC's time in UTC (sync-system-clock).",
                o * 1e-9,
            );
        }
        if let Some(f) = self.system_clock_frequency_ppb {
            gauge(
                "tempora_system_clock_frequency_adjustment_ppb",
                "The system clock's frequency adjustment (sync-system-clock).",
                f,
            );
        }
        gauge(
            "tempora_uptime_seconds",
            "Seconds since the daemon started.",
            self.uptime_s,
        );
        out.push_str("# HELP tempora_servo_measurements_total Offset measurements handed to the servo.\n# TYPE tempora_servo_measurements_total counter\n");
        out.push_str(&format!(
            "tempora_servo_measurements_total {}\n",
            self.measurements
        ));
        out.push_str("# HELP tempora_ptp_port_state Port state (1 for the current state).\n# TYPE tempora_ptp_port_state gauge\n");
        for p in &self.ports {
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
            for p in &self.ports {
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
        for p in &self.ports {
            let sum = p.residence_mean_ns.unwrap_or(0.0) * p.residence_count as f64 * 1e-9;
            out.push_str(&format!(
                "tempora_ptp_residence_time_seconds_sum{{port=\"{}\"}} {sum}\ntempora_ptp_residence_time_seconds_count{{port=\"{}\"}} {}\n",
                p.number, p.number, p.residence_count
            ));
        }
        if let Some(n) = self.ntp_server {
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
            ] {
                counter(&mut out, "ntp_server", name, help, v);
            }
        }
        if let Some(k) = self.nts_ke {
            for (name, help, v) in [
                ("completed", "NTS key exchanges completed.", k.completed),
                ("failed", "NTS-KE connections that failed.", k.failed),
                (
                    "refused",
                    "NTS-KE connections refused at the bound.",
                    k.refused,
                ),
            ] {
                counter(&mut out, "nts_ke", name, help, v);
            }
        }
        out.push_str("# HELP tempora_ptp_receive_errors_total PTP messages dropped on receipt.\n# TYPE tempora_ptp_receive_errors_total counter\n");
        for p in &self.ports {
            out.push_str(&format!(
                "tempora_ptp_receive_errors_total{{port=\"{}\"}} {}\n",
                p.number, p.rx_errors
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Status {
        Status {
            identity: "020000.fffe.000001".into(),
            ports: vec![PortStatus {
                number: 1,
                interface: "veth0".into(),
                transport: "udp4".into(),
                state: "SLAVE".into(),
                rx: vec![("sync".into(), 10), ("announce".into(), 5)],
                tx: vec![("delay_req".into(), 9)],
                rx_errors: 1,
                residence_count: 4,
                residence_mean_ns: Some(25_000.0),
                residence_max_ns: Some(40_000.0),
            }],
            parent: "2ef8ca.fffe.92c843-1".into(),
            grandmaster: "2ef8ca.fffe.92c843".into(),
            steps_removed: 1,
            offset_from_master_ns: -120.0,
            mean_path_delay_ns: 2100.0,
            servo_state: "locked".into(),
            frequency_ppb: -12345.5,
            clock: "virtual".into(),
            error_vs_system_ns: Some(-35.0),
            system_clock_offset_ns: None,
            system_clock_frequency_ppb: None,
            ntp_sources: Vec::new(),
            ntp_server: Some(NtpServerCounters {
                received: 10,
                replied: 8,
                ignored: 2,
                send_errors: 0,
                ..Default::default()
            }),
            nts_ke: None,
            measurements: 42,
            uptime_s: 61.0,
        }
    }

    #[test]
    fn json_carries_every_field() {
        let v: serde_json::Value = serde_json::to_value(sample()).unwrap();
        for key in [
            "identity",
            "ports",
            "parent",
            "grandmaster",
            "steps_removed",
            "offset_from_master_ns",
            "mean_path_delay_ns",
            "servo_state",
            "frequency_ppb",
            "clock",
            "error_vs_system_ns",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["ports"][0]["state"], "SLAVE");
    }

    #[test]
    fn prometheus_exposition() {
        let text = sample().prometheus();
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
