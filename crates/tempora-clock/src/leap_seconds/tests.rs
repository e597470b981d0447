use super::*;

const IERS: &[u8] = include_bytes!("../../testdata/leap-seconds.list");
const INSERT: &[u8] = include_bytes!("../../testdata/insert-2026.list");
const DELETE: &[u8] = include_bytes!("../../testdata/delete-2026.list");
const SHORT_WORDS: &[u8] = include_bytes!("../../testdata/short-words.list");

/// 2027-01-01 00:00 UTC, Unix seconds.
const NEW_YEAR_2027: i64 = 1_798_761_600;

fn utc(secs: i64) -> Time {
    Time::from_secs_nanos(secs, 0)
}

#[test]
fn parses_the_iers_table() {
    let l = LeapSecondsList::parse(IERS).unwrap();
    assert_eq!(l.entries().len(), 28);
    assert_eq!(
        l.entries()[0],
        LeapEntry {
            at: 63_072_000, // 1972-01-01
            tai_minus_utc: 10
        }
    );
    assert_eq!(l.entries()[27].tai_minus_utc, 37);
    assert_eq!(l.entries()[27].at, 1_483_228_800); // 2017-01-01
    // #@ 3991593600: 2026-06-28.
    assert_eq!(l.expires(), utc(3_991_593_600 - NTP_TO_UNIX));
    assert_eq!(l.updated(), Some(utc(3_960_835_200 - NTP_TO_UNIX)));
    assert!(!l.is_expired(utc(1_780_000_000)));
    assert!(l.is_expired(utc(1_783_000_000)));
}

#[test]
fn offset_over_the_years() {
    let l = LeapSecondsList::parse(IERS).unwrap();
    assert_eq!(l.state_at(utc(0)).tai_minus_utc, None);
    assert_eq!(l.state_at(utc(63_072_000)).tai_minus_utc, Some(10));
    // The second before 2017-01-01 and at it.
    assert_eq!(l.state_at(utc(1_483_228_799)).tai_minus_utc, Some(36));
    assert_eq!(l.state_at(utc(1_483_228_800)).tai_minus_utc, Some(37));
    assert_eq!(l.state_at(utc(1_800_000_000)).tai_minus_utc, Some(37));
}

#[test]
fn leap61_during_the_last_day_only() {
    let l = LeapSecondsList::parse(IERS).unwrap();
    // 2016-12-31 00:00:00 UTC: the last day before the 2016 leap second.
    let last_day = 1_483_228_800 - 86_400;
    let s = l.state_at(utc(last_day - 1));
    assert_eq!(s.pending, LeapStatus::None);
    let s = l.state_at(utc(last_day));
    assert_eq!(s.pending, LeapStatus::Insert);
    assert_eq!(s.tai_minus_utc, Some(36));
    assert_eq!(s.at, Some(utc(1_483_228_800)));
    let s = l.state_at(utc(1_483_228_799));
    assert_eq!(s.pending, LeapStatus::Insert);
    let s = l.state_at(utc(1_483_228_800));
    assert_eq!((s.pending, s.at), (LeapStatus::None, None));
}

#[test]
fn future_insert_and_delete() {
    let l = LeapSecondsList::parse(INSERT).unwrap();
    let s = l.state_at(utc(NEW_YEAR_2027 - 3600));
    assert_eq!(s.pending, LeapStatus::Insert);
    assert_eq!(s.tai_minus_utc, Some(37));
    assert_eq!(l.state_at(utc(NEW_YEAR_2027)).tai_minus_utc, Some(38));
    let l = LeapSecondsList::parse(DELETE).unwrap();
    let s = l.state_at(utc(NEW_YEAR_2027 - 3600));
    assert_eq!(s.pending, LeapStatus::Delete);
    assert_eq!(l.state_at(utc(NEW_YEAR_2027 + 1)).tai_minus_utc, Some(36));
}

