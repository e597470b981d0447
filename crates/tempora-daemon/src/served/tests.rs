use super::*;

fn t(s: i64) -> Time {
    Time::from_secs_nanos(1_800_000_000 + s, 0)
}

const PPS: SourceId = SourceId(7);
const NTP: SourceId = SourceId(3);

fn refs() -> Vec<Reference> {
    vec![Reference {
        id: PPS,
        kind: ReferenceKind::Pps,
        poll: Duration::from_secs(1),
        leap: Some(Leap::Insert),
    }]
}

fn peer(id: SourceId, at: Time) -> Option<Peer> {
    Some(Peer {
        id,
        at,
        offset: Duration::from_nanos(5),
    })
}

#[test]
fn locked_only_with_a_fresh_reference_and_a_locked_servo() {
    let r = refs();
    assert_eq!(
        decide(&r, peer(PPS, t(0)), ServoState::Locked, t(1)),
        Decision::Locked(ReferenceKind::Pps, t(0))
    );
    // Three polls without a sample: lost.
    assert_eq!(
        decide(&r, peer(PPS, t(0)), ServoState::Locked, t(3)),
        Decision::Locked(ReferenceKind::Pps, t(0))
    );
    assert_eq!(
        decide(&r, peer(PPS, t(0)), ServoState::Locked, t(4)),
        Decision::Lost
    );
    assert_eq!(
        decide(&r, peer(PPS, t(0)), ServoState::Unlocked, t(1)),
        Decision::Lost
    );
    assert_eq!(decide(&r, None, ServoState::Locked, t(1)), Decision::Lost);
    // An NTP server selected: following it, no holdover.
    assert_eq!(
        decide(&r, peer(NTP, t(0)), ServoState::Locked, t(1)),
        Decision::Following
    );
    assert_eq!(
        decide(&r, peer(NTP, t(0)), ServoState::Jump, t(1)),
        Decision::Lost
    );
}

fn leap(pending: LeapStatus) -> Option<LeapState> {
    Some(LeapState {
        tai_minus_utc: Some(37),
        pending,
        at: None,
    })
}

fn quality(class: u8, traceable: bool) -> ServedQuality {
    ServedQuality {
        clock_class: class,
        clock_accuracy: 0x21,
        time_source: if traceable { 0x20 } else { 0xa0 },
        time_traceable: traceable,
        frequency_traceable: traceable,
        ntp: None,
    }
}

#[test]
fn time_properties_from_the_list_and_the_reference() {
    let ptp = TimePropertiesDs {
        ptp_timescale: true,
        current_utc_offset: 36,
        ..TimePropertiesDs::default()
    };
    let tp = time_properties(
        ptp,
        false,
        leap(LeapStatus::Insert),
        Some(&quality(6, true)),
    );
    assert_eq!(
        (tp.current_utc_offset, tp.current_utc_offset_valid),
        (37, true)
    );
    assert!(tp.leap61 && !tp.leap59);
    assert!(tp.time_traceable && tp.frequency_traceable);
    assert_eq!(tp.time_source, 0x20);
    let tp = time_properties(
        ptp,
        false,
        leap(LeapStatus::Delete),
        Some(&quality(248, false)),
    );
    assert!(tp.leap59 && !tp.leap61);
    assert!(!tp.time_traceable);
    assert_eq!(tp.time_source, 0xa0);
    // A configured offset wins over the list.
    let tp = time_properties(ptp, true, leap(LeapStatus::None), None);
    assert_eq!(tp.current_utc_offset, 36);
    assert_eq!(tp, ptp);
    // ARB: the list's offset and warning mean nothing.
    let arb = TimePropertiesDs::default();
    let tp = time_properties(arb, false, leap(LeapStatus::Insert), None);
    assert_eq!(tp, arb);
}

#[test]
fn only_the_selected_references_leap_warning_counts() {
    let r = refs();
    assert_eq!(selected_leap(&r, peer(PPS, t(0))), Some(Leap::Insert));
    assert_eq!(selected_leap(&r, peer(NTP, t(0))), None);
    assert_eq!(selected_leap(&r, None), None);
    let mut s = Served::new(
        &Config::parse("[[refclock]]\nname = \"G\"\ndriver = \"gpsd\"\n", "t.toml").unwrap(),
        ClockQuality::default(),
        TimePropertiesDs::default(),
    );
    s.register_reference(PPS, ReferenceKind::Pps, Duration::from_secs(1));
    assert_eq!(selected_leap(&s.references, peer(PPS, t(0))), None);
    s.set_reference_leap(PPS, Some(Leap::Delete));
    s.set_reference_leap(NTP, Some(Leap::Insert));
    assert_eq!(
        selected_leap(&s.references, peer(PPS, t(0))),
        Some(Leap::Delete)
    );
    assert_eq!(selected_leap(&s.references, peer(NTP, t(0))), None);
}

#[test]
fn tai_minus_utc_configured_then_the_list_then_the_kernel() {
    let config =
        Config::parse("[[refclock]]\nname = \"G\"\ndriver = \"gpsd\"\n", "t.toml").unwrap();
    let kernel = TimePropertiesDs {
        current_utc_offset: 35,
        current_utc_offset_valid: true,
        ..TimePropertiesDs::default()
    };
    let mut s = Served::new(
        &config,
        ClockQuality::default(),
        TimePropertiesDs::default(),
    );
    s.leap_now = None;
    assert_eq!(s.tai_minus_utc(), None);
    s.base_time_properties = kernel;
    assert_eq!(s.tai_minus_utc(), Some(35));
    s.leap_now = leap(LeapStatus::None);
    assert_eq!(s.tai_minus_utc(), Some(37));
    s.offset_configured = true;
    assert_eq!(s.tai_minus_utc(), Some(35));
}
