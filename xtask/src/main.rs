//! `cargo xtask`: Tempora's build chores.
//!
//! `cargo xtask man [DIR]` writes the man pages of `tempora` and of each of
//! its subcommands (`tempora.1`, `tempora-daemon.1`, `tempora-config-check.1`,
//! …) into DIR, generated from the command line's own definition
//! (crates/tempora/src/cli.rs, included here as it is), so they never drift
//! from `tempora --help`; each has the command's examples. DIR is by
//! default `release/man` in Cargo's target directory (`$CARGO_TARGET_DIR`,
//! else `target`), where the Debian package takes them.
//!
//! `cargo xtask completions [DIR]` writes the bash, zsh and fish
//! completions (`tempora.bash`, `_tempora`, `tempora.fish`) the same way,
//! by default into `release/completions`.
//!
//! `cargo xtask deb [ARGS]` builds the Debian package: the release binary,
//! the man pages (gzipped, as Debian wants them) and completions, then
//! `cargo deb -p tempora --no-build --strip ARGS` (cargo-deb: `cargo install
//! --locked cargo-deb`). It prints the package's path last.
//!
//! The tests (`cargo test -p xtask`) generate both into a scratch directory
//! and check them: a page and a completion for every subcommand, the pages
//! free of groff and man warnings, bash and fish completing every
//! subcommand, zsh loading its script, and every command's examples
//! present and parsing as command lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[allow(dead_code)]
#[path = "../../crates/tempora/src/cli.rs"]
mod cli;
mod commands;
mod completions;
mod deb;
mod examples;
mod man;
#[cfg(test)]
mod test_support;

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask man [DIR] | cargo xtask completions [DIR] | cargo xtask deb [CARGO-DEB ARGS]"
    );
    ExitCode::from(2)
}

/// `release/NAME` in Cargo's target directory: `$CARGO_TARGET_DIR`, else
/// `target` in the workspace (this crate's parent).
fn default_dir(name: &str) -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target.join("release").join(name)
}

/// Creates `dir` and has `write` fill it; lists what it wrote.
fn generate(
    dir: &Path,
    write: fn(&Path) -> std::io::Result<Vec<PathBuf>>,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let paths = write(dir)?;
    for p in &paths {
        println!("{}", p.display());
    }
    Ok(paths)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (what, result) = match args.first().map(String::as_str) {
        Some("deb") => ("deb", deb::build(args.get(1..).unwrap_or_default())),
        Some(what @ ("man" | "completions")) if args.len() <= 2 => {
            let dir = args.get(1).map_or_else(|| default_dir(what), PathBuf::from);
            let write = if what == "man" {
                man::write_all
            } else {
                completions::write_all
            };
            (what, generate(&dir, write).map(drop))
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo xtask {what}: {e}");
            ExitCode::from(1)
        }
    }
}
