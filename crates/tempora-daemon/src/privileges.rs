//! The daemon's privileges: the user it runs as once everything is open
//! (`[daemon] user`, by default `tempora` when that user exists), the
//! groups of its sockets, and what it keeps after start-up.

use std::io;

use tempora_config::{DEFAULT_USER, DaemonSettings};
use tempora_linux::account::{self, User};

/// The user the daemon is to run as once started, `None` to stay as it is:
/// `user = "root"`, no user configured and no `tempora` user, or a daemon
/// not started as root (it cannot change user). A configured user that
/// does not exist is an error.
pub fn run_as(settings: &DaemonSettings) -> io::Result<Option<User>> {
    if account::effective_uid() != 0 {
        return Ok(None);
    }
    match settings.user.as_deref() {
        Some("root") => Ok(None),
        Some(name) => match account::user(name)? {
            Some(u) => Ok(Some(u)),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("[daemon] user = \"{name}\": no such user"),
            )),
        },
        None => account::user(DEFAULT_USER),
    }
}

/// The id of the group called `name` (none for `None`); a group that does
/// not exist is an error.
pub fn group_id(name: Option<&str>) -> io::Result<Option<u32>> {
    let Some(name) = name else { return Ok(None) };
    match account::group(name)? {
        Some(gid) => Ok(Some(gid)),
        None => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("group \"{name}\": no such group"),
        )),
    }
}
