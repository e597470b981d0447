//! Helpers for xtask's tests: a scratch directory and the external tools
//! the checks run (groff, man, bash, zsh, fish).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory under the system's temporary directory, removed on
/// drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory named after `tag` and this process.
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tempora-xtask-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `Some(())` when `program` is on the PATH. Otherwise one line on stderr
/// and `None`, except under CI=true (where .ci/run installs it), where a
/// missing tool fails the test.
pub fn tool(program: &str) -> Option<()> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(());
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{program} is missing (.ci/run installs it)"
    );
    eprintln!("skipped: {program} is not installed");
    None
}
