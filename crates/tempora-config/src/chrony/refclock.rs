//! `refclock` lines: `[[refclock]]` sections (chrony's SHM, SOCK, PPS and
//! PHC drivers; docs/refclocks.md).

use super::args::Opts;
use super::toml::{Origin, Table, quote};
use super::{ChronyNote, Line, State};
use crate::ConfigError;

/// chrony's refclock options that stand alone.
const FLAGS: &[&str] = &[
    "noselect", "prefer", "trust", "require", "tai", "local", "pps",
];

/// chrony's refclock options that take a value.
const VALUED: &[&str] = &[
    "poll",
    "dpoll",
    "refid",
    "lock",
    "rate",
    "minsamples",
    "maxsamples",
    "offset",
    "delay",
    "precision",
    "maxdispersion",
    "stratum",
    "width",
    "maxlockage",
    "filter",
];

/// The options converted (the others get a note).
const CONVERTED: &[&str] = &[
    "noselect", "prefer", "trust", "require", "poll", "refid", "lock", "offset", "delay", "filter",
];

/// Tempora's `poll` range, log2 s (1 s to 1024 s).
const POLL_RANGE: std::ops::RangeInclusive<i32> = 0..=10;

/// One converted refclock, its lock resolved once every refid is known.
struct Converted {
    refid: String,
    table: Table,
    lock: Option<(String, Origin)>,
}

/// The refclocks of the file.
#[derive(Default)]
pub(super) struct Refclocks {
    list: Vec<Converted>,
    /// `refclock` lines seen (chrony numbers default refids by it).
    seen: usize,
}

impl Refclocks {
    /// The `[[refclock]]` tables, `lock` resolved to the locked refclock's
    /// name (a note when no converted refclock has that refid).
    pub(super) fn tables(&mut self, notes: &mut Vec<ChronyNote>) -> Vec<Table> {
        let names: Vec<(String, String)> = self
            .list
            .iter()
            .filter_map(|c| Some((c.refid.clone(), name_of(&c.table)?)))
            .collect();
        let mut out = Vec::new();
        for mut c in std::mem::take(&mut self.list) {
            if let Some((refid, origin)) = c.lock.take() {
                match names.iter().find(|(r, _)| r.eq_ignore_ascii_case(&refid)) {
                    Some((_, name)) => c.table.set("lock", quote(name), &origin),
                    None => notes.push(ChronyNote {
                        file: origin.file.clone(),
                        line: origin.line,
                        directive: origin.text.clone(),
                        reason: format!(
                            "`lock {refid}`: left out: no converted refclock has refid {refid}; \
                             the pulses are numbered by the disciplined clock"
                        ),
                    }),
                }
            }
            out.push(c.table);
        }
        out
    }
}

/// The `name` a table has (unquoted).
fn name_of(t: &Table) -> Option<String> {
    t.get("name").map(|v| v.trim_matches('"').to_owned())
}

/// A refid as a Tempora refclock name: letters, digits, `-` and `_`.
fn clean_name(refid: &str) -> String {
    refid
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(16)
        .collect()
}

