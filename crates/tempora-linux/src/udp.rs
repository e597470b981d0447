//! PTP over UDP (IEEE 1588-2019 Annex C for IPv4, Annex D for IPv6).
//!
//! Per interface, an event socket on port 319 and a general socket on port
//! 320, both with SO_REUSEADDR, bound to the interface with SO_BINDTODEVICE
//! and to the wildcard address, and joined to the primary and peer-delay
//! multicast groups (224.0.1.129 and 224.0.0.107; FF0X::181 and FF02::6B).
//! Multicast leaves through the interface (IP_MULTICAST_IF /
//! IPV6_MULTICAST_IF) with a TTL (hop limit) of 1 and without loopback to
//! the sender, like linuxptp's `udp.c`/`udp6.c`.
//!
//! Only the event socket timestamps: a send on it returns a [`TxId`] whose
//! timestamp [`UdpTransport::recv_tx_timestamp`] delivers later from the
//! error queue, and a receive on it carries the receive timestamp.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use tempora_clock::Time;

use crate::MessageClass;
use crate::interface;
use crate::socket::{SockAddr, TsSocket, sockaddr_in, sockaddr_in6};
use crate::sys;
use crate::timestamping::{self, HwRxFilter, TimestampingMode, TxId, TxTimestamp};

/// The PTP event port (Annex C.2, D.2).
pub const EVENT_PORT: u16 = 319;
/// The PTP general port.
pub const GENERAL_PORT: u16 = 320;
/// The IPv4 primary multicast group (Annex C.3).
pub const PRIMARY_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 1, 129);
/// The IPv4 peer-delay multicast group.
pub const PDELAY_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 107);
/// The IPv6 peer-delay multicast group, FF02::6B (Annex D.3).
pub const PDELAY_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x6b);

/// The IPv6 primary multicast group FF0X::181 for a scope `X` (0x0E global
/// by default, 0x02 link-local…; only the low four bits count).
pub const fn primary_v6(scope: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xff00 | (scope as u16 & 0xf), 0, 0, 0, 0, 0, 0, 0x181)
}

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpVersion {
    /// UDP over IPv4, Annex C.
    V4,
    /// UDP over IPv6, Annex D.
    V6,
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The primary multicast group, on the class's port.
    Primary,
    /// The peer-delay multicast group, on the class's port.
    PeerDelay,
    /// One node; the caller gives the port. An IPv6 link-local address
    /// without a scope id is sent through the transport's interface.
    Unicast(SocketAddr),
}

/// How to open a [`UdpTransport`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UdpConfig {
    /// The interface to bind to and send multicast through.
    pub interface: String,
    /// IPv4 or IPv6.
    pub ip: IpVersion,
    /// Software or hardware timestamps on the event socket (hardware also
    /// switches the NIC's timestamping on, which needs CAP_NET_ADMIN).
    pub timestamping: TimestampingMode,
    /// The event port (319; other values for tests).
    pub event_port: u16,
    /// The general port (320; other values for tests).
    pub general_port: u16,
    /// The multicast TTL / hop limit (1).
    pub multicast_ttl: u8,
    /// Whether our own multicast comes back to us (false).
    pub multicast_loop: bool,
    /// The scope nibble of the IPv6 primary group FF0X::181 (0x0E).
    pub ipv6_scope: u8,
}

impl UdpConfig {
    /// The standard configuration: ports 319/320, TTL 1, no loopback,
    /// global IPv6 scope.
    pub fn new(
        interface: impl Into<String>,
        ip: IpVersion,
        timestamping: TimestampingMode,
    ) -> Self {
        UdpConfig {
            interface: interface.into(),
            ip,
            timestamping,
            event_port: EVENT_PORT,
            general_port: GENERAL_PORT,
            multicast_ttl: 1,
            multicast_loop: false,
            ipv6_scope: 0x0e,
        }
    }
}

/// A received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Received {
    /// Bytes written into the caller's buffer.
    pub len: usize,
    /// The datagram was longer than the buffer (the rest is lost).
    pub truncated: bool,
    /// The receive timestamp (event socket only; `None` if the kernel gave
    /// none).
    pub rx: Option<Time>,
    /// The sender.
    pub source: SocketAddr,
}

/// The two PTP sockets of one interface.
pub struct UdpTransport {
    config: UdpConfig,
    ifindex: u32,
    event: TsSocket,
    general: TsSocket,
}

impl std::fmt::Debug for UdpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpTransport")
            .field("config", &self.config)
            .field("ifindex", &self.ifindex)
            .field("event_fd", &self.event.raw_fd())
            .field("general_fd", &self.general.raw_fd())
            .finish()
    }
}

