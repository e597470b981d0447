//! Crash-safe state files: the one way Tempora writes the files it keeps
//! across restarts (the NTS cookie master keys here, the daemon's
//! frequency file). A power cut or a crash leaves either the old file or
//! the new one, never a partial or empty one, and a failure leaves the old
//! file untouched and no temporary file behind.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The temporary file `path` is written to first: `NAME.tmp` in the same
/// directory (so that the rename stays within one file system).
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `contents` to `path` with permissions `mode` (before the umask),
/// atomically and durably: into [`temporary_path`] (a fresh file: one
/// already there is removed first, so that neither its mode nor a symlink
/// in its place carries over), `fsync`ed, renamed over `path`, and the
/// directory `fsync`ed so that the rename itself survives a power cut. On
/// failure the temporary file is removed and `path` is as it was; the
/// error names `path`.
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let tmp = temporary_path(path);
    let written = write_fresh(&tmp, contents, mode).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))
}

/// Writes `contents` into a new file `tmp` and `fsync`s it.
fn write_fresh(tmp: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    match std::fs::remove_file(tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(tmp)?;
    f.write_all(contents)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_is_renamed_into_place() {
        let dir = std::env::temp_dir().join(format!("tempora-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("frequency");
        assert_eq!(temporary_path(&path), dir.join("frequency.tmp"));
        write_atomically(&path, b"1.000\n", 0o644).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"1.000\n");
        assert!(!temporary_path(&path).exists());
        // A stale temporary file (or a symlink there) is replaced, not
        // written through.
        let elsewhere = dir.join("elsewhere");
        std::fs::write(&elsewhere, b"keep").unwrap();
        std::os::unix::fs::symlink(&elsewhere, temporary_path(&path)).unwrap();
        write_atomically(&path, b"2.000\n", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"2.000\n");
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"keep");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A failure (the temporary path cannot be made: a directory that
        // is not empty stands there) leaves the old file and names `path`.
        std::fs::create_dir_all(temporary_path(&path).join("x")).unwrap();
        let e = write_atomically(&path, b"3.000\n", 0o644).unwrap_err();
        assert!(e.to_string().contains("frequency"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"2.000\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// ENOSPC while writing, on a 4 KiB tmpfs mounted for the test (as
    /// root; skipped otherwise, except under CI=true): the old file stays
    /// whole and no temporary file is left.
    #[test]
    fn a_full_disk_leaves_the_old_file_and_no_partial_one() {
        let Some(mnt) = TinyTmpfs::mount("full-disk") else {
            return;
        };
        let path = mnt.0.join("frequency");
        write_atomically(&path, b"1.000\n", 0o644).unwrap();
        let big = vec![b'9'; 64 * 1024];
        let e = write_atomically(&path, &big, 0o644).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull, "ENOSPC: {e}");
        assert!(e.to_string().contains("frequency"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"1.000\n");
        assert!(!temporary_path(&path).exists());
    }

    /// A 4 KiB tmpfs, unmounted on drop.
    pub(crate) struct TinyTmpfs(pub PathBuf);

    impl TinyTmpfs {
        /// `None` (with one line saying so) when not root, except under
        /// CI=true, where it fails.
        pub(crate) fn mount(name: &str) -> Option<TinyTmpfs> {
            let root = std::process::Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
            if !root {
                assert!(
                    std::env::var("CI").ok().as_deref() != Some("true"),
                    "the ENOSPC test needs root (to mount a tmpfs)"
                );
                eprintln!("skipped: not root, no tmpfs to fill");
                return None;
            }
            let dir = std::env::temp_dir().join(format!("tempora-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let ok = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=4k", "tmpfs"])
                .arg(&dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "mount tmpfs on {}", dir.display());
            Some(TinyTmpfs(dir))
        }
    }

    impl Drop for TinyTmpfs {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
            let _ = std::fs::remove_dir(&self.0);
        }
    }
}
