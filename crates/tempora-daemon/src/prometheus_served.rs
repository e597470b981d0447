//! The Prometheus gauges of what is served from a reference clock
//! (`crate::served`): holdover and the leap second list. Rendered with the
//! rest by [`crate::prometheus::render`].

use crate::prometheus_gauge::gauge;
use crate::status::Status;

/// Appends the holdover and leap second gauges of `status`.
pub fn render(out: &mut String, status: &Status) {
    if let Some(h) = &status.holdover {
        out.push_str("# HELP tempora_holdover_state 1 for the holdover state the clock is in: free-run, locked (to a reference clock), holdover (within holdover-budget), holdover-expired.\n# TYPE tempora_holdover_state gauge\n");
        for state in ["free-run", "locked", "holdover", "holdover-expired"] {
            let v = u8::from(h.state == state);
            out.push_str(&format!(
                "tempora_holdover_state{{state=\"{state}\"}} {v}\n"
            ));
        }
        gauge(
            out,
            "tempora_holdover_seconds",
            "Time since the reference clock's last sample while in holdover (0 otherwise).",
            h.holdover_s,
        );
        gauge(
            out,
            "tempora_holdover_estimated_error_seconds",
            "The estimated time error announced (NaN when free-running).",
            h.estimated_error_ns.map_or(f64::NAN, |e| e * 1e-9),
        );
        gauge(
            out,
            "tempora_holdover_budget_seconds",
            "The configured holdover-budget.",
            h.budget_ns * 1e-9,
        );
        if let Some(c) = h.clock_class {
            gauge(
                out,
                "tempora_served_clock_class",
                "The PTP clockClass served from the reference clock.",
                f64::from(c),
            );
        }
    }
    if let Some(l) = &status.leap_seconds {
        gauge(
            out,
            "tempora_leap_seconds_list_loaded",
            "1 when the leap second list was read and its hash verified.",
            f64::from(u8::from(l.loaded)),
        );
        if let Some(e) = l.expires {
            gauge(
                out,
                "tempora_leap_seconds_list_expiry_timestamp_seconds",
                "When the leap second list expires (Unix time).",
                e as f64,
            );
        }
        gauge(
            out,
            "tempora_leap_seconds_list_expired",
            "1 when the leap second list has expired.",
            f64::from(u8::from(l.expired)),
        );
        let pending = match l.pending.as_str() {
            "insert" => 1.0,
            "delete" => -1.0,
            _ => 0.0,
        };
        gauge(
            out,
            "tempora_leap_second_pending",
            "The leap second at the end of the current UTC day: 1 inserted, -1 deleted, 0 none.",
            pending,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::status::tests::sample;

    #[test]
    fn holdover_and_leap_gauges() {
        let text = crate::prometheus::render(&sample());
        assert!(
            text.contains("tempora_holdover_state{state=\"holdover\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("tempora_holdover_state{state=\"locked\"} 0\n"));
        assert!(text.contains("tempora_holdover_seconds 120\n"));
        assert!(text.contains("tempora_holdover_estimated_error_seconds 0.00000035"));
        assert!(text.contains("tempora_served_clock_class 7\n"));
        assert!(text.contains("tempora_leap_seconds_list_loaded 1\n"));
        assert!(text.contains("tempora_leap_seconds_list_expiry_timestamp_seconds 1782604800\n"));
        assert!(text.contains("tempora_leap_second_pending 0\n"));
    }
}
