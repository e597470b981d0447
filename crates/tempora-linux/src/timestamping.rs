//! SO_TIMESTAMPING: choosing software or hardware timestamps for an
//! interface, switching the NIC's hardware timestamping on, enabling
//! timestamps on a socket, and reading them back from control messages.
//!
//! The flags follow linuxptp's `sk.c`: software mode asks for
//! `TX_SOFTWARE | RX_SOFTWARE | SOFTWARE`, hardware mode for `TX_HARDWARE |
//! RX_HARDWARE | RAW_HARDWARE`. Both add `OPT_ID` (transmit timestamps carry
//! an id so they can be matched to the send) and `OPT_TSONLY` (the error
//! queue returns the timestamp without a copy of the packet). Only
//! SO_TIMESTAMPING is used, never SO_TIMESTAMP or SO_TIMESTAMPNS: it is what
//! clknetsim simulates.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use tempora_clock::Time;

use crate::sys;

/// Which timestamps a socket reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampingMode {
    /// Kernel software timestamps (CLOCK_REALTIME), `scm_timestamping.ts[0]`.
    Software,
    /// NIC hardware timestamps (the interface's PHC), `ts[2]`.
    Hardware,
}

impl fmt::Display for TimestampingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimestampingMode::Software => "software",
            TimestampingMode::Hardware => "hardware",
        })
    }
}

/// What the configuration asks for; [`TsInfo::choose`] turns it into a
/// [`TimestampingMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampingRequest {
    /// Hardware if the interface can, software otherwise.
    #[default]
    Auto,
    /// Software timestamps.
    Software,
    /// Hardware timestamps; an error if the interface has none.
    Hardware,
}

/// `SOF_TIMESTAMPING_*` flags for a socket in `mode`: the generation and
/// reporting flags of linuxptp's `sk_timestamping_init`, plus `OPT_ID` and
/// `OPT_TSONLY`.
pub const fn socket_flags(mode: TimestampingMode) -> u32 {
    let base = match mode {
        TimestampingMode::Software => {
            libc::SOF_TIMESTAMPING_TX_SOFTWARE
                | libc::SOF_TIMESTAMPING_RX_SOFTWARE
                | libc::SOF_TIMESTAMPING_SOFTWARE
        }
        TimestampingMode::Hardware => {
            libc::SOF_TIMESTAMPING_TX_HARDWARE
                | libc::SOF_TIMESTAMPING_RX_HARDWARE
                | libc::SOF_TIMESTAMPING_RAW_HARDWARE
        }
    };
    base | libc::SOF_TIMESTAMPING_OPT_ID | libc::SOF_TIMESTAMPING_OPT_TSONLY
}

const ETHTOOL_GET_TS_INFO: u32 = 0x41;

/// `struct ethtool_ts_info` (linux/ethtool.h).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct EthtoolTsInfo {
    cmd: u32,
    so_timestamping: u32,
    phc_index: i32,
    tx_types: u32,
    tx_reserved: [u32; 3],
    rx_filters: u32,
    rx_reserved: [u32; 3],
}

/// An interface's timestamping capabilities (`ETHTOOL_GET_TS_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TsInfo {
    /// The `SOF_TIMESTAMPING_*` flags the interface supports.
    pub so_timestamping: u32,
    /// The index of its PTP hardware clock (`/dev/ptpN`), if it has one.
    pub phc_index: Option<u32>,
    /// Bit mask of the supported `HWTSTAMP_TX_*` types.
    pub tx_types: u32,
    /// Bit mask of the supported `HWTSTAMP_FILTER_*` receive filters.
    pub rx_filters: u32,
}

impl TsInfo {
    /// Asks the kernel what `interface` can timestamp (ioctl SIOCETHTOOL,
    /// ETHTOOL_GET_TS_INFO).
    pub fn query(interface: &str) -> io::Result<TsInfo> {
        let sock = sys::ioctl_socket()?;
        Self::query_with(sock.as_raw_fd(), interface)
    }

