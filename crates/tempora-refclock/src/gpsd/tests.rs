use super::*;
use crate::line::{Line, LineAssembler};

/// Debian 12's gpsd 3.22 replaying `testdata/gpsfake-fix.nmea` (see
/// `testdata/README.md`).
const FIX: &str = include_str!("../../testdata/gpsd-3.22-fix.jsonl");
/// The same for `testdata/gpsfake-nofix.nmea`.
const NOFIX: &str = include_str!("../../testdata/gpsd-3.22-nofix.jsonl");

fn reports(text: &str) -> Vec<Result<Report, GpsdError>> {
    let mut a = LineAssembler::new(MAX_LINE);
    let mut out = Vec::new();
    // In pieces, as TCP reads hand them over.
    for piece in text.as_bytes().chunks(61) {
        a.push(piece, |l| match l {
            Line::Complete(b) => out.push(decode(b)),
            Line::TooLong => out.push(Err(GpsdError::NotJson)),
        });
    }
    out
}

#[test]
fn watch_command_is_one_request_line() {
    assert!(WATCH_COMMAND.len() <= 81);
    assert_eq!(WATCH_COMMAND.last(), Some(&b'\n'));
    let json = &WATCH_COMMAND[b"?WATCH=".len()..WATCH_COMMAND.len() - 2];
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    assert_eq!(v["enable"], true);
    assert_eq!(v["json"], true);
    assert_eq!(v["pps"], true);
}

#[test]
fn real_gpsd_stream_with_a_fix() {
    let r = reports(FIX);
    assert_eq!(r.len(), 20);
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    assert_eq!(
        r[0],
        Ok(Report::Version(Version {
            release: "3.22".into(),
            proto_major: 3,
            proto_minor: 14
        }))
    );
    let Ok(Report::Devices(d)) = &r[1] else {
        panic!("{:?}", r[1])
    };
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path.as_deref(), Some("/dev/pts/1"));
    assert_eq!(d[0].driver, None);
    // WATCH and DEVICE are ignored.
    assert_eq!(r[2], Ok(Report::Ignored));
    assert_eq!(r[3], Ok(Report::Ignored));
    // The first TPV has a 3D fix but no time yet.
    let Ok(Report::Tpv(t)) = &r[4] else { panic!() };
    assert_eq!(t.mode, 3);
    assert_eq!(t.fix_time(), Err(GpsdError::NoFix { mode: 3 }));
    let Ok(Report::Toff(o)) = &r[5] else { panic!() };
    assert_eq!(o.device.as_deref(), Some("/dev/pts/1"));
    assert_eq!(o.real, Time::from_secs_nanos(1_715_557_996, 0));
    assert_eq!(o.clock, Time::from_secs_nanos(1_796_428_365, 507_243_743));
    assert_eq!(o.precision, None);
    assert_eq!(
        o.offset(),
        Time::from_secs_nanos(1_715_557_996, 0) - Time::from_secs_nanos(1_796_428_365, 507_243_743)
    );
    // 2024-05-12T23:53:16.000Z = 1715557996, the same second as the TOFF's.
    let Ok(Report::Tpv(t)) = &r[6] else { panic!() };
    assert_eq!(t.fix_time(), Ok(Time::from_secs_nanos(1_715_557_996, 0)));
    assert_eq!(t.leapseconds, None);
    let tofs = r
        .iter()
        .filter(|r| matches!(r, Ok(Report::Toff(_))))
        .count();
    assert_eq!(tofs, 8);
}

