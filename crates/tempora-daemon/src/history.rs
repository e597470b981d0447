//! The dashboard's history (docs/dashboard.md): for each series (a source,
//! the disciplined clock, the system clock) the offset, the frequency and
//! the path delay, one sample a second.
//!
//! Sans-IO: every call takes the time as an argument, a whole second on
//! the caller's monotonic scale (the daemon counts from the dashboard's
//! start); nothing here reads a clock. The last hour is kept at one second
//! in a ring of [`RECENT_SECONDS`] slots; every sample also goes into a
//! one-minute bucket (minimum, mean, maximum) kept for 24 hours in a ring
//! of [`BUCKETS`]. Both rings are allocated whole when a series first
//! appears and never grow, and there are at most [`MAX_SERIES`] series, so
//! the memory is bounded by construction: [`BYTES_PER_SERIES`] a series,
//! [`MAX_SERIES`] × [`BYTES_PER_SERIES`] in all (about 4.6 MB).

mod file;

pub use file::{HistoryFileError, MAX_FILE_BYTES};

/// Seconds kept at full resolution (one hour).
pub const RECENT_SECONDS: u32 = 3600;
/// The width of a downsampled bucket, in seconds.
pub const BUCKET_SECONDS: u32 = 60;
/// Buckets kept (24 hours of one-minute buckets).
pub const BUCKETS: u32 = 1440;
/// The most series kept; a new one beyond replaces the series heard from
/// least recently, unless all were heard from in the same second.
pub const MAX_SERIES: usize = 40;
/// A series' name is cut to this many bytes (at a character boundary).
pub const MAX_NAME_BYTES: usize = 96;
/// The quantities of a sample, in the order of [`Sample::values`].
pub const QUANTITIES: [&str; 3] = ["offset_ns", "frequency_ppb", "delay_ns"];

/// A second's slot in the recent ring: 4 bytes of time, 3 × 4 of values.
const SLOT_BYTES: usize = 16;
/// A bucket: 4 bytes of time, 3 quantities × (minimum, mean, maximum) × 4.
const BUCKET_BYTES: usize = 40;
/// The bytes a series takes at most: its two rings, the bucket being
/// filled, its bookkeeping and its name.
pub const BYTES_PER_SERIES: usize = RECENT_SECONDS as usize * SLOT_BYTES
    + BUCKETS as usize * BUCKET_BYTES
    + core::mem::size_of::<Series>()
    + MAX_NAME_BYTES;

// The bound as documented, checked when compiling: 57,600 + 57,600 bytes of
// rings and a little more a series.
const _: () = assert!(BYTES_PER_SERIES < 116_000 && MAX_SERIES * BYTES_PER_SERIES < 4_700_000);

/// Marks a slot or bucket never written.
const EMPTY: u32 = u32::MAX;

/// One second's values; `None` where the quantity is not known.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    /// The offset (source − us, or the clock's from its target), ns.
    pub offset_ns: Option<f64>,
    /// The frequency adjustment, ppb.
    pub frequency_ppb: Option<f64>,
    /// The path delay (PTP's mean path delay, NTP's round trip), ns.
    pub delay_ns: Option<f64>,
}

impl Sample {
    /// The values in the order of [`QUANTITIES`].
    pub fn values(&self) -> [Option<f64>; 3] {
        [self.offset_ns, self.frequency_ppb, self.delay_ns]
    }
}

/// A point of the last hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Its second.
    pub second: u32,
    /// Its values, in the order of [`QUANTITIES`] (kept as `f32`: seven
    /// significant digits).
    pub values: [Option<f32>; 3],
}

/// A quantity's minimum, mean and maximum over a bucket (kept as `f32`:
/// seven significant digits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// The minimum.
    pub min: f32,
    /// The mean.
    pub mean: f32,
    /// The maximum.
    pub max: f32,
}

/// A bucket of the last 24 hours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregate {
    /// Its first second (a multiple of [`BUCKET_SECONDS`]).
    pub second: u32,
    /// Per quantity, in the order of [`QUANTITIES`]: `None` when no
    /// sample of the bucket had it.
    pub stats: [Option<Stat>; 3],
}

