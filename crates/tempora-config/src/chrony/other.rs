//! The clock's and client's directives (`makestep`, `driftfile`,
//! `minsources`, `keyfile`, …) and the reasons the others are not
//! carried over.

use super::toml::quote;
use super::{Line, State};
use crate::ConfigError;

const WHY_SERVO: &str = "not carried over: Tempora's servo has no such tuning";
const WHY_SELECT: &str =
    "not carried over: Tempora's source selection has no such tuning (docs/sources.md)";
const WHY_LOG: &str = "not needed: Tempora logs to standard error (the journal under systemd); \
                       `tempora status` and the metrics show what chronyd's logs hold";
const WHY_RTC: &str = "not carried over: Tempora does not track or set the RTC";
const WHY_CMD: &str = "not needed: Tempora is controlled through its Unix socket \
                       ([observability] socket), not chronyc's protocol";
const WHY_HWTS: &str = "not carried over: Tempora timestamps NTP with the kernel's software \
                        timestamps (hardware timestamps are for PTP ports)";

/// Directives without a Tempora key, and why.
fn reason(directive: &str) -> Option<&'static str> {
    Some(match directive {
        "maxupdateskew" | "maxdrift" | "maxslewrate" | "corrtimeratio" | "clockprecision"
        | "maxclockerror" | "fallbackdrift" | "tempcomp" => WHY_SERVO,
        "maxdistance" | "maxjitter" | "combinelimit" | "reselectdist" | "stratumweight"
        | "authselectmode" | "minsamples" | "maxsamples" => WHY_SELECT,
        "logdir" | "log" | "logbanner" | "logchange" | "mailonchange" => WHY_LOG,
        "rtcsync" => {
            "not carried over: Tempora does not turn on the kernel's 11-minute mode that copies \
             the system clock to the RTC"
        }
        "rtcfile" | "rtcdevice" | "rtconutc" | "rtcautotrim" | "hwclockfile" => WHY_RTC,
        "cmdport" | "cmdallow" | "cmddeny" | "bindcmdaddress" | "cmdratelimit" => WHY_CMD,
        "hwtimestamp" | "hwtsinterval" => WHY_HWTS,
        "dumpdir" | "dumponexit" => {
            "not needed: Tempora keeps no measurements across restarts, only the frequency \
             ([clock] frequency-file)"
        }
        "pidfile" => "not needed: Tempora writes no pid file",
        "user" => {
            "not carried over: Tempora runs as the user `tempora` if it exists ([daemon] user)"
        }
        "sched_priority" | "lock_all" => "not carried over: Tempora has no such process setting",
        "maxchange" => {
            "not carried over: Tempora's [clock] panic-threshold refuses offsets beyond it at \
             once, where chronyd exits after repeated large ones; set it by hand if wanted"
        }
        "initstepslew" => {
            "not carried over: Tempora steps at its first update when the offset is beyond \
             [clock] step-threshold; list the hosts as `server` lines"
        }
        "leapsectz" => {
            "not carried over: Tempora reads leap seconds from the leap-seconds.list file \
             ([clock] leap-seconds-file, default /usr/share/zoneinfo/leap-seconds.list)"
        }
        "leapsecmode" | "smoothtime" => {
            "not carried over: Tempora leaves leap seconds to the kernel; leap-smeared time is \
             served only to NTPv5 clients that ask ([ntp-server] smear)"
        }
        "clientloglimit" | "noclientlog" => {
            "not carried over: Tempora's server keeps a fixed table of 4096 clients"
        }
        "acquisitionport" | "dscp" => "not carried over: Tempora has no such network setting",
        "ptpport" => "not carried over: Tempora has no NTP-over-PTP transport",
        "manual" => "not carried over: Tempora has no manual time input",
        "broadcast" => "not carried over: Tempora sends no broadcast NTP",
        "nosystemcert" => {
            "not carried over: Tempora always trusts the system's CA store \
             ([ntp-client] nts-ca-file adds to it)"
        }
        "nocerttimecheck" => "not carried over: Tempora always checks certificates' times",
        "ntsprocesses" => "not needed: Tempora's NTS-KE server runs on its own threads",
        "ntsrefresh" => {
            "not needed: Tempora's client runs key establishment again when it runs out of \
             cookies or gets a NAK"
        }
        _ => return None,
    })
}

