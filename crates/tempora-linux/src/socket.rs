//! The socket core the UDP and Ethernet transports share: `sendmsg` with a
//! transmit-timestamp id, `recvmsg` with the receive timestamp, and the error
//! queue read back into [`TxTimestamp`]s.
//!
//! # Transmit ids
//!
//! With `SOF_TIMESTAMPING_OPT_ID` every timestamped send gets a 32-bit id
//! that comes back with its timestamp. The socket counts its successful
//! sends and tells the kernel the id it wants with an `SCM_TS_OPT_ID`
//! control message (Linux ≥ 6.13, and clknetsim when built against headers
//! that have it); those ids are 1-based (the n-th send has id n), which is
//! also what clknetsim reports when it ignores the control message. If the
//! kernel rejects the control message on the first send, the socket falls
//! back to the kernel's own counter, which is 0-based (the n-th send has id
//! n − 1), and stops sending the control message.

use std::collections::VecDeque;
use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use tempora_clock::Time;

use crate::cmsg::{self, CmsgBuffer};
use crate::sys;
use crate::timestamping::{
    self, ExtendedErr, TimestampingMode, TxId, TxTimestamp, parse_scm_timestamping,
};

/// `SCM_TS_OPT_ID` (asm-generic/socket.h, also used by x86); the
/// architectures with their own numbering just use the kernel counter.
#[cfg(not(any(
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
)))]
const SCM_TS_OPT_ID: Option<libc::c_int> = Some(81);
#[cfg(any(
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
))]
const SCM_TS_OPT_ID: Option<libc::c_int> = None;

/// Bytes of each buffer of a receive batch by default (an NTP request
/// without extension fields is 48; larger datagrams are reported
/// truncated). `UdpServer::with_max_datagram` sets another size.
pub(crate) const BATCH_BUF: usize = 1024;
/// The most datagrams one `recvmmsg` reads.
pub(crate) const MAX_BATCH: usize = 64;

/// How many ids of unwanted transmit timestamps to remember.
const MAX_UNWANTED: usize = 64;

/// A destination or source address in kernel form.
#[derive(Clone, Copy)]
pub(crate) enum SockAddr {
    V4(libc::sockaddr_in),
    V6(libc::sockaddr_in6),
    Ll(libc::sockaddr_ll),
}

impl SockAddr {
    /// The kernel form of an IP socket address (`scope_id` kept for IPv6).
    pub(crate) fn from_socket_addr(addr: SocketAddr) -> SockAddr {
        match addr {
            SocketAddr::V4(a) => SockAddr::V4(sockaddr_in(*a.ip(), a.port())),
            SocketAddr::V6(a) => SockAddr::V6(sockaddr_in6(*a.ip(), a.port(), a.scope_id())),
        }
    }

    fn ptr_len(&self) -> (*const libc::sockaddr, libc::socklen_t) {
        fn pl<T>(t: &T) -> (*const libc::sockaddr, libc::socklen_t) {
            // Socket address structs are far smaller than socklen_t's range.
            (
                (t as *const T).cast(),
                mem::size_of::<T>() as libc::socklen_t,
            )
        }
        match self {
            SockAddr::V4(a) => pl(a),
            SockAddr::V6(a) => pl(a),
            SockAddr::Ll(a) => pl(a),
        }
    }
}

/// `connect(fd, addr)`: the raw result (-1 with errno on failure, as
/// EINPROGRESS on a non-blocking socket).
pub(crate) fn connect_raw(fd: RawFd, addr: &SockAddr) -> libc::c_int {
    let (p, l) = addr.ptr_len();
    // SAFETY: `p` points at a live socket address of length `l`.
    unsafe { libc::connect(fd, p, l) }
}

/// `bind(fd, addr)`.
pub(crate) fn bind(fd: RawFd, addr: &SockAddr) -> io::Result<()> {
    let (p, l) = addr.ptr_len();
    // SAFETY: `p` points at a live socket address of length `l`.
    sys::cvt(unsafe { libc::bind(fd, p, l) }).map(drop)
}

/// A `sockaddr_in`.
pub(crate) fn sockaddr_in(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip.octets()),
        },
        sin_zero: [0; 8],
    }
}

