//! A leap second armed in the disciplined clock (`crate::leap_kernel` in
//! the daemon; `adjtimex` `STA_INS` for the system clock) and inserted at
//! midnight, as the kernel does, on a virtual clock set to 2016-12-31
//! 23:59:45 UTC, ten years in the past, with the leap-seconds.list of the
//! repository (which has the leap second of that night). The daemon runs
//! on the host with one NTP source on loopback that never answers (so
//! that it steers its clock); no namespace, no real clock touched.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// 2016-12-31 23:59:45 UTC.
const BEFORE: i64 = 1_483_228_785;

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status(socket: &PathBuf) -> Option<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["status", "--json", "--socket"])
        .arg(socket)
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

/// The virtual clock's error against the system clock, s.
fn error_s(s: &serde_json::Value) -> f64 {
    s["error_vs_system_ns"].as_f64().unwrap_or(f64::NAN) * 1e-9
}

#[test]
fn a_leap_second_is_armed_on_its_day_and_inserted_at_midnight() {
    let dir = std::env::temp_dir().join(format!("tempora-leap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("tempora.sock");
    let list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tempora-clock/testdata/leap-seconds.list"
    );
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let offset_ns = (i128::from(BEFORE) * 1_000_000_000) - now.as_nanos() as i128;
    let config = dir.join("tempora.toml");
    std::fs::write(
        &config,
        format!(
            "[clock]\nkind = \"virtual\"\ninitial-offset = \"{offset_ns}ns\"\n\
             leap-seconds-file = \"{list}\"\n\n\
             [[ntp-source]]\naddress = \"127.0.0.1:9\"\n\n\
             [observability]\nsocket = \"{}\"\n",
            socket.display()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("daemon.out")).unwrap();
    let _daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_tempora"))
            .arg("daemon")
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    );
    let wait = |limit: Duration, done: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = Instant::now() + limit;
        loop {
            let s = status(&socket);
            if let Some(s) = s.as_ref().filter(|s| done(s)) {
                return s.clone();
            }
            let log = std::fs::read_to_string(dir.join("daemon.out")).unwrap_or_default();
            assert!(Instant::now() < deadline, "{s:?}\n{log}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Before midnight: pending and armed, the clock ten years behind.
    let before = wait(Duration::from_secs(10), &|s| {
        s["leap_seconds"]["clock_armed"] == "insert"
    });
    let leap = &before["leap_seconds"];
    assert_eq!(leap["pending"], "insert", "{leap}");
    assert_eq!(leap["tai_minus_utc"], 36, "{leap}");
    assert_eq!(leap["clock_tai_offset"], 36, "{leap}");
    let e0 = error_s(&before);
    // After midnight (15 s later in the clock's time): one second
    // inserted, disarmed, TAI − UTC 37.
    let after = wait(Duration::from_secs(30), &|s| {
        s["leap_seconds"]["clock_armed"] == "none"
    });
    let leap = &after["leap_seconds"];
    assert_eq!(leap["pending"], "none", "{leap}");
    assert_eq!(leap["tai_minus_utc"], 37, "{leap}");
    assert_eq!(leap["clock_tai_offset"], 37, "{leap}");
    let inserted = e0 - error_s(&after);
    assert!((inserted - 1.0).abs() < 0.01, "{inserted} s inserted");
    let text = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["status", "--socket"])
        .arg(&socket)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("leap armed       none (in the disciplined clock, TAI-UTC 37 s set)"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