impl UdpTransport {
    /// Opens and sets up both sockets (see the module docs).
    pub fn open(config: UdpConfig) -> io::Result<UdpTransport> {
        let ifname = config.interface.as_str();
        sys::check_ifname(ifname)?;
        let ifindex = interface::interface_index(ifname)?;
        if config.timestamping == TimestampingMode::Hardware {
            timestamping::enable_hardware_timestamping(ifname, HwRxFilter::Udp)?;
        }
        let event = open_socket(&config, ifindex, config.event_port)
            .map_err(|e| sys::context(e, format!("PTP event socket on {ifname}")))?;
        let general = open_socket(&config, ifindex, config.general_port)
            .map_err(|e| sys::context(e, format!("PTP general socket on {ifname}")))?;
        Ok(UdpTransport {
            event: TsSocket::new(event, Some(config.timestamping))?,
            general: TsSocket::new(general, None)?,
            config,
            ifindex,
        })
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &UdpConfig {
        &self.config
    }

    /// The interface's index.
    pub fn interface_index(&self) -> u32 {
        self.ifindex
    }

    /// The event socket, to poll.
    pub fn event_fd(&self) -> BorrowedFd<'_> {
        self.event.fd()
    }

    /// The general socket, to poll.
    pub fn general_fd(&self) -> BorrowedFd<'_> {
        self.general.fd()
    }

    /// The socket address `class` and `destination` resolve to.
    pub fn destination_addr(&self, class: MessageClass, destination: Destination) -> SocketAddr {
        let port = match class {
            MessageClass::Event => self.config.event_port,
            MessageClass::General => self.config.general_port,
        };
        let v6 = |ip| SocketAddr::V6(SocketAddrV6::new(ip, port, 0, self.ifindex));
        match (destination, self.config.ip) {
            (Destination::Primary, IpVersion::V4) => SocketAddr::new(IpAddr::V4(PRIMARY_V4), port),
            (Destination::PeerDelay, IpVersion::V4) => SocketAddr::new(IpAddr::V4(PDELAY_V4), port),
            (Destination::Primary, IpVersion::V6) => v6(primary_v6(self.config.ipv6_scope)),
            (Destination::PeerDelay, IpVersion::V6) => v6(PDELAY_V6),
            (Destination::Unicast(SocketAddr::V6(a)), _)
                if a.scope_id() == 0 && a.ip().is_unicast_link_local() =>
            {
                SocketAddr::V6(SocketAddrV6::new(
                    *a.ip(),
                    a.port(),
                    a.flowinfo(),
                    self.ifindex,
                ))
            }
            (Destination::Unicast(a), _) => a,
        }
    }

    /// Sends `data`; for an event message, the id its transmit timestamp
    /// will come back with ([`UdpTransport::recv_tx_timestamp`]).
    pub fn send(
        &mut self,
        class: MessageClass,
        destination: Destination,
        data: &[u8],
    ) -> io::Result<Option<TxId>> {
        let addr = self.destination_addr(class, destination);
        let matches = matches!(
            (addr, self.config.ip),
            (SocketAddr::V4(_), IpVersion::V4) | (SocketAddr::V6(_), IpVersion::V6)
        );
        if !matches {
            return Err(sys::invalid(format!(
                "{addr} is not an {:?} address",
                self.config.ip
            )));
        }
        let addr = SockAddr::from_socket_addr(addr);
        match class {
            MessageClass::Event => self.event.send(data, &addr, true),
            MessageClass::General => self.general.send(data, &addr, false),
        }
    }

    /// Reads one entry from the event socket's error queue: the transmit
    /// timestamp of an event message, or `Ok(None)` if there was none to
    /// report. Call it when [`Readiness::error_queue`] is set for the event
    /// socket, once per report (see the crate docs on clknetsim).
    ///
    /// [`Readiness::error_queue`]: crate::poll::Readiness::error_queue
    pub fn recv_tx_timestamp(&mut self) -> io::Result<Option<TxTimestamp>> {
        self.event.recv_tx_timestamp()
    }

    /// Receives one message of `class` into `buf`, with one `recvmsg`;
    /// `Ok(None)` when none was queued. Call it when the socket is readable,
    /// once per report (see the crate docs on clknetsim).
    pub fn recv(&mut self, class: MessageClass, buf: &mut [u8]) -> io::Result<Option<Received>> {
        let sock = match class {
            MessageClass::Event => &mut self.event,
            MessageClass::General => &mut self.general,
        };
        let Some(meta) = sock.recv(buf)? else {
            return Ok(None);
        };
        // These sockets only ever receive from IP sources.
        Ok(meta.source.socket_addr().map(|source| Received {
            len: meta.len,
            truncated: meta.truncated,
            rx: meta.rx,
            source,
        }))
    }
}

impl AsRawFd for UdpTransport {
    /// The event socket's descriptor (see also [`UdpTransport::general_fd`]).
    fn as_raw_fd(&self) -> RawFd {
        self.event.raw_fd()
    }
}

