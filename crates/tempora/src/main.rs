//! `tempora`: the one command-line entry point of Tempora.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tempora_inspect::{InspectError, Summary, inspect_file};

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
    /// round-trip, 2 if a capture could not be read.
    Inspect {
        /// Print one JSON object per message instead of a line of text.
        #[arg(long)]
        json: bool,
        /// Capture files (pcap or pcapng).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn inspect(json: bool, files: &[PathBuf]) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    let mut unreadable = false;
    for file in files {
        match inspect_file(file, json, &mut summary, &mut out) {
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
        let _ = writeln!(
            out,
            "{{\"summary\":{{\"packets\":{},\"decoded\":{},\"identical\":{},\"failed\":{},\"skipped\":{},\"nts_ke\":{}}}}}",
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { json, files } => inspect(json, &files),
    }
}