impl State<'_> {
    /// A `refclock DRIVER PARAMETER [options]` line.
    pub(super) fn refclock(&mut self, line: &Line) -> Result<(), ConfigError> {
        let [driver, parameter, rest @ ..] = line.args.as_slice() else {
            return Err(self.error(line, "`refclock` needs a driver and its parameter"));
        };
        let opts = self.opts(line, rest, FLAGS, VALUED)?;
        let index = self.refclocks.seen;
        self.refclocks.seen += 1;
        let origin = line.origin();
        let mut t = Table::new("[[refclock]]", Some(origin.clone()));
        let driver = driver.to_ascii_uppercase();
        if !self.driver(line, &driver, parameter, &mut t)? {
            return Ok(());
        }
        let default_refid = format!("{}{index}", driver.get(..3).unwrap_or(&driver));
        let refid = opts.value("refid").unwrap_or(&default_refid).to_owned();
        let name = self.unique_name(&refid, &default_refid);
        t.set_essential("name", quote(&name), &origin);
        t.move_first("name");
        self.refclock_options(line, &opts, &mut t)?;
        let lock = opts.value("lock").map(|r| (r.to_owned(), origin.clone()));
        if lock.is_some() && driver != "PPS" {
            self.note(line, "`lock`: left out: Tempora locks only PPS refclocks");
        }
        self.refclocks.list.push(Converted {
            refid,
            table: t,
            lock: lock.filter(|_| driver == "PPS"),
        });
        Ok(())
    }

    /// A Tempora name for `refid`: cleaned, and unique among the refclocks.
    fn unique_name(&self, refid: &str, fallback: &str) -> String {
        let mut base = clean_name(refid);
        if base.is_empty() {
            base = clean_name(fallback);
        }
        let taken = |n: &str| {
            self.refclocks
                .list
                .iter()
                .any(|c| name_of(&c.table).as_deref() == Some(n))
        };
        let mut name = base.clone();
        let mut k = 2;
        while taken(&name) {
            let suffix = format!("-{k}");
            let keep = 16usize.saturating_sub(suffix.len());
            name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
            k += 1;
        }
        name
    }

    /// `driver` and its keys from chrony's `PARAMETER[:OPTION…]`; false
    /// (with a note) for a driver Tempora does not have.
    fn driver(
        &mut self,
        line: &Line,
        driver: &str,
        parameter: &str,
        t: &mut Table,
    ) -> Result<bool, ConfigError> {
        let origin = line.origin();
        let mut parts = parameter.split(':');
        let main = parts.next().unwrap_or_default();
        let options: Vec<&str> = parts.collect();
        match driver {
            "SHM" => {
                let segment: u32 = self.int(line, "refclock SHM", main)?;
                t.set("driver", quote("shm"), &origin);
                t.set_essential("segment", segment.to_string(), &origin);
            }
            "SOCK" => {
                t.set("driver", quote("sock"), &origin);
                t.set_essential("path", quote(main), &origin);
            }
            "PPS" => {
                t.set("driver", quote("pps"), &origin);
                t.set_essential("device", quote(main), &origin);
                if options.iter().any(|o| o.eq_ignore_ascii_case("clear")) {
                    t.set("edge", quote("clear"), &origin);
                }
            }
            "PHC" if options.iter().any(|o| o.eq_ignore_ascii_case("extpps")) => {
                self.note(
                    line,
                    "not converted: a PHC's external PPS is Tempora's `extts` refclock, which \
                     needs a gpsd or NMEA refclock to number the seconds (chrony has neither); \
                     write it by hand (docs/refclocks.md)",
                );
                return Ok(false);
            }
            "PHC" => {
                t.set("driver", quote("phc"), &origin);
                t.set_essential("device", quote(main), &origin);
            }
            "RTC" => {
                self.note(
                    line,
                    "not converted: Tempora has no RTC reference clock driver",
                );
                return Ok(false);
            }
            other => {
                return Err(self.error(line, format!("unknown refclock driver `{other}`")));
            }
        }
        for o in options {
            let known = matches!(driver, "PPS") && o.eq_ignore_ascii_case("clear");
            if !known {
                self.note(
                    line,
                    format!("`:{o}`: left out: Tempora's {driver} driver has no such option"),
                );
            }
        }
        Ok(true)
    }

    /// `poll`, `filter`, `offset`, `delay`, the selection flags; notes for
    /// the rest.
    fn refclock_options(
        &mut self,
        line: &Line,
        opts: &Opts,
        t: &mut Table,
    ) -> Result<(), ConfigError> {
        let origin = line.origin();
        let poll = match opts.value("poll") {
            Some(v) => self.int::<i32>(line, "poll", v)?,
            None => 4,
        };
        let clamped = poll.clamp(*POLL_RANGE.start(), *POLL_RANGE.end());
        if clamped != poll {
            self.note(
                line,
                format!("`poll {poll}`: changed to {clamped}: Tempora polls refclocks every 1 s to 1024 s"),
            );
        }
        t.set("poll", quote(&format!("{}s", 1u32 << clamped)), &origin);
        if let Some(v) = opts.value("filter") {
            let n: i64 = self.int(line, "filter", v)?;
            t.set("filter", n.clamp(1, 1024).to_string(), &origin);
        }
        for name in ["offset", "delay"] {
            if let Some(v) = opts.value(name) {
                let d = self.secs(line, name, v)?;
                t.set(name, quote(&d), &origin);
            }
        }
        self.selection_flags(line, opts, t);
        self.refclock_rest(line, opts);
        Ok(())
    }

    /// `prefer`, `trust`, `require` (not beside `noselect`), `noselect`.
    fn selection_flags(&mut self, line: &Line, opts: &Opts, t: &mut Table) {
        let origin = line.origin();
        let noselect = opts.flag("noselect");
        for name in ["prefer", "trust", "require"] {
            if opts.flag(name) && noselect {
                self.note(
                    line,
                    format!("`{name}`: left out: a `noselect` source is never selected"),
                );
            } else if opts.flag(name) {
                t.set(name, "true".into(), &origin);
            }
        }
        if noselect {
            t.set("noselect", "true".into(), &origin);
        }
    }

    /// Notes for the refclock options without a Tempora key.
    fn refclock_rest(&mut self, line: &Line, opts: &Opts) {
        for (name, value) in &opts.list {
            let why = match (name.as_str(), *value) {
                (n, _) if CONVERTED.contains(&n) => continue,
                ("dpoll", Some("0")) | ("rate", Some("1")) => continue,
                ("dpoll", _) | ("rate", _) => "Tempora's drivers take every sample that comes",
                ("tai", _) => {
                    "Tempora's refclocks are UTC (a TAI PHC is the `extts` driver's `timescale`)"
                }
                ("pps", _) | ("width", _) | ("maxlockage", _) => {
                    "Tempora's PPS refclock locks to another refclock with `lock` only"
                }
                ("local", _) => "Tempora has no local-reference refclock mode",
                ("stratum", _) => "Tempora serves stratum 1 from any refclock",
                _ => "Tempora's refclock filter has no such tuning",
            };
            let shown = match value {
                Some(v) => format!("{name} {v}"),
                None => name.clone(),
            };
            self.note(line, format!("`{shown}`: left out: {why}"));
        }
    }
}
