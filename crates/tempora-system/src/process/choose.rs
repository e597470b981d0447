//! The selection with the sources' options: which sources are candidates
//! (not `noselect`, with a current measurement), the intersection with
//! `trust` ([`select::select_trusted`]), the `require` rule, and the
//! system peer with `prefer`. chrony's rules for the same options (its
//! `sources.c`), applied to candidates of every kind alike.

use tempora_clock::{Duration, Time};

use super::{Entry, FALSETICKER_SAMPLES, SelectionState, SystemProcess};
use crate::select::{self, Candidate, MAX_CANDIDATES, Selection};

/// A PTP port's samples count as current for this many of its intervals
/// (and at least [`STALE_MIN_S`]): a port that stopped hearing Syncs is no
/// candidate with its last offset for ever.
const STALE_INTERVALS: f64 = 8.0;

/// The least time, s, a raw source's last sample stays current.
const STALE_MIN_S: f64 = 16.0;

/// Added to the root distance of every survivor but the system peer when
/// the system peer is chosen again (chrony's `reselectdist`, 100 µs by
/// default): a source takes over only when it is clearly nearer, not each
/// time its fresh sample beats the peer's older one by a little. A PTP
/// port measuring every second stays the peer against NTP servers on the
/// same network whose one fresh sample in sixteen seconds has a slightly
/// shorter delay; and the servo is not handed a different source's noise
/// every few polls.
const RESELECT_DISTANCE: Duration = Duration::from_micros(100);

/// The least half-width of a correctness interval in the intersection
/// (ntpd's `tos mindist`, 1 ms by default). A PTP port's distance is a few
/// microseconds on a LAN, and so can an NTP server's be; their
/// timestamps, taken by different paths through the stack, can still
/// differ by tens of microseconds, which must not make two honest sources
/// of different kinds disagree. A liar a few milliseconds off still
/// misses. The system peer is chosen on the distances themselves.
const MIN_DISTANCE: Duration = Duration::from_millis(1);

impl SystemProcess {
    /// Whether `e`'s last sample is too old to select on (sources that
    /// hand in raw samples: an NTP source's filter ages its own).
    fn stale(&self, e: &Entry, now: Time) -> bool {
        let t = (now - self.origin).as_secs_f64();
        let limit = (STALE_INTERVALS * e.interval.as_secs_f64()).max(STALE_MIN_S);
        e.raw && e.history.last().is_none_or(|p| t - p.t > limit)
    }

