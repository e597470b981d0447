//! A UDP socket bound to a server address (NTP's port 123) with kernel
//! software receive timestamps, for the daemon's NTP server: the receive
//! time (T2) is the kernel's, the reply goes out with a plain sendmsg.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use crate::cmsg::CmsgBuffer;
use crate::socket::{BATCH_BUF, MAX_BATCH, RecvMeta, SockAddr, TsSocket};
use crate::sys;
use crate::timestamping::{TxId, TxTimestamp};
use crate::udp_client::ClientDatagram;

/// A server socket.
pub struct UdpServer {
    socket: TsSocket,
    local: SocketAddr,
    batch: Box<Batch>,
    out: Outgoing,
    tx_timestamps: bool,
}

struct Batch {
    bufs: Vec<Box<[u8]>>,
    controls: Vec<CmsgBuffer>,
    metas: Vec<RecvMeta>,
}

/// The largest reply queued for a batch send (an NTS reply with eight
/// cookies is about 1 kB).
pub const MAX_REPLY: usize = 1280;

/// Replies waiting for [`UdpServer::flush`].
struct Outgoing {
    /// The replies' bytes, one after the other.
    bytes: Vec<u8>,
    /// Each reply: where its bytes start and end, and where it goes.
    data: Vec<(usize, usize, SocketAddr)>,
}

impl UdpServer {
    /// Binds `local` (SO_REUSEADDR; IPV6_V6ONLY for an IPv6 address, so
    /// that `0.0.0.0:123` and `[::]:123` can both be bound).
    pub fn bind(local: SocketAddr) -> io::Result<UdpServer> {
        Self::bind_with(local, false)
    }

    /// Like [`UdpServer::bind`]; with `tx_timestamps`, replies sent with
    /// [`UdpServer::send_timestamped`] get a kernel transmit timestamp
    /// (for the interleaved mode), and replies are sent one by one.
    pub fn bind_with(local: SocketAddr, tx_timestamps: bool) -> io::Result<UdpServer> {
        Self::open(local, tx_timestamps, false)
    }

    /// Like [`UdpServer::bind_with`], with SO_REUSEPORT: several sockets
    /// bound to the same address share its datagrams, the kernel choosing
    /// one by a hash of the addresses and ports (a client keeps to one
    /// socket). For the server's worker loops.
    pub fn bind_reuseport(local: SocketAddr, tx_timestamps: bool) -> io::Result<UdpServer> {
        Self::open(local, tx_timestamps, true)
    }

