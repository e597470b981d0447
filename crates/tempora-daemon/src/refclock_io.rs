//! The local reference clock drivers: thin I/O over `tempora_linux`
//! (`shm`, `pps`, `serial`, the PHC clock) and a Unix datagram socket,
//! the decoding done by the sans-IO `tempora_refclock`. Each turns what
//! it read into [`Event`]s: the SHM segment, the PPS device and the PHC
//! are read on the timer ([`LocalDriver::tick`]); the SOCK socket and the
//! serial port when the timing loop finds them readable
//! ([`LocalDriver::readable`]).

use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use tempora_clock::{Duration, Time};
use tempora_linux::clock::{PhcClock, RealtimeBase};
use tempora_linux::pps::{CAPTURE_ASSERT, CAPTURE_CLEAR, PpsDevice};
use tempora_linux::shm::ShmSegment;
use tempora_refclock::Leap;
use tempora_refclock::line::{Line, LineAssembler};
use tempora_refclock::nmea::{self, NmeaError};
use tempora_refclock::pps::{Edge, PpsEdges, PpsInfo};
use tempora_refclock::shm::{self as shm_core, COUNT_OFFSET, ShmError, VALID_OFFSET};
use tempora_refclock::sock::{self as sock_core, SockError};

use crate::refclock_event::{Event, Problem, precision_dispersion};

use tempora_clock::BaseClock;

/// The longest NMEA sentence accepted (NMEA 0183 §5.3: 82 characters;
/// some receivers send longer proprietary ones).
const MAX_NMEA_LINE: usize = 256;

/// The dispersion of a sample from a serial NMEA sentence: the time a
/// sentence takes on the wire at 9600 baud is some tens of ms, its jitter
/// a character or so.
const NMEA_DISPERSION: Duration = Duration::from_millis(1);

/// Ticks (of the daemon's 250 ms timer) without a new SHM sample after
/// which the segment is attached again: 8 s.
pub const SHM_REATTACH_TICKS: u32 = 32;

/// A driver that reads a local device, segment or socket.
pub enum LocalDriver {
    /// The NTP SHM segment `key` (attached when a writer has created it).
    Shm {
        /// The segment's key.
        key: u32,
        /// The accepted mode, if only one.
        mode: Option<u8>,
        /// The attached segment.
        segment: Option<ShmSegment>,
        /// Ticks since the last new sample: after [`SHM_REATTACH_TICKS`]
        /// the segment is attached again (a writer that restarted may have
        /// removed it and made a new one under the same key).
        quiet: u32,
    },
    /// A PPS device.
    Pps {
        /// Its path.
        path: PathBuf,
        /// The open device.
        device: Option<PpsDevice>,
        /// New pulses of the edge.
        edges: PpsEdges,
        /// Which edge, for the capture mode.
        edge: Edge,
    },
    /// chrony's SOCK datagrams on a socket we bound.
    Sock {
        /// The bound socket.
        socket: UnixDatagram,
        /// Its path (removed on drop).
        path: PathBuf,
    },
    /// NMEA 0183 from a serial port.
    Nmea {
        /// The port.
        port: std::fs::File,
        /// Lines out of its bytes.
        lines: LineAssembler,
        /// The last second a sample was taken for (one per second).
        last_second: Option<Time>,
    },
    /// Another PHC.
    Phc {
        /// Its path.
        path: String,
        /// The open clock.
        clock: Option<PhcClock>,
    },
}

/// CLOCK_REALTIME now.
fn realtime() -> Time {
    RealtimeBase.now()
}

impl LocalDriver {
    /// The SHM segment `key`, attached at the first tick.
    pub fn shm(key: u32, mode: Option<u8>) -> Self {
        LocalDriver::Shm {
            key,
            mode,
            segment: None,
            quiet: 0,
        }
    }

    /// The PPS device `path`, opened at the first tick.
    pub fn pps(path: &Path, edge: Edge) -> Self {
        LocalDriver::Pps {
            path: path.to_path_buf(),
            device: None,
            edges: PpsEdges::new(edge),
            edge,
        }
    }

    /// Binds the SOCK socket `path` (a stale socket file is replaced, as
    /// chrony does).
    pub fn sock(path: &Path) -> io::Result<Self> {
        let _ = std::fs::remove_file(path);
        let socket = UnixDatagram::bind(path)?;
        socket.set_nonblocking(true)?;
        Ok(LocalDriver::Sock {
            socket,
            path: path.to_path_buf(),
        })
    }

