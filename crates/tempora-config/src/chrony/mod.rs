//! Conversion of a chrony configuration file (`chrony.conf`) into Tempora's
//! TOML (issue 18; docs/migrating-from-chrony.md).
//!
//! chrony's file is one directive a line, `name arguments…`; a line whose
//! first non-blank character is `!`, `;`, `#` or `%` is a comment, and
//! directive and option names are case-insensitive (chrony's `conf.c`).
//! Every directive line ends up in one of two places:
//!
//! * converted: a key of the output, with a comment naming the line;
//! * a [`ChronyNote`]: `FILE:LINE`, the line, and why it was not carried
//!   over (or how it was changed on the way).
//!
//! A line chronyd itself would refuse (a `server` without a host, a bad
//! number, an unknown option of a known directive) is a [`ConfigError`]
//! naming `FILE:LINE`: the conversion stops, since the file does not say
//! what was meant. A directive this converter does not know is a note, as
//! the ptp4l converter does with unknown options.
//!
//! The output always loads with [`crate::Config::parse`]: a value Tempora
//! refuses is left out with a note (a whole `[[ntp-source]]` when the value
//! is its address or its authentication, never a source silently
//! downgraded to unauthenticated).

mod access;
mod args;
mod files;
mod other;
mod refclock;
mod serve;
mod source;
mod toml;

use std::fmt;

use crate::ConfigError;

use self::toml::{Origin, Table};

pub use self::files::{ChronyFiles, from_chrony_files};

/// The result of [`from_chrony`]: the Tempora TOML and one note per line
/// that was not carried over as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChronyConversion {
    /// The Tempora configuration (it loads with [`crate::Config::parse`]).
    pub toml: String,
    /// The lines not converted, or converted with a change, in line order.
    pub notes: Vec<ChronyNote>,
}

/// A line of the chrony file that was not converted as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChronyNote {
    /// The chrony file's name.
    pub file: String,
    /// The line number (from 1).
    pub line: usize,
    /// The line's text, trimmed.
    pub directive: String,
    /// Why it was not carried over, or what was changed.
    pub reason: String,
}

impl fmt::Display for ChronyNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}`: {}",
            self.file, self.line, self.directive, self.reason
        )
    }
}

/// Converts the chrony configuration `text` (named `file_name` in errors,
/// notes and comments) into Tempora TOML.
///
/// ```
/// let conv = tempora_config::from_chrony(
///     "pool pool.ntp.org iburst\nmakestep 1.0 3\nrtcsync\n",
///     "chrony.conf",
/// )
/// .unwrap();
/// assert!(conv.toml.contains("kind = \"pool\""));
/// assert_eq!(conv.notes.len(), 2); // makestep's limit, rtcsync
/// tempora_config::Config::parse(&conv.toml, "converted.toml").unwrap();
/// ```
///
/// `include`, `confdir` and `sourcedir` lines are noted, not followed:
/// [`from_chrony_files`] follows them.
pub fn from_chrony(text: &str, file_name: &str) -> Result<ChronyConversion, ConfigError> {
    from_chrony_files(text, file_name, &mut files::NoFiles)
}

/// One directive line: its file, number, text, lower-case name and
/// arguments.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    file: &'a str,
    number: usize,
    text: &'a str,
    name: String,
    args: Vec<&'a str>,
}

impl<'a> Line<'a> {
    /// The directive on line `number`, or `None` for a blank line or a
    /// comment.
    fn lex(file: &'a str, number: usize, raw: &'a str) -> Option<Line<'a>> {
        let text = raw.trim();
        if text.is_empty() || text.starts_with(['!', ';', '#', '%']) {
            return None;
        }
        let mut words = text.split_whitespace();
        let name = words.next()?.to_ascii_lowercase();
        Some(Line {
            file,
            number,
            text,
            name,
            args: words.collect(),
        })
    }

    fn origin(&self) -> Origin {
        Origin {
            file: self.file.to_owned(),
            line: self.number,
            text: self.text.to_owned(),
        }
    }
}

/// What the conversion has gathered so far.
pub(crate) struct State<'f> {
    /// The converted file's name.
    file: &'f str,
    /// Reads the files that `include`, `confdir` and `sourcedir` name.
    reader: &'f mut dyn ChronyFiles,
    /// How many files were read (the converted one first).
    files: usize,
    /// Each directive line read, `(file, line)`, with its place in the
    /// order chronyd reads them: the notes are sorted by it.
    order: std::collections::HashMap<(String, usize), usize>,
    /// How deep in `include`s the line being converted is.
    depth: usize,
    /// Whether the file being converted is a `sourcedir` one (only
    /// `server`, `pool`, `peer` and `refclock` lines).
    sources_only: bool,
    notes: Vec<ChronyNote>,
    sources: Vec<Table>,
    refclocks: refclock::Refclocks,
    clock: Table,
    client: Table,
    serve: serve::Serving,
    /// The `keyfile` line, if any.
    keyfile: Option<(Origin, String)>,
    /// Whether a `makestep` line was seen.
    makestep: bool,
}

