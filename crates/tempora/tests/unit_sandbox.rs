//! The packaged systemd unit's daemon really runs (issue 14, point 1): the
//! built `tempora daemon` started with the sandbox of
//! packaging/debian/tempora.service, running PTP (a slave on a veth in a
//! namespace, towards an unsandboxed Tempora grandmaster) and an NTP server,
//! both on privileged ports, with a virtual clock (the system clock is never
//! touched).
//!
//! systemd is not PID 1 in the test machines, so `systemd-run` cannot apply
//! the unit; the sandbox is emulated from the unit's own settings (read from
//! the file, so a change to the unit changes the test):
//! - `User=`, `CapabilityBoundingSet=`, `AmbientCapabilities=`,
//!   `NoNewPrivileges=`: `setpriv` (uid/gid `nobody` stands in for the
//!   tempora user, which exists only once the package is installed);
//! - `ProtectSystem=strict`: in a private mount namespace (`unshare -m`),
//!   every mount read-only but /proc, /sys and /dev, and the
//!   `RuntimeDirectory=` and `StateDirectory=` bound writable at
//!   /run/tempora and /var/lib/tempora (over namespace-private tmpfs on /run
//!   and /var/lib: nothing is created on the host);
//! - `PrivateTmp=`, `ProtectHome=`: empty tmpfs on /tmp, /var/tmp, /home,
//!   /root; `PrivateDevices=`: a /dev of null, zero, full, random, urandom
//!   and the PHCs; `UMask=`: the daemon's umask;
//! - `SystemCallFilter=` and `RestrictAddressFamilies=`: not enforced, but
//!   checked: the daemon runs under strace, and every system call it makes
//!   must be in the unit's filter (expanded by `systemd-analyze
//!   syscall-filter`), every socket it opens of an allowed family.
//!
//! Not emulated: the device cgroup, `ProtectProc=`/`ProcSubset=`,
//! `ProtectKernel*=`, `RestrictNamespaces=`, `MemoryDenyWriteExecute=`
//! (each only ever denies what the checks above show the daemon does not do).
//!
//! Also checks PTP management as docs/packaging.md advises (linuxptp's pmc
//! run as the daemon's user, its reply socket in the runtime directory),
//! when pmc is there.
//!
//! Needs root, setpriv, unshare, nsenter, ip, strace and systemd-analyze;
//! skipped with one line otherwise, except under CI=true, where that fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Lab;

/// The unit file: every `Key=value` line, values of repeated keys in order.
fn unit() -> BTreeMap<String, Vec<String>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/debian/tempora.service"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            keys.entry(k.to_string()).or_default().push(v.to_string());
        }
    }
    keys
}

/// The single value of `key` in the unit.
fn one<'a>(unit: &'a BTreeMap<String, Vec<String>>, key: &str) -> &'a str {
    match unit.get(key).map(Vec::as_slice) {
        Some([v]) => v,
        other => panic!("{key}: expected one value, found {other:?}"),
    }
}

/// Whether the test can run here; under CI=true a missing piece fails.
fn available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let tools = [
        "setpriv",
        "unshare",
        "nsenter",
        "ip",
        "strace",
        "systemd-analyze",
    ];
    let missing: Vec<&str> = tools
        .into_iter()
        .filter(|t| Command::new(t).arg("--version").output().is_err())
        .collect();
    if root && missing.is_empty() {
        return true;
    }
    assert!(
        !ci,
        "the unit sandbox test needs root (root: {root}) and {missing:?}"
    );
    eprintln!(
        "skipped: the unit sandbox test needs root and setpriv, unshare, nsenter, ip, strace, systemd-analyze"
    );
    false
}

/// `CAP_SYS_TIME CAP_NET_RAW` as setpriv wants it: `+sys_time,+net_raw`.
fn setpriv_caps(caps: &str) -> String {
    let list: Vec<String> = caps
        .split_whitespace()
        .map(|c| format!("+{}", c.trim_start_matches("CAP_").to_lowercase()))
        .collect();
    format!("-all,{}", list.join(","))
}