/// A `sockaddr_in6`.
pub(crate) fn sockaddr_in6(ip: Ipv6Addr, port: u16, scope_id: u32) -> libc::sockaddr_in6 {
    libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as libc::sa_family_t,
        sin6_port: port.to_be(),
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr {
            s6_addr: ip.octets(),
        },
        sin6_scope_id: scope_id,
    }
}

/// A source address as `recvmsg` filled it in.
pub(crate) struct RawSource {
    storage: libc::sockaddr_storage,
    len: usize,
}

impl RawSource {
    fn new() -> Self {
        RawSource {
            // SAFETY: sockaddr_storage is plain old data; zeroes are valid.
            storage: unsafe { mem::zeroed() },
            len: 0,
        }
    }

    /// As an IP socket address, if it is one.
    pub(crate) fn socket_addr(&self) -> Option<SocketAddr> {
        let family = libc::c_int::from(self.storage.ss_family);
        if family == libc::AF_INET && self.len >= mem::size_of::<libc::sockaddr_in>() {
            // SAFETY: sockaddr_storage is large enough and suitably aligned
            // for every socket address type, and the kernel wrote a
            // sockaddr_in (family AF_INET, length checked).
            let a = unsafe {
                *(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        } else if family == libc::AF_INET6 && self.len >= mem::size_of::<libc::sockaddr_in6>() {
            // SAFETY: as above, for a sockaddr_in6.
            let a = unsafe {
                *(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        } else {
            None
        }
    }

    /// As a link-layer address, if it is one.
    pub(crate) fn link_addr(&self) -> Option<libc::sockaddr_ll> {
        let family = libc::c_int::from(self.storage.ss_family);
        if family == libc::AF_PACKET && self.len >= mem::size_of::<libc::sockaddr_ll>() {
            // SAFETY: as in `socket_addr`, for a sockaddr_ll.
            Some(unsafe {
                *(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_ll>()
            })
        } else {
            None
        }
    }
}

/// What `recv` got besides the data.
pub(crate) struct RecvMeta {
    /// Bytes written into the caller's buffer.
    pub(crate) len: usize,
    /// The datagram was longer than the buffer.
    pub(crate) truncated: bool,
    /// The receive timestamp of the socket's mode.
    pub(crate) rx: Option<Time>,
    /// Where it came from.
    pub(crate) source: RawSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdCmsg {
    /// Not tried yet.
    Unknown,
    /// The kernel accepted it.
    Works,
    /// The kernel rejected it; the kernel's own counter is used.
    Unsupported,
}

/// A socket with timestamping (or without: `mode` None).
pub(crate) struct TsSocket {
    fd: OwnedFd,
    mode: Option<TimestampingMode>,
    /// Transmit timestamps are enabled (not on a receive-only socket).
    tx: bool,
    /// `sendmmsg` failed once: one `sendmsg` per datagram from then on.
    no_sendmmsg: bool,
    /// Batches sent with `sendmmsg`.
    sent_batches: u64,
    /// Successful timestamped sends.
    sent: u32,
    id_cmsg: IdCmsg,
    unwanted: VecDeque<u32>,
    scratch: Vec<u8>,
}

impl TsSocket {
    /// Wraps `fd`, enabling timestamps in `mode` on it.
    pub(crate) fn new(fd: OwnedFd, mode: Option<TimestampingMode>) -> io::Result<Self> {
        if let Some(mode) = mode {
            timestamping::enable_on_socket(fd.as_raw_fd(), timestamping::socket_flags(mode))?;
        }
        Ok(TsSocket {
            fd,
            mode,
            tx: mode.is_some(),
            no_sendmmsg: false,
            sent_batches: 0,
            sent: 0,
            id_cmsg: if SCM_TS_OPT_ID.is_some() {
                IdCmsg::Unknown
            } else {
                IdCmsg::Unsupported
            },
            unwanted: VecDeque::new(),
            scratch: vec![0; 2048],
        })
    }

    /// Wraps `fd` with receive timestamps only (in software): sends are
    /// plain and leave nothing in the error queue.
    pub(crate) fn new_rx_only(fd: OwnedFd) -> io::Result<Self> {
        let flags = libc::SOF_TIMESTAMPING_RX_SOFTWARE | libc::SOF_TIMESTAMPING_SOFTWARE;
        timestamping::enable_on_socket(fd.as_raw_fd(), flags)?;
        let mut s = Self::new(fd, None)?;
        s.mode = Some(TimestampingMode::Software);
        s.tx = false;
        Ok(s)
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Sends `data` to `addr`. On a timestamping socket the send gets an id;
    /// it is returned when `want_timestamp`, and its timestamp is dropped
    /// from the error queue otherwise.
    pub(crate) fn send(
        &mut self,
        data: &[u8],
        addr: &SockAddr,
        want_timestamp: bool,
    ) -> io::Result<Option<TxId>> {
        if self.mode.is_none() || !self.tx {
            self.sendmsg(data, addr, None)?;
            return Ok(None);
        }
        let id = match self.id_cmsg {
            IdCmsg::Unknown | IdCmsg::Works => {
                let id = self.sent.wrapping_add(1);
                match self.sendmsg(data, addr, Some(id)) {
                    Ok(()) => {
                        self.id_cmsg = IdCmsg::Works;
                        id
                    }
                    Err(e)
                        if self.id_cmsg == IdCmsg::Unknown
                            && e.raw_os_error() == Some(libc::EINVAL) =>
                    {
                        // Maybe the kernel does not know SCM_TS_OPT_ID.
                        self.sendmsg(data, addr, None)?;
                        self.id_cmsg = IdCmsg::Unsupported;
                        self.sent
                    }
                    Err(e) => return Err(e),
                }
            }
            IdCmsg::Unsupported => {
                self.sendmsg(data, addr, None)?;
                self.sent
            }
        };
        self.sent = self.sent.wrapping_add(1);
        if want_timestamp {
            Ok(Some(TxId(id)))
        } else {
            if self.unwanted.len() >= MAX_UNWANTED {
                self.unwanted.pop_front();
            }
            self.unwanted.push_back(id);
            Ok(None)
        }
    }

    fn sendmsg(&self, data: &[u8], addr: &SockAddr, id: Option<u32>) -> io::Result<()> {
        let mut control = CmsgBuffer::new();
        let control_len = match (id, SCM_TS_OPT_ID) {
            (Some(id), Some(ty)) => {
                cmsg::write(&mut control.0, libc::SOL_SOCKET, ty, &id.to_ne_bytes()).unwrap_or(0)
            }
            _ => 0,
        };
        let (name, namelen) = addr.ptr_len();
        let mut iov = libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        // SAFETY: msghdr is plain old data; zeroes are valid.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = name as *mut libc::c_void;
        msg.msg_namelen = namelen;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if control_len > 0 {
            msg.msg_control = control.0.as_mut_ptr().cast();
            msg.msg_controllen = control_len as _;
        }
        loop {
            // SAFETY: every pointer in `msg` (name, iov → data, control)
            // refers to memory that lives until after the call; sendmsg only
            // reads through them.
            let ret = unsafe { libc::sendmsg(self.fd.as_raw_fd(), &msg, libc::MSG_DONTWAIT) };
            match sys::cvt_size(ret) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends each `(data, addr)` with one `sendmmsg(2)` when the platform
    /// has it; the first failure (clknetsim has no sendmmsg) switches this
    /// socket to one `sendmsg` per datagram for good. Returns how many were
    /// sent; the others failed (e.g. a full socket buffer).
    pub(crate) fn send_batch(&mut self, items: &[(&[u8], SockAddr)]) -> usize {
        let n = items.len().min(MAX_BATCH);
        if n == 0 {
            return 0;
        }
        if !self.no_sendmmsg {
            let mut iovs: Vec<libc::iovec> = items
                .iter()
                .take(n)
                .map(|(d, _)| libc::iovec {
                    iov_base: d.as_ptr() as *mut libc::c_void,
                    iov_len: d.len(),
                })
                .collect();
            let mut hdrs: Vec<libc::mmsghdr> = Vec::with_capacity(n);
            let iov_ptr = iovs.as_mut_ptr();
            for (i, (_, addr)) in items.iter().take(n).enumerate() {
                let (name, namelen) = addr.ptr_len();
                // SAFETY: mmsghdr is plain old data; zeroes are valid; `i <
                // n` and `iovs` holds `n` elements.
                let mut h: libc::mmsghdr = unsafe { mem::zeroed() };
                h.msg_hdr.msg_name = name as *mut libc::c_void;
                h.msg_hdr.msg_namelen = namelen;
                // SAFETY: `i < n` and `iovs` holds `n` elements.
                h.msg_hdr.msg_iov = unsafe { iov_ptr.add(i) };
                h.msg_hdr.msg_iovlen = 1;
                hdrs.push(h);
            }
            let mut done = 0usize;
            let mut failed = 0usize;
            while done + failed < n {
                let at = done + failed;
                // SAFETY: the headers point at `iovs` (→ the items' data)
                // and the items' addresses, all alive for the call, which
                // only reads them; `n - done` headers from `done` on.
                let ret = unsafe {
                    libc::sendmmsg(
                        self.fd.as_raw_fd(),
                        hdrs.as_mut_ptr().add(at),
                        (n - at) as libc::c_uint,
                        libc::MSG_DONTWAIT,
                    )
                };
                match sys::cvt(ret) {
                    Ok(k) if k > 0 => done += k as usize,
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // No sendmmsg here (clknetsim's sockets are not the
                    // kernel's): one sendmsg per datagram from now on.
                    Err(e)
                        if at == 0
                            && self.sent_batches == 0
                            && matches!(
                                e.raw_os_error(),
                                Some(libc::ENOSYS | libc::EBADF | libc::ENOTSOCK)
                            ) =>
                    {
                        self.no_sendmmsg = true;
                        break;
                    }
                    // A full buffer: the rest is dropped, as UDP does.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => break,
                    // This datagram failed (e.g. a bad destination): skip it,
                    // send the others.
                    Err(_) => failed += 1,
                }
            }
            if !self.no_sendmmsg {
                self.sent_batches += 1;
                return done;
            }
        }
        items
            .iter()
            .take(n)
            .filter(|(d, a)| self.sendmsg(d, a, None).is_ok())
            .count()
    }

    /// One `recvmsg` into `buf` and `control`; `Ok(None)` when nothing is
    /// queued.
    fn recvmsg(
        fd: RawFd,
        buf: &mut [u8],
        control: &mut CmsgBuffer,
        flags: libc::c_int,
    ) -> io::Result<Option<(usize, libc::c_int, usize, RawSource)>> {
        let mut source = RawSource::new();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is plain old data; zeroes are valid.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = (&mut source.storage as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.0.as_mut_ptr().cast();
        msg.msg_controllen = control.0.len() as _;
        loop {
            // SAFETY: `msg` points at `source.storage`, `buf` and
            // `control`, all live and writable for the sizes given.
            let ret = unsafe { libc::recvmsg(fd, &mut msg, flags | libc::MSG_DONTWAIT) };
            match sys::cvt_size(ret) {
                Ok(n) => {
                    source.len = msg.msg_namelen as usize;
                    let clen = (msg.msg_controllen as usize).min(control.0.len());
                    return Ok(Some((n, msg.msg_flags, clen, source)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Receives up to `bufs.len()` datagrams with one `recvmmsg(2)` (which
    /// clknetsim supports too); `metas` gets one entry per datagram, in
    /// order. Returns how many were read (0 when nothing was queued).
    pub(crate) fn recv_batch<B: AsMut<[u8]>>(
        &mut self,
        bufs: &mut [B],
        controls: &mut [CmsgBuffer],
        metas: &mut Vec<RecvMeta>,
    ) -> io::Result<usize> {
        metas.clear();
        let n = bufs.len().min(controls.len()).min(MAX_BATCH);
        if n == 0 {
            return Ok(0);
        }
        let mut sources: Vec<RawSource> = (0..n).map(|_| RawSource::new()).collect();
        let mut iovs: Vec<libc::iovec> = bufs
            .iter_mut()
            .take(n)
            .map(|b| {
                let b = b.as_mut();
                libc::iovec {
                    iov_base: b.as_mut_ptr().cast(),
                    iov_len: b.len(),
                }
            })
            .collect();
        let mut hdrs: Vec<libc::mmsghdr> = Vec::with_capacity(n);
        // Raw pointers taken once per buffer (no re-borrow of the vectors
        // while earlier pointers are live).
        let source_ptr = sources.as_mut_ptr();
        let iov_ptr = iovs.as_mut_ptr();
        let control_ptr = controls.as_mut_ptr();
        for i in 0..n {
            // SAFETY: mmsghdr is plain old data; zeroes are valid. `i < n`,
            // and `sources`, `iovs` and `controls` hold at least `n`
            // elements, so the offsets stay inside them.
            let mut h: libc::mmsghdr = unsafe { mem::zeroed() };
            // SAFETY: `i < n`; each pointer stays inside its vector.
            unsafe {
                h.msg_hdr.msg_name = (&raw mut (*source_ptr.add(i)).storage).cast();
                h.msg_hdr.msg_iov = iov_ptr.add(i);
                h.msg_hdr.msg_control = (*control_ptr.add(i)).0.as_mut_ptr().cast();
            }
            h.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_controllen = mem::size_of::<CmsgBuffer>() as _;
            hdrs.push(h);
        }
        let got = loop {
            // SAFETY: every header points at live, writable buffers
            // (`sources`, `iovs` → `bufs`, `controls`) of the sizes given,
            // all outliving the call; `n` headers are passed.
            let ret = unsafe {
                libc::recvmmsg(
                    self.fd.as_raw_fd(),
                    hdrs.as_mut_ptr(),
                    n as libc::c_uint,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            match sys::cvt(ret) {
                Ok(k) => break k as usize,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        for (i, h) in hdrs.iter().take(got.min(n)).enumerate() {
            let len = h.msg_len as usize;
            #[allow(clippy::unnecessary_cast)] // usize on glibc, u32 on musl
            let clen = (h.msg_hdr.msg_controllen as usize).min(controls[i].0.len());
            let mut rx = None;
            if let Some(mode) = self.mode {
                for c in cmsg::parse(&controls[i].0[..clen]) {
                    if c.level == libc::SOL_SOCKET && c.ty == libc::SO_TIMESTAMPING {
                        rx = parse_scm_timestamping(c.data).and_then(|t| t.get(mode));
                    }
                }
            }
            let mut source = RawSource::new();
            source.storage = sources[i].storage;
            source.len = h.msg_hdr.msg_namelen as usize;
            metas.push(RecvMeta {
                len: len.min(bufs[i].as_mut().len()),
                truncated: h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
                rx,
                source,
            });
        }
        Ok(metas.len())
    }

    /// Receives one datagram into `buf`; `Ok(None)` when nothing is queued.
    pub(crate) fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<RecvMeta>> {
        let mut control = CmsgBuffer::new();
        let Some((n, flags, clen, source)) =
            Self::recvmsg(self.fd.as_raw_fd(), buf, &mut control, 0)?
        else {
            return Ok(None);
        };
        let mut rx = None;
        if let Some(mode) = self.mode {
            for c in cmsg::parse(&control.0[..clen]) {
                if c.level == libc::SOL_SOCKET && c.ty == libc::SO_TIMESTAMPING {
                    rx = parse_scm_timestamping(c.data).and_then(|t| t.get(mode));
                }
            }
        }
        Ok(Some(RecvMeta {
            len: n.min(buf.len()),
            truncated: flags & libc::MSG_TRUNC != 0,
            rx,
            source,
        }))
    }

    /// Reads one entry from the error queue: its transmit timestamp, or
    /// `Ok(None)` when the queue was empty or the entry was not one to
    /// report (a timestamp of a send that did not want one, or not a
    /// transmit timestamp at all). One `recvmsg` per call: under clknetsim
    /// a read with nothing pending takes the node's next packet instead.
    pub(crate) fn recv_tx_timestamp(&mut self) -> io::Result<Option<TxTimestamp>> {
        let mut control = CmsgBuffer::new();
        let Some((_, _, clen, _)) = Self::recvmsg(
            self.fd.as_raw_fd(),
            &mut self.scratch,
            &mut control,
            libc::MSG_ERRQUEUE,
        )?
        else {
            return Ok(None);
        };
        let Some(mode) = self.mode else {
            return Ok(None);
        };
        let mut time = None;
        let mut err = None;
        for c in cmsg::parse(&control.0[..clen]) {
            if c.level == libc::SOL_SOCKET && c.ty == libc::SO_TIMESTAMPING {
                time = parse_scm_timestamping(c.data).and_then(|t| t.get(mode));
            } else if timestamping::is_extended_err(c.level, c.ty) {
                err = ExtendedErr::parse(c.data);
            }
        }
        let (Some(time), Some(err)) = (time, err) else {
            return Ok(None);
        };
        if !err.is_tx_timestamp() {
            return Ok(None);
        }
        if let Some(pos) = self.unwanted.iter().position(|&u| u == err.data) {
            self.unwanted.remove(pos);
            return Ok(None);
        }
        Ok(Some(TxTimestamp {
            id: TxId(err.data),
            time,
        }))
    }

    #[cfg(test)]
    pub(crate) fn set_sent(&mut self, sent: u32) {
        self.sent = sent;
    }

    #[cfg(test)]
    pub(crate) fn uses_id_cmsg(&self) -> bool {
        self.id_cmsg == IdCmsg::Works
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn bound_udp4(mode: Option<TimestampingMode>) -> (TsSocket, u16) {
        let fd = sys::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
        let addr = SockAddr::V4(sockaddr_in(Ipv4Addr::LOCALHOST, 0));
        let (p, l) = addr.ptr_len();
        // SAFETY: `p` points at a live sockaddr_in of length `l`.
        sys::cvt(unsafe { libc::bind(fd.as_raw_fd(), p, l) }).unwrap();
        let mut st = RawSource::new();
        let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `st.storage` is writable for `len` bytes.
        sys::cvt(unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&mut st.storage as *mut libc::sockaddr_storage).cast(),
                &mut len,
            )
        })
        .unwrap();
        st.len = len as usize;
        let port = st.socket_addr().unwrap().port();
        (TsSocket::new(fd, mode).unwrap(), port)
    }

    fn wait<T>(mut f: impl FnMut() -> io::Result<Option<T>>) -> T {
        let start = Instant::now();
        loop {
            if let Some(t) = f().unwrap() {
                return t;
            }
            assert!(start.elapsed() < Duration::from_secs(2), "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Loopback only: software timestamps both ways, ids we chose.
    #[test]
    fn loopback_timestamps_and_ids() {
        let (mut a, _) = bound_udp4(Some(TimestampingMode::Software));
        let (mut b, port_b) = bound_udp4(Some(TimestampingMode::Software));
        let to_b = SockAddr::V4(sockaddr_in(Ipv4Addr::LOCALHOST, port_b));
        let mut buf = [0u8; 64];
        // The kernel enables receive timestamps with deferred work: the
        // first packets after the first timestamping socket may lack one.
        for _ in 0..50 {
            a.send(b"warm-up", &to_b, true).unwrap();
            if wait(|| b.recv(&mut buf)).rx.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(10));
        while a.recv_tx_timestamp().unwrap().is_some() {}
        a.set_sent(1000);
        let before = crate::clock::realtime_now().unwrap();
        let id = a.send(b"hello", &to_b, true).unwrap().unwrap();
        let ts = wait(|| a.recv_tx_timestamp());
        assert_eq!(ts.id, id);
        if a.uses_id_cmsg() {
            assert_eq!(id, TxId(1001));
        }
        let got = wait(|| b.recv(&mut buf));
        assert_eq!(&buf[..got.len], b"hello");
        assert!(!got.truncated);
        let rx = got.rx.unwrap();
        assert!(
            rx >= ts.time && ts.time >= before,
            "{before} {} {rx}",
            ts.time
        );
        assert_eq!(got.source.socket_addr().unwrap().ip(), Ipv4Addr::LOCALHOST);

        // An unwanted timestamp is dropped; a truncated datagram says so.
        assert_eq!(a.send(b"general message", &to_b, false).unwrap(), None);
        std::thread::sleep(Duration::from_millis(20));
        assert!(a.recv_tx_timestamp().unwrap().is_none());
        let mut small = [0u8; 4];
        let got = wait(|| b.recv(&mut small));
        assert!(got.truncated);
        assert_eq!(&small, b"gene");
        assert!(b.recv(&mut buf).unwrap().is_none());
    }
}
