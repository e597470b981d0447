use super::*;
use std::cell::Cell;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use tempora_linux::extts::EXTTS_EVENT_SIZE;
use tempora_refclock::extts::{EVENT_SIZE, ExttsEvent};
use tempora_refclock::line::{Line, LineAssembler};

use crate::refclock_extts::tod_of_event;
use crate::refclock_gpsd::GpsdDriver;
use crate::refclock_io::nmea_event;

const NMEA: &str = include_str!("../../../tempora-refclock/testdata/gpsfake-fix.nmea");
/// 2024-05-12 23:53:16 UTC, the log's first second.
const UTC0: i64 = 1_715_557_996;

/// Event records written into a socket stand in for the PHC's queue.
struct SocketQueue(UnixStream);

impl EventQueue for SocketQueue {
    fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }

    fn read_events(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match self.0.read(buf) {
            Ok(n) => Ok(Some(n).filter(|&n| n > 0)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// NMEA bytes read as the nmea refclock reads them (its
/// `nmea_event`), each sample's second handed to the source.
struct NmeaTod {
    lines: LineAssembler,
    last: Option<Time>,
}

impl NmeaTod {
    fn new() -> Self {
        NmeaTod {
            lines: LineAssembler::new(256),
            last: None,
        }
    }

    fn feed(&mut self, bytes: &[u8], s: &mut Ts2phcSource<SocketQueue>) {
        let mut events = Vec::new();
        let last = &mut self.last;
        self.lines.push(bytes, |line| {
            events.extend(nmea_event(line, Time::from_secs_nanos(0, 0), last));
        });
        for e in &events {
            if let Some(tod) = tod_of_event(e) {
                s.push_tod(tod);
            }
        }
    }
}

fn fake_clock() -> (Rc<Cell<Time>>, SeenClock) {
    let now = Rc::new(Cell::new(Time::from_secs_nanos(100, 0)));
    let c = now.clone();
    (now, Box::new(move || c.get()))
}

#[test]
fn the_kernel_record_is_the_decoded_one() {
    assert_eq!(EXTTS_EVENT_SIZE, EVENT_SIZE);
    assert_eq!(READ_BUFFER % EVENT_SIZE, 0);
}

#[test]
fn pps_and_nmea_through_the_descriptors() {
    let (mut ev_in, ev_out) = pair();
    let (now, clock) = fake_clock();
    let params = ExttsParams {
        pulse_delay: Duration::from_nanos(40),
        ..ExttsParams::default()
    };
    let mut s = Ts2phcSource::new(SocketQueue(ev_out), params, clock).unwrap();
    s.set_tai_offset(Some(37));
    let mut tod = NmeaTod::new();
    let lines: Vec<&str> = NMEA.lines().collect();
    let start = now.get();
    let mut samples = Vec::new();
    for k in 0..30i64 {
        // The PHC is 750 ns ahead (TAI), its edges 10 ns apart in jitter.
        let phc = Time::from_secs_nanos(UTC0 + 37 + k, 750 + (k as u32 % 2) * 10);
        now.set(start + Duration::from_secs(k) + Duration::from_micros(300));
        let event = ExttsEvent {
            channel: 0,
            time: phc,
            flags: 0,
        };
        ev_in.write_all(&event.encode()).unwrap();
        s.handle_readable().unwrap();
        // GGA, RMC, ZDA 150 ms later, the last one in two pieces.
        now.set(start + Duration::from_secs(k) + Duration::from_millis(150));
        let text = format!(
            "{}\r\n{}\r\n{}",
            lines[3 * k as usize],
            lines[3 * k as usize + 1],
            lines[3 * k as usize + 2]
        );
        tod.feed(text.as_bytes(), &mut s);
        tod.feed(b"\r\n", &mut s);
        if k % 8 == 7 {
            now.set(start + Duration::from_secs(k) + Duration::from_millis(900));
            samples.extend(s.poll_sample(Duration::from_secs(8)));
        }
    }
    // The last edge's window closes at the final poll.
    assert_eq!(s.counters().pulses, 29);
    now.set(start + Duration::from_secs(31));
    samples.extend(s.poll_sample(Duration::from_secs(8)));
    assert_eq!(s.last_error(), None);
    let c = s.counters();
    assert_eq!((c.events, c.pulses, c.rejected), (30, 30, 0));
    assert_eq!(samples.len(), 4);
    for r in &samples {
        // reference (second + 37 s + 40 ns) − PHC (second + 37 s + 750 or
        // 760 ns): −710 or −720 ns; the filter's line through them, at the
        // newest edge, in between give or take its slope over the poll.
        let ns = r.measurement.offset.as_nanos_f64();
        assert!((-722.0..=-708.0).contains(&ns), "{ns}");
        assert_eq!(r.interval, Duration::from_secs(8));
    }
}

#[test]
fn gpsd_reports_through_the_gpsd_refclock() {
    let (ev_in, ev_out) = pair();
    let (now, clock) = fake_clock();
    let params = ExttsParams {
        filter_length: 1,
        ..ExttsParams::default()
    };
    let mut s = Ts2phcSource::new(SocketQueue(ev_out), params, clock).unwrap();
    let mut gpsd = GpsdDriver::new("127.0.0.1:2947", None);
    let mut feed = |s: &mut Ts2phcSource<SocketQueue>, line: &str| {
        let e = gpsd.report(Line::Complete(line.as_bytes()), Time::from_secs_nanos(0, 0));
        if let Some(tod) = e.as_ref().and_then(tod_of_event) {
            s.push_tod(tod);
        }
    };
    let event = ExttsEvent {
        channel: 0,
        time: Time::from_secs_nanos(UTC0 + 37, 0),
        flags: 0,
    };
    (&ev_in).write_all(&event.encode()).unwrap();
    s.handle_readable().unwrap();
    now.set(now.get() + Duration::from_millis(200));
    // No fix yet: the reading names no second.
    feed(&mut s, r#"{"class":"TPV","mode":1}"#);
    assert_eq!(s.last_error(), Some(ExttsError::TodInvalid));
    let fix = r#"{"class":"TPV","mode":3,"time":"2024-05-12T23:53:16.000Z","leapseconds":18}"#;
    // The PHC counts TAI and TAI − UTC is not known yet: no pulse.
    feed(&mut s, fix);
    now.set(now.get() + Duration::from_secs(1));
    assert_eq!(s.poll_sample(Duration::from_secs(1)), None);
    assert_eq!(s.last_error(), Some(ExttsError::NoUtcOffset));
    // With TAI − UTC (as the daemon sets it from what it serves), the
    // next second pairs.
    s.set_tai_offset(Some(37));
    let event = ExttsEvent {
        time: Time::from_secs_nanos(UTC0 + 38, 500),
        ..event
    };
    (&ev_in).write_all(&event.encode()).unwrap();
    s.handle_readable().unwrap();
    now.set(now.get() + Duration::from_millis(100));
    feed(
        &mut s,
        r#"{"class":"TPV","mode":3,"time":"2024-05-12T23:53:17.000Z"}"#,
    );
    now.set(now.get() + Duration::from_secs(1));
    let r = s.poll_sample(Duration::from_secs(1)).unwrap();
    assert_eq!(r.measurement.offset, Duration::from_nanos(-500));
    assert_eq!(s.counters().pulses, 1);
    let outcomes = s.take_outcomes();
    assert!(outcomes.iter().any(|o| o.is_ok()), "{outcomes:?}");
    assert!(s.take_outcomes().is_empty());
}

#[test]
fn opening_a_missing_phc_fails_clearly() {
    let config = Ts2phcConfig {
        device: "/dev/ptp-tempora-missing".into(),
        pin: Some(0),
        edge: ExttsEdge::Rising,
        params: ExttsParams::default(),
    };
    let e = Ts2phcSource::open(&config).err().unwrap();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(e.to_string().contains("/dev/ptp-tempora-missing"), "{e}");
}
