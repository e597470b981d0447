//! `tempora ctl`: sends a control request to a running daemon's control
//! socket and prints its reply (docs/control.md).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tempora_control::{AddSource, Command, Outcome};
use tempora_daemon::control::query_ctl;

use crate::cli::{CtlCommand, ServoCommand, SetCommand};

/// The request of a command line.
fn request(command: CtlCommand) -> Command {
    match command {
        CtlCommand::Burst { source } => Command::Burst { source },
        CtlCommand::Makestep => Command::Makestep,
        CtlCommand::AddSource {
            address,
            nts,
            poll,
            minpoll,
            maxpoll,
            prefer,
            noselect,
            no_iburst,
        } => Command::AddSource(AddSource {
            address,
            nts,
            minpoll: poll.or(minpoll),
            maxpoll: poll.or(maxpoll),
            prefer,
            noselect,
            no_iburst,
        }),
        CtlCommand::RemoveSource { source } => Command::RemoveSource { source },
        CtlCommand::Offline { source } => Command::Offline { source },
        CtlCommand::Online { source } => Command::Online { source },
        CtlCommand::Servo(ServoCommand::Reset) => Command::ServoReset,
        CtlCommand::Set(SetCommand::Priority1 { value }) => Command::SetPriority1 { value },
    }
}

/// Runs the command: exit 0 when done, 1 when the daemon did not answer
/// or did not do it (refused, malformed or failed, with why on stderr).
pub fn ctl(socket: &Path, json: bool, command: CtlCommand) -> ExitCode {
    let command = request(command);
    let reply = match query_ctl(socket, &command, Duration::from_secs(5)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tempora ctl: no answer from {}: {e}", socket.display());
            return ExitCode::from(1);
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&reply).unwrap_or_else(|e| e.to_string())
        );
    }
    match reply.outcome {
        Outcome::Ok => {
            if !json {
                println!("{}", reply.message);
            }
            ExitCode::SUCCESS
        }
        outcome => {
            if !json {
                let outcome = format!("{outcome:?}").to_lowercase();
                eprintln!(
                    "tempora ctl {}: {outcome}: {}",
                    command.name(),
                    reply.message
                );
            }
            ExitCode::from(1)
        }
    }
}
