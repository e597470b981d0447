//! The TLVs of client-server PTP (CSPTP, IEEE P1588.1 draft): the request,
//! response and status TLVs. The draft is not public; the layouts are those
//! of ntpd-rs 2.0-alpha (`statime-csptp/src/messages/tlvs.rs`), checked
//! against a capture of its client and server
//! (`shared/vectors/next/csptp.pcap`).

use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};
use crate::wire::types::{ClockIdentity, ClockQuality, TimeInterval, Timestamp};

/// The CSPTP request TLV (`tlvType` 0xFF00; IEEE P1588.1 draft, ntpd-rs's
/// `CsptpRequestTlv` in `statime-csptp/src/messages/tlvs.rs`): carried by a
/// client's Sync request. Four octets: a flags octet and three reserved
/// octets, kept as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CsptpRequestTlv {
    /// The flags octet: bit 0 asks for the status TLV
    /// ([`CsptpRequestTlv::STATUS`]), bit 1 for the alternate timescale
    /// ([`CsptpRequestTlv::ALTERNATE_TIMESCALE`]); other bits are reserved.
    pub flags: u8,
    /// The three reserved octets after it.
    pub reserved: [u8; 3],
}

impl CsptpRequestTlv {
    /// Length of the value field.
    pub const VALUE_LEN: usize = 4;
    /// Flags bit 0: the client asks for the CSPTP status TLV.
    pub const STATUS: u8 = 0x01;
    /// Flags bit 1: the client asks for the alternate timescale.
    pub const ALTERNATE_TIMESCALE: u8 = 0x02;

    /// A request TLV with the given flags and zero reserved octets.
    pub fn new(status: bool, alternate_timescale: bool) -> Self {
        let mut flags = 0;
        if status {
            flags |= Self::STATUS;
        }
        if alternate_timescale {
            flags |= Self::ALTERNATE_TIMESCALE;
        }
        CsptpRequestTlv {
            flags,
            reserved: [0; 3],
        }
    }

    /// Whether the client asks for the status TLV.
    pub fn status_requested(&self) -> bool {
        self.flags & Self::STATUS != 0
    }

    /// Whether the client asks for the alternate timescale.
    pub fn alternate_timescale(&self) -> bool {
        self.flags & Self::ALTERNATE_TIMESCALE != 0
    }

    pub(crate) fn read_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let tlv = CsptpRequestTlv {
            flags: r.u8()?,
            reserved: r.array()?,
        };
        exact(&r)?;
        Ok(tlv)
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.flags)?;
        w.bytes(&self.reserved)
    }
}

/// The CSPTP response TLV (`tlvType` 0xFF01; IEEE P1588.1 draft, ntpd-rs's
/// `CsptpResponseTlv`): carried by the server's Sync response; it returns
/// what the server saw of the request, so that the server keeps no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CsptpResponseTlv {
    /// `reqIngressTimestamp`: when the request arrived at the server (t2),
    /// on the server's timescale.
    pub request_ingress_timestamp: Timestamp,
    /// `reqCorrectionField`: the request's `correctionField` as it arrived
    /// (residence times that transparent clocks added on the way in).
    pub request_correction: TimeInterval,
}

impl CsptpResponseTlv {
    /// Length of the value field.
    pub const VALUE_LEN: usize = 18;

    pub(crate) fn read_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let tlv = CsptpResponseTlv {
            request_ingress_timestamp: Timestamp::read(&mut r)?,
            request_correction: TimeInterval::read(&mut r)?,
        };
        exact(&r)?;
        Ok(tlv)
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        self.request_ingress_timestamp.write(w)?;
        self.request_correction.write(w)
    }
}

/// The CSPTP status TLV (`tlvType` 0xF002; IEEE P1588.1 draft, ntpd-rs's
/// `CsptpStatusTlv`): what an Announce would have said about the server's
/// grandmaster (compare IEEE 1588-2019 §13.5, Table 43), sent with the
/// response when the request's status flag asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CsptpStatusTlv {
    /// `grandmasterPriority1`.
    pub grandmaster_priority1: u8,
    /// `grandmasterClockQuality`.
    pub grandmaster_clock_quality: ClockQuality,
    /// `grandmasterPriority2`.
    pub grandmaster_priority2: u8,
    /// `stepsRemoved`: of the server from its grandmaster.
    pub steps_removed: u16,
    /// `currentUtcOffset`: TAI − UTC in seconds (meaningful when the
    /// response's `currentUtcOffsetValid` flag is set).
    pub current_utc_offset: i16,
    /// `grandmasterIdentity`.
    pub grandmaster_identity: ClockIdentity,
}