/// The shell script that builds the sandbox in a fresh mount namespace and
/// execs the daemon: see the module's documentation.
fn sandbox_script(unit: &BTreeMap<String, Vec<String>>, lab: &Lab) -> String {
    assert_eq!(one(unit, "ProtectSystem"), "strict");
    assert_eq!(one(unit, "PrivateTmp"), "yes");
    assert_eq!(one(unit, "ProtectHome"), "yes");
    assert_eq!(one(unit, "PrivateDevices"), "yes");
    assert_eq!(one(unit, "NoNewPrivileges"), "yes");
    let state = one(unit, "StateDirectory");
    let runtime = one(unit, "RuntimeDirectory");
    let bounding = setpriv_caps(one(unit, "CapabilityBoundingSet"));
    let ambient = setpriv_caps(one(unit, "AmbientCapabilities"));
    let umask = one(unit, "UMask");
    format!(
        r#"set -eu
mount --make-rprivate /
# RuntimeDirectory= and StateDirectory=, the only writable places.
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0755 tmpfs /var/lib
mkdir -p /run/{runtime} /var/lib/{state} /run/exec /run/trace
mount --bind {lab}/run /run/{runtime}
mount --bind {lab}/state /var/lib/{state}
# Where strace writes (not the daemon: strace runs as root).
mount --bind {lab}/trace /run/trace
# The binary and its configuration (/usr/bin/tempora and /etc/tempora in
# the package) copied before /tmp and /home are hidden.
cp {bin} /run/exec/tempora
cp {lab}/sandboxed.toml /run/exec/tempora.toml
# PrivateDevices=: a /dev of pseudo devices and the PHCs.
mkdir /run/dev
mount -t tmpfs -o mode=0755,nosuid tmpfs /run/dev
for d in null zero full random urandom $(cd /dev && ls -d ptp[0-9]* 2>/dev/null); do
    touch /run/dev/$d
    mount --bind /dev/$d /run/dev/$d
done
mount --move /run/dev /dev
# PrivateTmp= and ProtectHome=.
for d in /tmp /var/tmp /home /root; do
    if [ -d $d ]; then mount -t tmpfs -o mode=0755 tmpfs $d; fi
done
# ProtectSystem=strict: every other mount read-only.
awk '{{print $5}}' /proc/self/mountinfo | sort -u | while read -r m; do
    case "$m" in
        /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/run/{runtime}|/var/lib/{state}|/run/trace) ;;
        *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;;
    esac
done
umask {umask}
exec strace -f -qq -o /run/trace/strace.txt \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    --bounding-set={bounding} --inh-caps={ambient} --ambient-caps={ambient} \
    --no-new-privs -- /run/exec/tempora daemon -c /run/exec/tempora.toml
"#,
        lab = lab.dir.display(),
        bin = env!("CARGO_BIN_EXE_tempora"),
        runtime = runtime,
        state = state,
        umask = umask,
        bounding = bounding,
        ambient = ambient,
    )
}

/// Every system call named by `filter` (groups expanded, as systemd does).
fn expand(filter: &str, seen: &mut BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in filter.split_whitespace() {
        if !item.starts_with('@') {
            out.insert(item.to_string());
            continue;
        }
        if !seen.insert(item.to_string()) {
            continue;
        }
        let text = Command::new("systemd-analyze")
            .args(["syscall-filter", item])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        for word in text
            .lines()
            .skip(1)
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            out.extend(expand(word, seen));
        }
    }
    out
}

