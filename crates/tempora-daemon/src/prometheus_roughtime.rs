//! The Prometheus metrics of Roughtime: the server's counters (drops by
//! reason) and, after start-up, each `[[roughtime-source]]`'s midpoint
//! offset and radius and whether a server was caught lying. Rendered with
//! the rest by [`crate::prometheus::render`].

use crate::prometheus_gauge::gauge;
use crate::roughtime_status::{RoughtimeServerCounters, RoughtimeStartup};
use crate::status::Status;

/// Appends the Roughtime metrics of `status`.
pub fn render(out: &mut String, status: &Status) {
    if let Some(s) = &status.roughtime_server {
        server(out, s);
    }
    if let Some(r) = &status.roughtime {
        startup(out, r);
    }
}

fn counter(out: &mut String, name: &str, help: &str, v: u64) {
    out.push_str(&format!(
        "# HELP tempora_roughtime_server_{name}_total {help}\n# TYPE tempora_roughtime_server_{name}_total counter\ntempora_roughtime_server_{name}_total {v}\n"
    ));
}

fn server(out: &mut String, s: &RoughtimeServerCounters) {
    for (name, help, v) in [
        (
            "requests",
            "Datagrams received by the Roughtime server.",
            s.requests,
        ),
        ("replies", "Roughtime replies sent.", s.replies),
        (
            "batches",
            "Roughtime batches signed (one signature each).",
            s.batches,
        ),
        (
            "denied",
            "Roughtime requests refused by the access lists.",
            s.denied,
        ),
        (
            "rate_limited",
            "Roughtime requests over their client's rate.",
            s.rate_limited,
        ),
        (
            "send_errors",
            "Roughtime replies the socket refused to send.",
            s.send_errors,
        ),
        (
            "online_keys",
            "Roughtime online keys delegated.",
            s.online_keys,
        ),
    ] {
        counter(out, name, help, v);
    }
    let name = "tempora_roughtime_server_dropped_total";
    out.push_str(&format!(
        "# HELP {name} Roughtime requests dropped, by reason.\n# TYPE {name} counter\n"
    ));
    for (reason, n) in &s.dropped {
        out.push_str(&format!("{name}{{reason=\"{reason}\"}} {n}\n"));
    }
}

/// A per-source gauge: its name, help and how to read it.
type PerSource = (
    &'static str,
    &'static str,
    fn(&crate::roughtime_status::RoughtimeSourceStatus) -> Option<f64>,
);

fn startup(out: &mut String, r: &RoughtimeStartup) {
    let per_source: [PerSource; 2] = [
        (
            "tempora_roughtime_source_offset_seconds",
            "A Roughtime source's midpoint minus the clock at start-up.",
            |s| s.offset_s,
        ),
        (
            "tempora_roughtime_source_radius_seconds",
            "A Roughtime source's radius at start-up.",
            |s| s.radius_s,
        ),
    ];
    for (name, help, read) in per_source {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for s in &r.sources {
            let v = read(s).map_or("NaN".to_string(), |v| v.to_string());
            out.push_str(&format!(
                "{name}{{source=\"{}\",version=\"{}\"}} {v}\n",
                s.name, s.version
            ));
        }
    }
    gauge(
        out,
        "tempora_roughtime_agreeing_sources",
        "Roughtime sources agreeing at start-up.",
        r.agreeing as f64,
    );
    gauge(
        out,
        "tempora_roughtime_malfeasance",
        "1 when a Roughtime server was caught lying at start-up (see tempora status).",
        f64::from(u8::from(r.malfeasance.is_some())),
    );
}

#[cfg(test)]
mod tests {
    use crate::roughtime_status::*;

    #[test]
    fn counters_and_sources_are_rendered() {
        let mut out = String::new();
        super::server(
            &mut out,
            &RoughtimeServerCounters {
                replies: 5,
                dropped: [("undersized".to_string(), 2)].into(),
                ..Default::default()
            },
        );
        super::startup(
            &mut out,
            &RoughtimeStartup {
                sources: vec![RoughtimeSourceStatus {
                    name: "a:2002".into(),
                    address: None,
                    version: "rfc".into(),
                    verified: false,
                    midpoint_s: None,
                    radius_s: None,
                    rtt_s: None,
                    offset_s: None,
                    error: Some("timeout".into()),
                }],
                agreeing: 0,
                consensus_offset_s: None,
                stepped_s: None,
                outcome: "no reply".into(),
                malfeasance: None,
            },
        );
        assert!(
            out.contains("tempora_roughtime_server_replies_total 5\n"),
            "{out}"
        );
        assert!(out.contains("tempora_roughtime_server_dropped_total{reason=\"undersized\"} 2\n"));
        assert!(out.contains(
            "tempora_roughtime_source_offset_seconds{source=\"a:2002\",version=\"rfc\"} NaN\n"
        ));
        assert!(out.contains("tempora_roughtime_malfeasance 0\n"));
    }
}
