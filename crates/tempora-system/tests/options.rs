//! The per-source options' rules (chrony's `noselect`, `trust`, `require`,
//! `prefer`, `offset`, `maxdelay`, and the delay asymmetry), across source
//! kinds: NTP sources with their own filter, PTP ports with raw samples.

use tempora_clock::{Duration, Time};
use tempora_system::{
    Action, Estimate, Measurement, RawSample, SelectionState, SourceId, SourceKind, SourceOptions,
    SourceUpdate, SystemConfig, SystemProcess,
};

fn at(s: f64) -> Time {
    Time::from_nanos(1_800_000_000_000_000_000) + Duration::from_secs_f64(s)
}

fn us(x: f64) -> Duration {
    Duration::from_secs_f64(x * 1e-6)
}

/// An NTP source's update: θ `theta_us` at `t` over `delay_us`.
fn ntp(t: f64, theta_us: f64, delay_us: f64) -> SourceUpdate {
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
            root: us(20.0),
            jitter: us(5.0),
            count: 8,
        },
        interval: Duration::from_secs(1),
    }
}

/// A PTP port's raw sample: θ `theta_us` at `t`, mean path delay 10 µs.
fn ptp(t: f64, theta_us: f64) -> RawSample {
    RawSample {
        measurement: Measurement {
            at: at(t),
            offset: us(theta_us),
            delay: us(20.0),
        },
        root: Duration::ZERO,
        interval: Duration::from_secs(1),
        own_delay: false,
    }
}

fn actions(p: &mut SystemProcess) -> Vec<Action> {
    std::iter::from_fn(|| p.poll_action()).collect()
}

/// The RFC 5905 baseline runs from the start: the servo's samples show
/// which source is followed without a start-up in the way.
fn running() -> SystemProcess {
    let config = SystemConfig {
        rfc5905: true,
        ..SystemConfig::default()
    };
    SystemProcess::new(config, at(0.0), 0.0)
}

/// A PTP port (`ptp_options`) whose grandmaster is `ptp_us` off, and three
/// NTP servers that agree on 0: every source is heard for 10 s. Returns
/// the process, the port and the servers, and the servo's offsets.
fn mixed(
    ptp_us: f64,
    ptp_options: SourceOptions,
) -> (SystemProcess, SourceId, [SourceId; 3], Vec<f64>) {
    let mut p = running();
    let port = p.add_source_with(SourceKind::Ptp, ptp_options);
    let servers = [(); 3].map(|_| p.add_source(SourceKind::Ntp));
    let mut fed = Vec::new();
    for i in 0..10 {
        let t = f64::from(i);
        for (k, id) in servers.iter().enumerate() {
            let t = t + 0.1 * k as f64;
            p.handle_update(at(t), *id, ntp(t, k as f64, 100.0));
            fed.extend(servo_offsets(&mut p));
        }
        p.handle_sample(at(t + 0.5), port, ptp(t + 0.5, ptp_us));
        fed.extend(servo_offsets(&mut p));
    }
    (p, port, servers, fed)
}

/// The θ (µs) of the samples the servo got.
fn servo_offsets(p: &mut SystemProcess) -> Vec<f64> {
    actions(p)
        .into_iter()
        .filter_map(|a| match a {
            Action::Servo { sample, .. } => Some(-sample.offset.as_nanos_f64() / 1e3),
            _ => None,
        })
        .collect()
}

#[test]
fn a_grandmaster_5ms_off_is_outvoted_by_three_ntp_servers() {
    let (p, port, servers, fed) = mixed(5_000.0, SourceOptions::default());
    assert_eq!(p.report(port).state, SelectionState::Falseticker);
    assert!(p.report(port).falseticker_run >= 8);
    let peer = p.system_peer().expect("a system peer");
    assert!(servers.contains(&peer));
    for id in servers {
        assert!(p.report(id).selected, "{:?}", p.report(id));
    }
    // The servo got the servers' time only, never the grandmaster's.
    assert!(!fed.is_empty());
    assert!(fed.iter().all(|x| x.abs() < 10.0), "{fed:?}");
}