#[test]
fn real_gpsd_stream_without_a_fix() {
    let r = reports(NOFIX);
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let tpvs: Vec<&Tpv> = r
        .iter()
        .filter_map(|r| match r {
            Ok(Report::Tpv(t)) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(tpvs[0].mode, 1);
    assert_eq!(tpvs[0].fix_time(), Err(GpsdError::NoFix { mode: 1 }));
    let first = tpvs.iter().find_map(|t| t.fix_time().ok()).unwrap();
    // 2024-01-01T00:00:07.000Z
    assert_eq!(first, Time::from_secs_nanos(1_704_067_207, 0));
    // "activated":0 in a DEVICE report is no error.
    assert_eq!(
        decode(br#"{"class":"DEVICE","path":"/dev/pts/1","activated":0}"#),
        Ok(Report::Ignored)
    );
}

#[test]
fn pps_report_and_leapseconds() {
    // Not captured (a pty has no PPS): the fields gpsd_json(5) lists for
    // PPS, in gpsd 3.22's layout.
    let line = br#"{"class":"PPS","device":"/dev/ttyS0","real_sec":1715557997, "real_nsec":0,"clock_sec":1715557996,"clock_nsec":999998765,"precision":-20,"shm":"NTP1","qErr":-1234}"#;
    let Ok(Report::Pps(p)) = decode(line) else {
        panic!()
    };
    assert_eq!(p.offset(), Duration::from_nanos(1235));
    assert_eq!(p.precision, Some(-20));
    let line = br#"{"class":"TPV","device":"/dev/ttyS0","status":2,"mode":3,"time":"2016-12-31T23:59:59.5Z","leapseconds":18,"ept":0.005}"#;
    let Ok(Report::Tpv(t)) = decode(line) else {
        panic!()
    };
    assert_eq!(t.leapseconds, Some(18));
    assert_eq!(
        t.fix_time(),
        Ok(Time::from_secs_nanos(1_483_228_799, 500_000_000))
    );
    let line = br#"{"class":"TPV","mode":2,"time":"2020-02-29T12:00:00Z"}"#;
    let Ok(Report::Tpv(t)) = decode(line) else {
        panic!()
    };
    assert_eq!(t.fix_time(), Ok(Time::from_secs_nanos(1_582_977_600, 0)));
}

#[test]
fn bad_lines() {
    assert_eq!(decode(b""), Err(GpsdError::NotJson));
    assert_eq!(decode(b"{\"class\":\"TPV\""), Err(GpsdError::NotJson));
    assert_eq!(decode(b"[1,2]"), Err(GpsdError::NotJson));
    assert_eq!(decode(b"{\"mode\":3}"), Err(GpsdError::NotJson));
    assert_eq!(decode(b"{\"class\":3}"), Err(GpsdError::NotJson));
    assert_eq!(
        decode(b"{\"class\":\"TPV\"}"),
        Err(GpsdError::InvalidField("mode"))
    );
    assert_eq!(
        decode(b"{\"class\":\"TPV\",\"mode\":\"3\"}"),
        Err(GpsdError::InvalidField("object"))
    );
    assert_eq!(
        decode(b"{\"class\":\"TPV\",\"mode\":3,\"time\":\"yesterday\"}"),
        Err(GpsdError::InvalidField("time"))
    );
    assert_eq!(
        decode(
            br#"{"class":"TOFF","real_sec":1,"real_nsec":1000000000,"clock_sec":1,"clock_nsec":0}"#
        ),
        Err(GpsdError::InvalidField("real"))
    );
    assert_eq!(
        decode(br#"{"class":"PPS","real_sec":1,"real_nsec":0,"clock_sec":1}"#),
        Err(GpsdError::InvalidField("clock"))
    );
    assert_eq!(
        decode(br#"{"class":"VERSION","release":"3.22"}"#),
        Err(GpsdError::InvalidField("proto_major"))
    );
    assert_eq!(
        decode(br#"{"class":"DEVICES"}"#),
        Err(GpsdError::InvalidField("devices"))
    );
    assert_eq!(
        decode(br#"{"class":"SKY","satellites":[]}"#),
        Ok(Report::Ignored)
    );
    assert_eq!(
        decode(br#"{"class":"ERROR","message":"unrecognized"}"#),
        Ok(Report::Ignored)
    );
}

#[test]
fn iso8601() {
    let ok = |s, secs, ns| {
        assert_eq!(
            parse_iso8601(s),
            Some(Time::from_secs_nanos(secs, ns)),
            "{s}"
        )
    };
    ok("1970-01-01T00:00:00Z", 0, 0);
    ok("2024-05-12T23:53:16.000Z", 1_715_557_996, 0);
    ok("2024-05-12T23:53:16.123456789Z", 1_715_557_996, 123_456_789);
    ok("2024-05-12T23:53:16.1Z", 1_715_557_996, 100_000_000);
    for bad in [
        "",
        "2024-05-12",
        "2024-05-12T23:53:16",
        "2024-05-12T23:53:16.Z",
        "2024-05-12T23:53:16.0000000001Z",
        "2024-05-12T23:53:16+01:00",
        "2024-05-12T23:53:16.5ZZ",
        "2024-02-30T00:00:00Z",
        "2024-05-12T24:00:00Z",
        "2024-05-12 23:53:16Z",
        "2024-05-12T23:53:1xZ",
        "+024-05-12T23:53:16Z",
        "2024-05-12T23:53:16.1x2Z",
    ] {
        assert_eq!(parse_iso8601(bad), None, "{bad}");
    }
}
