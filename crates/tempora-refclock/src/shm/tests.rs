use super::*;

/// A segment as gpsd writes it for a GPS serial time in mode 1: the
/// reference's time on the second, the local receive time 120 ms later,
/// precision −1 (about half a second, right for serial time),
/// nanosecond fields filled.
fn gpsd_like(count: i32) -> ShmSegment {
    ShmSegment {
        mode: 1,
        count,
        clock_sec: 1_715_557_996,
        clock_usec: 0,
        receive_sec: 1_715_557_996,
        receive_usec: 120_345,
        leap: 0,
        precision: -1,
        nsamples: 3,
        valid: 1,
        clock_nsec: 0,
        receive_nsec: 120_345_678,
    }
}

#[test]
fn layout_offsets() {
    let s = ShmSegment {
        mode: 0x0101_0101,
        count: 0x0202_0202,
        clock_sec: 0x0303_0303_0303_0303,
        clock_usec: 0x0404_0404,
        receive_sec: 0x0505_0505_0505_0505,
        receive_usec: 0x0606_0606,
        leap: 0x0707_0707,
        precision: 0x0808_0808,
        nsamples: 0x0909_0909,
        valid: 0x0a0a_0a0a,
        clock_nsec: 0x0b0b_0b0b,
        receive_nsec: 0x0c0c_0c0c,
    };
    let b = s.encode();
    let mut expect = [0u8; 96];
    for (range, v) in [
        (0..4, 1),
        (4..8, 2),
        (8..16, 3),
        (16..20, 4),
        (24..32, 5),
        (32..36, 6),
        (36..40, 7),
        (40..44, 8),
        (44..48, 9),
        (48..52, 10),
        (52..56, 11),
        (56..60, 12),
    ] {
        expect[range].fill(v);
    }
    assert_eq!(b, expect);
    assert_eq!(ShmSegment::decode(&b), Ok(s));
}

#[test]
fn mode1_read_uses_nanoseconds() {
    let r = read(&gpsd_like(7).encode(), 7).unwrap();
    assert_eq!(r.action, ShmAction::ClearValid);
    assert_eq!(r.sample.reference, Time::from_secs_nanos(1_715_557_996, 0));
    assert_eq!(
        r.sample.local,
        Time::from_secs_nanos(1_715_557_996, 120_345_678)
    );
    assert_eq!(r.sample.offset, Duration::from_nanos(-120_345_678));
    assert_eq!(r.sample.leap, Leap::None);
    assert_eq!(r.sample.precision, -1);
}

#[test]
fn nanoseconds_ignored_when_they_disagree() {
    // An old writer leaves the nanosecond fields zero.
    let mut s = gpsd_like(7);
    s.receive_nsec = 0;
    let r = read(&s.encode(), 7).unwrap();
    assert_eq!(
        r.sample.local,
        Time::from_secs_nanos(1_715_557_996, 120_345_000)
    );
}

#[test]
fn torn_read_in_mode_1() {
    // The writer bumped `count` while the reader copied: the copy holds the
    // old count (and possibly half-new fields), the re-read the new one.
    let mut snapshot = gpsd_like(8).encode();
    snapshot[24..32].copy_from_slice(&1_715_557_997i64.to_ne_bytes());
    assert_eq!(
        read(&snapshot, 9),
        Err(ShmError::Torn {
            before: 8,
            after: 9
        })
    );
    // The same copy in mode 0 cannot tell.
    let mut s = gpsd_like(8);
    s.mode = 0;
    assert!(read(&s.encode(), 9).is_ok());
}

#[test]
fn not_valid_and_garbage() {
    let mut s = gpsd_like(1);
    s.valid = 0;
    assert_eq!(read(&s.encode(), 1), Err(ShmError::NotValid));
    let mut s = gpsd_like(1);
    s.mode = 2;
    assert_eq!(read(&s.encode(), 1), Err(ShmError::Mode(2)));
    let mut s = gpsd_like(1);
    s.leap = 4;
    assert_eq!(read(&s.encode(), 1), Err(ShmError::Leap(4)));
    let mut s = gpsd_like(1);
    s.clock_usec = 1_000_000;
    assert_eq!(read(&s.encode(), 1), Err(ShmError::Microseconds(1_000_000)));
    let mut s = gpsd_like(1);
    s.receive_usec = -5;
    assert_eq!(read(&s.encode(), 1), Err(ShmError::Microseconds(-5)));
    assert_eq!(read(&[0; 95], 0), Err(ShmError::Length(95)));
    // All 0xff: valid, mode −1.
    assert_eq!(read(&[0xff; 96], -1), Err(ShmError::Mode(-1)));
    // A longer mapping is fine: only the first 96 bytes count.
    assert!(read(&[gpsd_like(3).encode().as_slice(), &[0xee; 8]].concat(), 3).is_ok());
}

#[test]
fn leap_warning_passes_through() {
    let mut s = gpsd_like(1);
    s.leap = 1;
    assert_eq!(read(&s.encode(), 1).unwrap().sample.leap, Leap::Insert);
    s.leap = 3;
    assert_eq!(
        read(&s.encode(), 1).unwrap().sample.leap,
        Leap::Unsynchronized
    );
}

/// Snapshots of segment 0 written by Debian 12's gpsd 3.22 (see
/// `testdata/README.md`).
const GPSD_SNAPSHOTS: &str = include_str!("../../testdata/gpsd-3.22-shm0.hex");

fn unhex(s: &str) -> alloc::vec::Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
#[cfg(target_endian = "little")]
fn real_gpsd_segments() {
    let mut last = None;
    for line in GPSD_SNAPSHOTS.lines() {
        let bytes = unhex(line);
        assert_eq!(bytes.len(), SHM_SEGMENT_LEN);
        let seg = ShmSegment::decode(&bytes).unwrap();
        // gpsd writes in mode 1 and bumps `count` before and after each
        // update: a settled segment has an even count.
        assert_eq!(seg.mode, 1);
        assert_eq!(seg.count % 2, 0);
        assert_eq!(seg.valid, 1);
        assert_eq!(seg.precision, -20);
        assert_eq!(seg.nsamples, 3);
        assert_eq!(ShmSegment::decode(&seg.encode()), Ok(seg));
        let r = read(&bytes, seg.count).unwrap();
        // The serial time is on the second; gpsd took its receive time 50 ms
        // later (the feeder sent each second's sentences 50 ms after it).
        assert_eq!(r.sample.reference.secs_nanos().1, 0);
        assert!(r.sample.offset < Duration::from_millis(-49));
        assert!(r.sample.offset > Duration::from_millis(-52));
        // Nanoseconds used: 0x0302f5ae = 50_525_614 in the first.
        if let Some(prev) = last {
            assert_eq!(r.sample.reference - prev, Duration::from_secs(1));
        } else {
            assert_eq!(
                r.sample.local,
                Time::from_secs_nanos(1_796_428_559, 50_525_614)
            );
        }
        last = Some(r.sample.reference);
        // Read while gpsd bumps the count: torn.
        assert!(matches!(
            read(&bytes, seg.count + 1),
            Err(ShmError::Torn { .. })
        ));
    }
}
