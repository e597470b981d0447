//! Network interface lookups: index, MAC address, first IPv4/IPv6 address,
//! and the PTP clock identity derived from the MAC.
//!
//! The index and MAC come from `SIOCGIFINDEX` and `SIOCGIFHWADDR` ioctls on
//! a datagram socket (what linuxptp does, and what clknetsim simulates;
//! `if_nametoindex` is the fallback), the addresses from `getifaddrs`.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use crate::sys;

/// An EUI-48 (Ethernet MAC) address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// PTP's primary multicast address over Ethernet, 01:1B:19:00:00:00
    /// (IEEE 1588-2019 Annex E.3).
    pub const PTP_PRIMARY: MacAddr = MacAddr([0x01, 0x1b, 0x19, 0, 0, 0]);
    /// PTP's peer-delay multicast address, 01:80:C2:00:00:0E (Annex E.3).
    pub const PTP_PDELAY: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]);

    /// The EUI-64 made from this EUI-48 by inserting FF:FE in the middle,
    /// the usual way to form a PTP clockIdentity (IEEE 1588-2019 §7.5.2.2.2).
    pub const fn to_eui64(self) -> [u8; 8] {
        let m = self.0;
        [m[0], m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]
    }

    /// Whether it is all zeroes (loopback and some virtual interfaces).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    /// Whether it is a group (multicast) address.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }
}

/// Formats as `aa:bb:cc:dd:ee:ff`.
impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// The interface's index (`SIOCGIFINDEX`, falling back to
/// `if_nametoindex`).
pub fn interface_index(name: &str) -> io::Result<u32> {
    let mut req = sys::ifreq(name)?;
    let sock = sys::ioctl_socket()?;
    match sys::ioctl_ifreq(sock.as_raw_fd(), libc::SIOCGIFINDEX, &mut req) {
        Ok(()) => {
            // SAFETY: SIOCGIFINDEX filled in the ifindex member of the union.
            let idx = unsafe { req.ifr_ifru.ifru_ifindex };
            u32::try_from(idx).map_err(|_| sys::invalid(format!("{name}: negative ifindex")))
        }
        Err(first) => {
            let c = sys::c_name(name)?;
            // SAFETY: `c` is a valid NUL-terminated string for the call.
            let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
            if idx == 0 {
                Err(sys::context(first, format!("interface {name}")))
            } else {
                Ok(idx)
            }
        }
    }
}

/// The interface's hardware address (`SIOCGIFHWADDR`).
pub fn mac_address(name: &str) -> io::Result<MacAddr> {
    let mut req = sys::ifreq(name)?;
    let sock = sys::ioctl_socket()?;
    sys::ioctl_ifreq(sock.as_raw_fd(), libc::SIOCGIFHWADDR, &mut req)
        .map_err(|e| sys::context(e, format!("SIOCGIFHWADDR on {name}")))?;
    // SAFETY: SIOCGIFHWADDR filled in the hwaddr member of the union.
    let sa = unsafe { req.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (m, d) in mac.iter_mut().zip(sa.sa_data.iter()) {
        *m = *d as u8;
    }
    Ok(MacAddr(mac))
}

/// One address of an interface, as `getifaddrs` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfAddr {
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 address with its scope id.
    V6(Ipv6Addr, u32),
}

/// Every IPv4 and IPv6 address of `name`, in `getifaddrs` order.
pub fn addresses(name: &str) -> io::Result<Vec<IfAddr>> {
    sys::check_ifname(name)?;
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head into `head`; freed below.
    sys::cvt(unsafe { libc::getifaddrs(&mut head) }).map_err(|e| sys::context(e, "getifaddrs"))?;
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet
        // freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        // SAFETY: ifa_name is null or a NUL-terminated string in the list.
        if unsafe { sys::string_from_ptr(ifa.ifa_name) }.as_deref() != Some(name)
            || ifa.ifa_addr.is_null()
        {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points at a sockaddr.
        let family = libc::c_int::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_INET {
            // SAFETY: an AF_INET entry's address is a sockaddr_in.
            let sin = unsafe { *ifa.ifa_addr.cast::<libc::sockaddr_in>() };
            out.push(IfAddr::V4(Ipv4Addr::from(
                sin.sin_addr.s_addr.to_ne_bytes(),
            )));
        } else if family == libc::AF_INET6 {
            // SAFETY: an AF_INET6 entry's address is a sockaddr_in6.
            let sin6 = unsafe { *ifa.ifa_addr.cast::<libc::sockaddr_in6>() };
            out.push(IfAddr::V6(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                sin6.sin6_scope_id,
            ));
        }
    }
    if !head.is_null() {
        // SAFETY: `head` came from getifaddrs and is freed exactly once; no
        // reference into the list outlives this point.
        unsafe { libc::freeifaddrs(head) };
    }
    Ok(out)
}

