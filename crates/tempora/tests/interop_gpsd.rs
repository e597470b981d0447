//! Reference clocks against a real gpsd and chronyd (issue 16, "gpsd,
//! real"). In a network namespace and a private IPC namespace (so that
//! gpsd's NTP SHM segments are not the host's), the test writes NMEA
//! (RMC, GGA and ZDA with valid checksums, the current UTC second, 50 ms
//! after it starts) into two FIFOs once a second; gpsd (`-n`) reads both
//! as devices, serves JSON on 127.0.0.1:2947 and writes each device's
//! time to its SHM segment (NTP0 for the first, NTP1 for the second).
//! gpsd writes no SHM for a pty, which is what `gpsfake` gives it
//! (docs/refclocks.md), hence the FIFOs.
//!
//! The Tempora daemon (virtual clock) reads the first device through
//! gpsd's JSON (`gpsd` refclock) and segment 1 (`shm` refclock); chronyd
//! (`-x`) reads the other segment gpsd handed out (`refclock SHM N`, N
//! read from gpsd's `-D 4` log, normally 0): two readers of one segment
//! would split its samples, as both clear `valid`.
//! Both see the same NMEA at the same instants. chronyd's raw offsets
//! (its refclocks log) and Tempora's offsets against the system clock must
//! agree within 1 ms; a refclock must be selected and the virtual clock
//! must follow the GPS (its error against the system clock the GPS's
//! offset, within 1 ms).
//!
//! Then gpsd is killed and started again: the gpsd refclock reports the
//! disconnection and measures again once it has reconnected, and the SHM
//! refclock reads the new gpsd's segment.
//!
//! The second test feeds gpsd fixes without a fix and an `nmea` refclock
//! sentences with bad checksums: both refclocks are unusable with their
//! reasons, nothing is selected, and the daemon answers.
//!
//! Needs root, gpsd, chronyd and util-linux's unshare/nsenter; skipped
//! without them, except under CI=true.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::Lab;

/// The agreement asked for (issue 16).
const AGREE_NS: f64 = 1_000_000.0;

/// Whether this can run (root, gpsd, chronyd, chronyc, unshare, nsenter);
/// under CI=true a missing piece is a failure.
fn gpsd_available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let have = |p: &str, a: &str| Command::new(p).arg(a).output().is_ok();
    let gpsd = have("gpsd", "-V");
    let chronyd = have("chronyd", "-v");
    let tools = have("unshare", "--version") && have("nsenter", "--version");
    if root && gpsd && chronyd && tools {
        return true;
    }
    assert!(
        !ci,
        "gpsd interop test needs root, gpsd, chrony, unshare, nsenter (root {root}, gpsd {gpsd}, chronyd {chronyd}, tools {tools})"
    );
    eprintln!("skipped: needs root, gpsd and chrony");
    false
}

/// The civil date of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `$body*hh\r\n`, the checksum corrupted if `corrupt`.
fn sentence(body: &str, corrupt: bool) -> String {
    let sum = body.bytes().fold(0u8, |a, b| a ^ b) ^ u8::from(corrupt);
    format!("${body}*{sum:02X}\r\n")
}

/// What a receiver sends for UTC second `t`: RMC, GGA and ZDA; with
/// `fix` false, RMC says void and GGA has no fix.
fn nmea_for(t: i64, fix: bool, corrupt: bool) -> String {
    let (y, mo, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    let hms = format!("{:02}{:02}{:02}.00", s / 3600, s / 60 % 60, s % 60);
    let dmy = format!("{d:02}{mo:02}{:02}", y % 100);
    let zda = format!("GPZDA,{hms},{d:02},{mo:02},{y},00,00");
    let lines = if fix {
        [
            format!("GPRMC,{hms},A,4807.038,N,01131.000,E,0.0,0.0,{dmy},,,A"),
            format!("GPGGA,{hms},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
            zda,
        ]
    } else {
        // What a receiver without a fix sends: no position, RMC void.
        [
            format!("GPRMC,{hms},V,,,,,,,{dmy},,,N"),
            format!("GPGGA,{hms},,,,,0,00,99.99,,,,,,"),
            zda,
        ]
    };
    lines.iter().map(|b| sentence(b, corrupt)).collect()
}

/// Writes the NMEA of each second, 50 ms into it, to the FIFOs `paths`
/// until `stop` (a detached thread: opening a FIFO waits for its reader).
fn receiver(paths: Vec<String>, fix: bool, corrupt: bool, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut fifos: Vec<std::fs::File> = paths
            .iter()
            .filter_map(|p| std::fs::OpenOptions::new().write(true).open(p).ok())
            .collect();
        while !stop.load(Ordering::Relaxed) {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let next = now.as_secs() + 1;
            let at = Duration::from_secs(next) + Duration::from_millis(50);
            std::thread::sleep(at - now);
            let text = nmea_for(next as i64, fix, corrupt);
            for f in &mut fifos {
                if f.write_all(text.as_bytes()).is_err() {
                    return;
                }
            }
        }
    });
}