/// What [`History::record`] did with a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Kept.
    Kept,
    /// Dropped: not later than the series' last sample.
    OutOfOrder,
    /// Dropped: [`MAX_SERIES`] series, all heard from this second.
    Full,
}

/// What is known of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    /// Its name.
    pub name: String,
    /// Its first and last seconds.
    pub first: u32,
    /// Its last second.
    pub last: u32,
    /// Samples kept since it appeared.
    pub samples: u64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    second: u32,
    values: [f32; 3],
}

const EMPTY_SLOT: Slot = Slot {
    second: EMPTY,
    values: [f32::NAN; 3],
};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    minute: u32,
    /// Per quantity: minimum, mean, maximum (NaN: none).
    stats: [[f32; 3]; 3],
}

const EMPTY_BUCKET: Bucket = Bucket {
    minute: EMPTY,
    stats: [[f32::NAN; 3]; 3],
};

/// The bucket being filled, in f64 (its mean is a sum until it closes).
#[derive(Debug, Clone, Copy)]
struct Accumulator {
    minute: u32,
    min: [f64; 3],
    max: [f64; 3],
    sum: [f64; 3],
    count: [u32; 3],
}

impl Accumulator {
    fn new(minute: u32) -> Self {
        Accumulator {
            minute,
            min: [f64::INFINITY; 3],
            max: [f64::NEG_INFINITY; 3],
            sum: [0.0; 3],
            count: [0; 3],
        }
    }

    fn add(&mut self, values: &[Option<f64>; 3]) {
        for (q, v) in values.iter().enumerate() {
            if let Some(v) = v {
                self.min[q] = self.min[q].min(*v);
                self.max[q] = self.max[q].max(*v);
                self.sum[q] += v;
                self.count[q] += 1;
            }
        }
    }

    fn stats(&self) -> [Option<Stat>; 3] {
        core::array::from_fn(|q| {
            (self.count[q] > 0).then(|| Stat {
                min: self.min[q] as f32,
                mean: (self.sum[q] / f64::from(self.count[q])) as f32,
                max: self.max[q] as f32,
            })
        })
    }

    fn close(&self) -> Bucket {
        let stats = self.stats().map(|s| match s {
            Some(s) => [s.min, s.mean, s.max],
            None => [f32::NAN; 3],
        });
        Bucket {
            minute: self.minute,
            stats,
        }
    }
}

/// One series: its two rings and the bucket being filled.
#[derive(Debug)]
struct Series {
    name: String,
    recent: Box<[Slot]>,
    buckets: Box<[Bucket]>,
    open: Option<Accumulator>,
    first: u32,
    last: u32,
    samples: u64,
}

impl Series {
    fn new(name: &str, second: u32) -> Self {
        Series {
            name: bounded_name(name),
            recent: vec![EMPTY_SLOT; RECENT_SECONDS as usize].into_boxed_slice(),
            buckets: vec![EMPTY_BUCKET; BUCKETS as usize].into_boxed_slice(),
            open: None,
            first: second,
            last: EMPTY,
            samples: 0,
        }
    }

    fn push(&mut self, second: u32, sample: &Sample) -> Recorded {
        if self.last != EMPTY && second <= self.last {
            return Recorded::OutOfOrder;
        }
        let values = sample.values().map(|v| v.filter(|v| v.is_finite()));
        self.recent[(second % RECENT_SECONDS) as usize] = Slot {
            second,
            values: values.map(|v| v.map_or(f32::NAN, |v| v as f32)),
        };
        let minute = second / BUCKET_SECONDS;
        match &mut self.open {
            Some(acc) if acc.minute == minute => acc.add(&values),
            open => {
                if let Some(acc) = open {
                    self.buckets[(acc.minute % BUCKETS) as usize] = acc.close();
                }
                let mut acc = Accumulator::new(minute);
                acc.add(&values);
                *open = Some(acc);
            }
        }
        self.last = second;
        self.samples += 1;
        Recorded::Kept
    }

