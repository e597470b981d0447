//! The files a chrony configuration names: `include PATTERN` (the files
//! matching a glob pattern, in place), `confdir DIR…` (the `*.conf` files
//! of the directories, in place) and `sourcedir DIR…` (the `*.sources`
//! files, which hold only `server`, `pool`, `peer` and `refclock` lines),
//! as chrony.conf(5) describes them.
//!
//! The converter reads nothing itself: a [`ChronyFiles`] answers for the
//! file system, so the conversion stays a pure function of its inputs.

use super::{ChronyConversion, Line, State};
use crate::ConfigError;

/// How deep `include`s may nest: deeper is taken for a loop.
const MAX_DEPTH: usize = 10;

/// How many files one conversion reads at most.
const MAX_FILES: usize = 256;

/// chrony's limit on the directories of one `confdir` or `sourcedir`.
const MAX_DIRS: usize = 10;

/// The file system as the converter sees it, for `include`, `confdir`
/// and `sourcedir`.
pub trait ChronyFiles {
    /// The paths matching the glob `pattern` (an empty list when none do).
    fn glob(&mut self, pattern: &str) -> Result<Vec<String>, String>;
    /// The names (not paths) of the entries of the directory `dir`; an
    /// empty list when it does not exist, as chronyd reads it.
    fn list(&mut self, dir: &str) -> Result<Vec<String>, String>;
    /// The text of the file `path`.
    fn read(&mut self, path: &str) -> Result<String, String>;
}

/// No file system: `include`, `confdir` and `sourcedir` lines are noted.
pub(super) struct NoFiles;

/// The note on an `include`, `confdir` or `sourcedir` line when no file
/// system was given.
const WHY_NO_FILES: &str =
    "converted from text alone; `tempora config from-chrony FILE` follows it";

impl ChronyFiles for NoFiles {
    fn glob(&mut self, _: &str) -> Result<Vec<String>, String> {
        Err(WHY_NO_FILES.into())
    }
    fn list(&mut self, _: &str) -> Result<Vec<String>, String> {
        Err(WHY_NO_FILES.into())
    }
    fn read(&mut self, _: &str) -> Result<String, String> {
        Err(WHY_NO_FILES.into())
    }
}

/// Converts the chrony configuration `text` (named `file_name`), reading
/// the files its `include`, `confdir` and `sourcedir` lines name through
/// `files`. Their lines are converted as chronyd reads them; notes and
/// comments name them `FILE:LINE`. A file that cannot be read is a note on
/// the line that names it.
pub fn from_chrony_files(
    text: &str,
    file_name: &str,
    files: &mut dyn ChronyFiles,
) -> Result<ChronyConversion, ConfigError> {
    let mut state = State::new(file_name, files);
    state.text(text, file_name)?;
    let tables = state.assemble();
    state.finish(tables)
}

