//! Small wrappers over the libc calls the rest of the crate shares: error
//! conversion, socket creation the clknetsim way, socket options and
//! interface ioctls.

use std::ffi::CStr;
use std::fmt;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `Ok(ret)` for a non-negative return value, the thread's `errno` otherwise.
pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// [`cvt`] for calls returning `ssize_t`.
pub(crate) fn cvt_size(ret: libc::ssize_t) -> io::Result<usize> {
    usize::try_from(ret).map_err(|_| io::Error::last_os_error())
}

/// The same error with `what` in front of its message (the kind is kept).
pub(crate) fn context(err: io::Error, what: impl fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{what}: {err}"))
}

/// An `InvalidInput` error.
pub(crate) fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// A socket made with a plain `socket(2)` type (no SOCK_CLOEXEC or
/// SOCK_NONBLOCK, which clknetsim rejects), then made close-on-exec and
/// non-blocking with `fcntl(2)`.
pub(crate) fn socket(
    domain: libc::c_int,
    ty: libc::c_int,
    proto: libc::c_int,
) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers.
    let fd = cvt(unsafe { libc::socket(domain, ty, proto) })?;
    // SAFETY: `fd` was just returned by socket(2) and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    set_cloexec_nonblock(fd.as_raw_fd())?;
    Ok(fd)
}

/// Sets FD_CLOEXEC and O_NONBLOCK on `fd`.
pub(crate) fn set_cloexec_nonblock(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl with F_GETFD/F_SETFD/F_GETFL/F_SETFL takes integers only;
    // an invalid fd gives EBADF.
    unsafe {
        let fdflags = cvt(libc::fcntl(fd, libc::F_GETFD))?;
        cvt(libc::fcntl(fd, libc::F_SETFD, fdflags | libc::FD_CLOEXEC))?;
        let flags = cvt(libc::fcntl(fd, libc::F_GETFL))?;
        cvt(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    }
    Ok(())
}

/// `setsockopt(fd, level, name, &value, sizeof value)`.
pub(crate) fn setsockopt<T: Copy>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = socklen_of::<T>()?;
    // SAFETY: `value` points to `len` readable bytes for the whole call; the
    // kernel copies them and keeps no reference.
    cvt(unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), len) })?;
    Ok(())
}

/// The size of `T` as a `socklen_t`.
pub(crate) fn socklen_of<T>() -> io::Result<libc::socklen_t> {
    libc::socklen_t::try_from(mem::size_of::<T>()).map_err(|_| invalid("option too large"))
}

/// Checks an interface name: not empty, shorter than IFNAMSIZ, no NUL, no
/// '/' or whitespace (the kernel's `dev_valid_name`).
pub(crate) fn check_ifname(name: &str) -> io::Result<()> {
    let ok = !name.is_empty()
        && name.len() < libc::IFNAMSIZ
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == 0 || b == b'/' || b == b':' || b.is_ascii_whitespace());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("invalid interface name {name:?}")))
    }
}

/// A zeroed `ifreq` naming `name` (checked with [`check_ifname`]).
pub(crate) fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    check_ifname(name)?;
    // SAFETY: ifreq is plain old data (a name and a union of integers,
    // sockaddrs and a pointer); all-zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    Ok(req)
}

/// `ioctl(fd, request, req)` for the interface ioctls that take an `ifreq`.
pub(crate) fn ioctl_ifreq(
    fd: RawFd,
    request: libc::c_ulong,
    req: &mut libc::ifreq,
) -> io::Result<()> {
    // SAFETY: every request passed here (SIOCGIFINDEX, SIOCGIFHWADDR,
    // SIOCETHTOOL, SIOCSHWTSTAMP) reads and writes within the ifreq, or
    // through its ifr_data pointer, which callers point at a live buffer of
    // the size the request expects.
    cvt(unsafe { libc::ioctl(fd, request as _, req as *mut libc::ifreq) })?;
    Ok(())
}

/// A throwaway datagram socket for interface ioctls: AF_INET, or AF_INET6
/// where there is no IPv4 (an IPv6-only kernel, or clknetsim simulating
/// IPv6 only).
pub(crate) fn ioctl_socket() -> io::Result<OwnedFd> {
    socket(libc::AF_INET, libc::SOCK_DGRAM, 0)
        .or_else(|_| socket(libc::AF_INET6, libc::SOCK_DGRAM, 0))
}

/// The name as a C string, for calls that take one.
pub(crate) fn c_name(name: &str) -> io::Result<std::ffi::CString> {
    std::ffi::CString::new(name).map_err(|_| invalid(format!("name {name:?} contains NUL")))
}

/// Reads a NUL-terminated C string into an owned `String` (lossy).
///
/// # Safety
/// `ptr` must be null or point to a NUL-terminated string valid for the call.
pub(crate) unsafe fn string_from_ptr(ptr: *const libc::c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees a valid NUL-terminated string.
    let s = unsafe { CStr::from_ptr(ptr) };
    Some(s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_are_checked() {
        assert!(check_ifname("eth0").is_ok());
        assert!(check_ifname("veth-a.10").is_ok());
        for bad in [
            "",
            "a/b",
            "with space",
            "0123456789abcdef",
            "..",
            "a\0b",
            "x:y",
        ] {
            let e = check_ifname(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(ifreq("012345678901234").is_ok());
    }

    #[test]
    fn sockets_are_nonblocking_and_cloexec() {
        let fd = socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
        // SAFETY: F_GETFL/F_GETFD on a live fd.
        let (fl, fdfl) = unsafe {
            (
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFD),
            )
        };
        assert_ne!(fl & libc::O_NONBLOCK, 0);
        assert_ne!(fdfl & libc::FD_CLOEXEC, 0);
    }

    #[test]
    fn context_keeps_the_kind() {
        let e = context(io::Error::from_raw_os_error(libc::ENOENT), "/dev/ptp99");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().starts_with("/dev/ptp99: "), "{e}");
    }
}
