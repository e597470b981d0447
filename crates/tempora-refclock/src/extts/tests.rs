//! Synthetic event streams.

use super::*;
use crate::nmea;
use alloc::vec::Vec;

const TAI: i16 = 37;

fn t(s: i64, ns: u32) -> Time {
    Time::from_secs_nanos(s, ns)
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v)
}

/// UTC second 1_700_000_000 + k.
fn utc(k: i64) -> Time {
    t(1_700_000_000 + k, 0)
}

fn edge(phc: Time) -> ExttsEvent {
    ExttsEvent {
        channel: 0,
        time: phc,
        flags: 0,
    }
}

/// The seen time of second k's edge: an arbitrary monotonic clock.
fn seen(k: i64) -> Time {
    t(5000 + k, 1_000_000)
}

fn tod(k: i64, after_edge: Duration) -> Result<TodReading, ExttsError> {
    tod_at(k, k, after_edge)
}

/// A reading of second `k` seen `after_edge` after the edge of second `at`.
fn tod_at(k: i64, at: i64, after_edge: Duration) -> Result<TodReading, ExttsError> {
    TodReading::new(utc(k), seen(at) + after_edge, Some(TAI))
}

/// A PHC in TAI that is `err` ahead: its time at the edge of second k.
fn phc(k: i64, err: Duration) -> Time {
    utc(k) + Duration::from_secs(i64::from(TAI)) + err
}

fn outcomes(s: &mut Ts2Phc) -> Vec<Result<Pulse, ExttsError>> {
    core::iter::from_fn(|| s.next_outcome()).collect()
}

fn source() -> Ts2Phc {
    Ts2Phc::new(ExttsParams::default()).unwrap()
}

#[test]
fn events_round_trip_and_bad_records() {
    let e = ExttsEvent {
        channel: 2,
        time: t(1_700_000_037, 123_456_789),
        flags: 3,
    };
    let mut bytes = e.encode().to_vec();
    bytes.extend_from_slice(&edge(t(-5, 1)).encode());
    assert_eq!(decode_events(&bytes), [Ok(e), Ok(edge(t(-5, 1)))]);
    bytes.truncate(40);
    assert_eq!(
        decode_events(&bytes),
        [Ok(e), Err(ExttsError::Truncated { len: 8 })]
    );
    let mut bad = e.encode();
    bad[8..12].copy_from_slice(&1_000_000_000u32.to_ne_bytes());
    assert_eq!(
        decode_events(&bad),
        [Err(ExttsError::BadNanos {
            nsec: 1_000_000_000
        })]
    );
    assert!(decode_events(&[]).is_empty());
}

#[test]
fn params_checked() {
    let p = ExttsParams {
        tod_lead: ms(300),
        tod_lag: ms(700),
        ..ExttsParams::default()
    };
    assert_eq!(Ts2Phc::new(p).err(), Some(ParamsError::TodWindow));
    let p = ExttsParams {
        tod_lead: ms(-1),
        ..ExttsParams::default()
    };
    assert_eq!(Ts2Phc::new(p).err(), Some(ParamsError::TodWindow));
    let p = ExttsParams {
        max_interval_error: ms(500),
        ..ExttsParams::default()
    };
    assert_eq!(Ts2Phc::new(p).err(), Some(ParamsError::IntervalError));
}