    pub(crate) fn query_with(fd: RawFd, interface: &str) -> io::Result<TsInfo> {
        let mut info = EthtoolTsInfo {
            cmd: ETHTOOL_GET_TS_INFO,
            ..Default::default()
        };
        let mut req = sys::ifreq(interface)?;
        req.ifr_ifru.ifru_data = (&mut info as *mut EthtoolTsInfo).cast();
        sys::ioctl_ifreq(fd, libc::SIOCETHTOOL, &mut req)
            .map_err(|e| sys::context(e, format!("ETHTOOL_GET_TS_INFO on {interface}")))?;
        Ok(TsInfo {
            so_timestamping: info.so_timestamping,
            phc_index: u32::try_from(info.phc_index).ok(),
            tx_types: info.tx_types,
            rx_filters: info.rx_filters,
        })
    }

    /// Whether the interface timestamps in software both ways.
    pub fn software_capable(&self) -> bool {
        let need = libc::SOF_TIMESTAMPING_TX_SOFTWARE
            | libc::SOF_TIMESTAMPING_RX_SOFTWARE
            | libc::SOF_TIMESTAMPING_SOFTWARE;
        self.so_timestamping & need == need
    }

    /// Whether the interface timestamps in hardware both ways, against a
    /// PHC. Like ptp4l, this reads `so_timestamping` and the PHC index only:
    /// whether transmit timestamping can be switched on is for
    /// SIOCSHWTSTAMP to say (`tx_types` is not reported the same way
    /// everywhere; clknetsim, for one, gives the value rather than the bit).
    pub fn hardware_capable(&self) -> bool {
        let need = libc::SOF_TIMESTAMPING_TX_HARDWARE
            | libc::SOF_TIMESTAMPING_RX_HARDWARE
            | libc::SOF_TIMESTAMPING_RAW_HARDWARE;
        self.so_timestamping & need == need && self.phc_index.is_some()
    }

    /// The mode to use for `request`: `Auto` picks hardware when the
    /// interface is capable and software otherwise; `Hardware` on an
    /// interface without it is an `Unsupported` error.
    pub fn choose(&self, request: TimestampingRequest) -> io::Result<TimestampingMode> {
        match request {
            TimestampingRequest::Software => Ok(TimestampingMode::Software),
            TimestampingRequest::Auto if self.hardware_capable() => Ok(TimestampingMode::Hardware),
            TimestampingRequest::Auto => Ok(TimestampingMode::Software),
            TimestampingRequest::Hardware if self.hardware_capable() => {
                Ok(TimestampingMode::Hardware)
            }
            TimestampingRequest::Hardware => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "hardware timestamping requested but the interface cannot (so_timestamping {:#x}, phc {:?})",
                    self.so_timestamping, self.phc_index
                ),
            )),
        }
    }
}

/// Chooses the mode for `interface`: [`TsInfo::query`] then
/// [`TsInfo::choose`]. If the query fails, `Auto` and `Software` fall back
/// to software timestamps (every interface has them on receive) and
/// `Hardware` fails. Returns the capabilities too when they were read.
pub fn choose_mode(
    interface: &str,
    request: TimestampingRequest,
) -> io::Result<(TimestampingMode, Option<TsInfo>)> {
    match TsInfo::query(interface) {
        Ok(info) => Ok((info.choose(request)?, Some(info))),
        Err(e) => match request {
            TimestampingRequest::Hardware => Err(e),
            _ if e.kind() == io::ErrorKind::InvalidInput
                && sys::check_ifname(interface).is_err() =>
            {
                Err(e)
            }
            _ => Ok((TimestampingMode::Software, None)),
        },
    }
}

/// Which PTP packets the NIC should timestamp on receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HwRxFilter {
    /// PTP over UDP (`HWTSTAMP_FILTER_PTP_V2_L4_EVENT` as the fallback).
    Udp,
    /// PTP over Ethernet (`HWTSTAMP_FILTER_PTP_V2_L2_EVENT` as the fallback).
    Ethernet,
}

