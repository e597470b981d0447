//! What of a status snapshot the dashboard's history keeps
//! (`crate::history`), as named series:
//!
//! - `clock`: the disciplined clock: the offset and path delay of what it
//!   follows (the system peer, else a PTP port in SLAVE or UNCALIBRATED
//!   state) and the servo's frequency adjustment;
//! - `system`: with `sync-system-clock`, the system clock following the
//!   PHC: its offset from its target and its frequency adjustment;
//! - one series per source under the name `tempora status` gives it
//!   (`ptp:port1`, `ntp:ADDRESS`, `csptp:...`, `refclock:...`): its offset
//!   and delay, and the frequency its own samples ask for (the system
//!   process's `source_frequency`, whether it is the system peer or not).
//!   Without a system process (PTP alone) each port in SLAVE or
//!   UNCALIBRATED state is such a source, `ptp:portN`.

use crate::history::Sample;
use crate::status::{PortState, Status};

/// The name of the disciplined clock's series.
pub const CLOCK: &str = "clock";
/// The name of the system clock's series (`sync-system-clock`).
pub const SYSTEM: &str = "system";

/// The series and their samples in `status`: [`CLOCK`] first, then
/// [`SYSTEM`] (if any), then the sources.
pub fn samples(status: &Status) -> Vec<(String, Sample)> {
    let mut out = vec![(CLOCK.to_string(), clock_sample(status))];
    if status.system_clock_offset_ns.is_some() || status.system_clock_frequency_ppb.is_some() {
        out.push((
            SYSTEM.to_string(),
            Sample {
                offset_ns: status.system_clock_offset_ns,
                frequency_ppb: status.system_clock_frequency_ppb,
                delay_ns: None,
            },
        ));
    }
    if status.sources.is_empty() {
        out.extend(following_ports(status).map(|number| {
            (
                format!("ptp:port{number}"),
                Sample {
                    offset_ns: Some(status.offset_from_master_ns),
                    frequency_ppb: Some(status.frequency_ppb),
                    delay_ns: Some(status.mean_path_delay_ns),
                },
            )
        }));
    } else {
        out.extend(status.sources.iter().map(|s| {
            (
                s.name.clone(),
                Sample {
                    offset_ns: s.offset_ns,
                    frequency_ppb: s.frequency_ppb,
                    delay_ns: s.delay_ns,
                },
            )
        }));
    }
    out
}

/// The numbers of the ports measuring their master.
fn following_ports(status: &Status) -> impl Iterator<Item = u16> + '_ {
    status
        .ports
        .iter()
        .filter(|p| matches!(p.state, PortState::Slave | PortState::Uncalibrated))
        .map(|p| p.number)
}

/// The disciplined clock: what it follows, and the servo's frequency.
fn clock_sample(status: &Status) -> Sample {
    let peer = status
        .selected_source
        .as_deref()
        .and_then(|name| status.sources.iter().find(|s| s.name == name));
    let (offset_ns, delay_ns) = match peer {
        Some(p) => (p.offset_ns, p.delay_ns),
        None if status.sources.is_empty() && following_ports(status).next().is_some() => (
            Some(status.offset_from_master_ns),
            Some(status.mean_path_delay_ns),
        ),
        None => (None, None),
    };
    Sample {
        offset_ns,
        frequency_ppb: Some(status.frequency_ppb),
        delay_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{SourceOptionsStatus, SourceStatus};

    fn source(name: &str, offset: f64) -> SourceStatus {
        SourceStatus {
            name: name.into(),
            kind: name.split(':').next().unwrap().into(),
            selection: "candidate".into(),
            offset_ns: Some(offset),
            delay_ns: Some(offset * 10.0),
            frequency_ppb: Some(offset * -100.0),
            frequency_sigma_ppb: Some(1.0),
            falseticker_run: 0,
            delay_rejected: 0,
            options: SourceOptionsStatus::default(),
        }
    }

    #[test]
    fn ptp_alone() {
        let s = crate::status::tests::sample();
        let got = samples(&s);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["clock", "ptp:port1"]);
        let want = Sample {
            offset_ns: Some(-120.0),
            frequency_ppb: Some(-12345.5),
            delay_ns: Some(2100.0),
        };
        assert_eq!(got[0].1, want);
        assert_eq!(got[1].1, want);
        // A port that is not a slave measures nothing.
        let mut master = s.clone();
        master.ports[0].state = PortState::Master;
        let got = samples(&master);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.offset_ns, None);
        assert_eq!(got[0].1.frequency_ppb, Some(-12345.5));
    }

    #[test]
    fn sources_and_the_system_clock() {
        let mut s = crate::status::tests::sample();
        s.sources = vec![source("ptp:port1", 5.0), source("ntp:192.0.2.1:123", 7.0)];
        s.selected_source = Some("ntp:192.0.2.1:123".into());
        s.system_clock_offset_ns = Some(3.0);
        s.system_clock_frequency_ppb = Some(-4.0);
        let got = samples(&s);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["clock", "system", "ptp:port1", "ntp:192.0.2.1:123"]);
        assert_eq!(got[0].1.offset_ns, Some(7.0));
        assert_eq!(got[0].1.delay_ns, Some(70.0));
        assert_eq!(got[1].1.offset_ns, Some(3.0));
        assert_eq!(got[1].1.frequency_ppb, Some(-4.0));
        // Each source has its own frequency, the system peer too.
        assert_eq!(got[2].1.frequency_ppb, Some(-500.0));
        assert_eq!(got[3].1.frequency_ppb, Some(-700.0));
        // No system peer: the clock follows nothing.
        s.selected_source = None;
        assert_eq!(samples(&s)[0].1.offset_ns, None);
    }
}
