//! The examples of a command: its `after_help` text (an `Examples:` line,
//! then pairs of a `# what it does` line and a `tempora …` line; see
//! `examples` in crates/tempora/src/cli.rs), read back for the man pages.

/// The heading the examples of every command's help start with.
pub const HEADING: &str = "Examples:";

/// One example: what it does and the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// What the command line does (the `#` line before it, without `# `).
    pub what: String,
    /// The command line, as a user types it.
    pub command: String,
}

/// A line of the examples text that is neither a `# ` comment nor a command.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed examples line {:?}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// The examples of `cmd`: none without an `after_help` that starts with
/// [`HEADING`]; an error for a command line without a comment before it,
/// or any other line.
pub fn of(cmd: &clap::Command) -> Result<Vec<Example>, Malformed> {
    let Some(text) = cmd.get_after_help().map(|t| t.to_string()) else {
        return Ok(Vec::new());
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADING) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut what: Option<String> = None;
    for line in lines {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix("# ") {
            what = Some(comment.to_string());
        } else if let (Some(w), true) = (what.take(), line.starts_with("tempora ")) {
            out.push(Example {
                what: w,
                command: line.to_string(),
            });
        } else {
            return Err(Malformed(line.to_string()));
        }
    }
    Ok(out)
}

/// The arguments of an example's command line for clap: the words up to a
/// pipe or a redirection (examples quote nothing).
#[cfg(test)]
pub fn argv(command: &str) -> Vec<&str> {
    command
        .split_whitespace()
        .take_while(|w| !w.starts_with(['|', '>', '<']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands;
    use clap::Parser;

    #[test]
    fn every_command_has_examples_and_each_parses() {
        let root = commands::root();
        let mut checked = 0;
        for cmd in commands::all(&root) {
            let words = commands::words(&root, &cmd);
            let examples = of(&cmd).unwrap_or_else(|e| panic!("{}: {e}", words.join(" ")));
            assert!(
                !examples.is_empty(),
                "`{}` has no examples: give it `after_help` in crates/tempora/src/cli.rs",
                words.join(" ")
            );
            for e in examples {
                let argv = argv(&e.command);
                assert!(
                    argv.starts_with(&words.iter().map(String::as_str).collect::<Vec<_>>()),
                    "an example of `{}` runs another command: {}",
                    words.join(" "),
                    e.command
                );
                if let Err(err) = crate::cli::Cli::try_parse_from(&argv) {
                    panic!("example `{}` does not parse:\n{err}", e.command);
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked} examples");
    }

    #[test]
    fn examples_are_read_in_pairs_and_oddities_refused() {
        let cmd = |text: &'static str| clap::Command::new("tempora").after_help(text);
        let two = of(&cmd(
            "Examples:\n  # One\n  tempora demo\n  # Two\n  tempora status | cat",
        ))
        .unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].what, "Two");
        assert_eq!(argv(&two[1].command), ["tempora", "status"]);
        assert!(of(&cmd("Examples:\n  tempora demo")).is_err());
        assert!(of(&cmd("Examples:\n  # One\n  ls")).is_err());
        assert_eq!(of(&cmd("Notes:\n  anything")), Ok(Vec::new()));
    }

    #[test]
    fn a_misspelt_example_fails_to_parse() {
        let argv = argv("tempora status --jsno");
        assert!(crate::cli::Cli::try_parse_from(argv).is_err());
    }
}