/// The system calls the unit allows: its first `SystemCallFilter=` line,
/// less every `~` line.
fn allowed_syscalls(unit: &BTreeMap<String, Vec<String>>) -> BTreeSet<String> {
    let filters = &unit["SystemCallFilter"];
    let mut allowed = BTreeSet::new();
    for f in filters.iter().filter(|f| !f.starts_with('~')) {
        allowed.extend(expand(f, &mut BTreeSet::new()));
    }
    for f in filters.iter().filter(|f| f.starts_with('~')) {
        for s in expand(f.trim_start_matches('~'), &mut BTreeSet::new()) {
            allowed.remove(&s);
        }
    }
    allowed
}

/// From strace's log: the system calls the daemon made after its exec
/// (setpriv's own are not the daemon's), and the families of its sockets.
fn traced(log: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let start = log
        .find("execve(\"/run/exec/tempora\"")
        .expect("strace saw the daemon start");
    let mut calls = BTreeSet::new();
    let mut families = BTreeSet::new();
    for line in log[start..].lines().skip(1) {
        let rest = line.split_once(' ').map_or("", |(_, r)| r).trim_start();
        let rest = rest.strip_prefix("<... ").unwrap_or(rest);
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || rest.starts_with("+++") || rest.starts_with("---") {
            continue;
        }
        if let Some(args) = rest.strip_prefix("socket(") {
            families.insert(args.split(',').next().unwrap_or("").to_string());
        }
        calls.insert(name);
    }
    (calls, families)
}

/// `tempora status --json` of the sandboxed daemon, asked from its namespace.
fn status(lab: &Lab) -> Option<serde_json::Value> {
    let socket = lab.path("run/tempora.sock");
    let out = lab.run(
        1,
        env!("CARGO_BIN_EXE_tempora"),
        &["status", "--json", "--socket", &socket],
    );
    serde_json::from_slice(&out.stdout).ok()
}

#[test]
fn the_units_daemon_runs_ptp_over_udp_and_an_ntp_server_in_its_sandbox() {
    sandboxed_daemon("sbu", "udp4");
}

/// PTP over Ethernet: packet sockets (AF_PACKET) and CAP_NET_RAW.
#[test]
fn the_units_daemon_runs_ptp_over_ethernet_and_an_ntp_server_in_its_sandbox() {
    sandboxed_daemon("sbl", "l2");
}

/// Whether process `pid` is running (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| !r.trim_start().starts_with('Z'))
    })
}

