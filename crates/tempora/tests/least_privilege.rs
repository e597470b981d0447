//! The daemon gives up its privileges once everything is open: it runs as
//! the configured user (here `nobody`) with only the capabilities its
//! configuration needs (none for a virtual clock), no-new-privileges set,
//! and the seccomp filter on; and it still works: a Tempora NTP server on
//! port 123 (bound before the drop) serves a Tempora client, which
//! disciplines its (virtual) clock to it through sockets it opens after
//! its own drop. Needs root and network namespaces; skipped otherwise, a
//! failure under CI=true.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::Lab;

/// Whether the test can run here (root, `ip`, a `nobody` user).
fn available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let ip = std::process::Command::new("ip").arg("-V").output().is_ok();
    let nobody = std::fs::read_to_string("/etc/passwd").is_ok_and(|p| p.contains("\nnobody:"));
    if root && ip && nobody {
        return true;
    }
    assert!(
        !ci,
        "least-privilege test needs root, ip and a nobody user (root {root}, ip {ip}, nobody {nobody})"
    );
    eprintln!("skipped: needs root, ip and a nobody user");
    false
}

/// The fields of /proc/PID/status.
fn proc_status(pid: u32) -> HashMap<String, String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// The uid, the capabilities and the filter as the kernel reports them.
fn assert_confined(lab: &Lab, name: &str) {
    let pid = lab.pid(name).expect("started");
    let st = proc_status(pid);
    let uid = st.get("Uid").cloned().unwrap_or_default();
    assert!(
        uid.split_whitespace().all(|u| u == "65534"),
        "{name}: Uid {uid:?} (want nobody's 65534 for real, effective, saved, fs)"
    );
    for set in ["CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"] {
        assert_eq!(
            st.get(set).map(String::as_str),
            Some("0000000000000000"),
            "{name}: {set} (a virtual clock needs no capability)"
        );
    }
    assert_eq!(
        st.get("NoNewPrivs").map(String::as_str),
        Some("1"),
        "{name}"
    );
    assert_eq!(st.get("Seccomp").map(String::as_str), Some("2"), "{name}");
    // Every thread, not only the main one.
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    for task in tasks {
        let tid = task.unwrap().file_name().into_string().unwrap();
        let t = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).unwrap();
        assert!(t.contains("\nSeccomp:\t2\n"), "{name} thread {tid}: {t}");
        assert!(
            t.contains("\nCapEff:\t0000000000000000\n"),
            "{name} thread {tid}: {t}"
        );
    }
}

#[test]
fn daemon_runs_as_nobody_without_capabilities_and_still_serves_and_follows() {
    if !available() {
        return;
    }
    let mut lab = Lab::chain("lp", 2);
    let state = lab.path("state/server.freq");
    lab.tempora(
        "server",
        0,
        &format!(
            "[clock]\nkind = \"virtual\"\nfrequency-file = \"{state}\"\n\n\
             [ntp-server]\nlisten = [\"0.0.0.0:123\"]\nlocal-stratum = 1\nworkers = 1\n\n\
             [daemon]\nuser = \"nobody\"\n"
        ),
    );
    lab.tempora(
        "client",
        1,
        "[[ntp-source]]\naddress = \"10.79.0.1\"\nminpoll = 0\nmaxpoll = 0\n\n\
         [clock]\nkind = \"virtual\"\ninitial-offset = \"50ms\"\nfrequency-offset-ppm = 20.0\n\n\
         [observability]\ndashboard-listen = \"127.0.0.1:9912\"\n\n\
         [daemon]\nuser = \"nobody\"\n",
    );
    let (status, _) = lab.wait_status("client", Duration::from_secs(40), |s| {
        s["ntp_sources"][0]["system_peer"] == true
            && s["error_vs_system_ns"]
                .as_f64()
                .is_some_and(|e| e.abs() < 1e6)
    });
    let status = status.expect("no status from the client");
    assert_eq!(status["ntp_sources"][0]["system_peer"], true, "{status}");
    let error = status["error_vs_system_ns"].as_f64().unwrap();
    assert!(
        error.abs() < 1e6,
        "the client's clock is {error} ns off (it started 50 ms off): {status}"
    );
    assert_confined(&lab, "server");
    assert_confined(&lab, "client");
    // The dashboard's threads serve under the same confinement.
    let out = lab.run(
        1,
        "bash",
        &[
            "-c",
            "exec 3<>/dev/tcp/127.0.0.1/9912 && \
             printf 'GET /api/v1/sources HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3",
        ],
    );
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("\"name\":\"ntp:10.79.0.1:123\""), "{page}");
    // The state directory was made for the server's user.
    use std::os::unix::fs::MetadataExt;
    let dir = std::fs::metadata(lab.path("state")).expect("state directory");
    assert_eq!(dir.uid(), 65534);
}
