use super::*;
use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::rc::Rc;

use tempora_config::{Config, RefclockDriver};
use tempora_refclock::extts::ExttsEvent;

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

const CONFIG: &str = "[clock]\nkind = \"/dev/ptp0\"\n\n\
    [[refclock]]\nname = \"gnss-tod\"\ndriver = \"nmea\"\ndevice = \"/dev/ttyS0\"\nnoselect = true\n\n\
    [[refclock]]\nname = \"pps-phc\"\ndriver = \"extts\"\ndevice = \"/dev/ptp0\"\npin = 1\n\
    channel = 1\nedge = \"rising\"\ntod = \"gnss-tod\"\npulse-delay = \"40ns\"\ntimescale = \"utc\"\n\
    poll = \"4s\"\nfilter = 4\n";

fn settings() -> (Config, RefclockSettings) {
    let c = Config::parse(CONFIG, "t.toml").unwrap();
    let s = c.refclocks[1].clone();
    assert_eq!(s.driver, RefclockDriver::Extts);
    (c, s)
}

#[test]
fn the_settings_are_the_pairing_parameters() {
    let (c, s) = settings();
    let t = ts2phc_config(&s);
    assert_eq!(t.device, "/dev/ptp0");
    assert_eq!((t.pin, t.edge), (Some(1), ExttsEdge::Rising));
    assert_eq!(t.params.channel, 1);
    assert_eq!(t.params.pulse_delay, Duration::from_nanos(40));
    assert_eq!(t.params.timescale, PhcTimescale::Utc);
    assert_eq!(t.params.filter_length, 4);
    assert!(ExttsDriver::new(&s, &c.clock.kind).disciplines());
    assert!(!ExttsDriver::new(&s, &ClockKind::System).disciplines());
    assert!(!is_disciplined_clock(
        &ClockKind::Phc(PathBuf::from("/dev/ptp1")),
        Path::new("/dev/ptp0")
    ));
    // The same device by another path.
    let dir = std::env::temp_dir().join(format!("tempora-extts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("ptp-link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let same = is_disciplined_clock(&ClockKind::Phc(link.clone()), Path::new("/dev/null"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(same);
}

#[test]
fn a_missing_phc_is_a_problem_and_is_retried() {
    let (_, s) = settings();
    let mut d = ExttsDriver::new(&s, &ClockKind::System);
    let mut out = Vec::new();
    d.tick(&mut out);
    d.tick(&mut out);
    assert_eq!(out.len(), 2);
    let Event::Problem(p) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(p.kind, "open");
    assert!(
        p.text.starts_with("extts: cannot open /dev/ptp0: "),
        "{}",
        p.text
    );
    assert_eq!(d.fd(), None);
    assert_eq!(d.poll(Duration::from_secs(4), &mut out), None);
}

/// The writing end of the socket standing in for the PHC's queue.
type Writer = Rc<RefCell<Option<UnixStream>>>;

/// A driver over a socket pair; the writing end and the clock the source
/// stamps edges and readings with.
fn driver(fail_first: bool) -> (ExttsDriver<SocketQueue>, Writer, Rc<Cell<Time>>) {
    let (_, s) = settings();
    let writer = Rc::new(RefCell::new(None));
    let w = writer.clone();
    let now = Rc::new(Cell::new(Time::from_secs_nanos(100, 0)));
    let n = now.clone();
    let mut failed = !fail_first;
    let opener: Opener<SocketQueue> = Box::new(move |config| {
        if !failed {
            failed = true;
            return Err(io::Error::new(io::ErrorKind::NotFound, "not yet"));
        }
        let (a, b) = UnixStream::pair()?;
        b.set_nonblocking(true)?;
        *w.borrow_mut() = Some(a);
        let n = n.clone();
        Ts2phcSource::new(SocketQueue(b), config.params, Box::new(move || n.get()))
    });
    (
        ExttsDriver::with_opener(ts2phc_config(&s), true, opener),
        writer,
        now,
    )
}

fn nmea_sample(second: i64) -> Event {
    Event::Sample {
        reference: Time::from_secs_nanos(second, 0),
        local: Time::from_secs_nanos(second, 200_000_000),
        dispersion: Duration::from_millis(1),
        leap: None,
    }
}

#[test]
fn edges_and_the_tod_refclocks_samples_give_a_poll_sample() {
    let (mut d, writer, now) = driver(true);
    let step = |ms: i64| now.set(now.get() + Duration::from_millis(ms));
    let mut out = Vec::new();
    d.tick(&mut out);
    assert!(matches!(&out[..], [Event::Problem(p)] if p.kind == "open"));
    out.clear();
    d.tick(&mut out);
    assert!(out.is_empty(), "{out:?}");
    assert!(d.fd().is_some());
    let t0 = 1_715_557_996;
    for k in 0..4 {
        let event = ExttsEvent {
            channel: 1,
            // The PHC (UTC) 300 ns behind the pulse's second + 40 ns.
            time: Time::from_secs_nanos(t0 + k, 0) - Duration::from_nanos(260),
            flags: 0,
        };
        let bytes = event.encode();
        writer
            .borrow_mut()
            .as_mut()
            .unwrap()
            .write_all(&bytes)
            .unwrap();
        d.readable(&mut out);
        // The sample of the ToD refclock, 200 ms after the edge.
        step(200);
        d.tod(&nmea_sample(t0 + k), &mut out);
        // Other problems of the ToD refclock name no second.
        d.tod(&Problem::event("bad_checksum", "x"), &mut out);
        step(800);
    }
    // Another channel's edge is a problem of its own kind.
    let other = ExttsEvent {
        channel: 0,
        time: Time::from_secs_nanos(t0 + 4, 0),
        flags: 0,
    };
    writer
        .borrow_mut()
        .as_mut()
        .unwrap()
        .write_all(&other.encode())
        .unwrap();
    d.readable(&mut out);
    assert!(
        out.iter()
            .any(|e| matches!(e, Event::Problem(p) if p.kind == "wrong_channel")),
        "{out:?}"
    );
    // The last edge's window is still open: three pulses so far, the
    // fourth once the window closes (by the poll after 700 ms).
    step(750);
    let r = d.poll(Duration::from_secs(4), &mut out).unwrap();
    assert_eq!(d.pulses().0, 4);
    assert_eq!(r.measurement.offset, Duration::from_nanos(300));
    assert_eq!(
        d.pulses().1.map(|p| p.offset),
        Some(Duration::from_nanos(300))
    );
    // A missing ToD: the edge is rejected as `missing_tod`.
    out.clear();
    let late = ExttsEvent {
        channel: 1,
        time: Time::from_secs_nanos(t0 + 5, 0),
        flags: 0,
    };
    writer
        .borrow_mut()
        .as_mut()
        .unwrap()
        .write_all(&late.encode())
        .unwrap();
    d.readable(&mut out);
    step(750);
    assert_eq!(d.poll(Duration::from_secs(4), &mut out), None);
    assert!(
        out.iter()
            .any(|e| matches!(e, Event::Problem(p) if p.kind == "missing_tod")),
        "{out:?}"
    );
}

#[test]
fn no_fix_from_the_tod_refclock_is_an_invalid_reading() {
    assert_eq!(
        tod_of_event(&Problem::event("no_fix", "no fix (mode 1)")),
        Some(Err(ExttsError::TodInvalid))
    );
    assert_eq!(
        tod_of_event(&Problem::event("leap_second", "x")),
        Some(Err(ExttsError::TodLeapSecond))
    );
    assert_eq!(tod_of_event(&Problem::event("bad_checksum", "x")), None);
    assert_eq!(
        tod_of_event(&nmea_sample(5)),
        Some(Ok((Time::from_secs_nanos(5, 0), None)))
    );
    assert_eq!(
        tod_of_event(&Event::Pulse {
            edge: Time::from_secs_nanos(5, 0)
        }),
        None
    );
}
