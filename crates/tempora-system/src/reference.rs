//! The kinds of primary reference a reference clock stands for, with the
//! NTP reference identifier and PTP `timeSource` each is served with.

/// `timeSource` GNSS (IEEE 1588-2019 §7.6.2.8, Table 6).
pub const TIME_SOURCE_GNSS: u8 = 0x20;
/// `timeSource` PTP (Table 6).
pub const TIME_SOURCE_PTP: u8 = 0x40;
/// `timeSource` NTP (Table 6).
pub const TIME_SOURCE_NTP: u8 = 0x50;
/// `timeSource` OTHER (Table 6).
pub const TIME_SOURCE_OTHER: u8 = 0x90;
/// `timeSource` INTERNAL_OSCILLATOR (Table 6).
pub const TIME_SOURCE_INTERNAL_OSCILLATOR: u8 = 0xa0;

/// What a reference clock is a reference of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A GNSS receiver's time (gpsd, NMEA, SHM or SOCK from a receiver).
    Gnss,
    /// A pulse per second (in practice a GNSS receiver's).
    Pps,
    /// Another PTP hardware clock (a NIC's, or a VM's `ptp_kvm`).
    Phc,
}

impl ReferenceKind {
    /// The reference identifier an NTP server at stratum 1 sends (RFC 5905
    /// §7.3, "refid": four ASCII characters for a stratum-1 reference;
    /// `GPS`, `PPS` as in the RFC's list, `PHC` as chrony's PHC refclock
    /// default names it).
    pub fn reference_id(self) -> [u8; 4] {
        match self {
            ReferenceKind::Gnss => *b"GPS\0",
            ReferenceKind::Pps => *b"PPS\0",
            ReferenceKind::Phc => *b"PHC\0",
        }
    }

    /// The PTP `timeSource` (IEEE 1588-2019 §7.6.2.8, Table 6): GNSS for a
    /// receiver and its PPS, OTHER for a PHC (whose own source Tempora does
    /// not know: a host's clock behind `ptp_kvm` may itself be NTP).
    pub fn time_source(self) -> u8 {
        match self {
            ReferenceKind::Gnss | ReferenceKind::Pps => TIME_SOURCE_GNSS,
            ReferenceKind::Phc => TIME_SOURCE_OTHER,
        }
    }

    /// A short name: `gnss`, `pps`, `phc`.
    pub fn name(self) -> &'static str {
        match self {
            ReferenceKind::Gnss => "gnss",
            ReferenceKind::Pps => "pps",
            ReferenceKind::Phc => "phc",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_time_sources() {
        assert_eq!(&ReferenceKind::Gnss.reference_id(), b"GPS\0");
        assert_eq!(&ReferenceKind::Pps.reference_id(), b"PPS\0");
        assert_eq!(&ReferenceKind::Phc.reference_id(), b"PHC\0");
        assert_eq!(ReferenceKind::Gnss.time_source(), 0x20);
        assert_eq!(ReferenceKind::Pps.time_source(), 0x20);
        assert_eq!(ReferenceKind::Phc.time_source(), 0x90);
    }
}
