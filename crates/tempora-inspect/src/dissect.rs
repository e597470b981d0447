//! Finding PTP and NTP inside captured frames: Ethernet (with or without an
//! 802.1Q tag) carrying EtherType 0x88F7, UDP ports 319/320 and 123 over
//! IPv4 or IPv6, and TCP port 4460 (NTS-KE, RFC 8915 §4).

use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use tempora_ptp::wire::framing::{
    ETHERTYPE_PTP, ETHERTYPE_VLAN, EVENT_PORT, EthernetFrame, GENERAL_PORT,
};

/// UDP port of NTP (RFC 5905 §7.2).
pub const NTP_PORT: u16 = 123;
/// TCP port of NTS-KE (RFC 8915 §4).
pub const NTS_KE_PORT: u16 = 4460;

/// Link types this inspector understands (tcpdump.org link-layer header types).
pub mod linktype {
    /// IEEE 802.3 Ethernet.
    pub const ETHERNET: i32 = 1;
    /// Raw IP.
    pub const RAW: i32 = 101;
    /// Raw IP (older BSD value).
    pub const RAW_BSD: i32 = 12;
    /// Raw IP (older BSD value).
    pub const RAW_BSD_14: i32 = 14;
    /// Linux "cooked" capture, v1 (`tcpdump -i any` before 4.99).
    pub const LINUX_SLL: i32 = 113;
    /// Raw IPv4.
    pub const IPV4: i32 = 228;
    /// Raw IPv6.
    pub const IPV6: i32 = 229;
    /// Linux "cooked" capture, v2 (`tcpdump -i any` since 4.99).
    pub const LINUX_SLL2: i32 = 276;
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

fn mac(m: &[u8]) -> String {
    let parts: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// The link layer of a frame: the EtherType it carries, its payload, and
/// the link addresses when the capture has them.
struct Link<'a> {
    ethertype: u16,
    payload: &'a [u8],
    source: String,
    destination: String,
}

/// Strips the link-layer header: Ethernet II with at most one 802.1Q tag,
/// Linux cooked capture v1 and v2 (whose VLAN tag, if kept, is stripped too).
fn link(linktype: i32, data: &[u8]) -> Option<Link<'_>> {
    let mut link = match linktype {
        linktype::ETHERNET => {
            let f = EthernetFrame::decode(data).ok()?;
            Link {
                ethertype: f.ethertype,
                payload: f.payload,
                source: mac(&f.source),
                destination: mac(&f.destination),
            }
        }
        linktype::LINUX_SLL => {
            // packet type (2), ARPHRD (2), address length (2), address (8), protocol (2)
            let header = data.get(..16)?;
            let len = usize::from(u16::from_be_bytes([header[4], header[5]])).min(8);
            Link {
                ethertype: u16::from_be_bytes([header[14], header[15]]),
                payload: data.get(16..)?,
                source: mac(&header[6..6 + len]),
                destination: sll_packet_type(u16::from_be_bytes([header[0], header[1]])),
            }
        }
        linktype::LINUX_SLL2 => {
            // protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
            // address length (1), address (8)
            let header = data.get(..20)?;
            let len = usize::from(header[11]).min(8);
            Link {
                ethertype: u16::from_be_bytes([header[0], header[1]]),
                payload: data.get(20..)?,
                source: mac(&header[12..12 + len]),
                destination: sll_packet_type(u16::from(header[10])),
            }
        }
        linktype::RAW
        | linktype::RAW_BSD
        | linktype::RAW_BSD_14
        | linktype::IPV4
        | linktype::IPV6 => {
            let ethertype = match data.first()? >> 4 {
                4 => ETHERTYPE_IPV4,
                6 => ETHERTYPE_IPV6,
                _ => return None,
            };
            Link {
                ethertype,
                payload: data,
                source: String::new(),
                destination: String::new(),
            }
        }
        _ => return None,
    };
    if link.ethertype == ETHERTYPE_VLAN && linktype != linktype::ETHERNET {
        let inner = link.payload.get(2..4)?;
        link.ethertype = u16::from_be_bytes([inner[0], inner[1]]);
        link.payload = link.payload.get(4..)?;
    }
    Some(link)
}

/// The destination of a cooked-capture packet, from its packet type.
fn sll_packet_type(t: u16) -> String {
    match t {
        0 => "(to us)",
        1 => "(broadcast)",
        2 => "(multicast)",
        3 => "(to another host)",
        4 => "(sent by us)",
        _ => "(unknown)",
    }
    .to_string()
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Finds the PTP or NTP payload of a frame of the given link type.
pub fn dissect(linktype: i32, data: &[u8]) -> Dissected<'_> {
    let other = Dissected {
        source: String::new(),
        destination: String::new(),
        payload: Payload::Other,
    };
    let Some(link) = link(linktype, data) else {
        return other;
    };
    match link.ethertype {
        ETHERTYPE_PTP => {
            return Dissected {
                source: link.source,
                destination: link.destination,
                payload: Payload::PtpEthernet(link.payload),
            };
        }
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => {}
        _ => return other,
    }
    let Ok(sliced) = SlicedPacket::from_ip(link.payload) else {
        return other;
    };
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
