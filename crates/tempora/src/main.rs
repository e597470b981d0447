//! `tempora`: the one command-line entry point of Tempora.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod config;
mod demo;
mod query;
mod sim;
mod status;
use tempora_inspect::{InspectError, InspectOptions, Summary, inspect_file_with};

/// PTP and NTP in one memory-safe daemon and CLI.
#[derive(Debug, Parser)]
#[command(name = "tempora", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
        /// The configuration file (TOML; see docs/config-reference.md).
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// Check a configuration file or convert a linuxptp one.
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
        /// The servers to ask.
        #[arg(
            required = true,
            help = "Servers: HOST, HOST:PORT, an IPv6 address or [IPV6]:PORT"
        )]
        servers: Vec<String>,
    },
    /// Show what a running daemon is doing: port states, parent and
    /// grandmaster, offset, path delay, servo and clock.
    Status {
        /// Print the daemon's JSON status.
        #[arg(long)]
        json: bool,
        /// The daemon's control socket.
        #[arg(long, default_value = status::DEFAULT_SOCKET)]
        socket: PathBuf,
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

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load a configuration file: exit 0 if it is valid, 2 with
    /// FILE:LINE:COL and the problem if not.
    Check {
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
}

fn inspect(json: bool, sa_file: Option<&std::path::Path>, files: &[PathBuf]) -> ExitCode {
    let sa = match sa_file.map(tempora_inspect::load_sa_file).transpose() {
        Ok(sa) => sa,
        Err(e) => {
            eprintln!("tempora inspect: {e}");
            return ExitCode::from(2);
        }
    };
    let options = InspectOptions { json, sa };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    let mut unreadable = false;
    for file in files {
        match inspect_file_with(file, &options, &mut summary, &mut out) {
            Ok(()) => {}
            Err(InspectError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("tempora inspect: {e}");
                unreadable = true;
            }
        }
    }
    if json {
        let auth = summary.auth.map_or(String::new(), |a| {
            format!(
                ",\"icv_verified\":{},\"icv_refused\":{}",
                a.verified, a.refused
            )
        });
        let _ = writeln!(
            out,
            "{{\"summary\":{{\"packets\":{},\"decoded\":{},\"identical\":{},\"failed\":{},\"skipped\":{},\"nts_ke\":{}{auth}}}}}",
            summary.packets,
            summary.decoded,
            summary.identical,
            summary.failed,
            summary.skipped,
            summary.nts_ke
        );
    }
    let _ = writeln!(out, "{summary}");
    let _ = out.flush();
    if unreadable {
        ExitCode::from(2)
    } else if summary.all_good() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn daemon(path: &std::path::Path) -> ExitCode {
    let config = match tempora_config::Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // RUST_LOG, when set, overrides the file's `log-level`.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(config.observability.log_level.as_str())
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    match tempora_daemon::run::run(&config, path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tempora daemon: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect {
            json,
            sa_file,
            files,
        } => inspect(json, sa_file.as_deref(), &files),
        Command::Sim {
            json,
            seed,
            servo,
            scenario,
        } => sim::sim(&scenario, json, seed, &servo),
        Command::Demo {
            seconds,
            speed,
            seed,
        } => demo::demo(seconds, speed, seed),
        Command::Status { json, socket } => status::status(&socket, json),
        Command::Query {
            json,
            timeout,
            nts,
            ca_file,
            servers,
        } => {
            if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
                eprintln!("tempora query: --timeout must be between 0 and 3600 seconds");
                return ExitCode::from(2);
            }
            let timeout = std::time::Duration::from_secs_f64(timeout);
            let nts = nts.then_some(tempora_nts::client::KeOptions {
                ca_file,
                system_roots: true,
                timeout,
            });
            query::query(&servers, json, timeout, nts.as_ref())
        }
        Command::Daemon { config } => daemon(&config),
        Command::Config(ConfigCommand::Check { file }) => config::check(&file),
        Command::Config(ConfigCommand::FromPtp4l { file, interfaces }) => {
            config::from_ptp4l(&file, &interfaces)
        }
    }
}
