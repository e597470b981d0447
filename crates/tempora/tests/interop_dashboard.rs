//! The web dashboard in a real browser (issue #18, docs/dashboard.md):
//! Debian's headless chromium, driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`), loads the page from a running daemon.
//!
//! - A Tempora slave of linuxptp's ptp4l (free_running, in network
//!   namespaces, on a virtual clock): the page shows the port in SLAVE
//!   state, a chart with at least [`MIN_POINTS`] offsets of the port and
//!   the port as the selected source. A screenshot goes to
//!   `target/artifacts/dashboard.png`.
//! - The daemon stopped under a loaded page: the page says "daemon
//!   unreachable" and keeps the last figures
//!   (`target/artifacts/dashboard-unreachable.png`).
//!
//! Needs root (namespaces), chromium and, for the first, linuxptp; when
//! one is missing the test is skipped with one line, except under
//! CI=true, where it fails.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::{Lab, available, in_ci, is_root};
use serde_json::{Value, json};

/// The offsets of the port the chart must show at least.
const MIN_POINTS: u64 = 8;
/// Where the daemons serve the dashboard, inside their namespaces.
const LISTEN: &str = "127.0.0.1:9912";

/// Whether chromium runs here; under CI=true its absence is a failure.
fn chromium_available() -> bool {
    let ok = Command::new("chromium")
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !in_ci(),
            "the dashboard test needs chromium (apt-get install chromium)"
        );
        eprintln!("skipped: needs chromium");
    }
    ok
}

/// Where the screenshots go: `target/artifacts`.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A headless chromium in a lab's namespace, one page attached, spoken to
/// over the DevTools protocol: JSON messages ending in a NUL byte, the
/// browser reading fd 3 and writing fd 4 (here its stdin and stdout).
struct Browser {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    session: Option<String>,
}

