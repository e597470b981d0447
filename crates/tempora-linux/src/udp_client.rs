//! A UDP socket on an ephemeral port with kernel software timestamps both
//! ways, for NTP client exchanges (`tempora query`): the request's transmit
//! time (T1) comes from the error queue and the reply's receive time (T4)
//! from its control message, so neither includes the time user space takes.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use tempora_clock::Time;

use crate::socket::{SockAddr, TsSocket, sockaddr_in, sockaddr_in6};
use crate::sys;
use crate::timestamping::{TimestampingMode, TxId, TxTimestamp};

/// A datagram received on a [`UdpClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDatagram {
    /// Bytes written into the caller's buffer.
    pub len: usize,
    /// The datagram was longer than the buffer.
    pub truncated: bool,
    /// Kernel software receive timestamp (CLOCK_REALTIME).
    pub rx: Option<Time>,
    /// Where it came from.
    pub source: Option<SocketAddr>,
}

impl ClientDatagram {
    /// What the platform socket reported for one datagram.
    pub(crate) fn from_meta(m: &crate::socket::RecvMeta) -> Self {
        ClientDatagram {
            len: m.len,
            truncated: m.truncated,
            rx: m.rx,
            source: m.source.socket_addr(),
        }
    }
}

/// A timestamped UDP socket bound to an ephemeral port of the wildcard
/// address of one IP version.
pub struct UdpClient {
    socket: TsSocket,
}

impl UdpClient {
    /// Opens a socket for talking to `peer`'s address family.
    pub fn open_for(peer: SocketAddr) -> io::Result<UdpClient> {
        let domain = if peer.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        let fd = sys::socket(domain, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?;
        let bound = match peer {
            SocketAddr::V4(_) => SockAddr::V4(sockaddr_in(Ipv4Addr::UNSPECIFIED, 0)),
            SocketAddr::V6(_) => SockAddr::V6(sockaddr_in6(Ipv6Addr::UNSPECIFIED, 0, 0)),
        };
        crate::socket::bind(fd.as_raw_fd(), &bound).map_err(|e| sys::context(e, "bind"))?;
        Ok(UdpClient {
            socket: TsSocket::new(fd, Some(TimestampingMode::Software))?,
        })
    }

    /// The descriptor to poll.
    pub fn fd(&self) -> RawFd {
        self.socket.raw_fd()
    }

    /// Sends `data` to `to`; the id its transmit timestamp will carry.
    pub fn send_to(&mut self, data: &[u8], to: SocketAddr) -> io::Result<Option<TxId>> {
        self.socket
            .send(data, &SockAddr::from_socket_addr(to), true)
    }

    /// Receives one datagram, if one is queued.
    pub fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<ClientDatagram>> {
        Ok(self
            .socket
            .recv(buf)?
            .as_ref()
            .map(ClientDatagram::from_meta))
    }

    /// Reads one transmit timestamp from the error queue, if one is there.
    pub fn recv_tx_timestamp(&mut self) -> io::Result<Option<TxTimestamp>> {
        self.socket.recv_tx_timestamp()
    }
}
