//! What the CSPTP server announces (the status TLV and the reply's flags):
//! the daemon's real parent data set (IEEE 1588-2019 §8.2.3) and time
//! properties (§8.2.4), so that a Tempora PTP slave, NTP client or CSPTP
//! client serving CSPTP is an honest bridge, with the `[csptp-server]
//! announce` overrides on top.
//!
//! * PTP slave: the engine's parent data set (the grandmaster's identity,
//!   priorities and clock quality), its time properties, and its
//!   `stepsRemoved` (IEEE 1588-2019 §8.2.2.2).
//! * Following a CSPTP source: that server's last status TLV, one step
//!   further removed (ntpd-rs does the same).
//! * Following an NTP source: the instance's own data set (NTP carries no
//!   grandmaster data set), `stepsRemoved` = the server's stratum, and
//!   `timeTraceable` when that stratum is valid (1 to 15).
//! * Otherwise the instance's own data set (its `[ptp]` class, priorities
//!   and time properties).
//!
//! And the time the server stamps on the timescale it announces.

use tempora_clock::{Duration, Time};
use tempora_config::AnnounceOverrides;
use tempora_ptp::csptp::ServerDataSet;
use tempora_ptp::datasets::PortState;
use tempora_ptp::engine::PtpInstance;
use tempora_ptp::wire::PortIdentity;
use tempora_ptp::wire::tlv::CsptpStatusTlv;

use crate::ntp_server::ServedTime;
use crate::ntp_workers::ClockSnapshot;

/// The upstream the daemon follows when it is no PTP slave, as the system
/// process's system peer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// A CSPTP server, with its last status TLV.
    Csptp(CsptpStatusTlv),
    /// An NTP server of this stratum.
    Ntp(u8),
}

/// The data set the server announces: the engine's (slave or own), or the
/// upstream's when the daemon follows a CSPTP or NTP source and no PTP
/// port is SLAVE, then `overrides`.
pub fn served_data_set(
    engine: &PtpInstance,
    upstream: Option<Upstream>,
    overrides: &AnnounceOverrides,
) -> ServerDataSet {
    let parent = engine.parent_ds();
    let default = engine.default_ds();
    let slave = (0..engine.port_count())
        .filter_map(|i| engine.port_ds(i))
        .any(|ds| ds.port_state == PortState::Slave);
    let mut ds = ServerDataSet {
        port_identity: PortIdentity {
            clock_identity: default.clock_identity,
            port_number: 0,
        },
        grandmaster_priority1: parent.grandmaster_priority1,
        grandmaster_clock_quality: parent.grandmaster_clock_quality,
        grandmaster_priority2: parent.grandmaster_priority2,
        steps_removed: engine.current_ds().steps_removed,
        grandmaster_identity: parent.grandmaster_identity,
        time_properties: *engine.time_properties_ds(),
    };
    match upstream.filter(|_| !slave) {
        Some(Upstream::Csptp(s)) => {
            ds.grandmaster_priority1 = s.grandmaster_priority1;
            ds.grandmaster_clock_quality = s.grandmaster_clock_quality;
            ds.grandmaster_priority2 = s.grandmaster_priority2;
            ds.steps_removed = s.steps_removed.saturating_add(1);
            ds.grandmaster_identity = s.grandmaster_identity;
        }
        Some(Upstream::Ntp(stratum)) => {
            ds.steps_removed = u16::from(stratum);
            ds.time_properties.time_traceable = (1..=15).contains(&stratum);
        }
        None => {}
    }
    on_ptp_timescale(&mut ds.time_properties);
    apply_overrides(&mut ds, overrides);
    ds
}

/// TAI − UTC the server assumes when the daemon itself runs on the ARB
/// timescale: 37 s, right since 2017 (IERS Bulletin C), flagged not valid.
pub const ARB_SERVED_UTC_OFFSET: i16 = 37;

/// CSPTP answers on the PTP timescale whatever the PTP side runs: ntpd-rs's
/// client (`statime-csptp/src/source.rs`) takes every response as TAI and
/// subtracts 37 s whatever the flags say, and the draft's default timescale
/// is PTP's. A daemon on ARB (the default of the system and virtual
/// clocks) therefore serves UTC + [`ARB_SERVED_UTC_OFFSET`]; see
/// [`served_clock`](crate::csptp_serving::served_clock), which adds the
/// same.
fn on_ptp_timescale(tp: &mut tempora_ptp::datasets::TimePropertiesDs) {
    if !tp.ptp_timescale {
        tp.ptp_timescale = true;
        tp.current_utc_offset = ARB_SERVED_UTC_OFFSET;
        tp.current_utc_offset_valid = false;
    }
}

fn apply_overrides(ds: &mut ServerDataSet, o: &AnnounceOverrides) {
    let q = &mut ds.grandmaster_clock_quality;
    q.clock_class = o.clock_class.unwrap_or(q.clock_class);
    q.clock_accuracy = o.clock_accuracy.unwrap_or(q.clock_accuracy);
    q.offset_scaled_log_variance = o
        .offset_scaled_log_variance
        .unwrap_or(q.offset_scaled_log_variance);
    ds.grandmaster_priority1 = o.priority1.unwrap_or(ds.grandmaster_priority1);
    ds.grandmaster_priority2 = o.priority2.unwrap_or(ds.grandmaster_priority2);
    ds.steps_removed = o.steps_removed.unwrap_or(ds.steps_removed);
    ds.grandmaster_identity = o.grandmaster_identity.unwrap_or(ds.grandmaster_identity);
    if let Some(offset) = o.current_utc_offset {
        ds.time_properties.current_utc_offset = offset;
        ds.time_properties.current_utc_offset_valid = true;
    }
}

