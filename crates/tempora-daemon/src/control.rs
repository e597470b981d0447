//! The daemon's Unix socket: a datagram socket (like ptp4l's) that answers
//! linuxptp's `pmc -u -s PATH` with PTP management messages, and
//! `tempora status` with a JSON status. The timing loop polls it along
//! with its network sockets; nothing here blocks.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The request `tempora status` sends.
pub const STATUS_REQUEST: &[u8] = b"tempora-status\n";

/// A request read from the socket.
#[derive(Debug)]
pub enum Request {
    /// `tempora status`: answer with the JSON status.
    Status(SocketAddr),
    /// A PTP management message (from `pmc`): answer with the engine's
    /// responses.
    Management(SocketAddr, Vec<u8>),
}

/// The daemon's side of the socket.
#[derive(Debug)]
pub struct ControlSocket {
    socket: UnixDatagram,
    path: PathBuf,
}

impl ControlSocket {
    /// Binds the socket at `path`, replacing a stale one, creating the
    /// directory if needed.
    pub fn bind(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // Not UnixDatagram::bind: see tempora_linux::unix (clknetsim).
        let socket = tempora_linux::unix::bind_datagram(path)?;
        Ok(ControlSocket {
            socket,
            path: path.to_path_buf(),
        })
    }

    /// The descriptor to poll.
    pub fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// The next request, if one is waiting.
    pub fn recv(&self) -> io::Result<Option<Request>> {
        let mut buf = [0u8; 2048];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let data = buf.get(..n).unwrap_or_default();
                if data == STATUS_REQUEST {
                    Ok(Some(Request::Status(from)))
                } else {
                    Ok(Some(Request::Management(from, data.to_vec())))
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends `data` to `to` (a reply); a client gone already is not an error.
    pub fn reply(&self, to: &SocketAddr, data: &[u8]) -> io::Result<()> {
        match self.socket.send_to_addr(data, to) {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `tempora status`'s side: asks the daemon at `path` for its status and
/// returns the JSON text.
pub fn query_status(path: &Path, timeout: Duration) -> io::Result<String> {
    // An abstract address: nothing to clean up in the file system.
    let name = format!("tempora-status-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    let socket = UnixDatagram::bind_addr(&addr)?;
    socket.set_read_timeout(Some(timeout))?;
    socket.send_to(STATUS_REQUEST, path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let n = socket.recv(&mut buf)?;
    buf.truncate(n);
    String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trip_over_the_socket() {
        let path =
            std::env::temp_dir().join(format!("tempora-control-test-{}.sock", std::process::id()));
        let server = ControlSocket::bind(&path).unwrap();
        let p = path.clone();
        let client = std::thread::spawn(move || query_status(&p, Duration::from_secs(5)));
        let request = loop {
            if let Some(r) = server.recv().unwrap() {
                break r;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let Request::Status(from) = request else {
            panic!("{request:?}")
        };
        server.reply(&from, b"{\"ok\":true}").unwrap();
        assert_eq!(client.join().unwrap().unwrap(), "{\"ok\":true}");
        drop(server);
        assert!(!path.exists(), "the socket file is removed on drop");
    }
}
