//! PTP over Ethernet (IEEE 1588-2019 Annex E): an `AF_PACKET`/`SOCK_RAW`
//! socket for EtherType 0x88F7 bound to the interface, member of the
//! multicast addresses 01:1B:19:00:00:00 (primary) and 01:80:C2:00:00:0E
//! (peer delay), timestamping like the UDP event socket.
//!
//! Frames are sent with a full Ethernet header whose source is the
//! interface's MAC; received frames give back their payload (after one
//! 802.1Q tag, if the NIC left one in the frame) and the source MAC.
//!
//! clknetsim does not simulate packet sockets: under it, use UDP.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use tempora_clock::Time;

use crate::MessageClass;
use crate::interface::{self, MacAddr};
use crate::socket::{SockAddr, TsSocket};
use crate::sys;
use crate::timestamping::{self, HwRxFilter, TimestampingMode, TxId, TxTimestamp};

/// PTP's EtherType.
pub const ETHERTYPE_PTP: u16 = 0x88f7;
/// The 802.1Q VLAN tag's EtherType.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// The Ethernet header length without a VLAN tag.
pub const ETH_HEADER_LEN: usize = 14;

/// Where a frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawDestination {
    /// 01:1B:19:00:00:00.
    Primary,
    /// 01:80:C2:00:00:0E.
    PeerDelay,
    /// One node.
    Unicast(MacAddr),
}

impl RawDestination {
    /// The destination MAC.
    pub const fn mac(self) -> MacAddr {
        match self {
            RawDestination::Primary => MacAddr::PTP_PRIMARY,
            RawDestination::PeerDelay => MacAddr::PTP_PDELAY,
            RawDestination::Unicast(m) => m,
        }
    }
}

/// How to open a [`RawTransport`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawConfig {
    /// The interface.
    pub interface: String,
    /// Software or hardware timestamps (hardware also switches the NIC's
    /// timestamping on, which needs CAP_NET_ADMIN).
    pub timestamping: TimestampingMode,
}

/// A frame's header fields and where its payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParsedFrame {
    /// The destination MAC.
    pub destination: MacAddr,
    /// The source MAC.
    pub source: MacAddr,
    /// The VLAN id of the 802.1Q tag that was stripped, if any.
    pub vlan: Option<u16>,
    /// The EtherType after the tag.
    pub ethertype: u16,
    /// Where the payload starts in the frame.
    pub payload_offset: usize,
}

/// Parses an Ethernet header (and one 802.1Q tag); `None` if the frame is
/// too short.
pub fn parse_frame(frame: &[u8]) -> Option<ParsedFrame> {
    let mac =
        |at: usize| -> Option<MacAddr> { Some(MacAddr(frame.get(at..at + 6)?.try_into().ok()?)) };
    let u16_at = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(frame.get(at..at + 2)?.try_into().ok()?))
    };
    let destination = mac(0)?;
    let source = mac(6)?;
    let mut ethertype = u16_at(12)?;
    let mut payload_offset = ETH_HEADER_LEN;
    let mut vlan = None;
    if ethertype == ETHERTYPE_VLAN {
        vlan = Some(u16_at(14)? & 0x0fff);
        ethertype = u16_at(16)?;
        payload_offset += 4;
    }
    Some(ParsedFrame {
        destination,
        source,
        vlan,
        ethertype,
        payload_offset,
    })
}

/// Writes an untagged PTP frame (`destination`, `source`, 0x88F7,
/// `payload`) into `out`, replacing its contents.
pub fn build_frame(out: &mut Vec<u8>, destination: MacAddr, source: MacAddr, payload: &[u8]) {
    out.clear();
    out.extend_from_slice(&destination.0);
    out.extend_from_slice(&source.0);
    out.extend_from_slice(&ETHERTYPE_PTP.to_be_bytes());
    out.extend_from_slice(payload);
}

/// A received PTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawReceived {
    /// Payload bytes written into the caller's buffer.
    pub len: usize,
    /// The payload did not fit the caller's buffer (or the frame ours).
    pub truncated: bool,
    /// The receive timestamp, if the kernel gave one.
    pub rx: Option<Time>,
    /// The sender's MAC.
    pub source: MacAddr,
    /// The destination MAC (multicast or ours).
    pub destination: MacAddr,
    /// The VLAN id of a tag found in the frame.
    pub vlan: Option<u16>,
}