#[test]
fn tod_from_nmea_and_gpsd() {
    let rmc = nmea::parse(b"$GPRMC,235316.00,A,4807.03800,N,01131.00000,E,0.02,84.4,120524,,,A*56")
        .unwrap()
        .reading()
        .unwrap();
    let r = TodReading::from_nmea(&rmc, t(9, 0)).unwrap();
    // `date -d '2024-05-12 23:53:16Z' +%s` = 1715557996
    assert_eq!(r.second, t(1_715_557_996, 0));
    assert_eq!(r.tai_offset, None);
    let invalid = nmea::Reading {
        valid: false,
        ..rmc
    };
    assert_eq!(
        TodReading::from_nmea(&invalid, t(9, 0)),
        Err(ExttsError::TodInvalid)
    );
    let leap = nmea::Reading {
        leap_second: true,
        ..rmc
    };
    assert_eq!(
        TodReading::from_nmea(&leap, t(9, 0)),
        Err(ExttsError::TodLeapSecond)
    );
    let tenth = nmea::Reading {
        utc: rmc.utc + ms(100),
        ..rmc
    };
    assert_eq!(
        TodReading::from_nmea(&tenth, t(9, 0)),
        Err(ExttsError::TodNotOnSecond)
    );
    let line = br#"{"class":"TPV","device":"/dev/ttyS0","mode":3,"time":"2024-05-12T23:53:16.000Z","leapseconds":18}"#;
    let crate::gpsd::Report::Tpv(tpv) = crate::gpsd::decode(line).unwrap() else {
        panic!("not a TPV");
    };
    let r = TodReading::from_gpsd(&tpv, t(9, 0)).unwrap();
    assert_eq!(r.second, t(1_715_557_996, 0));
    assert_eq!(r.tai_offset, Some(37));
    let nofix = crate::gpsd::Tpv { mode: 1, ..tpv };
    assert_eq!(
        TodReading::from_gpsd(&nofix, t(9, 0)),
        Err(ExttsError::TodInvalid)
    );
}

#[test]
fn tod_after_or_before_the_edge() {
    for after in [ms(-90), ms(0), ms(150), ms(690)] {
        let mut s = source();
        let err = Duration::from_nanos(1500);
        for k in 0..3 {
            if after.is_negative() {
                s.push_tod(tod(k, after));
                s.push_event(edge(phc(k, err)), seen(k));
            } else {
                s.push_event(edge(phc(k, err)), seen(k));
                s.push_tod(tod(k, after));
            }
        }
        s.advance(seen(3));
        let out = outcomes(&mut s);
        assert_eq!(out.len(), 3, "{after}: {out:?}");
        for (k, o) in out.iter().enumerate() {
            let p = o.unwrap();
            assert_eq!(p.second, utc(k as i64));
            assert_eq!(p.reference, phc(k as i64, Duration::ZERO));
            assert_eq!(p.offset, -err);
        }
        assert_eq!(s.counters().pulses, 3);
        assert_eq!(s.counters().rejected, 0);
    }
}

#[test]
fn pulse_delay_and_utc_timescale() {
    let p = ExttsParams {
        timescale: PhcTimescale::Utc,
        pulse_delay: Duration::from_nanos(250),
        channel: 1,
        ..ExttsParams::default()
    };
    let mut s = Ts2Phc::new(p).unwrap();
    s.push_event(
        ExttsEvent {
            channel: 1,
            time: utc(0) + Duration::from_nanos(300),
            flags: 0,
        },
        seen(0),
    );
    s.push_tod(tod(0, ms(200)));
    s.advance(seen(1));
    let p = s.next_outcome().unwrap().unwrap();
    assert_eq!(p.reference, utc(0) + Duration::from_nanos(250));
    assert_eq!(p.offset, Duration::from_nanos(-50));
}

#[test]
fn tai_offset_configured_first_then_the_readings() {
    let mut s = source();
    s.push_event(edge(phc(0, Duration::ZERO)), seen(0));
    s.push_tod(TodReading::new(utc(0), seen(0) + ms(100), None));
    s.advance(seen(1));
    assert_eq!(s.next_outcome(), Some(Err(ExttsError::NoUtcOffset)));
    s.set_tai_offset(Some(36));
    s.push_event(edge(phc(1, Duration::ZERO)), seen(1));
    s.push_tod(tod(1, ms(100)));
    s.advance(seen(2));
    assert_eq!(s.next_outcome().unwrap().unwrap().offset, ms(-1000));
}

