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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_sources_decision_and_proof_get_their_lines() {
        let json = r#"{"identity":"x","ports":[],"parent":"p","grandmaster":"g","steps_removed":0,
            "offset_from_master_ns":0.0,"mean_path_delay_ns":0.0,"servo_state":"locked",
            "frequency_ppb":0.0,"clock":"virtual","measurements":1,"uptime_s":1.0,
            "roughtime_server":{"requests":9,"replies":8,"batches":2,"denied":0,"rate_limited":0,
              "send_errors":0,"online_keys":1,"dropped":{"undersized":1}},
            "roughtime":{"sources":[
              {"name":"a:2002","address":"10.0.0.1:2002","version":"rfc","verified":true,
               "midpoint_s":1796444928.0,"radius_s":1.0,"rtt_s":0.0012,"offset_s":3599.9},
              {"name":"b:2002","version":"draft-14","verified":false,"error":"no reply"}],
             "agreeing":0,"outcome":"not stepped: a server lied (proof kept)",
             "malfeasance":{"summary":"a:2002 signed later than b:2002","report":{"responses":[]}}}}"#;
        let s: Status = serde_json::from_str(json).unwrap();
        let l = lines(&s);
        assert_eq!(
            l[0],
            "roughtime server 9 requests, 8 replies in 2 batches, 1 online keys; 0 denied, 0 rate-limited; dropped: undersized 1"
        );
        assert!(
            l[1].contains("a:2002")
                && l[1].contains("radius 1 s, offset +3599.900 s, rtt 1.2 ms, verified"),
            "{}",
            l[1]
        );
        assert!(l[2].ends_with("draft-14 no reply"), "{}", l[2]);
        assert_eq!(
            l[3],
            "roughtime start  not stepped: a server lied (proof kept) (0 agree)"
        );
        assert_eq!(l[4], "MALFEASANCE      a:2002 signed later than b:2002");
        assert_eq!(l[5], "proof            {\"responses\":[]}");
    }
}
