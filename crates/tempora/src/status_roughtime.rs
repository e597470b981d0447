//! The Roughtime lines of `tempora status`: the server's counters, each
//! `[[roughtime-source]]` as it answered at start-up, the decision, and
//! the proof of malfeasance when a server lied.

use tempora_daemon::status::Status;

/// Drop counts as `reason n, reason n` (or `none`).
fn drops(d: &std::collections::BTreeMap<String, u64>) -> String {
    if d.is_empty() {
        return "none".into();
    }
    let parts: Vec<String> = d.iter().map(|(r, n)| format!("{r} {n}")).collect();
    parts.join(", ")
}

/// The lines (none without Roughtime).
pub fn lines(s: &Status) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &s.roughtime_server {
        out.push(format!(
            "roughtime server {} requests, {} replies in {} batches, {} online keys; {} denied, {} rate-limited; dropped: {}",
            c.requests,
            c.replies,
            c.batches,
            c.online_keys,
            c.denied,
            c.rate_limited,
            drops(&c.dropped)
        ));
    }
    let Some(r) = &s.roughtime else {
        return out;
    };
    for src in &r.sources {
        let line = match (src.midpoint_s, src.radius_s) {
            (Some(m), Some(rad)) => format!(
                "roughtime {:<22} {:<8} midpoint {:.6} s, radius {} s, offset {:+.3} s, rtt {:.1} ms, {}",
                src.name,
                src.version,
                m,
                rad,
                src.offset_s.unwrap_or(f64::NAN),
                src.rtt_s.unwrap_or(f64::NAN) * 1e3,
                if src.verified {
                    "verified"
                } else {
                    "NOT verified"
                }
            ),
            _ => format!(
                "roughtime {:<22} {:<8} {}",
                src.name,
                src.version,
                src.error.as_deref().unwrap_or("no reply")
            ),
        };
        out.push(line);
    }
    out.push(format!(
        "roughtime start  {} ({} agree{})",
        r.outcome,
        r.agreeing,
        r.stepped_s
            .map_or(String::new(), |s| format!(", stepped {s:+.3} s"))
    ));
    if let Some(m) = &r.malfeasance {
        out.push(format!("MALFEASANCE      {}", m.summary));
        out.push(format!("proof            {}", m.report));
    }
    out
}
