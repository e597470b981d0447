//! How PTP messages are carried: UDP over IPv4 (IEEE 1588-2019 Annex C), UDP
//! over IPv6 (Annex D) and IEEE 802.3 Ethernet (Annex E).

use core::net::{Ipv4Addr, Ipv6Addr};

use super::cursor::{Reader, Writer};
use super::error::{Error, Result};
use super::header::MessageType;

/// UDP port of event messages (Annex C.2, D.2).
pub const EVENT_PORT: u16 = 319;
/// UDP port of general messages (Annex C.2, D.2).
pub const GENERAL_PORT: u16 = 320;

/// The UDP destination port for a message type: event messages go to 319,
/// general ones to 320.
pub fn udp_port_for(message_type: MessageType) -> u16 {
    if message_type.is_event() {
        EVENT_PORT
    } else {
        GENERAL_PORT
    }
}

/// IPv4 multicast group for all messages but the peer delay ones (Annex C.3).
pub const IPV4_PRIMARY: Ipv4Addr = Ipv4Addr::new(224, 0, 1, 129);
/// IPv4 multicast group for peer delay messages (Annex C.3).
pub const IPV4_PDELAY: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 107);
/// IPv6 multicast group for peer delay messages, link-local `FF02::6B` (Annex D.3).
pub const IPV6_PDELAY: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x6b);

/// IPv6 multicast group `FF0X::181` for all messages but the peer delay ones,
/// with scope `X` (Annex D.3): 2 link-local, 5 site-local, E global.
pub fn ipv6_primary(scope: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xff00 | u16::from(scope & 0x0f), 0, 0, 0, 0, 0, 0, 0x181)
}

/// EtherType of PTP (Annex E.2).
pub const ETHERTYPE_PTP: u16 = 0x88f7;
/// EtherType (TPID) of an IEEE 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// Destination MAC for all messages but the peer delay ones (Annex E.3).
pub const MAC_PRIMARY: [u8; 6] = [0x01, 0x1b, 0x19, 0x00, 0x00, 0x00];
/// Destination MAC for peer delay messages, not forwarded by bridges (Annex E.3).
pub const MAC_PDELAY: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];

/// An IEEE 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// Tag control information: priority (3 bits), DEI (1), VLAN id (12).
    pub tci: u16,
}

impl VlanTag {
    /// The VLAN identifier.
    pub fn vlan_id(&self) -> u16 {
        self.tci & 0x0fff
    }

    /// The priority code point.
    pub fn priority(&self) -> u8 {
        (self.tci >> 13) as u8
    }
}

/// An Ethernet II frame (without FCS), with at most one 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetFrame<'a> {
    /// Destination MAC.
    pub destination: [u8; 6],
    /// Source MAC.
    pub source: [u8; 6],
    /// The VLAN tag, if any.
    pub vlan: Option<VlanTag>,
    /// The EtherType after any tag.
    pub ethertype: u16,
    /// The payload, including any padding to the minimum frame size.
    pub payload: &'a [u8],
}

impl<'a> EthernetFrame<'a> {
    /// Decodes a frame.
    pub fn decode(buf: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(buf);
        let destination = r.array()?;
        let source = r.array()?;
        let mut ethertype = r.u16()?;
        let mut vlan = None;
        if ethertype == ETHERTYPE_VLAN {
            vlan = Some(VlanTag { tci: r.u16()? });
            ethertype = r.u16()?;
        }
        Ok(EthernetFrame {
            destination,
            source,
            vlan,
            ethertype,
            payload: r.rest(),
        })
    }

    /// Decodes a frame and checks that it carries PTP.
    pub fn decode_ptp(buf: &'a [u8]) -> Result<Self> {
        let frame = Self::decode(buf)?;
        if frame.ethertype != ETHERTYPE_PTP {
            return Err(Error::NotPtp);
        }
        Ok(frame)
    }

    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        14 + if self.vlan.is_some() { 4 } else { 0 } + self.payload.len()
    }

    /// Encodes the frame into `buf`, returning the bytes written.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        w.bytes(&self.destination)?;
        w.bytes(&self.source)?;
        if let Some(tag) = self.vlan {
            w.u16(ETHERTYPE_VLAN)?;
            w.u16(tag.tci)?;
        }
        w.u16(self.ethertype)?;
        w.bytes(self.payload)?;
        Ok(w.position())
    }
}

/// The destination MAC for a message type over Ethernet (Annex E.3): peer
/// delay messages go to the non-forwardable address.
pub fn mac_for(message_type: MessageType) -> [u8; 6] {
    match message_type {
        MessageType::PdelayReq | MessageType::PdelayResp | MessageType::PdelayRespFollowUp => {
            MAC_PDELAY
        }
        _ => MAC_PRIMARY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_and_untagged() {
        let untagged = [
            0x01, 0x1b, 0x19, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0x88, 0xf7, 0xaa, 0xbb,
        ];
        let f = EthernetFrame::decode_ptp(&untagged).unwrap();
        assert_eq!(
            (f.destination, f.vlan, f.payload),
            (MAC_PRIMARY, None, &[0xaa, 0xbb][..])
        );
        let mut out = [0u8; 16];
        assert_eq!(f.encode(&mut out).unwrap(), 16);
        assert_eq!(out, untagged);

        let tagged = [
            0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0xa0, 0x64, 0x88, 0xf7,
            0xcc,
        ];
        let f = EthernetFrame::decode_ptp(&tagged).unwrap();
        let tag = f.vlan.unwrap();
        assert_eq!((tag.vlan_id(), tag.priority()), (100, 5));
        let mut out = [0u8; 19];
        f.encode(&mut out).unwrap();
        assert_eq!(out, tagged);
        assert_eq!(
            EthernetFrame::decode_ptp(&tagged[..12]).unwrap_err(),
            Error::Truncated {
                needed: 14,
                available: 12
            }
        );
        let mut ip = untagged;
        ip[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(EthernetFrame::decode_ptp(&ip).unwrap_err(), Error::NotPtp);
    }

    #[test]
    fn addresses() {
        assert_eq!(ipv6_primary(0xe).segments()[0], 0xff0e);
        assert_eq!(udp_port_for(MessageType::DelayReq), 319);
        assert_eq!(udp_port_for(MessageType::DelayResp), 320);
        assert_eq!(mac_for(MessageType::PdelayResp), MAC_PDELAY);
    }
}
