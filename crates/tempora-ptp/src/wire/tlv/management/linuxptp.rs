//! Data fields of linuxptp's implementation-specific management TLVs
//! (`managementId` 0xC000–0xDFFF, IEEE 1588-2019 §15.5.2.3), as laid out in
//! linuxptp's `tlv.h`.

use super::DataField;
use crate::wire::cursor::{Reader, Writer};
use crate::wire::error::{Error, Result};
use crate::wire::tlv::ScaledNs;
use crate::wire::types::{ClockIdentity, PortIdentity, PtpText};

/// TIME_STATUS_NP data field (linuxptp `struct time_status_np`, 50 octets,
/// all big-endian): the servo's view of the time source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeStatusNp {
    /// `master_offset`: offset from the master in nanoseconds.
    pub master_offset: i64,
    /// `ingress_time`: receive time of the last Sync in nanoseconds.
    pub ingress_time: i64,
    /// `cumulativeScaledRateOffset`: (rateRatio − 1) × 2^41, as in IEEE
    /// 802.1AS Follow_Up information.
    pub cumulative_scaled_rate_offset: i32,
    /// `scaledLastGmPhaseChange`.
    pub scaled_last_gm_phase_change: i32,
    /// `gmTimeBaseIndicator`.
    pub gm_time_base_indicator: u16,
    /// `lastGmPhaseChange`, a 96-bit `ScaledNs`.
    pub last_gm_phase_change: ScaledNs,
    /// `gmPresent`: nonzero when a grandmaster is present; kept as received.
    pub gm_present: i32,
    /// `gmIdentity`.
    pub gm_identity: ClockIdentity,
}

impl TimeStatusNp {
    /// Encoded size in bytes.
    pub const LEN: usize = 50;
}

impl<'a> DataField<'a> for TimeStatusNp {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(TimeStatusNp {
            master_offset: r.i64()?,
            ingress_time: r.i64()?,
            cumulative_scaled_rate_offset: r.i32()?,
            scaled_last_gm_phase_change: r.i32()?,
            gm_time_base_indicator: r.u16()?,
            last_gm_phase_change: ScaledNs::read(r)?,
            gm_present: r.i32()?,
            gm_identity: ClockIdentity::read(r)?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.i64(self.master_offset)?;
        w.i64(self.ingress_time)?;
        w.i32(self.cumulative_scaled_rate_offset)?;
        w.i32(self.scaled_last_gm_phase_change)?;
        w.u16(self.gm_time_base_indicator)?;
        self.last_gm_phase_change.write(w)?;
        w.i32(self.gm_present)?;
        self.gm_identity.write(w)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}

/// PORT_PROPERTIES_NP data field (linuxptp `struct port_properties_np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortPropertiesNp<'a> {
    /// `portIdentity`.
    pub port_identity: PortIdentity,
    /// `port_state`; see [`port_state`](super::port_state).
    pub port_state: u8,
    /// `timestamping`: linuxptp's `enum timestamp_type` (0 software,
    /// 1 hardware, 2 legacy hardware, 3 one-step, 4 P2P one-step).
    pub timestamping: u8,
    /// `interface`: the network interface name.
    pub interface: PtpText<'a>,
}

impl<'a> DataField<'a> for PortPropertiesNp<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        Ok(PortPropertiesNp {
            port_identity: PortIdentity::read(r)?,
            port_state: r.u8()?,
            timestamping: r.u8()?,
            interface: PtpText::read(r)?,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        self.port_identity.write(w)?;
        w.u8(self.port_state)?;
        w.u8(self.timestamping)?;
        self.interface.write(w)
    }
    fn encoded_len(&self) -> usize {
        self.interface
            .encoded_len()
            .saturating_add(PortIdentity::LEN + 2)
    }
}

/// Size of the PORT_STATS_NP counters in bytes.
const COUNTERS_LEN: usize = 2 * 16 * 8;

/// PORT_STATS_NP data field (linuxptp `struct port_stats_np`, 266 octets):
/// per-`messageType` counts of received and sent messages.
///
/// linuxptp sends the port number big-endian but the 64-bit counters
/// **little-endian** (`__cpu_to_le64` in its `tlv.c`); [`PortStatsNp::rx`]
/// and [`PortStatsNp::tx`] decode them accordingly. The counters are
/// borrowed, not copied, to keep [`ManagementData`](super::ManagementData)
/// small; [`PortStatsNp::encode_counters`] builds them for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortStatsNp<'a> {
    /// `portIdentity`.
    pub port_identity: PortIdentity,
    /// The counters as sent: 16 received counts indexed by `messageType`
    /// (0 Sync … 13 Management), then 16 sent counts, each a little-endian
    /// `u64`.
    pub counters: &'a [u8; COUNTERS_LEN],
}

impl PortStatsNp<'_> {
    /// Encoded size in bytes.
    pub const LEN: usize = PortIdentity::LEN + Self::COUNTERS_LEN;
    /// Size of the counters in bytes.
    pub const COUNTERS_LEN: usize = COUNTERS_LEN;

    fn counter(&self, index: usize) -> u64 {
        let mut b = [0u8; 8];
        if let Some(src) = self.counters.get(index * 8..index * 8 + 8) {
            b.copy_from_slice(src);
        }
        u64::from_le_bytes(b)
    }

    /// Received messages of `messageType` `message_type` (0–15; others give 0).
    pub fn rx(&self, message_type: u8) -> u64 {
        if message_type < 16 {
            self.counter(usize::from(message_type))
        } else {
            0
        }
    }

    /// Sent messages of `messageType` `message_type` (0–15; others give 0).
    pub fn tx(&self, message_type: u8) -> u64 {
        if message_type < 16 {
            self.counter(16 + usize::from(message_type))
        } else {
            0
        }
    }

    /// The wire form of the counters, for building a [`PortStatsNp`].
    pub fn encode_counters(rx: &[u64; 16], tx: &[u64; 16]) -> [u8; COUNTERS_LEN] {
        let mut out = [0u8; Self::COUNTERS_LEN];
        for (dst, v) in out.chunks_exact_mut(8).zip(rx.iter().chain(tx.iter())) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        out
    }
}

impl<'a> DataField<'a> for PortStatsNp<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let port_identity = PortIdentity::read(r)?;
        let counters = r.bytes(Self::COUNTERS_LEN)?;
        let counters = <&[u8; COUNTERS_LEN]>::try_from(counters).map_err(|_| Error::Truncated {
            needed: Self::LEN,
            available: 0,
        })?;
        Ok(PortStatsNp {
            port_identity,
            counters,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        self.port_identity.write(w)?;
        w.bytes(self.counters)
    }
    fn encoded_len(&self) -> usize {
        Self::LEN
    }
}
