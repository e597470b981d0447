//! NTP interop (issue #6, point 4): `tempora query` against chronyd as a
//! server (`local stratum 1`, `-x`) in a network namespace, over IPv4 and
//! IPv6, beside ntpdig asking the same server. Both share the system clock
//! with the server, so the offsets must be near zero, and both tools must
//! agree on the stratum and leap indicator.
//!
//! Needs root, chrony and ntpsec-ntpdate; skipped without them, except
//! under CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

/// `tempora query --json` of `servers` from namespace `ns`, retried until
/// chronyd answers (it takes a moment to start).
fn query(lab: &Lab, ns: usize, servers: &[&str]) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut args = vec!["query", "--json", "--timeout", "1"];
        args.extend_from_slice(servers);
        let out = lab.run(ns, env!("CARGO_BIN_EXE_tempora"), &args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if out.status.success() || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn tempora_query_against_chronyd_beside_ntpdig() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("nq", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    let v = query(&lab, 1, &["10.79.0.1", "[fd79:0::1]:123"]);
    let answers = v.as_array().expect("a JSON array");
    assert_eq!(answers.len(), 2, "{v}");
    for a in answers {
        assert!(a.get("error").is_none(), "{v}");
        let offset = a["offset_s"].as_f64().unwrap();
        let delay = a["delay_s"].as_f64().unwrap();
        eprintln!(
            "tempora query {}: offset {:+.1} µs, delay {:.1} µs, stratum {}, refid {}",
            a["address"],
            offset * 1e6,
            delay * 1e6,
            a["stratum"],
            a["refid"]
        );
        assert!(offset.abs() < 1e-3, "{a}");
        assert!((0.0..0.01).contains(&delay), "{a}");
        assert_eq!(a["stratum"], 1, "{a}");
        assert_eq!(a["leap"], "none", "{a}");
        assert!(a["precision_log2_s"].as_i64().unwrap() < -10, "{a}");
    }
    // ntpdig against the same server.
    let out = lab.run(1, "ntpdig", &["-j", "10.79.0.1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let ntpdig: serde_json::Value = serde_json::from_str(text.lines().next().unwrap_or(""))
        .unwrap_or_else(|e| panic!("ntpdig: {e}: {text}"));
    eprintln!("ntpdig: {ntpdig}");
    assert_eq!(ntpdig["stratum"], answers[0]["stratum"], "{ntpdig}");
    assert_eq!(ntpdig["leap"], "no-leap", "{ntpdig}");
    let theirs = ntpdig["offset"].as_f64().unwrap();
    let ours = answers[0]["offset_s"].as_f64().unwrap();
    assert!(
        (theirs - ours).abs() < 1e-3,
        "ntpdig {theirs}, tempora {ours}"
    );

    // No server: a clear error and exit status 1.
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["query", "--timeout", "0.5", "10.79.0.2:9"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reply from 10.79.0.2:9"), "{err}");
}
