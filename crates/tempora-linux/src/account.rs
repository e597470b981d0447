//! Users and groups by name, through the C library's name service
//! (`getpwnam_r(3)`, `getgrnam_r(3)`), so that `/etc/passwd`, LDAP or
//! systemd's dynamic users all answer as they do for other programs.

use std::io;

use crate::sys;

/// A user: its ids and primary group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
}

/// A buffer for the strings of one passwd or group entry: start with 1 KiB,
/// doubling on ERANGE up to 1 MiB.
fn with_buffer<T>(mut call: impl FnMut(&mut [libc::c_char]) -> io::Result<T>) -> io::Result<T> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        match call(&mut buf) {
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) && size < (1 << 20) => size *= 2,
            other => return other,
        }
    }
}

/// The user called `name`, `None` if there is none.
pub fn user(name: &str) -> io::Result<Option<User>> {
    let cname = sys::c_name(name)?;
    with_buffer(|buf| {
        // SAFETY: all-zero bytes are a valid passwd (null pointers, zero ids).
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `cname` is NUL-terminated; `pwd`, `buf` (of `buf.len()`
        // bytes) and `result` are live for the call; the entry's strings go
        // into `buf`, and only the integer ids are read after it.
        let rc = unsafe {
            libc::getpwnam_r(
                cname.as_ptr(),
                &raw mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &raw mut result,
            )
        };
        match rc {
            0 if result.is_null() => Ok(None),
            0 => Ok(Some(User {
                uid: pwd.pw_uid,
                gid: pwd.pw_gid,
            })),
            e => Err(io::Error::from_raw_os_error(e)),
        }
    })
}

/// The id of the group called `name`, `None` if there is none.
pub fn group(name: &str) -> io::Result<Option<u32>> {
    let cname = sys::c_name(name)?;
    with_buffer(|buf| {
        // SAFETY: all-zero bytes are a valid group (null pointers, zero id).
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: as in `user`: every pointer is live for the call and only
        // the integer id is read after it.
        let rc = unsafe {
            libc::getgrnam_r(
                cname.as_ptr(),
                &raw mut grp,
                buf.as_mut_ptr(),
                buf.len(),
                &raw mut result,
            )
        };
        match rc {
            0 if result.is_null() => Ok(None),
            0 => Ok(Some(grp.gr_gid)),
            e => Err(io::Error::from_raw_os_error(e)),
        }
    })
}

/// The effective user id of the process.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid(2) takes nothing and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_missing_names() {
        assert_eq!(user("root").unwrap(), Some(User { uid: 0, gid: 0 }));
        assert_eq!(group("root").unwrap(), Some(0));
        assert_eq!(user("no-such-user-tempora").unwrap(), None);
        assert_eq!(group("no-such-group-tempora").unwrap(), None);
        assert!(user("a\0b").is_err());
    }
}
