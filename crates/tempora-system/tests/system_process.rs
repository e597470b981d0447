//! The system process's contract and start-up policy, without sockets or
//! root: sources are fed by hand.

use tempora_clock::{Correction, Duration, Time};
use tempora_system::{
    Action, Estimate, Measurement, SourceId, SourceKind, SourceUpdate, Stage, SystemConfig,
    SystemProcess,
};

fn at(s: f64) -> Time {
    Time::from_nanos(1_800_000_000_000_000_000) + Duration::from_secs_f64(s)
}

fn us(x: f64) -> Duration {
    Duration::from_secs_f64(x * 1e-6)
}

/// An update of a source whose offset is `theta_us` at `t`, over `delay_us`.
fn update(t: f64, theta_us: f64, delay_us: f64, count: usize, poll_s: i64) -> SourceUpdate {
    let m = Measurement {
        at: at(t),
        offset: us(theta_us),
        delay: us(delay_us),
    };
    SourceUpdate {
        measurement: m,
        estimate: Estimate {
            at: m.at,
            offset: m.offset,
            delay: m.delay,
            root: Duration::ZERO,
            jitter: us(2.0),
            count,
        },
        interval: Duration::from_secs(poll_s),
    }
}

fn actions(p: &mut SystemProcess) -> Vec<Action> {
    std::iter::from_fn(|| p.poll_action()).collect()
}

fn three() -> (SystemProcess, [SourceId; 3]) {
    let mut p = SystemProcess::new(SystemConfig::default(), at(0.0), 0.0);
    let ids = [
        p.add_source(SourceKind::Ntp),
        p.add_source(SourceKind::Ntp),
        p.add_source(SourceKind::Ntp),
    ];
    (p, ids)
}

/// The clock is 10 ms ahead and 10 ppm fast: θ = −10 ms − 10 µs/s × t.
fn truth(t: f64) -> f64 {
    -10_000.0 - 10.0 * t
}

#[test]
fn a_liar_answering_first_steps_nothing_and_the_majority_steps_once() {
    let (mut p, [liar, a, b]) = three();
    // The liar (5 ms off) answers its whole burst first.
    for i in 0..8u32 {
        let t = 2.0 * f64::from(i);
        p.handle_update(
            at(t),
            liar,
            update(t, truth(t) + 5_000.0, 200.0, i as usize + 1, 16),
        );
        assert!(actions(&mut p).is_empty(), "stepped on the liar alone");
    }
    assert_eq!(p.stage(), Stage::Startup);
    let mut started = Vec::new();
    for i in 0..4u32 {
        let t = 16.0 + 2.0 * f64::from(i);
        for (k, id) in [a, b].into_iter().enumerate() {
            let t = t + 0.1 * k as f64;
            let noise = if (i as usize + k) % 2 == 0 { 1.0 } else { -1.0 };
            p.handle_update(
                at(t),
                id,
                update(t, truth(t) + noise, 200.0, i as usize + 1, 16),
            );
            started.extend(actions(&mut p));
        }
    }
    let [
        Action::Start {
            step: Some(step),
            frequency_ppb,
            agreeing,
            ..
        },
    ] = started[..]
    else {
        panic!("one start expected: {started:?}");
    };
    assert_eq!(agreeing, 2);
    // The combined offset now, not the liar's.
    let expected = truth(22.1);
    assert!(
        (step.as_nanos_f64() / 1e3 - expected).abs() < 5.0,
        "{step:?}"
    );
    // 10 ppm fast: run 10 ppm slow.
    let f = frequency_ppb.expect("the fit pins the frequency");
    assert!((f + 10_000.0).abs() < 1_000.0, "{f}");
    assert!(!p.report(liar).selected);
    assert!(p.report(a).selected && p.report(b).selected);
}

#[test]
fn after_a_step_a_liar_alone_is_no_majority() {
    let (mut p, [liar, a, b]) = three();
    for i in 0..4u32 {
        let t = 2.0 * f64::from(i);
        p.handle_update(at(t), liar, update(t, 5_000.0, 200.0, 1, 16));
        p.handle_update(at(t), a, update(t, 0.0, 200.0, 1, 16));
        p.handle_update(at(t), b, update(t, 1.0, 200.0, 1, 16));
    }
    assert!(
        actions(&mut p)
            .iter()
            .any(|a| matches!(a, Action::Start { .. }))
    );
    // Someone steps the clock: every filtered state is void.
    p.handle_correction(
        at(8.0),
        Correction::Step {
            step: us(100.0),
            frequency_ppb: 0.0,
        },
    );
    let t = 8.5;
    p.handle_update(at(t), liar, update(t, 5_000.0, 200.0, 1, 16));
    for action in actions(&mut p) {
        assert!(
            !matches!(action, Action::Servo { .. } | Action::Slew { .. }),
            "the liar alone moved the clock: {action:?}"
        );
    }
    assert_eq!(p.system_peer(), None);
    p.handle_update(at(t + 0.1), a, update(t + 0.1, 0.0, 200.0, 1, 16));
    assert_ne!(p.system_peer(), Some(liar));
}

