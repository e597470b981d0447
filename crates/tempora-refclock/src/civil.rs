//! Calendar dates and times of day to seconds since 1970-01-01 UTC, on
//! POSIX's timescale (`CLOCK_REALTIME`: every day has 86 400 s; POSIX.1-2017
//! Base Definitions §4.16, "Seconds Since the Epoch").

use tempora_clock::Time;

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    /// The year (four digits, e.g. 2024).
    pub year: i32,
    /// The month, 1..=12.
    pub month: u8,
    /// The day of the month, 1..=31 (checked against the month).
    pub day: u8,
}

/// A UTC time of day; `second` may be 60 during a leap second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeOfDay {
    /// The hour, 0..=23.
    pub hour: u8,
    /// The minute, 0..=59.
    pub minute: u8,
    /// The second, 0..=60 (60 only in an inserted leap second).
    pub second: u8,
    /// Nanoseconds within the second, 0..10^9.
    pub nanos: u32,
}

impl Date {
    /// The date, if `day` exists in `month` of `year`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), by the usual era-of-400-years
    /// arithmetic of the proleptic Gregorian calendar.
    pub fn days_since_epoch(self) -> i64 {
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        // Count years from March, so that the leap day is the last of a year.
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let year_of_era = y.rem_euclid(400);
        let month_from_march = (m + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }
}

impl TimeOfDay {
    /// The time of day, if its fields are in range.
    pub fn new(hour: u8, minute: u8, second: u8, nanos: u32) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60 && second <= 60 && nanos < 1_000_000_000).then_some(TimeOfDay {
            hour,
            minute,
            second,
            nanos,
        })
    }

    /// Seconds since midnight (a leap second 23:59:60 counts as 86 400, the
    /// POSIX value it shares with the next midnight).
    pub fn seconds(self) -> i64 {
        i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }
}

/// The instant `time` on `date`, UTC, on the POSIX timescale.
pub fn utc(date: Date, time: TimeOfDay) -> Time {
    let secs = date.days_since_epoch() * 86_400 + time.seconds();
    Time::from_secs_nanos(secs, time.nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days_since_epoch(), -1);
        // `date -d 2024-02-29 +%s` = 1709164800
        let t = utc(
            Date::new(2024, 2, 29).unwrap(),
            TimeOfDay::new(0, 0, 0, 0).unwrap(),
        );
        assert_eq!(t, Time::from_secs_nanos(1_709_164_800, 0));
        // `date -d '2016-12-31 23:59:59Z' +%s` = 1483228799
        let t = utc(
            Date::new(2016, 12, 31).unwrap(),
            TimeOfDay::new(23, 59, 59, 5).unwrap(),
        );
        assert_eq!(t, Time::from_secs_nanos(1_483_228_799, 5));
    }

    #[test]
    fn invalid_dates_and_times() {
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(1900, 2, 29), None);
        assert!(Date::new(2000, 2, 29).is_some());
        assert_eq!(Date::new(2024, 13, 1), None);
        assert_eq!(Date::new(2024, 4, 31), None);
        assert_eq!(Date::new(2024, 4, 0), None);
        assert_eq!(TimeOfDay::new(24, 0, 0, 0), None);
        assert_eq!(TimeOfDay::new(0, 60, 0, 0), None);
        assert_eq!(TimeOfDay::new(0, 0, 61, 0), None);
        assert_eq!(TimeOfDay::new(0, 0, 0, 1_000_000_000), None);
        assert!(TimeOfDay::new(23, 59, 60, 0).is_some());
    }
}
