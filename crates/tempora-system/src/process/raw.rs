//! Sources that hand in raw measurements, with no filter of their own: a
//! PTP port in SLAVE state (its offset from the master and mean path delay
//! at its Sync rate, IEEE 1588-2019 §11.2–§11.3), and any other kind that
//! measures the same way. The process makes their [`Estimate`] itself.

use tempora_clock::{Duration, Time};

use super::{Estimate, Measurement, SourceId, SourceUpdate, SystemProcess};

/// Samples the jitter of a raw source is taken over.
const JITTER_SAMPLES: usize = 8;

/// One raw measurement of a source (see [`SystemProcess::handle_sample`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSample {
    /// The measurement: for a PTP port, θ = −offsetFromMaster and the
    /// mean path delay as the delay (round trip: twice it).
    pub measurement: Measurement,
    /// The source's own distance to its reference (root delay / 2 + root
    /// dispersion; zero for a grandmaster).
    pub root: Duration,
    /// The interval at which it measures (a PTP port's Sync interval).
    pub interval: Duration,
    /// Whether the measurement's delay is its own (a PTP delay
    /// request-response exchange) rather than an estimate from other
    /// exchanges (peer delay): only an own delay goes to the servo with
    /// the sample, as the PTP engine's `own_delay` says.
    pub own_delay: bool,
}

impl SystemProcess {
    /// A raw measurement of source `id` at `now`. Its estimate is the
    /// measurement's offset, with the median delay of its last
    /// eight samples (one queued Sync or Delay_Req does not
    /// make the source look far away, as the minimum-delay sample of
    /// RFC 5905 §10's clock filter would not) and their jitter (the RMS of
    /// their successive differences in the oscillator's frame, §10's ψ
    /// over the source's own sample stream); then as
    /// [`handle_update`](Self::handle_update).
    pub fn handle_sample(&mut self, now: Time, id: SourceId, sample: RawSample) {
        let m = sample.measurement;
        let y = m.offset.as_nanos_f64() + self.ledger.ahead_at(m.at);
        let t = (m.at - self.origin).as_secs_f64();
        let drift = self.drift.unwrap_or(0.0);
        let Some(e) = self.sources.iter_mut().find(|e| e.id == id) else {
            return;
        };
        e.raw = true;
        e.servo_delay = sample.own_delay;
        // In the history the offsets carry the source's correction.
        let y = y + e.options.correction().as_nanos_f64();
        let tail = &e.history[e.history.len().saturating_sub(JITTER_SAMPLES - 1)..];
        let mut prev: Option<(f64, f64)> = None;
        let (mut sum, mut k) = (0.0, 0u32);
        for (pt, py) in tail.iter().map(|p| (p.t, p.y)).chain([(t, y)]) {
            if let Some((t0, y0)) = prev {
                let d = py - y0 - drift * (pt - t0);
                sum += d * d;
                k += 1;
            }
            prev = Some((pt, py));
        }
        let jitter = if k == 0 {
            0.0
        } else {
            libm::sqrt(sum / f64::from(k))
        };
        let count = tail.len() + 1;
        let mut delays = [0.0f64; JITTER_SAMPLES];
        for (slot, d) in delays
            .iter_mut()
            .zip(tail.iter().map(|p| p.delay).chain([m.delay.as_nanos_f64()]))
        {
            *slot = d;
        }
        let delays = &mut delays[..count.min(JITTER_SAMPLES)];
        delays.sort_unstable_by(f64::total_cmp);
        let median = delays.get(delays.len() / 2).copied().unwrap_or(0.0);
        self.handle_update(
            now,
            id,
            SourceUpdate {
                measurement: m,
                estimate: Estimate {
                    at: m.at,
                    offset: m.offset,
                    delay: Duration::from_secs_f64(median * 1e-9),
                    root: sample.root,
                    jitter: Duration::from_secs_f64(jitter * 1e-9),
                    count,
                },
                interval: sample.interval,
            },
        );
    }
}
