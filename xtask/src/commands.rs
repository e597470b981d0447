//! The command tree of `tempora`, as the man pages and completions are
//! generated from it.

use clap::CommandFactory;

use crate::cli;

/// `tempora`'s command, built (each subcommand knows its display name,
/// `tempora-config-check`), without clap's `help` subcommand, and with the
/// package's version on every subcommand, which the man pages show in their
/// VERSION sections and footers (the command line itself keeps `--version`
/// on `tempora` only).
pub fn root() -> clap::Command {
    let mut cmd = versioned(cli::Cli::command()).disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn versioned(cmd: clap::Command) -> clap::Command {
    cmd.version(env!("CARGO_PKG_VERSION"))
        .mut_subcommands(versioned)
}

/// `cmd` and every visible command below it, parents before children.
pub fn all(cmd: &clap::Command) -> Vec<clap::Command> {
    let mut out = vec![cmd.clone()];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend(all(sub));
    }
    out
}

/// The words that run `cmd` (its display name split at `-`, as clap joins
/// them: `tempora-config-check` is `tempora config check`). Subcommand names
/// with a `-` of their own (`from-ptp4l`) are kept whole by walking the tree.
#[cfg(test)]
pub fn words(root: &clap::Command, cmd: &clap::Command) -> Vec<String> {
    fn find(at: &clap::Command, target: &str, path: &mut Vec<String>) -> bool {
        if at.get_display_name().unwrap_or(at.get_name()) == target {
            return true;
        }
        for sub in at.get_subcommands() {
            path.push(sub.get_name().to_string());
            if find(sub, target, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let target = cmd.get_display_name().unwrap_or(cmd.get_name());
    let mut path = vec![root.get_name().to_string()];
    assert!(find(root, target, &mut path), "{target} is not in the tree");
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_has_every_command_once_with_its_words() {
        let root = root();
        let all = all(&root);
        let names: Vec<String> = all.iter().map(|c| words(&root, c).join(" ")).collect();
        for want in [
            "tempora",
            "tempora daemon",
            "tempora config",
            "tempora config check",
            "tempora config from-ptp4l",
            "tempora roughtime keygen",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
        }
        assert!(!names.iter().any(|n| n.ends_with(" help")), "{names:?}");
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
