//! A non-blocking TCP connection for a client in the single-threaded
//! timing loop (gpsd's JSON service): `connect(2)` on a non-blocking
//! socket returns at once, and the caller looks later whether it is up.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::FromRawFd;

/// Starts connecting to `addr`; the stream is non-blocking and may not be
/// connected yet (see [`connected`]).
pub fn connect_nonblocking(addr: SocketAddr) -> io::Result<TcpStream> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: socket(2) takes plain integers.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and nothing else owns it.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let sockaddr = crate::socket::SockAddr::from_socket_addr(addr);
    let r = crate::socket::connect_raw(fd, &sockaddr);
    if r != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
    }
    Ok(stream)
}

/// Whether a stream from [`connect_nonblocking`] is connected: `Ok(true)`
/// once up, `Ok(false)` while in progress, the error when it failed.
pub fn connected(stream: &TcpStream) -> io::Result<bool> {
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    match stream.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_connection_comes_up_and_a_refused_one_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let s = connect_nonblocking(addr).unwrap();
        let _peer = listener.accept().unwrap();
        let mut up = false;
        for _ in 0..100 {
            if connected(&s).unwrap() {
                up = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(up);
        drop(listener);
        let s = connect_nonblocking(addr).unwrap();
        let mut failed = false;
        for _ in 0..100 {
            match connected(&s) {
                Err(_) => {
                    failed = true;
                    break;
                }
                Ok(true) => break,
                Ok(false) => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
        assert!(failed);
    }
}
