//! The command line of `tempora`: its subcommands and options (clap).
//!
//! Kept apart from `main.rs` and free of the rest of the crate, so that the
//! man pages are generated from this very definition (`cargo xtask man`,
//! which includes this file).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The daemon's default control socket (`[observability] socket`'s default).
pub const DEFAULT_SOCKET: &str = "/run/tempora/tempora.sock";

/// PTP and NTP in one memory-safe daemon and CLI.
#[derive(Debug, Parser)]
#[command(name = "tempora", version, about)]
pub struct Cli {
    #[command(subcommand)]
    /// What to do.
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode the PTP and NTP messages of pcap/pcapng captures, one line each,
    /// re-encoding every message to check it round-trips byte for byte.
    ///
    /// Exits with status 1 if any PTP or NTP packet failed to decode or to
    /// round-trip (or, with --sa-file, any PTP message's ICV did not check
    /// out), 2 if a capture or the SA file could not be read.
    Inspect {
        /// Print one JSON object per message instead of a line of text.
        #[arg(long)]
        json: bool,
        /// Check the AUTHENTICATION TLV (IEEE 1588-2019 Annex P) of every
        /// PTP message against the keys of this linuxptp `sa_file`.
        #[arg(long, value_name = "FILE")]
        sa_file: Option<PathBuf>,
        /// Capture files (pcap or pcapng).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a scenario in the simulator: the real PTP engine and a servo on
    /// virtual time, with the PI servo as baseline on the same seed.
    Sim {
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
        /// Seed of every random draw (same seed, same result).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The servo under test: kalman or pi.
        #[arg(long, default_value = "kalman")]
        servo: String,
        /// The scenario file (TOML; see docs/scenarios.md).
        scenario: PathBuf,
    },
    /// Run the daemon: PTP ports, the servo and the clock as FILE says,
    /// until SIGTERM or SIGINT.
    Daemon {
        /// The configuration file (TOML; see tempora.toml(5), or
        /// docs/config-reference.md in the sources).
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// Check a configuration file or convert a linuxptp or chrony one.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Ask NTP servers for the time once each, like ntpdig: offset, delay,
    /// stratum, leap, reference id, precision, root delay and dispersion.
    Query {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Seconds to wait for each reply.
        #[arg(long, default_value_t = 2.0)]
        timeout: f64,
        /// Use NTS (RFC 8915): key establishment over TLS with each server
        /// (its PORT is then the NTS-KE port, 4460 by default), then an
        /// NTS-protected exchange; unauthenticated replies are refused.
        #[arg(long)]
        nts: bool,
        /// With --nts: a PEM file of CA certificates to trust, besides the
        /// system's.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<std::path::PathBuf>,
        /// Speak NTPv5 (draft-ietf-ntp-ntpv5, as ntpd-rs does): the reply
        /// also shows the timescale, era and the versions the server
        /// announces. Not with --nts yet.
        #[arg(long, conflicts_with = "nts")]
        ntpv5: bool,
        /// With --ntpv5: the draft spoken, 8 (ntpd-rs 1.9) or 9 (ntpd-rs
        /// 2.0).
        #[arg(long, value_name = "N", default_value_t = 8, requires = "ntpv5")]
        draft: u8,
        /// With --ntpv5: the timescale asked for, utc or tai (a server that
        /// does not serve it answers in UTC, and says so).
        #[arg(long, value_name = "SCALE", default_value = "utc", requires = "ntpv5")]
        timescale: String,
        /// Ask Roughtime servers (RFC 10049; PORT 2002 by default) instead:
        /// each signed reply is verified with --public-key and printed with
        /// its midpoint, radius, offset from the system clock, version and
        /// round trip. Several servers are asked in a chain (each nonce
        /// derived from the reply before, RFC 10049 §8.2); a server whose
        /// time contradicts the chain is reported with the proof.
        #[arg(long, conflicts_with_all = ["nts", "ntpv5"])]
        roughtime: bool,
        /// With --roughtime: a server's long-term public key (base64 or
        /// hex), once per server, in order.
        #[arg(long, value_name = "KEY", requires = "roughtime")]
        public_key: Vec<String>,
        /// With --roughtime: the version to ask in: rfc (RFC 10049),
        /// draft-14 (roughenough 1.3) or google (roughenough 1.1).
        #[arg(long = "rt-version", value_name = "VERSION", default_value = "rfc")]
        rt_version: String,
        /// The servers to ask.
        #[arg(
            required = true,
            help = "Servers: HOST, HOST:PORT, an IPv6 address or [IPV6]:PORT"
        )]
        servers: Vec<String>,
    },
    /// Roughtime tools.
    #[command(subcommand)]
    Roughtime(RoughtimeCommand),
    /// Show what a running daemon is doing: port states, parent and
    /// grandmaster, offset, path delay, servo and clock.
    Status {
        /// Print the daemon's JSON status.
        #[arg(long)]
        json: bool,
        /// The daemon's control socket.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Show every source of the daemon's selection (PTP ports, NTP, CSPTP,
    /// reference clocks; Roughtime's start-up check), like `chronyc sources
    /// -v`: kind, selection state (with why when not selected),
    /// reachability, stratum, poll, offset, delay and jitter.
    #[command(
        after_help = "Example:\n  tempora sources\n  tempora sources --json --socket /run/tempora/status.sock"
    )]
    Sources {
        /// Print JSON (an array, one object per source).
        #[arg(long)]
        json: bool,
        /// The daemon's control or status socket.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Show how the clock follows the selected source, like `chronyc
    /// tracking`: reference, stratum, reference time, offset, frequency,
    /// residual frequency, skew, root delay and dispersion, update
    /// interval, leap status, estimated error.
    #[command(after_help = "Example:\n  tempora tracking\n  tempora tracking --json")]
    Tracking {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The daemon's control or status socket.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Show the PTP ports: state, parent, grandmaster, steps removed and
    /// message counters.
    #[command(after_help = "Example:\n  tempora ports\n  tempora ports --json")]
    Ports {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The daemon's control or status socket.
        #[arg(long, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
    },
    /// Control a running daemon through its control socket (its owner and
    /// `socket-group` only; the status socket refuses): burst, makestep,
    /// add or remove an NTP source, offline and online, servo reset,
    /// priority1. See docs/control.md.
    #[command(
        after_help = "Examples:\n  tempora ctl burst\n  tempora ctl add-source 192.0.2.1 --prefer\n  tempora ctl set priority1 100"
    )]
    Ctl {
        /// Print the daemon's JSON reply.
        #[arg(long, global = true)]
        json: bool,
        /// The daemon's control socket.
        #[arg(long, global = true, default_value = DEFAULT_SOCKET)]
        socket: PathBuf,
        /// What to do.
        #[command(subcommand)]
        command: CtlCommand,
    },
    /// Watch a simulated PTP network (grandmaster, boundary clock, slaves)
    /// converge, live in the terminal. No root, no network.
    Demo {
        /// Simulated seconds.
        #[arg(long, default_value_t = 600)]
        seconds: u32,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 20.0)]
        speed: f64,
        /// Seed of every random draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// The subcommands of `tempora ctl`.
