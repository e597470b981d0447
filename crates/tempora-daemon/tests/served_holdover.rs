//! What the daemon serves from a reference clock, end to end without I/O:
//! a refclock-kind source of the system process, fed by hand once a second
//! with the true offset of a virtual clock 2 ppm off (as a PPS driver
//! would), disciplines the clock through the runtime's servo; the served
//! state (`tempora_daemon::served`) then makes the PTP instance a class-6
//! GNSS grandmaster and the NTP answer stratum 1 "PPS". The reference
//! stops: holdover on the held frequency (class 7, NTP root dispersion
//! growing with the estimate), then class 248 once the budget is spent.
//! The leap second list (a fixture with a leap second at the end of
//! 2026-12-31) puts leap61 and LI 1 on the last day, and TAI − UTC 38
//! after it.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{FakeClock, FakePort, Wire};
use tempora_clock::{Duration, Time, VirtualState};
use tempora_config::Config;
use tempora_daemon::runtime::{DisciplinedClock, Runtime};
use tempora_daemon::served::Served;
use tempora_ntp::wire::{LeapIndicator, ReferenceId};
use tempora_ptp::datasets::TimePropertiesDs;
use tempora_ptp::engine::{Address, InstanceConfig, PtpInstance};
use tempora_ptp::wire::ClockIdentity;
use tempora_system::servo::{ServoChoice, ServoSettings, build};
use tempora_system::{
    Estimate, HoldoverState, Measurement, ReferenceKind, SourceId, SourceKind, SourceOptions,
    SourceUpdate, SystemConfig, SystemProcess,
};

/// 2026-12-31 12:00 UTC: twelve hours before the fixture's leap second.
const START: i64 = 1_798_761_600 - 43_200;

type Rt = Runtime<FakePort, FakeClock>;

struct Bench {
    base: Rc<Cell<Time>>,
    runtime: Rt,
    system: SystemProcess,
    served: Served,
    pps: SourceId,
    /// Deterministic noise of the reference, ns.
    n: i64,
}

fn config() -> Config {
    let leap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tempora-clock/testdata/insert-2026.list"
    );
    Config::parse(
        &format!("[[port]]\ninterface = \"eth0\"\n[clock]\nholdover-budget = \"1us\"\nleap-seconds-file = \"{leap}\"\n"),
        "t.toml",
    )
    .unwrap()
}

fn bench() -> Bench {
    let start = Time::from_secs_nanos(START, 0);
    let base = Rc::new(Cell::new(start));
    let id = ClockIdentity::from_mac([2, 0, 0, 0, 0, 9]);
    let mut instance = InstanceConfig::ordinary(id);
    instance.time_properties = TimePropertiesDs {
        ptp_timescale: true,
        ..TimePropertiesDs::default()
    };
    let engine = PtpInstance::new(instance, 9);
    let (out, inp): (Wire, Wire) = (Rc::default(), Rc::default());
    let port = FakePort {
        base: base.clone(),
        me: Address::Mac([2, 0, 0, 0, 0, 9]),
        outbox: out,
        inbox: inp,
        next_id: 0,
        tx: Default::default(),
    };
    let clock = FakeClock {
        base: base.clone(),
        virtual_state: Some(VirtualState::new(start, Duration::from_micros(3), 2_000.0)),
        utc: true,
    };
    let servo = build(&ServoSettings {
        choice: ServoChoice::Kalman,
        hardware: true,
        initial_ppb: 0.0,
        step_threshold: Duration::from_micros(20),
        panic_threshold: Duration::ZERO,
        max_frequency_ppb: 500_000.0,
    });
    let mut runtime = Runtime::new(
        engine,
        vec![port],
        vec![("fake0".into(), "udp4".into())],
        clock,
        servo,
    );
    runtime.keep_corrections();
    runtime.start().unwrap();
    let config = config();
    let mut served = Served::new(
        &config,
        runtime.engine.default_ds().clock_quality,
        *runtime.engine.time_properties_ds(),
    );
    let mut system = SystemProcess::new(SystemConfig::default(), runtime.clock.now(), 0.0);
    let pps = system.add_source_with(SourceKind::Refclock, SourceOptions::default());
    served.register_reference(pps, ReferenceKind::Pps, Duration::from_secs(1));
    Bench {
        base,
        runtime,
        system,
        served,
        pps,
        n: 0,
    }
}