/// A lab of one namespace whose processes share a private IPC namespace
/// (held by a `sleep` started under `unshare --ipc`), and FIFOs `fifos`.
fn ipc_lab(tag: &str, fifos: &[&str]) -> Lab {
    // Two namespaces: a chain of one has no link for the lab's routes.
    let mut lab = Lab::chain(tag, 2);
    lab.spawn("ipc", 0, "unshare", &["--ipc", "sleep", "3600"]);
    let pid = lab.pid("ipc").expect("ipc holder").to_string();
    // `unshare` may not have made the namespace yet: entering the holder's
    // before then would put gpsd, chronyd or Tempora in the host's (a CI
    // run had them in different ones, each with its own segments).
    let ns_of = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/ipc")).ok();
    let host = ns_of("self");
    let start = Instant::now();
    while ns_of(&pid) == host {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the holder never entered a new IPC namespace"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    lab.wrap = ["nsenter", "-t", &pid, "--ipc", "--"]
        .map(String::from)
        .to_vec();
    for f in fifos {
        let ok = Command::new("mkfifo")
            .arg(lab.dir.join(f))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mkfifo {f}");
    }
    lab
}

/// The path gpsd is given for FIFO `name`: `DIR/./NAME`. gpsd refuses a
/// device that another process has open (it compares the path with the
/// links in /proc/*/fd), and the test's writer has it open by then; the
/// non-canonical form keeps that check, meant for serial ports shared by
/// mistake, from seeing the writer.
fn gpsd_path(lab: &Lab, name: &str) -> String {
    format!("{}/./{name}", lab.dir.display())
}

fn refclock<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["refclocks"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or(&serde_json::Value::Null)
}

/// chronyd's raw offsets (reference − system clock) of refclock samples
/// in its refclocks log, ns.
fn chrony_raw_offsets(log: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Date Time Refid DP L P Raw Cooked Disp (a sample line; a
            // filtered one has `-` for its raw offset).
            (f.len() == 9 && f[2] == "GPS")
                .then(|| f[6].parse::<f64>().ok())
                .flatten()
        })
        .map(|v| v * 1e9)
        .collect()
}

/// configs/gnss-grandmaster.toml for the lab: without the PPS (there is
/// none), the PTP port on the lab's veth0, a virtual clock, the servers on
/// the lab's addresses, and the gpsd refclock reading the first FIFO,
/// selectable, without the receiver's latency correction (chronyd has
/// none either), polled every 8 s beside an `shm` refclock on segment 1
/// (`noselect`).
fn grandmaster_variant(gps0: &str) -> String {
    use tempora_config::{ClockKind, Config, RefclockDriver};
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/gnss-grandmaster.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut c = Config::parse(&text, "gnss-grandmaster.toml").unwrap();
    c.refclocks.retain(|r| r.driver != RefclockDriver::Pps);
    let poll = tempora_clock::Duration::from_secs(8);
    let gps = &mut c.refclocks[0];
    (gps.noselect, gps.offset, gps.delay) = (false, None, None);
    (gps.device, gps.poll) = (Some(gps0.into()), poll);
    let mut shm = gps.clone();
    (shm.name, shm.driver, shm.device, shm.segment) =
        ("SHM".into(), RefclockDriver::Shm, None, Some(1));
    // Measured and compared with chronyd, never selected: gpsd reads the
    // second FIFO after the first, so on a busy machine its samples come
    // hundreds of µs later, and two refclocks that disagree beyond their
    // tight intervals leave no majority (a CI run selected nothing).
    shm.noselect = true;
    c.refclocks.push(shm);
    c.ports[0].interface = "veth0".into();
    c.clock.kind = ClockKind::Virtual;
    if let Some(n) = &mut c.ntp_server {
        n.listen = vec!["127.0.0.1:123".parse().unwrap()];
    }
    c.csptp_server = None;
    // The lab names the control socket.
    let text = c.to_toml();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("socket = "))
        .collect();
    lines.join("\n")
}