/// How many unwanted frames one `recv` call skips at most.
const MAX_SKIPPED: usize = 64;

/// The largest frame read (a jumbo frame; PTP messages are far smaller).
const FRAME_BUF: usize = 9216;

/// PTP over Ethernet on one interface.
pub struct RawTransport {
    config: RawConfig,
    ifindex: u32,
    mac: MacAddr,
    sock: TsSocket,
    frame: Vec<u8>,
}

impl std::fmt::Debug for RawTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTransport")
            .field("config", &self.config)
            .field("ifindex", &self.ifindex)
            .field("mac", &self.mac)
            .field("fd", &self.sock.raw_fd())
            .finish()
    }
}

fn sockaddr_ll(ifindex: libc::c_int, dst: Option<MacAddr>) -> libc::sockaddr_ll {
    let mut addr = [0u8; 8];
    if let Some(d) = dst {
        addr[..6].copy_from_slice(&d.0);
    }
    libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as libc::c_ushort,
        sll_protocol: ETHERTYPE_PTP.to_be(),
        sll_ifindex: ifindex,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: if dst.is_some() { 6 } else { 0 },
        sll_addr: addr,
    }
}

impl RawTransport {
    /// Opens the socket on `config.interface` and joins the PTP multicast
    /// addresses.
    pub fn open(config: RawConfig) -> io::Result<RawTransport> {
        let ifname = config.interface.as_str();
        sys::check_ifname(ifname)?;
        let ifindex = interface::interface_index(ifname)?;
        let mac = interface::mac_address(ifname)?;
        let idx = libc::c_int::try_from(ifindex)
            .map_err(|_| sys::invalid("interface index out of range"))?;
        if config.timestamping == TimestampingMode::Hardware {
            timestamping::enable_hardware_timestamping(ifname, HwRxFilter::Ethernet)?;
        }
        let what = |e| sys::context(e, format!("PTP Ethernet socket on {ifname}"));
        let fd = sys::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW,
            libc::c_int::from(ETHERTYPE_PTP.to_be()),
        )
        .map_err(what)?;
        let sa = sockaddr_ll(idx, None);
        // SAFETY: `sa` is a live sockaddr_ll of the length given.
        sys::cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_ll).cast(),
                sys::socklen_of::<libc::sockaddr_ll>()?,
            )
        })
        .map_err(|e| sys::context(e, format!("binding to {ifname}")))?;
        for group in [MacAddr::PTP_PRIMARY, MacAddr::PTP_PDELAY] {
            let mut address = [0u8; 8];
            address[..6].copy_from_slice(&group.0);
            let mreq = libc::packet_mreq {
                mr_ifindex: idx,
                mr_type: libc::PACKET_MR_MULTICAST as libc::c_ushort,
                mr_alen: 6,
                mr_address: address,
            };
            sys::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                &mreq,
            )
            .map_err(|e| sys::context(e, format!("joining {group} on {ifname}")))?;
        }
        Ok(RawTransport {
            sock: TsSocket::new(fd, Some(config.timestamping))?,
            config,
            ifindex,
            mac,
            frame: Vec::with_capacity(FRAME_BUF),
        })
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &RawConfig {
        &self.config
    }

    /// The interface's MAC, the source of every frame sent.
    pub fn mac(&self) -> MacAddr {
        self.mac
    }

    /// The interface's index.
    pub fn interface_index(&self) -> u32 {
        self.ifindex
    }

    /// The socket, to poll.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.fd()
    }

    /// Sends `payload` in a frame to `destination`. Every frame is
    /// timestamped (one socket carries both classes); an event message gets
    /// the id its timestamp comes back with, a general message's timestamp
    /// is dropped.
    pub fn send(
        &mut self,
        class: MessageClass,
        destination: RawDestination,
        payload: &[u8],
    ) -> io::Result<Option<TxId>> {
        let dst = destination.mac();
        let mut frame = std::mem::take(&mut self.frame);
        build_frame(&mut frame, dst, self.mac, payload);
        let idx = libc::c_int::try_from(self.ifindex).unwrap_or(0);
        let addr = SockAddr::Ll(sockaddr_ll(idx, Some(dst)));
        let r = self.sock.send(&frame, &addr, class == MessageClass::Event);
        self.frame = frame;
        r
    }

    /// Reads one entry from the error queue: the transmit timestamp of an
    /// event message, or `Ok(None)` if there was none to report (the queue
    /// was empty, or the entry was a general message's timestamp, which is
    /// dropped). Call it when the socket's error queue is reported ready.
    pub fn recv_tx_timestamp(&mut self) -> io::Result<Option<TxTimestamp>> {
        self.sock.recv_tx_timestamp()
    }

    /// Receives one PTP frame and copies its payload into `buf`; `Ok(None)`
    /// when none is queued. Frames of other EtherTypes and our own outgoing
    /// frames are skipped (at most 64 per call, then `Ok(None)`).
    pub fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<RawReceived>> {
        let mut frame = std::mem::take(&mut self.frame);
        frame.resize(FRAME_BUF, 0);
        let r = self.recv_into(&mut frame, buf);
        self.frame = frame;
        r
    }

    fn recv_into(&mut self, frame: &mut [u8], buf: &mut [u8]) -> io::Result<Option<RawReceived>> {
        for _ in 0..MAX_SKIPPED {
            let Some(meta) = self.sock.recv(frame)? else {
                return Ok(None);
            };
            if meta
                .source
                .link_addr()
                .is_some_and(|ll| ll.sll_pkttype == libc::PACKET_OUTGOING)
            {
                continue;
            }
            let data = frame.get(..meta.len).unwrap_or(&[]);
            let Some(parsed) = parse_frame(data) else {
                continue;
            };
            if parsed.ethertype != ETHERTYPE_PTP {
                continue;
            }
            let payload = data.get(parsed.payload_offset..).unwrap_or(&[]);
            let n = payload.len().min(buf.len());
            buf[..n].copy_from_slice(&payload[..n]);
            return Ok(Some(RawReceived {
                len: n,
                truncated: meta.truncated || n < payload.len(),
                rx: meta.rx,
                source: parsed.source,
                destination: parsed.destination,
                vlan: parsed.vlan,
            }));
        }
        Ok(None)
    }
}

