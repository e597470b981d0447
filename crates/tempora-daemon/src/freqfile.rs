//! The frequency estimate kept across restarts (like chrony's driftfile and
//! linuxptp's servo `fadj`): one number, ppb, written atomically.

use std::io;
use std::path::Path;

/// Reads the saved frequency, ppb; `Ok(None)` when there is no file yet.
/// A file with anything but one finite number within ±500 ppm is an error.
pub fn load(path: &Path) -> io::Result<Option<f64>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let value: f64 = text.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a frequency in ppb", path.display()),
        )
    })?;
    if !value.is_finite() || value.abs() > 500_000.0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: frequency {value} ppb is beyond ±500 ppm",
                path.display()
            ),
        ));
    }
    Ok(Some(value))
}

/// Saves the frequency: writes a temporary file next to `path`, then renames
/// it over, so a crash never leaves half a number.
pub fn save(path: &Path, ppb: f64) -> io::Result<()> {
    if !ppb.is_finite() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "frequency is not finite",
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{ppb:.3}\n"))?;
    std::fs::rename(&tmp, path)
}

/// Whether `ppb` may be saved: a frequency at (or beyond) the servo's
/// limit of ±`limit_ppb` is not an estimate of the oscillator but a servo
/// pinned by something it could not follow (a rogue master far off, a
/// stuck reference); saved, it would start the next run at the limit.
/// Within 0.1 % of the limit counts as at it.
pub fn savable(ppb: f64, limit_ppb: f64) -> bool {
    ppb.is_finite() && ppb.abs() < limit_ppb.abs() * 0.999
}

/// Saves `ppb` like [`save`] unless it is at the servo's limit of
/// ±`limit_ppb` ([`savable`]): then the file keeps what it has and a
/// warning names it. Returns whether it saved.
pub fn save_within_limit(path: &Path, ppb: f64, limit_ppb: f64) -> io::Result<bool> {
    if !savable(ppb, limit_ppb) {
        tracing::warn!(
            file = %path.display(),
            frequency_ppb = ppb,
            limit_ppb,
            "frequency at the servo's limit not saved to {}",
            path.display()
        );
        return Ok(false);
    }
    save(path, ppb)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_and_bad_files() {
        let dir = std::env::temp_dir().join(format!("tempora-freq-{}", std::process::id()));
        let path = dir.join("frequency");
        assert_eq!(load(&path).unwrap(), None);
        save(&path, -12345.678).unwrap();
        assert_eq!(load(&path).unwrap(), Some(-12345.678));
        std::fs::write(&path, "lots\n").unwrap();
        assert!(
            load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a frequency")
        );
        std::fs::write(&path, "9e9\n").unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("500 ppm"));
        assert!(save(&path, f64::NAN).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_frequency_at_the_limit_is_never_saved() {
        let dir = std::env::temp_dir().join(format!("tempora-freq-limit-{}", std::process::id()));
        let path = dir.join("frequency");
        assert!(save_within_limit(&path, 1234.5, 500_000.0).unwrap());
        for pinned in [500_000.0, -500_000.0, 499_900.0, 600_000.0, f64::INFINITY] {
            assert!(!savable(pinned, 500_000.0), "{pinned}");
            assert!(!save_within_limit(&path, pinned, 500_000.0).unwrap());
            // The file keeps the last good estimate.
            assert_eq!(load(&path).unwrap(), Some(1234.5));
        }
        // A PHC's larger limit: 500 ppm is an ordinary value there.
        assert!(save_within_limit(&path, 500_000.0, 62_500_000.0).unwrap());
        assert_eq!(load(&path).unwrap(), Some(500_000.0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
