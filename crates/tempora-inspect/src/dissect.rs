//! Finding PTP and NTP inside captured frames: Ethernet (with or without an
//! 802.1Q tag) carrying EtherType 0x88F7, UDP ports 319/320 and 123 over
//! IPv4 or IPv6, and TCP port 4460 (NTS-KE, RFC 8915 §4).

use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use tempora_ptp::wire::framing::{ETHERTYPE_PTP, EVENT_PORT, EthernetFrame, GENERAL_PORT};

/// UDP port of NTP (RFC 5905 §7.2).
pub const NTP_PORT: u16 = 123;
/// TCP port of NTS-KE (RFC 8915 §4).
pub const NTS_KE_PORT: u16 = 4460;

/// Link types this inspector understands (tcpdump.org link-layer header types).
mod linktype {
    pub const ETHERNET: i32 = 1;
    pub const RAW: i32 = 101;
    pub const RAW_BSD: i32 = 12;
    pub const RAW_BSD_14: i32 = 14;
    pub const LINUX_SLL: i32 = 113;
    pub const IPV4: i32 = 228;
    pub const IPV6: i32 = 229;
}

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// A PTP message over Ethernet (IEEE 1588-2019 Annex E).
    PtpEthernet(&'a [u8]),
    /// A PTP message over UDP (Annex C, D).
    PtpUdp(&'a [u8]),
    /// An NTP packet over UDP.
    Ntp(&'a [u8]),
    /// A segment of an NTS-KE (TLS) connection, with its TCP payload.
    NtsKe(&'a [u8]),
    /// Anything else.
    Other,
}

/// A frame's endpoints and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dissected<'a> {
    /// Source: `MAC`, `IPv4:port` or `[IPv6]:port`.
    pub source: String,
    /// Destination, formatted like `source`.
    pub destination: String,
    /// What the frame carries.
    pub payload: Payload<'a>,
}

fn mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Finds the PTP or NTP payload of a frame of the given link type.
pub fn dissect(linktype: i32, data: &[u8]) -> Dissected<'_> {
    let other = Dissected {
        source: String::new(),
        destination: String::new(),
        payload: Payload::Other,
    };
    if linktype == linktype::ETHERNET {
        if let Ok(frame) = EthernetFrame::decode(data) {
            if frame.ethertype == ETHERTYPE_PTP {
                return Dissected {
                    source: mac(&frame.source),
                    destination: mac(&frame.destination),
                    payload: Payload::PtpEthernet(frame.payload),
                };
            }
        }
    }
    let sliced = match linktype {
        linktype::ETHERNET => SlicedPacket::from_ethernet(data),
        linktype::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        linktype::RAW
        | linktype::RAW_BSD
        | linktype::RAW_BSD_14
        | linktype::IPV4
        | linktype::IPV6 => SlicedPacket::from_ip(data),
        _ => return other,
    };
    let Ok(sliced) = sliced else { return other };
    let (src, dst) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
        ),
        _ => return other,
    };
    match &sliced.transport {
        Some(TransportSlice::Udp(udp)) => {
            let (sp, dp) = (udp.source_port(), udp.destination_port());
            let ptp_port = |p| p == EVENT_PORT || p == GENERAL_PORT;
            let payload = if ptp_port(dp) || ptp_port(sp) {
                Payload::PtpUdp(udp.payload())
            } else if dp == NTP_PORT || sp == NTP_PORT {
                Payload::Ntp(udp.payload())
            } else {
                Payload::Other
            };
            Dissected {
                source: endpoint(src, sp),
                destination: endpoint(dst, dp),
                payload,
            }
        }
        Some(TransportSlice::Tcp(tcp)) => {
            let (sp, dp) = (tcp.source_port(), tcp.destination_port());
            let payload = if sp == NTS_KE_PORT || dp == NTS_KE_PORT {
                Payload::NtsKe(tcp.payload())
            } else {
                Payload::Other
            };
            Dissected {
                source: endpoint(src, sp),
                destination: endpoint(dst, dp),
                payload,
            }
        }
        _ => other,
    }
}
