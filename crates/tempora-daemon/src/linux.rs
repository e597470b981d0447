//! The runtime's ports and clocks on Linux: `tempora-linux`'s timestamped
//! sockets and clocks behind the runtime's traits.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use tempora_clock::{BaseClock, Clock, Correction, Duration, Time, VirtualState};
use tempora_linux::MessageClass;
use tempora_linux::clock::{PhcClock, RealtimeBase, SystemClock};
use tempora_linux::interface::MacAddr;
use tempora_linux::raw::{RawDestination, RawTransport};
use tempora_linux::udp::{self, UdpTransport};
use tempora_ptp::engine::{Address, Destination};

use crate::runtime::{DisciplinedClock, PortIo, Received};

/// One port's sockets.
pub enum LinuxPort {
    /// UDP over IPv4 or IPv6: event and general sockets.
    Udp(UdpTransport),
    /// Ethernet.
    Raw(RawTransport),
}

impl LinuxPort {
    /// Its sockets to poll, by the number [`PortIo::recv`] takes: for UDP
    /// the event socket, then the general one.
    pub fn fds(&self) -> Vec<RawFd> {
        match self {
            LinuxPort::Udp(u) => vec![u.event_fd().as_raw_fd(), u.general_fd().as_raw_fd()],
            LinuxPort::Raw(r) => vec![r.as_raw_fd()],
        }
    }
}

const EVENT_PORT: u16 = 319;
const GENERAL_PORT: u16 = 320;

impl PortIo for LinuxPort {
    fn send(
        &mut self,
        event: bool,
        destination: Destination,
        data: &[u8],
        _want: bool,
    ) -> io::Result<Option<u64>> {
        let class = if event {
            MessageClass::Event
        } else {
            MessageClass::General
        };
        let id = match self {
            LinuxPort::Udp(u) => {
                let d = match destination {
                    Destination::Multicast => udp::Destination::Primary,
                    Destination::PdelayMulticast => udp::Destination::PeerDelay,
                    Destination::Unicast(Address::Ip(ip)) => {
                        let port = if event { EVENT_PORT } else { GENERAL_PORT };
                        udp::Destination::Unicast(SocketAddr::new(ip, port))
                    }
                    Destination::Unicast(Address::Mac(_)) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "MAC destination on a UDP port",
                        ));
                    }
                };
                u.send(class, d, data)?
            }
            LinuxPort::Raw(r) => {
                let d = match destination {
                    Destination::Multicast => RawDestination::Primary,
                    Destination::PdelayMulticast => RawDestination::PeerDelay,
                    Destination::Unicast(Address::Mac(m)) => RawDestination::Unicast(MacAddr(m)),
                    Destination::Unicast(Address::Ip(_)) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "IP destination on an Ethernet port",
                        ));
                    }
                };
                r.send(class, d, data)?
            }
        };
        Ok(id.map(|i| u64::from(i.0)))
    }

    fn recv(&mut self, socket: usize) -> io::Result<Option<Received>> {
        let mut buf = [0u8; 1500];
        match self {
            LinuxPort::Udp(u) => {
                let class = if socket == 0 {
                    MessageClass::Event
                } else {
                    MessageClass::General
                };
                match u.recv(class, &mut buf)? {
                    Some(r) if !r.truncated => Ok(Some(Received {
                        data: buf.get(..r.len).unwrap_or_default().to_vec(),
                        rx: r.rx,
                        source: Some(Address::Ip(r.source.ip())),
                    })),
                    _ => Ok(None),
                }
            }
            LinuxPort::Raw(r) => match r.recv(&mut buf)? {
                Some(m) if !m.truncated => Ok(Some(Received {
                    data: buf.get(..m.len).unwrap_or_default().to_vec(),
                    rx: m.rx,
                    source: Some(Address::Mac(m.source.0)),
                })),
                _ => Ok(None),
            },
        }
    }

    fn recv_tx_timestamp(&mut self) -> io::Result<Option<(u64, Time)>> {
        let t = match self {
            LinuxPort::Udp(u) => u.recv_tx_timestamp()?,
            LinuxPort::Raw(r) => r.recv_tx_timestamp()?,
        };
        Ok(t.map(|t| (u64::from(t.id.0), t.time)))
    }
}

