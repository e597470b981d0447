//! Statistics of a run: what `tempora sim --json` reports.

use serde::Serialize;

use crate::runner::Trace;

/// The accuracy of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Root mean square of the true offset after the warm-up, ns.
    pub rms_ns: f64,
    /// Largest |true offset| after the warm-up, ns.
    pub max_abs_ns: f64,
    /// 99th percentile of |true offset| after the warm-up, ns.
    pub p99_abs_ns: f64,
    /// Mean true offset after the warm-up, ns.
    pub mean_ns: f64,
    /// Seconds after which |true offset| stays below the threshold; `null`
    /// if it never does.
    pub convergence_s: Option<f64>,
    /// Largest |true offset| from 60 s after the start to the end, ns: how
    /// well the start-up went (chrony gets within microseconds by then on
    /// a LAN).
    pub worst_after_60s_ns: f64,
}

impl Stats {
    /// Statistics of `trace` with the scenario's warm-up and threshold.
    pub fn of(trace: &Trace, warmup_s: f64, threshold_ns: f64) -> Self {
        let after: Vec<f64> = trace
            .offsets
            .iter()
            .filter(|(t, _)| *t >= warmup_s)
            .map(|(_, o)| *o)
            .collect();
        let n = after.len().max(1) as f64;
        let rms_ns = (after.iter().map(|o| o * o).sum::<f64>() / n).sqrt();
        let mean_ns = after.iter().sum::<f64>() / n;
        let mut abs: Vec<f64> = after.iter().map(|o| o.abs()).collect();
        abs.sort_by(|a, b| a.total_cmp(b));
        let max_abs_ns = abs.last().copied().unwrap_or(0.0);
        let p99_abs_ns = if abs.is_empty() {
            0.0
        } else {
            abs[((abs.len() as f64 * 0.99).ceil() as usize).clamp(1, abs.len()) - 1]
        };
        let last_bad = trace
            .offsets
            .iter()
            .rev()
            .find(|(_, o)| o.abs() >= threshold_ns);
        let convergence_s = match last_bad {
            None => Some(0.0),
            Some((t, _)) if *t + 1.0 <= trace.duration_s - 1.0 => Some(t + 1.0),
            Some(_) => None,
        };
        let worst_after_60s_ns = trace
            .offsets
            .iter()
            .filter(|(t, _)| *t >= 60.0)
            .map(|(_, o)| o.abs())
            .fold(0.0, f64::max);
        Stats {
            worst_after_60s_ns: round(worst_after_60s_ns),
            rms_ns: round(rms_ns),
            max_abs_ns: round(max_abs_ns),
            p99_abs_ns: round(p99_abs_ns),
            mean_ns: round(mean_ns),
            convergence_s,
        }
    }
}

/// Three decimals: enough for ns, and stable JSON.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