fn open_socket(config: &UdpConfig, ifindex: u32, port: u16) -> io::Result<OwnedFd> {
    let ifname = config.interface.as_str();
    let idx =
        libc::c_int::try_from(ifindex).map_err(|_| sys::invalid("interface index out of range"))?;
    let (domain, level) = match config.ip {
        IpVersion::V4 => (libc::AF_INET, libc::IPPROTO_IP),
        IpVersion::V6 => (libc::AF_INET6, libc::IPPROTO_IPV6),
    };
    let fd = sys::socket(domain, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?;
    let raw = fd.as_raw_fd();
    let opt = |what: &str, r: io::Result<()>| r.map_err(|e| sys::context(e, what));
    opt(
        "SO_REUSEADDR",
        sys::setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &1 as &libc::c_int,
        ),
    )?;
    let mut name = [0u8; libc::IFNAMSIZ];
    name[..ifname.len()].copy_from_slice(ifname.as_bytes());
    opt(
        "SO_BINDTODEVICE",
        sys::setsockopt(raw, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, &name),
    )?;
    let loop_on = libc::c_int::from(config.multicast_loop);
    let ttl = libc::c_int::from(config.multicast_ttl);
    match config.ip {
        IpVersion::V4 => {
            let sa = sockaddr_in(Ipv4Addr::UNSPECIFIED, port);
            // SAFETY: `sa` is a live sockaddr_in of the length given.
            sys::cvt(unsafe {
                libc::bind(
                    raw,
                    (&sa as *const libc::sockaddr_in).cast(),
                    sys::socklen_of::<libc::sockaddr_in>()?,
                )
            })
            .map_err(|e| sys::context(e, format!("bind to port {port}")))?;
            let mreqn = |group: Ipv4Addr| libc::ip_mreqn {
                imr_multiaddr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(group.octets()),
                },
                imr_address: libc::in_addr { s_addr: 0 },
                imr_ifindex: idx,
            };
            opt(
                "IP_MULTICAST_IF",
                sys::setsockopt(
                    raw,
                    level,
                    libc::IP_MULTICAST_IF,
                    &mreqn(Ipv4Addr::UNSPECIFIED),
                ),
            )?;
            for group in [PRIMARY_V4, PDELAY_V4] {
                sys::setsockopt(raw, level, libc::IP_ADD_MEMBERSHIP, &mreqn(group))
                    .map_err(|e| sys::context(e, format!("joining {group}")))?;
            }
            opt(
                "IP_MULTICAST_LOOP",
                sys::setsockopt(raw, level, libc::IP_MULTICAST_LOOP, &loop_on),
            )?;
            opt(
                "IP_MULTICAST_TTL",
                sys::setsockopt(raw, level, libc::IP_MULTICAST_TTL, &ttl),
            )?;
        }
        IpVersion::V6 => {
            opt(
                "IPV6_V6ONLY",
                sys::setsockopt(raw, level, libc::IPV6_V6ONLY, &1 as &libc::c_int),
            )?;
            let sa = sockaddr_in6(Ipv6Addr::UNSPECIFIED, port, 0);
            // SAFETY: `sa` is a live sockaddr_in6 of the length given.
            sys::cvt(unsafe {
                libc::bind(
                    raw,
                    (&sa as *const libc::sockaddr_in6).cast(),
                    sys::socklen_of::<libc::sockaddr_in6>()?,
                )
            })
            .map_err(|e| sys::context(e, format!("bind to port {port}")))?;
            opt(
                "IPV6_MULTICAST_IF",
                sys::setsockopt(raw, level, libc::IPV6_MULTICAST_IF, &idx),
            )?;
            for group in [primary_v6(config.ipv6_scope), PDELAY_V6] {
                let mreq = libc::ipv6_mreq {
                    ipv6mr_multiaddr: libc::in6_addr {
                        s6_addr: group.octets(),
                    },
                    ipv6mr_interface: ifindex as _,
                };
                sys::setsockopt(raw, level, libc::IPV6_ADD_MEMBERSHIP, &mreq)
                    .map_err(|e| sys::context(e, format!("joining {group}")))?;
            }
            opt(
                "IPV6_MULTICAST_LOOP",
                sys::setsockopt(raw, level, libc::IPV6_MULTICAST_LOOP, &loop_on),
            )?;
            opt(
                "IPV6_MULTICAST_HOPS",
                sys::setsockopt(raw, level, libc::IPV6_MULTICAST_HOPS, &ttl),
            )?;
        }
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_destinations() {
        assert_eq!(primary_v6(0x0e).to_string(), "ff0e::181");
        assert_eq!(primary_v6(0x02).to_string(), "ff02::181");
        assert_eq!(primary_v6(0xf5).to_string(), "ff05::181");
        assert_eq!(PDELAY_V6.to_string(), "ff02::6b");
        assert_eq!(PRIMARY_V4.to_string(), "224.0.1.129");
        assert_eq!(PDELAY_V4.to_string(), "224.0.0.107");
    }

    #[test]
    fn bad_interfaces_fail_cleanly() {
        let cfg = UdpConfig::new("nosuchif0", IpVersion::V4, TimestampingMode::Software);
        let e = UdpTransport::open(cfg).unwrap_err();
        assert!(e.to_string().contains("nosuchif0"), "{e}");
        let cfg = UdpConfig::new("", IpVersion::V6, TimestampingMode::Software);
        assert_eq!(
            UdpTransport::open(cfg).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
