//! Unix datagram sockets made the way the timing loop needs them: a plain
//! `socket(AF_UNIX, SOCK_DGRAM, 0)` with the flags set by `fcntl(2)`
//! afterwards (std's `UnixDatagram::bind` passes SOCK_CLOEXEC in the type,
//! which clknetsim rejects), then handed to std as a [`UnixDatagram`].

use std::io;
use std::os::fd::FromRawFd;
use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use crate::sys;

/// A non-blocking, close-on-exec Unix datagram socket bound to `path`; the
/// socket file has mode 0600 (owner only) whatever the umask.
pub fn bind_datagram(path: &Path) -> io::Result<UnixDatagram> {
    let fd = sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0)?;
    // SAFETY: all-zero bytes are a valid sockaddr_un.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.is_empty() || bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(sys::invalid(format!(
            "{}: not a usable socket path (at most {} bytes, no NUL)",
            path.display(),
            addr.sun_path.len() - 1
        )));
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    let len = libc::socklen_t::try_from(len).map_err(|_| sys::invalid("socket path too long"))?;
    use std::os::fd::AsRawFd;
    // The socket file is created 0600 whatever the umask (bind(2) applies
    // the umask); the caller then opens it to whom it should. The umask is
    // the process's, so it is put back at once.
    // SAFETY: umask(2) takes and returns a mode; it cannot fail.
    let old = unsafe { libc::umask(0o177) };
    // SAFETY: `addr` is a valid sockaddr_un and `len` covers the family and
    // the NUL-terminated path inside it.
    let bound = sys::cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast::<libc::sockaddr>(),
            len,
        )
    });
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    bound?;
    // SAFETY: the descriptor is a bound Unix datagram socket that we own;
    // ownership passes to the UnixDatagram.
    Ok(unsafe { UnixDatagram::from_raw_fd(fd.into_raw_fd()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_and_exchanges_datagrams() {
        let dir = std::env::temp_dir().join(format!("tempora-unix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let server = bind_datagram(&dir.join("s")).unwrap();
        let client = bind_datagram(&dir.join("c")).unwrap();
        client.send_to(b"hello", dir.join("s")).unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(dir.join("c").as_path()));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("s"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // Non-blocking: nothing more to read.
        assert_eq!(
            server.recv_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        let long = dir.join("x".repeat(200));
        assert!(
            bind_datagram(&long)
                .unwrap_err()
                .to_string()
                .contains("not a usable socket path")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