#[test]
fn wrong_channel_duplicate_and_glitch() {
    let mut s = source();
    s.push_event(edge(phc(0, Duration::ZERO)), seen(0));
    s.push_tod(tod(0, ms(100)));
    let mut other = edge(phc(0, ms(1)));
    other.channel = 3;
    s.push_event(other, seen(0) + ms(1));
    // Both edges captured: the falling one 150 ms after.
    s.push_event(edge(phc(0, ms(150))), seen(0) + ms(150));
    // The real edge of second 1, measured from the duplicate: 850 ms.
    s.push_event(edge(phc(1, Duration::ZERO)), seen(1));
    s.push_tod(tod(1, ms(100)));
    // Second 2 is fine again; a glitch at 2.6 s.
    s.push_event(edge(phc(2, Duration::ZERO)), seen(2));
    s.push_tod(tod(2, ms(100)));
    s.push_event(edge(phc(2, ms(600))), seen(2) + ms(600));
    s.push_event(edge(phc(3, Duration::ZERO)), seen(3));
    s.push_tod(tod(3, ms(100)));
    s.push_event(edge(phc(4, Duration::ZERO)), seen(4));
    s.push_tod(tod(4, ms(100)));
    s.advance(seen(5));
    let out = outcomes(&mut s);
    let second = |i: usize| out[i].map(|p| p.second);
    assert_eq!(
        out[0].err(),
        Some(ExttsError::WrongChannel {
            expected: 0,
            got: 3
        })
    );
    let duplicate = |v| Err(ExttsError::DuplicateEdge { interval: ms(v) });
    let off = |v| Err(ExttsError::OffSecond { residual: ms(v) });
    assert_eq!(second(1), duplicate(150));
    assert_eq!(second(2), Ok(utc(0)));
    assert_eq!(second(3), off(-150));
    assert_eq!(second(4), off(-400));
    assert_eq!(second(5), Ok(utc(2)));
    assert_eq!(second(6), duplicate(400));
    assert_eq!(second(7), Ok(utc(4)));
    assert_eq!(out.len(), 8);
    // ToDs 1 and 3 had no accepted edge.
    assert_eq!(s.counters().unpaired_tods, 2);
}

#[test]
fn missing_tod_missing_edge_and_ambiguous() {
    let mut s = source();
    s.push_event(edge(phc(0, Duration::ZERO)), seen(0));
    // No ToD for second 0; second 1's edge was not captured.
    s.push_tod(tod(1, ms(100)));
    s.push_event(edge(phc(2, Duration::ZERO)), seen(2));
    s.push_tod(tod(2, ms(100)));
    // Two seconds in one window: ToD 3 late, ToD 4 early.
    s.push_event(edge(phc(3, Duration::ZERO)), seen(3));
    s.push_tod(tod(3, ms(50)));
    s.push_tod(TodReading::new(utc(4), seen(3) + ms(600), Some(TAI)));
    s.advance(seen(4) + ms(900));
    let out = outcomes(&mut s);
    assert_eq!(
        out[0],
        Err(ExttsError::MissingTod {
            phc: phc(0, Duration::ZERO)
        })
    );
    assert_eq!(out[1].unwrap().second, utc(2));
    assert_eq!(
        out[2],
        Err(ExttsError::Ambiguous {
            first: utc(3),
            second: utc(4)
        })
    );
    assert_eq!(out.len(), 3);
    let c = s.counters();
    assert_eq!(c.missed_edges, 1);
    assert_eq!(c.unpaired_tods, 1);
    assert_eq!((c.events, c.tods, c.pulses, c.rejected), (3, 4, 1, 2));
}

#[test]
fn tod_source_skipping_or_going_back() {
    let mut s = source();
    s.push_event(edge(phc(0, Duration::ZERO)), seen(0));
    s.push_tod(tod(0, ms(100)));
    // RMC and ZDA of the same second: one reading.
    s.push_tod(tod(0, ms(120)));
    // The ToD source names second 2 at the edge of second 1.
    s.push_event(edge(phc(1, Duration::ZERO)), seen(1));
    s.push_tod(tod_at(2, 1, ms(100)));
    s.push_tod(tod_at(1, 1, ms(110)));
    s.push_event(edge(phc(2, Duration::ZERO)), seen(2));
    s.push_tod(tod_at(3, 2, ms(100)));
    s.push_event(edge(phc(3, Duration::ZERO)), seen(3));
    s.push_tod(tod_at(4, 3, ms(100)));
    s.advance(seen(4));
    let out = outcomes(&mut s);
    assert_eq!(out[0].unwrap().second, utc(0));
    assert_eq!(
        out[1],
        Err(ExttsError::TodBackwards {
            previous: utc(2),
            second: utc(1)
        })
    );
    assert_eq!(
        out[2],
        Err(ExttsError::SecondMismatch {
            expected: utc(1),
            got: utc(2)
        })
    );
    // The skipped count is consistent from then on (the ToD is one
    // second ahead): the mismatch is not repeated, the pulses pair.
    assert_eq!(out[3].unwrap().second, utc(3));
    assert_eq!(out[4].unwrap().second, utc(4));
    assert_eq!(out.len(), 5);
}