    /// The points of the hour up to `now`, from `since` on, oldest first.
    fn recent(&self, now: u32, since: u32) -> Vec<Point> {
        let start = now.wrapping_add(1);
        (0..RECENT_SECONDS)
            .map(|i| &self.recent[(start.wrapping_add(i) % RECENT_SECONDS) as usize])
            .filter(|s| {
                s.second != EMPTY
                    && s.second <= now
                    && u64::from(s.second) + u64::from(RECENT_SECONDS) > u64::from(now)
                    && s.second >= since
            })
            .map(|s| Point {
                second: s.second,
                values: s.values.map(|v| (!v.is_nan()).then_some(v)),
            })
            .collect()
    }

    /// The buckets of the 24 hours up to `now` (the one being filled
    /// last), from the one holding `since` on, oldest first.
    fn downsampled(&self, now: u32, since: u32) -> Vec<Aggregate> {
        let now_minute = now / BUCKET_SECONDS;
        let since_minute = since / BUCKET_SECONDS;
        let within = |minute: u32| {
            minute <= now_minute
                && u64::from(minute) + u64::from(BUCKETS) > u64::from(now_minute)
                && minute >= since_minute
        };
        let start = now_minute.wrapping_add(1);
        let open = self.open.filter(|a| within(a.minute));
        let mut out: Vec<Aggregate> = (0..BUCKETS)
            .map(|i| &self.buckets[(start.wrapping_add(i) % BUCKETS) as usize])
            .filter(|b| b.minute != EMPTY && within(b.minute))
            .filter(|b| open.is_none_or(|a| a.minute != b.minute))
            .map(|b| Aggregate {
                second: b.minute * BUCKET_SECONDS,
                stats: b
                    .stats
                    .map(|[min, mean, max]| (!mean.is_nan()).then_some(Stat { min, mean, max })),
            })
            .collect();
        if let Some(acc) = open {
            out.push(Aggregate {
                second: acc.minute * BUCKET_SECONDS,
                stats: acc.stats(),
            });
        }
        out
    }
}

