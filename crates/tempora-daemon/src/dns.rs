//! Name resolution for NTP: the addresses of a server named by host name
//! or address (used by the daemon's NTP client, its NTS key establishment
//! and `tempora query`), and the resolver thread that keeps getaddrinfo's
//! waits out of the timing loop.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;

use tempora_config::{NtpSourceKind, NtpSourceSettings};

/// The NTP port (RFC 5905 §7.2: UDP port 123).
const NTP_PORT: u16 = 123;

/// Addresses a pool keeps in use (RFC 5905 does not say; chrony's
/// `maxsources` default is 4).
pub const POOL_MEMBERS: usize = 4;

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

/// The addresses of a source: a pool gives up to [`POOL_MEMBERS`]
/// addresses, a server its first.
pub fn resolve(s: &NtpSourceSettings) -> io::Result<Vec<SocketAddr>> {
    let addrs = server_addresses(&s.address)?;
    Ok(match s.kind {
        NtpSourceKind::Server => addrs.into_iter().take(1).collect(),
        NtpSourceKind::Pool => addrs.into_iter().take(POOL_MEMBERS).collect(),
    })
}

/// Resolves names on its own thread (getaddrinfo blocks), so that the
/// timing loop never waits on DNS. Started only when a pool is configured.
pub struct Resolver {
    requests: mpsc::Sender<(usize, NtpSourceSettings)>,
    answers: mpsc::Receiver<(usize, io::Result<Vec<SocketAddr>>)>,
}

impl Resolver {
    /// Starts the thread.
    pub fn start() -> io::Result<Resolver> {
        let (requests, rx) = mpsc::channel::<(usize, NtpSourceSettings)>();
        let (tx, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("tempora-resolver".into())
            .spawn(move || {
                for (origin, settings) in rx {
                    if tx.send((origin, resolve(&settings))).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Resolver { requests, answers })
    }

    /// Asks for the addresses of `[[ntp-source]]` number `origin`; the
    /// answer comes back from [`Resolver::answers`].
    pub fn request(&self, origin: usize, settings: &NtpSourceSettings) {
        // The thread ends only when this end is dropped.
        let _ = self.requests.send((origin, settings.clone()));
    }

    /// The answers that arrived since the last call, without waiting.
    pub fn answers(&self) -> Vec<(usize, io::Result<Vec<SocketAddr>>)> {
        std::iter::from_fn(|| self.answers.try_recv().ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(address: &str, kind: NtpSourceKind) -> NtpSourceSettings {
        NtpSourceSettings {
            address: address.into(),
            kind,
            iburst: false,
            xleave: false,
            nts: false,
            key: None,
            minpoll: 6,
            maxpoll: 10,
            prefer: false,
            noselect: false,
            trust: false,
            require: false,
            offset: None,
            asymmetry: None,
            max_delay: None,
            version: Default::default(),
            timescale: Default::default(),
            draft: tempora_config::NtpDraftSetting::Auto,
        }
    }

    #[test]
    fn addresses_default_to_the_ntp_port() {
        let v4: SocketAddr = "192.0.2.1:123".parse().unwrap();
        assert_eq!(server_addresses("192.0.2.1").unwrap(), vec![v4]);
        let v6: SocketAddr = "[2001:db8::1]:123".parse().unwrap();
        assert_eq!(server_addresses("2001:db8::1").unwrap(), vec![v6]);
        let port: SocketAddr = "[2001:db8::1]:4123".parse().unwrap();
        assert_eq!(server_addresses("[2001:db8::1]:4123").unwrap(), vec![port]);
        assert!(
            server_addresses("localhost")
                .unwrap()
                .iter()
                .all(|a| a.port() == NTP_PORT && a.ip().is_loopback())
        );
        assert!(server_addresses("localhost:4123").unwrap()[0].port() == 4123);
    }

    #[test]
    fn resolver_thread_answers() {
        let resolver = Resolver::start().unwrap();
        resolver.request(3, &source("192.0.2.7", NtpSourceKind::Pool));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let answers = loop {
            let a = resolver.answers();
            if !a.is_empty() || std::time::Instant::now() > deadline {
                break a;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].0, 3);
        let addrs = answers[0].1.as_ref().unwrap();
        assert_eq!(addrs, &vec!["192.0.2.7:123".parse::<SocketAddr>().unwrap()]);
        assert!(resolver.answers().is_empty());
    }
}