/// Switches hardware timestamping on for `interface` (ioctl SIOCSHWTSTAMP,
/// `HWTSTAMP_TX_ON`), trying the receive filters like linuxptp's
/// `hwts_init`: `PTP_V2_EVENT`, then the transport's own event filter, then
/// `ALL`. Returns the filter the driver settled on. Needs CAP_NET_ADMIN.
pub fn enable_hardware_timestamping(interface: &str, filter: HwRxFilter) -> io::Result<u32> {
    let sock = sys::ioctl_socket()?;
    let second = match filter {
        HwRxFilter::Udp => libc::HWTSTAMP_FILTER_PTP_V2_L4_EVENT,
        HwRxFilter::Ethernet => libc::HWTSTAMP_FILTER_PTP_V2_L2_EVENT,
    };
    let mut last = None;
    for rx in [
        libc::HWTSTAMP_FILTER_PTP_V2_EVENT,
        second,
        libc::HWTSTAMP_FILTER_ALL,
    ] {
        let mut cfg = libc::hwtstamp_config {
            flags: 0,
            tx_type: libc::HWTSTAMP_TX_ON as libc::c_int,
            rx_filter: rx as libc::c_int,
        };
        let mut req = sys::ifreq(interface)?;
        req.ifr_ifru.ifru_data = (&mut cfg as *mut libc::hwtstamp_config).cast();
        match sys::ioctl_ifreq(sock.as_raw_fd(), libc::SIOCSHWTSTAMP, &mut req) {
            Ok(()) => return Ok(u32::try_from(cfg.rx_filter).unwrap_or(rx)),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ERANGE | libc::EINVAL)) => {
                last = Some(e);
            }
            Err(e) => return Err(sys::context(e, format!("SIOCSHWTSTAMP on {interface}"))),
        }
    }
    let e = last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL));
    Err(sys::context(
        e,
        format!("SIOCSHWTSTAMP on {interface}: no PTP receive filter accepted"),
    ))
}

/// Enables `flags` (from [`socket_flags`]) on a socket, and
/// SO_SELECT_ERR_QUEUE so that a pending transmit timestamp also shows as
/// POLLPRI (what clknetsim's poll reports).
pub(crate) fn enable_on_socket(fd: RawFd, flags: u32) -> io::Result<()> {
    let flags = flags as libc::c_int;
    sys::setsockopt(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, &flags)
        .map_err(|e| sys::context(e, "setsockopt SO_TIMESTAMPING"))?;
    // Best effort: old kernels lack it, and POLLERR still signals the queue.
    let _ = sys::setsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_SELECT_ERR_QUEUE,
        &1 as &libc::c_int,
    );
    Ok(())
}

/// The identifier of a sent packet whose transmit timestamp comes later.
///
/// Each timestamping socket numbers its successful sends itself and hands
/// the number to the kernel with an `SCM_TS_OPT_ID` control message (Linux
/// 6.13 and later, and clknetsim), so ids are 1, 2, 3… per socket. On a
/// kernel that refuses that control message the socket falls back to the
/// kernel's own `SOF_TIMESTAMPING_OPT_ID` counter: 0, 1, 2…. Either way
/// the id a send returns is the id its timestamp comes back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId(pub u32);

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tx#{}", self.0)
    }
}

/// A transmit timestamp read from a socket's error queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxTimestamp {
    /// The send it belongs to.
    pub id: TxId,
    /// When the packet left (software: CLOCK_REALTIME; hardware: the PHC).
    pub time: Time,
}

/// The three timestamps of a `struct scm_timestamping` that Tempora uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScmTimestamping {
    /// `ts[0]`, the software timestamp, when present (non-zero).
    pub software: Option<Time>,
    /// `ts[2]`, the raw hardware timestamp, when present (non-zero).
    pub hardware: Option<Time>,
}

impl ScmTimestamping {
    /// The timestamp `mode` uses.
    pub fn get(&self, mode: TimestampingMode) -> Option<Time> {
        match mode {
            TimestampingMode::Software => self.software,
            TimestampingMode::Hardware => self.hardware,
        }
    }
}

/// A `timespec` as a [`Time`]; `None` if `nsec` is outside 0..10^9.
pub fn timespec_to_time(sec: i64, nsec: i64) -> Option<Time> {
    let nsec = u32::try_from(nsec).ok().filter(|&n| n < 1_000_000_000)?;
    Some(Time::from_secs_nanos(sec, nsec))
}