/// The files of `dirs` whose names end in `suffix`, one per name (the
/// first directory's), in the order of their names.
fn in_dirs(
    reader: &mut dyn ChronyFiles,
    dirs: &[&str],
    suffix: &str,
) -> Result<Vec<String>, String> {
    let mut found: Vec<(String, String)> = Vec::new();
    for dir in dirs {
        let mut names = reader.list(dir)?;
        names.retain(|n| n.len() > suffix.len() && n.ends_with(suffix));
        for name in names {
            if !found.iter().any(|(n, _)| *n == name) {
                let path = format!("{}/{name}", dir.trim_end_matches('/'));
                found.push((name, path));
            }
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

impl State<'_> {
    /// An `include`, `confdir` or `sourcedir` line: the files it names,
    /// converted in place.
    pub(super) fn follow(&mut self, line: &Line) -> Result<(), ConfigError> {
        let listed = match line.name.as_str() {
            "include" => match line.args.as_slice() {
                [pattern] => self.reader.glob(pattern).map(|mut v| {
                    v.sort();
                    v
                }),
                _ => return Err(self.error(line, "`include` takes one pattern")),
            },
            name => {
                if line.args.is_empty() || line.args.len() > MAX_DIRS {
                    return Err(self.error(line, format!("`{name}` takes 1 to 10 directories")));
                }
                let suffix = if name == "confdir" {
                    ".conf"
                } else {
                    ".sources"
                };
                in_dirs(self.reader, &line.args, suffix)
            }
        };
        let paths = match listed {
            Ok(p) => p,
            Err(why) => {
                self.note(line, format!("not followed: {why}"));
                return Ok(());
            }
        };
        if self.depth >= MAX_DEPTH {
            self.note(
                line,
                format!("not followed: included files nest deeper than {MAX_DEPTH} (a loop?)"),
            );
            return Ok(());
        }
        let sources = line.name == "sourcedir";
        let read = self.read_all(line, &paths, sources)?;
        if sources {
            let what = match read {
                0 => "no `.sources` file there now".to_owned(),
                n => {
                    format!("the sources of its {n} `.sources` file(s) are written into this file")
                }
            };
            self.note(
                line,
                format!(
                    "followed: {what}; Tempora does not read source directories at run time \
                     (chronyc's `reload sources`, DHCP hooks): list such sources here"
                ),
            );
        } else if paths.is_empty() {
            self.note(line, "no file to include: nothing converted");
        }
        Ok(())
    }

    /// Converts each file of `paths` in place (only source lines when
    /// `sources`); returns how many were read.
    fn read_all(
        &mut self,
        line: &Line,
        paths: &[String],
        sources: bool,
    ) -> Result<usize, ConfigError> {
        let mut read = 0;
        for path in paths {
            if self.files >= MAX_FILES {
                self.note(line, format!("not followed past {MAX_FILES} files: {path}"));
                break;
            }
            let text = match self.reader.read(path) {
                Ok(t) => t,
                Err(why) => {
                    self.note(line, format!("not followed: {path}: {why}"));
                    continue;
                }
            };
            self.files += 1;
            self.depth += 1;
            let was = std::mem::replace(&mut self.sources_only, sources);
            let done = self.text(&text, path);
            self.sources_only = was;
            self.depth -= 1;
            done?;
            read += 1;
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Files in memory; a directory is every path under it.
    #[derive(Default)]
    struct Mem(BTreeMap<String, String>);

    impl ChronyFiles for Mem {
        fn glob(&mut self, pattern: &str) -> Result<Vec<String>, String> {
            let (dir, tail) = pattern.rsplit_once('/').unwrap_or((".", pattern));
            let suffix = tail.trim_start_matches('*');
            Ok(self
                .list(dir)?
                .into_iter()
                .filter(|n| tail == n || (tail.starts_with('*') && n.ends_with(suffix)))
                .map(|n| format!("{dir}/{n}"))
                .collect())
        }
        fn list(&mut self, dir: &str) -> Result<Vec<String>, String> {
            if dir == "/secret" {
                return Err("Permission denied".into());
            }
            let prefix = format!("{}/", dir.trim_end_matches('/'));
            Ok(self
                .0
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|n| !n.contains('/'))
                .map(str::to_owned)
                .collect())
        }
        fn read(&mut self, path: &str) -> Result<String, String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| "No such file or directory".into())
        }
    }

    fn mem(files: &[(&str, &str)]) -> Mem {
        Mem(files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect())
    }

    #[test]
    fn debian_layout_confdir_and_sourcedir_are_followed() {
        let mut fs = mem(&[
            ("/etc/chrony/conf.d/10-serve.conf", "allow 192.168.0.0/16\n"),
            ("/etc/chrony/conf.d/README", "server ignored.example\n"),
            ("/usr/lib/chrony/conf.d/10-serve.conf", "allow 10.0.0.0/8\n"),
            ("/usr/lib/chrony/conf.d/20-step.conf", "makestep 1 3\n"),
            (
                "/etc/chrony/sources.d/local.sources",
                "server ntp1.example iburst\nrtcsync\n",
            ),
        ]);
        let conf = "pool 2.debian.pool.ntp.org iburst\n\
                    confdir /etc/chrony/conf.d /usr/lib/chrony/conf.d\n\
                    sourcedir /run/chrony-dhcp\nsourcedir /etc/chrony/sources.d\n";
        let c = from_chrony_files(conf, "/etc/chrony/chrony.conf", &mut fs).unwrap();
        // The first directory's 10-serve.conf hides the second's.
        assert!(c.toml.contains("192.168.0.0/16"), "{}", c.toml);
        assert!(!c.toml.contains("10.0.0.0/8"), "{}", c.toml);
        assert!(!c.toml.contains("ignored.example"), "{}", c.toml);
        assert!(c.toml.contains("step-threshold = \"1s\""), "{}", c.toml);
        assert!(
            c.toml
                .contains("# /etc/chrony/sources.d/local.sources:1: server ntp1.example iburst"),
            "{}",
            c.toml
        );
        let shown: Vec<String> = c.notes.iter().map(ToString::to_string).collect();
        // Not a source line in a .sources file; the sourcedir lines say
        // they were read once; the notes in the order chronyd reads.
        let rtc = shown
            .iter()
            .position(|n| n.starts_with("/etc/chrony/sources.d/local.sources:2: `rtcsync`"))
            .unwrap_or_else(|| panic!("{shown:#?}"));
        let dhcp = shown
            .iter()
            .position(|n| {
                n.contains(":3: `sourcedir /run/chrony-dhcp`: followed: no `.sources` file")
            })
            .unwrap_or_else(|| panic!("{shown:#?}"));
        let step = shown
            .iter()
            .position(|n| n.starts_with("/usr/lib/chrony/conf.d/20-step.conf:1: `makestep"))
            .unwrap_or_else(|| panic!("{shown:#?}"));
        assert_eq!((step, dhcp, rtc), (0, 1, 3), "{shown:#?}");
        crate::Config::parse(&c.toml, "converted").unwrap();
    }

    #[test]
    fn include_in_place_with_errors_named_by_their_file() {
        let mut fs = mem(&[
            ("/etc/c/a.conf", "server a.example\ninclude /etc/c/b.inc\n"),
            ("/etc/c/b.inc", "server b.example minpoll x\n"),
        ]);
        let e = from_chrony_files("include /etc/c/*.conf\n", "main.conf", &mut fs).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("/etc/c/b.inc", 1), "{e}");
    }

    #[test]
    fn loops_unreadable_and_missing_files_are_notes() {
        let mut fs = mem(&[("/l/self.conf", "server a.example\ninclude /l/self.conf\n")]);
        let conf = "include /l/self.conf\ninclude /l/none.conf\nconfdir /secret\n";
        let c = from_chrony_files(conf, "main.conf", &mut fs).unwrap();
        let shown: Vec<String> = c.notes.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|n| n.contains("nest deeper than 10")),
            "{shown:#?}"
        );
        assert!(
            shown
                .iter()
                .any(|n| n.starts_with("main.conf:2: `include /l/none.conf`: no file")),
            "{shown:#?}"
        );
        assert!(
            shown.iter().any(|n| n
                .starts_with("main.conf:3: `confdir /secret`: not followed: Permission denied")),
            "{shown:#?}"
        );
        assert!(c.toml.contains("a.example"), "{}", c.toml);
    }

    #[test]
    fn without_a_file_system_the_lines_are_noted() {
        let c = super::super::from_chrony("server a.example\nconfdir /etc/chrony/conf.d\n", "c")
            .unwrap();
        assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
        assert!(c.notes[0].reason.contains("not followed"), "{:?}", c.notes);
    }
}