    fn open(local: SocketAddr, tx_timestamps: bool, reuse_port: bool) -> io::Result<UdpServer> {
        let domain = if local.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        let fd = sys::socket(domain, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?;
        sys::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &1 as &libc::c_int,
        )
        .map_err(|e| sys::context(e, "SO_REUSEADDR"))?;
        if reuse_port {
            sys::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_REUSEPORT,
                &1 as &libc::c_int,
            )
            .map_err(|e| sys::context(e, "SO_REUSEPORT"))?;
        }
        if local.is_ipv4() {
            // Replies carry DF (they are small): the kernel then skips
            // picking an IP identification for each one. Failing is no
            // error.
            let _ = sys::setsockopt(
                fd.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_MTU_DISCOVER,
                &libc::IP_PMTUDISC_PROBE as &libc::c_int,
            );
        }
        if local.is_ipv6() {
            sys::setsockopt(
                fd.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &1 as &libc::c_int,
            )
            .map_err(|e| sys::context(e, "IPV6_V6ONLY"))?;
        }
        // A deeper receive queue rides out bursts; failing to get it is no
        // error.
        let _ = set_receive_buffer(&fd, RECEIVE_BUFFER);
        crate::socket::bind(fd.as_raw_fd(), &SockAddr::from_socket_addr(local))
            .map_err(|e| sys::context(e, format!("bind {local}")))?;
        Ok(UdpServer {
            socket: if tx_timestamps {
                TsSocket::new(fd, Some(crate::timestamping::TimestampingMode::Software))?
            } else {
                TsSocket::new_rx_only(fd)?
            },
            tx_timestamps,
            local,
            batch: Box::new(Batch {
                bufs: batch_bufs(BATCH_BUF),
                controls: (0..MAX_BATCH).map(|_| CmsgBuffer::new()).collect(),
                metas: Vec::with_capacity(MAX_BATCH),
            }),
            out: Outgoing {
                bytes: Vec::with_capacity(MAX_BATCH * 256),
                data: Vec::with_capacity(MAX_BATCH),
            },
        })
    }

    /// Receives datagrams of up to `bytes` bytes (at least 1) in
    /// [`UdpServer::recv_batch`] instead of 1024 (longer ones come
    /// `truncated`): for protocols with larger requests (Roughtime's are
    /// 1024 bytes and up). Each of the 64 batch buffers takes that much.
    pub fn with_max_datagram(mut self, bytes: usize) -> Self {
        self.batch.bufs = batch_bufs(bytes.max(1));
        self
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The descriptor to poll.
    pub fn fd(&self) -> RawFd {
        self.socket.raw_fd()
    }

    /// Reads up to 64 queued datagrams with one `recvmmsg(2)` and calls
    /// `handle` with each (its bytes and what came with it). Returns how
    /// many were read.
    pub fn recv_batch(
        &mut self,
        mut handle: impl FnMut(&mut Self, &[u8], ClientDatagram),
    ) -> io::Result<usize> {
        let mut batch = std::mem::replace(
            &mut self.batch,
            Box::new(Batch {
                bufs: Vec::new(),
                controls: Vec::new(),
                metas: Vec::new(),
            }),
        );
        let b = &mut *batch;
        let n = self
            .socket
            .recv_batch(&mut b.bufs, &mut b.controls, &mut b.metas);
        let result = n.inspect(|n| {
            for (buf, m) in b.bufs.iter().zip(&b.metas).take(*n) {
                handle(
                    self,
                    buf.get(..m.len).unwrap_or_default(),
                    ClientDatagram::from_meta(m),
                );
            }
        });
        self.batch = batch;
        result
    }

    /// Queues a reply for [`UdpServer::flush`] (sent at once if the queue
    /// is full); `false` if it is too long to queue (then send it with
    /// [`UdpServer::send_to`]).
    pub fn queue(&mut self, data: &[u8], to: SocketAddr) -> bool {
        if data.len() > MAX_REPLY || self.tx_timestamps {
            return false;
        }
        if self.out.data.len() >= MAX_BATCH {
            self.flush();
        }
        let start = self.out.bytes.len();
        self.out.bytes.extend_from_slice(data);
        self.out.data.push((start, self.out.bytes.len(), to));
        true
    }

    /// Sends the queued replies: one `sendmmsg(2)` where available, one
    /// `sendmsg(2)` each otherwise (clknetsim). Returns (sent, failed).
    pub fn flush(&mut self) -> (usize, usize) {
        if self.out.data.is_empty() {
            return (0, 0);
        }
        let items: Vec<(&[u8], SockAddr)> = self
            .out
            .data
            .iter()
            .map(|(start, end, to)| {
                (
                    self.out.bytes.get(*start..*end).unwrap_or_default(),
                    SockAddr::from_socket_addr(*to),
                )
            })
            .collect();
        let total = items.len();
        let sent = self.socket.send_batch(&items);
        self.out.data.clear();
        self.out.bytes.clear();
        (sent, total - sent)
    }

    /// Sends `data` to `to` asking for its kernel transmit timestamp (on a
    /// socket bound with `tx_timestamps`); the id it will come back with.
    pub fn send_timestamped(&mut self, data: &[u8], to: SocketAddr) -> io::Result<Option<TxId>> {
        self.socket
            .send(data, &SockAddr::from_socket_addr(to), self.tx_timestamps)
    }

    /// The next transmit timestamp from the error queue, if any.
    pub fn recv_tx_timestamp(&mut self) -> io::Result<Option<TxTimestamp>> {
        self.socket.recv_tx_timestamp()
    }

    /// Sends `data` to `to`.
    pub fn send_to(&mut self, data: &[u8], to: SocketAddr) -> io::Result<()> {
        self.socket
            .send(data, &SockAddr::from_socket_addr(to), false)
            .map(drop)
    }
}

/// The receive queue server sockets ask for (4 MiB, capped by the kernel
/// at `net.core.rmem_max`): a burst of requests waits instead of being
/// dropped.
pub const RECEIVE_BUFFER: usize = 4 << 20;

/// Asks for a receive queue of `bytes` on `socket` (`SO_RCVBUF`; the
/// kernel caps it at `net.core.rmem_max`), e.g. for a plain
/// `std::net::UdpSocket` that serves bursts.
pub fn set_receive_buffer(socket: &impl AsRawFd, bytes: usize) -> io::Result<()> {
    let bytes = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    sys::setsockopt(
        socket.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_RCVBUF,
        &bytes,
    )
    .map_err(|e| sys::context(e, "SO_RCVBUF"))
}

/// The receive buffers of a batch: [`MAX_BATCH`] of `bytes` each.
fn batch_bufs(bytes: usize) -> Vec<Box<[u8]>> {
    (0..MAX_BATCH)
        .map(|_| vec![0u8; bytes].into_boxed_slice())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server socket on a free loopback port, and that port.
    fn server() -> (UdpServer, SocketAddr) {
        let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        (UdpServer::bind(addr).unwrap(), addr)
    }

    /// The lengths and truncation flags of what one batch read gets.
    fn read(server: &mut UdpServer) -> Vec<(usize, bool)> {
        let mut got = Vec::new();
        server
            .recv_batch(|_, data, d| got.push((data.len(), d.truncated)))
            .unwrap();
        got
    }

    #[test]
    fn a_std_socket_gets_a_deeper_receive_queue() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(set_receive_buffer(&socket, RECEIVE_BUFFER).is_ok());
        assert!(set_receive_buffer(&socket, usize::MAX).is_ok());
    }

    #[test]
    fn batch_buffers_hold_max_datagram_bytes() {
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let (mut small, to) = server();
        client.send_to(&[7u8; 1100], to).unwrap();
        assert_eq!(read(&mut small), vec![(1024, true)]);
        drop(small);
        let (large, to) = server();
        let mut large = large.with_max_datagram(1500);
        for n in [1100, 1500, 1501] {
            client.send_to(&vec![7u8; n], to).unwrap();
        }
        assert_eq!(
            read(&mut large),
            vec![(1100, false), (1500, false), (1500, true)]
        );
    }
}
