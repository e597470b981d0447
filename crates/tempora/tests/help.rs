//! `tempora --help` and `-h` of every command, as the binary prints them:
//! each has an "Examples:" section with at least one `tempora …` line. The
//! commands are found by reading the "Commands:" section of each help, so a
//! new subcommand is checked without being listed here. (xtask's tests check
//! that every example parses, and render the examples into the man pages.)

use std::process::Command;

/// What `tempora args` prints on stdout (it must succeed).
fn tempora(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "tempora {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of the section of `help` headed `heading` (up to a blank line).
fn section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

/// The subcommands a help lists, clap's `help` left out.
fn subcommands(help: &str) -> Vec<String> {
    section(help, "Commands:")
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command, as the words after `tempora` (the top level is empty).
fn all_commands() -> Vec<Vec<String>> {
    let mut todo = vec![Vec::new()];
    let mut all = Vec::new();
    while let Some(words) = todo.pop() {
        let mut args = words.clone();
        args.push("--help".into());
        for sub in subcommands(&tempora(&args)) {
            let mut child = words.clone();
            child.push(sub);
            todo.push(child);
        }
        all.push(words);
    }
    all
}

/// What is wrong with `help`'s examples, if anything.
fn examples_problem(help: &str) -> Option<String> {
    let lines = section(help, "Examples:");
    if lines.is_empty() {
        return Some("no \"Examples:\" section".into());
    }
    if !lines.iter().any(|l| l.trim_start().starts_with("tempora ")) {
        return Some(format!("no `tempora …` line in {lines:?}"));
    }
    None
}

#[test]
fn every_command_shows_examples_in_its_help() {
    let commands = all_commands();
    assert!(commands.len() >= 12, "{commands:?}");
    for want in [
        &["daemon"][..],
        &["config", "check"],
        &["roughtime", "keygen"],
    ] {
        assert!(commands.iter().any(|c| c == want), "{want:?} not found");
    }
    let mut problems = Vec::new();
    for words in &commands {
        for flag in ["--help", "-h"] {
            let mut args = words.clone();
            args.push(flag.into());
            if let Some(p) = examples_problem(&tempora(&args)) {
                problems.push(format!("tempora {} {flag}: {p}", words.join(" ")));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_help_without_examples_is_reported() {
    let help = "Usage: tempora x\n\nOptions:\n  -h, --help  Print help\n";
    assert!(examples_problem(help).is_some());
    let only_prose = "Usage: tempora x\n\nExamples:\n  # Something\n\n";
    assert!(examples_problem(only_prose).is_some());
    let good = "Usage: tempora x\n\nExamples:\n  # Something\n  tempora x\n";
    assert_eq!(examples_problem(good), None);
    let listed = "Commands:\n  check  Check\n  help   Print help\n\nOptions:\n";
    assert_eq!(subcommands(listed), ["check"]);
}
