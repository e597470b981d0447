//! The `gpsd` reference clock: a non-blocking TCP client of gpsd's JSON
//! service (`gpsd_json(5)`). On connecting it sends
//! `?WATCH={"enable":true,"json":true,"pps":true}`; then each TOFF report
//! (the GPS time of the cycle's second against the system time gpsd
//! received the cycle's first data at, the same pair gpsd writes to its
//! SHM segment) is a sample, while the last TPV report says whether
//! there is a fix (`mode` ≥ 2). A gpsd too old to send TOFF is read from
//! the TPV times against our receive time. PPS reports are left to a
//! `pps` refclock. A lost connection is retried with a backoff from 1 s
//! to 64 s.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Instant;

use tempora_clock::{BaseClock, Duration, Time};
use tempora_linux::clock::RealtimeBase;
use tempora_refclock::gpsd::{self, GpsdError, Report};
use tempora_refclock::line::{Line, LineAssembler};

use crate::refclock_event::{Event, Problem};

/// The dispersion of a gpsd sample (gpsd stamps NMEA to about a
/// millisecond; the spread over a poll says the rest).
const GPSD_DISPERSION: Duration = Duration::from_micros(1);

/// How long a connection may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The first and the longest wait before reconnecting.
const BACKOFF_MIN: std::time::Duration = std::time::Duration::from_secs(1);
const BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(64);

/// Where the connection is.
enum Conn {
    /// Not connected; the next attempt at `retry`.
    Idle { retry: Instant },
    /// connect(2) in progress since `since`.
    Connecting { stream: TcpStream, since: Instant },
    /// Connected, WATCH sent.
    Up { stream: TcpStream },
}

/// A gpsd client.
pub struct GpsdDriver {
    address: String,
    device: Option<String>,
    conn: Conn,
    lines: LineAssembler,
    backoff: std::time::Duration,
    /// The last TPV's mode.
    mode: Option<u8>,
    /// Whether gpsd sends TOFF reports (then TPV times are not samples).
    toff_seen: bool,
}

impl GpsdDriver {
    /// A client of gpsd at `address` (`HOST:PORT`), taking the reports of
    /// `device` only (all when `None`); it connects at the first tick.
    pub fn new(address: &str, device: Option<String>) -> Self {
        GpsdDriver {
            address: address.to_string(),
            device,
            conn: Conn::Idle {
                retry: Instant::now(),
            },
            lines: LineAssembler::new(gpsd::MAX_LINE),
            backoff: BACKOFF_MIN,
            mode: None,
            toff_seen: false,
        }
    }

    /// The connected socket, to poll.
    pub fn fd(&self) -> Option<RawFd> {
        match &self.conn {
            Conn::Up { stream } => Some(stream.as_raw_fd()),
            _ => None,
        }
    }

