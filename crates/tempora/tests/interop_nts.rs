//! NTS interop (issue #7): `tempora query --nts` against chronyd as an NTS
//! server (`ntsserverkey`, `ntsservercert`, `local stratum 1`, `-x`) in a
//! network namespace, with a test CA made by openssl.
//!
//! Needs root, chrony and openssl; skipped without them, except under
//! CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

/// `tempora query --nts --json` of `server` from namespace 1, retried
/// while chronyd starts.
fn nts_query(lab: &Lab, server: &str, ca: Option<&str>) -> (bool, serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut args = vec!["query", "--json", "--timeout", "2", "--nts"];
        if let Some(ca) = ca {
            args.extend_from_slice(&["--ca-file", ca]);
        }
        args.push(server);
        let out = lab.run(1, env!("CARGO_BIN_EXE_tempora"), &args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let refused = v[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused"));
        if out.status.success() || Instant::now() > deadline || !refused {
            return (out.status.success(), v);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Issue #7 point 3: `tempora query --nts` runs NTS-KE with chronyd (TLS
/// 1.3, ALPN ntske/1, keys from the exporter) and an NTS-protected
/// exchange whose reply authenticates; without the test CA the
/// certificate is refused.
#[test]
fn tempora_query_nts_against_chronyd() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("ts", 2);
    let (ca, cert, key) = lab.pki("10.79.0.1");
    lab.chronyd(
        "server",
        0,
        &format!("local stratum 1\nallow all\nntsserverkey {key}\nntsservercert {cert}\n"),
    );
    let (ok, v) = nts_query(&lab, "10.79.0.1", Some(&ca));
    eprintln!("tempora query --nts: {v}");
    assert!(ok, "{v}");
    assert_eq!(v[0]["nts"], true, "{v}");
    assert_eq!(v[0]["stratum"], 1, "{v}");
    let offset = v[0]["offset_s"].as_f64().unwrap();
    assert!(offset.abs() < 1e-3, "{v}");
    // The same without the CA: the certificate is not trusted.
    let (ok, v) = nts_query(&lab, "10.79.0.1", None);
    eprintln!("without the CA: {v}");
    assert!(!ok, "{v}");
    let e = v[0]["error"].as_str().unwrap_or_default();
    assert!(
        e.contains("certificate") || e.contains("Certificate"),
        "{v}"
    );
}
