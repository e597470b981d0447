//! The server's cookie master keys (RFC 8915 §6): a current key that makes
//! new cookies, older keys kept for a grace period so that cookies already
//! handed out still open, rotation, and a key file so that cookies survive
//! a restart.
//!
//! The key file is text, one key per line, newest first:
//! `ID-IN-HEX KEY-IN-HEX CREATED-UNIX-SECONDS`. It is written with mode
//! 0600 by [`write_atomically`] (a temporary file, fsynced, renamed, the
//! directory fsynced). A failure to write it is never fatal: the keys in
//! memory serve, and cookies only do not survive a restart.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use tempora_ntp::nts::{Key, MasterKey};
use tempora_ntp::wire::ntske::AeadAlgorithm;

use crate::state_file::write_atomically;

/// How many old keys are kept after a rotation.
pub const KEPT_OLD_KEYS: usize = 7;

/// The master keys.
#[derive(Debug, Clone)]
pub struct CookieKeys {
    /// Newest first: `keys[0]` makes cookies; all open them.
    keys: Vec<(MasterKey, u64)>,
    /// Seconds between rotations.
    rotation_s: u64,
    /// Where they are kept, if anywhere.
    file: Option<PathBuf>,
}

/// A new random master key whose id none of `avoid` has.
fn fresh(avoid: &[(MasterKey, u64)]) -> io::Result<MasterKey> {
    let mut id: u32 = rand::random();
    while avoid.iter().any(|(k, _)| k.id == id) {
        id = rand::random();
    }
    let key = Key::new(AeadAlgorithm::AesSivCmac256, &rand::random::<[u8; 32]>())
        .map_err(|e| io::Error::other(format!("NTS master key: {e:?}")))?;
    Ok(MasterKey { id, key })
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Reads a key file; `Ok(None)` if it does not exist.
fn load(path: &Path) -> io::Result<Option<Vec<(MasterKey, u64)>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = |n: usize| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}:{n}: not `ID KEY CREATED`", path.display()),
        )
    };
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.split_whitespace();
        let (Some(id), Some(key), Some(created), None) = (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad(n + 1));
        };
        let id = u32::from_str_radix(id, 16).map_err(|_| bad(n + 1))?;
        let key = unhex(key)
            .and_then(|k| Key::new(AeadAlgorithm::AesSivCmac256, &k).ok())
            .ok_or_else(|| bad(n + 1))?;
        let created: u64 = created.parse().map_err(|_| bad(n + 1))?;
        keys.push((MasterKey { id, key }, created));
    }
    if keys.is_empty() {
        return Ok(None);
    }
    Ok(Some(keys))
}

impl CookieKeys {
    /// Keys rotated every `rotation_s` seconds, kept in `file` if given
    /// (loaded from it when it exists; `now` is Unix seconds). A file that
    /// cannot be read or does not parse is an error; one that cannot be
    /// written is a warning naming it (the keys serve all the same).
    pub fn new(file: Option<PathBuf>, rotation_s: u64, now: u64) -> io::Result<CookieKeys> {
        let keys = match &file {
            Some(path) => load(path)?,
            None => None,
        };
        let loaded = keys.is_some();
        let mut k = CookieKeys {
            keys: match keys {
                Some(k) => k,
                None => vec![(fresh(&[])?, now)],
            },
            rotation_s: rotation_s.max(1),
            file,
        };
        k.keys.truncate(KEPT_OLD_KEYS + 1);
        let saved = if loaded { Ok(()) } else { k.save() };
        if let Err(e) = saved.and_then(|()| k.rotate_if_due(now).map(drop)) {
            tracing::warn!(error = %e, "NTS key file not written; cookies will not survive a restart");
        }
        Ok(k)
    }

    /// Whether the current key is due for rotation at `now`.
    pub fn due(&self, now: u64) -> bool {
        let created = self.keys.first().map_or(0, |(_, c)| *c);
        now >= created.saturating_add(self.rotation_s)
    }

    /// Rotates when the current key is older than the rotation interval:
    /// a new current key, the oldest dropped beyond [`KEPT_OLD_KEYS`].
    /// Returns whether it rotated.
    pub fn rotate_if_due(&mut self, now: u64) -> io::Result<bool> {
        if !self.due(now) {
            return Ok(false);
        }
        let key = fresh(&self.keys)?;
        self.keys.insert(0, (key, now));
        self.keys.truncate(KEPT_OLD_KEYS + 1);
        self.save()?;
        Ok(true)
    }

    /// The key that makes new cookies.
    pub fn current(&self) -> &MasterKey {
        // There is always at least one key (made in `new`).
        &self.keys[0].0
    }

    /// The key with `id`, current or old.
    pub fn find(&self, id: u32) -> Option<&MasterKey> {
        self.keys.iter().map(|(k, _)| k).find(|k| k.id == id)
    }

    /// How many keys open cookies.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: there is always a current key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn save(&self) -> io::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let mut text = String::from("# Tempora NTS cookie master keys: id key created\n");
        for (k, created) in &self.keys {
            let _ = writeln!(text, "{:08x} {} {created}", k.id, hex(k.key.as_bytes()));
        }
        write_atomically(path, text.as_bytes(), 0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_old_keys_for_a_while() {
        let mut k = CookieKeys::new(None, 100, 1000).unwrap();
        let first = k.current().clone();
        assert!(!k.rotate_if_due(1099).unwrap());
        assert!(k.rotate_if_due(1100).unwrap());
        assert_ne!(k.current().id, first.id);
        assert_eq!(k.find(first.id), Some(&first));
        for i in 0..KEPT_OLD_KEYS {
            assert!(k.rotate_if_due(1200 + 100 * i as u64).unwrap());
        }
        assert_eq!(k.len(), KEPT_OLD_KEYS + 1);
        assert_eq!(k.find(first.id), None, "the oldest is dropped");
    }

    #[test]
    fn keys_survive_a_restart_through_the_file() {
        let dir = std::env::temp_dir().join(format!("tempora-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nts-keys");
        let _ = std::fs::remove_file(&path);
        let mut a = CookieKeys::new(Some(path.clone()), 100, 1000).unwrap();
        a.rotate_if_due(1150).unwrap();
        let b = CookieKeys::new(Some(path.clone()), 100, 1160).unwrap();
        assert_eq!(b.current(), a.current());
        assert_eq!(b.len(), 2);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, "zz nothex 1\n").unwrap();
        let e = CookieKeys::new(Some(path.clone()), 100, 1000).unwrap_err();
        assert!(e.to_string().contains("nts-keys:1"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 13: a key file that cannot be written (here: its directory
    /// is missing) is a warning, never an error; the keys serve and rotate
    /// all the same, and a failed save names the file.
    #[test]
    fn an_unwritable_key_file_is_not_fatal() {
        let dir = std::env::temp_dir().join(format!("tempora-keys-gone-{}", std::process::id()));
        let path = dir.join("nts-keys");
        let mut k = CookieKeys::new(Some(path.clone()), 100, 1000).unwrap();
        assert!(!path.exists());
        let first = k.current().id;
        let e = k.rotate_if_due(1100).unwrap_err();
        assert!(e.to_string().contains("nts-keys"), "{e}");
        assert_ne!(k.current().id, first, "rotated all the same");
        assert_eq!(k.len(), 2);
    }
}
