//! What the daemon needs from the machine, checked before it opens
//! anything: the NTS-KE certificate chain and private key parse and match,
//! the Roughtime long-term key is private to the daemon,
//! the files it reads are readable, the directories it writes in are
//! writable, nothing but a stale socket sits where its sockets go, their
//! directories are safe, the user and groups exist; interfaces that are
//! missing are a warning (they can appear later). `tempora daemon` runs
//! these checks at start-up and `tempora config check` runs the same ones,
//! so that a configuration the check passes is one the daemon takes.

use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use tempora_config::Config;
use tempora_linux::interface::Interface;
use tempora_ntp::symmetric::KeyPolicy;

use crate::control;
use crate::ntp_keys;
use crate::nts_server;
use crate::privileges;

/// A check that failed: what the daemon would refuse, and why.
fn refused(what: &Path, why: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: {why}", what.display()),
    )
}

/// Runs every check; `Ok` carries the warnings (things the daemon copes
/// with), `Err` the first thing it would refuse.
pub fn check(config: &Config) -> io::Result<Vec<String>> {
    let mut warnings = Vec::new();
    let run_as = users_and_groups(config)?;
    if let Some(k) = &config.nts_ke_server {
        tempora_nts::server::tls_config(&nts_server::ke_settings(k)).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("[nts-ke-server] {e}"))
        })?;
        if let Some(file) = &k.key_file {
            readable_if_present(file)?;
            writable_directory(parent_of(file), false)?;
        }
    }
    warnings.extend(key_files(config)?);
    if let Some(r) = &config.roughtime_server {
        crate::roughtime_key::load(&r.key_file)?;
    }
    if let Some(ca) = &config.nts_ca_file {
        std::fs::File::open(ca).map_err(|e| refused(ca, e))?;
    }
    if let Some(file) = &config.clock.frequency_file {
        readable_if_present(file)?;
        writable_directory(parent_of(file), true)?;
    }
    let o = &config.observability;
    for socket in std::iter::once(&o.socket).chain(&o.status_socket) {
        socket_path(socket, run_as)?;
    }
    let csptp = config
        .csptp_server
        .iter()
        .flat_map(|s| s.interfaces.iter())
        .chain(
            config
                .csptp_sources
                .iter()
                .filter_map(|s| s.interface.as_ref()),
        );
    for interface in config.ports.iter().map(|p| &p.interface).chain(csptp) {
        if let Err(e) = Interface::lookup(interface) {
            // The error names the interface.
            warnings.push(format!("{e} (the daemon needs it at start-up)"));
        }
    }
    Ok(warnings)
}

/// The NTP symmetric key files (`[ntp-server] key-file`, `[ntp-client]
/// key-file`) read as the daemon reads them: a line it would refuse is an
/// error naming the file and line; their warnings (modes, short keys) are
/// returned.
fn key_files(config: &Config) -> io::Result<Vec<String>> {
    let server = config
        .ntp_server
        .as_ref()
        .and_then(|n| n.key_file.as_deref().map(|f| (f, n.legacy_sha1)));
    let client = config
        .client_key_file
        .as_deref()
        .map(|f| (f, config.client_legacy_sha1));
    let mut warnings = Vec::new();
    for (file, legacy_sha1) in server.into_iter().chain(client) {
        let loaded = ntp_keys::load(file, KeyPolicy { legacy_sha1 })
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        warnings.extend(loaded.warnings);
    }
    Ok(warnings)
}

/// The user the daemon is to run as (its uid) and the sockets' groups, all
/// looked up: one that does not exist is refused.
fn users_and_groups(config: &Config) -> io::Result<Option<u32>> {
    let o = &config.observability;
    privileges::group_id(o.socket_group.as_deref())?;
    privileges::group_id(o.status_socket_group.as_deref())?;
    let user = match config.daemon.user.as_deref() {
        Some(name) => tempora_linux::account::user(name)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("[daemon] user = \"{name}\": no such user"),
            )
        })?,
        None => return Ok(privileges::run_as(&config.daemon)?.map(|u| u.uid)),
    };
    Ok(Some(user.uid))
}

/// The directory a file is in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A file that is read if it exists: not a directory, and readable.
fn readable_if_present(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(refused(path, e)),
        Ok(m) if m.is_dir() => Err(refused(path, "is a directory, not a file")),
        Ok(_) => std::fs::File::open(path)
            .map(drop)
            .map_err(|e| refused(path, e)),
    }
}

/// Checks that files can be created in `dir` by creating (and removing) a
/// probe file there. With `created`, a missing directory is made by the
/// daemon, so its nearest existing ancestor is checked instead.
fn writable_directory(dir: &Path, created: bool) -> io::Result<()> {
    let mut dir: PathBuf = dir.to_path_buf();
    if created {
        while !dir.exists() {
            match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
                _ => {
                    dir = PathBuf::from(".");
                    break;
                }
            }
        }
    }
    let meta = std::fs::metadata(&dir).map_err(|e| refused(&dir, e))?;
    if !meta.is_dir() {
        return Err(refused(&dir, "not a directory"));
    }
    let probe = dir.join(format!(".tempora-probe-{}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe);
    match file {
        Ok(_) => std::fs::remove_file(&probe).map_err(|e| refused(&probe, e)),
        Err(e) => Err(refused(&dir, format!("cannot write here: {e}"))),
    }
}

/// A socket's path: nothing but a stale socket there, and its directory,
/// if it exists, safe ([`control::check_directory`]).
fn socket_path(path: &Path, run_as: Option<u32>) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_socket() => {
            return Err(refused(
                path,
                "exists and is not a socket: not replacing it",
            ));
        }
        _ => {}
    }
    let dir = parent_of(path);
    if dir.exists() {
        control::check_directory(dir, run_as)?;
    }
    Ok(())
}
