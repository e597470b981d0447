//! The web dashboard (`[observability] dashboard-listen`,
//! docs/dashboard.md): a read-only page and JSON API on threads of their
//! own, started only when configured.
//!
//! The timing loop hands its status snapshot, once a second, to a
//! [`Feed`]: a `try_send` into a bounded channel, which never waits (a
//! full channel drops the snapshot and counts it). The recorder thread
//! takes the snapshots and, on its own one-second ticks, records the
//! latest into the history (`crate::history`, what is recorded is
//! `crate::dashboard_series`). The acceptor thread answers each connection
//! on a thread of its own (`crate::dashboard_http`, routes in
//! `crate::dashboard_api`), at most [`MAX_CONNECTIONS`] at once; one more
//! gets 503. The history's seconds count on the monotonic clock from
//! [`SECOND_OFFSET`] seconds before the start of the minute the dashboard
//! started in (its buckets are the system clock's minutes; the day and
//! more before the start holds a restored history); the API turns them
//! into Unix time when it answers, so a step of the system clock moves the
//! whole history with it.
//!
//! With `dashboard-history-file`, the history is restored from the file at
//! start (`crate::history`'s `restore`: a missing file is a fresh start, a
//! bad one a warning and a fresh start) and saved every [`SAVE_EVERY`] and
//! when the daemon stops (written beside the file, then renamed over it).

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::dashboard_api::{ApiState, route};
use crate::dashboard_http::{self, Response};
use crate::dashboard_series;
use crate::history::History;
use crate::status::Status;

/// The most connections served at once.
pub const MAX_CONNECTIONS: usize = 8;
/// Snapshots waiting for the recorder, at most.
const QUEUE: usize = 2;
/// A snapshot older than this is not recorded (the timing loop stopped
/// publishing): the history shows a gap.
const STALE: Duration = Duration::from_secs(5);
/// The history's second at the dashboard's start: a day and an hour, so
/// that a restored day lies at seconds above 0 (a whole number of
/// minutes, so that buckets stay minutes).
pub const SECOND_OFFSET: u32 = 90_000;
/// How often the history is saved to its file.
pub const SAVE_EVERY: Duration = Duration::from_secs(600);

/// The timing loop's end: hands over status snapshots without waiting.
#[derive(Debug, Clone)]
pub struct Feed {
    sender: SyncSender<Status>,
    dropped: Arc<AtomicU64>,
}

impl Feed {
    /// Offers `status` to the dashboard; dropped (and counted) when the
    /// dashboard is behind.
    pub fn offer(&self, status: Status) {
        // Full (the recorder is behind) or disconnected (it ended): the
        // loop goes on either way.
        if self.sender.try_send(status).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What the recorder writes and the connections read.
#[derive(Debug, Default)]
struct Shared {
    history: History,
    status_json: Option<String>,
    status_at: Option<Instant>,
}

/// The dashboard's threads' common state.
#[derive(Debug)]
struct Dashboard {
    shared: Mutex<Shared>,
    /// The history's second [`SECOND_OFFSET`]: the start of the minute the
    /// dashboard started in.
    origin: Instant,
    dropped: Arc<AtomicU64>,
    /// `dashboard-history-file`, if set.
    file: Option<PathBuf>,
}

impl Dashboard {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panicked holder leaves data that is still whole (each update
        // is one assignment or one `record`).
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The history's second now, and the Unix time of its second 0.
    fn clock(&self) -> (u32, i64) {
        let elapsed = self.origin.elapsed();
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let origin_unix = (unix_now - elapsed.as_secs_f64()).round() as i64;
        (
            seconds(elapsed).saturating_add(SECOND_OFFSET),
            origin_unix - i64::from(SECOND_OFFSET),
        )
    }

    /// The answer to a GET of `target`, from the state now.
    fn answer(&self, target: &str) -> Response {
        let (now, origin_unix) = self.clock();
        let shared = self.lock();
        let state = ApiState {
            history: &shared.history,
            status_json: shared.status_json.as_deref(),
            status_age_s: shared.status_at.map(|at| at.elapsed().as_secs_f64()),
            now,
            origin_unix,
            snapshots_dropped: self.dropped.load(Ordering::Relaxed),
        };
        route(target, &state)
    }
}

/// The instant the current minute of the system clock began: the
/// history's second 0, so that its one-minute buckets are the clock's
/// minutes.
fn minute_start() -> Instant {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let into_minute = Duration::from_nanos((unix.as_nanos() % 60_000_000_000) as u64);
    let now = Instant::now();
    now.checked_sub(into_minute).unwrap_or(now)
}

/// Whole seconds of `d`, saturated to `u32`.
fn seconds(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// The dashboard's threads: the recorder, which saves the history when
/// the feed is dropped (join it to wait for that), and the acceptor.
#[derive(Debug)]
pub struct Threads {
    /// Records, saves, and ends when the feed is dropped.
    pub recorder: JoinHandle<()>,
    /// Accepts connections until the process ends.
    pub acceptor: JoinHandle<()>,
}

/// Serves the dashboard on `listen`, its history restored from and saved
/// to `file`: starts the recorder and the acceptor threads. Returns the
/// bound address (useful with port 0), the feed for the timing loop and
/// the threads.
pub fn serve(listen: SocketAddr, file: Option<&Path>) -> io::Result<(SocketAddr, Feed, Threads)> {
    let listener = TcpListener::bind(listen)?;
    let addr = listener.local_addr()?;
    let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let dashboard = Arc::new(Dashboard {
        shared: Mutex::new(Shared::default()),
        origin: minute_start(),
        dropped: Arc::clone(&dropped),
        file: file.map(Path::to_path_buf),
    });
    dashboard.restore();
    let recorder = {
        let d = Arc::clone(&dashboard);
        std::thread::Builder::new()
            .name("tempora-dash-rec".into())
            .spawn(move || record(&d, &receiver))?
    };
    let route: dashboard_http::Route = Arc::new(move |_, target| dashboard.answer(target));
    let acceptor = std::thread::Builder::new()
        .name("tempora-dashboard".into())
        .spawn(move || {
            let name = "tempora-dash-conn";
            dashboard_http::accept_bounded(&listener, name, MAX_CONNECTIONS, true, &route);
        })?;
    let threads = Threads { recorder, acceptor };
    Ok((addr, Feed { sender, dropped }, threads))
}

impl Dashboard {
    /// Restores the history from its file, if any (see the module docs).
    fn restore(&self) {
        let Some(path) = &self.file else {
            return;
        };
        let bytes = match read_bounded(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "dashboard history not restored");
                return;
            }
        };
        let (now, origin_unix) = self.clock();
        match History::restore(&bytes, origin_unix, now) {
            Ok(h) => {
                tracing::info!(path = %path.display(), series = h.series().len(), "dashboard history restored");
                self.lock().history = h;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "dashboard history not restored; starting afresh")
            }
        }
    }

    /// Saves the history to its file, if any: written beside it, then
    /// renamed over it, so a crash leaves the old file or the new one.
    fn save(&self) {
        let Some(path) = &self.file else {
            return;
        };
        let (now, origin_unix) = self.clock();
        let bytes = self.lock().history.save(origin_unix, now);
        let tmp = path.with_extension("new");
        let written = write_private(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .and_then(|()| sync_directory(path));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "dashboard history not saved");
        }
    }
}