/// The first IPv4 address of `name`, if it has one.
pub fn first_ipv4(name: &str) -> io::Result<Option<Ipv4Addr>> {
    Ok(addresses(name)?.into_iter().find_map(|a| match a {
        IfAddr::V4(ip) => Some(ip),
        IfAddr::V6(..) => None,
    }))
}

/// The first IPv6 address of `name`, preferring one that is not link-local.
pub fn first_ipv6(name: &str) -> io::Result<Option<Ipv6Addr>> {
    let v6: Vec<Ipv6Addr> = addresses(name)?
        .into_iter()
        .filter_map(|a| match a {
            IfAddr::V6(ip, _) => Some(ip),
            IfAddr::V4(_) => None,
        })
        .collect();
    Ok(v6
        .iter()
        .find(|ip| !ip.is_unicast_link_local())
        .or(v6.first())
        .copied())
}

/// What Tempora needs to know about an interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Interface {
    /// Its name.
    pub name: String,
    /// Its index.
    pub index: u32,
    /// Its hardware address (all zeroes on loopback).
    pub mac: MacAddr,
    /// Its first IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// Its first IPv6 address (not link-local if it has such).
    pub ipv6: Option<Ipv6Addr>,
}

impl Interface {
    /// Looks everything up; errors if the interface does not exist.
    pub fn lookup(name: &str) -> io::Result<Interface> {
        let index = interface_index(name)?;
        let mac = mac_address(name)?;
        let addrs = addresses(name)?;
        let ipv4 = addrs.iter().find_map(|a| match a {
            IfAddr::V4(ip) => Some(*ip),
            IfAddr::V6(..) => None,
        });
        let v6: Vec<Ipv6Addr> = addrs
            .iter()
            .filter_map(|a| match a {
                IfAddr::V6(ip, _) => Some(*ip),
                IfAddr::V4(_) => None,
            })
            .collect();
        let ipv6 = v6
            .iter()
            .find(|ip| !ip.is_unicast_link_local())
            .or(v6.first())
            .copied();
        Ok(Interface {
            name: name.to_owned(),
            index,
            mac,
            ipv4,
            ipv6,
        })
    }

    /// The PTP clock identity from the MAC ([`MacAddr::to_eui64`]).
    pub fn clock_identity(&self) -> [u8; 8] {
        self.mac.to_eui64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_and_display() {
        let m = MacAddr([0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef]);
        assert_eq!(
            m.to_eui64(),
            [0x00, 0x1b, 0x21, 0xff, 0xfe, 0xab, 0xcd, 0xef]
        );
        assert_eq!(m.to_string(), "00:1b:21:ab:cd:ef");
        assert!(MacAddr::PTP_PRIMARY.is_multicast() && MacAddr::PTP_PDELAY.is_multicast());
        assert!(!m.is_multicast() && !m.is_zero() && MacAddr::default().is_zero());
    }

    #[test]
    fn loopback_lookup() {
        let lo = Interface::lookup("lo").unwrap();
        assert!(lo.index >= 1);
        assert!(lo.mac.is_zero());
        assert_eq!(lo.ipv4, Some(Ipv4Addr::LOCALHOST));
        assert_eq!(first_ipv4("lo").unwrap(), Some(Ipv4Addr::LOCALHOST));
        if let Some(v6) = first_ipv6("lo").unwrap() {
            assert_eq!(v6, Ipv6Addr::LOCALHOST);
        }
        assert_eq!(lo.clock_identity(), [0, 0, 0, 0xff, 0xfe, 0, 0, 0]);
    }

    #[test]
    fn missing_and_invalid_interfaces() {
        let e = interface_index("nosuchif0").unwrap_err();
        assert!(e.to_string().contains("nosuchif0"), "{e}");
        assert!(mac_address("nosuchif0").is_err());
        assert!(Interface::lookup("nosuchif0").is_err());
        assert_eq!(addresses("nosuchif0").unwrap(), vec![]);
        for bad in ["", "a/b", "waytoolonginterfacename"] {
            assert_eq!(
                interface_index(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
            assert_eq!(
                addresses(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
    }
}
