//! Issue 18: a chrony client configuration converted by `tempora config
//! from-chrony` syncs the Tempora daemon to a chronyd server as the
//! original configuration syncs chronyd. chronyd serves from namespace 0
//! (`local stratum 1`, `-x`); in namespace 1 chronyd (`-x`) runs the chrony
//! file and Tempora (virtual clock, 50 ms off) runs the conversion. Both
//! must select the server within 20 s, with sane offsets, and Tempora's
//! clock must be stepped (the converted `makestep`) to within 1 ms of the
//! server's. Everything runs with 1 s polls (`minpoll 0 maxpoll 0`) to
//! stay fast: about 7 s.
//!
//! Needs root, chrony and ntpsec-ntpdate; skipped without them, except
//! under CI=true.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, ntp_available};

/// The chrony client configuration converted.
const CHRONY_CLIENT: &str = "# a chrony client\n\
                             server 10.79.0.1 iburst minpoll 0 maxpoll 0\n\
                             makestep 0.01 3\n\
                             rtcsync\n";

/// `tempora config from-chrony` of `text`, written in the lab.
fn convert(lab: &Lab, text: &str) -> String {
    let conf = lab.file("client-chrony.conf", text);
    let out = lab.path("converted.toml");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["config", "from-chrony"])
        .arg(&conf)
        .args(["--output", &out])
        .output()
        .unwrap();
    let notes = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{notes}");
    eprintln!("from-chrony notes:\n{notes}");
    std::fs::read_to_string(&out).unwrap()
}

/// The chronyd client's line for the server in `chronyc sources` (CSV),
/// once it is selected (`*`).
fn chronyd_selected(lab: &Lab) -> Option<String> {
    let socket = lab.path("chronyc-client.sock");
    let out = lab.run(1, "chronyc", &["-h", &socket, "-n", "-c", "sources"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("^,*,10.79.0.1,"))
        .map(str::to_string)
}

/// Whether the Tempora client's first source is the server and the
/// system peer.
fn tempora_selected(s: &serde_json::Value) -> bool {
    let src = &s["ntp_sources"][0];
    src["address"] == "10.79.0.1:123" && src["system_peer"] == true && src["offset_ns"].is_number()
}

#[test]
fn converted_chrony_client_syncs_like_chronyd() {
    if !ntp_available() {
        return;
    }
    let mut lab = Lab::chain("cv", 2);
    lab.chronyd("server", 0, "local stratum 1\nallow all\n");
    let toml = convert(&lab, CHRONY_CLIENT);
    assert!(toml.contains("minpoll = 0") && toml.contains("step-threshold = \"10ms\""));
    // The converted file disciplines the system clock: the test gives it
    // the virtual one instead, 50 ms off.
    let toml = toml.replacen(
        "[clock]\n",
        "[clock]\nkind = \"virtual\"\ninitial-offset = \"50ms\"\n",
        1,
    );
    lab.tempora("client", 1, &toml);
    lab.chronyd("chronyc-client", 1, CHRONY_CLIENT);

    let start = Instant::now();
    let deadline = start + Duration::from_secs(20);
    let (mut ours, mut theirs) = (None, None);
    while Instant::now() < deadline && (ours.is_none() || theirs.is_none()) {
        std::thread::sleep(Duration::from_millis(250));
        if ours.is_none() {
            ours = lab
                .status("client")
                .filter(tempora_selected)
                .map(|s| (s, start.elapsed()));
        }
        if theirs.is_none() {
            theirs = chronyd_selected(&lab).map(|l| (l, start.elapsed()));
        }
    }
    let (line, chrony_took) =
        theirs.expect("chronyd did not select the server from the chrony file");
    let (status, took) = ours.unwrap_or_else(|| {
        panic!(
            "Tempora did not select the server from the converted file: {:?}",
            lab.status("client")
        )
    });
    eprintln!("chronyd selected after {chrony_took:?}: {line}");
    eprintln!(
        "tempora selected after {took:?}: {}",
        status["ntp_sources"][0]
    );
    // chronyd shares the server's (system) clock: its offset is tiny.
    let measured: f64 = line.split(',').nth(8).unwrap().parse().unwrap();
    assert!(measured.abs() < 1e-3, "{line}");
    // Tempora's virtual clock started 50 ms off; the converted `makestep`
    // (10 ms) steps it at the first update, so the source's offset is
    // either that 50 ms before the step or small after it, and the clock
    // ends within 1 ms of the server's.
    let offset = status["ntp_sources"][0]["offset_ns"].as_f64().unwrap();
    assert!(offset.abs() < 60e6, "{status}");
    let (s, stepped) = lab.wait_status("client", Duration::from_secs(15), |s| {
        s["error_vs_system_ns"]
            .as_f64()
            .is_some_and(|e| e.abs() < 1e6)
    });
    let s = s.expect("no status");
    eprintln!(
        "tempora error vs the system clock: {} ns, {stepped:?} later",
        s["error_vs_system_ns"]
    );
    assert!(s["error_vs_system_ns"].as_f64().unwrap().abs() < 1e6, "{s}");
    // The step came from the converted `makestep`.
    assert!(s["steps"].as_u64().unwrap() >= 1, "{s}");
}
