//! Agreement among several servers' verified times (RFC 10049 §8.1-§8.2:
//! a client asks at least three servers; one server alone proves nothing
//! about the time's correctness).
//!
//! Each reply gives an interval MIDP ± RADI, widened by a configured
//! window on each side (network delay, processing, and the caller's
//! tolerance). The consensus is the largest group of intervals sharing a
//! common point (Marzullo's sweep), when it has at least `min_agree`
//! members; its time is the middle of their intersection.

use alloc::vec::Vec;

/// The settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsensusConfig {
    /// Servers that must agree (at least 1; 2 or more to be meaningful).
    pub min_agree: usize,
    /// Microseconds added to each radius before comparing.
    pub window_us: u64,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        ConsensusConfig {
            min_agree: 2,
            window_us: 1_000_000,
        }
    }
}

/// One server's time: MIDP and RADI in microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// MIDP.
    pub midpoint_us: u64,
    /// RADI.
    pub radius_us: u64,
}

impl From<&crate::client::Verified> for Sample {
    fn from(v: &crate::client::Verified) -> Self {
        Sample {
            midpoint_us: v.midpoint_us,
            radius_us: v.radius_us,
        }
    }
}

/// The agreed time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consensus {
    /// The middle of the agreeing intervals' intersection, microseconds
    /// since the Unix epoch.
    pub midpoint_us: i128,
    /// Half the intersection's width, microseconds.
    pub radius_us: i128,
    /// Indices (into the samples given) of the servers that agree.
    pub agreeing: Vec<usize>,
}

impl Consensus {
    /// `now_us` minus the consensus time: positive when the local clock
    /// is ahead.
    pub fn offset_us(&self, now_us: i128) -> i128 {
        now_us - self.midpoint_us
    }
}

fn bounds(s: &Sample, window: u64) -> (i128, i128) {
    let r = i128::from(s.radius_us) + i128::from(window);
    let m = i128::from(s.midpoint_us);
    (m - r, m + r)
}

/// The consensus of `samples`, or `None` when fewer than
/// `config.min_agree` of them share a point.
pub fn consensus(samples: &[Sample], config: &ConsensusConfig) -> Option<Consensus> {
    let intervals: Vec<(i128, i128)> = samples
        .iter()
        .map(|s| bounds(s, config.window_us))
        .collect();
    // Sweep: starts before ends at the same instant (closed intervals).
    let mut edges: Vec<(i128, i8)> = intervals
        .iter()
        .flat_map(|&(lo, hi)| [(lo, -1), (hi, 1)])
        .collect();
    edges.sort_unstable();
    let (mut depth, mut best, mut best_at) = (0usize, 0usize, 0i128);
    for (at, kind) in edges {
        if kind < 0 {
            depth += 1;
            if depth > best {
                (best, best_at) = (depth, at);
            }
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    if best < config.min_agree.max(1) {
        return None;
    }
    let agreeing: Vec<usize> = (0..intervals.len())
        .filter(|&i| intervals[i].0 <= best_at && best_at <= intervals[i].1)
        .collect();
    let lo = agreeing.iter().map(|&i| intervals[i].0).max()?;
    let hi = agreeing.iter().map(|&i| intervals[i].1).min()?;
    Some(Consensus {
        midpoint_us: (lo + hi) / 2,
        radius_us: (hi - lo) / 2,
        agreeing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(mid_s: u64, rad_s: u64) -> Sample {
        Sample {
            midpoint_us: mid_s * 1_000_000,
            radius_us: rad_s * 1_000_000,
        }
    }

    const EXACT: ConsensusConfig = ConsensusConfig {
        min_agree: 2,
        window_us: 0,
    };

    #[test]
    fn two_agree_one_lies() {
        let samples = [s(1000, 5), s(4600, 5), s(1004, 3)];
        let c = consensus(&samples, &EXACT).unwrap();
        assert_eq!(c.agreeing, [0, 2]);
        // Intersection [1001, 1005] s.
        assert_eq!(c.midpoint_us, 1_003_000_000);
        assert_eq!(c.radius_us, 2_000_000);
        assert_eq!(c.offset_us(1_000_000_000), -3_000_000);
    }

    #[test]
    fn no_two_agree() {
        let samples = [s(1000, 1), s(2000, 1), s(3000, 1)];
        assert_eq!(consensus(&samples, &EXACT), None);
        let one = ConsensusConfig {
            min_agree: 1,
            ..EXACT
        };
        assert_eq!(consensus(&samples, &one).unwrap().agreeing.len(), 1);
    }

    #[test]
    fn the_window_joins_near_misses() {
        let samples = [s(1000, 1), s(1003, 1)];
        assert_eq!(consensus(&samples, &EXACT), None);
        let wide = ConsensusConfig {
            min_agree: 2,
            window_us: 1_000_000,
        };
        let c = consensus(&samples, &wide).unwrap();
        assert_eq!(c.agreeing, [0, 1]);
        assert_eq!(c.midpoint_us, 1_001_500_000);
        assert_eq!(c.radius_us, 500_000);
    }

    #[test]
    fn touching_intervals_agree_and_empty_input_does_not() {
        let samples = [s(1000, 1), s(1002, 1)];
        assert_eq!(consensus(&samples, &EXACT).unwrap().radius_us, 0);
        assert_eq!(consensus(&[], &EXACT), None);
    }
}