/// Parses the data of an `SCM_TIMESTAMPING` control message: three
/// timespecs, 64-bit (48 bytes: LP64 or SO_TIMESTAMPING_NEW) or 32-bit (24
/// bytes: SO_TIMESTAMPING_OLD on 32-bit targets). An all-zero timespec is
/// "absent"; `None` for data of another size or with invalid nanoseconds in
/// a present timestamp.
pub fn parse_scm_timestamping(data: &[u8]) -> Option<ScmTimestamping> {
    let ts = |i: usize| -> Option<Option<Time>> {
        let (sec, nsec) = match data.len() {
            n if n >= 48 => {
                let b = data.get(i * 16..i * 16 + 16)?;
                (
                    i64::from_ne_bytes(b[..8].try_into().ok()?),
                    i64::from_ne_bytes(b[8..].try_into().ok()?),
                )
            }
            24..48 => {
                let b = data.get(i * 8..i * 8 + 8)?;
                (
                    i64::from(i32::from_ne_bytes(b[..4].try_into().ok()?)),
                    i64::from(i32::from_ne_bytes(b[4..].try_into().ok()?)),
                )
            }
            _ => return None,
        };
        if sec == 0 && nsec == 0 {
            Some(None)
        } else {
            timespec_to_time(sec, nsec).map(Some)
        }
    };
    Some(ScmTimestamping {
        software: ts(0)?,
        hardware: ts(2)?,
    })
}

/// `struct sock_extended_err` (linux/errqueue.h), the fields used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExtendedErr {
    pub(crate) errno: u32,
    pub(crate) origin: u8,
    pub(crate) info: u32,
    pub(crate) data: u32,
}

/// `SCM_TSTAMP_SND`: the packet left (the only kind enabled here).
const SCM_TSTAMP_SND: u32 = 0;

impl ExtendedErr {
    pub(crate) fn parse(data: &[u8]) -> Option<ExtendedErr> {
        let b = data.get(..16)?;
        Some(ExtendedErr {
            errno: u32::from_ne_bytes(b[0..4].try_into().ok()?),
            origin: b[4],
            info: u32::from_ne_bytes(b[8..12].try_into().ok()?),
            data: u32::from_ne_bytes(b[12..16].try_into().ok()?),
        })
    }

    /// Whether this reports a transmit timestamp (ENOMSG from the
    /// timestamping origin, `SCM_TSTAMP_SND`); `data` is then the OPT_ID id.
    pub(crate) fn is_tx_timestamp(&self) -> bool {
        self.errno == libc::ENOMSG as u32
            && self.origin == libc::SO_EE_ORIGIN_TIMESTAMPING
            && self.info == SCM_TSTAMP_SND
    }
}

