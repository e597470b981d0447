//! `[observability] dashboard-history-file`: a daemon stopped with SIGTERM
//! saves the dashboard's history (the timing loop waits for the recorder),
//! and the next start serves it again before recording anything new. The
//! daemon runs on the host with a virtual clock and the dashboard on
//! loopback (no namespace, no clock touched).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(config: &Path, log: &Path) -> Daemon {
    let out = std::fs::File::create(log).unwrap();
    Daemon(
        Command::new(env!("CARGO_BIN_EXE_tempora"))
            .arg("daemon")
            .arg("-c")
            .arg(config)
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap(),
    )
}

/// The `clock` series' points the dashboard at `port` serves (0 when it
/// does not answer).
fn points(port: u16) -> usize {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(
        format!("GET /api/v1/history?source=clock HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")
            .as_bytes(),
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v["t"].as_array().map_or(0, Vec::len)
}

#[test]
fn the_dashboard_history_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("tempora-dash-hist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = dir.join("history");
    let config = dir.join("tempora.toml");
    std::fs::write(
        &config,
        format!(
            "[clock]\nkind = \"virtual\"\n\n[ntp-server]\nlisten = [\"127.0.0.1:0\"]\n\n\
             [observability]\nsocket = \"{}\"\ndashboard-listen = \"127.0.0.1:{port}\"\n\
             dashboard-history-file = \"{}\"\n",
            dir.join("tempora.sock").display(),
            file.display()
        ),
    )
    .unwrap();
    let log = dir.join("daemon.out");
    let mut daemon = start(&config, &log);
    let deadline = Instant::now() + Duration::from_secs(20);
    while points(port) < 3 {
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(Instant::now() < deadline, "no points recorded:\n{out}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let before = points(port);
    let pid = daemon.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(daemon.0.wait().unwrap().success());
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(file.is_file(), "no history file after the stop:\n{out}");
    let _restarted = start(&config, &log);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut after = 0;
    while after < before {
        assert!(
            Instant::now() < deadline,
            "{after} points after the restart, {before} before"
        );
        std::thread::sleep(Duration::from_millis(100));
        after = points(port);
    }
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(out.contains("dashboard history restored"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
