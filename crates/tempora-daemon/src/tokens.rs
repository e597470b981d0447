//! The timing loop's token table: every descriptor it polls, with what owns
//! it, so that each ready descriptor is dispatched in one place. The
//! metrics endpoint, the NTP worker loops, the resolver and the NTS-KE
//! threads poll their own descriptors and are not in it.

use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;

use tempora_clock::Duration;
use tempora_linux::poll::{Poller, Readiness};

/// What owns a polled descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// Socket `socket` of PTP port `port` (engine order; for UDP 0 is the
    /// event socket and 1 the general one, a raw port has socket 0).
    PtpPort {
        /// The port's index.
        port: usize,
        /// The socket within the port.
        socket: usize,
    },
    /// The control socket (`tempora status`, `pmc`).
    Control,
    /// The read-only status socket.
    StatusSocket,
    /// An NTP server socket served by the timing loop (no workers).
    NtpServer(usize),
    /// A socket of the NTP client (one per source address).
    NtpClient,
    /// A socket of the CSPTP server served by the timing loop.
    CsptpServer,
    /// A socket of the CSPTP sources.
    CsptpClient,
    /// A socket of the Roughtime server.
    RoughtimeServer,
    /// A reference clock's socket or device (gpsd, SOCK, a serial port).
    Refclock,
}

/// The polled descriptors and their owners.
#[derive(Debug, Default)]
pub struct Tokens {
    poller: Poller,
    owners: HashMap<RawFd, Token>,
}

impl Tokens {
    /// An empty table.
    pub fn new() -> Self {
        Tokens::default()
    }

    /// Polls `fd`, owned by `token`.
    pub fn add(&mut self, fd: RawFd, token: Token) {
        self.poller.register_raw(fd);
        self.owners.insert(fd, token);
    }

    /// Stops polling `fd` (before it is closed).
    pub fn remove(&mut self, fd: RawFd) {
        self.poller.deregister(fd);
        self.owners.remove(&fd);
    }

    /// The owner of `fd`.
    pub fn owner(&self, fd: RawFd) -> Option<Token> {
        self.owners.get(&fd).copied()
    }

    /// Waits up to `timeout` for ready descriptors; returns them with their
    /// owners, in the order they were added.
    pub fn wait(&mut self, timeout: Duration) -> io::Result<Vec<(Token, Readiness)>> {
        let ready = self.poller.wait(timeout)?;
        Ok(ready
            .into_iter()
            .filter_map(|r| Some((self.owner(r.fd)?, r)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixDatagram;

    #[test]
    fn ready_descriptors_come_with_their_owners() {
        let (a, b) = UnixDatagram::pair().unwrap();
        let (c, d) = UnixDatagram::pair().unwrap();
        let mut tokens = Tokens::new();
        tokens.add(b.as_raw_fd(), Token::Control);
        tokens.add(d.as_raw_fd(), Token::PtpPort { port: 1, socket: 0 });
        assert!(tokens.wait(Duration::ZERO).unwrap().is_empty());
        a.send(b"x").unwrap();
        c.send(b"y").unwrap();
        let ready = tokens.wait(Duration::from_millis(100)).unwrap();
        let owners: Vec<Token> = ready.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            owners,
            vec![Token::Control, Token::PtpPort { port: 1, socket: 0 }]
        );
        assert!(ready.iter().all(|(_, r)| r.readable));
        tokens.remove(b.as_raw_fd());
        assert_eq!(tokens.owner(b.as_raw_fd()), None);
        let ready = tokens.wait(Duration::from_millis(100)).unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].0, Token::PtpPort { port: 1, socket: 0 });
    }
}