/// At most [`crate::history::MAX_FILE_BYTES`] of `path`.
fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let limit = crate::history::MAX_FILE_BYTES as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other("larger than any history"));
    }
    Ok(bytes)
}

/// Makes the rename of `path` durable: fsyncs its directory.
fn sync_directory(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// Writes `bytes` to `path`, readable by its owner and group only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o640)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The recorder: keeps the latest snapshot (and its JSON for
/// `/api/v1/status`), and records it into the history once a second.
/// Ends when the feed is dropped.
fn record(d: &Dashboard, receiver: &Receiver<Status>) {
    let mut latest: Option<(Instant, Status)> = None;
    let mut next = 1u64;
    let mut saved = Instant::now();
    loop {
        let tick = d.origin + Duration::from_secs(next);
        match receiver.recv_timeout(tick.saturating_duration_since(Instant::now())) {
            Ok(status) => {
                let json = serde_json::to_string(&status).ok();
                let at = Instant::now();
                let mut shared = d.lock();
                shared.status_json = json;
                shared.status_at = Some(at);
                drop(shared);
                latest = Some((at, status));
                continue;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                d.save();
                return;
            }
        }
        let elapsed = d.origin.elapsed();
        let now = seconds(elapsed).saturating_add(SECOND_OFFSET);
        let fresh = latest.as_ref().filter(|(at, _)| at.elapsed() < STALE);
        if let Some((_, status)) = fresh {
            let samples = dashboard_series::samples(status);
            let mut shared = d.lock();
            for (name, sample) in &samples {
                shared.history.record(now, name, sample);
            }
        }
        if saved.elapsed() >= SAVE_EVERY {
            d.save();
            saved = Instant::now();
        }
        next = elapsed.as_secs() + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn request(addr: SocketAddr, text: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(text).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn get(addr: SocketAddr, target: &str) -> String {
        request(
            addr,
            format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
        )
    }

    #[test]
    fn serves_snapshots_and_history() {
        let (addr, feed, _threads) = serve("127.0.0.1:0".parse().unwrap(), None).unwrap();
        assert!(get(addr, "/api/v1/status").starts_with("HTTP/1.1 503"));
        let status = crate::status::tests::sample();
        // Two ticks of the recorder with a fresh snapshot each.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut page = String::new();
        while Instant::now() < deadline {
            feed.offer(status.clone());
            std::thread::sleep(Duration::from_millis(300));
            page = get(addr, "/api/v1/history?source=ptp%3Aport1");
            let body = page.split("\r\n\r\n").nth(1).unwrap_or("");
            let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            if v["t"].as_array().is_some_and(|t| t.len() >= 2) {
                assert_eq!(v["offset_ns"][0], -120.0);
                assert_eq!(v["delay_ns"][1], 2100.0);
                break;
            }
        }
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let status_page = get(addr, "/api/v1/status");
        assert!(status_page.contains("\"identity\":\"020000.fffe.000001\""));
        assert!(get(addr, "/").contains("<html"));
        let head = request(addr, b"HEAD / HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200") && head.ends_with("\r\n\r\n"));
    }

    /// The points of `ptp:port1` the API gives.
    fn points(addr: SocketAddr) -> usize {
        let page = get(addr, "/api/v1/history?source=ptp%3Aport1");
        let body = page.split("\r\n\r\n").nth(1).unwrap_or("");
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        v["t"].as_array().map_or(0, Vec::len)
    }

    #[test]
    fn the_history_is_saved_at_stop_and_restored_at_start() {
        let dir = std::env::temp_dir().join(format!("tempora-dash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("history");
        let (addr, feed, threads) = serve("127.0.0.1:0".parse().unwrap(), Some(&file)).unwrap();
        let status = crate::status::tests::sample();
        let deadline = Instant::now() + Duration::from_secs(10);
        while points(addr) < 2 {
            assert!(Instant::now() < deadline, "nothing recorded");
            feed.offer(status.clone());
            std::thread::sleep(Duration::from_millis(300));
        }
        let before = points(addr);
        // The daemon stops: the feed goes, the recorder saves.
        drop(feed);
        threads.recorder.join().unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        }
        // Started again: the points are there before any new snapshot.
        let (addr, _feed, _threads) = serve("127.0.0.1:0".parse().unwrap(), Some(&file)).unwrap();
        assert!(points(addr) >= before, "{} < {before}", points(addr));
        // A file that is not a history: a fresh start.
        std::fs::write(&file, b"not a history").unwrap();
        let (addr, _feed, _threads) = serve("127.0.0.1:0".parse().unwrap(), Some(&file)).unwrap();
        assert_eq!(points(addr), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// With nobody taking snapshots the feed keeps [`QUEUE`] and drops the
    /// rest at once: the timing loop never waits for the dashboard.
    #[test]
    fn the_feed_never_waits() {
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let feed = Feed {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        let status = crate::status::tests::sample();
        for _ in 0..10 {
            feed.offer(status.clone());
        }
        assert_eq!(feed.dropped.load(Ordering::Relaxed), 10 - QUEUE as u64);
        drop(receiver);
        feed.offer(status);
        assert_eq!(feed.dropped.load(Ordering::Relaxed), 11 - QUEUE as u64);
    }

    #[test]
    fn bad_requests_get_answers() {
        let (addr, _feed, _threads) = serve("127.0.0.1:0".parse().unwrap(), None).unwrap();
        assert!(get(addr, "/nothing").starts_with("HTTP/1.1 404"));
        assert!(get(addr, "/api/v1/history?range=2h").starts_with("HTTP/1.1 400"));
        // A query string of 100 kB: 414, not a panic nor a read of all of
        // it into memory.
        let huge = format!("/api/v1/history?source={}", "a".repeat(100_000));
        assert!(get(addr, &huge).starts_with("HTTP/1.1 414"));
        let long_target = format!("/?{}", "a".repeat(3000));
        assert!(get(addr, &long_target).starts_with("HTTP/1.1 414"));
        let headers = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "b".repeat(10_000));
        assert!(request(addr, headers.as_bytes()).starts_with("HTTP/1.1 431"));
        assert!(request(addr, b"POST / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        // A name other than localhost (DNS rebinding): 421.
        let named = b"GET /api/v1/status HTTP/1.1\r\nHost: evil.example:9912\r\n\r\n";
        assert!(request(addr, named).starts_with("HTTP/1.1 421"));
        let local = b"GET / HTTP/1.1\r\nHost: localhost:9912\r\n\r\n";
        assert!(request(addr, local).starts_with("HTTP/1.1 200"));
        assert!(request(addr, b"\x16\x03\x01garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
        // Still serving.
        assert!(get(addr, "/").starts_with("HTTP/1.1 200"));
    }

    #[test]
    fn connections_are_bounded() {
        let (addr, _feed, _threads) = serve("127.0.0.1:0".parse().unwrap(), None).unwrap();
        // Connections that send nothing hold their threads until the head
        // deadline.
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(addr).unwrap())
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        assert!(get(addr, "/").starts_with("HTTP/1.1 503"));
        drop(idle);
        // Their threads end when they see the end of the stream.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut page = get(addr, "/");
        while !page.starts_with("HTTP/1.1 200") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            page = get(addr, "/");
        }
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    }
}
