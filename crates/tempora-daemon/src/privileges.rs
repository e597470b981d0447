//! The daemon's privileges: the user it runs as once everything is open
//! (`[daemon] user`, by default `tempora` when that user exists), the
//! groups of its sockets, and what it keeps after start-up.

use std::io;
use std::path::Path;

use tempora_config::{ClockKind, Config, DEFAULT_USER, DaemonSettings};
use tempora_linux::account::{self, User};
use tempora_linux::privilege::{Keep, Violation, become_user, install_seccomp, no_new_privileges};

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

/// The capabilities the daemon still needs once everything is open:
/// CAP_SYS_TIME when it adjusts the system clock (`kind = "system"`, or a
/// PHC with `sync-system-clock`). Nothing else: ports below 1024, raw
/// sockets and hardware timestamping are all set up at start-up, and the
/// NTP client's sockets take ephemeral ports; a PHC is adjusted through
/// its open descriptor.
pub fn needed(config: &Config) -> Vec<Keep> {
    let system_clock =
        matches!(config.clock.kind, ClockKind::System) || config.clock.sync_system_clock;
    if system_clock {
        vec![Keep::SysTime]
    } else {
        Vec::new()
    }
}

/// Gives up what the daemon no longer needs, once its sockets, devices and
/// files are open: becomes the configured user (see [`run_as`]) with only
/// the [`needed`] capabilities, and installs the system-call allow-list
/// (with no-new-privileges), unless `seccomp = false`, when only
/// no-new-privileges is set.
pub fn after_start(config: &Config) -> io::Result<()> {
    match run_as(&config.daemon)? {
        Some(user) => {
            let files = [
                &config.clock.frequency_file,
                &config.observability.dashboard_history_file,
            ];
            for file in files.into_iter().flatten() {
                state_directory(file, user)?;
            }
            let keep = needed(config);
            become_user(user, &keep)?;
            tracing::info!(uid = user.uid, gid = user.gid, capabilities = ?keep, "privileges dropped");
        }
        None if account::effective_uid() == 0 && config.daemon.user.is_none() => {
            tracing::warn!(
                "no user \"{DEFAULT_USER}\": running as root with every capability; create it or set [daemon] user"
            );
        }
        None => {}
    }
    if config.daemon.seccomp {
        install_seccomp(Violation::Kill)?;
        tracing::info!("system-call filter installed");
    } else {
        no_new_privileges()?;
    }
    Ok(())
}

/// Creates the directory of a state file (the frequency file, the
/// dashboard's history) for `user`,
/// when it does not exist yet; an existing one is left as it is (it must
/// be writable by `user` for the file to be saved: a warning if not).
fn state_directory(file: &Path, user: User) -> io::Result<()> {
    let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if let Ok(meta) = std::fs::metadata(dir) {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode();
        let writable = (meta.uid() == user.uid && mode & 0o200 != 0)
            || (meta.gid() == user.gid && mode & 0o020 != 0)
            || mode & 0o002 != 0;
        if !writable {
            tracing::warn!(
                file = %file.display(),
                directory = %dir.display(),
                uid = user.uid,
                "a state file's directory is not writable by the daemon's user: the file cannot be saved"
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_kept_follow_the_clock() {
        let mut config =
            Config::parse("[ntp-server]\nlisten = [\"127.0.0.1:123\"]\n", "t").unwrap();
        assert_eq!(needed(&config), vec![Keep::SysTime]);
        config.clock.kind = ClockKind::Virtual;
        assert_eq!(needed(&config), vec![]);
        config.clock.kind = ClockKind::Phc("/dev/ptp0".into());
        assert_eq!(needed(&config), vec![]);
        config.clock.sync_system_clock = true;
        assert_eq!(needed(&config), vec![Keep::SysTime]);
    }

    #[test]
    fn root_stays_root_and_missing_users_are_errors() {
        let root = DaemonSettings {
            user: Some("root".into()),
            seccomp: true,
        };
        assert_eq!(run_as(&root).unwrap(), None);
        let missing = DaemonSettings {
            user: Some("no-such-user-tempora".into()),
            seccomp: true,
        };
        if account::effective_uid() == 0 {
            assert!(
                run_as(&missing)
                    .unwrap_err()
                    .to_string()
                    .contains("no such user")
            );
        }
        assert!(group_id(Some("no-such-group-tempora")).is_err());
        assert_eq!(group_id(None).unwrap(), None);
    }
}
