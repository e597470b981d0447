//! Issue 13 point 8: the daemon's frequency file never stops it. An empty
//! or corrupt file is a warning and a fresh start; a file that cannot be
//! written (ENOSPC on a full tmpfs) is a warning naming it, and the daemon
//! runs on and stops cleanly. The daemon runs on the host with a virtual
//! clock and an NTP server on loopback (no namespace, no clock touched).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A directory of its own for the test `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tempora-state-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The daemon, its control socket and where its output goes.
struct Daemon {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
}

impl Daemon {
    /// Starts `tempora daemon` in `dir` with the frequency file `freq`.
    fn start(dir: &Path, freq: &Path) -> Daemon {
        let socket = dir.join("tempora.sock");
        let config = dir.join("tempora.toml");
        std::fs::write(
            &config,
            format!(
                "[clock]\nkind = \"virtual\"\nfrequency-file = \"{}\"\n\n\
                 [ntp-server]\nlisten = [\"127.0.0.1:0\"]\n\n\
                 [observability]\nsocket = \"{}\"\n",
                freq.display(),
                socket.display()
            ),
        )
        .unwrap();
        let log = dir.join("daemon.out");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_tempora"))
            .arg("daemon")
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        Daemon { child, socket, log }
    }

    /// Whether it answers `tempora status`.
    fn answers(&self) -> bool {
        Command::new(env!("CARGO_BIN_EXE_tempora"))
            .args(["status", "--json", "--socket"])
            .arg(&self.socket)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Waits (up to `limit`) until `done` holds of it; false if it exited
    /// or the time ran out.
    fn wait_for(&mut self, limit: Duration, done: impl Fn(&Daemon) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if done(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then its exit status (it saves the frequency on the way).
    fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        (status.success(), self.output())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_empty_or_corrupt_frequency_file_is_a_fresh_start() {
    for (name, text) in [("empty", ""), ("garbage", "lots\n"), ("huge", "9e9\n")] {
        let dir = scratch(name);
        let freq = dir.join("frequency");
        std::fs::write(&freq, text).unwrap();
        let mut d = Daemon::start(&dir, &freq);
        let up = d.wait_for(Duration::from_secs(20), Daemon::answers);
        assert!(up, "{name}: the daemon did not start:\n{}", d.output());
        let (ok, out) = d.stop();
        assert!(ok, "{name}: exit status:\n{out}");
        let warning = out
            .lines()
            .find(|l| l.contains("WARN") && l.contains(&freq.display().to_string()));
        assert!(
            warning.is_some(),
            "{name}: no warning naming the file:\n{out}"
        );
        // A fresh start: the file now holds a frequency again.
        let saved: f64 = std::fs::read_to_string(&freq)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(saved.abs() < 500_000.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A 4 KiB tmpfs (one page), unmounted on drop.
struct TinyTmpfs(PathBuf);

impl TinyTmpfs {
    /// `None` (one line says so) when not root, except under CI=true.
    fn mount(dir: &Path) -> Option<TinyTmpfs> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if !root {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(!ci, "the ENOSPC test needs root (to mount a tmpfs)");
            eprintln!("skipped: not root, no tmpfs to fill");
            return None;
        }
        let mnt = dir.join("full");
        std::fs::create_dir_all(&mnt).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4k", "tmpfs"])
            .arg(&mnt)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount a tmpfs on {}", mnt.display());
        Some(TinyTmpfs(mnt))
    }
}

impl Drop for TinyTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The frequency file on a full tmpfs (its one page holds the file, so
/// the temporary file gets ENOSPC): the daemon starts from the saved
/// value, warns naming the file at the once-a-minute save and runs on,
/// and the save at SIGTERM fails the same way and it still exits cleanly.
/// Takes a minute (the daemon's save interval).
#[test]
fn enospc_on_the_frequency_file_is_survived() {
    let dir = scratch("enospc");
    let Some(mnt) = TinyTmpfs::mount(&dir) else {
        return;
    };
    let freq = mnt.0.join("frequency");
    std::fs::write(&freq, "12.000\n").unwrap();
    let mut d = Daemon::start(&dir, &freq);
    let up = d.wait_for(Duration::from_secs(20), Daemon::answers);
    assert!(up, "the daemon did not start:\n{}", d.output());
    let name = freq.display().to_string();
    let warned = |d: &Daemon| {
        d.output()
            .lines()
            .any(|l| l.contains("WARN") && l.contains(&name))
    };
    let saved = d.wait_for(Duration::from_secs(90), warned);
    assert!(
        saved,
        "no warning naming the file, or it exited:\n{}",
        d.output()
    );
    assert!(d.answers(), "the daemon stopped answering:\n{}", d.output());
    let (ok, out) = d.stop();
    assert!(ok, "exit status:\n{out}");
    assert!(out.contains("No space left on device"), "{out}");
    assert_eq!(std::fs::read_to_string(&freq).unwrap(), "12.000\n");
    assert!(
        !mnt.0.join("frequency.tmp").exists(),
        "a partial file is left"
    );
    drop(mnt);
    std::fs::remove_dir_all(&dir).unwrap();
}