impl CsptpStatusTlv {
    /// Length of the value field.
    pub const VALUE_LEN: usize = 18;

    pub(crate) fn read_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let tlv = CsptpStatusTlv {
            grandmaster_priority1: r.u8()?,
            grandmaster_clock_quality: ClockQuality::read(&mut r)?,
            grandmaster_priority2: r.u8()?,
            steps_removed: r.u16()?,
            current_utc_offset: r.i16()?,
            grandmaster_identity: ClockIdentity::read(&mut r)?,
        };
        exact(&r)?;
        Ok(tlv)
    }

    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.grandmaster_priority1)?;
        self.grandmaster_clock_quality.write(w)?;
        w.u8(self.grandmaster_priority2)?;
        w.u16(self.steps_removed)?;
        w.i16(self.current_utc_offset)?;
        self.grandmaster_identity.write(w)
    }
}

/// A CSPTP TLV has a fixed layout: octets left over make it oversized.
fn exact(r: &Reader<'_>) -> Result<()> {
    if r.remaining() == 0 {
        Ok(())
    } else {
        Err(Error::ValueOutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Error;
    use crate::wire::tlv::{RawTlv, Tlv, tlv_type};

    fn decode(tlv_type: u16, value: &[u8]) -> crate::wire::Result<Tlv<'_>> {
        Tlv::decode(RawTlv { tlv_type, value })
    }

    #[test]
    fn layouts_round_trip_and_lengths_are_exact() {
        let request = [0x03, 0, 0, 0];
        let Tlv::CsptpRequest(r) = decode(tlv_type::CSPTP_REQUEST, &request).unwrap() else {
            panic!()
        };
        assert!(r.status_requested() && r.alternate_timescale());
        assert_eq!(r, CsptpRequestTlv::new(true, true));
        let response = [
            0, 0, 0, 0, 0, 200, 0, 0, 0, 100, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        ];
        let Tlv::CsptpResponse(r) = decode(tlv_type::CSPTP_RESPONSE, &response).unwrap() else {
            panic!()
        };
        assert_eq!(
            (
                r.request_ingress_timestamp.seconds,
                r.request_ingress_timestamp.nanoseconds
            ),
            (200, 100)
        );
        assert_eq!(r.request_correction, TimeInterval(-2));
        let status = [
            15, 248, 0x29, 0x80, 0, 16, 0, 4, 0xff, 0xfe, 9, 10, 11, 12, 13, 14, 15, 16,
        ];
        let Tlv::CsptpStatus(s) = decode(tlv_type::CSPTP_STATUS, &status).unwrap() else {
            panic!()
        };
        assert_eq!((s.grandmaster_priority1, s.grandmaster_priority2), (15, 16));
        assert_eq!(s.grandmaster_clock_quality.clock_accuracy, 0x29);
        assert_eq!((s.steps_removed, s.current_utc_offset), (4, -2));
        assert_eq!(
            s.grandmaster_identity,
            ClockIdentity([9, 10, 11, 12, 13, 14, 15, 16])
        );
        for (t, value) in [
            (tlv_type::CSPTP_REQUEST, &request[..]),
            (tlv_type::CSPTP_RESPONSE, &response[..]),
            (tlv_type::CSPTP_STATUS, &status[..]),
        ] {
            let tlv = decode(t, value).unwrap();
            let mut out = [0u8; 22];
            let n = tlv.encode(&mut out).unwrap();
            assert_eq!(&out[4..n], value);
            assert_eq!(&out[..2], &t.to_be_bytes());
            let mut long = value.to_vec();
            long.push(0);
            for bad in [&value[..value.len() - 1], &long[..]] {
                assert_eq!(
                    decode(t, bad),
                    Err(Error::WrongTlvLength {
                        tlv_type: t,
                        length: bad.len() as u16
                    })
                );
            }
        }
    }
}
