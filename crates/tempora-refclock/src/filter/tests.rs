use super::*;

fn s(at_ms: i64, offset_us: i64, disp_us: i64) -> RefSample {
    RefSample {
        at: Time::from_secs_nanos(1000, 0) + Duration::from_millis(at_ms),
        offset: Duration::from_micros(offset_us),
        dispersion: Duration::from_micros(disp_us),
    }
}

fn near(a: Duration, b: Duration, tol_ns: i64) -> bool {
    (a - b).abs() <= Duration::from_nanos(tol_ns)
}

#[test]
fn waits_for_min_samples() {
    let mut f = SampleFilter::new(16);
    for i in 0..3 {
        f.add(s(i * 1000, 10, 1));
    }
    assert_eq!(f.poll(Duration::from_secs(16)), None);
    assert_eq!(f.len(), 3);
    f.add(s(3000, 10, 1));
    let r = f.poll(Duration::from_secs(16)).unwrap();
    assert!(f.is_empty());
    assert_eq!(r.interval, Duration::from_secs(16));
    assert_eq!(r.measurement.delay, Duration::ZERO);
    assert!(!r.own_delay);
    // A shorter filter needs only its length.
    let mut f = SampleFilter::new(2);
    f.add(s(0, 1, 1));
    assert_eq!(f.poll(Duration::from_secs(1)), None);
    f.add(s(1, 3, 1));
    let r = f.poll(Duration::from_secs(1)).unwrap();
    assert_eq!(r.measurement.offset, Duration::from_micros(2));
}

#[test]
fn drops_outliers_keeps_middle_sixty_percent() {
    // Ten one-per-second samples around 100 us, two wild ones on each side.
    let offsets = [100, 5000, 101, 99, -4000, 100, 102, 98, 7000, -9000];
    let mut f = SampleFilter::new(10);
    for (i, o) in offsets.iter().enumerate() {
        f.add(s(i as i64 * 1000, *o, 1));
    }
    let r = f.poll(Duration::from_secs(16)).unwrap();
    // ⌊10 × 0.2⌋ = 2 dropped at each end: 98, 99, 100, 100, 101, 102 kept.
    // Their line at the newest kept one (7 s): slope -3/34.83 us/s over
    // mean 100 us at 23/6 s gives 99.727 us.
    assert!(
        near(r.measurement.offset, Duration::from_nanos(99_727), 2),
        "{}",
        r.measurement.offset
    );
    assert!(near(
        r.measurement.at - Time::from_secs_nanos(1000, 0),
        Duration::from_secs(7),
        0
    ));
    // The spread of the kept ones, not the wild ones.
    assert!(r.root < Duration::from_micros(5), "{}", r.root);
    assert!(r.root >= Duration::from_micros(1));
}

#[test]
fn drift_over_the_poll_is_not_noise() {
    // The local clock runs 10 ppm fast: offsets fall 10 us per second, on
    // a line. The sample is the line at the newest kept time, and the fit
    // leaves no spread.
    let mut f = SampleFilter::new(8);
    for i in 0..8 {
        f.add(s(i * 1000, 500 - 10 * i, 0));
    }
    let r = f.poll(Duration::from_secs(8)).unwrap();
    // Kept: the middle six by offset (i = 1..=6): 440 us at 6 s.
    assert!(near(r.measurement.offset, Duration::from_micros(440), 1));
    assert!(near(
        r.measurement.at - Time::from_secs_nanos(1000, 0),
        Duration::from_secs(6),
        1
    ));
    assert!(r.root < Duration::from_nanos(1), "{}", r.root);
}

#[test]
fn dispersion_preselection_and_floor() {
    // Six samples, two with a large dispersion (a noisy timestamp): they go
    // first, whatever their offset.
    let mut f = SampleFilter::new(6);
    for (i, (o, d)) in [(10, 1), (11, 1), (500, 50), (12, 1), (-400, 50), (13, 1)]
        .iter()
        .enumerate()
    {
        f.add(s(i as i64 * 100, *o, *d));
    }
    let r = f.poll(Duration::from_secs(1)).unwrap();
    // Four left (10, 11, 12, 13), one dropped at each end: 11 and 12.
    assert!(near(r.measurement.offset, Duration::from_nanos(11_500), 1));
    // The mean dispersion (1 us) is the floor.
    assert!(r.root >= Duration::from_micros(1));
}

#[test]
fn full_filter_drops_the_oldest() {
    let mut f = SampleFilter::new(4);
    for (i, o) in [1000, 1000, 1, 2, 3, 4].iter().enumerate() {
        f.add(s(i as i64, *o, 0));
    }
    assert_eq!(f.len(), 4);
    let r = f.poll(Duration::from_secs(1)).unwrap();
    // 1..4 left; one dropped each end: 2 and 3.
    assert_eq!(r.measurement.offset, Duration::from_nanos(2500));
}

#[test]
fn three_samples_give_the_median() {
    let mut f = SampleFilter::new(3);
    for o in [7, -100, 9] {
        f.add(s(0, o, 0));
    }
    let r = f.poll(Duration::from_secs(1)).unwrap();
    assert_eq!(r.measurement.offset, Duration::from_micros(7));
}