impl AsRawFd for RawTransport {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let src = MacAddr([2, 0, 0, 0, 0, 1]);
        let mut f = Vec::new();
        build_frame(&mut f, MacAddr::PTP_PRIMARY, src, b"ptp");
        assert_eq!(f.len(), 17);
        let p = parse_frame(&f).unwrap();
        assert_eq!(p.destination, MacAddr::PTP_PRIMARY);
        assert_eq!(p.source, src);
        assert_eq!(p.ethertype, ETHERTYPE_PTP);
        assert_eq!(p.vlan, None);
        assert_eq!(&f[p.payload_offset..], b"ptp");
    }

    #[test]
    fn one_vlan_tag_is_stripped() {
        let mut f = Vec::new();
        f.extend_from_slice(&MacAddr::PTP_PDELAY.0);
        f.extend_from_slice(&[2, 0, 0, 0, 0, 9]);
        f.extend_from_slice(&[0x81, 0x00, 0x20, 0x64]); // PCP 1, VID 100
        f.extend_from_slice(&[0x88, 0xf7]);
        f.extend_from_slice(b"body");
        let p = parse_frame(&f).unwrap();
        assert_eq!(p.vlan, Some(100));
        assert_eq!(p.ethertype, ETHERTYPE_PTP);
        assert_eq!(&f[p.payload_offset..], b"body");
        for n in 0..18 {
            assert!(parse_frame(&f[..n]).is_none(), "{n}");
        }
        assert!(parse_frame(&f[..18]).is_some());
    }

    #[test]
    fn destinations() {
        assert_eq!(
            RawDestination::Primary.mac().to_string(),
            "01:1b:19:00:00:00"
        );
        assert_eq!(
            RawDestination::PeerDelay.mac().to_string(),
            "01:80:c2:00:00:0e"
        );
        let m = MacAddr([2, 1, 1, 1, 1, 1]);
        assert_eq!(RawDestination::Unicast(m).mac(), m);
    }

    #[test]
    fn missing_interface_fails_cleanly() {
        let cfg = RawConfig {
            interface: "nosuchif0".into(),
            timestamping: TimestampingMode::Software,
        };
        let e = RawTransport::open(cfg).unwrap_err();
        assert!(e.to_string().contains("nosuchif0"), "{e}");
    }
}