impl<'f> State<'f> {
    fn new(file: &'f str, reader: &'f mut dyn ChronyFiles) -> Self {
        State {
            file,
            reader,
            files: 1,
            order: std::collections::HashMap::new(),
            depth: 0,
            sources_only: false,
            notes: Vec::new(),
            sources: Vec::new(),
            refclocks: refclock::Refclocks::default(),
            clock: Table::new("[clock]", None),
            client: Table::new("[ntp-client]", None),
            serve: serve::Serving::default(),
            keyfile: None,
            makestep: false,
        }
    }

    /// An error at `line`.
    fn error(&self, line: &Line, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: line.file.to_owned(),
            line: line.number,
            column: 1,
            message: message.into(),
        }
    }

    /// A note on `line`.
    fn note(&mut self, line: &Line, reason: impl Into<String>) {
        self.note_at(&line.origin(), reason);
    }

    /// A note on the line of `origin`.
    fn note_at(&mut self, origin: &Origin, reason: impl Into<String>) {
        self.notes.push(ChronyNote {
            file: origin.file.clone(),
            line: origin.line,
            directive: origin.text.clone(),
            reason: reason.into(),
        });
    }

    /// Converts or notes each directive of `text`, the file `name`.
    fn text(&mut self, text: &str, name: &str) -> Result<(), ConfigError> {
        for (i, raw) in text.lines().enumerate() {
            if let Some(line) = Line::lex(name, i + 1, raw) {
                let next = self.order.len();
                self.order.entry((name.to_owned(), i + 1)).or_insert(next);
                self.directive(&line)?;
            }
        }
        Ok(())
    }

    /// Converts or notes one directive.
    fn directive(&mut self, line: &Line) -> Result<(), ConfigError> {
        let source = matches!(line.name.as_str(), "server" | "pool" | "peer" | "refclock");
        if self.sources_only && !source {
            self.note(
                line,
                "not converted: chronyd ignores all but server, pool, peer and refclock lines \
                 in a `.sources` file",
            );
            return Ok(());
        }
        match line.name.as_str() {
            "include" | "confdir" | "sourcedir" => self.follow(line),
            "server" | "pool" | "peer" => self.source(line),
            "refclock" => self.refclock(line),
            "allow" | "deny" | "ratelimit" | "local" | "port" | "bindaddress" | "ntsservercert"
            | "ntsserverkey" | "ntsport" | "ntsrotate" | "ntsratelimit" | "ntsntpserver"
            | "ntsdumpdir" | "ntscachedir" => self.serving(line),
            _ => self.other(line),
        }
    }

    /// The tables of the output, in file order of their kind.
    fn assemble(&mut self) -> Vec<Table> {
        self.clock_defaults();
        self.keys();
        let mut tables = vec![std::mem::replace(
            &mut self.clock,
            Table::new("[clock]", None),
        )];
        tables.push(std::mem::replace(
            &mut self.client,
            Table::new("[ntp-client]", None),
        ));
        tables.append(&mut self.sources);
        tables.extend(self.refclocks.tables(&mut self.notes));
        tables.extend(self.serve_tables());
        tables
    }

    /// Notes in line order, then the text.
    fn finish(mut self, tables: Vec<Table>) -> Result<ChronyConversion, ConfigError> {
        if !tables.iter().any(Table::is_source_or_server) {
            return Err(ConfigError {
                file: self.file.to_owned(),
                line: 0,
                column: 0,
                message: "no `server`, `pool`, `refclock` or `allow` line to convert: \
                          Tempora needs a time source or an NTP server to run"
                    .into(),
            });
        }
        let toml = toml::finish(self.file, tables, &mut self.notes)?;
        let order = std::mem::take(&mut self.order);
        self.notes.sort_by_key(|n| {
            order
                .get(&(n.file.clone(), n.line))
                .copied()
                .unwrap_or(usize::MAX)
        });
        let toml = toml::with_header(self.file, &self.notes, &toml);
        Ok(ChronyConversion {
            toml,
            notes: self.notes,
        })
    }
}
