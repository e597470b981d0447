//! The data compared by the BMCA (IEEE 1588-2019 §9.3.4): one set per
//! qualified Announce message, and `D0` for the instance itself.

use crate::datasets::DefaultDs;
use crate::wire::{AnnounceBody, ClockIdentity, ClockQuality, Header, PortIdentity};

/// The `localPriority` attribute's default (ITU-T G.8275.1 §6.3, alternate
/// BMCA: "localPriority", range 1–255, default 128). The IEEE 1588 data set
/// comparison (IEEE 1588-2019 §9.3.4) ignores it.
pub const DEFAULT_LOCAL_PRIORITY: u8 = 128;

/// The attributes the data set comparison algorithm compares (IEEE 1588-2019
/// §9.3.4, its table of data set comparison information): taken from an
/// Announce message ([`ComparisonDataSet::from_announce`]) or from the
/// instance's own `defaultDS` (`D0`, [`ComparisonDataSet::from_default_ds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComparisonDataSet {
    /// GM priority1: `grandmasterPriority1` of the Announce, or
    /// `defaultDS.priority1` (§9.3.4).
    pub gm_priority1: u8,
    /// GM identity: `grandmasterIdentity`, or `defaultDS.clockIdentity`.
    pub gm_identity: ClockIdentity,
    /// GM clockClass, clockAccuracy and offsetScaledLogVariance:
    /// `grandmasterClockQuality`, or `defaultDS.clockQuality`.
    pub gm_clock_quality: ClockQuality,
    /// GM priority2: `grandmasterPriority2`, or `defaultDS.priority2`.
    pub gm_priority2: u8,
    /// Steps removed: the Announce's `stepsRemoved`, or 0 for `D0`.
    pub steps_removed: u16,
    /// Identity of senders: the Announce's `sourcePortIdentity`, or
    /// `defaultDS.clockIdentity` with port number 0 for `D0`.
    pub sender: PortIdentity,
    /// Identity of receiver: the `portIdentity` of the port that received
    /// the Announce, or `defaultDS.clockIdentity` with port number 0 for `D0`.
    pub receiver: PortIdentity,
    /// `localPriority` of the receiving port or foreign master (ITU-T
    /// G.8275.1 §6.3); only the alternate BMCA of G.8275.1 compares it.
    /// [`DEFAULT_LOCAL_PRIORITY`] unless set with
    /// [`ComparisonDataSet::with_local_priority`].
    pub local_priority: u8,
}

impl ComparisonDataSet {
    /// The data set of an Announce message received on the port `receiver`
    /// (IEEE 1588-2019 §9.3.4).
    pub fn from_announce(header: &Header, body: &AnnounceBody, receiver: PortIdentity) -> Self {
        ComparisonDataSet {
            gm_priority1: body.grandmaster_priority1,
            gm_identity: body.grandmaster_identity,
            gm_clock_quality: body.grandmaster_clock_quality,
            gm_priority2: body.grandmaster_priority2,
            steps_removed: body.steps_removed,
            sender: header.source_port_identity,
            receiver,
            local_priority: DEFAULT_LOCAL_PRIORITY,
        }
    }

    /// `D0`, the instance's own data set (IEEE 1588-2019 §9.3.4, §9.3.3):
    /// the grandmaster fields from `defaultDS`, stepsRemoved 0, and sender
    /// and receiver both the instance's clockIdentity with port number 0.
    pub fn from_default_ds(default_ds: &DefaultDs) -> Self {
        let own = PortIdentity {
            clock_identity: default_ds.clock_identity,
            port_number: 0,
        };
        ComparisonDataSet {
            gm_priority1: default_ds.priority1,
            gm_identity: default_ds.clock_identity,
            gm_clock_quality: default_ds.clock_quality,
            gm_priority2: default_ds.priority2,
            steps_removed: 0,
            sender: own,
            receiver: own,
            local_priority: DEFAULT_LOCAL_PRIORITY,
        }
    }

    /// The same data set with `localPriority` set (ITU-T G.8275.1 §6.3:
    /// the receiving port's or foreign master's `localPriority` for an
    /// Announce, `defaultDS.localPriority` for `D0`).
    pub fn with_local_priority(self, local_priority: u8) -> Self {
        ComparisonDataSet {
            local_priority,
            ..self
        }
    }

    /// The same data set with GM priority1 replaced, as the acceptable
    /// master table's `alternatePriority1` does (IEEE 1588-2019 §17.6.5).
    pub fn with_gm_priority1(self, gm_priority1: u8) -> Self {
        ComparisonDataSet {
            gm_priority1,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{MessageType, Timestamp};

    #[test]
    fn bmca_dataset_from_announce_and_d0() {
        let gm = ClockIdentity([1; 8]);
        let sender = PortIdentity {
            clock_identity: ClockIdentity([2; 8]),
            port_number: 3,
        };
        let receiver = PortIdentity {
            clock_identity: ClockIdentity([9; 8]),
            port_number: 1,
        };
        let header = Header::new(MessageType::Announce, sender);
        let quality = ClockQuality {
            clock_class: 6,
            clock_accuracy: 0x21,
            offset_scaled_log_variance: 0x4e5d,
        };
        let body = AnnounceBody {
            origin_timestamp: Timestamp::default(),
            current_utc_offset: 37,
            reserved: 0,
            grandmaster_priority1: 10,
            grandmaster_clock_quality: quality,
            grandmaster_priority2: 20,
            grandmaster_identity: gm,
            steps_removed: 4,
            time_source: 0x20,
        };
        let ds = ComparisonDataSet::from_announce(&header, &body, receiver);
        assert_eq!(ds.gm_priority1, 10);
        assert_eq!(ds.gm_priority2, 20);
        assert_eq!(ds.gm_identity, gm);
        assert_eq!(ds.gm_clock_quality, quality);
        assert_eq!(ds.steps_removed, 4);
        assert_eq!(ds.sender, sender);
        assert_eq!(ds.receiver, receiver);
        assert_eq!(ds.local_priority, DEFAULT_LOCAL_PRIORITY);
        assert_eq!(ds.with_local_priority(7).local_priority, 7);
        assert_eq!(ds.with_gm_priority1(7).gm_priority1, 7);

        let dds = DefaultDs::new(ClockIdentity([9; 8]), 2);
        let d0 = ComparisonDataSet::from_default_ds(&dds);
        assert_eq!(d0.steps_removed, 0);
        assert_eq!(d0.gm_identity, dds.clock_identity);
        assert_eq!(d0.sender.clock_identity, dds.clock_identity);
        assert_eq!(d0.sender.port_number, 0);
        assert_eq!(d0.receiver, d0.sender);
        assert_eq!(d0.gm_priority1, 128);
        assert_eq!(d0.gm_clock_quality.clock_class, 248);
    }
}