    /// Opens the serial port `path` at `baud`.
    pub fn nmea(path: &Path, baud: u32) -> io::Result<Self> {
        Ok(LocalDriver::Nmea {
            port: tempora_linux::serial::open_serial(path, baud)?,
            lines: LineAssembler::new(MAX_NMEA_LINE),
            last_second: None,
        })
    }

    /// The PHC `path`, opened at the first tick.
    pub fn phc(path: &Path) -> Self {
        LocalDriver::Phc {
            path: path.display().to_string(),
            clock: None,
        }
    }

    /// Opens the device, clock or segment now, while the daemon still has
    /// its start-up privileges (a PPS device or an SHM segment of root's);
    /// what fails is retried, and reported, at the ticks.
    pub fn open_early(&mut self) {
        match self {
            LocalDriver::Shm { key, segment, .. } => *segment = ShmSegment::attach(*key).ok(),
            LocalDriver::Pps {
                path, device, edge, ..
            } => {
                let capture = match edge {
                    Edge::Assert => CAPTURE_ASSERT,
                    Edge::Clear => CAPTURE_CLEAR,
                };
                *device = PpsDevice::open(path, capture).ok();
            }
            LocalDriver::Phc { path, clock } => *clock = PhcClock::open(path).ok(),
            LocalDriver::Sock { .. } | LocalDriver::Nmea { .. } => {}
        }
    }

    /// The descriptor to poll, for the drivers read when readable.
    pub fn fd(&self) -> Option<RawFd> {
        match self {
            LocalDriver::Sock { socket, .. } => Some(socket.as_raw_fd()),
            LocalDriver::Nmea { port, .. } => Some(port.as_raw_fd()),
            _ => None,
        }
    }

    /// The timer: reads the SHM segment, the PPS device or the PHC.
    pub fn tick(&mut self, out: &mut Vec<Event>) {
        match self {
            LocalDriver::Shm {
                key,
                mode,
                segment,
                quiet,
            } => {
                let before = out.len();
                shm_tick(*key, *mode, segment, out);
                let fresh = out
                    .get(before..)
                    .is_some_and(|new| new.iter().any(|e| matches!(e, Event::Sample { .. })));
                *quiet = if fresh { 0 } else { *quiet + 1 };
                if *quiet >= SHM_REATTACH_TICKS {
                    *quiet = 0;
                    *segment = None;
                }
            }
            LocalDriver::Pps {
                path,
                device,
                edges,
                edge,
            } => pps_tick(path, device, edges, *edge, out),
            LocalDriver::Phc { path, clock } => phc_tick(path, clock, out),
            LocalDriver::Sock { .. } | LocalDriver::Nmea { .. } => {}
        }
    }

    /// The descriptor is readable: what it holds.
    pub fn readable(&mut self, out: &mut Vec<Event>) {
        match self {
            LocalDriver::Sock { socket, .. } => sock_readable(socket, out),
            LocalDriver::Nmea {
                port,
                lines,
                last_second,
            } => nmea_readable(port, lines, last_second, out),
            _ => {}
        }
    }
}

