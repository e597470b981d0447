//! Sentences as receivers send them; every checksum here was computed
//! independently (Python: `functools.reduce(lambda a, c: a ^ ord(c), body, 0)`).

use super::*;
use crate::line::{Line, LineAssembler};
use alloc::vec::Vec;

fn time(s: i64, ns: u32) -> Time {
    Time::from_secs_nanos(s, ns)
}

#[test]
fn rmc_classic() {
    // The NMEA 0183 RMC example: 12:35:19 UTC, 23 March 1994.
    let s =
        parse(b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n").unwrap();
    assert_eq!(s.talker, Talker::Gps);
    let Message::Rmc(r) = s.message else { panic!() };
    assert!(r.status_valid);
    assert_eq!(r.date, Date::new(1994, 3, 23).unwrap());
    assert_eq!(r.mode, None);
    // `date -u -d '1994-03-23 12:35:19' +%s` = 764426119
    let reading = s.reading().unwrap();
    assert_eq!(
        reading,
        Reading {
            utc: time(764_426_119, 0),
            leap_second: false,
            valid: true
        }
    );
}

#[test]
fn rmc_ublox_multi_gnss() {
    let s = parse(b"$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7B").unwrap();
    assert_eq!(s.talker, Talker::Gnss);
    // 2017-01-10 00:10:31 UTC = 1484007031
    let r = s.reading().unwrap();
    assert_eq!(r.utc, time(1_484_007_031, 0));
    assert!(r.valid);
}

#[test]
fn rmc_warning_and_mode_n_are_not_valid() {
    let s = parse(b"$GPRMC,235316.000,V,,,,,,,120524,,,N*4D").unwrap();
    let r = s.reading().unwrap();
    assert!(!r.valid);
    // 2024-05-12 23:53:16 UTC = 1715557996
    assert_eq!(r.utc, time(1_715_557_996, 0));
    let Message::Rmc(rmc) = s.message else {
        panic!()
    };
    assert!(!rmc.status_valid);
    assert_eq!(rmc.mode, Some(b'N'));
}

#[test]
fn talkers() {
    for (line, talker) in [
        (
            &b"$GLRMC,092725.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*42"[..],
            Talker::Glonass,
        ),
        (
            b"$GARMC,092725.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*4F",
            Talker::Galileo,
        ),
        (
            b"$BDRMC,092725.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*4F",
            Talker::Beidou,
        ),
        (
            b"$GNRMC,092725.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*40",
            Talker::Gnss,
        ),
    ] {
        let s = parse(line).unwrap();
        assert_eq!(s.talker, talker);
        // 2002-12-09 09:27:25 UTC = 1039426045
        assert_eq!(s.reading().unwrap().utc, time(1_039_426_045, 0));
    }
}

#[test]
fn zda_with_fraction() {
    let s = parse(b"$GPZDA,160012.71,11,03,2004,-1,00*7D\r\n").unwrap();
    let Message::Zda(z) = s.message else { panic!() };
    assert_eq!(z.date, Date::new(2004, 3, 11).unwrap());
    // 2004-03-11 16:00:12.71 UTC = 1079020812.71
    let r = s.reading().unwrap();
    assert_eq!(r.utc, time(1_079_020_812, 710_000_000));
    assert!(r.valid);
}

#[test]
fn zda_leap_second() {
    let s = parse(b"$GNZDA,235960.00,31,12,2016,00,00*77").unwrap();
    let r = s.reading().unwrap();
    assert!(r.leap_second);
    // 23:59:60 shares its POSIX second with the next midnight: 1483228800.
    assert_eq!(r.utc, time(1_483_228_800, 0));
}

#[test]
fn gga_quality_no_date() {
    let s = parse(b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47").unwrap();
    let Message::Gga(g) = s.message else { panic!() };
    assert_eq!(g.quality, 1);
    assert_eq!(g.time, TimeOfDay::new(12, 35, 19, 0).unwrap());
    assert_eq!(s.reading(), None);
    let s = parse(b"$GNGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,*45")
        .unwrap();
    assert_eq!(s.talker, Talker::Gnss);
}

#[test]
fn errors() {
    // One digit changed (12:35:18): the checksum no longer matches.
    assert_eq!(
        parse(b"$GPRMC,123518,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"),
        Err(NmeaError::BadChecksum {
            stated: 0x6a,
            computed: 0x6b
        })
    );
    assert_eq!(
        parse(b"$GPZDA,160012.71,11,03,2004,-1,00"),
        Err(NmeaError::MissingChecksum)
    );
    assert_eq!(
        parse(b"$GPZDA,160012.71,11,03,2004,-1,00*7"),
        Err(NmeaError::MissingChecksum)
    );
    assert_eq!(
        parse(b"$GPZDA,160012.71,11,03,2004,-1,00*7G"),
        Err(NmeaError::MissingChecksum)
    );
    assert_eq!(parse(b"hello"), Err(NmeaError::NotASentence));
    assert_eq!(parse(b""), Err(NmeaError::NotASentence));
    assert_eq!(parse(b"$*00"), Err(NmeaError::NotASentence));
    assert_eq!(parse(b"$GPZDA\xff*00"), Err(NmeaError::NotASentence));
    assert_eq!(
        parse(b"$GPZDA*48"),
        Err(NmeaError::InvalidField { index: 0 })
    );
    assert_eq!(parse(b"$GP*17"), Err(NmeaError::NotASentence));
    assert_eq!(
        parse(b"$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74"),
        Err(NmeaError::Unsupported)
    );
    assert_eq!(
        parse(b"$PUBX,04,073731.00,091202,113851.00,1196,15D,1930035,-2660.664,43*71"),
        Err(NmeaError::Unsupported)
    );
}

#[test]
fn invalid_fields() {
    for (body, index) in [
        ("GPZDA,,,,,,", 0),
        ("GPZDA,250000,11,03,2004,,", 0),
        ("GPZDA,120000.1234567890,11,03,2004,,", 0),
        ("GPZDA,120000,32,01,2004,,", 1),
        ("GPZDA,120000,31,13,2004,,", 2),
        ("GPZDA,120000,31,01,04,,", 3),
        ("GPRMC,120000,X,,,,,,,010124,,,A", 1),
        ("GPRMC,120000,A,,,,,,,,,,A", 8),
        ("GPRMC,120000,A,,,,,,,290223,,,A", 8),
        ("GPGGA,123519,4807.038,N,01131.000,E,,08,,,,,,,", 5),
        ("GPGGA,12:35:19,,,,,1,,,,,,,,", 0),
    ] {
        let line = alloc::format!("${body}*{:02X}", checksum(body.as_bytes()));
        assert_eq!(
            parse(line.as_bytes()),
            Err(NmeaError::InvalidField { index }),
            "{line}"
        );
    }
}

#[test]
fn noise_before_the_sentence_and_line_assembly() {
    let s = parse(b"\x00\x13garbage$GPZDA,160012.71,11,03,2004,-1,00*7D").unwrap();
    assert!(matches!(s.message, Message::Zda(_)));
    // A serial port hands over the stream in arbitrary pieces.
    let stream = b"00*7D\r\n$GPZDA,160013.71,11,03,2004,-1,00*7C\r\n$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n";
    let mut a = LineAssembler::new(82);
    let mut got = Vec::new();
    for piece in stream.chunks(7) {
        a.push(piece, |l| {
            got.push(match l {
                Line::Complete(b) => parse(b).map(|s| s.message),
                Line::TooLong => Err(NmeaError::NotASentence),
            })
        });
    }
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Err(NmeaError::NotASentence));
    assert!(matches!(got[1], Ok(Message::Zda(_))));
    assert!(matches!(got[2], Ok(Message::Gga(_))));
}