/// Starts the daemon with `config` in the unit's sandbox in namespace 1 of
/// `lab`; returns the pid of the sandbox (strace, the daemon's parent).
fn start_sandboxed(lab: &mut Lab, unit: &BTreeMap<String, Vec<String>>, config: &str) -> u32 {
    std::fs::create_dir_all(lab.dir.join("trace")).unwrap();
    for d in ["run", "state"] {
        std::fs::create_dir_all(lab.dir.join(d)).unwrap();
        let out = Command::new("chown")
            .args(["65534:65534", &lab.path(d)])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    lab.file("sandboxed.toml", config);
    let script = sandbox_script(unit, lab);
    lab.spawn("sandboxed", 1, "unshare", &["-m", "sh", "-c", &script]);
    lab.pid("sandboxed").unwrap()
}

/// Polls the sandboxed daemon's status until `done` holds, it exits, or 40 s
/// pass; fails unless it is still running and answered.
fn wait_status(
    lab: &Lab,
    sandbox: u32,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut last = None;
    while Instant::now() < deadline && alive(sandbox) {
        last = status(lab);
        if last.as_ref().is_some_and(&done) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(alive(sandbox), "the sandboxed daemon exited");
    last.expect("the sandboxed daemon answers tempora status")
}

/// A grandmaster in ns0 and the sandboxed daemon in ns1 (a PTP slave over
/// `transport` and an NTP server); checks both work, then [`finish`].
fn sandboxed_daemon(tag: &str, transport: &str) {
    if !available() {
        return;
    }
    let unit = unit();
    let mut lab = Lab::chain(tag, 2);
    let port = format!(
        "[[port]]\ninterface = \"veth0\"\ntransport = \"{transport}\"\ntimestamping = \"software\"\n"
    );
    // The grandmaster, unsandboxed, in ns0.
    lab.tempora(
        "gm",
        0,
        &format!("[ptp]\npriority1 = 1\n\n{port}\n[clock]\nkind = \"virtual\"\n"),
    );
    // The sandboxed daemon in ns1: a PTP slave and an NTP server, with the
    // packaged default configuration's paths.
    let config = format!(
        "[ptp]\nslave-only = true\n\n{port}\n\
         [clock]\nkind = \"virtual\"\ninitial-offset = \"3ms\"\n\
         frequency-file = \"/var/lib/tempora/frequency\"\n\n\
         [ntp-server]\nlisten = [\"10.79.0.2:123\"]\nlocal-stratum = 3\n\n\
         [observability]\nsocket = \"/run/tempora/tempora.sock\"\n"
    );
    let sandbox = start_sandboxed(&mut lab, &unit, &config);

    // PTP: the port reaches SLAVE towards the grandmaster.
    let s = wait_status(&lab, sandbox, |s| s["ports"][0]["state"] == "SLAVE");
    assert_eq!(s["ports"][0]["state"], "SLAVE", "{s}");
    assert_eq!(s["ports"][0]["interface"], "veth0", "{s}");
    assert_eq!(s["ports"][0]["transport"], transport, "{s}");
    eprintln!(
        "sandboxed daemon: port {} {} {}, grandmaster {}",
        s["ports"][0]["interface"],
        s["ports"][0]["transport"],
        s["ports"][0]["state"],
        s["grandmaster"]
    );

    // NTP: tempora query from ns0 gets an answer from the sandboxed server.
    let out = lab.run(
        0,
        env!("CARGO_BIN_EXE_tempora"),
        &["query", "--json", "--timeout", "2", "10.79.0.2"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(out.status.success(), "{v}");
    assert!(v[0].get("error").is_none(), "{v}");
    eprintln!(
        "tempora query 10.79.0.2: stratum {}, refid {}",
        v[0]["stratum"], v[0]["refid"]
    );
    let pid = traced_daemon_pid(sandbox);
    check_pmc(&lab, pid);
    finish(&mut lab, &unit, pid);
}

/// The packaged /etc/tempora/tempora.toml (an NTP client of the Debian
/// pool) starts and keeps running in the sandbox. The lab has no way out,
/// so the pool's name does not resolve: the daemon must keep trying rather
/// than exit, and its resolver thread's system calls are checked too. Its
/// clock is made virtual here, so that even a change in the daemon could
/// not steer the test machine's clock.
#[test]
fn the_packaged_configuration_runs_in_the_sandbox() {
    if !available() {
        return;
    }
    let unit = unit();
    let mut lab = Lab::chain("sbd", 2);
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packaging/tempora.toml"
    ))
    .unwrap();
    assert!(config.contains("2.debian.pool.ntp.org"), "{config}");
    assert!(config.contains("kind = \"system\""), "{config}");
    let config = config.replace("kind = \"system\"", "kind = \"virtual\"");
    let sandbox = start_sandboxed(&mut lab, &unit, &config);
    let s = wait_status(&lab, sandbox, |_| true);
    std::thread::sleep(Duration::from_secs(3));
    assert!(alive(sandbox), "the daemon exited: {s}");
    assert_eq!(s["ports"].as_array().map(Vec::len), Some(0), "{s}");
    eprintln!("packaged configuration: running, status {s}");
    let pid = traced_daemon_pid(sandbox);
    finish(&mut lab, &unit, pid);
}

/// PTP management as docs/packaging.md says: pmc run as the daemon's user,
/// its reply socket in the runtime directory (pmc enters the daemon's
/// mount namespace, where /run/tempora is what it is on a host running the
/// unit). Skipped without linuxptp.
fn check_pmc(lab: &Lab, pid: u32) {
    if Command::new("pmc").arg("-v").output().is_err() {
        eprintln!("pmc check skipped: no linuxptp");
        return;
    }
    let target = pid.to_string();
    let out = lab.run(
        1,
        "nsenter",
        &[
            "-t",
            &target,
            "-m",
            "--",
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "pmc",
            "-u",
            "-b",
            "0",
            "-i",
            "/run/tempora/pmc.sock",
            "-s",
            "/run/tempora/tempora.sock",
            "GET CURRENT_DATA_SET",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RESPONSE MANAGEMENT CURRENT_DATA_SET"),
        "pmc: {text}"
    );
    eprintln!("pmc as the daemon's user: CURRENT_DATA_SET answered");
}

/// Checks the running daemon's credentials (uid nobody, no new privileges,
/// exactly the unit's capabilities), stops it with SIGTERM as systemd does,
/// checks its frequency file landed in the state directory and that every
/// system call it made is in the unit's filter, every socket family in
/// `RestrictAddressFamilies=`.
fn finish(lab: &mut Lab, unit: &BTreeMap<String, Vec<String>>, pid: u32) {
    let proc_status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |k: &str| {
        proc_status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    assert!(field("Uid:").starts_with("65534"), "{proc_status}");
    assert_eq!(field("NoNewPrivs:"), "1");
    // CAP_NET_BIND_SERVICE 10, CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_SYS_TIME 25.
    let want = format!("{:016x}", (1u64 << 10) | (1 << 12) | (1 << 13) | (1 << 25));
    for k in ["CapEff:", "CapBnd:", "CapAmb:"] {
        assert_eq!(field(k), want, "{k} {proc_status}");
    }

    let _ = Command::new("kill").arg(pid.to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    lab.kill("sandboxed");
    let frequency = std::fs::read_to_string(lab.dir.join("state/frequency")).unwrap_or_default();
    assert!(
        frequency.trim().parse::<f64>().is_ok(),
        "frequency file: {frequency:?}"
    );
    eprintln!(
        "frequency file in the state directory: {}",
        frequency.trim()
    );

    let log = std::fs::read_to_string(lab.dir.join("trace/strace.txt")).unwrap();
    let (calls, families) = traced(&log);
    // The trace followed the daemon: it bound sockets and waited in poll.
    assert!(
        calls.contains("bind") && calls.contains("poll"),
        "{calls:?}"
    );
    // Never the machine's clock: any clock_adjtime only reads (modes=0).
    for l in log.lines().filter(|l| l.contains("clock_adjtime(")) {
        assert!(l.contains("{modes=0,"), "the clock was adjusted: {l}");
    }
    let allowed = allowed_syscalls(unit);
    let denied: Vec<&String> = calls.difference(&allowed).collect();
    eprintln!("system calls made ({}): {calls:?}", calls.len());
    assert!(denied.is_empty(), "outside SystemCallFilter=: {denied:?}");
    let families_allowed: BTreeSet<String> = one(unit, "RestrictAddressFamilies")
        .split_whitespace()
        .map(String::from)
        .collect();
    eprintln!("socket families: {families:?}");
    assert!(families.is_subset(&families_allowed), "{families:?}");
}

/// The pid of the daemon: the process running /run/exec/tempora in the lab.
fn traced_daemon_pid(sandbox: u32) -> u32 {
    // unshare -> sh (exec) strace -> setpriv (exec) tempora: strace's child.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let children = std::fs::read_to_string(format!("/proc/{sandbox}/task/{sandbox}/children"))
            .unwrap_or_default();
        for c in children.split_whitespace() {
            let exe = std::fs::read_link(format!("/proc/{c}/exe")).unwrap_or_default();
            if exe.ends_with("tempora") {
                return c.parse().unwrap();
            }
        }
        assert!(Instant::now() < deadline, "no daemon under {sandbox}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