/// The NTP SHM segment gpsd (run with `-D 4`) gave each of `devices`, from
/// its log `err` (`NTP:PPS: using SHM(N)`, then `activated PATH`), waiting
/// up to 30 s for all of them; the latest assignment of each device.
fn gpsd_segments(lab: &Lab, err: &str, devices: &[&str]) -> Vec<(String, u32)> {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(lab.dir.join(err)).unwrap_or_default();
        let mut found: Vec<(String, u32)> = Vec::new();
        let mut pending = None;
        for line in text.lines() {
            if let Some(rest) = line.split("using SHM(").nth(1) {
                pending = rest.split(')').next().and_then(|n| n.parse().ok());
            } else if let (Some(seg), Some(rest)) = (pending, line.split(" activated ").nth(1)) {
                let path = rest.split_whitespace().next().unwrap_or("");
                found.retain(|(p, _)| p != path);
                found.push((path.to_string(), seg));
                pending = None;
            }
        }
        let all = devices.iter().all(|d| found.iter().any(|(p, _)| p == d));
        if all || start.elapsed() > Duration::from_secs(30) {
            return found;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[test]
fn tempora_and_chronyd_agree_on_gpsd_time_and_the_refclock_is_selected() {
    if !gpsd_available() {
        return;
    }
    let mut lab = ipc_lab("gp", &["gps0", "gps1"]);
    let (gps0, gps1) = (gpsd_path(&lab, "gps0"), gpsd_path(&lab, "gps1"));
    let stop = Arc::new(AtomicBool::new(false));
    receiver(
        vec![gps0.clone(), gps1.clone()],
        true,
        false,
        Arc::clone(&stop),
    );
    lab.spawn(
        "gpsd",
        0,
        "gpsd",
        &["-N", "-n", "-D", "4", "-S", "2947", &gps0, &gps1],
    );
    lab.tempora("tempora", 0, &grandmaster_variant(&gps0));
    // chronyd reads the segment gpsd gave the device Tempora's `shm`
    // refclock does not read (segment 1): gpsd hands segments out in the
    // order devices activate, and a device whose first activation fails
    // takes a later one.
    let segments = gpsd_segments(&lab, "gpsd.err", &[&gps0, &gps1]);
    eprintln!("gpsd's SHM segments: {segments:?}");
    let chrony_segment = segments
        .iter()
        .map(|(_, s)| *s)
        .find(|s| *s != 1)
        .unwrap_or_else(|| panic!("gpsd gave segments {segments:?}, none for chronyd"));
    assert!(
        segments.iter().any(|(_, s)| *s == 1),
        "gpsd gave no device segment 1 (Tempora's): {segments:?}"
    );
    lab.chronyd(
        "chronyd",
        0,
        &format!(
            "refclock SHM {chrony_segment} refid GPS poll 3\nlogdir {}\nlog refclocks\n",
            lab.dir.display()
        ),
    );
    let (s, took) = lab.wait_status("tempora", Duration::from_secs(120), |s| {
        s["selected_source"]
            .as_str()
            .is_some_and(|n| n.starts_with("refclock:"))
            && s["steps"].as_u64().is_some_and(|n| n >= 1)
    });
    let s = s.expect("no status");
    eprintln!("selected after {took:?}: {}", s["selected_source"]);
    assert!(
        s["selected_source"]
            .as_str()
            .is_some_and(|n| n.starts_with("refclock:")),
        "{s}"
    );
    // Thirty seconds of samples side by side.
    let start = Instant::now();
    let (mut gpsd_off, mut shm_off, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    while start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_secs(1));
        let s = lab.status("tempora").expect("status");
        gpsd_off.extend(refclock(&s, "GPS")["last_system_offset_ns"].as_f64());
        shm_off.extend(refclock(&s, "SHM")["last_system_offset_ns"].as_f64());
        errors.extend(s["error_vs_system_ns"].as_f64());
    }
    let s = lab.status("tempora").expect("status");
    let text = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &["status", "--socket", &lab.path("tempora.sock")],
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    eprintln!("{text}");
    let chrony = chrony_raw_offsets(&lab.dir.join("refclocks.log"));
    let chrony_tail: Vec<f64> = chrony.iter().rev().take(30).copied().collect();
    let sources = lab.run(
        0,
        "chronyc",
        &["-h", &lab.path("chronyd.sock"), "-n", "sources", "-v"],
    );
    eprintln!("{}", String::from_utf8_lossy(&sources.stdout));
    stop.store(true, Ordering::Relaxed);
    let (c, g, m, e) = (
        median(chrony_tail),
        median(gpsd_off),
        median(shm_off),
        median(errors),
    );
    eprintln!(
        "median offsets against the system clock: chronyd SHM 0 {:.0} ns ({} samples), \
         Tempora gpsd {g:.0} ns, Tempora SHM 1 {m:.0} ns; Tempora's virtual clock {e:.0} ns \
         from the system clock",
        c,
        chrony.len()
    );
    assert!(
        chrony.len() >= 20,
        "chronyd logged {} samples",
        chrony.len()
    );
    assert!((g - c).abs() < AGREE_NS, "gpsd {g} vs chronyd {c}");
    assert!((m - c).abs() < AGREE_NS, "shm {m} vs chronyd {c}");
    // The virtual clock follows the GPS: it is the GPS's offset away from
    // the system clock.
    assert!((e - c).abs() < AGREE_NS, "virtual clock {e} vs chronyd {c}");
    assert_eq!(
        refclock(&s, "GPS")["unusable"],
        serde_json::Value::Null,
        "{s}"
    );
    assert_eq!(
        refclock(&s, "SHM")["unusable"],
        serde_json::Value::Null,
        "{s}"
    );
    assert!(text.contains("selected source  refclock:"), "{text}");
    // Locked to the GPS: what the grandmaster and the NTP server serve is
    // a primary reference's (IEEE 1588-2019 Table 4 class 6; stratum 1).
    // (The servo must be locked first: the system process hands over to it
    // once the frequency is settled.)
    let (locked, took) = lab.wait_status("tempora", Duration::from_secs(180), |s| {
        s["holdover"]["state"] == "locked"
    });
    let locked = locked.expect("status");
    eprintln!("locked after a further {took:?}: {}", locked["holdover"]);
    let served = &locked["holdover"];
    assert_eq!(served["state"], "locked", "{locked}");
    assert_eq!(served["reference"], "gnss", "{served}");
    assert_eq!(served["clock_class"], 6, "{served}");
    assert_eq!(served["stratum"], 1, "{served}");
    // gpsd restarts: the gpsd refclock is disconnected, then reconnects
    // (its backoff: 1, 2, 4, ... s) and measures again.
    lab.kill("gpsd");
    let (s, _) = lab.wait_status("tempora", Duration::from_secs(20), |s| {
        refclock(s, "GPS")["last_problem"]
            .as_str()
            .is_some_and(|p| p.starts_with("gpsd: disconnected"))
    });
    let gps = refclock(s.as_ref().expect("status"), "GPS").clone();
    assert!(gps["problems"]["disconnected"].as_u64() >= Some(1), "{gps}");
    // Both refclocks fall silent with gpsd (it writes the SHM segment):
    // after three polls the reference is lost and the clock is in
    // holdover, class 7 while the estimate is within the budget and 248
    // past it (gpsd's time through a FIFO, without a PPS, is good to
    // about 100 us, so the 1 us budget of the config is soon spent).
    let (held, took) = lab.wait_status("tempora", Duration::from_secs(60), |s| {
        s["holdover"]["state"]
            .as_str()
            .is_some_and(|h| h.starts_with("holdover"))
    });
    let held = held.expect("status");
    eprintln!("holdover after {took:?}: {}", held["holdover"]);
    let h = &held["holdover"];
    let within = h["estimated_error_ns"].as_f64() <= h["budget_ns"].as_f64();
    let (state, class) = if within {
        ("holdover", 7)
    } else {
        ("holdover-expired", 248)
    };
    assert_eq!(h["state"], state, "{h}");
    assert_eq!(h["clock_class"], class, "{h}");
    assert_eq!(h["stratum"], 1, "{h}");
    assert!(h["hold_frequency_ppb"].is_number(), "{h}");
    let samples = gps["samples"].as_u64().unwrap_or(0);
    let shm_samples = refclock(s.as_ref().expect("status"), "SHM")["samples"]
        .as_u64()
        .unwrap_or(0);
    let stop2 = Arc::new(AtomicBool::new(false));
    receiver(
        vec![gps0.clone(), gps1.clone()],
        true,
        false,
        Arc::clone(&stop2),
    );
    lab.spawn(
        "gpsd2",
        0,
        "gpsd",
        &["-N", "-n", "-D", "4", "-S", "2947", &gps0, &gps1],
    );
    eprintln!(
        "gpsd's SHM segments after the restart: {:?}",
        gpsd_segments(&lab, "gpsd2.err", &[&gps0, &gps1])
    );
    let again = Instant::now();
    let (s, took) = lab.wait_status("tempora", Duration::from_secs(60), |s| {
        refclock(s, "GPS")["samples"].as_u64() > Some(samples + 5)
            && refclock(s, "SHM")["samples"].as_u64() > Some(shm_samples + 5)
    });
    stop2.store(true, Ordering::Relaxed);
    let s = s.expect("status");
    eprintln!(
        "gpsd restarted: measuring again after {took:?}: {}",
        refclock(&s, "GPS")
    );
    for (name, before) in [("GPS", samples), ("SHM", shm_samples)] {
        assert!(
            refclock(&s, name)["samples"].as_u64() > Some(before + 5),
            "{name}: no samples {:?} after gpsd restarted: {s}",
            again.elapsed()
        );
    }
}

#[test]
fn fixes_without_a_fix_and_bad_checksums_make_refclocks_unusable_not_a_panic() {
    if !gpsd_available() {
        return;
    }
    let mut lab = ipc_lab("gb", &["nofix", "bad"]);
    let (nofix, bad) = (gpsd_path(&lab, "nofix"), lab.path("bad"));
    let stop = Arc::new(AtomicBool::new(false));
    receiver(vec![nofix.clone()], false, false, Arc::clone(&stop));
    receiver(vec![bad.clone()], true, true, Arc::clone(&stop));
    lab.spawn("gpsd", 0, "gpsd", &["-N", "-n", "-S", "2947", &nofix]);
    lab.tempora(
        "tempora",
        0,
        &format!(
            "[clock]\nkind = \"virtual\"\n\n\
             [[refclock]]\nname = \"GPS\"\ndriver = \"gpsd\"\npoll = \"4s\"\n\n\
             [[refclock]]\nname = \"NMEA\"\ndriver = \"nmea\"\ndevice = \"{bad}\"\npoll = \"4s\"\n\n\
             [[refclock]]\nname = \"PPS\"\ndriver = \"pps\"\ndevice = \"/dev/pps-none\"\npoll = \"4s\"\n"
        ),
    );
    let (s, took) = lab.wait_status("tempora", Duration::from_secs(60), |s| {
        let reason = |n: &str| {
            refclock(s, n)["unusable"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        reason("GPS").starts_with("no fix (mode")
            && reason("NMEA").starts_with("bad checksum")
            && reason("PPS").starts_with("pps: cannot open")
            && refclock(s, "GPS")["polls_empty"].as_u64() >= Some(2)
    });
    stop.store(true, Ordering::Relaxed);
    let s = s.expect("no status");
    eprintln!(
        "after {took:?}: {}",
        serde_json::to_string_pretty(&s["refclocks"]).unwrap()
    );
    for (name, why, kind) in [
        ("GPS", "no fix (mode", "no_fix"),
        ("NMEA", "bad checksum", "bad_checksum"),
        ("PPS", "pps: cannot open", "open"),
    ] {
        let r = refclock(&s, name);
        assert!(
            r["unusable"].as_str().is_some_and(|u| u.starts_with(why)),
            "{name}: {r}"
        );
        assert!(r["problems"][kind].as_u64() > Some(0), "{name}: {r}");
        assert_eq!(r["samples"].as_u64(), Some(0), "{name}: {r}");
    }
    assert_eq!(s["selected_source"], serde_json::Value::Null, "{s}");
    assert_eq!(s["steps"].as_u64(), Some(0), "{s}");
    // Still answering: no panic.
    assert!(lab.status("tempora").is_some());
}