/// The server's clock as the timing loop publishes it each turn (the
/// worker loops answer from this copy too): the disciplined clock, and how
/// its readings map onto the timescale the data set announces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServedClock {
    /// The disciplined clock (UTC of a software timestamp).
    pub clock: ClockSnapshot,
    /// Announced time − UTC (the UTC offset with the PTP timescale, else 0).
    pub utc_to_served: Duration,
    /// Announced time − the raw hardware timestamp (a PHC on the PTP
    /// timescale: 0).
    pub hardware_to_served: Duration,
}

impl ServedClock {
    /// The announced time of a raw socket timestamp (`None`: now): a
    /// hardware one is the PHC's own, a software one CLOCK_REALTIME's.
    pub fn served(&self, raw: Option<Time>, hardware: bool) -> Time {
        match raw {
            Some(t) if hardware => t + self.hardware_to_served,
            _ => self.clock.ntp_time(raw) + self.utc_to_served,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempora_ptp::wire::{ClockIdentity, ClockQuality};

    fn engine() -> PtpInstance {
        let config = tempora_config::Config::parse("[[port]]\ninterface = \"eth0\"\n", "t.toml")
            .unwrap()
            .instance_config(ClockIdentity([2, 0, 0, 0xff, 0xfe, 0, 0, 1]));
        PtpInstance::new(config, 1)
    }

    #[test]
    fn own_data_set_then_upstreams_then_overrides() {
        let e = engine();
        let own = served_data_set(&e, None, &AnnounceOverrides::default());
        assert_eq!(own.grandmaster_identity, e.default_ds().clock_identity);
        assert_eq!(own.steps_removed, 0);
        let tlv = CsptpStatusTlv {
            grandmaster_priority1: 7,
            grandmaster_clock_quality: ClockQuality {
                clock_class: 6,
                clock_accuracy: 0x21,
                offset_scaled_log_variance: 0x4e5d,
            },
            grandmaster_priority2: 9,
            steps_removed: 2,
            current_utc_offset: 37,
            grandmaster_identity: ClockIdentity([1, 2, 3, 4, 5, 6, 7, 8]),
        };
        let bridged = served_data_set(&e, Some(Upstream::Csptp(tlv)), &Default::default());
        assert_eq!(bridged.steps_removed, 3);
        assert_eq!(bridged.grandmaster_clock_quality.clock_class, 6);
        assert_eq!(bridged.grandmaster_identity, tlv.grandmaster_identity);
        let ntp = served_data_set(&e, Some(Upstream::Ntp(2)), &Default::default());
        assert_eq!(ntp.steps_removed, 2);
        assert!(ntp.time_properties.time_traceable);
        let o = AnnounceOverrides {
            clock_class: Some(7),
            priority1: Some(1),
            current_utc_offset: Some(37),
            ..Default::default()
        };
        let over = served_data_set(&e, Some(Upstream::Csptp(tlv)), &o);
        assert_eq!(over.grandmaster_clock_quality.clock_class, 7);
        assert_eq!(over.grandmaster_clock_quality.clock_accuracy, 0x21);
        assert_eq!(over.grandmaster_priority1, 1);
        assert!(over.time_properties.current_utc_offset_valid);
    }

    /// A grandmaster locked to a reference clock (`crate::served` sets the
    /// instance's clockQuality): CSPTP serves class 6, then 7 in holdover.
    #[test]
    fn reference_clock_class_reaches_csptp() {
        let mut e = engine();
        for class in [6, 7] {
            let q = ClockQuality {
                clock_class: class,
                clock_accuracy: 0x21,
                ..e.default_ds().clock_quality
            };
            e.set_clock_quality(Time::from_secs_nanos(1_800_000_000, 0), q);
            let ds = served_data_set(&e, None, &AnnounceOverrides::default());
            assert_eq!(ds.grandmaster_clock_quality, q);
        }
    }

    /// ntpd-rs's client takes every response as TAI: a daemon on ARB still
    /// announces the PTP timescale, with 37 s not flagged valid; one on PTP
    /// keeps its own.
    #[test]
    fn the_ptp_timescale_is_always_announced() {
        let mut tp = tempora_ptp::datasets::TimePropertiesDs {
            ptp_timescale: false,
            current_utc_offset: 0,
            current_utc_offset_valid: false,
            ..Default::default()
        };
        on_ptp_timescale(&mut tp);
        assert!(tp.ptp_timescale);
        assert_eq!(tp.current_utc_offset, ARB_SERVED_UTC_OFFSET);
        assert!(!tp.current_utc_offset_valid);
        let mut ptp = tempora_ptp::datasets::TimePropertiesDs {
            ptp_timescale: true,
            current_utc_offset: 36,
            current_utc_offset_valid: true,
            ..Default::default()
        };
        let before = ptp;
        on_ptp_timescale(&mut ptp);
        assert_eq!(ptp, before);
        let own = served_data_set(&engine(), None, &AnnounceOverrides::default());
        assert!(own.time_properties.ptp_timescale);
    }

    #[test]
    fn served_time_maps_software_and_hardware_timestamps() {
        let c = ServedClock {
            clock: ClockSnapshot {
                virtual_state: None,
            },
            utc_to_served: Duration::from_secs(37),
            hardware_to_served: Duration::ZERO,
        };
        let t = Time::from_secs_nanos(1_800_000_000, 5);
        assert_eq!(c.served(Some(t), false), t + Duration::from_secs(37));
        assert_eq!(c.served(Some(t), true), t);
    }
}
