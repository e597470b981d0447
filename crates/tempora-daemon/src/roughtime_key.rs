//! The Roughtime server's long-term key file (`[roughtime-server]
//! key-file`): the 32-byte Ed25519 seed (RFC 8032 §5.1.5) in hex on one
//! line, `#` comment lines allowed. It is the server's identity, so the
//! daemon refuses a file that its group or others may read or write, or
//! that another user owns: a copied key lets anyone sign time in the
//! server's name.

use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// The length of an Ed25519 seed (RFC 8032 §5.1.5).
pub const SEED_LEN: usize = 32;

/// A long-term key's seed.
pub type Seed = [u8; SEED_LEN];

fn refused(path: &Path, why: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("[roughtime-server] key-file {}: {why}", path.display()),
    )
}

/// Reads the seed of `path`, refusing a file others or its group may read
/// or write, or that the effective user does not own.
pub fn load(path: &Path) -> io::Result<Seed> {
    let meta = std::fs::metadata(path).map_err(|e| refused(path, e))?;
    if !meta.is_file() {
        return Err(refused(path, "is not a regular file"));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refused(
            path,
            format!(
                "has mode {mode:04o}: its group or others may read the long-term key (chmod 0600 {})",
                path.display()
            ),
        ));
    }
    let me = tempora_linux::account::effective_uid();
    if meta.uid() != me {
        return Err(refused(
            path,
            format!(
                "is owned by uid {}, not by the daemon (uid {me}): chown it",
                meta.uid()
            ),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| refused(path, e))?;
    parse(&text).map_err(|why| refused(path, why))
}

/// The seed in a key file's text.
fn parse(text: &str) -> Result<Seed, String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let line = lines
        .next()
        .ok_or("is empty: `tempora roughtime keygen --out FILE` makes a key file")?;
    if lines.next().is_some() {
        return Err("has more than one key line".into());
    }
    let hex = line.as_bytes();
    if hex.len() != 2 * SEED_LEN || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err("the key line is not 64 hex digits (an Ed25519 seed)".into());
    }
    let mut seed = [0u8; SEED_LEN];
    for (i, pair) in hex.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
        seed[i] = u8::from_str_radix(text, 16).map_err(|e| e.to_string())?;
    }
    Ok(seed)
}

/// Writes a new random seed to `path`, created with mode 0600 (never over
/// an existing file); returns the seed.
pub fn create(path: &Path) -> io::Result<Seed> {
    let seed: Seed = rand::random();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    writeln!(
        file,
        "# Tempora Roughtime long-term key (Ed25519 seed, RFC 8032). Keep it secret.\n{hex}"
    )?;
    file.sync_all()?;
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "tempora-rtkey-{}-{name}-{}",
            std::process::id(),
            rand::random::<u32>()
        ))
    }

    #[test]
    fn a_created_key_loads_and_a_readable_one_is_refused() {
        let path = temp("k");
        let seed = create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(&path).unwrap(), seed);
        assert!(create(&path).is_err(), "never overwrites");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("has mode 0640"), "{e}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn bad_contents_are_refused() {
        assert!(parse("").unwrap_err().contains("is empty"));
        assert!(parse("abcd\n").unwrap_err().contains("64 hex digits"));
        let line = "00".repeat(32);
        assert!(
            parse(&format!("{line}\n{line}\n"))
                .unwrap_err()
                .contains("more than one")
        );
        assert_eq!(parse(&format!("# c\n{line}\n")).unwrap(), [0u8; 32]);
    }
}