    /// The timer: connects, and notices a connection that came up or
    /// failed.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Event>) {
        match &self.conn {
            Conn::Idle { retry } if now >= *retry => self.connect(now, out),
            Conn::Connecting { stream, since } => match tempora_linux::tcp::connected(stream) {
                Ok(true) => self.watch(out),
                Ok(false) if now.duration_since(*since) > CONNECT_TIMEOUT => {
                    self.disconnect(now, "connection timed out", out);
                }
                Ok(false) => {}
                Err(e) => self.disconnect(now, &e.to_string(), out),
            },
            _ => {}
        }
    }

    fn connect(&mut self, now: Instant, out: &mut Vec<Event>) {
        let addr: Option<SocketAddr> = self
            .address
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next());
        let Some(addr) = addr else {
            self.disconnect(now, &format!("cannot resolve {}", self.address), out);
            return;
        };
        match tempora_linux::tcp::connect_nonblocking(addr) {
            Ok(stream) => self.conn = Conn::Connecting { stream, since: now },
            Err(e) => self.disconnect(now, &e.to_string(), out),
        }
    }

    fn watch(&mut self, out: &mut Vec<Event>) {
        let Conn::Connecting { stream, .. } = std::mem::replace(
            &mut self.conn,
            Conn::Idle {
                retry: Instant::now(),
            },
        ) else {
            return;
        };
        let mut stream = stream;
        // A few dozen bytes into an empty socket buffer: written at once.
        if let Err(e) = stream.write_all(gpsd::WATCH_COMMAND) {
            self.disconnect(Instant::now(), &e.to_string(), out);
            return;
        }
        tracing::info!(gpsd = %self.address, "connected to gpsd");
        self.backoff = BACKOFF_MIN;
        self.lines.reset();
        self.conn = Conn::Up { stream };
    }

    fn disconnect(&mut self, now: Instant, why: &str, out: &mut Vec<Event>) {
        out.push(Problem::event(
            "disconnected",
            format!("gpsd: disconnected ({why})"),
        ));
        self.conn = Conn::Idle {
            retry: now + self.backoff,
        };
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        self.mode = None;
    }

    /// The socket is readable: the reports it holds.
    pub fn readable(&mut self, out: &mut Vec<Event>) {
        let mut buf = [0u8; 4096];
        for _ in 0..16 {
            let Conn::Up { stream } = &mut self.conn else {
                return;
            };
            let n = match stream.read(&mut buf) {
                Ok(0) => {
                    self.disconnect(Instant::now(), "gpsd closed the connection", out);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.disconnect(Instant::now(), &e.to_string(), out);
                    return;
                }
            };
            let local = RealtimeBase.now();
            let mut lines = std::mem::replace(&mut self.lines, LineAssembler::new(0));
            lines.push(buf.get(..n).unwrap_or_default(), |line| {
                if let Some(e) = self.report(line, local) {
                    out.push(e);
                }
            });
            self.lines = lines;
        }
    }

    /// One report line received at `local` (CLOCK_REALTIME).
    pub fn report(&mut self, line: Line<'_>, local: Time) -> Option<Event> {
        let line = match line {
            Line::Complete(l) if l.iter().all(u8::is_ascii_whitespace) => return None,
            Line::Complete(l) => l,
            Line::TooLong => return Some(Problem::event("bad_json", "gpsd: report too long")),
        };
        let report = match gpsd::decode(line) {
            Ok(r) => r,
            Err(GpsdError::NotJson) => {
                return Some(Problem::event("bad_json", "gpsd: invalid JSON"));
            }
            Err(GpsdError::InvalidField(f)) => {
                return Some(Problem::event(
                    "bad_json",
                    format!("gpsd: invalid field `{f}`"),
                ));
            }
            Err(GpsdError::NoFix { mode }) => {
                return Some(Problem::event("no_fix", format!("no fix (mode {mode})")));
            }
        };
        match report {
            Report::Tpv(tpv) if self.ours(tpv.device.as_deref()) => {
                self.mode = Some(tpv.mode);
                match tpv.fix_time() {
                    Err(GpsdError::NoFix { mode }) => {
                        Some(Problem::event("no_fix", format!("no fix (mode {mode})")))
                    }
                    Err(_) => None,
                    Ok(_) if self.toff_seen => None,
                    Ok(t) => Some(Event::Sample {
                        reference: t,
                        local,
                        dispersion: GPSD_DISPERSION,
                        leap: None,
                    }),
                }
            }
            Report::Toff(toff) if self.ours(toff.device.as_deref()) => {
                self.toff_seen = true;
                match self.mode {
                    Some(m) if m >= 2 => Some(Event::Sample {
                        reference: toff.real,
                        local: toff.clock,
                        dispersion: GPSD_DISPERSION,
                        leap: None,
                    }),
                    Some(m) => Some(Problem::event("no_fix", format!("no fix (mode {m})"))),
                    None => None,
                }
            }
            _ => None,
        }
    }

    /// Whether a report of `device` is for this refclock.
    fn ours(&self, device: Option<&str>) -> bool {
        match (&self.device, device) {
            (None, _) => true,
            (Some(want), Some(got)) => want == got,
            (Some(_), None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(d: &mut GpsdDriver, line: &str) -> Option<Event> {
        d.report(
            Line::Complete(line.as_bytes()),
            Time::from_secs_nanos(1_700_000_000, 60_000_000),
        )
    }

    #[test]
    fn toff_reports_are_samples_while_there_is_a_fix() {
        let mut d = GpsdDriver::new("127.0.0.1:2947", None);
        let tpv =
            r#"{"class":"TPV","device":"/dev/ttyS0","mode":3,"time":"2023-11-14T22:13:20.000Z"}"#;
        // Before any TOFF: the TPV time against our receive time.
        let Some(Event::Sample { reference, .. }) = feed(&mut d, tpv) else {
            panic!()
        };
        assert_eq!(reference, Time::from_secs_nanos(1_700_000_000, 0));
        let toff = r#"{"class":"TOFF","device":"/dev/ttyS0","real_sec":1700000000,"real_nsec":0,"clock_sec":1700000000,"clock_nsec":50000000,"precision":-1}"#;
        let Some(Event::Sample {
            reference, local, ..
        }) = feed(&mut d, toff)
        else {
            panic!()
        };
        assert_eq!(reference, Time::from_secs_nanos(1_700_000_000, 0));
        assert_eq!(local, Time::from_secs_nanos(1_700_000_000, 50_000_000));
        // With TOFF seen, a TPV is no sample of its own.
        assert_eq!(feed(&mut d, tpv), None);
        let nofix = r#"{"class":"TPV","device":"/dev/ttyS0","mode":1}"#;
        let Some(Event::Problem(p)) = feed(&mut d, nofix) else {
            panic!()
        };
        assert_eq!((p.kind, p.text.as_str()), ("no_fix", "no fix (mode 1)"));
        let Some(Event::Problem(p)) = feed(&mut d, toff) else {
            panic!()
        };
        assert_eq!(p.kind, "no_fix");
        let Some(Event::Problem(p)) = feed(&mut d, "{\"class\":\"TPV\",") else {
            panic!()
        };
        assert_eq!(
            (p.kind, p.text.as_str()),
            ("bad_json", "gpsd: invalid JSON")
        );
    }

    #[test]
    fn reports_of_another_device_are_ignored() {
        let mut d = GpsdDriver::new("127.0.0.1:2947", Some("/dev/ttyS1".into()));
        let tpv =
            r#"{"class":"TPV","device":"/dev/ttyS0","mode":3,"time":"2023-11-14T22:13:20.000Z"}"#;
        assert_eq!(feed(&mut d, tpv), None);
    }

    #[test]
    fn a_refused_connection_is_a_problem_and_retried_later() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let mut d = GpsdDriver::new(&addr, None);
        let mut out = Vec::new();
        let start = Instant::now();
        for _ in 0..200 {
            d.tick(Instant::now(), &mut out);
            if !out.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let Some(Event::Problem(p)) = out.first() else {
            panic!("{out:?}")
        };
        assert_eq!(p.kind, "disconnected");
        assert!(matches!(d.conn, Conn::Idle { retry } if retry >= start + BACKOFF_MIN));
    }
}