#[test]
fn samples_per_poll_and_reset() {
    let mut s = source();
    let err = Duration::from_micros(-3);
    for k in 0..8 {
        s.push_event(edge(phc(k, err)), seen(k));
        s.push_tod(tod(k, ms(100)));
    }
    s.advance(seen(8));
    assert_eq!(s.counters().pulses, 8);
    let r = s.poll(Duration::from_secs(8)).unwrap();
    assert_eq!(r.measurement.offset, Duration::from_micros(3));
    assert_eq!(r.root, Duration::from_nanos(100));
    assert_eq!(r.interval, Duration::from_secs(8));
    // At the newest kept edge (the filter's line through them): the
    // middle of the eight by offset, all equal, are those at 1..=6 s.
    assert!(r.measurement.at > phc(5, err) && r.measurement.at <= phc(7, err));
    assert!(s.poll(Duration::from_secs(8)).is_none());
    // After a reset (a PHC step), an edge 10 s back is no duplicate.
    s.reset();
    s.push_event(edge(phc(-2, Duration::ZERO)), seen(9));
    s.push_tod(TodReading::new(utc(-2), seen(9) + ms(100), Some(TAI)));
    s.advance(seen(10));
    let out = outcomes(&mut s);
    assert_eq!(out.last().unwrap().unwrap().offset, Duration::ZERO);
}

#[test]
fn bounded_queues() {
    let mut s = source();
    // A burst of edges with nothing seen after them: only 8 wait.
    for k in 0..12 {
        s.push_event(edge(phc(k, Duration::ZERO)), seen(0));
    }
    assert_eq!(s.counters().rejected, 4);
    for _ in 0..100 {
        s.push_tod(Err(ExttsError::TodInvalid));
    }
    assert_eq!(outcomes(&mut s).len(), 64);
    assert!(s.counters().dropped_outcomes > 0);
}

#[test]
fn an_edge_back_after_a_glitch_is_no_second_pulse() {
    // Found by the fuzz target: edge A, a glitch far back, then an edge
    // 45 µs after A (whole seconds after the glitch, so the interval check
    // passes); A and it share one reading. Only A may count.
    let mut s = source();
    let a = phc(0, Duration::ZERO);
    s.push_event(edge(a), seen(0));
    s.push_event(edge(a - Duration::from_secs(100)), seen(0) + ms(1));
    s.push_event(edge(a + Duration::from_micros(45)), seen(0) + ms(2));
    s.push_tod(tod(0, ms(100)));
    s.advance(seen(1));
    let out = outcomes(&mut s);
    assert!(matches!(out[0], Err(ExttsError::DuplicateEdge { .. })));
    assert_eq!(out[1].unwrap().phc, a);
    assert_eq!(
        out[2],
        Err(ExttsError::DuplicateEdge {
            interval: Duration::from_micros(45)
        })
    );
    assert_eq!(s.counters().pulses, 1);
    // The anchor is still A: second 1 pairs.
    s.push_event(edge(phc(1, Duration::ZERO)), seen(1));
    s.push_tod(tod(1, ms(100)));
    s.advance(seen(2));
    assert_eq!(s.next_outcome().unwrap().unwrap().second, utc(1));
}

#[test]
fn huge_gaps_saturate_the_missed_count() {
    // Found by the fuzz target: edges alternating between the ends of the
    // PHC's range (each far one rejected, but the next measured from it)
    // overflowed the count.
    let mut s = source();
    for k in 0..8i64 {
        // 2^63 − 1 s apart: the largest whole count of seconds.
        let secs = if k % 2 == 0 {
            -(1 << 62)
        } else {
            (1 << 62) - 1
        };
        s.push_event(edge(Time::from_secs_nanos(secs, 0)), seen(k));
    }
    assert_eq!(s.counters().missed_edges, u64::MAX);
}
