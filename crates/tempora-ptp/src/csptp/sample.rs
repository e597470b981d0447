//! A complete CSPTP exchange (IEEE P1588.1 draft; the four timestamps of
//! IEEE 1588-2019 §11.3 with the delay request-response arithmetic), and
//! the timescale its server's timestamps are on.

use tempora_clock::{Duration, Time};

use crate::wire::tlv::CsptpStatusTlv;
use crate::wire::{Flags, PortIdentity};

/// One complete exchange with a CSPTP server.
///
/// t2 and t3 are on the server's timescale (see [`CsptpSample::ptp_timescale`]);
/// t1 and t4 on the local clock's. With c_req the request's correction
/// (from the response TLV) and c_resp the response's (the Sync's and the
/// Follow_Up's `correctionField` together), as IEEE 1588-2019 §11.3.2:
/// forward = t2 − t1 − c_req, backward = t4 − t3 − c_resp,
/// θ = (forward − backward) / 2, δ = forward + backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsptpSample {
    /// The request's `sequenceId`.
    pub sequence_id: u16,
    /// The server's `sourcePortIdentity`.
    pub server: PortIdentity,
    /// t1: the request's transmit time (local clock).
    pub t1: Time,
    /// t2: the request's receive time (server's timescale).
    pub t2: Time,
    /// t3: the response's transmit time (server's timescale).
    pub t3: Time,
    /// t4: the response's receive time (local clock).
    pub t4: Time,
    /// The request path's correction (the response TLV's `reqCorrectionField`).
    pub request_correction: Duration,
    /// The response path's correction (Sync's plus Follow_Up's `correctionField`).
    pub response_correction: Duration,
    /// θ on the server's own timescale: server − local, unconverted. For a
    /// local clock on the same timescale (e.g. a TAI PTP hardware clock).
    pub server_offset: Duration,
    /// θ with the server's time converted to UTC: `server_offset` − the
    /// applied UTC offset. For a local clock on UTC (the system clock).
    pub offset: Duration,
    /// δ: round-trip delay, corrections removed.
    pub delay: Duration,
    /// TAI − UTC in seconds that `offset` subtracted (0 unless
    /// [`CsptpSample::ptp_timescale`]).
    pub utc_offset_applied: i16,
    /// The response's `flagField`: `ptpTimescale`, `currentUtcOffsetValid`,
    /// `leap59`/`leap61`, `timeTraceable`, `frequencyTraceable`.
    pub flags: Flags,
    /// The status TLV, if the server sent one.
    pub status: Option<CsptpStatusTlv>,
}

impl CsptpSample {
    /// Computes a sample from its timestamps and corrections, with
    /// `fallback_utc_offset` as TAI − UTC when the server's timestamps are
    /// on the PTP timescale and it does not announce a valid UTC offset.
    pub fn compute(
        sequence_id: u16,
        server: PortIdentity,
        (t1, t2, t3, t4): (Time, Time, Time, Time),
        (request_correction, response_correction): (Duration, Duration),
        flags: Flags,
        status: Option<CsptpStatusTlv>,
        fallback_utc_offset: i16,
    ) -> Self {
        let forward = (t2 - t1) - request_correction;
        let backward = (t4 - t3) - response_correction;
        let server_offset = (forward - backward) / 2;
        let utc_offset_applied = if flags.contains(Flags::PTP_TIMESCALE) {
            announced_utc_offset(flags, status).unwrap_or(fallback_utc_offset)
        } else {
            0
        };
        CsptpSample {
            sequence_id,
            server,
            t1,
            t2,
            t3,
            t4,
            request_correction,
            response_correction,
            server_offset,
            offset: server_offset - Duration::from_secs(i64::from(utc_offset_applied)),
            delay: forward + backward,
            utc_offset_applied,
            flags,
            status,
        }
    }

    /// Whether the server's timestamps are on the PTP timescale (TAI): its
    /// `ptpTimescale` flag (IEEE 1588-2019 §8.2.4.8).
    pub fn ptp_timescale(&self) -> bool {
        self.flags.contains(Flags::PTP_TIMESCALE)
    }

    /// TAI − UTC as the server announces it: the status TLV's
    /// `currentUtcOffset`, if it sent one and set `currentUtcOffsetValid`.
    pub fn announced_utc_offset(&self) -> Option<i16> {
        announced_utc_offset(self.flags, self.status)
    }
}

fn announced_utc_offset(flags: Flags, status: Option<CsptpStatusTlv>) -> Option<i16> {
    status
        .filter(|_| flags.contains(Flags::CURRENT_UTC_OFFSET_VALID))
        .map(|s| s.current_utc_offset)
}
