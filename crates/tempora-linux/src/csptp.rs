//! Client-server PTP's sockets: an event socket (Sync requests and
//! responses, timestamped both ways, in software or hardware) and a general
//! socket (Follow_Up) on the next port, both bound to one local address
//! (PTP's ports 319 and 320 by default, IEEE 1588-2019 Annex C.2/D.2) and
//! optionally to one interface (SO_BINDTODEVICE). The same pair serves a
//! CSPTP server (bound to its listen address) and a CSPTP client (bound to
//! the wildcard address of the server's family), which tells its servers
//! apart by their addresses.
//!
//! Both sockets have SO_REUSEADDR, so that they live beside PTP ports on
//! other interfaces (whose sockets are bound to the wildcard address and
//! their device); with `reuse_port`, SO_REUSEPORT too, for the worker
//! loops of a server.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::socket::{SockAddr, TsSocket};
use crate::sys;
use crate::timestamping::{self, HwRxFilter, TimestampingMode, TxId, TxTimestamp};
use crate::udp_client::ClientDatagram;

/// How to open a [`CsptpSockets`] pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CsptpBind {
    /// The local address and event port; the general port is the next.
    pub local: SocketAddr,
    /// The interface to bind both sockets to, if any.
    pub interface: Option<String>,
    /// Software or hardware timestamps on the event socket (hardware needs
    /// `interface`, and switches the NIC's timestamping on).
    pub timestamping: TimestampingMode,
    /// SO_REUSEPORT (several pairs on one address share its datagrams).
    pub reuse_port: bool,
}

/// The event and general sockets of a CSPTP client or server.
pub struct CsptpSockets {
    event: TsSocket,
    general: TsSocket,
    bind: CsptpBind,
}

impl std::fmt::Debug for CsptpSockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsptpSockets")
            .field("bind", &self.bind)
            .field("event_fd", &self.event.raw_fd())
            .field("general_fd", &self.general.raw_fd())
            .finish()
    }
}

impl CsptpSockets {
    /// Opens and binds both sockets.
    pub fn open(bind: CsptpBind) -> io::Result<CsptpSockets> {
        if let Some(name) = &bind.interface {
            sys::check_ifname(name)?;
        }
        if bind.timestamping == TimestampingMode::Hardware {
            let Some(name) = &bind.interface else {
                return Err(sys::invalid("hardware timestamps need an interface"));
            };
            timestamping::enable_hardware_timestamping(name, HwRxFilter::Udp)?;
        }
        let general_port = bind
            .local
            .port()
            .checked_add(1)
            .ok_or_else(|| sys::invalid("no general port after 65535"))?;
        let event = open_socket(&bind, bind.local)
            .map_err(|e| sys::context(e, format!("CSPTP event socket {}", bind.local)))?;
        let general_addr = SocketAddr::new(bind.local.ip(), general_port);
        let general = open_socket(&bind, general_addr)
            .map_err(|e| sys::context(e, format!("CSPTP general socket {general_addr}")))?;
        Ok(CsptpSockets {
            event: TsSocket::new(event, Some(bind.timestamping))?,
            general: TsSocket::new(general, None)?,
            bind,
        })
    }

    /// What it was opened with.
    pub fn bind(&self) -> &CsptpBind {
        &self.bind
    }

    /// The event socket's descriptor, to poll (readable, error queue).
    pub fn event_fd(&self) -> RawFd {
        self.event.raw_fd()
    }

    /// The general socket's descriptor, to poll.
    pub fn general_fd(&self) -> RawFd {
        self.general.raw_fd()
    }

    /// Sends an event message (Sync) to `to`; the id its transmit
    /// timestamp will come back with.
    pub fn send_event(&mut self, data: &[u8], to: SocketAddr) -> io::Result<Option<TxId>> {
        self.event.send(data, &SockAddr::from_socket_addr(to), true)
    }

    /// Sends a general message (Follow_Up) to `to`.
    pub fn send_general(&mut self, data: &[u8], to: SocketAddr) -> io::Result<()> {
        self.general
            .send(data, &SockAddr::from_socket_addr(to), false)
            .map(drop)
    }

    /// Reads one transmit timestamp of the event socket, if one is queued.
    pub fn recv_tx_timestamp(&mut self) -> io::Result<Option<TxTimestamp>> {
        self.event.recv_tx_timestamp()
    }