impl Drop for LocalDriver {
    fn drop(&mut self) {
        if let LocalDriver::Sock { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn shm_tick(key: u32, mode: Option<u8>, segment: &mut Option<ShmSegment>, out: &mut Vec<Event>) {
    if segment.is_none() {
        match ShmSegment::attach(key) {
            Ok(s) => *segment = Some(s),
            Err(e) => {
                out.push(Problem::event(
                    "no_segment",
                    format!("shm: cannot attach segment {key:#x}: {e}"),
                ));
                return;
            }
        }
    }
    let Some(seg) = segment.as_ref() else {
        return;
    };
    let (copy, count_after) = seg.snapshot(COUNT_OFFSET);
    match shm_core::read(&copy, count_after) {
        Ok(read) => {
            let s = read.sample;
            // The handshake: the sample is consumed whatever we make of it.
            seg.clear_word(VALID_OFFSET);
            let decoded_mode = shm_core::ShmSegment::decode(&copy).map(|d| d.mode).ok();
            if let (Some(want), Some(got)) = (mode, decoded_mode) {
                if i32::from(want) != got {
                    out.push(Problem::event(
                        "mode",
                        format!("shm: mode {got}, configured {want}"),
                    ));
                    return;
                }
            }
            if s.leap == Leap::Unsynchronized {
                out.push(Problem::event(
                    "unsynchronized",
                    "shm: writer not synchronized (leap 3)",
                ));
                return;
            }
            out.push(Event::Sample {
                reference: s.reference,
                local: s.local,
                dispersion: precision_dispersion(s.precision),
                leap: Some(s.leap),
            });
        }
        // No new sample since the last: nothing to say.
        Err(ShmError::NotValid) => {}
        Err(e) => out.push(shm_problem(e)),
    }
}

fn shm_problem(e: ShmError) -> Event {
    match e {
        ShmError::Torn { .. } => Problem::event("torn", "shm: torn read (count changed)"),
        ShmError::Mode(m) => Problem::event("mode", format!("shm: garbage (mode {m})")),
        ShmError::Leap(l) => Problem::event("garbage", format!("shm: garbage (leap {l})")),
        ShmError::Microseconds(u) => {
            Problem::event("garbage", format!("shm: garbage (microseconds {u})"))
        }
        ShmError::Length(n) => Problem::event("garbage", format!("shm: short segment ({n})")),
        ShmError::NotValid => Problem::event("not_valid", "shm not valid"),
    }
}

fn pps_tick(
    path: &Path,
    device: &mut Option<PpsDevice>,
    edges: &mut PpsEdges,
    edge: Edge,
    out: &mut Vec<Event>,
) {
    if device.is_none() {
        let capture = match edge {
            Edge::Assert => CAPTURE_ASSERT,
            Edge::Clear => CAPTURE_CLEAR,
        };
        match PpsDevice::open(path, capture) {
            Ok(d) => *device = Some(d),
            Err(e) => {
                out.push(Problem::event(
                    "open",
                    format!("pps: cannot open {}: {e}", path.display()),
                ));
                return;
            }
        }
    }
    let Some(dev) = device.as_ref() else { return };
    match dev.fetch() {
        Ok(f) => {
            let info = PpsInfo {
                assert_sequence: u64::from(f.assert_sequence),
                assert_time: f.assert_time,
                clear_sequence: u64::from(f.clear_sequence),
                clear_time: f.clear_time,
            };
            if let Some(edge) = edges.fetch(&info) {
                out.push(Event::Pulse { edge });
            }
        }
        Err(e) => {
            *device = None;
            out.push(Problem::event("read", format!("pps: fetch failed: {e}")));
        }
    }
}

fn phc_tick(path: &str, clock: &mut Option<PhcClock>, out: &mut Vec<Event>) {
    if clock.is_none() {
        match PhcClock::open(path) {
            Ok(c) => *clock = Some(c),
            Err(e) => {
                out.push(Problem::event(
                    "open",
                    format!("phc: cannot open {path}: {e}"),
                ));
                return;
            }
        }
    }
    let Some(c) = clock.as_ref() else { return };
    match c.sys_offset_best(5) {
        Ok(r) => out.push(Event::Sample {
            reference: r.system_time + r.offset,
            local: r.system_time,
            dispersion: Duration::from_nanos(r.delay.nanos().max(2) as i64 / 2),
            leap: None,
        }),
        Err(e) => {
            *clock = None;
            out.push(Problem::event("read", format!("phc: read failed: {e}")));
        }
    }
}

fn sock_readable(socket: &UnixDatagram, out: &mut Vec<Event>) {
    let mut buf = [0u8; 64];
    for _ in 0..16 {
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => {
                out.push(Problem::event("read", format!("sock: receive failed: {e}")));
                return;
            }
        };
        out.push(sock_event(buf.get(..n).unwrap_or_default()));
    }
}

/// One SOCK datagram as an event.
pub fn sock_event(datagram: &[u8]) -> Event {
    match sock_core::decode(datagram) {
        Ok(s) if s.pulse => Event::Pulse { edge: s.at },
        Ok(s) => Event::Sample {
            reference: s.at + s.offset,
            local: s.at,
            dispersion: Duration::from_micros(1),
            leap: Some(s.leap),
        },
        Err(SockError::Length(n)) => {
            Problem::event("garbage", format!("sock: {n}-byte datagram (not 40)"))
        }
        Err(SockError::Magic(m)) => Problem::event("garbage", format!("sock: bad magic {m:#x}")),
        Err(e) => Problem::event("garbage", format!("sock: invalid sample ({e:?})")),
    }
}

fn nmea_readable(
    port: &mut std::fs::File,
    lines: &mut LineAssembler,
    last_second: &mut Option<Time>,
    out: &mut Vec<Event>,
) {
    let mut buf = [0u8; 512];
    for _ in 0..16 {
        let n = match port.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => {
                out.push(Problem::event("read", format!("nmea: read failed: {e}")));
                return;
            }
        };
        let local = realtime();
        lines.push(buf.get(..n).unwrap_or_default(), |line| {
            if let Some(e) = nmea_event(line, local, last_second) {
                out.push(e);
            }
        });
    }
}

/// One NMEA line received at `local` (CLOCK_REALTIME): a sample for the
/// first sentence naming each second (RMC or ZDA), a problem for a bad
/// one, nothing for the rest.
pub fn nmea_event(line: Line<'_>, local: Time, last_second: &mut Option<Time>) -> Option<Event> {
    let line = match line {
        Line::Complete(l) if l.iter().all(u8::is_ascii_whitespace) => return None,
        Line::Complete(l) => l,
        Line::TooLong => return Some(Problem::event("garbage", "nmea: line too long")),
    };
    let sentence = match nmea::parse(line) {
        Ok(s) => s,
        Err(NmeaError::Unsupported) => return None,
        Err(NmeaError::BadChecksum { stated, computed }) => {
            return Some(Problem::event(
                "bad_checksum",
                format!("bad checksum ({stated:02X}, computed {computed:02X})"),
            ));
        }
        Err(e) => return Some(Problem::event("garbage", format!("nmea: {e:?}"))),
    };
    let reading = sentence.reading()?;
    if !reading.valid {
        return Some(Problem::event("no_fix", "no fix (receiver says invalid)"));
    }
    if reading.leap_second {
        // 23:59:60 has no POSIX time of its own (it would read as the
        // midnight after it, a second early).
        return Some(Problem::event(
            "leap_second",
            "nmea: 23:59:60, a leap second, gives no sample",
        ));
    }
    if *last_second == Some(reading.utc) {
        return None;
    }
    *last_second = Some(reading.utc);
    Some(Event::Sample {
        reference: reading.utc,
        local,
        dispersion: NMEA_DISPERSION,
        leap: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(body: &str) -> Vec<u8> {
        format!("${body}*{:02X}", nmea::checksum(body.as_bytes())).into_bytes()
    }

    #[test]
    fn nmea_lines_give_one_sample_per_second_and_name_their_problems() {
        let local = Time::from_secs_nanos(1_700_000_000, 100_000_000);
        let mut last = None;
        let rmc = sentence("GPRMC,221320.00,A,4807.038,N,01131.000,E,0.0,0.0,141123,,,A");
        let zda = sentence("GPZDA,221320.00,14,11,2023,00,00");
        let Some(Event::Sample { reference, .. }) =
            nmea_event(Line::Complete(&rmc), local, &mut last)
        else {
            panic!("no sample")
        };
        assert_eq!(reference, Time::from_secs_nanos(1_700_000_000, 0));
        // The ZDA of the same second adds nothing.
        assert_eq!(nmea_event(Line::Complete(&zda), local, &mut last), None);
        let mut bad = rmc.clone();
        let n = bad.len();
        bad[n - 1] = if bad[n - 1] == b'0' { b'1' } else { b'0' };
        let Some(Event::Problem(p)) = nmea_event(Line::Complete(&bad), local, &mut last) else {
            panic!("no problem")
        };
        assert_eq!(p.kind, "bad_checksum");
        let void = sentence("GPRMC,221321.00,V,,,,,,,141123,,,N");
        let Some(Event::Problem(p)) = nmea_event(Line::Complete(&void), local, &mut last) else {
            panic!("no problem")
        };
        assert_eq!(p.kind, "no_fix");
        let leap = sentence("GPZDA,235960.00,31,12,2016,00,00");
        let Some(Event::Problem(p)) = nmea_event(Line::Complete(&leap), local, &mut last) else {
            panic!("no problem")
        };
        assert_eq!(p.kind, "leap_second");
        let gga = sentence("GPGGA,221321.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
        assert_eq!(nmea_event(Line::Complete(&gga), local, &mut last), None);
    }

    #[test]
    fn sock_datagrams_become_samples_pulses_or_problems() {
        let at = Time::from_secs_nanos(1_700_000_000, 250_000_000);
        let sample = sock_core::SockSample {
            at,
            offset: Duration::from_millis(-250),
            pulse: false,
            leap: Leap::None,
        };
        let Event::Sample {
            reference, local, ..
        } = sock_event(&sock_core::encode(&sample))
        else {
            panic!("no sample")
        };
        assert_eq!(
            (reference, local),
            (Time::from_secs_nanos(1_700_000_000, 0), at)
        );
        // The datagram's leap warning goes with its sample.
        let warned = sock_core::SockSample {
            leap: Leap::Insert,
            ..sample
        };
        let Event::Sample { leap, .. } = sock_event(&sock_core::encode(&warned)) else {
            panic!("no sample")
        };
        assert_eq!(leap, Some(Leap::Insert));
        let pulse = sock_core::SockSample {
            pulse: true,
            ..sample
        };
        assert_eq!(
            sock_event(&sock_core::encode(&pulse)),
            Event::Pulse { edge: at }
        );
        let Event::Problem(p) = sock_event(&[0u8; 12]) else {
            panic!()
        };
        assert_eq!(p.kind, "garbage");
    }

    #[test]
    fn an_nmea_refclock_reads_sentences_from_its_device() {
        let path = std::env::temp_dir().join(format!("tempora-nmea-{}", std::process::id()));
        let mut text = Vec::new();
        for s in [
            sentence("GPRMC,221320.00,A,4807.038,N,01131.000,E,0.0,0.0,141123,,,A"),
            sentence("GPZDA,221320.00,14,11,2023,00,00"),
            sentence("GPRMC,221321.00,A,4807.038,N,01131.000,E,0.0,0.0,141123,,,A"),
        ] {
            text.extend_from_slice(&s);
            text.extend_from_slice(b"\r\n");
        }
        std::fs::write(&path, &text).unwrap();
        // A file is no terminal: read as it is.
        let mut driver = LocalDriver::nmea(&path, 4800).unwrap();
        let mut out = Vec::new();
        driver.readable(&mut out);
        std::fs::remove_file(&path).unwrap();
        let seconds: Vec<Time> = out
            .iter()
            .filter_map(|e| match e {
                Event::Sample { reference, .. } => Some(*reference),
                _ => None,
            })
            .collect();
        assert_eq!(
            seconds,
            [
                Time::from_secs_nanos(1_700_000_000, 0),
                Time::from_secs_nanos(1_700_000_001, 0)
            ]
        );
    }

    #[test]
    fn a_sock_refclock_binds_its_socket_and_reads_what_is_sent() {
        let dir = std::env::temp_dir().join(format!("tempora-sock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("refclock.sock");
        let mut driver = LocalDriver::sock(&path).unwrap();
        assert!(driver.fd().is_some());
        let at = Time::from_secs_nanos(1_700_000_000, 1_000);
        let sample = sock_core::SockSample {
            at,
            offset: Duration::from_nanos(-1_000),
            pulse: false,
            leap: Leap::None,
        };
        let sender = UnixDatagram::unbound().unwrap();
        sender.send_to(&sock_core::encode(&sample), &path).unwrap();
        sender.send_to(b"garbage", &path).unwrap();
        let mut out = Vec::new();
        driver.readable(&mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            matches!(out[0], Event::Sample { reference, .. } if reference == Time::from_secs_nanos(1_700_000_000, 0))
        );
        assert!(matches!(&out[1], Event::Problem(p) if p.kind == "garbage"));
        drop(driver);
        assert!(!path.exists(), "the socket file is removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_segment_device_or_clock_is_a_problem_not_a_panic() {
        let mut out = Vec::new();
        LocalDriver::shm(0x7465_6d70, None).tick(&mut out);
        LocalDriver::pps(Path::new("/dev/pps-none"), Edge::Assert).tick(&mut out);
        LocalDriver::phc(Path::new("/dev/ptp-none")).tick(&mut out);
        let kinds: Vec<&str> = out
            .iter()
            .map(|e| match e {
                Event::Problem(p) => p.kind,
                _ => "event",
            })
            .collect();
        assert_eq!(kinds, ["no_segment", "open", "open"]);
    }
}