#[test]
fn fewer_sources_may_agree_only_after_the_startup_timeout() {
    let (mut p, [a, _, _]) = three();
    for i in 0..8u32 {
        let t = 2.0 * f64::from(i);
        p.handle_update(at(t), a, update(t, -300.0, 200.0, 1, 16));
        assert!(actions(&mut p).is_empty());
    }
    assert_eq!(p.poll_timeout(), Some(at(60.0)));
    p.handle_timeout(at(30.0));
    assert!(actions(&mut p).is_empty());
    assert_eq!(p.poll_timeout(), Some(at(60.0)));
    p.handle_timeout(at(60.0));
    let got = actions(&mut p);
    assert!(
        matches!(
            got[..],
            [Action::Start {
                step: Some(_),
                agreeing: 1,
                ..
            }]
        ),
        "{got:?}"
    );
    assert_eq!(p.poll_timeout(), None);
}

/// A source that answered once and went silent does not step the clock
/// at the start-up timeout with its stale sample; when it answers again,
/// it does.
#[test]
fn a_silent_source_steps_nothing_at_the_timeout() {
    let mut p = SystemProcess::new(SystemConfig::default(), at(0.0), 0.0);
    let a = p.add_source(SourceKind::Csptp);
    p.handle_update(at(1.0), a, update(1.0, -1_200.0, 20.0, 1, 1));
    assert!(actions(&mut p).is_empty());
    p.handle_timeout(at(60.0));
    assert!(actions(&mut p).is_empty(), "stepped by a 59 s old sample");
    assert_eq!(p.stage(), Stage::Startup);
    p.handle_update(at(61.0), a, update(61.0, -1_200.0, 20.0, 2, 1));
    let got = actions(&mut p);
    assert!(
        matches!(got[..], [Action::Start { step: Some(_), .. }]),
        "{got:?}"
    );
}

/// A clock moved by the corrections it is given.
struct Clock {
    ahead_us: f64,
    adj_ppb: f64,
    last: f64,
}

impl Clock {
    fn advance(&mut self, t: f64) {
        self.ahead_us += self.adj_ppb * 1e-3 * (t - self.last);
        self.last = t;
    }

    fn apply(&mut self, c: Correction) {
        match c {
            Correction::None => {}
            Correction::Frequency { frequency_ppb } => self.adj_ppb = frequency_ppb,
            Correction::Step {
                step,
                frequency_ppb,
            } => {
                self.ahead_us += step.as_nanos_f64() / 1e3;
                self.adj_ppb = frequency_ppb;
            }
        }
    }
}

#[test]
fn the_startup_timeout_fires_once_even_without_agreement() {
    let (mut p, [a, b, _]) = three();
    p.handle_update(at(1.0), a, update(1.0, 0.0, 200.0, 1, 16));
    p.handle_update(at(1.0), b, update(1.0, 5_000.0, 200.0, 1, 16));
    p.handle_timeout(at(60.0));
    // Two sources that disagree are no majority, timeout or not; the
    // process must not ask to be woken again at once (a busy loop).
    assert!(actions(&mut p).is_empty());
    assert_eq!(p.stage(), Stage::Startup);
    assert_eq!(p.poll_timeout(), None);
}

