//! `tempora ctl` against a running daemon whose NTP source is chronyd
//! (`-x`, in a network namespace): a burst polls at once, a source added
//! at runtime is polled and selected like a configured one, offline and
//! online, makestep and remove-source take effect, each visible in
//! `tempora sources` and `tempora status`.
//!
//! Needs root, chrony and ntpsec-ntpdate; skipped without them, except
//! under CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

/// `tempora ARGS --socket` of the daemon `name`, in namespace 1.
fn tempora(lab: &Lab, name: &str, args: &[&str]) -> std::process::Output {
    let socket = lab.path(&format!("{name}.sock"));
    let mut all = args.to_vec();
    all.extend(["--socket", &socket]);
    lab.run(1, env!("CARGO_BIN_EXE_tempora"), &all)
}

/// `tempora ctl ARGS`, which must succeed.
fn ctl(lab: &Lab, args: &[&str]) -> String {
    let mut all = vec!["ctl"];
    all.extend_from_slice(args);
    let out = tempora(lab, "client", &all);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "tempora ctl {args:?}: {text}");
    text
}

/// The row of `name` in `tempora sources --json`.
fn source(lab: &Lab, name: &str) -> Option<serde_json::Value> {
    let out = tempora(lab, "client", &["sources", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    rows.as_array()?.iter().find(|r| r["name"] == name).cloned()
}

/// Waits up to `secs` for the row of `name` to satisfy `done`; returns it.
fn wait_source(
    lab: &Lab,
    name: &str,
    secs: u64,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let row = source(lab, name);
        if let Some(r) = row.as_ref().filter(|r| done(r)) {
            return r.clone();
        }
        assert!(Instant::now() < deadline, "{name}: {row:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The number of answered polls among the last eight.
fn answered(row: &serde_json::Value) -> u32 {
    row["reach"].as_u64().unwrap_or(0).count_ones()
}

#[test]
fn ctl_burst_add_offline_makestep_and_remove_against_chronyd() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("cc", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    // The client polls once at start: chronyd must be answering by then.
    lab.wait_ntp_server(1, "10.79.0.1");
    // Polled once at start, then every 64 s: only a burst polls sooner.
    lab.tempora(
        "client",
        1,
        "[clock]\nkind = \"virtual\"\n\n[[ntp-source]]\naddress = \"10.79.0.1\"\n\
         minpoll = 6\nmaxpoll = 6\niburst = false\n",
    );
    let v4 = "ntp:10.79.0.1:123";
    let first = wait_source(&lab, v4, 10, |r| answered(r) == 1);
    assert_eq!(first["kind"], "ntp", "{first}");
    assert_eq!(first["stratum"], 1, "{first}");

    let started = Instant::now();
    let text = ctl(&lab, &["burst"]);
    assert!(text.contains("1 NTP sources polled in a burst"), "{text}");
    let row = wait_source(&lab, v4, 12, |r| answered(r) >= 4);
    eprintln!("after the burst ({:?}): {row}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(12));

    // A source added at runtime, polled every second.
    let v6 = "ntp:[fd79::1]:123";
    assert!(source(&lab, v6).is_none());
    let text = ctl(&lab, &["add-source", "[fd79::1]:123", "--poll", "0"]);
    assert!(text.contains("not written to the configuration"), "{text}");
    let row = wait_source(&lab, v6, 10, |r| {
        answered(r) >= 3 && r["offset_ns"].is_number()
    });
    eprintln!("added at runtime: {row}");
    assert_eq!(row["poll"], 0, "{row}");
    assert!(row["offset_ns"].as_f64().unwrap().abs() < 1e6, "{row}");
    // The same address again is refused.
    let out = tempora(&lab, "client", &["ctl", "add-source", "[fd79::1]:123"]);
    assert_eq!(out.status.code(), Some(1));

    // A system peer to step to: makestep steps the clock once more.
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        let s = lab.status("client").unwrap_or_default();
        if s["selected_source"].is_string() && s["tracking"]["system_offset_ns"].is_number() {
            break s;
        }
        assert!(Instant::now() < deadline, "nothing selected: {s}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = tempora(&lab, "client", &["sources"]);
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("* ntp")).count(),
        1,
        "one system peer: {text}"
    );
    assert!(text.contains("ntp:[fd79::1]:123"), "{text}");
    let out = tempora(&lab, "client", &["tracking"]);
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(text.contains("Stratum         : 2"), "{text}");
    let steps = status["steps"].as_u64().unwrap();
    let text = ctl(&lab, &["makestep"]);
    assert!(text.contains("clock stepped by"), "{text}");
    let after = lab.status("client").unwrap_or_default();
    assert_eq!(after["steps"].as_u64(), Some(steps + 1), "{text}");

    // Offline: the IPv4 source is no longer polled; online again.
    ctl(&lab, &["offline", "10.79.0.1"]);
    let row = wait_source(&lab, v4, 2, |r| r["state"] == "offline");
    assert!(row["reason"].as_str().unwrap().contains("offline"), "{row}");
    ctl(&lab, &["online", "10.79.0.1"]);
    wait_source(&lab, v4, 2, |r| r["state"] != "offline");

    // Removed: gone from the selection; an unknown source is an error.
    let text = ctl(&lab, &["remove-source", v6]);
    assert!(text.contains("removed (1 associations)"), "{text}");
    assert!(source(&lab, v6).is_none());
    let out = tempora(&lab, "client", &["ctl", "remove-source", v6]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no NTP source"));
    let counters = &lab.status("client").unwrap_or_default()["control"];
    assert_eq!(counters["applied"], 6, "{counters}");
    assert_eq!(counters["failed"], 2, "{counters}");
    eprintln!("whole test: {:?}", started.elapsed());
}
