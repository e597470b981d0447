//! The stream of `testdata/extts-8ppm.txt`: 30 s of a PPS into a PHC that
//! is 1.234567 ms ahead and 8 ppm fast, with 20 ns of timestamp jitter,
//! one edge missing, and the NMEA sentences of `gpsfake-fix.nmea` as the
//! ToD (see `testdata/gen-extts-8ppm.py`).

use super::*;
use crate::nmea;
use alloc::vec::Vec;

const STREAM: &str = include_str!("../../testdata/extts-8ppm.txt");

/// "seconds.nanoseconds" (nine digits) as a time.
fn time(s: &str) -> Time {
    let (secs, nanos) = s.split_once('.').unwrap();
    Time::from_secs_nanos(secs.parse().unwrap(), nanos.parse().unwrap())
}

/// Feeds the stream, with one poll of 8 s after every 8 s of it.
type Outcome = Result<Pulse, ExttsError>;

fn replay(s: &mut Ts2Phc) -> (Vec<Outcome>, Vec<tempora_system::RawSample>) {
    let mut outcomes = Vec::new();
    let mut samples = Vec::new();
    let mut next_poll = None;
    for line in STREAM.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line.splitn(3, ' ');
        let (kind, seen) = (f.next().unwrap(), time(f.next().unwrap()));
        let rest = f.next().unwrap();
        match kind {
            "E" => {
                let (ch, phc) = rest.split_once(' ').unwrap();
                let event = ExttsEvent {
                    channel: ch.parse().unwrap(),
                    time: time(phc),
                    flags: 0,
                };
                // Through the bytes, as the driver reads them.
                s.push_bytes(&event.encode(), seen);
            }
            _ => {
                if let Some(r) = nmea::parse(rest.as_bytes()).unwrap().reading() {
                    s.push_tod(TodReading::from_nmea(&r, seen));
                }
            }
        }
        let poll_at = *next_poll.get_or_insert(seen + Duration::from_secs(8));
        if seen >= poll_at {
            s.advance(seen);
            samples.extend(s.poll(Duration::from_secs(8)));
            next_poll = Some(poll_at + Duration::from_secs(8));
        }
        outcomes.extend(core::iter::from_fn(|| s.next_outcome()));
    }
    s.advance(seen_end());
    outcomes.extend(core::iter::from_fn(|| s.next_outcome()));
    (outcomes, samples)
}

#[test]
fn drifting_phc_with_jitter() {
    let mut s = Ts2Phc::new(ExttsParams::default()).unwrap();
    s.set_tai_offset(Some(37));
    let (outcomes, samples) = replay(&mut s);
    let pulses: Vec<Pulse> = outcomes.into_iter().map(Result::unwrap).collect();
    let c = s.counters();
    assert_eq!((c.events, c.pulses, c.rejected), (29, 29, 0));
    assert_eq!((c.missed_edges, c.unpaired_tods), (1, 1));
    // 2024-05-12 23:53:16 UTC = 1715557996, 23:53:45 the last.
    assert_eq!(pulses[0].second, Time::from_secs_nanos(1_715_557_996, 0));
    assert_eq!(pulses[28].second, Time::from_secs_nanos(1_715_558_025, 0));
    assert_eq!(pulses[0].reference, Time::from_secs_nanos(1_715_558_033, 0));

    // A line through θ(t): −1.234567 ms at the start, −8 ppm.
    let t0 = pulses[0].reference;
    let x: Vec<f64> = pulses
        .iter()
        .map(|p| (p.reference - t0).as_secs_f64())
        .collect();
    let y: Vec<f64> = pulses.iter().map(|p| p.offset.as_secs_f64()).collect();
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (b - intercept - slope * a) * (b - intercept - slope * a))
        .sum();
    let rms = libm::sqrt(rss / (n - 2.0));
    assert!((slope * 1e6 + 8.0).abs() < 0.01, "slope {slope}");
    assert!(
        (intercept + 1.234567e-3).abs() < 20e-9,
        "intercept {intercept}"
    );
    assert!(rms > 10e-9 && rms < 30e-9, "rms {rms}");

    // One sample per 8 s poll, on the line within the jitter.
    assert_eq!(samples.len(), 3, "{samples:?}");
    for r in &samples {
        let at = (r.measurement.at - Time::from_secs_nanos(1_715_558_033, 1_234_567)).as_secs_f64();
        let line = intercept + slope * at;
        let err = r.measurement.offset.as_secs_f64() - line;
        assert!(err.abs() < 20e-9, "sample {r:?} off the line by {err}");
        assert!(r.root >= Duration::from_nanos(100));
    }
}

/// After the stream's last line.
fn seen_end() -> Time {
    Time::from_secs_nanos(20_000, 0)
}

#[test]
fn wrong_channel_or_unknown_tai_offset() {
    let p = ExttsParams {
        channel: 1,
        ..ExttsParams::default()
    };
    let mut s = Ts2Phc::new(p).unwrap();
    s.set_tai_offset(Some(37));
    let (out, samples) = replay(&mut s);
    assert!(samples.is_empty());
    assert_eq!(out.len(), 29);
    let wrong = ExttsError::WrongChannel {
        expected: 1,
        got: 0,
    };
    assert!(out.iter().all(|o| *o == Err(wrong)));
    // NMEA has no TAI − UTC: a TAI PHC needs it from elsewhere.
    let mut s = Ts2Phc::new(ExttsParams::default()).unwrap();
    let (out, samples) = replay(&mut s);
    assert!(samples.is_empty());
    assert_eq!(out.len(), 29);
    assert!(out.iter().all(|o| *o == Err(ExttsError::NoUtcOffset)));
    // A UTC PHC is 37 s behind what the stream's PHC reads.
    let p = ExttsParams {
        timescale: PhcTimescale::Utc,
        ..ExttsParams::default()
    };
    let mut s = Ts2Phc::new(p).unwrap();
    let (out, _) = replay(&mut s);
    let first = out[0].unwrap().offset;
    assert_eq!(first, Duration::from_nanos(-37_001_234_552));
}
