//! The daemon's Unix sockets: datagram sockets (like ptp4l's) that answer
//! linuxptp's `pmc -u -s PATH` with PTP management messages, and
//! `tempora status` with a JSON status. The control socket (mode 0660:
//! its owner and `socket-group`) takes every management action; the
//! optional read-only status socket (like ptp4l's `uds_ro`; mode 0666, or
//! 0660 with `status-socket-group`) answers GETs and the status and
//! refuses SET and COMMAND. The timing loop polls them along with its
//! network sockets; nothing here blocks.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
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
    /// A `tempora ctl` request (a datagram starting `tempora-ctl `),
    /// parsed, or why it could not be.
    Ctl(
        SocketAddr,
        Result<tempora_control::Command, tempora_control::ParseError>,
    ),
}

/// Who may use a socket, and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The socket file's permission bits (0660 or 0666).
    pub mode: u32,
    /// The socket file's group, if not the daemon's.
    pub group: Option<u32>,
    /// The socket file's and a created directory's owner and group, if not
    /// the daemon's (the user it will run as).
    pub owner: Option<(u32, u32)>,
    /// Whether SET and COMMAND are refused (the status socket).
    pub read_only: bool,
}

impl Access {
    /// The control socket: 0660, the daemon's user and group.
    pub const CONTROL: Access = Access {
        mode: 0o660,
        group: None,
        owner: None,
        read_only: false,
    };
}

/// The daemon's side of a socket.
#[derive(Debug)]
pub struct ControlSocket {
    socket: UnixDatagram,
    path: PathBuf,
    read_only: bool,
}

impl ControlSocket {
    /// Binds the control socket at `path` with [`Access::CONTROL`].
    pub fn bind(path: &Path) -> io::Result<Self> {
        Self::bind_with(path, Access::CONTROL)
    }

    /// Binds a socket at `path`: its directory created if needed (0755,
    /// owned by `access.owner`) and checked ([`check_directory`]), a stale
    /// socket there replaced (anything else at the path is an error and
    /// left alone), the socket file given `access`'s mode and group.
    pub fn bind_with(path: &Path, access: Access) -> io::Result<Self> {
        let dir = directory_of(path);
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
            if let Some((uid, gid)) = access.owner {
                std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
            }
        }
        check_directory(dir, access.owner.map(|(uid, _)| uid))?;
        remove_stale_socket(path)?;
        // Not UnixDatagram::bind: see tempora_linux::unix (clknetsim). The
        // file is made 0600 whatever the umask, then opened up as asked.
        let socket = tempora_linux::unix::bind_datagram(path)?;
        let uid = access.owner.map(|(uid, _)| uid);
        let gid = access.group.or(access.owner.map(|(_, gid)| gid));
        if uid.is_some() || gid.is_some() {
            std::os::unix::fs::chown(path, uid, gid)?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(access.mode))?;
        Ok(ControlSocket {
            socket,
            path: path.to_path_buf(),
            read_only: access.read_only,
        })
    }

    /// Whether this is the read-only status socket.
    pub fn read_only(&self) -> bool {
        self.read_only
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
                } else if tempora_control::request::is_control(data) {
                    Ok(Some(Request::Ctl(from, tempora_control::parse(data))))
                } else {
                    Ok(Some(Request::Management(from, data.to_vec())))
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends `data` to `to` (a reply). A reply that cannot be sent is
    /// dropped, never an error: a client gone already, one whose socket
    /// the daemon may not write to (it runs as another user), one that
    /// does not read its replies (its queue full), one without an address.
    /// No client can stop the daemon.
    pub fn reply(&self, to: &SocketAddr, data: &[u8]) -> io::Result<()> {
        if let Err(e) = self.socket.send_to_addr(data, to) {
            tracing::debug!(error = %e, "cannot answer a control socket client");
        }
        Ok(())
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The directory a socket at `path` lives in (`.` for a bare name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks the directory of a socket, as chrony checks its own: a directory,
/// owned by root, by the user the daemon runs as now, or by `daemon_uid`
/// (the user it will run as), and not writable by everyone unless sticky
/// (as `/tmp`, where no one can remove or replace another's file).
pub fn check_directory(dir: &Path, daemon_uid: Option<u32>) -> io::Result<()> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    let refuse = |why: String| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{}: {why}: refusing to put a socket there", dir.display()),
        )
    };
    if !meta.is_dir() {
        return Err(refuse("not a directory".into()));
    }
    let me = tempora_linux::account::effective_uid();
    if meta.uid() != 0 && meta.uid() != me && Some(meta.uid()) != daemon_uid {
        return Err(refuse(format!(
            "owned by uid {}, not by root or the daemon's user",
            meta.uid()
        )));
    }
    if meta.mode() & 0o002 != 0 && meta.mode() & 0o1000 == 0 {
        return Err(refuse(format!(
            "writable by everyone (mode {:o})",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

/// Removes a socket left at `path` by an earlier run; anything else there
/// (a regular file, a directory, a link) is an error and left intact.
pub fn remove_stale_socket(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not a socket: not replacing it",
                path.display()
            ),
        )),
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

/// `tempora ctl`'s side: sends `command` to the daemon at `path` and
/// returns its reply.
pub fn query_ctl(
    path: &Path,
    command: &tempora_control::Command,
    timeout: Duration,
) -> io::Result<tempora_control::Reply> {
    let name = format!("tempora-ctl-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    let socket = UnixDatagram::bind_addr(&addr)?;
    socket.set_read_timeout(Some(timeout))?;
    socket.send_to(&tempora_control::request::encode(command), path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = socket.recv(&mut buf)?;
    tempora_control::Reply::decode(buf.get(..n).unwrap_or_default())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
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

    #[test]
    fn a_file_at_the_path_is_left_alone() {
        let path =
            std::env::temp_dir().join(format!("tempora-control-file-{}.sock", std::process::id()));
        std::fs::write(&path, b"keep me").unwrap();
        let err = ControlSocket::bind(&path).unwrap_err();
        assert!(err.to_string().contains("not a socket"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn the_mode_is_0660_and_open_directories_are_refused() {
        let dir = std::env::temp_dir().join(format!("tempora-control-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("c.sock");
        let server = ControlSocket::bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o660);
        drop(server);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = ControlSocket::bind(&path).unwrap_err();
        assert!(err.to_string().contains("writable by everyone"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
