//! Tests of the whole exposition ([`crate::prometheus::render`]) of a status
//! with every section filled: the Prometheus naming conventions
//! (<https://prometheus.io/docs/practices/naming/>) as checked here, and
//! Prometheus' own linter, `promtool check metrics` (Debian package
//! `prometheus`; skipped with one line when missing, a failure under
//! CI=true, where .ci/run installs it). And the documents against it:
//! docs/metrics.md lists every family, and no page of docs/, sample
//! configuration or tempora.toml(5) names a metric that does not exist.

use std::io::Write;
use std::path::{Path, PathBuf};
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

/// Names given up for the conventions, `(old, new)`: docs/metrics.md
/// lists them (the only document that may still name the old ones).
const RENAMED: [(&str, &str); 2] = [
    (
        "tempora_clock_frequency_adjustment_ppb",
        "tempora_clock_frequency_adjustment_ratio",
    ),
    (
        "tempora_system_clock_frequency_adjustment_ppb",
        "tempora_system_clock_frequency_adjustment_ratio",
    ),
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

/// The sample status with every optional section filled: the selection's
/// sources, NTP sources (one on the NTPv5 draft), NTS-KE counters, system clock synchronisation and
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
    s.sources = vec![crate::status::SourceStatus {
        name: "ntp:192.0.2.1:123".into(),
        kind: "ntp".into(),
        selection: "selected".into(),
        offset_ns: Some(1500.0),
        delay_ns: Some(300.0),
        frequency_ppb: Some(-12.5),
        frequency_sigma_ppb: Some(2.0),
        falseticker_run: 0,
        delay_rejected: 0,
        options: Default::default(),
    }];
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

/// The file at `rel` from the workspace root.
fn workspace(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// Whether `c` continues a metric name.
fn name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// The metric names `text` names: whole words `tempora_…`, alone or with
/// labels (`name{reason}`, `name{port="1"}`). Patterns are left out: a
/// name followed by `*` or `::` (a Rust path) or by a brace expansion
/// (`…_{offset,delay}_seconds`), or ending in `_`; and file names
/// (`tempora_0.1.0-1_amd64.deb`).
fn named_metrics(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("tempora_") {
        if text[..i].chars().next_back().is_some_and(name_char) {
            continue;
        }
        let rest = &text[i..];
        let end = rest.find(|c| !name_char(c)).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        let expansion = after.strip_prefix('{').is_some_and(|a| {
            let inner = &a[..a.find('}').unwrap_or(a.len())];
            inner.contains(',') && !inner.contains('=')
        });
        let version = name["tempora_".len()..].starts_with(|c: char| c.is_ascii_digit());
        let pattern = after.starts_with(['*', ':']) || expansion || name.ends_with('_') || version;
        if !pattern {
            out.push(name);
        }
    }
    out
}

/// Words of the form `tempora_…` that are not metrics: the workspace's
/// crates as Rust names (`tempora_ntp`) and the functions of its
/// integration tests (`tempora_client_follows_chronyd`, named in docs).
fn not_metrics() -> Vec<String> {
    let mut out = Vec::new();
    for krate in std::fs::read_dir(workspace("crates")).unwrap() {
        let krate = krate.unwrap();
        out.push(krate.file_name().to_string_lossy().replace('-', "_"));
        let Ok(tests) = std::fs::read_dir(krate.path().join("tests")) else {
            continue;
        };
        for test in tests {
            let text = std::fs::read_to_string(test.unwrap().path()).unwrap_or_default();
            for (i, _) in text.match_indices("fn tempora_") {
                let rest = &text[i + 3..];
                let end = rest.find(|c| !name_char(c)).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

/// The documents that name metrics: docs/*.md, configs/*.toml and the
/// man page, with their text.
fn documents() -> Vec<(PathBuf, String)> {
    let mut paths = vec![workspace("packaging/tempora.toml.5")];
    for dir in ["docs", "configs"] {
        for e in std::fs::read_dir(workspace(dir)).unwrap() {
            paths.push(e.unwrap().path());
        }
    }
    paths
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "md" || e == "toml" || e == "5")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

#[test]
fn the_metrics_page_lists_every_family() {
    let text = crate::prometheus::render(&full_status());
    let page = std::fs::read_to_string(workspace("docs/metrics.md")).unwrap();
    let missing: Vec<&str> = families(&text)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| !page.contains(&format!("| `{n}` |")))
        .collect();
    assert!(missing.is_empty(), "docs/metrics.md lacks {missing:?}");
    for (old, new) in RENAMED {
        assert!(page.contains(&format!("`{old}`")) && page.contains(&format!("`{new}`")));
    }
}

#[test]
fn no_document_names_a_metric_that_does_not_exist() {
    let text = crate::prometheus::render(&full_status());
    let known: Vec<&str> = families(&text).into_iter().map(|(n, _)| n).collect();
    let others = not_metrics();
    let mut unknown = Vec::new();
    let mut checked = 0;
    for (path, doc) in documents() {
        let metrics_page = path.ends_with("docs/metrics.md");
        for name in named_metrics(&doc) {
            let renamed = RENAMED.iter().any(|(old, _)| *old == name);
            if known.contains(&name) || (metrics_page && renamed) {
                checked += 1;
            } else if !others.iter().any(|c| c == name) {
                unknown.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "no such metric:\n{}",
        unknown.join("\n")
    );
    assert!(checked > known.len(), "{checked} names checked");
}

#[test]
fn names_and_patterns_are_told_apart() {
    let text = "`tempora_a_total{reason}` and tempora_b_seconds, \
                `tempora_c_{x,y}_seconds`, `tempora_d_*_total`, tempora_ntp::server, \
                `tempora_e{port=\"1\",type=\"sync\"} 3`, xtempora_f, tempora_0.1.0.deb";
    assert_eq!(
        named_metrics(text),
        ["tempora_a_total", "tempora_b_seconds", "tempora_e"]
    );
}