    /// Receives one event message, with its receive timestamp.
    pub fn recv_event(&mut self, buf: &mut [u8]) -> io::Result<Option<ClientDatagram>> {
        Ok(self
            .event
            .recv(buf)?
            .as_ref()
            .map(ClientDatagram::from_meta))
    }

    /// Receives one general message.
    pub fn recv_general(&mut self, buf: &mut [u8]) -> io::Result<Option<ClientDatagram>> {
        Ok(self
            .general
            .recv(buf)?
            .as_ref()
            .map(ClientDatagram::from_meta))
    }
}

fn open_socket(bind: &CsptpBind, local: SocketAddr) -> io::Result<OwnedFd> {
    let domain = match local.ip() {
        IpAddr::V4(_) => libc::AF_INET,
        IpAddr::V6(_) => libc::AF_INET6,
    };
    let fd = sys::socket(domain, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?;
    let raw = fd.as_raw_fd();
    let one = &1 as &libc::c_int;
    sys::setsockopt(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, one)
        .map_err(|e| sys::context(e, "SO_REUSEADDR"))?;
    if bind.reuse_port {
        sys::setsockopt(raw, libc::SOL_SOCKET, libc::SO_REUSEPORT, one)
            .map_err(|e| sys::context(e, "SO_REUSEPORT"))?;
    }
    if local.is_ipv6() {
        sys::setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, one)
            .map_err(|e| sys::context(e, "IPV6_V6ONLY"))?;
    }
    if let Some(name) = &bind.interface {
        let mut ifname = [0u8; libc::IFNAMSIZ];
        let n = name.len().min(libc::IFNAMSIZ - 1);
        ifname[..n].copy_from_slice(&name.as_bytes()[..n]);
        sys::setsockopt(raw, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, &ifname)
            .map_err(|e| sys::context(e, format!("SO_BINDTODEVICE {name}")))?;
    }
    crate::socket::bind(raw, &SockAddr::from_socket_addr(local))
        .map_err(|e| sys::context(e, format!("bind {local}")))?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback(port: u16) -> CsptpBind {
        CsptpBind {
            local: SocketAddr::from(([127, 0, 0, 1], port)),
            interface: None,
            timestamping: TimestampingMode::Software,
            reuse_port: false,
        }
    }

    /// Polls `f` for up to a second.
    fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
        for _ in 0..1000 {
            if let Some(v) = f() {
                return v;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!("nothing arrived");
    }

    #[test]
    fn a_pair_talks_to_a_pair_with_timestamps_on_the_event_socket() {
        // Unprivileged ports, picked from the process id to keep parallel
        // runs apart.
        let base = 20_000 + (std::process::id() % 20_000) as u16 * 2;
        let mut server = CsptpSockets::open(loopback(base)).unwrap();
        let mut client = CsptpSockets::open(loopback(base + 2)).unwrap();
        let id = client
            .send_event(b"sync", server.bind().local)
            .unwrap()
            .expect("a transmit timestamp id");
        let tx = eventually(|| client.recv_tx_timestamp().unwrap());
        assert_eq!(tx.id, id);
        let mut buf = [0u8; 64];
        let d = eventually(|| server.recv_event(&mut buf).unwrap());
        assert_eq!(&buf[..d.len], b"sync");
        assert_eq!(d.source, Some(client.bind().local));
        // The kernel turns software receive timestamps on for the whole
        // stack through deferred work (net_enable_timestamp's static key)
        // the first time a socket asks: in a process whose first
        // timestamping socket this is, the first datagrams may arrive
        // without one. A later one must have it.
        let mut rx = d.rx;
        for _ in 0..50 {
            if rx.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            client.send_event(b"sync", server.bind().local).unwrap();
            let _ = eventually(|| client.recv_tx_timestamp().unwrap());
            rx = eventually(|| server.recv_event(&mut buf).unwrap()).rx;
        }
        assert!(rx.is_some(), "a receive timestamp");
        let follow = SocketAddr::from(([127, 0, 0, 1], base + 3));
        server.send_general(b"follow", follow).unwrap();
        let d = eventually(|| client.recv_general(&mut buf).unwrap());
        assert_eq!(&buf[..d.len], b"follow");
        assert_eq!(d.source, Some(SocketAddr::from(([127, 0, 0, 1], base + 1))));
    }
}