#[test]
fn a_grandmaster_that_agrees_is_the_system_peer_and_fed_each_sample() {
    let (p, port, _, fed) = mixed(1.5, SourceOptions::default());
    // Its root distance (delay/2, no root, little jitter) is the least.
    assert_eq!(p.system_peer(), Some(port));
    assert_eq!(p.report(port).state, SelectionState::Selected);
    // Each of its ten samples reached the servo.
    assert_eq!(fed.iter().filter(|x| (*x - 1.5).abs() < 1e-3).count(), 10);
}

#[test]
fn a_trusted_grandmaster_alone_outvotes_three_servers() {
    let trust = SourceOptions {
        trust: true,
        ..SourceOptions::default()
    };
    let (p, port, servers, fed) = mixed(5_000.0, trust);
    assert_eq!(p.system_peer(), Some(port));
    for id in servers {
        assert_eq!(p.report(id).state, SelectionState::Falseticker);
    }
    assert!(
        fed.iter()
            .rev()
            .take(5)
            .all(|x| (*x - 5_000.0).abs() < 1e-3),
        "{fed:?}"
    );
}

#[test]
fn noselect_is_measured_and_shown_but_never_selected_nor_voting() {
    let noselect = SourceOptions {
        noselect: true,
        ..SourceOptions::default()
    };
    // Agreeing and nearest, it would be the system peer.
    let (p, port, servers, fed) = mixed(1.5, noselect);
    assert_eq!(p.report(port).state, SelectionState::Noselect);
    assert!(!p.report(port).selected && !p.report(port).system_peer);
    assert!(servers.contains(&p.system_peer().unwrap()));
    assert!(fed.iter().all(|x| (*x - 1.5).abs() > 1e-3), "{fed:?}");
    // No vote: two liars 5 ms off marked noselect do not outvote one
    // honest source.
    let mut p = running();
    let honest = p.add_source(SourceKind::Ntp);
    let liars = [(); 2].map(|_| p.add_source_with(SourceKind::Ntp, noselect));
    for i in 0..4 {
        let t = f64::from(i);
        for id in liars {
            p.handle_update(at(t), id, ntp(t, 5_000.0, 100.0));
        }
        p.handle_update(at(t + 0.5), honest, ntp(t + 0.5, 0.0, 100.0));
    }
    assert_eq!(p.system_peer(), Some(honest));
}

#[test]
fn require_selects_nothing_unless_a_required_source_survives() {
    let require = SourceOptions {
        require: true,
        ..SourceOptions::default()
    };
    // The required grandmaster is a falseticker: nothing is selected and
    // the servo gets nothing after its first sample.
    let (p, port, servers, fed) = mixed(5_000.0, require);
    assert_eq!(p.system_peer(), None);
    assert_eq!(p.report(port).state, SelectionState::Falseticker);
    for id in servers {
        assert_eq!(p.report(id).state, SelectionState::Unselected);
    }
    assert!(fed.len() <= 1, "{fed:?}");
    // Agreeing, it is (and the servers stay candidates).
    let (p, port, servers, _) = mixed(1.0, require);
    assert_eq!(p.system_peer(), Some(port));
    for id in servers {
        let state = p.report(id).state;
        assert!(
            matches!(state, SelectionState::Candidate | SelectionState::Outlier),
            "{state:?}"
        );
    }
}

#[test]
fn prefer_makes_a_survivor_the_system_peer() {
    let mut p = running();
    let prefer = SourceOptions {
        prefer: true,
        ..SourceOptions::default()
    };
    let near = p.add_source(SourceKind::Ntp);
    let far = p.add_source_with(SourceKind::Ntp, prefer);
    for i in 0..4 {
        let t = f64::from(i);
        p.handle_update(at(t), near, ntp(t, 0.0, 100.0));
        p.handle_update(at(t + 0.5), far, ntp(t + 0.5, 3.0, 2_000.0));
    }
    assert_eq!(p.system_peer(), Some(far));
    assert_eq!(p.report(near).state, SelectionState::Candidate);
    // Without it the nearer one is.
    let mut p = running();
    let near = p.add_source(SourceKind::Ntp);
    let far = p.add_source(SourceKind::Ntp);
    for i in 0..4 {
        let t = f64::from(i);
        p.handle_update(at(t), near, ntp(t, 0.0, 100.0));
        p.handle_update(at(t + 0.5), far, ntp(t + 0.5, 3.0, 2_000.0));
    }
    assert_eq!(p.system_peer(), Some(near));
    // A preferred falseticker is not selected.
    let (p, port, _, _) = mixed(5_000.0, prefer);
    assert_ne!(p.system_peer(), Some(port));
}

