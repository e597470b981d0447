//! The control socket as a local user meets it: created 0660 whatever the
//! umask, SET refused to a user outside its group, status readable through
//! the read-only status socket, and a file at the socket's path left
//! intact. Needs root (to run as `nobody` with setpriv) and linuxptp's pmc;
//! skipped otherwise, a failure under CI=true.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether the test can run here (root, pmc and setpriv).
fn available() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let have = |p: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let (pmc, setpriv) = (have("pmc"), have("setpriv"));
    if root && pmc && setpriv {
        return true;
    }
    assert!(
        !ci,
        "control socket test needs root, pmc and setpriv (root {root}, pmc {pmc}, setpriv {setpriv})"
    );
    eprintln!("skipped: needs root, pmc and setpriv");
    false
}

/// A private directory (0755, root's) with a world-writable `clients`
/// directory in it for the clients' own sockets; removed on drop, with the
/// daemon.
struct Scratch {
    dir: PathBuf,
    daemon: Option<Child>,
}

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tempora-ctl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("clients")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.join("clients"), std::fs::Permissions::from_mode(0o1777))
            .unwrap();
        Scratch { dir, daemon: None }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Starts the daemon under `umask 000` with `extra` added to a
    /// configuration that serves NTP on an unused loopback port with a
    /// virtual clock.
    fn start(&mut self, observability: &str, extra: &str) {
        let config = format!(
            "[ntp-server]\nlisten = [\"127.0.0.1:0\"]\n\n[clock]\nkind = \"virtual\"\n\n\
             [observability]\nsocket = \"{}\"\n{observability}\n{extra}",
            self.path("control.sock")
        );
        let file = self.dir.join("tempora.toml");
        std::fs::write(&file, config).unwrap();
        let err = std::fs::File::create(self.dir.join("daemon.err")).unwrap();
        let script = format!(
            "umask 000; exec {} daemon -c {}",
            env!("CARGO_BIN_EXE_tempora"),
            file.display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !Path::new(&self.path("control.sock")).exists() {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.daemon = Some(child);
    }

    /// The daemon's log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.err")).unwrap_or_default()
    }

    /// Runs pmc on `socket` as `user` (root or nobody) with `command`. Its
    /// own socket is made under umask 000, so that a daemon running as
    /// another user can answer it (as chronyc opens its own).
    fn pmc(&self, user: &str, socket: &str, command: &str) -> String {
        let own = self.path(&format!("clients/pmc-{user}-{}", command.len()));
        let pmc = format!("umask 000; exec pmc -u -b 0 -s {socket} -i {own} '{command}'");
        let mut args: Vec<&str> = Vec::new();
        if user != "root" {
            args.extend([
                "setpriv",
                "--reuid",
                user,
                "--regid",
                "nogroup",
                "--clear-groups",
            ]);
        }
        args.extend(["sh", "-c", &pmc]);
        let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `tempora status --json` on `socket` as `user`.
    fn status(&self, user: &str, socket: &str) -> Output {
        let tempora = env!("CARGO_BIN_EXE_tempora");
        let mut args = vec![];
        if user != "root" {
            args.extend([
                "setpriv",
                "--reuid",
                user,
                "--regid",
                "nogroup",
                "--clear-groups",
            ]);
        }
        args.extend([tempora, "status", "--json", "--socket", socket]);
        Command::new(args[0]).args(&args[1..]).output().unwrap()
    }

    /// `tempora ARGS --socket SOCKET` as `user` (root or nobody).
    fn tempora(&self, user: &str, socket: &str, args: &[&str]) -> Output {
        let mut all = vec![];
        if user != "root" {
            all.extend([
                "setpriv",
                "--reuid",
                user,
                "--regid",
                "nogroup",
                "--clear-groups",
            ]);
        }
        all.push(env!("CARGO_BIN_EXE_tempora"));
        all.extend_from_slice(args);
        all.extend(["--socket", socket]);
        Command::new(all[0]).args(&all[1..]).output().unwrap()
    }

    /// The daemon's status as root through the control socket.
    fn status_json(&self) -> serde_json::Value {
        let out = self.status("root", &self.path("control.sock"));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("status: {e}: {}", self.log()))
    }

    /// The daemon's resident memory, kB.
    fn rss_kb(&self) -> u64 {
        let pid = self.daemon.as_ref().unwrap().id();
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// priority1 as pmc GETs it (as root, through the control socket).
    fn priority1(&self) -> Option<u8> {
        let text = self.pmc("root", &self.path("control.sock"), "GET PRIORITY1");
        text.lines()
            .find_map(|l| l.trim().strip_prefix("priority1"))
            .and_then(|v| v.trim().parse().ok())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(c) = &mut self.daemon {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("daemon log:\n{}", self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Under umask 000 the control socket is 0660 (it was 0777), and `nobody`
/// can neither SET priority1 nor read the status through it.
#[test]
fn control_socket_is_0660_under_umask_000_and_closed_to_others() {
    if !available() {
        return;
    }
    let mut s = Scratch::new("mode");
    s.start("", "");
    let control = s.path("control.sock");
    let mode = std::fs::metadata(&control)
        .unwrap_or_else(|e| panic!("{control}: {e}\n{}", s.log()))
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o660, "mode {:o}", mode & 0o7777);
    assert_eq!(s.priority1(), Some(128), "{}", s.log());
    s.pmc("nobody", &control, "SET PRIORITY1 7");
    assert_eq!(s.priority1(), Some(128), "nobody changed priority1");
    assert!(!s.status("nobody", &control).status.success());
    assert!(s.status("root", &control).status.success());
}

/// The read-only status socket answers `nobody`'s status and GET, and
/// refuses its SET with MANAGEMENT_ERROR_STATUS NOT_SUPPORTED.
#[test]
fn status_socket_is_read_only_for_everyone() {
    if !available() {
        return;
    }
    let mut s = Scratch::new("ro");
    let ro = s.path("status.sock");
    s.start(&format!("status-socket = \"{ro}\"\n"), "");
    let out = s.status("nobody", &ro);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.log()
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json.get("clock").is_some(), "{json}");
    let mode = std::fs::metadata(&ro).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o666);
    let get = s.pmc("nobody", &ro, "GET PRIORITY1");
    assert!(get.contains("priority1"), "{get}");
    let set = s.pmc("nobody", &ro, "SET PRIORITY1 7");
    assert!(set.contains("MANAGEMENT_ERROR_STATUS"), "{set}");
    assert_eq!(s.priority1(), Some(128));
}

/// A regular file at the socket's path is refused with a clear error and
/// left as it was (it used to be replaced).
#[test]
fn a_regular_file_at_the_socket_path_is_kept() {
    if !available() {
        return;
    }
    let mut s = Scratch::new("file");
    let control = s.path("control.sock");
    std::fs::write(&control, "precious\n").unwrap();
    s.start("", "");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = s.daemon.as_mut().unwrap().try_wait().unwrap() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not stop: {}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    assert!(s.log().contains("is not a socket"), "{}", s.log());
    assert_eq!(std::fs::read_to_string(&control).unwrap(), "precious\n");
}

/// `tempora ctl` through the control socket changes priority1 for root;
/// `nobody` cannot reach the control socket, and the read-only status
/// socket refuses control requests (to anyone) while it answers `nobody`'s
/// `tempora sources`, `tracking` and `ports`.
#[test]
fn ctl_needs_the_control_socket_and_the_status_socket_refuses_it() {
    if !available() {
        return;
    }
    let mut s = Scratch::new("ctl");
    let (control, ro) = (s.path("control.sock"), s.path("status.sock"));
    s.start(&format!("status-socket = \"{ro}\"\n"), "");
    let out = s.tempora("root", &control, &["ctl", "set", "priority1", "42"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.log()
    );
    assert_eq!(s.priority1(), Some(42));
    // nobody: no access to the control socket at all.
    let out = s.tempora("nobody", &control, &["ctl", "set", "priority1", "7"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no answer"), "{err}");
    // The status socket: refused, whoever asks.
    for user in ["nobody", "root"] {
        let out = s.tempora(user, &ro, &["ctl", "--json", "set", "priority1", "7"]);
        assert_eq!(out.status.code(), Some(1), "{user}");
        let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(reply["outcome"], "refused", "{reply}");
    }
    assert_eq!(
        s.priority1(),
        Some(42),
        "priority1 changed through the status socket"
    );
    // Reading is allowed there.
    for view in ["sources", "tracking", "ports"] {
        let out = s.tempora("nobody", &ro, &[view, "--json"]);
        assert!(
            out.status.success(),
            "{view}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{view}: {e}"));
    }
    // The servo is reset; a burst needs NTP sources, which this daemon has
    // not: a failure with the reason.
    assert!(
        s.tempora("root", &control, &["ctl", "servo", "reset"])
            .status
            .success()
    );
    let out = s.tempora("root", &control, &["ctl", "burst"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[[ntp-source]]"), "{err}");
    let counters = &s.status_json()["control"];
    assert_eq!(counters["applied"], 2, "{counters}");
    assert_eq!(counters["refused"], 2, "{counters}");
    assert_eq!(counters["failed"], 1, "{counters}");
}

/// Malformed requests get an error reply and are counted; a flood of
/// 10,000 garbage datagrams (malformed requests, random bytes, replies
/// never read) leaves the daemon answering, its memory bounded and its log
/// short.
#[test]
fn malformed_requests_and_a_flood_leave_the_daemon_answering() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    if !available() {
        return;
    }
    let mut s = Scratch::new("flood");
    s.start("", "");
    let control = s.path("control.sock");
    let name = format!("tempora-flood-test-{}", std::process::id());
    let client =
        UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client
        .send_to(
            b"tempora-ctl {\"version\":1,\"request\":{\"command\":\"reboot\"}}\n",
            &control,
        )
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = client.recv(&mut buf).unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&buf[..n]).unwrap();
    assert_eq!(reply["outcome"], "malformed", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("reboot"),
        "{reply}"
    );

    let before = s.rss_kb();
    let started = Instant::now();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut prefixed = 1u64;
    for i in 0..10_000u32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise: Vec<u8> = seed.to_le_bytes().repeat(1 + (i as usize % 200));
        let datagram = match i % 4 {
            0 => [b"tempora-ctl ".as_slice(), &noise].concat(),
            1 => noise,
            2 => b"tempora-ctl {\"version\":7,\"request\":{}}".to_vec(),
            _ => [
                b"tempora-ctl {\"version\":1,\"request\":{\"command\":\"burst\",\"source\":\""
                    .as_slice(),
                &[b'a'; 1500],
                b"\"}}",
            ]
            .concat(),
        };
        if i % 4 != 1 {
            prefixed += 1;
        }
        // Blocking: every datagram is delivered; the replies are never read.
        client.send_to(&datagram, &control).unwrap();
    }
    eprintln!("10,000 datagrams sent in {:?}", started.elapsed());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let st = s.status_json();
        if st["control"]["malformed"] == prefixed || Instant::now() > deadline {
            break st;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        status["control"]["malformed"], prefixed,
        "{}",
        status["control"]
    );
    assert_eq!(status["control"]["applied"], 0);
    assert!(
        s.daemon.as_mut().unwrap().try_wait().unwrap().is_none(),
        "the daemon stopped"
    );
    let after = s.rss_kb();
    eprintln!("daemon RSS {before} kB before, {after} kB after the flood");
    assert!(
        after < before + 16 * 1024,
        "RSS grew from {before} to {after} kB"
    );
    // Still answering, and the log rate-limited.
    assert!(
        s.tempora("root", &control, &["ctl", "servo", "reset"])
            .status
            .success()
    );
    let lines = s.log().matches("malformed control requests").count();
    assert!(
        (1..=3).contains(&lines),
        "{lines} log lines about malformed requests"
    );
}
