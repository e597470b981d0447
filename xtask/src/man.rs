//! The man pages: `tempora(1)` and one page per subcommand
//! (`tempora-daemon(1)`, `tempora-config-check(1)`, …), rendered by
//! clap_mangen from the command line's definition, section by section, with
//! an EXAMPLES section made from each command's examples (clap_mangen alone
//! would put them under EXTRA as running text) and SEE ALSO.

use std::path::{Path, PathBuf};

use clap_mangen::roff::{Roff, bold, roman};

use crate::{commands, examples};

/// Writes every page into `dir` (which must exist); returns their paths,
/// `tempora.1` first.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let root = commands::root();
    let mut paths = Vec::new();
    for cmd in commands::all(&root) {
        let man = clap_mangen::Man::new(cmd.clone())
            .source(format!("tempora {}", env!("CARGO_PKG_VERSION")))
            .manual("Tempora Manual");
        let path = dir.join(man.get_filename());
        std::fs::write(&path, page(&man, &cmd)?)?;
        paths.push(path);
    }
    Ok(paths)
}

/// One page: clap_mangen's sections, then EXAMPLES, SEE ALSO and VERSION.
fn page(man: &clap_mangen::Man, cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::default();
    examples_section(&mut roff, cmd)?;
    see_also(&mut roff, cmd);
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// EXAMPLES: each example's description, then its command line in bold,
/// indented and unfilled.
fn examples_section(roff: &mut Roff, cmd: &clap::Command) -> std::io::Result<()> {
    let list = examples::of(cmd).map_err(std::io::Error::other)?;
    if list.is_empty() {
        return Ok(());
    }
    roff.control("SH", ["EXAMPLES"]);
    for e in list {
        roff.control("PP", []);
        roff.text([roman(e.what)]);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        roff.text([bold(e.command)]);
        roff.control("fi", []);
        roff.control("RE", []);
    }
    Ok(())
}

/// SEE ALSO: `tempora(1)` on the subcommands' pages, and `tempora.toml(5)`.
fn see_also(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["SEE ALSO"]);
    let mut refs = Vec::new();
    if cmd.get_display_name().is_some_and(|n| n != "tempora") {
        refs.extend([bold("tempora"), roman("(1), ")]);
    }
    refs.extend([bold("tempora.toml"), roman("(5)")]);
    roff.text(refs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{TempDir, tool};

    /// What `program args page` prints on stderr, or `None` (with one line)
    /// when the program is missing and CI is not set.
    fn warnings(program: &str, args: &[&str], page: &Path) -> Option<String> {
        tool(program)?;
        let out = std::process::Command::new(program)
            .args(args)
            .arg(page)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {}: {out:?}",
            page.display()
        );
        Some(String::from_utf8_lossy(&out.stderr).into_owned())
    }

    #[test]
    fn a_page_per_command_with_examples_and_see_also() {
        let dir = TempDir::new("man");
        let paths = write_all(dir.path()).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let root = commands::root();
        for cmd in commands::all(&root) {
            let name = format!("{}.1", commands::words(&root, &cmd).join("-"));
            assert!(names.contains(&name), "{name} not in {names:?}");
        }
        assert_eq!(names[0], "tempora.1");
        let daemon = std::fs::read_to_string(dir.path().join("tempora-daemon.1")).unwrap();
        for want in [
            ".TH tempora-daemon 1",
            ".SH EXAMPLES",
            "tempora daemon \\-c /etc/tempora/tempora.toml",
            ".SH \"SEE ALSO\"",
            ".SH VERSION",
        ] {
            assert!(daemon.contains(want), "{want:?} not in:\n{daemon}");
        }
        let top = std::fs::read_to_string(dir.path().join("tempora.1")).unwrap();
        // tempora's own description, not xtask's.
        let name = top.split(".SH NAME\n").nth(1).unwrap();
        assert!(
            name.starts_with("tempora \\- Tempora: PTP and NTP in one memory\\-safe daemon"),
            "{name}"
        );
        for sub in [
            "tempora\\-daemon(1)",
            "tempora\\-config(1)",
            "tempora\\-query(1)",
        ] {
            assert!(top.contains(sub), "{sub} not in:\n{top}");
        }
    }

    /// Every generated page, and the hand-written tempora.toml(5), formats
    /// without a warning from groff (-ww: all warnings) and man.
    #[test]
    fn pages_format_without_warnings() {
        let dir = TempDir::new("man-warn");
        let mut pages = write_all(dir.path()).unwrap();
        pages.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/tempora.toml.5"));
        for page in &pages {
            let checks: [(&str, &[&str]); 2] = [
                ("groff", &["-man", "-Tutf8", "-ww", "-z"]),
                ("man", &["--warnings", "-l"]),
            ];
            for (program, args) in checks {
                if let Some(w) = warnings(program, args, page) {
                    assert!(w.is_empty(), "{program} {}:\n{w}", page.display());
                }
            }
        }
    }

    #[test]
    fn a_bad_page_is_warned_about() {
        let dir = TempDir::new("man-bad");
        let page = dir.path().join("bad.1");
        std::fs::write(&page, ".TH BAD 1\n.SH NAME\nbad\n.XX nothing\n").unwrap();
        if let Some(w) = warnings("groff", &["-man", "-Tutf8", "-ww", "-z"], &page) {
            assert!(w.contains("XX"), "{w}");
        }
    }
}
