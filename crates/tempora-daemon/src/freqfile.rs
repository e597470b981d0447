//! The frequency estimate kept across restarts (like chrony's driftfile and
//! linuxptp's servo `fadj`): one number, ppb, written atomically and
//! durably ([`write_atomically`]). Neither a file that cannot be written
//! (a full disk) nor an empty or corrupt one stops the daemon: the first
//! is a warning naming the file, at most once an hour while it lasts; the
//! second a warning and a fresh start.

use std::io;
use std::path::Path;

use tempora_clock::{Duration, Time};
use tempora_nts::state_file::write_atomically;

/// How often a frequency file that still cannot be written is warned of.
const WARN_EVERY: Duration = Duration::from_secs(3600);

/// Reads the saved frequency, ppb; `Ok(None)` when there is no file yet.
/// A file with anything but one finite number within ±500 ppm is an error.
pub fn load(path: &Path) -> io::Result<Option<f64>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    };
    if text.trim().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: empty", path.display()),
        ));
    }
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

/// [`load`], except that a file with no valid frequency (empty, garbage,
/// beyond ±500 ppm) is a warning naming it and a fresh start (`None`); a
/// file that cannot be read at all is still an error.
pub fn load_or_fresh(path: &Path) -> io::Result<Option<f64>> {
    match load(path) {
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            tracing::warn!(error = %e, "frequency file ignored; starting afresh");
            Ok(None)
        }
        loaded => loaded,
    }
}

/// Saves the frequency: writes a temporary file next to `path`, fsyncs it
/// and renames it over (and fsyncs the directory), so a crash never
/// leaves half a number. Errors name the file.
pub fn save(path: &Path, ppb: f64) -> io::Result<()> {
    if !ppb.is_finite() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "frequency is not finite",
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    write_atomically(path, format!("{ppb:.3}\n").as_bytes(), 0o644)
}

/// Saves the frequency file and warns of failures, at most once per
/// hour while they last, and once when saving works again.
#[derive(Debug, Default)]
pub struct Saver {
    /// When the last warning was given, while saving fails.
    warned: Option<Time>,
    /// Failures since that warning.
    unreported: u64,
}

impl Saver {
    /// Saves `ppb` to `path` at `now` unless it is at the servo's limit of
    /// ±`limit_ppb` ([`save_within_limit`]); a failure is a warning (or
    /// counted until the next one), never an error.
    pub fn save(&mut self, path: &Path, ppb: f64, limit_ppb: f64, now: Time) {
        match save_within_limit(path, ppb, limit_ppb) {
            Ok(_) => {
                if self.warned.take().is_some() {
                    tracing::info!(file = %path.display(), "frequency file saved again");
                }
                self.unreported = 0;
            }
            Err(e) => match self.warned {
                Some(at) if now - at < WARN_EVERY => self.unreported += 1,
                _ => {
                    tracing::warn!(
                        file = %path.display(),
                        error = %e,
                        failures_since_last_warning = self.unreported,
                        "frequency file not saved; the daemon runs on"
                    );
                    self.warned = Some(now);
                    self.unreported = 0;
                }
            },
        }
    }

    /// Whether the last save failed.
    pub fn failing(&self) -> bool {
        self.warned.is_some()
    }
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

    /// The servo's limit in these tests, ppb.
    const LIMIT: f64 = 500_000.0;

    /// Issue 13: an empty or corrupt file is a fresh start, one that
    /// cannot be read at all still an error naming it; a failed save is
    /// warned of (once an hour), never an error.
    #[test]
    fn bad_files_are_a_fresh_start_and_failed_saves_warnings() {
        let dir = std::env::temp_dir().join(format!("tempora-freq-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("frequency");
        for text in ["", "\n", "lots\n", "9e9\n", "NaN\n"] {
            std::fs::write(&path, text).unwrap();
            assert_eq!(load_or_fresh(&path).unwrap(), None, "{text:?}");
        }
        std::fs::write(&path, "-1.5\n").unwrap();
        assert_eq!(load_or_fresh(&path).unwrap(), Some(-1.5));
        assert!(load(&path.with_file_name("none")).unwrap().is_none());
        let e = load_or_fresh(&dir).unwrap_err();
        assert!(e.to_string().contains(&dir.display().to_string()), "{e}");
        // A frequency file under a regular file cannot be written.
        let blocked = path.join("frequency");
        let e = save(&blocked, 1.0).unwrap_err();
        assert!(e.to_string().contains("frequency"), "{e}");
        let mut saver = Saver::default();
        let t0 = Time::from_secs_nanos(1_800_000_000, 0);
        saver.save(&blocked, 1.0, LIMIT, t0);
        assert!(saver.failing());
        assert_eq!((saver.warned, saver.unreported), (Some(t0), 0));
        saver.save(&blocked, 1.0, LIMIT, t0 + Duration::from_secs(60));
        assert_eq!((saver.warned, saver.unreported), (Some(t0), 1));
        let t1 = t0 + Duration::from_secs(3600);
        saver.save(&blocked, 1.0, LIMIT, t1);
        assert_eq!((saver.warned, saver.unreported), (Some(t1), 0));
        saver.save(&path, 2.0, LIMIT, t1);
        assert!(!saver.failing());
        assert_eq!(load(&path).unwrap(), Some(2.0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