impl State<'_> {
    /// Every other directive: converted, or a note.
    pub(super) fn other(&mut self, line: &Line) -> Result<(), ConfigError> {
        match line.name.as_str() {
            "makestep" => self.makestep(line),
            "driftfile" => self.driftfile(line),
            "leapseclist" => {
                let path = self.one(line)?;
                self.clock
                    .set_str("leap-seconds-file", path, &line.origin());
                Ok(())
            }
            "minsources" => {
                let n: u8 = self.int(line, "minsources", self.one(line)?)?;
                self.client
                    .set("minimum-agreeing-sources", n.to_string(), &line.origin());
                Ok(())
            }
            "ntstrustedcerts" => self.trusted_certs(line),
            "keyfile" => {
                let path = self.one(line)?.to_owned();
                self.keyfile = Some((line.origin(), path));
                Ok(())
            }
            name => {
                let why = reason(name).unwrap_or(
                    "not converted: not a chrony directive this converter knows \
                     (chronyd would refuse it)",
                );
                self.note(line, why);
                Ok(())
            }
        }
    }

    /// The one argument of `line`.
    fn one<'a>(&self, line: &Line<'a>) -> Result<&'a str, ConfigError> {
        match line.args.as_slice() {
            [a] => Ok(a),
            _ => Err(self.error(line, format!("`{}` takes one argument", line.name))),
        }
    }

    /// `makestep THRESHOLD LIMIT`: `step-threshold`, and with a limit of
    /// −1 (always) `running-step-threshold`.
    fn makestep(&mut self, line: &Line) -> Result<(), ConfigError> {
        let [threshold, limit] = line.args.as_slice() else {
            return Err(self.error(line, "`makestep` takes a threshold and a limit"));
        };
        let d = self.secs(line, "makestep", threshold)?;
        let limit: i64 = self.int(line, "makestep limit", limit)?;
        let origin = line.origin();
        self.makestep = true;
        self.clock.set("step-threshold", quote(&d), &origin);
        match limit {
            -1 => self.clock.set("running-step-threshold", quote(&d), &origin),
            0 => {
                self.clock.set("step-threshold", quote("0ns"), &origin);
                self.note(line, "converted: a limit of 0 never steps");
            }
            1 => {}
            n => self.note(
                line,
                format!(
                    "changed: Tempora steps only at its first update (then it slews), \
                     not at any of the first {n}"
                ),
            ),
        }
        Ok(())
    }

    /// `driftfile PATH`: `frequency-file` beside it (the formats differ).
    fn driftfile(&mut self, line: &Line) -> Result<(), ConfigError> {
        let path = std::path::Path::new(self.one(line)?);
        let ours = path.with_file_name("tempora-frequency");
        let ours = ours.display().to_string();
        self.clock.set_str("frequency-file", &ours, &line.origin());
        self.note(
            line,
            format!(
                "changed: Tempora keeps its frequency in its own format (one number, ppm), in \
                 {ours} beside chronyd's file, which is left as it is"
            ),
        );
        Ok(())
    }

    /// `ntstrustedcerts [SET] PATH`: `[ntp-client] nts-ca-file`.
    fn trusted_certs(&mut self, line: &Line) -> Result<(), ConfigError> {
        let path = match line.args.as_slice() {
            [p] => p,
            [_, p] => {
                self.note(line, "changed: Tempora has one set of trusted certificates");
                p
            }
            _ => return Err(self.error(line, "`ntstrustedcerts` takes [SET] FILE")),
        };
        self.client.set_str("nts-ca-file", path, &line.origin());
        Ok(())
    }

    /// With no `makestep`, chronyd never steps: neither does the output.
    pub(super) fn clock_defaults(&mut self) {
        if !self.makestep {
            self.clock.set_comment(
                "step-threshold",
                quote("0ns"),
                "no makestep: chronyd never steps the clock",
            );
        }
    }

    /// `keyfile`: the client's `key-file` when a source has a `key`, the
    /// server's when there is one; a note otherwise.
    pub(super) fn keys(&mut self) {
        let Some((origin, path)) = self.keyfile.clone() else {
            return;
        };
        let client = self.sources.iter().any(|t| t.has("key"));
        let server = self.serves();
        if client {
            self.client.set_str("key-file", &path, &origin);
        }
        if server {
            self.serve_key_file(&path, &origin);
        }
        if !client && !server {
            self.note_at(
                &origin,
                "not needed: no `server` line has a `key` and chronyd serves no one",
            );
        }
    }
}