#[test]
fn a_noisy_wan_settles_the_frequency_before_the_servo_takes_over() {
    let mut p = SystemProcess::new(SystemConfig::default(), at(0.0), 0.0);
    let id = p.add_source(SourceKind::Ntp);
    let mut clock = Clock {
        ahead_us: 0.0,
        adj_ppb: 0.0,
        last: 0.0,
    };
    // 20 ms paths where every other sample queued 4 ms more and is biased
    // by ±1 ms; the clock runs 10 ppm fast; 64 s polls after a burst.
    let (mut t, mut kinds) = (0.0, Vec::new());
    for i in 0..60u32 {
        if p.stage() == Stage::Running {
            break;
        }
        clock.advance(t);
        let (delay, bias) = match i % 4 {
            1 => (24_000.0, 1_000.0),
            3 => (24_000.0, -1_000.0),
            _ => (20_000.0, 0.0),
        };
        let theta = truth(t) - clock.ahead_us + bias;
        p.handle_update(at(t), id, update(t, theta, delay, 8, 64));
        for a in actions(&mut p) {
            let c = match a {
                Action::Servo { .. } => break,
                Action::Handover(h) => Correction::Frequency {
                    frequency_ppb: h.adjustment_ppb,
                },
                other => tempora_system::carry_out(&other, &mut Null, clock.adj_ppb),
            };
            kinds.push(core::mem::discriminant(&a));
            p.handle_correction(at(t), c);
            clock.apply(c);
        }
        t += if i < 8 { 2.0 } else { 64.0 };
    }
    assert_eq!(p.stage(), Stage::Running, "never handed over");
    // At the hand-over the clock runs 10 ppm slow, cancelling the
    // oscillator, and sits within a millisecond of the truth.
    assert!(
        (clock.adj_ppb + 10_000.0).abs() < 1_500.0,
        "{}",
        clock.adj_ppb
    );
    let last = t - 64.0;
    clock.advance(last);
    let error = truth(last) - clock.ahead_us;
    assert!(
        error.abs() < 1_000.0,
        "{error} µs off at the hand-over ({last} s)"
    );
    assert!(kinds.len() > 2, "settling took no steps: {kinds:?}");
}

/// A servo that does nothing (this test drives the clock by hand).
struct Null;

impl tempora_clock::Servo for Null {
    fn sample(&mut self, _: tempora_clock::Sample) -> Correction {
        Correction::None
    }
    fn state(&self) -> tempora_clock::ServoState {
        tempora_clock::ServoState::Unlocked
    }
    fn frequency_ppb(&self) -> f64 {
        0.0
    }
    fn set_interval(&mut self, _: Duration) {}
    fn reset(&mut self) {}
    fn name(&self) -> &'static str {
        "null"
    }
}

#[test]
fn makestep_steps_by_the_system_peers_offset_and_needs_one() {
    let (mut p, ids) = three();
    assert_eq!(
        p.request_step(at(0.0)),
        Err(tempora_system::StepRefused::NoSystemPeer)
    );
    assert!(p.tracking(at(0.0)).is_none());
    // Three sources agree the clock is 3 ms behind.
    for i in 0..8u32 {
        let t = 2.0 * f64::from(i);
        for (k, id) in ids.into_iter().enumerate() {
            let t = t + 0.1 * k as f64;
            p.handle_update(at(t), id, update(t, 3_000.0, 200.0, i as usize + 1, 16));
        }
    }
    actions(&mut p);
    let now = at(16.0);
    let tracking = p.tracking(now).expect("a system peer");
    assert!(ids.contains(&tracking.peer));
    assert!(
        (tracking.offset - us(3_000.0)).abs() < us(50.0),
        "{tracking:?}"
    );
    assert!(tracking.root_distance >= us(100.0), "δ/2 at least");
    assert_eq!(tracking.interval, Duration::from_secs(16));
    let step = p.request_step(now).unwrap();
    assert_eq!(step, tracking.offset);
    match actions(&mut p).as_slice() {
        [
            Action::Start {
                step: Some(s),
                frequency_ppb: None,
                ..
            },
        ] => assert_eq!(*s, step),
        other => panic!("{other:?}"),
    }
    // Once stepped, the estimates are void: no second step.
    p.handle_correction(
        now,
        Correction::Step {
            step,
            frequency_ppb: 0.0,
        },
    );
    assert_eq!(
        p.request_step(now),
        Err(tempora_system::StepRefused::NoSystemPeer)
    );
}

#[test]
fn each_source_has_its_own_frequency_estimate() {
    // The clock runs 10 ppm fast (servo adjustment −10,000 ppb cancels
    // it); the second source's time runs 2 ppm slow besides, so it asks
    // for 2,000 ppb more; the third has two samples only.
    let (mut p, [a, b, c]) = three();
    for i in 0..8 {
        let t = 16.0 * f64::from(i);
        let wobble = if i % 2 == 0 { 0.5 } else { -0.5 };
        p.handle_update(at(t), a, update(t, truth(t) + wobble, 40.0, 8, 16));
        p.handle_update(at(t), b, update(t, truth(t) - 2.0 * t, 40.0, 8, 16));
        if i < 2 {
            p.handle_update(at(t), c, update(t, truth(t), 40.0, 8, 16));
        }
    }
    let fa = p.source_frequency(a).expect("a's frequency");
    let fb = p.source_frequency(b).expect("b's frequency");
    assert!((fa.ppb + 10_000.0).abs() < 10.0, "{fa:?}");
    assert!((fb.ppb + 12_000.0).abs() < 10.0, "{fb:?}");
    assert!(fa.sigma_ppb > 0.0 && fa.sigma_ppb < 100.0, "{fa:?}");
    assert_eq!(p.source_frequency(c), None);
}