impl Browser {
    /// Starts chromium in namespace `ns` of `lab` and opens `url`.
    fn open(lab: &Lab, ns: usize, url: &str) -> Browser {
        let log = std::fs::File::create(lab.dir.join("chromium.log")).unwrap();
        let script = format!(
            "exec chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
             --no-first-run --user-data-dir={} --window-size=1280,1900 \
             --remote-debugging-pipe 3<&0 4>&1 0</dev/null 1>&2",
            lab.path("chromium-profile")
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &lab.ns[ns], "bash", "-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            while output.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice(&buf) {
                    if sender.send(v).is_err() {
                        return;
                    }
                }
                buf.clear();
            }
        });
        let mut b = Browser {
            child,
            input,
            messages,
            next_id: 0,
            session: None,
        };
        let target = b.call("Target.createTarget", json!({ "url": url }));
        let target_id = target["targetId"].clone();
        let attached = b.call(
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        b.session = attached["sessionId"].as_str().map(str::to_owned);
        assert!(b.session.is_some(), "{attached}");
        b
    }

    /// Sends `method` (to the page, once attached) and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            message["sessionId"] = s.clone().into();
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.input.write_all(&bytes).unwrap();
        self.input.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .messages
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("no answer from chromium to {method}: {e}"));
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// What the page says: its connection state, the ports' states, the
    /// offset and frequency charts' counts of points per series, the
    /// sources table's rows, the unreachable banner and the servo's state.
    fn page(&mut self) -> Value {
        let expression = r#"JSON.stringify({
            state: document.body.dataset.state,
            ports: [...document.querySelectorAll('#ports tbody td.state')].map(e => e.textContent),
            counts: JSON.parse(document.getElementById('chart-offset').dataset.counts || '{}'),
            frequency: JSON.parse(document.getElementById('chart-frequency').dataset.counts || '{}'),
            canvases: document.querySelectorAll('#chart-offset canvas').length,
            sources: [...document.querySelectorAll('#sources tbody tr')].map(r => [...r.cells].map(c => c.textContent)),
            banner: document.getElementById('unreachable').hidden ? null : document.getElementById('unreachable').textContent,
            servo: document.getElementById('servo-state').textContent,
            error: document.getElementById('clock-error').textContent,
        })"#;
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        serde_json::from_str(r["result"]["value"].as_str().unwrap_or("null")).unwrap()
    }

    /// Polls [`Browser::page`] until `done` holds or `timeout` passes;
    /// returns the last.
    fn wait(&mut self, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let page = self.page();
            if done(&page) || Instant::now() > deadline {
                return page;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Saves a PNG of the page to `path` (decoded by coreutils' base64).
    fn screenshot(&mut self, path: &std::path::Path) {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let data = r["data"].as_str().unwrap();
        let b64 = path.with_extension("b64");
        std::fs::write(&b64, data).unwrap();
        let png = std::fs::File::create(path).unwrap();
        let ok = Command::new("base64")
            .arg("-d")
            .arg(&b64)
            .stdout(png)
            .status()
            .is_ok_and(|s| s.success());
        let _ = std::fs::remove_file(&b64);
        assert!(ok, "base64 -d");
        eprintln!("screenshot: {}", path.display());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the pipe ends the browser and its helpers; kill it if it
        // lingers.
        let _ = self
            .input
            .write_all(b"{\"id\":0,\"method\":\"Browser.close\"}\0");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page of a Tempora slave of ptp4l: the port SLAVE, its offsets in
/// the chart, the port selected in the sources table.
#[test]
fn dashboard_shows_a_slave_of_ptp4l() {
    if !available() || !chromium_available() {
        return;
    }
    let started = Instant::now();
    let mut lab = Lab::chain("dsh", 2);
    // Announce and Sync four times a second: the slave is SLAVE within
    // about two seconds.
    lab.ptp4l(
        "gm",
        0,
        &["veth0"],
        "priority1 100\nfree_running 1\nnetwork_transport UDPv4\nlogAnnounceInterval -2\n\
         announceReceiptTimeout 2\nlogSyncInterval -2\n",
    );
    lab.tempora(
        "slave",
        1,
        &format!(
            "[ptp]\nslave-only = true\n\n[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\n\
             timestamping = \"software\"\n\n[clock]\nkind = \"virtual\"\ninitial-offset = \"2ms\"\n\
             frequency-offset-ppm = 10.0\n\n[observability]\ndashboard-listen = \"{LISTEN}\"\n"
        ),
    );
    let (status, took) = lab.wait_status("slave", Duration::from_secs(20), |s| {
        s["ports"][0]["state"] == "SLAVE"
    });
    assert!(
        status
            .as_ref()
            .is_some_and(|s| s["ports"][0]["state"] == "SLAVE"),
        "not SLAVE after {took:?}: {status:?}"
    );
    let mut browser = Browser::open(&lab, 1, &format!("http://{LISTEN}/"));
    let page = browser.wait(Duration::from_secs(25), |p| {
        p["state"] == "live"
            && p["ports"] == json!(["SLAVE"])
            && p["canvases"].as_u64() >= Some(1)
            && p["counts"]["ptp:port1"].as_u64() >= Some(MIN_POINTS)
            && p["sources"][0][0] == "ptp:port1"
    });
    browser.screenshot(&artifacts().join("dashboard.png"));
    eprintln!("after {:.1} s: {page}", started.elapsed().as_secs_f64());
    assert_eq!(page["state"], "live", "{page}");
    assert_eq!(page["ports"], json!(["SLAVE"]), "{page}");
    assert!(
        page["canvases"].as_u64() >= Some(1),
        "no chart drawn: {page}"
    );
    let points = page["counts"]["ptp:port1"].as_u64().unwrap_or(0);
    assert!(
        points >= MIN_POINTS,
        "{points} offsets in the chart: {page}"
    );
    let row = &page["sources"][0];
    assert_eq!(row[0], "ptp:port1", "{page}");
    assert_eq!(row[1], "ptp", "{page}");
    assert_eq!(row[8], "selected", "{page}");
    assert!(page["banner"].is_null(), "{page}");
    // A PTP slave's error bound: |offset| + mean path delay.
    let error = page["error"].as_str().unwrap_or("");
    assert!(
        error.starts_with("≤ ") && error.ends_with(" (PTP)"),
        "estimated error {error:?}: {page}"
    );
}

/// The daemon stopped under a loaded page: "daemon unreachable", and the
/// last figures stay.
#[test]
fn dashboard_says_when_the_daemon_is_unreachable() {
    let root = is_root();
    if !root {
        assert!(!in_ci(), "the dashboard test needs root (namespaces)");
        eprintln!("skipped: needs root");
        return;
    }
    if !chromium_available() {
        return;
    }
    let mut lab = Lab::chain("dsu", 2);
    lab.tempora(
        "gm",
        0,
        &format!(
            "[[port]]\ninterface = \"veth0\"\ntransport = \"udp4\"\ntimestamping = \"software\"\n\n\
             [clock]\nkind = \"virtual\"\n\n[observability]\ndashboard-listen = \"{LISTEN}\"\n"
        ),
    );
    let (ready, took) = lab.wait_status("gm", Duration::from_secs(20), |_| true);
    assert!(ready.is_some(), "the daemon did not start in {took:?}");
    let mut browser = Browser::open(&lab, 0, &format!("http://{LISTEN}/"));
    // Live, with a few seconds of the clock's frequency drawn.
    let live = browser.wait(Duration::from_secs(15), |p| {
        p["state"] == "live"
            && p["ports"].as_array().is_some_and(|a| a.len() == 1)
            && p["frequency"]["clock"].as_u64() >= Some(3)
    });
    assert_eq!(live["state"], "live", "{live}");
    assert!(live["frequency"]["clock"].as_u64() >= Some(3), "{live}");
    lab.kill("gm");
    let down = browser.wait(Duration::from_secs(10), |p| p["state"] == "unreachable");
    browser.screenshot(&artifacts().join("dashboard-unreachable.png"));
    eprintln!("{down}");
    assert_eq!(down["state"], "unreachable", "{down}");
    let banner = down["banner"].as_str().unwrap_or("");
    assert!(banner.contains("Daemon unreachable."), "{down}");
    assert!(banner.contains("last answer at"), "{down}");
    // The last figures are still there.
    assert_eq!(down["ports"], live["ports"], "{down}");
    assert!(down["frequency"]["clock"].as_u64() >= Some(3), "{down}");
    assert_eq!(down["servo"], live["servo"], "{down}");
}
