//! `cargo xtask deb`: the Debian package (docs/packaging.md).

use std::path::Path;

use crate::{completions, default_dir, generate, man};

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

/// Empties `dir` (it may not exist).
fn fresh(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(())
}

/// The release binary, the gzipped man pages, the completions, then
/// cargo-deb with `extra` arguments.
pub fn build(extra: &[String]) -> std::io::Result<()> {
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
    let man_dir = default_dir("man");
    fresh(&man_dir)?;
    let pages: Vec<String> = generate(&man_dir, man::write_all)?
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut gzip = vec!["-9nf"];
    gzip.extend(pages.iter().map(String::as_str));
    run("gzip", &gzip)?;
    let completions_dir = default_dir("completions");
    fresh(&completions_dir)?;
    generate(&completions_dir, completions::write_all)?;
    let mut args = vec!["deb", "-p", "tempora", "--no-build", "--strip"];
    args.extend(extra.iter().map(String::as_str));
    run(&cargo, &args)
}
