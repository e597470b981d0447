//! Tests of the whole exposition ([`crate::prometheus::render`]) of a status
//! with every section filled: the Prometheus naming conventions
//! (<https://prometheus.io/docs/practices/naming/>) as checked here, and
//! Prometheus' own linter, `promtool check metrics` (Debian package
//! `prometheus`; skipped with one line when missing, a failure under
//! CI=true, where .ci/run installs it).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::status::{NtpSourceStatus, NtsKeStatus, Status};

/// Units that are not base units, as name segments (`_ppb`, `_ms`, …):
/// the conventions want seconds, bytes, ratios.
const NOT_BASE_UNITS: [&str; 16] = [
    "ppb",
    "ppm",
    "percent",
    "ns",
    "us",
    "ms",
    "nanoseconds",
    "microseconds",
    "milliseconds",
    "minutes",
    "hours",
    "days",
    "bits",
    "kilobytes",
    "megabytes",
    "kb",
];

/// `(name, type)` of every family the text declares.
fn families(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect()
}

/// What the conventions find wrong with the families of `text`.
fn problems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, kind) in families(text) {
        let mut flag = |what: &str| out.push(format!("{name}: {what}"));
        if !name.starts_with("tempora_") {
            flag("no tempora_ prefix");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            flag("not snake_case");
        }
        if (kind == "counter") != name.ends_with("_total") {
            flag("counters, and only counters, end in _total");
        }
        if let Some(unit) = name.split('_').find(|s| NOT_BASE_UNITS.contains(s)) {
            flag(&format!("{unit} is not a base unit"));
        }
    }
    out
}

/// The sample status with every optional section filled: NTP sources (one
/// on the NTPv5 draft), NTS-KE counters, system clock synchronisation and
/// a port with authentication failures.
fn full_status() -> Status {
    let mut s = crate::status::tests::sample();
    let source = |extra: &str| -> NtpSourceStatus {
        let base = r#""name":"a","address":"192.0.2.1:123","state":"active","reach":255,
            "poll":6,"offset_ns":1500.0,"delay_ns":null,"jitter_ns":null,"stratum":1,
            "selected":true,"system_peer":true"#;
        serde_json::from_str(&format!("{{{base}{extra}}}")).unwrap()
    };
    s.ntp_sources = vec![
        source(""),
        source(r#","ntp_version":5,"draft":"draft-ietf-ntp-ntpv5-08""#),
    ];
    s.nts_ke = Some(NtsKeStatus::default());
    s.system_clock_offset_ns = Some(-250.0);
    s.system_clock_frequency_ppb = Some(12.5);
    s.ports[0].rx_auth_failures = 2;
    s
}

/// `promtool check metrics` on `text`: `Some((exit code, what it printed))`,
/// or `None` (with one line) when promtool is missing outside CI.
fn promtool(text: &str) -> Option<(i32, String)> {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(!ci, "promtool: {e} (Debian package prometheus)");
            eprintln!("skipped: no promtool ({e}; Debian package prometheus)");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.code().unwrap_or(-1), said))
}

#[test]
fn every_family_follows_the_naming_conventions() {
    let text = crate::prometheus::render(&full_status());
    let problems = problems(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every section rendered something.
    let names: Vec<&str> = families(&text).into_iter().map(|(n, _)| n).collect();
    for want in [
        "tempora_clock_frequency_adjustment_ratio",
        "tempora_system_clock_frequency_adjustment_ratio",
        "tempora_ntp_source_offset_seconds",
        "tempora_nts_ke_completed_total",
        "tempora_ptp_auth_failures_total",
        "tempora_refclock_offset_seconds",
        "tempora_holdover_budget_seconds",
        "tempora_roughtime_server_replies_total",
        "tempora_csptp_source_delay_seconds",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    // The ratio is the servo's ppb scaled to 1.
    let ratio: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("tempora_clock_frequency_adjustment_ratio "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((ratio - -12_345.5e-9).abs() < 1e-15, "{ratio}");
}

#[test]
fn a_name_against_the_conventions_is_found() {
    let bad = "# TYPE tempora_drift_ppb gauge\n# TYPE tempora_hits counter\n\
               # TYPE tempora_level_total gauge\n# TYPE other_seconds gauge\n";
    assert_eq!(
        problems(bad),
        [
            "tempora_drift_ppb: ppb is not a base unit",
            "tempora_hits: counters, and only counters, end in _total",
            "tempora_level_total: counters, and only counters, end in _total",
            "other_seconds: no tempora_ prefix",
        ]
    );
}

#[test]
fn promtool_accepts_the_whole_exposition() {
    let text = crate::prometheus::render(&full_status());
    if let Some((code, said)) = promtool(&text) {
        assert_eq!((code, said.as_str()), (0, ""), "{text}");
    }
}

#[test]
fn promtool_rejects_a_counter_without_total() {
    let bad = "# HELP tempora_hits Hits.\n# TYPE tempora_hits counter\ntempora_hits 1\n";
    if let Some((code, said)) = promtool(bad) {
        assert_ne!(code, 0, "{said}");
        assert!(said.contains("_total"), "{said}");
    }
}