    /// Runs the selection at `now`, records each source's
    /// [`SelectionState`], and returns the system peer (its index among
    /// the sources) and how many sources agreed, or `None` when nothing is
    /// selected.
    pub(super) fn choose(&mut self, now: Time) -> Option<(usize, usize)> {
        let mut cands = [Candidate {
            offset: Duration::ZERO,
            root_distance: Duration::ZERO,
            jitter: Duration::ZERO,
        }; MAX_CANDIDATES];
        let mut trusted = [false; MAX_CANDIDATES];
        let mut lambda = [Duration::ZERO; MAX_CANDIDATES];
        let mut index = [0usize; MAX_CANDIDATES];
        let mut n = 0;
        for (i, e) in self.sources.iter().enumerate() {
            if e.options.noselect || e.timing_loop || n >= MAX_CANDIDATES || self.stale(e, now) {
                continue;
            }
            if let Some(est) = e.estimate {
                let c = self.candidate(&est, now);
                lambda[n] = c.root_distance;
                cands[n] = Candidate {
                    root_distance: c.root_distance.max(MIN_DISTANCE),
                    ..c
                };
                trusted[n] = e.options.trust;
                index[n] = i;
                n += 1;
            }
        }
        let previous = self.sources.iter().position(|e| e.report.system_peer);
        for e in &mut self.sources {
            e.report.selected = false;
            e.report.system_peer = false;
            e.report.state = if e.options.noselect {
                SelectionState::Noselect
            } else if e.timing_loop {
                SelectionState::TimingLoop
            } else {
                SelectionState::Unusable
            };
        }
        let required = self.required(now, false);
        let minimum = self.config.minimum_agreeing;
        let sel = select::select_trusted(&cands[..n], &trusted[..n], required, minimum)
            .ok()
            .or_else(|| self.select_without_liars(&cands[..n], &trusted[..n], &index[..n], now));
        let sel = match sel {
            Some(sel) => sel,
            None => {
                for i in &index[..n] {
                    if let Some(e) = self.sources.get_mut(*i) {
                        e.report.state = SelectionState::Unselected;
                    }
                }
                return None;
            }
        };
        for k in 0..n {
            let c = &cands[k];
            let lambda = c.root_distance.max(Duration::ZERO);
            let falseticker = c.offset + lambda < sel.low || c.offset - lambda > sel.high;
            let e = &mut self.sources[index[k]];
            e.report.selected = sel.survivors[k];
            e.report.state = match (sel.survivors[k], falseticker) {
                (true, _) => SelectionState::Candidate,
                (false, true) => SelectionState::Falseticker,
                (false, false) => SelectionState::Outlier,
            };
            // Each new sample of a source is judged once (RFC 5905
            // §11.2.1: its interval misses the intersection); one only
            // clustered out is not counted.
            if let Some(last) = e.last.filter(|l| e.judged.is_none_or(|j| l.at > j)) {
                e.judged = Some(last.at);
                e.report.falseticker_run = if falseticker {
                    e.report.falseticker_run.saturating_add(1)
                } else {
                    0
                };
            }
        }
        // `require` (chrony's): a required source must survive.
        let required_any = self
            .sources
            .iter()
            .any(|e| e.options.require && !e.options.noselect);
        let required_ok =
            (0..n).any(|k| sel.survivors[k] && self.sources[index[k]].options.require);
        if required_any && !required_ok {
            for k in (0..n).filter(|k| sel.survivors[*k]) {
                let e = &mut self.sources[index[k]];
                e.report.selected = false;
                e.report.state = SelectionState::Unselected;
            }
            return None;
        }
        // `prefer` (chrony's): a preferred survivor is the system peer, the
        // nearest (least root distance) of them; otherwise the nearest
        // survivor, the peer of before by RESELECT_DISTANCE.
        let distance = |k: usize| {
            let hop = if Some(index[k]) == previous {
                Duration::ZERO
            } else {
                RESELECT_DISTANCE
            };
            lambda[k] + hop
        };
        let preferred = |k: &usize| sel.survivors[*k] && self.sources[index[*k]].options.prefer;
        let peer = (0..n)
            .filter(preferred)
            .min_by_key(|k| distance(*k))
            .or_else(|| {
                (0..n)
                    .filter(|k| sel.survivors[*k])
                    .min_by_key(|k| distance(*k))
            })
            .unwrap_or(sel.system_peer);
        let e = &mut self.sources[index[peer]];
        e.report.system_peer = true;
        e.report.state = SelectionState::Selected;
        Some((index[peer], sel.count))
    }

    /// The selection again without the sources found falsetickers
    /// [`FALSETICKER_SAMPLES`] samples in a row, when the one with them
    /// found no majority: a liar outvoted while more sources were heard
    /// (a PTP grandmaster beside it, say) gets no vote of its own when
    /// they are gone, and does not hold the one honest source left in a
    /// tie (as a pool drops such a member). Its samples are still judged
    /// against the intersection, so it votes again once it agrees.
    /// Candidates and results are in the caller's index space.
    fn select_without_liars(
        &self,
        cands: &[Candidate],
        trusted: &[bool],
        index: &[usize],
        now: Time,
    ) -> Option<Selection> {
        let liar = |k: usize| {
            index
                .get(k)
                .and_then(|i| self.sources.get(*i))
                .is_some_and(|e| e.report.falseticker_run >= FALSETICKER_SAMPLES)
        };
        if !(0..cands.len()).any(liar) {
            return None;
        }
        let mut sub = [cands[0]; MAX_CANDIDATES];
        let mut sub_trusted = [false; MAX_CANDIDATES];
        let mut map = [0usize; MAX_CANDIDATES];
        let mut m = 0;
        for k in (0..cands.len().min(MAX_CANDIDATES)).filter(|k| !liar(*k)) {
            sub[m] = cands[k];
            sub_trusted[m] = trusted.get(k).copied().unwrap_or(false);
            map[m] = k;
            m += 1;
        }
        let required = self.required(now, true);
        let minimum = self.config.minimum_agreeing;
        let s = select::select_trusted(&sub[..m], &sub_trusted[..m], required, minimum).ok()?;
        let mut survivors = [false; MAX_CANDIDATES];
        for j in (0..m).filter(|j| s.survivors[*j]) {
            survivors[map[j]] = true;
        }
        Some(Selection {
            survivors,
            system_peer: map[s.system_peer],
            ..s
        })
    }
}