#[test]
fn hash_words_without_leading_zeros() {
    let l = LeapSecondsList::parse(SHORT_WORDS).unwrap();
    assert_eq!(l.entries().len(), 5);
}

fn replaced(text: &[u8], from: &str, to: &str) -> alloc_free::Buf {
    alloc_free::Buf::replaced(text, from.as_bytes(), to.as_bytes())
}

#[test]
fn tampered_data_fails_the_hash() {
    // 2017's 37 made 38.
    let t = replaced(IERS, "3692217600\t37", "3692217600\t38");
    assert_eq!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::HashMismatch)
    );
    // Expiry moved.
    let t = replaced(IERS, "#@\t3991593600", "#@\t3991593601");
    assert_eq!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::HashMismatch)
    );
    // A comment changed: not hashed.
    let t = replaced(IERS, "# entry", "# other");
    assert!(LeapSecondsList::parse(t.bytes()).is_ok());
    // CRLF line ends: same data.
    let t = replaced(IERS, "\n", "\r\n");
    assert!(LeapSecondsList::parse(t.bytes()).is_ok());
}

#[test]
fn refuses_broken_files() {
    let t = replaced(IERS, "#h\t", "# h\t");
    assert_eq!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::MissingHash)
    );
    let t = replaced(IERS, "#@\t", "# @\t");
    assert_eq!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::MissingExpiry)
    );
    let t = replaced(IERS, "3692217600\t37", "3692217600\tx7");
    assert!(matches!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::Syntax { .. })
    ));
    let t = replaced(IERS, "3692217600\t37", "2272060800\t37");
    assert!(matches!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::NotIncreasing { .. })
    ));
    let t = replaced(IERS, "#h\t49db2447", "#h\t49db2447 1");
    assert!(matches!(
        LeapSecondsList::parse(t.bytes()),
        Err(LeapFileError::Syntax { .. })
    ));
    assert_eq!(
        LeapSecondsList::parse(b"#@ 3991593600\n#h 0 0 0 0 0\n"),
        Err(LeapFileError::Empty)
    );
    // Garbage never panics.
    for bytes in [
        &b"\xff\xfe#$"[..],
        b"99999999999999999999 1",
        b"#h zzzz",
        b"",
    ] {
        assert!(LeapSecondsList::parse(bytes).is_err());
    }
}

#[test]
fn too_many_entries() {
    let mut buf = alloc_free::Buf::new();
    buf.push(b"#@ 4000000000\n");
    for i in 0..=MAX_ENTRIES {
        buf.push_number(3_000_000_000 + i as u64);
        buf.push(b" 37\n");
    }
    assert_eq!(
        LeapSecondsList::parse(buf.bytes()),
        Err(LeapFileError::TooManyEntries)
    );
}

/// A fixed-size byte buffer: the crate is no_std without alloc.
mod alloc_free {
    pub struct Buf {
        data: [u8; 16384],
        len: usize,
    }

    impl Buf {
        pub fn new() -> Self {
            Buf {
                data: [0; 16384],
                len: 0,
            }
        }

        pub fn push(&mut self, b: &[u8]) {
            self.data[self.len..self.len + b.len()].copy_from_slice(b);
            self.len += b.len();
        }

        pub fn push_number(&mut self, mut n: u64) {
            let mut digits = [0u8; 20];
            let mut i = digits.len();
            loop {
                i -= 1;
                digits[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            self.push(&digits[i..]);
        }

        /// `text` with every `from` replaced by `to`.
        pub fn replaced(text: &[u8], from: &[u8], to: &[u8]) -> Self {
            let mut b = Buf::new();
            let mut i = 0;
            while i < text.len() {
                if text[i..].starts_with(from) {
                    b.push(to);
                    i += from.len();
                } else {
                    b.push(&text[i..i + 1]);
                    i += 1;
                }
            }
            b
        }

        pub fn bytes(&self) -> &[u8] {
            &self.data[..self.len]
        }
    }
}
