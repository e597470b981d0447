//! Name resolution for NTP: the addresses of a server named by host name
//! or address. Used by the daemon's NTP client, its NTS key establishment
//! and `tempora query`.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// The NTP port (RFC 5905 §7.2: UDP port 123).
const NTP_PORT: u16 = 123;

/// The addresses of an NTP server named `HOST`, `HOST:PORT`, an IP address
/// or `[IPV6]:PORT` (port 123 by default), as the resolver gives them.
pub fn server_addresses(text: &str) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, NTP_PORT)]);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    let with_port = if text.rsplit_once(':').is_some() {
        text.to_string()
    } else {
        format!("{text}:{NTP_PORT}")
    };
    Ok(with_port.to_socket_addrs()?.collect())
}
