//! The one selection's sources (PTP ports, NTP and CSPTP servers,
//! reference clocks: `Status::sources`) in the Prometheus text format, for
//! [`crate::prometheus`]: per source its selection state (a gauge per
//! state, 1 for the one it is in), offset, the frequency its own samples
//! ask for, its run of falseticker samples and its samples refused for
//! their delay. Labels: `source` (as `tempora sources` names it) and
//! `kind`.

use tempora_system::SelectionState;

use crate::status::SourceStatus;

/// A per-source family: its name, type, help and how to read it.
type PerSource = (
    &'static str,
    &'static str,
    &'static str,
    fn(&SourceStatus) -> f64,
);

/// The families of the selection's sources (nothing without a selection).
pub(crate) fn render(out: &mut String, sources: &[SourceStatus]) {
    if sources.is_empty() {
        return;
    }
    let name = "tempora_source_selection_state";
    out.push_str(&format!(
        "# HELP {name} 1 for the state the source is in after the last selection, 0 for the others.\n# TYPE {name} gauge\n"
    ));
    for s in sources {
        for state in SelectionState::ALL.map(SelectionState::name) {
            let v = u8::from(s.selection == state);
            out.push_str(&format!("{name}{{{},state=\"{state}\"}} {v}\n", labels(s)));
        }
    }
    let families: [PerSource; 4] = [
        (
            "offset_seconds",
            "gauge",
            "Last offset of the source (source minus us), with its configured offset.",
            |s| s.offset_ns.map_or(f64::NAN, |ns| ns * 1e-9),
        ),
        (
            "frequency_ratio",
            "gauge",
            "Frequency correction the source's own last 16 samples ask for (as chrony's sourcestats Freq; NaN until they tell).",
            |s| s.frequency_ppb.map_or(f64::NAN, |ppb| ppb / 1e9),
        ),
        (
            "falseticker_run",
            "gauge",
            "The source's samples in a row found falsetickers (8 and more: it has no vote).",
            |s| f64::from(s.falseticker_run),
        ),
        (
            "delay_rejected_total",
            "counter",
            "Samples of the source ignored for a delay beyond its max-delay.",
            |s| s.delay_rejected as f64,
        ),
    ];
    for (name, kind, help, f) in families {
        let name = format!("tempora_source_{name}");
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for s in sources {
            out.push_str(&format!("{name}{{{}}} {}\n", labels(s), f(s)));
        }
    }
}

/// A source's labels.
fn labels(s: &SourceStatus) -> String {
    format!(
        "source=\"{}\",kind=\"{}\"",
        escape(&s.name),
        escape(&s.kind)
    )
}

/// A label value escaped as the text format wants (`\`, `"`, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::SourceOptionsStatus;

    fn source(name: &str, kind: &str, selection: &str) -> SourceStatus {
        SourceStatus {
            name: name.into(),
            kind: kind.into(),
            selection: selection.into(),
            offset_ns: Some(2500.0),
            delay_ns: None,
            frequency_ppb: Some(-12.5),
            frequency_sigma_ppb: Some(1.0),
            falseticker_run: 9,
            delay_rejected: 3,
            options: SourceOptionsStatus::default(),
        }
    }

    #[test]
    fn a_gauge_per_state_and_the_sources_figures() {
        let mut out = String::new();
        let mut liar = source("ntp:192.0.2.9:123", "ntp", "falseticker");
        liar.frequency_ppb = None;
        render(&mut out, &[source("ptp:port1", "ptp", "selected"), liar]);
        for line in [
            "tempora_source_selection_state{source=\"ptp:port1\",kind=\"ptp\",state=\"selected\"} 1\n",
            "tempora_source_selection_state{source=\"ptp:port1\",kind=\"ptp\",state=\"falseticker\"} 0\n",
            "tempora_source_selection_state{source=\"ntp:192.0.2.9:123\",kind=\"ntp\",state=\"falseticker\"} 1\n",
            "tempora_source_offset_seconds{source=\"ptp:port1\",kind=\"ptp\"} 0.0000025\n",
            "tempora_source_frequency_ratio{source=\"ptp:port1\",kind=\"ptp\"} -0.0000000125\n",
            "tempora_source_frequency_ratio{source=\"ntp:192.0.2.9:123\",kind=\"ntp\"} NaN\n",
            "tempora_source_falseticker_run{source=\"ntp:192.0.2.9:123\",kind=\"ntp\"} 9\n",
            "tempora_source_delay_rejected_total{source=\"ptp:port1\",kind=\"ptp\"} 3\n",
        ] {
            assert!(out.contains(line), "{line}in\n{out}");
        }
        assert_eq!(out.matches("state=\"").count(), 16);
        let mut none = String::new();
        render(&mut none, &[]);
        assert!(none.is_empty());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
