//! `cargo xtask`: Tempora's build chores.
//!
//! `cargo xtask man [DIR]` writes the man pages of `tempora` and of each of
//! its subcommands (`tempora.1`, `tempora-daemon.1`, `tempora-config-check.1`,
//! …) into DIR, generated from the command line's own definition
//! (crates/tempora/src/cli.rs, included here as it is), so they never drift
//! from `tempora --help`. DIR is by default `release/man` in Cargo's target
//! directory (`$CARGO_TARGET_DIR`, else `target`), where the Debian package
//! takes them.
//!
//! `cargo xtask deb [ARGS]` builds the Debian package: the release binary,
//! the man pages (gzipped, as Debian wants them), then `cargo deb -p tempora
//! --no-build --strip ARGS` (cargo-deb: `cargo install --locked cargo-deb`).
//! It prints the package's path last.

use std::path::PathBuf;
use std::process::ExitCode;

#[allow(dead_code)]
#[path = "../../crates/tempora/src/cli.rs"]
mod cli;

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask man [DIR] | cargo xtask deb [CARGO-DEB ARGS]");
    ExitCode::from(2)
}

/// Runs `program args`, failing unless it succeeds.
fn run(program: &str, args: &[&str]) -> std::io::Result<()> {
    let status = std::process::Command::new(program).args(args).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{program} {}: {status}",
            args.join(" ")
        )))
    }
}

/// The release binary, the gzipped man pages, then cargo-deb.
fn deb(extra: &[String]) -> std::io::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    run(
        &cargo,
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "tempora",
            "--bin",
            "tempora",
        ],
    )?;
    let dir = default_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    man(&dir)?;
    let pages: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .collect();
    let mut gzip = vec!["-9nf"];
    gzip.extend(pages.iter().map(String::as_str));
    run("gzip", &gzip)?;
    let mut args = vec!["deb", "-p", "tempora", "--no-build", "--strip"];
    args.extend(extra.iter().map(String::as_str));
    run(&cargo, &args)
}

/// `release/man` in Cargo's target directory: `$CARGO_TARGET_DIR`, else
/// `target` in the workspace (this crate's parent).
fn default_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target.join("release").join("man")
}

/// `cmd` and its subcommands with the package's version, which the pages
/// show in their footers (the command line itself keeps `--version` on
/// `tempora` only).
fn versioned(cmd: clap::Command) -> clap::Command {
    cmd.version(env!("CARGO_PKG_VERSION"))
        .mut_subcommands(versioned)
}

/// Writes every page into `dir`, creating it; lists what it wrote.
fn man(dir: &std::path::Path) -> std::io::Result<()> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(versioned(cli::Cli::command()), dir)?;
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1"))
        .collect();
    names.sort();
    for n in names {
        println!("{}", dir.join(n).display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "deb") {
        return match deb(args.get(1..).unwrap_or_default()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cargo xtask deb: {e}");
                ExitCode::from(1)
            }
        };
    }
    let dir = match args.as_slice() {
        [cmd] if cmd == "man" => default_dir(),
        [cmd, dir] if cmd == "man" => PathBuf::from(dir),
        _ => return usage(),
    };
    match man(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo xtask man: {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}
