//! The command line of `tempora`: its subcommands and options (clap).
//!
//! Kept apart from `main.rs` and free of the rest of the crate, so that the
//! man pages are generated from this very definition (`cargo xtask man`,
//! which includes this file).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The daemon's default control socket (`[observability] socket`'s default).
pub const DEFAULT_SOCKET: &str = "/run/tempora/tempora.sock";

// The about line is the doc comment, not the package's description: xtask,
// which includes this file to write the man pages, has another one.
/// Tempora: PTP and NTP in one memory-safe daemon and CLI.
#[derive(Debug, Parser)]
#[command(name = "tempora", version, after_help = examples::TEMPORA)]
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
    #[command(after_help = examples::INSPECT)]
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
    #[command(after_help = examples::SIM)]
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
    #[command(after_help = examples::DAEMON)]
    Daemon {
        /// The configuration file (TOML; see tempora.toml(5), or
        /// docs/config-reference.md in the sources).
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// Check a configuration file or convert a linuxptp or chrony one.
    #[command(subcommand, after_help = examples::CONFIG)]
    Config(ConfigCommand),
    /// Ask NTP servers for the time once each, like ntpdig: offset, delay,
    /// stratum, leap, reference id, precision, root delay and dispersion.
    #[command(after_help = examples::QUERY)]
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
        /// announces. With --nts, key establishment asks for NTPv5 (next
        /// protocol 0x8001) and fails if the server does not agree.
        #[arg(long)]
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
    #[command(subcommand, after_help = examples::ROUGHTIME)]
    Roughtime(RoughtimeCommand),
    /// Show what a running daemon is doing: port states, parent and
    /// grandmaster, offset, path delay, servo and clock.
    #[command(after_help = examples::STATUS)]
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
    #[command(after_help = examples::SOURCES)]
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
    #[command(after_help = examples::TRACKING)]
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
    #[command(after_help = examples::PORTS)]
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
    #[command(after_help = examples::CTL)]
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
    #[command(after_help = examples::DEMO)]
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
    /// Poll NTP sources now, eight requests 2 s apart (chronyc `burst`),
    /// and CSPTP sources now, one poll's burst.
    #[command(after_help = examples::CTL_BURST)]
    Burst {
        /// The source (as `tempora sources` names it, its address or IP);
        /// every NTP and CSPTP source without it.
        source: Option<String>,
    },
    /// Step the clock to the selected source now (chronyc `makestep`).
    #[command(after_help = examples::CTL_MAKESTEP)]
    Makestep,
    /// Add an NTP server as a source until the daemon stops (it is not
    /// written to the configuration file).
    #[command(after_help = examples::CTL_ADD_SOURCE)]
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
    #[command(after_help = examples::CTL_REMOVE_SOURCE)]
    RemoveSource {
        /// The source (as `tempora sources` names it, its address or IP).
        source: String,
    },
    /// Stop polling NTP and CSPTP sources (chronyc `offline`).
    #[command(after_help = examples::CTL_OFFLINE)]
    Offline {
        /// The source; every NTP and CSPTP source without it.
        source: Option<String>,
    },
    /// Poll NTP and CSPTP sources again (chronyc `online`).
    #[command(after_help = examples::CTL_ONLINE)]
    Online {
        /// The source; every NTP and CSPTP source without it.
        source: Option<String>,
    },
    /// The servo.
    #[command(subcommand, after_help = examples::CTL_SERVO)]
    Servo(ServoCommand),
    /// Set a PTP data set member.
    #[command(subcommand, after_help = examples::CTL_SET)]
    Set(SetCommand),
}

/// `tempora ctl servo`.
#[derive(Debug, Subcommand)]
pub enum ServoCommand {
    /// The servo forgets everything but its frequency estimate.
    #[command(after_help = examples::CTL_SERVO)]
    Reset,
}

