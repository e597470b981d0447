//! The key files of NTP symmetric keys (RFC 5905 §9.1, RFC 8573) in
//! chrony's format, loaded once at start: each line read by the sans-IO
//! parser of [`tempora_ntp::symmetric`], errors as `FILE:LINE: message`,
//! warnings for a file others can read or a group can write, and for weak
//! keys. Keys are secrets: nothing here logs or shows a key's octets.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempora_ntp::symmetric::{KeyPolicy, SHORT_KEY_LEN, SymmetricKey, SymmetricKeys, parse_line};

/// The largest key file read (a line per key: room for many thousands).
const MAX_FILE_LEN: u64 = 4 << 20;

/// The keys of a key file, by identifier.
#[derive(Debug, Clone, Default)]
pub struct KeyTable {
    keys: BTreeMap<u32, SymmetricKey>,
}

impl KeyTable {
    /// How many keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Key `id`, taken out of the table (a client's source keeps its own).
    pub fn get(&self, id: u32) -> Option<SymmetricKey> {
        self.keys.get(&id).cloned()
    }
}

impl SymmetricKeys for KeyTable {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        self.keys.get(&id)
    }
}

/// A key table shared by the server's worker loops.
#[derive(Debug, Clone, Default)]
pub struct SharedKeyTable(pub Arc<KeyTable>);

impl SymmetricKeys for SharedKeyTable {
    fn key(&self, id: u32) -> Option<&SymmetricKey> {
        self.0.key(id)
    }
}

/// Why a key file was refused: `FILE:LINE: message`, or `FILE: message`
/// when it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFileError {
    /// The file.
    pub file: PathBuf,
    /// The line, from 1; 0 for the file as a whole.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file.display(), self.message),
            n => write!(f, "{}:{n}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// A loaded key file and what to warn about.
#[derive(Debug)]
pub struct Loaded {
    /// Its keys.
    pub table: KeyTable,
    /// Warnings (no key octets in them).
    pub warnings: Vec<String>,
}

/// Reads the key file at `path` under `policy`.
pub fn load(path: &Path, policy: KeyPolicy) -> Result<Loaded, KeyFileError> {
    let whole = |message: String| KeyFileError {
        file: path.to_owned(),
        line: 0,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(whole("not a regular file".into()));
    }
    if meta.len() > MAX_FILE_LEN {
        return Err(whole(format!("larger than {MAX_FILE_LEN} octets")));
    }
    let bytes = std::fs::read(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    let bytes = zeroize::Zeroizing::new(bytes);
    let text = std::str::from_utf8(&bytes).map_err(|_| whole("not UTF-8 text".into()))?;
    let mut loaded = parse(path, text, policy)?;
    if let Some(w) = mode_warning(path, &meta) {
        loaded.warnings.insert(0, w);
    }
    Ok(loaded)
}

/// The keys of the key file at `path`, if any, under `legacy_sha1`; its
/// warnings logged, and its size (never a key). An error names the file
/// and line.
pub fn load_logged(path: Option<&Path>, legacy_sha1: bool) -> std::io::Result<KeyTable> {
    let Some(path) = path else {
        return Ok(KeyTable::default());
    };
    let loaded = load(path, KeyPolicy { legacy_sha1 })
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    tracing::info!(file = %path.display(), keys = loaded.table.len(), "NTP symmetric keys");
    Ok(loaded.table)
}

/// The keys of `text`, the contents of `path`.
pub fn parse(path: &Path, text: &str, policy: KeyPolicy) -> Result<Loaded, KeyFileError> {
    let mut table = KeyTable::default();
    let mut lines = BTreeMap::new();
    let mut warnings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |message: String| KeyFileError {
            file: path.to_owned(),
            line: i + 1,
            message,
        };
        let Some(key) = parse_line(line, policy).map_err(|e| at(e.to_string()))? else {
            continue;
        };
        if let Some(first) = lines.insert(key.id(), i + 1) {
            return Err(at(format!("key {} is already on line {first}", key.id())));
        }
        if key.secret().len() < SHORT_KEY_LEN {
            warnings.push(format!(
                "{}:{}: key {} is shorter than 80 bits: use a random 128-bit key (HEX:)",
                path.display(),
                i + 1,
                key.id()
            ));
        }
        table.keys.insert(key.id(), key);
    }
    Ok(Loaded { table, warnings })
}

/// A warning when others may read the file or its group may write it.
fn mode_warning(path: &Path, meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o027 != 0).then(|| {
        format!(
            "{}: key file has mode {mode:04o}: others may read or its group may write the keys (chmod 0600 or 0640)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use tempora_ntp::symmetric::KeyType;

    fn file(text: &str, mode: u32) -> (PathBuf, impl Drop) {
        struct Gone(PathBuf);
        impl Drop for Gone {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        let path = std::env::temp_dir().join(format!(
            "tempora-keys-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (path.clone(), Gone(path))
    }

    const KEYS: &str = "# keys\n\
        1 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1\n\
        \n\
        ; another comment\n\
        2 AES256 HEX:37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39\n\
        3 SHA1 ASCII:short\n";

    #[test]
    fn loads_keys_with_warnings_that_show_no_secret() {
        let (path, _gone) = file(KEYS, 0o644);
        let legacy = KeyPolicy { legacy_sha1: true };
        let loaded = load(&path, legacy).unwrap();
        assert_eq!(loaded.table.len(), 3);
        assert_eq!(loaded.table.key(2).unwrap().kind(), KeyType::Aes256);
        assert!(loaded.table.key(4).is_none());
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("mode 0644"));
        assert!(
            loaded.warnings[1]
                .ends_with(":6: key 3 is shorter than 80 bits: use a random 128-bit key (HEX:)")
        );
        for w in &loaded.warnings {
            assert!(!w.contains("short") || w.contains("shorter"), "{w}");
            assert!(!w.contains("7EA62"), "{w}");
        }
        // 0600 and 0640 are quiet.
        let (path, _gone) = file(KEYS, 0o640);
        assert_eq!(load(&path, legacy).unwrap().warnings.len(), 1);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let (path, _gone) = file(KEYS, 0o600);
        let e = load(&path, KeyPolicy::default()).unwrap_err();
        assert_eq!(e.line, 6);
        assert_eq!(
            e.to_string(),
            format!(
                "{}:6: SHA1 keys need `legacy-sha1 = true` (RFC 8573 recommends AES128)",
                path.display()
            )
        );
        let p = Path::new("k");
        let e = parse(
            p,
            "1 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1\n\n1 AES128 ASCII:0123456789abcdef\n",
            KeyPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "k:3: key 1 is already on line 1");
        let e = parse(p, "# x\n5 secret\n", KeyPolicy::default()).unwrap_err();
        assert!(
            e.to_string().starts_with("k:2: MD5 keys are refused"),
            "{e}"
        );
        let e = load(Path::new("/nonexistent/keys"), KeyPolicy::default()).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(
            e.to_string().starts_with("/nonexistent/keys: cannot read"),
            "{e}"
        );
        let e = load(Path::new("/tmp"), KeyPolicy::default()).unwrap_err();
        assert_eq!(e.to_string(), "/tmp: not a regular file");
    }
}
