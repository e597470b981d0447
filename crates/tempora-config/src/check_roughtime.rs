//! The checks of `[roughtime-server]`, `[[roughtime-source]]` and
//! `[roughtime]`: values in range, public keys that decode, versions named
//! once. The key file's mode and owner are the daemon's start-up check
//! (`tempora-daemon`'s preflight), which `tempora config check` runs too.

use tempora_clock::Duration;

use crate::check::Checker;
use crate::file::File;
use crate::{ConfigError, RoughtimeServerSettings, RoughtimeSettings, RoughtimeSourceSettings};

/// The shortest and longest online key lifetimes accepted.
const LIFETIME_RANGE: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(30 * 86_400));

/// The smallest and largest radius accepted (RFC 10049 §5.2.5: RADI is
/// whole seconds, and a server must not claim less than it knows).
const RADIUS_RANGE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(86_400));

impl Checker<'_> {
    /// `[roughtime-server]`, every `[[roughtime-source]]` and `[roughtime]`.
    pub(crate) fn roughtime(&self, f: &mut File) -> Result<(), ConfigError> {
        if let Some(s) = &f.roughtime_server {
            self.roughtime_server(s)?;
        }
        for (i, s) in f.roughtime_sources.iter_mut().enumerate() {
            s.address = s.address.trim().to_string();
            self.roughtime_source(i, s)?;
        }
        self.roughtime_startup(&f.roughtime, f.roughtime_sources.len())
    }

    fn roughtime_server(&self, s: &RoughtimeServerSettings) -> Result<(), ConfigError> {
        let t = "roughtime-server";
        if s.listen.is_empty() {
            return Err(self.at_value(
                &format!("{t}.listen"),
                "`listen` needs at least one address",
            ));
        }
        if let Some(a) = s.listen.iter().find(|a| a.port() == 0) {
            return Err(self.at_value(&format!("{t}.listen"), format!("`listen`: {a} has no port")));
        }
        if s.key_file.as_os_str().is_empty() {
            return Err(self.at_value(
                &format!("{t}.key-file"),
                "`key-file` cannot be empty (`tempora roughtime keygen --out FILE` makes one)",
            ));
        }
        let (lo, hi) = LIFETIME_RANGE;
        if s.online_key_lifetime < lo || s.online_key_lifetime > hi {
            return Err(self.at_value(
                &format!("{t}.online-key-lifetime"),
                "`online-key-lifetime` is out of range: 60s to 2592000s (30 days)",
            ));
        }
        if !(1..=64).contains(&s.batch_size) {
            return Err(self.at_value(
                &format!("{t}.batch-size"),
                format!("`batch-size` = {} is out of range: 1 to 64 (more would make replies larger than requests)", s.batch_size),
            ));
        }
        self.roughtime_versions(s)?;
        let (lo, hi) = RADIUS_RANGE;
        if s.radius < lo || s.radius > hi || s.radius.nanos() % 1_000_000_000 != 0 {
            return Err(self.at_value(
                &format!("{t}.radius"),
                "`radius` must be whole seconds, 1s to 86400s (RADI is in seconds)",
            ));
        }
        self.rate_limit_keys(
            t,
            s.rate_limit_interval,
            s.rate_limit_burst,
            crate::default_rate_limit_leak(),
        )?;
        self.workers(t, s.workers)
    }

    fn roughtime_versions(&self, s: &RoughtimeServerSettings) -> Result<(), ConfigError> {
        let at = "roughtime-server.versions";
        if s.versions.is_empty() {
            return Err(self.at_value(
                at,
                "`versions` needs at least one of \"rfc\", \"draft-14\", \"google\"",
            ));
        }
        for (i, v) in s.versions.iter().enumerate() {
            if s.versions[..i].contains(v) {
                return Err(self.at_value(at, format!("`versions` names \"{}\" twice", v.name())));
            }
        }
        Ok(())
    }

    fn roughtime_source(&self, i: usize, s: &RoughtimeSourceSettings) -> Result<(), ConfigError> {
        let at = |key: &str| format!("roughtime-source.{i}.{key}");
        if s.address.is_empty() {
            return Err(self.at_value(&at("address"), "`address` cannot be empty"));
        }
        if let Err(e) = crate::decode_public_key(&s.public_key) {
            return Err(self.at_value(&at("public-key"), format!("`public-key`: {e}")));
        }
        Ok(())
    }

    fn roughtime_startup(&self, r: &RoughtimeSettings, sources: usize) -> Result<(), ConfigError> {
        if r.minimum_agreeing == 0 {
            return Err(self.at_value(
                "roughtime.minimum-agreeing",
                "`minimum-agreeing` must be at least 1",
            ));
        }
        if sources > 0 && usize::from(r.minimum_agreeing) > sources {
            return Err(self.src.error_at(
                self.src.text.len(),
                format!(
                    "[roughtime] minimum-agreeing = {} but there are {sources} [[roughtime-source]] sections: the clock could never be stepped",
                    r.minimum_agreeing
                ),
            ));
        }
        if r.step_window <= Duration::ZERO {
            return Err(self.at_value(
                "roughtime.step-window",
                "`step-window` must be more than 0s",
            ));
        }
        if r.timeout < Duration::from_millis(10) || r.timeout > Duration::from_secs(60) {
            return Err(self.at_value(
                "roughtime.timeout",
                "`timeout` is out of range: 10ms to 60s",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, RoughtimeVersion};

    fn err(text: &str) -> String {
        Config::parse(text, "t.toml").unwrap_err().to_string()
    }

    const KEY: &str = "public-key = \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n";

    #[test]
    fn a_server_and_sources_are_read_with_their_defaults() {
        let c = Config::parse(
            &format!(
                "[roughtime-server]\nkey-file = \"/etc/tempora/rt.key\"\nlisten = [\"127.0.0.1\", \"[::1]:2003\"]\n\
                 rate-limit = true\n\n[[roughtime-source]]\naddress = \"a.example\"\n{KEY}\n\
                 [[roughtime-source]]\naddress = \"10.0.0.2:2003\"\nversion = \"draft-14\"\n{KEY}\n\
                 [roughtime]\nstep-window = \"30s\"\n"
            ),
            "t.toml",
        )
        .unwrap();
        let s = c.roughtime_server.as_ref().unwrap();
        assert_eq!(s.listen[0], "127.0.0.1:2002".parse().unwrap());
        assert_eq!(s.listen[1], "[::1]:2003".parse().unwrap());
        assert_eq!(s.batch_size, 64);
        assert_eq!(s.versions.len(), 3);
        assert_eq!(s.rate_limit.unwrap().burst, 8);
        assert_eq!(c.roughtime_sources[0].version, RoughtimeVersion::Rfc);
        assert_eq!(c.roughtime_sources[1].version, RoughtimeVersion::Draft14);
        assert_eq!(c.roughtime.minimum_agreeing, 2);
        assert_eq!(c.roughtime.step_window.nanos(), 30_000_000_000);
        let again = Config::parse(&c.to_toml(), "t.toml").unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn mistakes_are_errors_at_the_key() {
        assert_eq!(
            err("[roughtime-server]\nkey-file = \"k\"\nbatch-size = 0\n"),
            "t.toml:3:14: `batch-size` = 0 is out of range: 1 to 64 (more would make replies larger than requests)"
        );
        assert_eq!(
            err("[roughtime-server]\nkey-file = \"k\"\nradius = \"1.5s\"\n"),
            "t.toml:3:10: `radius` must be whole seconds, 1s to 86400s (RADI is in seconds)"
        );
        assert_eq!(
            err("[roughtime-server]\nkey-file = \"k\"\nversions = [\"rfc\", \"rfc\"]\n"),
            "t.toml:3:12: `versions` names \"rfc\" twice"
        );
        assert!(
            err("[roughtime-server]\nkey-file = \"k\"\nversions = [\"draft-19\"]\n")
                .contains("unknown value `draft-19`, expected one of `rfc`, `draft-14`, `google`")
        );
        assert!(err("[roughtime-server]\nlisten = [\"0.0.0.0\"]\n").contains("`key-file`"));
        assert_eq!(
            err(
                "[ntp-server]\nlisten = [\"127.0.0.1:123\"]\n[[roughtime-source]]\naddress = \"a\"\npublic-key = \"AAEC\"\n"
            ),
            "t.toml:5:14: `public-key`: `AAEC` is 3 bytes: a Roughtime public key is 32 (64 hex digits or 44 base64 characters)"
        );
        let e = err(&format!(
            "[ntp-server]\nlisten = [\"127.0.0.1:123\"]\n[[roughtime-source]]\naddress = \"a\"\n{KEY}"
        ));
        assert!(e.contains("minimum-agreeing = 2 but there are 1"), "{e}");
        Config::parse(
            &format!(
                "[ntp-server]\nlisten = [\"127.0.0.1:123\"]\n[roughtime]\nminimum-agreeing = 1\n[[roughtime-source]]\naddress = \"a\"\n{KEY}"
            ),
            "t.toml",
        )
        .unwrap();
    }
}