/// The disciplined clock: the system clock, a PHC, or a virtual clock over
/// CLOCK_REALTIME (which never touches the system clock).
pub enum LinuxClock {
    /// CLOCK_REALTIME, adjusted through clock_adjtime.
    System(SystemClock),
    /// A PTP hardware clock.
    Phc(PhcClock),
    /// A virtual clock over CLOCK_REALTIME.
    Virtual(VirtualState),
}

/// Carries out a servo correction on a platform clock.
pub fn apply_to<C: Clock>(clock: &mut C, c: Correction) -> io::Result<()> {
    let err = |e: tempora_clock::ClockError| io::Error::other(e.to_string());
    match c {
        Correction::None => Ok(()),
        Correction::Frequency { frequency_ppb } => clock.set_frequency(frequency_ppb).map_err(err),
        Correction::Step {
            step,
            frequency_ppb,
        } => {
            clock.step(step).map_err(err)?;
            clock.set_frequency(frequency_ppb).map_err(err)
        }
    }
}

impl LinuxClock {
    /// The clock as the NTP server's worker loops see it.
    pub fn snapshot(&self) -> crate::ntp_workers::ClockSnapshot {
        crate::ntp_workers::ClockSnapshot {
            virtual_state: match self {
                LinuxClock::Virtual(v) => Some(*v),
                _ => None,
            },
        }
    }
}

impl DisciplinedClock for LinuxClock {
    fn now(&self) -> Time {
        match self {
            LinuxClock::System(c) => c.now(),
            LinuxClock::Phc(c) => c.now(),
            LinuxClock::Virtual(v) => v.time_at(RealtimeBase.now()),
        }
    }

    fn time_of_raw(&self, raw: Time) -> Time {
        match self {
            LinuxClock::Virtual(v) => v.time_at(raw),
            _ => raw,
        }
    }

    fn apply(&mut self, correction: Correction) -> io::Result<()> {
        match self {
            LinuxClock::System(c) => apply_to(c, correction),
            LinuxClock::Phc(c) => apply_to(c, correction),
            LinuxClock::Virtual(v) => {
                v.apply_at(RealtimeBase.now(), correction);
                Ok(())
            }
        }
    }

    fn kind(&self) -> String {
        match self {
            LinuxClock::System(_) => "system".into(),
            LinuxClock::Phc(c) => c.path().into(),
            LinuxClock::Virtual(_) => "virtual".into(),
        }
    }

    fn error_vs_system(&self) -> Option<Duration> {
        match self {
            LinuxClock::Virtual(v) => Some(v.error_at(RealtimeBase.now())),
            _ => None,
        }
    }

    fn counts_utc(&self) -> bool {
        !matches!(self, LinuxClock::Phc(_))
    }

    fn set_leap(&mut self, leap: tempora_clock::LeapStatus) -> io::Result<()> {
        match self {
            LinuxClock::System(c) => c
                .set_leap(leap)
                .map_err(|e| io::Error::other(e.to_string())),
            LinuxClock::Virtual(v) => {
                v.set_leap_at(RealtimeBase.now(), leap);
                Ok(())
            }
            LinuxClock::Phc(_) => Ok(()),
        }
    }

    fn set_tai_offset(&mut self, seconds: i16) -> io::Result<()> {
        match self {
            LinuxClock::System(c) => c
                .set_tai_offset(i32::from(seconds))
                .map_err(|e| io::Error::other(e.to_string())),
            LinuxClock::Virtual(v) => {
                v.set_tai_offset(i32::from(seconds));
                Ok(())
            }
            LinuxClock::Phc(_) => Ok(()),
        }
    }

    fn ntp_time(&self, raw: Option<Time>) -> Time {
        match (self, raw) {
            (LinuxClock::Phc(_), Some(r)) => r,
            (LinuxClock::Phc(_), None) => RealtimeBase.now(),
            (_, Some(r)) => self.time_of_raw(r),
            (_, None) => self.now(),
        }
    }
}