#[test]
fn offset_and_asymmetry_correct_the_source_into_agreement() {
    // The grandmaster's path is 5 ms longer towards us than back... its
    // θ reads 5 ms short: asymmetry +2.5 ms and offset +2.5 ms put it
    // right, and it is selected with θ ≈ 1 µs.
    let fix = SourceOptions {
        offset: us(2_500.0),
        asymmetry: us(2_500.0),
        ..SourceOptions::default()
    };
    let (p, port, _, fed) = mixed(-4_999.0, fix);
    assert_eq!(p.system_peer(), Some(port));
    assert!((fed.last().unwrap() - 1.0).abs() < 1e-3, "{fed:?}");
}

#[test]
fn max_delay_ignores_and_counts_slow_samples() {
    let mut p = running();
    let guard = SourceOptions {
        max_delay: Some(us(500.0)),
        ..SourceOptions::default()
    };
    let id = p.add_source_with(SourceKind::Ntp, guard);
    p.handle_update(at(0.0), id, ntp(0.0, 7.0, 900.0));
    p.handle_update(at(1.0), id, ntp(1.0, 7.0, 600.0));
    assert_eq!(p.report(id).delay_rejected, 2);
    assert_eq!(p.report(id).state, SelectionState::Unusable);
    assert!(actions(&mut p).is_empty());
    p.handle_update(at(2.0), id, ntp(2.0, 7.0, 400.0));
    assert_eq!(p.report(id).delay_rejected, 2);
    assert_eq!(p.system_peer(), Some(id));
}

#[test]
fn a_port_that_stops_measuring_is_no_candidate_after_16_s() {
    let (mut p, port, servers, _) = mixed(1.0, SourceOptions::default());
    assert_eq!(p.system_peer(), Some(port));
    // The port falls silent at 9.5 s; the servers go on. The servo is fed
    // from a server as the port's sample ages (RFC 5905 §11.2: its
    // distance grows by 15 ppm of its age), without any jump: they
    // agree. 16 s after its last sample the port is no candidate at all.
    let mut fed = Vec::new();
    for i in 10..40 {
        let t = f64::from(i);
        for (k, id) in servers.iter().enumerate() {
            let t = t + 0.1 * (k + 1) as f64;
            p.handle_update(at(t), *id, ntp(t, k as f64, 100.0));
            fed.extend(servo_offsets(&mut p).into_iter().map(|x| (t, x)));
        }
    }
    assert_eq!(p.report(port).state, SelectionState::Unusable);
    assert!(servers.contains(&p.system_peer().unwrap()));
    assert!(!fed.is_empty());
    assert!(fed.iter().all(|(_, x)| x.abs() < 3.0), "{fed:?}");
}

#[test]
fn a_ptp_servo_sample_carries_its_delay_only_when_its_own() {
    let mut p = running();
    let port = p.add_source(SourceKind::Ptp);
    let mut s = ptp(0.0, 1.0);
    p.handle_sample(at(0.0), port, s);
    let a = actions(&mut p);
    assert!(
        matches!(a[..], [Action::Servo { sample, .. }] if sample.delay.is_none()),
        "{a:?}"
    );
    s.own_delay = true;
    s.measurement.at = at(1.0);
    p.handle_sample(at(1.0), port, s);
    let a = actions(&mut p);
    assert!(
        // The round trip, as an NTP source's.
        matches!(a[..], [Action::Servo { sample, .. }] if sample.delay == Some(us(20.0))),
        "{a:?}"
    );
}

#[test]
fn a_ptp_measurement_taken_again_goes_to_the_servo_again() {
    // The engine may measure one Sync twice (a new delay): the servo got
    // both straight, and gets both through the selection.
    let mut p = SystemProcess::new(SystemConfig::default(), at(0.0), 0.0);
    let port = p.add_source(SourceKind::Ptp);
    let mut fed = 0;
    for i in 0..20 {
        let t = f64::from(i);
        for theta in [1.0, 1.5] {
            p.handle_sample(at(t + 0.1), port, ptp(t, theta));
            fed += servo_offsets(&mut p).len();
        }
    }
    // Start-up (four samples), settling, then every one of them.
    assert_eq!(p.stage(), tempora_system::Stage::Running);
    assert!(fed >= 2 * 20 - 16, "{fed}");
    let mut twice = 0;
    for theta in [1.0, 1.5] {
        p.handle_sample(at(20.1), port, ptp(20.0, theta));
        twice += servo_offsets(&mut p).len();
    }
    assert_eq!(twice, 2);
}