#[derive(Debug, Subcommand)]
pub enum CtlCommand {
    /// Poll NTP sources now, eight requests 2 s apart (chronyc `burst`).
    #[command(after_help = "Example:\n  tempora ctl burst\n  tempora ctl burst 192.0.2.1")]
    Burst {
        /// The source (as `tempora sources` names it, its address or IP);
        /// every NTP source without it.
        source: Option<String>,
    },
    /// Step the clock to the selected source now (chronyc `makestep`).
    #[command(after_help = "Example:\n  tempora ctl makestep")]
    Makestep,
    /// Add an NTP server as a source until the daemon stops (it is not
    /// written to the configuration file).
    #[command(
        after_help = "Example:\n  tempora ctl add-source 192.0.2.1:123 --poll 4 --prefer\n  tempora ctl add-source time.example.com --nts"
    )]
    AddSource {
        /// `HOST[:PORT]`, an IP address or `[IPV6]:PORT` (with --nts, the
        /// NTS-KE server).
        address: String,
        /// Use NTS (RFC 8915).
        #[arg(long)]
        nts: bool,
        /// Poll every 2^N s (minpoll and maxpoll both N).
        #[arg(long, value_name = "N", conflicts_with_all = ["minpoll", "maxpoll"])]
        poll: Option<i8>,
        /// The shortest poll interval, log2 s.
        #[arg(long, value_name = "N")]
        minpoll: Option<i8>,
        /// The longest poll interval, log2 s.
        #[arg(long, value_name = "N")]
        maxpoll: Option<i8>,
        /// Prefer it in the selection.
        #[arg(long)]
        prefer: bool,
        /// Never select it (monitor only).
        #[arg(long)]
        noselect: bool,
        /// Do not send the first requests 2 s apart.
        #[arg(long)]
        no_iburst: bool,
    },
    /// Remove an NTP source (configured or added).
    #[command(after_help = "Example:\n  tempora ctl remove-source 192.0.2.1")]
    RemoveSource {
        /// The source (as `tempora sources` names it, its address or IP).
        source: String,
    },
    /// Stop polling NTP sources (chronyc `offline`).
    #[command(after_help = "Example:\n  tempora ctl offline\n  tempora ctl offline 192.0.2.1")]
    Offline {
        /// The source; every NTP source without it.
        source: Option<String>,
    },
    /// Poll NTP sources again (chronyc `online`).
    #[command(after_help = "Example:\n  tempora ctl online")]
    Online {
        /// The source; every NTP source without it.
        source: Option<String>,
    },
    /// The servo.
    #[command(subcommand, after_help = "Example:\n  tempora ctl servo reset")]
    Servo(ServoCommand),
    /// Set a PTP data set member.
    #[command(subcommand, after_help = "Example:\n  tempora ctl set priority1 100")]
    Set(SetCommand),
}

