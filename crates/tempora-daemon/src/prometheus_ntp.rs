//! The NTP sources in the Prometheus text format, for
//! [`crate::prometheus`]: per source the version in use (with the NTPv5
//! draft as a label), the timing-loop flag, reach and offset.

use crate::status::NtpSourceStatus;

/// A per-source gauge: its name, help and how to read it.
type PerSource = (&'static str, &'static str, fn(&NtpSourceStatus) -> f64);

/// The gauges of the NTP sources (nothing without sources).
pub(crate) fn ntp_sources(out: &mut String, sources: &[NtpSourceStatus]) {
    if sources.is_empty() {
        return;
    }
    let gauges: [PerSource; 4] = [
        (
            "version",
            "NTP version in use with the source (5: the NTPv5 draft named by the draft label).",
            |s| f64::from(s.ntp_version),
        ),
        (
            "timing_loop",
            "1 when the source's reference ids include ours (a timing loop, never selected).",
            |s| f64::from(u8::from(s.timing_loop)),
        ),
        (
            "reach",
            "Reachability register of the NTP source (255: the last eight answered).",
            |s| f64::from(s.reach),
        ),
        (
            "offset_seconds",
            "Filtered offset of the NTP source (server minus us).",
            |s| s.offset_ns.map_or(f64::NAN, |ns| ns * 1e-9),
        ),
    ];
    for (name, help, f) in gauges {
        let name = format!("tempora_ntp_source_{name}");
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for s in sources {
            out.push_str(&format!("{name}{{{}}} {}\n", labels(s), f(s)));
        }
    }
}

/// A source's labels: its address, and the draft with NTPv5.
fn labels(s: &NtpSourceStatus) -> String {
    match &s.draft {
        Some(d) => format!("source=\"{}\",draft=\"{d}\"", s.address),
        None => format!("source=\"{}\"", s.address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(json: &str) -> NtpSourceStatus {
        let base = r#""name":"a","address":"192.0.2.1:123","state":"active","reach":255,
            "poll":6,"offset_ns":1500.0,"delay_ns":null,"jitter_ns":null,"stratum":1,
            "selected":false,"system_peer":false"#;
        serde_json::from_str(&format!("{{{base}{json}}}")).unwrap()
    }

    #[test]
    fn version_draft_and_loop_per_source() {
        let v5 = source(r#","ntp_version":5,"draft":"draft-ietf-ntp-ntpv5-08","timing_loop":true"#);
        let v4 = source("");
        assert_eq!(v4.ntp_version, 4, "an old status reads as NTPv4");
        let mut out = String::new();
        ntp_sources(&mut out, &[v5, v4]);
        assert!(out.contains(
            "tempora_ntp_source_version{source=\"192.0.2.1:123\",draft=\"draft-ietf-ntp-ntpv5-08\"} 5\n"
        ), "{out}");
        assert!(
            out.contains("tempora_ntp_source_version{source=\"192.0.2.1:123\"} 4\n"),
            "{out}"
        );
        assert!(out.contains(
            "tempora_ntp_source_timing_loop{source=\"192.0.2.1:123\",draft=\"draft-ietf-ntp-ntpv5-08\"} 1\n"
        ), "{out}");
        assert!(
            out.contains("tempora_ntp_source_offset_seconds{source=\"192.0.2.1:123\"} 0.0000015\n"),
            "{out}"
        );
        let mut none = String::new();
        ntp_sources(&mut none, &[]);
        assert!(none.is_empty());
    }
}