impl Bench {
    /// One second of true time; with `reference`, one PPS sample.
    fn second(&mut self, reference: bool) {
        self.base.set(self.base.get() + Duration::from_secs(1));
        let now = self.runtime.clock.now();
        if reference {
            self.n = (self.n * 7 + 3) % 11;
            let noise = Duration::from_nanos(self.n - 5);
            // θ = reference − local; the base is true time.
            let offset = self.base.get() - now + noise;
            let measurement = Measurement {
                at: now,
                offset,
                delay: Duration::ZERO,
            };
            let update = SourceUpdate {
                measurement,
                estimate: Estimate {
                    at: now,
                    offset,
                    delay: Duration::ZERO,
                    root: Duration::ZERO,
                    jitter: Duration::from_nanos(5),
                    count: 1,
                },
                interval: Duration::from_secs(1),
            };
            self.system.handle_update(now, self.pps, update);
        }
        if self.system.poll_timeout().is_some_and(|t| t <= now) {
            self.system.handle_timeout(now);
        }
        while let Some(action) = self.system.poll_action() {
            self.runtime.ntp_action(&action).unwrap();
            for (at, c) in self.runtime.take_corrections() {
                self.system.handle_correction(at, c);
            }
        }
        self.runtime.run_timers().unwrap();
        let now = self.runtime.clock.now();
        self.served
            .update(now, Some(&self.system), &mut self.runtime)
            .unwrap();
        for (at, c) in self.runtime.take_corrections() {
            self.system.handle_correction(at, c);
        }
    }

    /// The clock's true error.
    fn error(&self) -> Duration {
        self.runtime.clock.now() - self.base.get()
    }

    fn class(&self) -> u8 {
        self.runtime
            .engine
            .parent_ds()
            .grandmaster_clock_quality
            .clock_class
    }
}

#[test]
fn grandmaster_and_stratum_1_then_holdover_then_degraded() {
    let mut b = bench();
    for _ in 0..1800 {
        b.second(true);
    }
    let now = b.runtime.clock.now();
    assert!(b.error().abs() < Duration::from_nanos(100), "{}", b.error());
    assert_eq!(b.served.holdover_status(now).state, HoldoverState::Locked);
    assert_eq!(b.class(), 6);
    let tp = *b.runtime.engine.time_properties_ds();
    assert_eq!(tp.time_source, 0x20);
    assert!(tp.time_traceable && tp.frequency_traceable);
    // The last day before the fixture's leap second.
    assert!(tp.leap61 && !tp.leap59);
    assert_eq!(
        (tp.current_utc_offset, tp.current_utc_offset_valid),
        (37, true)
    );
    let ntp = b.served.ntp_clock(-20, now).unwrap();
    assert_eq!(ntp.stratum, 1);
    assert_eq!(ntp.reference_id, ReferenceId(*b"PPS\0"));
    assert_eq!(ntp.leap, LeapIndicator::AddSecond);
    assert!(ntp.root_dispersion < Duration::from_nanos(100));

    // The reference stops.
    let frequency_locked = b.runtime.frequency_ppb();
    for _ in 0..10 {
        b.second(false);
    }
    let now = b.runtime.clock.now();
    let s = b.served.holdover_status(now);
    assert_eq!(s.state, HoldoverState::InBudget, "{s:?}");
    assert_eq!(b.class(), 7);
    assert!(b.runtime.engine.time_properties_ds().time_traceable);
    // The clock holds the servo's frequency estimate: −2 ppm's correction.
    let held = b.runtime.frequency_ppb();
    assert!(
        (held + 2000.0).abs() < 1.0,
        "held {held}, locked {frequency_locked}"
    );
    let early = b.served.ntp_clock(-20, now).unwrap();
    assert_eq!(early.stratum, 1);
    assert_eq!(early.reference_id, ReferenceId(*b"PPS\0"));

    // Ten minutes on: the estimate has grown, the error is still small (a
    // clock with no wander held at its frequency estimate).
    for _ in 0..600 {
        b.second(false);
    }
    let now = b.runtime.clock.now();
    let later = b.served.ntp_clock(-20, now).unwrap();
    assert!(later.root_dispersion > early.root_dispersion);
    let s = b.served.holdover_status(now);
    assert!(
        b.error().abs() < s.estimated_error.unwrap(),
        "{} vs {s:?}",
        b.error()
    );

    // Past the budget: class 248, not traceable, timeSource internal
    // oscillator; NTP keeps stratum 1 with the large root dispersion.
    let mut t = 0;
    while b.served.holdover_status(b.runtime.clock.now()).state == HoldoverState::InBudget {
        b.second(false);
        t += 1;
        assert!(t < 2 * 86_400, "never out of budget");
    }
    assert_eq!(b.class(), 248);
    let tp = *b.runtime.engine.time_properties_ds();
    assert!(!tp.time_traceable && !tp.frequency_traceable);
    assert_eq!(tp.time_source, 0xa0);
    let now = b.runtime.clock.now();
    let ntp = b.served.ntp_clock(-20, now).unwrap();
    assert!(ntp.root_dispersion > Duration::from_micros(1));

    // Past midnight UTC: the leap second is behind, TAI − UTC is 38.
    while b.base.get() < Time::from_secs_nanos(START + 43_200 + 10, 0) {
        b.second(false);
    }
    let tp = *b.runtime.engine.time_properties_ds();
    assert!(!tp.leap61);
    assert_eq!(tp.current_utc_offset, 38);

    // The reference comes back: locked again, class 6.
    for _ in 0..120 {
        b.second(true);
    }
    assert_eq!(b.class(), 6);
}