/// `name` cut to [`MAX_NAME_BYTES`] at a character boundary.
fn bounded_name(name: &str) -> String {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// The history of every series, at most [`MAX_SERIES`] of them.
#[derive(Debug, Default)]
pub struct History {
    series: Vec<Series>,
    out_of_order: u64,
    refused: u64,
    replaced: u64,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History::default()
    }

    /// Records `sample` of the series `name` at `second`. A series not
    /// seen before is added; with [`MAX_SERIES`] already, it replaces the
    /// one heard from least recently, if that was before `second`.
    pub fn record(&mut self, second: u32, name: &str, sample: &Sample) -> Recorded {
        let name = bounded_name(name);
        let index = match self.series.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => match self.make_room(second) {
                Some(i) => {
                    self.series.insert(i, Series::new(&name, second));
                    i
                }
                None => {
                    self.refused += 1;
                    return Recorded::Full;
                }
            },
        };
        let outcome = self.series[index].push(second, sample);
        if outcome == Recorded::OutOfOrder {
            self.out_of_order += 1;
        }
        outcome
    }

    /// Where a new series goes: at the end while there is room, else in
    /// the place of the one heard from least recently (before `second`).
    fn make_room(&mut self, second: u32) -> Option<usize> {
        if self.series.len() < MAX_SERIES {
            return Some(self.series.len());
        }
        let (i, stalest) = self
            .series
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| if s.last == EMPTY { 0 } else { s.last })?;
        if stalest.last != EMPTY && stalest.last >= second {
            return None;
        }
        self.series.remove(i);
        self.replaced += 1;
        Some(i)
    }

    /// The series, in the order they appeared.
    pub fn series(&self) -> Vec<SeriesInfo> {
        self.series
            .iter()
            .map(|s| SeriesInfo {
                name: s.name.clone(),
                first: s.first,
                last: s.last,
                samples: s.samples,
            })
            .collect()
    }

    /// Whether there is a series `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.series.iter().any(|s| s.name == name)
    }

    /// The one-second points of `name` in the hour up to `now` with a
    /// second from `since` on, oldest first; `None` for an unknown series.
    pub fn recent(&self, name: &str, now: u32, since: u32) -> Option<Vec<Point>> {
        self.find(name).map(|s| s.recent(now, since))
    }

    /// The one-minute buckets of `name` in the 24 hours up to `now` (the
    /// bucket being filled last, with what it has so far), from the bucket
    /// holding `since` on, oldest first; `None` for an unknown series.
    pub fn downsampled(&self, name: &str, now: u32, since: u32) -> Option<Vec<Aggregate>> {
        self.find(name).map(|s| s.downsampled(now, since))
    }

    fn find(&self, name: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.name == name)
    }

    /// Samples dropped for coming out of order.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// Samples of new series dropped because the table was full.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Series replaced by newer ones.
    pub fn replaced(&self) -> u64 {
        self.replaced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(offset: f64) -> Sample {
        Sample {
            offset_ns: Some(offset),
            frequency_ppb: Some(offset * 2.0),
            delay_ns: None,
        }
    }

    #[test]
    fn sizes_are_as_documented() {
        assert_eq!(core::mem::size_of::<Slot>(), SLOT_BYTES);
        assert_eq!(core::mem::size_of::<Bucket>(), BUCKET_BYTES);
        let s = Series::new("x", 0);
        assert_eq!(s.recent.len(), RECENT_SECONDS as usize);
        assert_eq!(s.buckets.len(), BUCKETS as usize);
    }

    #[test]
    fn the_last_hour_at_one_second() {
        let mut h = History::new();
        for t in 0..5000u32 {
            assert_eq!(h.record(t, "a", &sample(f64::from(t))), Recorded::Kept);
        }
        let points = h.recent("a", 4999, 0).unwrap();
        assert_eq!(points.len(), 3600);
        assert_eq!(points[0].second, 1400);
        assert_eq!(points[3599].second, 4999);
        assert!(points.windows(2).all(|w| w[1].second == w[0].second + 1));
        assert_eq!(points[10].values, [Some(1410.0), Some(2820.0), None]);
        // From `since` on, and as of a later `now` (older points leave).
        assert_eq!(h.recent("a", 4999, 4990).unwrap().len(), 10);
        assert_eq!(h.recent("a", 6000, 0).unwrap().len(), 2599);
        assert_eq!(h.recent("a", 9000, 0).unwrap().len(), 0);
        assert!(h.recent("b", 4999, 0).is_none());
    }

    #[test]
    fn gaps_leave_no_stale_points() {
        let mut h = History::new();
        h.record(10, "a", &sample(1.0));
        // An hour and more later, the slot of second 10 is reused by 3610
        // but 11..=3609 were never written again.
        h.record(11, "a", &sample(2.0));
        h.record(3610, "a", &sample(3.0));
        let points = h.recent("a", 3610, 0).unwrap();
        assert_eq!(
            points.iter().map(|p| p.second).collect::<Vec<_>>(),
            [11, 3610]
        );
        let points = h.recent("a", 3611 + 3600, 0).unwrap();
        assert!(points.is_empty(), "{points:?}");
    }

    #[test]
    fn minutes_as_minimum_mean_maximum_for_a_day() {
        let mut h = History::new();
        // Two days of a sawtooth, 0..60 within each minute, with no
        // frequency in odd minutes.
        for t in 0..(2 * 86_400u32) {
            let odd = (t / 60) % 2 == 1;
            let s = Sample {
                offset_ns: Some(f64::from(t % 60)),
                frequency_ppb: (!odd).then_some(5.0),
                delay_ns: None,
            };
            h.record(t, "a", &s);
        }
        let now = 2 * 86_400 - 1;
        let buckets = h.downsampled("a", now, 0).unwrap();
        assert_eq!(buckets.len(), BUCKETS as usize);
        assert_eq!(buckets[0].second, 86_400);
        assert_eq!(buckets.last().unwrap().second, now / 60 * 60);
        for b in &buckets {
            let offset = b.stats[0].unwrap();
            assert_eq!((offset.min, offset.mean, offset.max), (0.0, 29.5, 59.0));
            let odd = (b.second / 60) % 2 == 1;
            assert_eq!(b.stats[1].map(|s| s.mean), (!odd).then_some(5.0));
            assert_eq!(b.stats[2], None);
        }
        assert!(buckets.windows(2).all(|w| w[1].second == w[0].second + 60));
        // From `since` on: the bucket holding it and the later ones.
        assert_eq!(h.downsampled("a", now, now - 90).unwrap().len(), 2);
        assert_eq!(h.downsampled("a", now, now - 120).unwrap().len(), 3);
    }

    #[test]
    fn the_bucket_being_filled_is_the_last() {
        let mut h = History::new();
        for t in 0..150u32 {
            h.record(t, "a", &sample(f64::from(t)));
        }
        let buckets = h.downsampled("a", 149, 0).unwrap();
        assert_eq!(buckets.len(), 3);
        let last = buckets[2].stats[0].unwrap();
        assert_eq!((buckets[2].second, last.min, last.max), (120, 120.0, 149.0));
        assert_eq!(last.mean, (120.0 + 149.0) / 2.0);
    }

    #[test]
    fn out_of_order_and_non_finite() {
        let mut h = History::new();
        assert_eq!(h.record(5, "a", &sample(1.0)), Recorded::Kept);
        assert_eq!(h.record(5, "a", &sample(2.0)), Recorded::OutOfOrder);
        assert_eq!(h.record(4, "a", &sample(2.0)), Recorded::OutOfOrder);
        assert_eq!(h.out_of_order(), 2);
        let nan = Sample {
            offset_ns: Some(f64::NAN),
            frequency_ppb: Some(f64::INFINITY),
            delay_ns: Some(3.0),
        };
        assert_eq!(h.record(6, "a", &nan), Recorded::Kept);
        let points = h.recent("a", 6, 0).unwrap();
        assert_eq!(points[0].values[0], Some(1.0));
        assert_eq!(points[1].values, [None, None, Some(3.0)]);
        let b = h.downsampled("a", 6, 0).unwrap();
        assert_eq!(b[0].stats[0].unwrap().mean, 1.0);
        assert_eq!(b[0].stats[2].unwrap().mean, 3.0);
    }

    #[test]
    fn at_most_max_series() {
        let mut h = History::new();
        for i in 0..MAX_SERIES {
            assert_eq!(h.record(10, &format!("s{i}"), &sample(1.0)), Recorded::Kept);
        }
        // All heard from this second: a newcomer is refused.
        assert_eq!(h.record(10, "new", &sample(1.0)), Recorded::Full);
        assert_eq!(h.refused(), 1);
        // Later, all but s7 are heard from again: the newcomer takes s7's
        // place.
        for i in (0..MAX_SERIES).filter(|i| *i != 7) {
            h.record(11, &format!("s{i}"), &sample(1.0));
        }
        assert_eq!(h.record(11, "new", &sample(1.0)), Recorded::Kept);
        assert_eq!(h.series().len(), MAX_SERIES);
        assert!(!h.contains("s7") && h.contains("new"));
        assert_eq!(h.replaced(), 1);
    }

    #[test]
    fn names_are_bounded() {
        let mut h = History::new();
        let long = "é".repeat(100);
        h.record(1, &long, &sample(1.0));
        let name = &h.series()[0].name;
        assert!(name.len() <= MAX_NAME_BYTES && name.len() >= MAX_NAME_BYTES - 1);
        // The same long name finds the same series.
        assert_eq!(h.record(2, &long, &sample(1.0)), Recorded::Kept);
        assert_eq!(h.series().len(), 1);
        let info = &h.series()[0];
        assert_eq!((info.first, info.last, info.samples), (1, 2, 2));
    }
}
