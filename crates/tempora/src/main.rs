//! `tempora`: the one command-line entry point of Tempora.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

mod cli;
mod config;
mod ctl;
mod daemon_status;
mod demo;
mod ports;
mod query;
mod query_roughtime;
mod query_v5;
mod sim;
mod sources;
mod status;
mod status_ntp;
mod status_roughtime;
mod status_served;
mod tracking;
use cli::{Cli, Command, ConfigCommand, RoughtimeCommand};
use tempora_inspect::{InspectError, InspectOptions, Summary, inspect_file_with};

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
    // The same checks as `tempora config check`, with the same exit status.
    match tempora_daemon::preflight::check(&config) {
        Ok(warnings) => {
            for w in warnings {
                tracing::warn!("{w}");
            }
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
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
        Command::Sources { json, socket } => sources::sources(&socket, json),
        Command::Tracking { json, socket } => tracking::tracking(&socket, json),
        Command::Ports { json, socket } => ports::ports(&socket, json),
        Command::Ctl {
            json,
            socket,
            command,
        } => ctl::ctl(&socket, json, command),
        Command::Query {
            json,
            timeout,
            nts,
            ca_file,
            ntpv5,
            draft,
            timescale,
            roughtime,
            public_key,
            rt_version,
            servers,
        } => {
            if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
                eprintln!("tempora query: --timeout must be between 0 and 3600 seconds");
                return ExitCode::from(2);
            }
            let timeout = std::time::Duration::from_secs_f64(timeout);
            if roughtime {
                return query_roughtime::query(&servers, &public_key, &rt_version, json, timeout);
            }
            let nts = nts.then_some(tempora_nts::client::KeOptions {
                ca_file,
                system_roots: true,
                timeout,
            });
            if ntpv5 {
                let version = (draft, timescale.as_str());
                return query_v5::query_v5(&servers, json, timeout, version, nts.as_ref());
            }
            query::query(&servers, json, timeout, nts.as_ref())
        }
        Command::Daemon { config } => daemon(&config),
        Command::Roughtime(RoughtimeCommand::Keygen { out }) => query_roughtime::keygen(&out),
        Command::Config(ConfigCommand::Check { syntax_only, file }) => {
            config::check(&file, syntax_only)
        }
        Command::Config(ConfigCommand::FromPtp4l { file, interfaces }) => {
            config::from_ptp4l(&file, &interfaces)
        }
        Command::Config(ConfigCommand::FromChrony { file, output }) => {
            config::from_chrony(&file, output.as_deref())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_consistent_and_names_the_daemons_socket() {
        super::Cli::command().debug_assert();
        assert_eq!(super::cli::DEFAULT_SOCKET, tempora_config::DEFAULT_SOCKET);
    }
}