/// Whether a control message at (`level`, `ty`) carries a
/// `sock_extended_err` (IPv4, IPv6 or packet socket error queue).
pub(crate) fn is_extended_err(level: i32, ty: i32) -> bool {
    matches!(
        (level, ty),
        (libc::SOL_IP, libc::IP_RECVERR)
            | (libc::SOL_IPV6, libc::IPV6_RECVERR)
            | (libc::SOL_PACKET, libc::PACKET_TX_TIMESTAMP)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts_bytes(ts: [(i64, i64); 3]) -> Vec<u8> {
        ts.iter()
            .flat_map(|&(s, n)| s.to_ne_bytes().into_iter().chain(n.to_ne_bytes()))
            .collect()
    }

    #[test]
    fn flags_match_linuxptp() {
        let sw = socket_flags(TimestampingMode::Software);
        assert_eq!(sw & 0x7f, 0x2 | 0x8 | 0x10); // TX_SW | RX_SW | SOFTWARE
        let hw = socket_flags(TimestampingMode::Hardware);
        assert_eq!(hw & 0x7f, 0x1 | 0x4 | 0x40); // TX_HW | RX_HW | RAW_HW
        for f in [sw, hw] {
            assert_ne!(f & libc::SOF_TIMESTAMPING_OPT_ID, 0);
            assert_ne!(f & libc::SOF_TIMESTAMPING_OPT_TSONLY, 0);
        }
    }

    #[test]
    fn parses_scm_timestamping() {
        let sw = parse_scm_timestamping(&ts_bytes([(1_700_000_000, 5), (0, 0), (0, 0)])).unwrap();
        assert_eq!(sw.software, Some(Time::from_secs_nanos(1_700_000_000, 5)));
        assert_eq!(sw.hardware, None);
        assert_eq!(sw.get(TimestampingMode::Software), sw.software);
        let hw = parse_scm_timestamping(&ts_bytes([(0, 0), (0, 0), (37, 999_999_999)])).unwrap();
        assert_eq!(
            hw.get(TimestampingMode::Hardware),
            Some(Time::from_secs_nanos(37, 999_999_999))
        );
        assert_eq!(hw.software, None);
        // Bad nanoseconds, short or odd data: rejected, never a panic.
        assert!(parse_scm_timestamping(&ts_bytes([(1, 1_000_000_000), (0, 0), (0, 0)])).is_none());
        assert!(parse_scm_timestamping(&ts_bytes([(1, -1), (0, 0), (0, 0)])).is_none());
        for n in 0..48 {
            let _ = parse_scm_timestamping(&vec![0x5a; n]);
        }
        // The 32-bit layout.
        let mut b32 = Vec::new();
        for (s, n) in [(10i32, 20i32), (0, 0), (30, 40)] {
            b32.extend_from_slice(&s.to_ne_bytes());
            b32.extend_from_slice(&n.to_ne_bytes());
        }
        let t = parse_scm_timestamping(&b32).unwrap();
        assert_eq!(t.software, Some(Time::from_secs_nanos(10, 20)));
        assert_eq!(t.hardware, Some(Time::from_secs_nanos(30, 40)));
        assert_eq!(timespec_to_time(-1, 0), Some(Time::from_secs_nanos(-1, 0)));
    }

    #[test]
    fn parses_extended_err() {
        let mut b = Vec::new();
        b.extend_from_slice(&(libc::ENOMSG as u32).to_ne_bytes());
        b.extend_from_slice(&[libc::SO_EE_ORIGIN_TIMESTAMPING, 0, 0, 0]);
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend_from_slice(&42u32.to_ne_bytes());
        let e = ExtendedErr::parse(&b).unwrap();
        assert!(e.is_tx_timestamp());
        assert_eq!(e.data, 42);
        assert!(ExtendedErr::parse(&b[..15]).is_none());
        b[4] = 2; // SO_EE_ORIGIN_ICMP
        assert!(!ExtendedErr::parse(&b).unwrap().is_tx_timestamp());
        assert!(is_extended_err(libc::SOL_PACKET, libc::PACKET_TX_TIMESTAMP));
        assert!(!is_extended_err(libc::SOL_SOCKET, libc::SCM_TIMESTAMPING));
    }

    #[test]
    fn chooses_modes() {
        let sw_only = TsInfo {
            so_timestamping: 0x2 | 0x8 | 0x10,
            phc_index: None,
            tx_types: 0,
            rx_filters: 0,
        };
        assert!(sw_only.software_capable() && !sw_only.hardware_capable());
        let no_phc = TsInfo {
            so_timestamping: 0x7f,
            ..sw_only
        };
        assert!(!no_phc.hardware_capable());
        assert_eq!(
            sw_only.choose(TimestampingRequest::Auto).unwrap(),
            TimestampingMode::Software
        );
        let e = sw_only.choose(TimestampingRequest::Hardware).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        let hw = TsInfo {
            so_timestamping: 0x7f,
            phc_index: Some(0),
            tx_types: 1 << libc::HWTSTAMP_TX_ON,
            rx_filters: 1 << libc::HWTSTAMP_FILTER_ALL,
        };
        assert!(hw.hardware_capable());
        assert_eq!(
            hw.choose(TimestampingRequest::Auto).unwrap(),
            TimestampingMode::Hardware
        );
        assert_eq!(
            hw.choose(TimestampingRequest::Software).unwrap(),
            TimestampingMode::Software
        );
    }

    #[test]
    fn loopback_capabilities_and_bad_names() {
        // Reading capabilities changes nothing; `lo` has software timestamps
        // on any recent kernel (ethtool's default ts_info).
        if let Ok(info) = TsInfo::query("lo") {
            assert_eq!(
                info.choose(TimestampingRequest::Software).unwrap(),
                TimestampingMode::Software
            );
        }
        assert_eq!(
            TsInfo::query("no/such").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert!(choose_mode("nosuchif0", TimestampingRequest::Hardware).is_err());
        assert_eq!(
            choose_mode("nosuchif0", TimestampingRequest::Auto)
                .unwrap()
                .0,
            TimestampingMode::Software
        );
        assert!(choose_mode("bad name", TimestampingRequest::Auto).is_err());
    }
}