#[test]
fn a_liar_outvoted_beside_a_grandmaster_does_not_tie_with_the_server_left() {
    // A grandmaster and an honest server agree, a second server lies by
    // 5 ms: the liar is a falseticker sample after sample.
    let mut p = running();
    let port = p.add_source(SourceKind::Ptp);
    let honest = p.add_source(SourceKind::Ntp);
    let liar = p.add_source(SourceKind::Ntp);
    for i in 0..12 {
        let t = f64::from(i);
        p.handle_update(at(t), honest, ntp(t, 0.0, 100.0));
        p.handle_update(at(t + 0.1), liar, ntp(t + 0.1, 5_000.0, 100.0));
        p.handle_sample(at(t + 0.5), port, ptp(t + 0.5, 1.0));
    }
    assert_eq!(p.system_peer(), Some(port));
    assert!(p.report(liar).falseticker_run >= 8);
    actions(&mut p);
    // The grandmaster goes (its port leaves SLAVE): one against one, but
    // the proven liar has no vote; the honest server is selected and the
    // liar still judged a falseticker.
    p.handle_source_reset(port);
    let mut fed = Vec::new();
    for i in 12..20 {
        let t = f64::from(i);
        p.handle_update(at(t), honest, ntp(t, 0.0, 100.0));
        fed.extend(servo_offsets(&mut p));
        p.handle_update(at(t + 0.1), liar, ntp(t + 0.1, 5_000.0, 100.0));
        fed.extend(servo_offsets(&mut p));
    }
    assert_eq!(p.system_peer(), Some(honest));
    assert_eq!(p.report(liar).state, SelectionState::Falseticker);
    assert!(
        !fed.is_empty() && fed.iter().all(|x| x.abs() < 1.0),
        "{fed:?}"
    );
    // Two sources that never proved anything still tie.
    let mut p = running();
    let a = p.add_source(SourceKind::Ntp);
    let b = p.add_source(SourceKind::Ntp);
    for i in 0..12 {
        let t = f64::from(i);
        p.handle_update(at(t), a, ntp(t, 0.0, 100.0));
        p.handle_update(at(t + 0.1), b, ntp(t + 0.1, 5_000.0, 100.0));
    }
    assert_eq!(p.system_peer(), None);
}

/// A source marked as a timing loop (NTPv5: its Bloom filter holds our
/// reference id) is never selected and has no vote; cleared, it is a
/// candidate again.
#[test]
fn a_timing_loop_is_never_selected() {
    let mut p = running();
    let looped = p.add_source(SourceKind::Ntp);
    let other = p.add_source(SourceKind::Ntp);
    p.set_timing_loop(looped, true);
    assert!(p.is_timing_loop(looped) && !p.is_timing_loop(other));
    let mut fed = Vec::new();
    for i in 0..10 {
        let t = f64::from(i);
        // The loop is nearer (less delay): it would be the system peer.
        p.handle_update(at(t), looped, ntp(t, 3.0, 50.0));
        fed.extend(servo_offsets(&mut p));
        p.handle_update(at(t + 0.1), other, ntp(t + 0.1, 0.0, 100.0));
        fed.extend(servo_offsets(&mut p));
    }
    assert_eq!(p.report(looped).state, SelectionState::TimingLoop);
    assert_eq!(SelectionState::TimingLoop.name(), "timing-loop");
    assert!(!p.report(looped).selected);
    assert_eq!(p.system_peer(), Some(other));
    assert!(
        !fed.is_empty() && fed.iter().all(|x| x.abs() < 1e-3),
        "{fed:?}"
    );
    // Cleared: it takes part again.
    p.set_timing_loop(looped, false);
    for i in 10..14 {
        let t = f64::from(i);
        p.handle_update(at(t), looped, ntp(t, 3.0, 50.0));
        p.handle_update(at(t + 0.1), other, ntp(t + 0.1, 0.0, 100.0));
        actions(&mut p);
    }
    assert_ne!(p.report(looped).state, SelectionState::TimingLoop);
    assert!(p.report(looped).selected, "{:?}", p.report(looped));
}
