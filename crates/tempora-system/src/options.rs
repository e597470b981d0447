//! Per-source options, as chrony's `server`/`refclock` options and
//! ptp4l's port options name them (see docs/sources.md for the rules with
//! examples).

use tempora_clock::Duration;

/// How the selection treats one source. [`SourceOptions::default`] is a
/// plain source: selectable, voted on like every other, nothing added to
/// its offsets, no delay limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceOptions {
    /// `prefer` (chrony's `prefer`): among the sources that survive the
    /// selection, a preferred one is the system peer (the least root
    /// distance among the preferred ones), whatever the others' distance.
    pub prefer: bool,
    /// `noselect` (chrony's `noselect`): measured and shown, never
    /// selected, and no vote in the selection (its interval is not part of
    /// the intersection, nor of the count of sources that must agree).
    pub noselect: bool,
    /// `trust` (chrony's `trust`): its time is assumed true. It is found a
    /// falseticker only when another trusted source disagrees with it: when
    /// the majority's intersection leaves a trusted source out, the
    /// intersection of the trusted sources decides instead, and the
    /// untrusted sources that miss it are the falsetickers.
    pub trust: bool,
    /// `require` (chrony's `require`): when any source has it, nothing is
    /// selected (the servo gets nothing, the start-up waits) unless at
    /// least one source with it is among the survivors.
    pub require: bool,
    /// `offset` (chrony's `offset`): added to every offset θ (source −
    /// local) measured of the source, e.g. to correct a known bias of its
    /// timestamps.
    pub offset: Duration,
    /// `asymmetry`: the path's delay asymmetry, with the sign of ptp4l's
    /// `delayAsymmetry` (IEEE 1588-2019 §7.4.2): positive when the path
    /// from the source to us is the longer one (the source-to-us delay is
    /// the mean path delay plus `asymmetry`, the us-to-source delay the
    /// mean minus it). A two-way exchange then reads θ too small by
    /// `asymmetry`, so θ + `asymmetry` is used. In chrony's terms it is an
    /// `offset` of the same value: chrony's example, packets to the server
    /// delayed 100 µs more than those back, is `offset = -50us` there and
    /// `asymmetry = "-50us"` here.
    pub asymmetry: Duration,
    /// `max-delay` (chrony's `maxdelay`): measurements whose round-trip
    /// delay exceeds this are ignored (and counted in
    /// [`SourceReport::delay_rejected`](crate::SourceReport::delay_rejected)).
    pub max_delay: Option<Duration>,
}

impl SourceOptions {
    /// What is added to each measured θ: `offset + asymmetry`.
    pub fn correction(&self) -> Duration {
        self.offset + self.asymmetry
    }

    /// Whether a measurement over round-trip `delay` is used.
    pub fn delay_ok(&self, delay: Duration) -> bool {
        self.max_delay.is_none_or(|max| delay <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_and_asymmetry_add_up_and_max_delay_guards() {
        let o = SourceOptions {
            offset: Duration::from_micros(-50),
            asymmetry: Duration::from_micros(20),
            max_delay: Some(Duration::from_millis(1)),
            ..SourceOptions::default()
        };
        assert_eq!(o.correction(), Duration::from_micros(-30));
        assert!(o.delay_ok(Duration::from_millis(1)));
        assert!(!o.delay_ok(Duration::from_micros(1001)));
        assert!(SourceOptions::default().delay_ok(Duration::MAX));
    }
}
