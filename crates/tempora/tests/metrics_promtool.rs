//! The live Prometheus endpoint checked by Prometheus' own linter: two
//! daemons on loopback with virtual clocks, a server (NTP, CSPTP and
//! Roughtime) and its client (an NTP, a CSPTP and a Roughtime source), each
//! with `metrics-listen`; once the client has samples, both `/metrics` pages
//! are piped to `promtool check metrics`, which must exit 0 and print
//! nothing (no lint warning). Needs promtool (Debian package `prometheus`):
//! skipped with one line without it, a failure under CI=true. No root, no
//! namespaces: unprivileged loopback ports, and the clocks are virtual.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TEMPORA: &str = env!("CARGO_BIN_EXE_tempora");

/// A scratch directory and the daemons started in it; the daemons are
/// killed and the directory removed on drop (its files kept, and the
/// daemons' logs printed, when the test failed).
struct Scratch {
    dir: PathBuf,
    daemons: Vec<(String, Child)>,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("tempora-promtool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch {
            dir,
            daemons: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Starts a daemon as `name` with `toml` plus its control socket and
    /// metrics endpoint.
    fn daemon(&mut self, name: &str, toml: &str, metrics: u16) {
        let text = format!(
            "{toml}\n[observability]\nsocket = \"{}\"\nmetrics-listen = \"127.0.0.1:{metrics}\"\n",
            self.path(&format!("{name}.sock"))
        );
        let config = self.dir.join(format!("{name}.toml"));
        std::fs::write(&config, text).unwrap();
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new(TEMPORA)
            .args(["daemon", "-c"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.daemons.push((name.to_string(), child));
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for (_, child) in &mut self.daemons {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for (name, _) in &self.daemons {
                let log = std::fs::read_to_string(self.dir.join(format!("{name}.log")));
                eprintln!("--- {name}.log\n{}", log.unwrap_or_default());
            }
            eprintln!("files kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether promtool is here; without it one line (a failure under CI=true).
fn promtool_available() -> bool {
    if Command::new("promtool").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        !common::in_ci(),
        "promtool is missing (Debian package prometheus)"
    );
    eprintln!("skipped: needs promtool (Debian package prometheus)");
    false
}

/// `promtool check metrics` on `text`: its exit code and everything it
/// printed.
fn promtool(text: &str) -> (i32, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), said.into_owned())
}

/// A loopback TCP port nobody listens on now.
fn free_tcp_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// A loopback UDP port `p`, with `p + 1` free as well (CSPTP's event and
/// general ports).
fn free_udp_pair() -> u16 {
    loop {
        let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let p = a.local_addr().unwrap().port();
        if p < u16::MAX && UdpSocket::bind((Ipv4Addr::LOCALHOST, p + 1)).is_ok() {
            return p;
        }
    }
}

/// `GET /metrics` on loopback `port`: the body, if the answer is a 200
/// with the Prometheus text format's content type.
fn scrape(port: u16) -> Option<String> {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut page = String::new();
    s.read_to_string(&mut page).ok()?;
    let (head, body) = page.split_once("\r\n\r\n")?;
    let ok = head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200");
    let text = head
        .to_ascii_lowercase()
        .contains("content-type: text/plain; version=0.0.4");
    (ok && text).then(|| body.to_string())
}

/// The value of the first sample of `name` (with any labels) in `text`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with(['{', ' ']))
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Scrapes `port` until `done` holds for the text (or `timeout` passes);
/// the last text.
fn scrape_until(port: u16, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        if let Some(text) = scrape(port) {
            if done(&text) {
                return text;
            }
            last = text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not done after {timeout:?}; last scrape:\n{last}");
}

/// A Roughtime long-term key in the scratch directory; its public key.
fn roughtime_key(path: &Path) -> String {
    let out = Command::new(TEMPORA)
        .args(["roughtime", "keygen", "--out"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.contains("(base64)")).unwrap();
    line.split_whitespace().last().unwrap().to_string()
}

#[test]
fn promtool_accepts_the_live_metrics_of_a_server_and_its_client() {
    if !promtool_available() {
        return;
    }
    let mut lab = Scratch::new();
    let key = lab.dir.join("roughtime.key");
    let public = roughtime_key(&key);
    let (ntp, csptp, csptp_local) = (free_udp_pair(), free_udp_pair(), free_udp_pair());
    let roughtime = free_udp_pair();
    let (server_metrics, client_metrics) = (free_tcp_port(), free_tcp_port());
    lab.daemon(
        "server",
        &format!(
            "[clock]\nkind = \"virtual\"\n\n[ntp-server]\nlisten = [\"127.0.0.1:{ntp}\"]\n\n\
             [csptp-server]\nlisten = [\"127.0.0.1:{csptp}\"]\n\n\
             [roughtime-server]\nkey-file = \"{}\"\nlisten = [\"127.0.0.1:{roughtime}\"]\n",
            key.display()
        ),
        server_metrics,
    );
    // The client asks the Roughtime server first thing: the server must be up.
    scrape_until(server_metrics, Duration::from_secs(5), |_| true);
    lab.daemon(
        "client",
        &format!(
            "[clock]\nkind = \"virtual\"\n\n[[ntp-source]]\naddress = \"127.0.0.1:{ntp}\"\n\n\
             [[csptp-source]]\naddress = \"127.0.0.1:{csptp}\"\nlocal-port = {csptp_local}\npoll = -2\n\n\
             [[roughtime-source]]\naddress = \"127.0.0.1:{roughtime}\"\npublic-key = \"{public}\"\n\n\
             [roughtime]\nminimum-agreeing = 1\n"
        ),
        client_metrics,
    );
    let client = scrape_until(client_metrics, Duration::from_secs(10), |t| {
        sample(t, "tempora_csptp_source_samples_total").is_some_and(|n| n >= 2.0)
            && sample(t, "tempora_roughtime_agreeing_sources") == Some(1.0)
    });
    let server = scrape_until(server_metrics, Duration::from_secs(5), |t| {
        sample(t, "tempora_ntp_server_replied_total").is_some_and(|n| n >= 1.0)
            && sample(t, "tempora_roughtime_server_replies_total").is_some_and(|n| n >= 1.0)
    });
    // Every kind of family the two pages should have is there for promtool.
    for (text, names) in [
        (
            &client,
            &[
                "tempora_clock_frequency_adjustment_ratio",
                "tempora_ntp_source_reach",
                "tempora_csptp_source_delay_seconds",
                "tempora_csptp_source_requests_total",
                "tempora_roughtime_source_radius_seconds",
                "tempora_uptime_seconds",
            ][..],
        ),
        (
            &server,
            &[
                "tempora_ntp_server_received_total",
                "tempora_csptp_server_replies_total",
                "tempora_roughtime_server_dropped_total",
                "tempora_ptp_residence_time_seconds",
            ][..],
        ),
    ] {
        for name in names {
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}:\n{text}");
        }
    }
    for (who, text) in [("client", &client), ("server", &server)] {
        let (code, said) = promtool(text);
        assert_eq!(
            (code, said.as_str()),
            (0, ""),
            "promtool check metrics on the {who}'s /metrics:\n{text}"
        );
    }
}

#[test]
fn promtool_flags_what_breaks_the_conventions() {
    if !promtool_available() {
        return;
    }
    let (code, said) = promtool(
        "# HELP tempora_drift_ms Drift.\n# TYPE tempora_drift_ms gauge\ntempora_drift_ms 3\n",
    );
    assert_ne!(code, 0, "{said}");
    assert!(said.contains("abbreviated units"), "{said}");
    let (code, said) = promtool("tempora_x{ 1\n");
    assert_ne!(code, 0, "{said}");
}

#[test]
fn samples_are_read_by_name() {
    let text = "# TYPE a_total counter\na_total{x=\"1\"} 3\nab 4\na 5\n";
    assert_eq!(sample(text, "a_total"), Some(3.0));
    assert_eq!(sample(text, "a"), Some(5.0));
    assert_eq!(sample(text, "b"), None);
}
