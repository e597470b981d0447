//! # tempora-linux
//!
//! The Linux platform layer of Tempora, and the one crate of the workspace
//! allowed to use `unsafe` (every block small, each with a `SAFETY:`
//! comment; parsing of what the kernel returns is done in safe code over
//! byte buffers). The protocol cores stay sans-IO; this crate gives them:
//!
//! - [`poll`]: a `poll(2)` wrapper reporting readable descriptors and
//!   pending error-queue entries (transmit timestamps);
//! - [`timestamping`]: SO_TIMESTAMPING in software or hardware mode, the
//!   interface's capabilities (`ETHTOOL_GET_TS_INFO`, PHC index), switching
//!   NIC timestamping on (`SIOCSHWTSTAMP`), and parsing `SCM_TIMESTAMPING`;
//! - [`udp`]: PTP over UDP/IPv4 and UDP/IPv6 (IEEE 1588 Annex C/D), event
//!   and general sockets per interface with the PTP multicast groups;
//! - [`csptp`]: client-server PTP's event and general sockets;
//! - [`raw`]: PTP over Ethernet (Annex E) with an `AF_PACKET` socket;
//! - [`interface`]: interface index, MAC, addresses, clock identity;
//! - [`account`]: users and groups by name (for the daemon's user and
//!   its sockets' group);
//! - [`privilege`]: another user with only the capabilities still
//!   needed, no new privileges, the system-call allow-list;
//! - [`shm`], [`pps`], [`serial`], [`tcp`]: what the reference clock
//!   drivers read: the NTP SHM segment, RFC 2783 PPS devices, serial
//!   ports, a non-blocking TCP connection (gpsd);
//! - [`clock`]: the system clock and PTP hardware clocks as
//!   [`tempora_clock::Clock`]s, and CLOCK_REALTIME as a
//!   [`tempora_clock::BaseClock`] for the virtual clock;
//! - [`extts`]: a PHC's external timestamps (a PPS into one of its pins:
//!   `PTP_PIN_SETFUNC`, `PTP_EXTTS_REQUEST`, the event records).
//!
//! Transmit timestamps: a send on a timestamping socket returns a
//! [`TxId`]; the timestamp arrives later on the socket's error queue
//! ([`Readiness::error_queue`](poll::Readiness::error_queue)) and is read with
//! the transport's `recv_tx_timestamp`, which returns it with the same id.
//!
//! ```no_run
//! use tempora_linux::timestamping::{TimestampingRequest, choose_mode};
//! use tempora_linux::{Destination, IpVersion, MessageClass, Poller, UdpConfig, UdpTransport};
//!
//! # fn main() -> std::io::Result<()> {
//! let (mode, _caps) = choose_mode("eth0", TimestampingRequest::Auto)?;
//! let mut ptp = UdpTransport::open(UdpConfig::new("eth0", IpVersion::V4, mode))?;
//! let mut poller = Poller::new();
//! poller.register(&ptp.event_fd());
//! poller.register(&ptp.general_fd());
//! let sync_id = ptp.send(MessageClass::Event, Destination::Primary, b"...")?;
//! let mut buf = [0u8; 1500];
//! for ready in poller.wait(std::time::Duration::from_secs(1))? {
//!     let is_event = ready.fd == std::os::fd::AsRawFd::as_raw_fd(&ptp.event_fd());
//!     if is_event && ready.error_queue {
//!         if let Some(tx) = ptp.recv_tx_timestamp()? {
//!             assert_eq!(Some(tx.id), sync_id); // Sync left at tx.time
//!         }
//!     } else if ready.readable {
//!         let class = if is_event { MessageClass::Event } else { MessageClass::General };
//!         if let Some(msg) = ptp.recv(class, &mut buf)? {
//!             let _ = (&buf[..msg.len], msg.rx, msg.source);
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Running under clknetsim
//!
//! The daemon must run unmodified under clknetsim, chrony's `LD_PRELOAD`
//! network and clock simulator, which replaces a fixed set of libc
//! functions. So this crate:
//!
//! - makes only plain libc calls, never raw syscalls (`clock_adjtime` is
//!   libc's), and never Rust std's networking or `File` (std opens files
//!   with `open64`, which clknetsim does not intercept; `/dev/ptpN` is
//!   opened with `open`);
//! - waits with `poll(2)`, never epoll;
//! - passes a bare `SOCK_DGRAM`/`SOCK_RAW` to `socket(2)` (clknetsim rejects
//!   SOCK_CLOEXEC/SOCK_NONBLOCK there) and sets `FD_CLOEXEC` and
//!   `O_NONBLOCK` with `fcntl(2)` afterwards;
//! - uses SO_TIMESTAMPING only (never SO_TIMESTAMP/SO_TIMESTAMPNS), sets
//!   SO_SELECT_ERR_QUEUE and treats `POLLPRI` like `POLLERR` (clknetsim
//!   reports a pending transmit timestamp as `POLLPRI`), and does not rely
//!   on `OPT_TSONLY` (clknetsim returns the packet with the timestamp);
//! - sends with `sendmsg` (never `sendmmsg`), one datagram at a time;
//! - reads with one `recvmsg` per `recv`/`recv_tx_timestamp` call. The
//!   caller must keep to clknetsim's rhythm: poll, then read each socket
//!   that poll reported once (`recv` if readable, `recv_tx_timestamp` if
//!   its error queue is ready), then poll again. Under clknetsim a node
//!   has one queue of incoming packets for all its sockets, and a read on
//!   a socket other than the one poll reported (or an error-queue read with
//!   no timestamp pending) takes, or trips over, another socket's packet.
//!   On a real kernel the rhythm costs only a poll per read;
//! - looks interfaces up with the `SIOCGIFINDEX`/`SIOCGIFHWADDR` ioctls,
//!   which clknetsim simulates, rather than relying on `if_nametoindex`
//!   (the fallback);
//! - is used from one thread.
//!
//! Transmit ids are chosen by the socket and passed with `SCM_TS_OPT_ID`
//! (see [`TxId`] and the `socket` module docs), which clknetsim honours;
//! packet sockets ([`raw`]) are not simulated by clknetsim at all.

pub mod account;
pub mod clock;
mod cmsg;
pub mod csptp;
pub mod extts;
pub mod interface;
pub mod poll;
pub mod pps;
pub mod privilege;
pub mod raw;
pub mod serial;
pub mod shm;
mod socket;
mod sys;
pub mod tcp;
pub mod timestamping;
pub mod udp;
pub mod udp_client;
pub mod udp_server;
pub mod unix;

pub use clock::{PhcClock, PhcOffset, RealtimeBase, SystemClock};
pub use interface::{Interface, MacAddr};
pub use poll::{Poller, Readiness, Timeout};
pub use raw::{RawConfig, RawDestination, RawReceived, RawTransport};
pub use timestamping::{TimestampingMode, TimestampingRequest, TsInfo, TxId, TxTimestamp};
pub use udp::{Destination, IpVersion, Received, UdpConfig, UdpTransport};

/// Which socket and timestamping a PTP message needs (IEEE 1588-2019
/// §7.3.2: Sync, Delay_Req, Pdelay_Req and Pdelay_Resp are event messages;
/// the rest are general).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageClass {
    /// Timestamped; UDP port 319.
    Event,
    /// Not timestamped; UDP port 320.
    General,
}
