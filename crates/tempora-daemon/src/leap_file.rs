//! The `[clock] leap-seconds-file`, read at start-up: the parsed and
//! verified list (`tempora_clock::leap_seconds`), its expiry watched, and
//! what status shows of it.

use std::path::{Path, PathBuf};

use tempora_clock::Time;
use tempora_clock::leap_seconds::{LeapSecondsList, LeapState};
use tempora_config::DEFAULT_LEAP_SECONDS_FILE;

use crate::served_status::LeapStatusReport;

/// The list, if one was read.
pub struct LeapFile {
    path: PathBuf,
    list: Option<LeapSecondsList>,
    /// Why there is none (for status), when the file was configured or
    /// exists but did not verify.
    problem: Option<String>,
    expired_logged: bool,
}

impl LeapFile {
    /// Reads `configured`, or the default path if it exists. A file that
    /// cannot be read or does not verify is a warning (`configured`: also
    /// when it is missing) and no list.
    pub fn load(configured: Option<&Path>) -> Self {
        let path = configured.map_or_else(
            || PathBuf::from(DEFAULT_LEAP_SECONDS_FILE),
            Path::to_path_buf,
        );
        let mut file = LeapFile {
            path,
            list: None,
            problem: None,
            expired_logged: false,
        };
        match std::fs::read(&file.path) {
            Ok(bytes) => file.parsed(LeapSecondsList::parse(&bytes).map_err(|e| e.to_string())),
            Err(e) if configured.is_none() && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => file.parsed(Err(e.to_string())),
        }
        file
    }

    fn parsed(&mut self, result: Result<LeapSecondsList, String>) {
        match result {
            Ok(list) => {
                tracing::info!(
                    path = %self.path.display(),
                    entries = list.entries().len(),
                    expires = list.expires().secs_nanos().0 as i64,
                    "leap second list"
                );
                self.list = Some(list);
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "leap second list not used");
                self.problem = Some(e);
            }
        }
    }

    /// A list already parsed (tests).
    pub fn from_list(path: &str, list: LeapSecondsList) -> Self {
        LeapFile {
            path: PathBuf::from(path),
            list: Some(list),
            problem: None,
            expired_logged: false,
        }
    }

    /// TAI − UTC and the pending leap at `now` (UTC), with the list; warns
    /// once when the list has expired.
    pub fn state(&mut self, now: Time) -> Option<LeapState> {
        let list = self.list.as_ref()?;
        if list.is_expired(now) && !self.expired_logged {
            self.expired_logged = true;
            tracing::warn!(
                path = %self.path.display(),
                "leap second list has expired: leap seconds announced after its expiry are unknown (update tzdata)"
            );
        }
        Some(list.state_at(now))
    }

    /// The status at `now`.
    pub fn report(&self, now: Time) -> LeapStatusReport {
        let state = self.list.as_ref().map(|l| l.state_at(now));
        LeapStatusReport {
            path: self.path.display().to_string(),
            loaded: self.list.is_some(),
            problem: self.problem.clone(),
            expires: self
                .list
                .as_ref()
                .map(|l| l.expires().secs_nanos().0 as i64),
            expired: self.list.as_ref().is_some_and(|l| l.is_expired(now)),
            tai_minus_utc: state.and_then(|s| s.tai_minus_utc),
            pending: crate::served_status::leap_name(state.map(|s| s.pending).unwrap_or_default())
                .into(),
            clock_armed: None,
            clock_tai_offset: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_default_is_silent_missing_configured_is_a_problem() {
        let f = LeapFile::load(Some(Path::new("/nonexistent/leap-seconds.list")));
        let r = f.report(Time::from_secs_nanos(1_800_000_000, 0));
        assert!(!r.loaded);
        assert!(r.problem.is_some());
        assert_eq!(r.pending, "none");
    }

    #[test]
    fn a_file_that_does_not_verify_is_not_used() {
        let dir = std::env::temp_dir().join(format!("tempora-leap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.list");
        std::fs::write(&path, "#@ 3991593600\n3692217600 37\n#h 1 2 3 4 5\n").unwrap();
        let f = LeapFile::load(Some(&path));
        let r = f.report(Time::from_secs_nanos(1_800_000_000, 0));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!r.loaded);
        assert!(r.problem.unwrap().contains("SHA-1"));
    }
}
