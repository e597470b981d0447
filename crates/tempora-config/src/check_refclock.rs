//! The checks of `[[refclock]]`: names unique, each driver's keys present
//! and in range, no key of another driver, a PPS `lock` naming another
//! reference clock that is not a PPS, an extts `tod` naming a gpsd or
//! nmea refclock, and the selection options as the other source kinds'.

use tempora_clock::Duration;

use crate::check::{Checker, MAX_SOCKET_PATH, Selection};
use crate::{ConfigError, RefclockDriver, RefclockSettings};

/// The serial speeds `baud` may have (termios' standard rates).
pub const BAUD_RATES: [u32; 9] = [
    4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600,
];

/// The keys only some drivers take, and which.
const DRIVER_KEYS: [(&str, &[RefclockDriver]); 12] = [
    (
        "device",
        &[
            RefclockDriver::Pps,
            RefclockDriver::Nmea,
            RefclockDriver::Phc,
            RefclockDriver::Gpsd,
            RefclockDriver::Extts,
        ],
    ),
    ("edge", &[RefclockDriver::Pps, RefclockDriver::Extts]),
    ("pin", &[RefclockDriver::Extts]),
    ("channel", &[RefclockDriver::Extts]),
    ("tod", &[RefclockDriver::Extts]),
    ("pulse-delay", &[RefclockDriver::Extts]),
    ("timescale", &[RefclockDriver::Extts]),
    ("lock", &[RefclockDriver::Pps]),
    ("segment", &[RefclockDriver::Shm]),
    ("mode", &[RefclockDriver::Shm]),
    ("address", &[RefclockDriver::Gpsd]),
    ("path", &[RefclockDriver::Sock]),
];

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 16
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// Which of the driver-specific keys `s` sets.
fn keys_set(s: &RefclockSettings) -> [(&'static str, bool); 13] {
    [
        ("device", s.device.is_some()),
        ("edge", s.edge.is_some()),
        ("lock", s.lock.is_some()),
        ("segment", s.segment.is_some()),
        ("mode", s.mode.is_some()),
        ("address", s.address.is_some()),
        ("path", s.path.is_some()),
        ("baud", s.baud.is_some()),
        ("pin", s.pin.is_some()),
        ("channel", s.channel.is_some()),
        ("tod", s.tod.is_some()),
        ("pulse-delay", s.pulse_delay.is_some()),
        ("timescale", s.timescale.is_some()),
    ]
}

impl Checker<'_> {
    /// Every `[[refclock]]`.
    pub(crate) fn refclocks(&self, all: &[RefclockSettings]) -> Result<(), ConfigError> {
        for (i, s) in all.iter().enumerate() {
            self.refclock(i, s)?;
            if all[..i].iter().any(|o| o.name == s.name) {
                return Err(self.at_value(
                    &format!("refclock.{i}.name"),
                    format!("`name` = \"{}\" is already another refclock's", s.name),
                ));
            }
        }
        for (i, s) in all.iter().enumerate() {
            let Some(lock) = &s.lock else { continue };
            let at = format!("refclock.{i}.lock");
            match all.iter().find(|o| &o.name == lock) {
                None => {
                    return Err(
                        self.at_value(&at, format!("`lock` = \"{lock}\" names no [[refclock]]"))
                    );
                }
                Some(o) if o.name == s.name => {
                    return Err(self.at_value(&at, "`lock`: a PPS cannot be locked to itself"));
                }
                Some(o) if o.driver == RefclockDriver::Pps => {
                    return Err(self.at_value(
                        &at,
                        format!(
                            "`lock` = \"{lock}\" is a PPS: the lock must number the seconds (gpsd, shm, sock, nmea, phc)"
                        ),
                    ));
                }
                Some(o) if o.driver == RefclockDriver::Extts => {
                    return Err(self.at_value(
                        &at,
                        format!(
                            "`lock` = \"{lock}\" is an extts refclock, whose seconds come from its `tod`: lock to that one"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        for (i, s) in all.iter().enumerate() {
            self.refclock_tod(i, s, all)?;
        }
        Ok(())
    }

    /// An extts refclock's `tod` names a gpsd or nmea refclock (the ones
    /// whose readings name a second a pulse marks).
    fn refclock_tod(
        &self,
        i: usize,
        s: &RefclockSettings,
        all: &[RefclockSettings],
    ) -> Result<(), ConfigError> {
        let Some(tod) = &s.tod else { return Ok(()) };
        let at = format!("refclock.{i}.tod");
        match all.iter().find(|o| &o.name == tod) {
            None => Err(self.at_value(&at, format!("`tod` = \"{tod}\" names no [[refclock]]"))),
            Some(o) if matches!(o.driver, RefclockDriver::Gpsd | RefclockDriver::Nmea) => Ok(()),
            Some(o) => Err(self.at_value(
                &at,
                format!(
                    "`tod` = \"{tod}\" is a `{}` refclock: the time of day comes from a `gpsd` or `nmea` one",
                    o.driver.name()
                ),
            )),
        }
    }

    fn refclock(&self, i: usize, s: &RefclockSettings) -> Result<(), ConfigError> {
        let at = |key: &str| format!("refclock.{i}.{key}");
        if !is_name(&s.name) {
            return Err(self.at_value(
                &at("name"),
                "`name` must be 1 to 16 letters, digits, `-` or `_`",
            ));
        }
        self.refclock_driver_keys(i, s)?;
        let secs = s.poll.as_secs_f64();
        let power = (1.0..=1024.0).contains(&secs) && secs.log2().fract() == 0.0;
        if !power {
            return Err(self.at_value(
                &at("poll"),
                "`poll` must be a power of two seconds from 1s to 1024s (as \"16s\")",
            ));
        }
        if !(1..=1024).contains(&s.filter) {
            return Err(self.at_value(
                &at("filter"),
                format!("`filter` = {} is out of range: 1 to 1024 samples", s.filter),
            ));
        }
        if s.delay
            .is_some_and(|d| d <= Duration::ZERO || d > Duration::from_secs(1))
        {
            return Err(self.at_value(
                &at("delay"),
                "`delay` must be more than zero and at most 1s",
            ));
        }
        self.selection_options(
            "refclock",
            i,
            Selection {
                flags: [s.prefer, s.trust, s.require],
                noselect: s.noselect,
                offset: s.offset,
                asymmetry: None,
                max_delay: s.max_delay,
            },
        )
    }

    /// The keys of the driver: the needed ones present, the others absent,
    /// each in range.
    fn refclock_driver_keys(&self, i: usize, s: &RefclockSettings) -> Result<(), ConfigError> {
        let at = |key: &str| format!("refclock.{i}.{key}");
        let driver = s.driver;
        for (key, set) in keys_set(s) {
            let allowed = match key {
                "baud" => driver == RefclockDriver::Nmea,
                _ => DRIVER_KEYS
                    .iter()
                    .find(|(k, _)| *k == key)
                    .is_some_and(|(_, d)| d.contains(&driver)),
            };
            if set && !allowed {
                return Err(self.at_key(
                    &at(key),
                    format!("`{key}` is not a key of a `{}` refclock", driver.name()),
                ));
            }
        }
        let needs_device = matches!(
            driver,
            RefclockDriver::Pps
                | RefclockDriver::Nmea
                | RefclockDriver::Phc
                | RefclockDriver::Extts
        );
        if needs_device && s.device.is_none() {
            return Err(self.at_key(
                &format!("refclock.{i}"),
                format!("a `{}` refclock needs `device`", driver.name()),
            ));
        }
        if driver == RefclockDriver::Sock && s.path.is_none() {
            return Err(self.at_key(
                &format!("refclock.{i}"),
                "a `sock` refclock needs `path` (the Unix socket to bind)",
            ));
        }
        if driver == RefclockDriver::Extts && s.tod.is_none() {
            return Err(self.at_key(
                &format!("refclock.{i}"),
                "an `extts` refclock needs `tod` (the gpsd or nmea refclock that names the seconds)",
            ));
        }
        if s.pulse_delay
            .is_some_and(|d| d.abs() >= Duration::from_millis(100))
        {
            return Err(self.at_value(
                &at("pulse-delay"),
                "`pulse-delay` must be within ±100ms (a cable and receiver delay)",
            ));
        }
        if let Some(p) = &s.path {
            let len = p.as_os_str().len();
            if len == 0 || len >= MAX_SOCKET_PATH {
                return Err(self.at_value(
                    &at("path"),
                    format!(
                        "`path` is {len} bytes long: a Unix socket path has 1 to {} bytes",
                        MAX_SOCKET_PATH - 1
                    ),
                ));
            }
        }
        if s.segment.is_some_and(|n| n > 3) {
            return Err(self.at_value(
                &at("segment"),
                "`segment` is out of range: 0 to 3 (keys 0x4e545030 to 0x4e545033)",
            ));
        }
        if s.mode.is_some_and(|m| m > 1) {
            return Err(self.at_value(&at("mode"), "`mode` must be 0 or 1 (the SHM modes)"));
        }
        if let Some(a) = &s.address {
            let port = a.rsplit_once(':').and_then(|(h, p)| {
                (!h.is_empty())
                    .then(|| p.parse::<u16>().ok())
                    .flatten()
                    .filter(|&p| p != 0)
            });
            if port.is_none() {
                return Err(self.at_value(
                    &at("address"),
                    format!("`address` = \"{a}\" is not HOST:PORT (as \"127.0.0.1:2947\")"),
                ));
            }
        }
        if let Some(b) = s.baud.filter(|b| !BAUD_RATES.contains(b)) {
            return Err(self.at_value(
                &at("baud"),
                format!("`baud` = {b} is not a serial speed: one of {BAUD_RATES:?}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, PhcTimescaleSetting, PpsEdgeSetting, RefclockDriver};
    use tempora_clock::Duration;

    fn err(text: &str) -> String {
        Config::parse(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn refclocks_are_read_with_their_defaults() {
        let c = Config::parse(
            "[[refclock]]\nname = \"GPS\"\ndriver = \"gpsd\"\n\n\
             [[refclock]]\nname = \"PPS\"\ndriver = \"pps\"\ndevice = \"/dev/pps0\"\n\
             lock = \"GPS\"\nedge = \"clear\"\npoll = \"4s\"\nprefer = true\n\n\
             [[refclock]]\nname = \"SHM1\"\ndriver = \"shm\"\nsegment = 1\nmode = 1\n\
             offset = \"0.5s\"\ndelay = \"0.2s\"\nfilter = 64\n",
            "t.toml",
        )
        .unwrap();
        let [g, p, s] = &c.refclocks[..] else {
            panic!("{:?}", c.refclocks)
        };
        assert_eq!(g.driver, RefclockDriver::Gpsd);
        assert_eq!(g.gpsd_address(), "127.0.0.1:2947");
        assert_eq!((g.poll, g.filter), (Duration::from_secs(16), 16));
        assert_eq!(g.log2_poll(), 4);
        assert_eq!(g.sample_delay(), Duration::from_nanos(1));
        assert_eq!(p.edge, Some(PpsEdgeSetting::Clear));
        assert_eq!(p.lock.as_deref(), Some("GPS"));
        assert_eq!(p.log2_poll(), 2);
        assert_eq!(s.shm_key(), 0x4e54_5031);
        assert_eq!(s.offset, Some(Duration::from_millis(500)));
        assert_eq!(s.sample_delay(), Duration::from_millis(200));
        let again = Config::parse(&c.to_toml(), "t.toml").unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn mistakes_are_errors_at_the_key() {
        let gps = "[[refclock]]\nname = \"GPS\"\ndriver = \"gpsd\"\n";
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"shm\"\nsegment = 4\n"),
            "t.toml:4:11: `segment` is out of range: 0 to 3 (keys 0x4e545030 to 0x4e545033)"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"shm\"\nmode = 2\n"),
            "t.toml:4:8: `mode` must be 0 or 1 (the SHM modes)"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"pps\"\n"),
            "t.toml:1:1: a `pps` refclock needs `device`"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"gpsd\"\nsegment = 1\n"),
            "t.toml:4:1: `segment` is not a key of a `gpsd` refclock"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"gpsd\"\npoll = \"3s\"\n"),
            "t.toml:4:8: `poll` must be a power of two seconds from 1s to 1024s (as \"16s\")"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"gpsd\"\naddress = \"gpsd\"\n"),
            "t.toml:4:11: `address` = \"gpsd\" is not HOST:PORT (as \"127.0.0.1:2947\")"
        );
        assert_eq!(
            err(
                "[[refclock]]\nname = \"A\"\ndriver = \"nmea\"\ndevice = \"/dev/ttyS0\"\nbaud = 1234\n"
            ),
            "t.toml:5:8: `baud` = 1234 is not a serial speed: one of [4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]"
        );
        assert_eq!(
            err(&format!(
                "{gps}\n[[refclock]]\nname = \"P\"\ndriver = \"pps\"\ndevice = \"/dev/pps0\"\nlock = \"NMEA\"\n"
            )),
            "t.toml:9:8: `lock` = \"NMEA\" names no [[refclock]]"
        );
        assert_eq!(
            err(&format!("{gps}\n{gps}")),
            "t.toml:6:8: `name` = \"GPS\" is already another refclock's"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A B\"\ndriver = \"gpsd\"\n"),
            "t.toml:2:8: `name` must be 1 to 16 letters, digits, `-` or `_`"
        );
        assert!(err("[[refclock]]\nname = \"A\"\ndriver = \"rtc\"\n").starts_with("t.toml:3:10:"));
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"gpsd\"\nnoselect = true\nprefer = true\n"),
            "t.toml:5:1: `prefer` with `noselect = true`: a noselect source is never selected"
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"sock\"\n"),
            "t.toml:1:1: a `sock` refclock needs `path` (the Unix socket to bind)"
        );
    }

    #[test]
    fn a_pps_locks_to_a_refclock_that_numbers_seconds() {
        let pps = |name: &str, lock: &str| {
            format!(
                "[[refclock]]\nname = \"{name}\"\ndriver = \"pps\"\ndevice = \"/dev/pps0\"\nlock = \"{lock}\"\n"
            )
        };
        assert!(err(&pps("P", "P")).contains("cannot be locked to itself"));
        assert!(err(&format!("{}\n{}", pps("P", "Q"), pps("Q", "P"))).contains("is a PPS"));
        let extts = "[[refclock]]\nname = \"G\"\ndriver = \"gpsd\"\n\n[[refclock]]\nname = \"E\"\n\
                     driver = \"extts\"\ndevice = \"/dev/ptp0\"\ntod = \"G\"\n\n";
        assert_eq!(
            err(&format!("{extts}{}", pps("P", "E"))),
            "t.toml:15:8: `lock` = \"E\" is an extts refclock, whose seconds come from its `tod`: lock to that one"
        );
    }

    const TOD: &str = "[[refclock]]\nname = \"gnss-tod\"\ndriver = \"gpsd\"\nnoselect = true\n\n";

    #[test]
    fn an_extts_refclock_is_read() {
        let c = Config::parse(
            &format!(
                "{TOD}[[refclock]]\nname = \"pps-phc\"\ndriver = \"extts\"\ndevice = \"/dev/ptp0\"\n\
                 pin = 1\nchannel = 2\nedge = \"falling\"\ntod = \"gnss-tod\"\n\
                 pulse-delay = \"35ns\"\ntimescale = \"utc\"\npoll = \"4s\"\n"
            ),
            "t.toml",
        )
        .unwrap();
        let e = &c.refclocks[1];
        assert_eq!(e.driver, RefclockDriver::Extts);
        assert_eq!((e.pin, e.channel), (Some(1), Some(2)));
        assert_eq!(e.edge, Some(PpsEdgeSetting::Clear));
        assert_eq!(e.tod.as_deref(), Some("gnss-tod"));
        assert_eq!(e.pulse_delay, Some(Duration::from_nanos(35)));
        assert_eq!(e.timescale, Some(PhcTimescaleSetting::Utc));
        let again = Config::parse(&c.to_toml(), "t.toml").unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn extts_mistakes_are_errors_at_the_key() {
        let extts = |rest: &str| {
            format!(
                "{TOD}[[refclock]]\nname = \"E\"\ndriver = \"extts\"\ndevice = \"/dev/ptp0\"\n{rest}"
            )
        };
        assert_eq!(
            err(&extts("")),
            "t.toml:6:1: an `extts` refclock needs `tod` (the gpsd or nmea refclock that names the seconds)"
        );
        assert_eq!(
            err(&extts("tod = \"nmea\"\n")),
            "t.toml:10:7: `tod` = \"nmea\" names no [[refclock]]"
        );
        assert_eq!(
            err(&format!(
                "[[refclock]]\nname = \"S\"\ndriver = \"shm\"\n\n{}",
                extts("tod = \"S\"\n")
            )),
            "t.toml:14:7: `tod` = \"S\" is a `shm` refclock: the time of day comes from a `gpsd` or `nmea` one"
        );
        assert_eq!(
            err(&extts("tod = \"E\"\n")),
            "t.toml:10:7: `tod` = \"E\" is a `extts` refclock: the time of day comes from a `gpsd` or `nmea` one"
        );
        assert_eq!(
            err(&extts("tod = \"gnss-tod\"\npulse-delay = \"0.2s\"\n")),
            "t.toml:11:15: `pulse-delay` must be within ±100ms (a cable and receiver delay)"
        );
        assert_eq!(
            err(&extts("tod = \"gnss-tod\"\ntimescale = \"gps\"\n"))
                .split(':')
                .take(3)
                .collect::<Vec<_>>(),
            ["t.toml", "11", "13"]
        );
        assert_eq!(
            err("[[refclock]]\nname = \"A\"\ndriver = \"gpsd\"\ntod = \"B\"\n"),
            "t.toml:4:1: `tod` is not a key of a `gpsd` refclock"
        );
        assert_eq!(
            err(&format!(
                "{TOD}[[refclock]]\nname = \"E\"\ndriver = \"extts\"\ntod = \"gnss-tod\"\n"
            )),
            "t.toml:6:1: a `extts` refclock needs `device`"
        );
    }
}