/// `tempora ctl set`.
#[derive(Debug, Subcommand)]
pub enum SetCommand {
    /// The clock's priority1 (IEEE 1588-2019 §8.2.1.4.1; lower wins the
    /// BMCA), as pmc's SET PRIORITY1.
    #[command(after_help = examples::CTL_SET)]
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
    #[command(after_help = examples::ROUGHTIME_KEYGEN)]
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
    #[command(after_help = examples::CONFIG_CHECK)]
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
    #[command(after_help = examples::CONFIG_FROM_PTP4L)]
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
    #[command(after_help = examples::CONFIG_FROM_CHRONY)]
    FromChrony {
        /// The chrony configuration file.
        file: PathBuf,
        /// Write the TOML here instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// The "Examples:" section of each command's help (clap's `after_help`),
/// which the man pages render as EXAMPLES. In each, a line starting with
/// `#` says what the `tempora` line after it does; every `tempora` line
/// must parse as a command line (up to a `|` or `>`), which xtask's tests
/// check, as they check that every command has such a section.
pub mod examples {
    /// `tempora`.
    pub const TEMPORA: &str = "\
Examples:
  # A simulated PTP network converging in the terminal (no root, no network)
  tempora demo
  # Ask an NTP server for the time once
  tempora query pool.ntp.org
  # What the running daemon is doing
  tempora status";

    /// `tempora inspect`.
    pub const INSPECT: &str = "\
Examples:
  # One line per PTP or NTP message, each checked to re-encode byte for byte
  tempora inspect capture.pcap
  # One JSON object per message
  tempora inspect --json capture.pcapng
  # Check the AUTHENTICATION TLVs against linuxptp's keys
  tempora inspect --sa-file /etc/linuxptp/sa.cfg capture.pcap";

    /// `tempora sim`.
    pub const SIM: &str = "\
Examples:
  # The Kalman servo against the PI servo on a congested network
  tempora sim scenarios/congested.toml
  # The PI servo alone, another seed, as JSON
  tempora sim --servo pi --seed 7 --json scenarios/lan-software.toml";

    /// `tempora daemon`.
    pub const DAEMON: &str = "\
Examples:
  # The packaged configuration, in the foreground (as root)
  tempora daemon -c /etc/tempora/tempora.toml
  # A virtual clock, which never touches the system clock
  tempora daemon -c configs/virtual.toml";

    /// `tempora config`.
    pub const CONFIG: &str = "\
Examples:
  # Check a configuration and this machine before starting the daemon
  tempora config check /etc/tempora/tempora.toml
  # Convert a ptp4l configuration for interface eth0
  tempora config from-ptp4l /etc/linuxptp/ptp4l.conf -i eth0 > tempora.toml
  # Convert a chrony configuration
  tempora config from-chrony /etc/chrony/chrony.conf -o tempora.toml";

    /// `tempora config check`.
    pub const CONFIG_CHECK: &str = "\
Examples:
  # The file and what the daemon will need on this machine
  tempora config check /etc/tempora/tempora.toml
  # The file alone (written for another machine)
  tempora config check --syntax-only slave.toml";

    /// `tempora config from-ptp4l`.
    pub const CONFIG_FROM_PTP4L: &str = "\
Examples:
  # ptp4l -f /etc/linuxptp/ptp4l.conf -i eth0 -i eth1, as Tempora's TOML
  tempora config from-ptp4l /etc/linuxptp/ptp4l.conf -i eth0 -i eth1 > tempora.toml";

    /// `tempora query`.
    pub const QUERY: &str = "\
Examples:
  # Offset and delay to each server of a pool name
  tempora query pool.ntp.org
  # Two servers, one on another port, as JSON
  tempora query --json 192.0.2.1 [2001:db8::1]:1123
  # With NTS: key establishment on port 4460, then authenticated NTP
  tempora query --nts time.cloudflare.com
  # NTPv5 (draft -09, as ntpd-rs 2.0 speaks it), asking for TAI
  tempora query --ntpv5 --draft 9 --timescale tai 192.0.2.1
  # NTPv5 over NTS, with a private CA
  tempora query --ntpv5 --nts --ca-file ca.pem ntp.example.net
  # Roughtime, the reply verified with the server's public key (base64 or hex)
  tempora query --roughtime --public-key KEY roughtime.example.net";

    /// `tempora roughtime`.
    pub const ROUGHTIME: &str = "\
Examples:
  # A long-term key for [roughtime-server] key-file
  tempora roughtime keygen --out /etc/tempora/roughtime.key";

    /// `tempora roughtime keygen`.
    pub const ROUGHTIME_KEYGEN: &str = "\
Examples:
  # Writes the key (mode 0600) and prints the public key for clients
  tempora roughtime keygen --out /etc/tempora/roughtime.key";

    /// `tempora status`.
    pub const STATUS: &str = "\
Examples:
  # Ports, parent, offset, servo and clock of the running daemon
  tempora status
  # The same as JSON, from a daemon with another control socket
  tempora status --json --socket /tmp/tempora.sock";

    /// `tempora demo`.
    pub const DEMO: &str = "\
Examples:
  # Ten simulated minutes at twenty times real speed
  tempora demo
  # Two simulated minutes, as fast as the machine goes
  tempora demo --seconds 120 --speed 100000";

    /// `tempora config from-chrony`.
    pub const CONFIG_FROM_CHRONY: &str = "\
Examples:
  # chrony.conf as Tempora's TOML; what is not carried over on stderr
  tempora config from-chrony /etc/chrony/chrony.conf > tempora.toml
  # The same, written to a file
  tempora config from-chrony /etc/chrony/chrony.conf -o /etc/tempora/tempora.toml";

    /// `tempora sources`.
    pub const SOURCES: &str = "\
Examples:
  # Every source of the selection, like chronyc sources -v
  tempora sources
  # As JSON, through the read-only status socket
  tempora sources --json --socket /run/tempora/status.sock";

    /// `tempora tracking`.
    pub const TRACKING: &str = "\
Examples:
  # The system peer, offset, frequency and error, like chronyc tracking
  tempora tracking
  # As JSON
  tempora tracking --json";

    /// `tempora ports`.
    pub const PORTS: &str = "\
Examples:
  # State, parent, grandmaster and counters of each PTP port
  tempora ports
  # As JSON
  tempora ports --json";

    /// `tempora ctl`.
    pub const CTL: &str = "\
Examples:
  # Poll every NTP source now
  tempora ctl burst
  # Add a preferred NTP server until the daemon stops
  tempora ctl add-source 192.0.2.1 --prefer
  # Announce priority1 100
  tempora ctl set priority1 100";

    /// `tempora ctl burst`.
    pub const CTL_BURST: &str = "\
Examples:
  # Every NTP source
  tempora ctl burst
  # One source
  tempora ctl burst 192.0.2.1";

    /// `tempora ctl makestep`.
    pub const CTL_MAKESTEP: &str = "\
Examples:
  # Step the clock to the selected source's offset
  tempora ctl makestep";

    /// `tempora ctl add-source`.
    pub const CTL_ADD_SOURCE: &str = "\
Examples:
  # A server polled every 16 s, preferred
  tempora ctl add-source 192.0.2.1:123 --poll 4 --prefer
  # An NTS server (key establishment on port 4460)
  tempora ctl add-source time.example.com --nts";

    /// `tempora ctl remove-source`.
    pub const CTL_REMOVE_SOURCE: &str = "\
Examples:
  # Stop using a source
  tempora ctl remove-source 192.0.2.1";

    /// `tempora ctl offline`.
    pub const CTL_OFFLINE: &str = "\
Examples:
  # Stop polling every NTP source
  tempora ctl offline
  # One source
  tempora ctl offline 192.0.2.1";

    /// `tempora ctl online`.
    pub const CTL_ONLINE: &str = "\
Examples:
  # Poll every NTP source again
  tempora ctl online";

    /// `tempora ctl servo`.
    pub const CTL_SERVO: &str = "\
Examples:
  # Start the servo over from the next measurement
  tempora ctl servo reset";

    /// `tempora ctl set`.
    pub const CTL_SET: &str = "\
Examples:
  # Announce priority1 100 from now on
  tempora ctl set priority1 100";
}