/// `tempora ctl servo`.
#[derive(Debug, Subcommand)]
pub enum ServoCommand {
    /// The servo forgets everything but its frequency estimate.
    #[command(after_help = "Example:\n  tempora ctl servo reset")]
    Reset,
}

/// `tempora ctl set`.
#[derive(Debug, Subcommand)]
pub enum SetCommand {
    /// The clock's priority1 (IEEE 1588-2019 §8.2.1.4.1; lower wins the
    /// BMCA), as pmc's SET PRIORITY1.
    #[command(after_help = "Example:\n  tempora ctl set priority1 100")]
    Priority1 {
        /// 0 to 255.
        value: u8,
    },
}

/// The subcommands of `tempora roughtime`.
#[derive(Debug, Subcommand)]
pub enum RoughtimeCommand {
    /// Make a Roughtime server's long-term key: writes FILE (mode 0600,
    /// never over an existing file) for `[roughtime-server] key-file` and
    /// prints the public key clients need (base64 and hex).
    Keygen {
        /// The key file to create.
        #[arg(long = "out", value_name = "FILE")]
        out: PathBuf,
    },
}

/// The subcommands of `tempora config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load a configuration file and check that this machine has what the
    /// daemon will need (the daemon's own start-up checks): exit 0 if so
    /// (missing interfaces are warnings), 2 with FILE:LINE:COL or FILE and
    /// the problem if not, as the daemon would.
    Check {
        /// Check the file only, not this machine (for a configuration
        /// written for another machine).
        #[arg(long)]
        syntax_only: bool,
        /// The TOML file.
        file: PathBuf,
    },
    /// Convert a linuxptp (ptp4l) configuration to Tempora's TOML, naming
    /// every option that cannot be carried over.
    FromPtp4l {
        /// The ptp4l configuration file.
        file: PathBuf,
        /// Interfaces given to ptp4l with -i.
        #[arg(short = 'i', long = "interface")]
        interfaces: Vec<String>,
    },
    /// Convert a chrony configuration (chrony.conf) to Tempora's TOML: the
    /// TOML on stdout (or --output), on stderr one line per directive not
    /// carried over (FILE:LINE and why). Exit 0 when converted, 2 when the
    /// file cannot be read or has a line chronyd would refuse.
    FromChrony {
        /// The chrony configuration file.
        file: PathBuf,
        /// Write the TOML here instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}
