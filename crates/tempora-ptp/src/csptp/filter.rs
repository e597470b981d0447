//! A CSPTP source's filter: its samples through the clock filter of RFC 5905
//! §10 (`tempora_system::filter`, the same one NTP sources use), and what
//! the source hands the system process.

use tempora_clock::Duration;
use tempora_system::filter::{ClockFilter, FilterSample};
use tempora_system::{Measurement, SourceUpdate};

use super::sample::CsptpSample;

/// The filter of one CSPTP source.
///
/// CSPTP announces no root delay or dispersion (its status TLV carries the
/// grandmaster's clock quality, IEEE 1588-2019 §7.6.2, not a distance), so
/// the source's own distance to its reference is taken as zero, as for a
/// PTP port; the selection sees the path's delay and the filter's jitter.
#[derive(Debug, Clone, Default)]
pub struct CsptpFilter {
    filter: ClockFilter,
}

impl CsptpFilter {
    /// Adds `sample` (its UTC [`CsptpSample::offset`], taken at t4) and
    /// returns the update for the system process; `interval` is the
    /// source's poll interval.
    pub fn add(&mut self, sample: &CsptpSample, interval: Duration) -> SourceUpdate {
        self.add_offset(sample, sample.offset, interval)
    }

    /// As [`CsptpFilter::add`], with the offset chosen by the caller (e.g.
    /// [`CsptpSample::server_offset`] for a local clock on TAI).
    pub fn add_offset(
        &mut self,
        sample: &CsptpSample,
        offset: Duration,
        interval: Duration,
    ) -> SourceUpdate {
        let measurement = Measurement {
            at: sample.t4,
            offset,
            delay: sample.delay,
        };
        self.filter.add(FilterSample {
            offset,
            delay: sample.delay,
            root: Duration::ZERO,
            at: sample.t4,
        });
        let filtered = self
            .filter
            .best()
            .unwrap_or(tempora_system::filter::Filtered {
                best: FilterSample {
                    offset,
                    delay: sample.delay,
                    root: Duration::ZERO,
                    at: sample.t4,
                },
                jitter: Duration::ZERO,
                count: 1,
            });
        tempora_system::filter::source_update(measurement, &filtered, interval)
    }

    /// Forgets every sample (after a clock step: they no longer apply).
    pub fn clear(&mut self) {
        self.filter.clear();
    }
}
