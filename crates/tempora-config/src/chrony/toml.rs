//! The output's tables: keys with the chrony line each came from, written
//! as TOML and reduced, key by key, until [`Config::parse`] takes them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ChronyNote;
use crate::{Config, ConfigError};

/// The chrony line a key or table came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The file it is in (the converted file, or one it includes).
    pub file: String,
    /// Its number.
    pub line: usize,
    /// Its text.
    pub text: String,
}

/// One `key = value` (the value already TOML).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    key: String,
    value: String,
    origin: Option<Origin>,
    /// Refused by Tempora, the whole table goes (an address, a key).
    essential: bool,
    /// A comment for a key that no line gave.
    comment: Option<String>,
}

/// One table (`[clock]`, `[[ntp-source]]`, …).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    header: String,
    origin: Option<Origin>,
    entries: Vec<Entry>,
}

impl Table {
    /// An empty table `header` made for the line of `origin`.
    pub fn new(header: &str, origin: Option<Origin>) -> Table {
        Table {
            header: header.to_owned(),
            origin,
            entries: Vec::new(),
        }
    }

    /// Sets `key` (replacing an earlier value) to the TOML `value`.
    pub fn set(&mut self, key: &str, value: String, origin: &Origin) {
        self.put(key, value, origin, false);
    }

    /// Sets a key whose refusal takes the whole table with it.
    pub fn set_essential(&mut self, key: &str, value: String, origin: &Origin) {
        self.put(key, value, origin, true);
    }

    /// Sets `key` to the string `text`.
    pub fn set_str(&mut self, key: &str, text: &str, origin: &Origin) {
        self.set(key, quote(text), origin);
    }

    fn put(&mut self, key: &str, value: String, origin: &Origin, essential: bool) {
        self.entries.retain(|e| e.key != key);
        self.entries.push(Entry {
            key: key.to_owned(),
            value,
            origin: Some(origin.clone()),
            essential,
            comment: None,
        });
    }

    /// Sets `key` with a `comment` instead of a chrony line.
    pub fn set_comment(&mut self, key: &str, value: String, comment: &str) {
        self.entries.retain(|e| e.key != key);
        self.entries.push(Entry {
            key: key.to_owned(),
            value,
            origin: None,
            essential: false,
            comment: Some(comment.to_owned()),
        });
    }

    /// Whether `key` is set.
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }

    /// Renames the table (its header).
    pub fn rename(&mut self, header: &str) {
        header.clone_into(&mut self.header);
    }

    /// Whether the table is a time source or the NTP server (what makes
    /// the daemon run).
    pub fn is_source_or_server(&self) -> bool {
        self.header.starts_with("[[") || self.header == "[ntp-server]"
    }

    /// Moves `key` to the front of the table.
    pub fn move_first(&mut self, key: &str) {
        if let Some(i) = self.entries.iter().position(|e| e.key == key) {
            let e = self.entries.remove(i);
            self.entries.insert(0, e);
        }
    }

    /// The lines the keys came from.
    pub fn origins(&self) -> Vec<Origin> {
        self.entries
            .iter()
            .filter_map(|e| e.origin.clone())
            .collect()
    }
}

impl Default for Table {
    /// A table without a header yet (see [`Table::rename`]).
    fn default() -> Self {
        Table::new("", None)
    }
}

/// A TOML string.
pub(crate) fn quote(s: &str) -> String {
    ::toml::Value::String(s.to_owned()).to_string()
}

/// A TOML array of strings.
pub(crate) fn quote_all<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(quote).collect();
    format!("[{}]", items.join(", "))
}

/// Where each output line came from: a table header or one of its keys.
type LineMap = BTreeMap<usize, (usize, Option<usize>)>;

/// Renders `tables`; while [`Config::parse`] refuses the result, drops what
/// it points at (a key, or the table when the key is essential or the error
/// is on the header) with a note. An error that points nowhere it can
/// drop is returned (a bug of the converter, never of the input).
pub(crate) fn finish(
    file: &str,
    mut tables: Vec<Table>,
    notes: &mut Vec<ChronyNote>,
) -> Result<String, ConfigError> {
    loop {
        let (text, map) = render(file, &tables);
        let e = match Config::parse(&text, "converted") {
            Ok(_) => return Ok(text),
            Err(e) => e,
        };
        let Some(&(ti, ei)) = map.get(&e.line) else {
            if !tables.iter().any(Table::is_source_or_server) {
                return Err(ConfigError {
                    file: file.to_owned(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "Tempora refuses every time source and server of the file; the last: {}",
                        notes.last().map_or_else(String::new, ToString::to_string)
                    ),
                });
            }
            return Err(internal(file, &e, &text));
        };
        let message = e.message.clone();
        let whole = ei.is_none_or(|ei| tables[ti].entries[ei].essential);
        let origin = match ei {
            Some(ei) if !whole => tables[ti].entries.remove(ei).origin,
            Some(ei) => tables[ti].entries[ei]
                .origin
                .clone()
                .or_else(|| tables[ti].origin.clone()),
            None => tables[ti].origin.clone(),
        };
        if whole {
            tables.remove(ti);
        }
        let Some(origin) = origin else {
            return Err(internal(file, &e, &text));
        };
        let what = if whole {
            format!("not converted: Tempora refuses the section it makes: {message}")
        } else {
            format!("left out: Tempora refuses it: {message}")
        };
        notes.push(ChronyNote {
            file: origin.file,
            line: origin.line,
            directive: origin.text,
            reason: what,
        });
    }
}

fn internal(file: &str, e: &ConfigError, text: &str) -> ConfigError {
    ConfigError {
        file: file.to_owned(),
        line: 0,
        column: 0,
        message: format!(
            "the converted configuration does not load: {} (at line {} of:\n{text})",
            e.message, e.line
        ),
    }
}

/// The text of `tables` and where each line came from. Empty tables other
/// than the `[[…]]` ones are left out. A line of the converted file `main`
/// is named by its number, one of an included file by `FILE:LINE`.
fn render(main: &str, tables: &[Table]) -> (String, LineMap) {
    let mut out = String::new();
    let mut map = LineMap::new();
    for (ti, t) in tables.iter().enumerate() {
        if t.entries.is_empty() && !t.header.starts_with("[[") {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        map.insert(line_count(&out), (ti, None));
        let _ = write!(out, "{}", t.header);
        if let Some(o) = &t.origin {
            let _ = write!(out, "  # {}", where_from(main, o));
        }
        out.push('\n');
        for (ei, e) in t.entries.iter().enumerate() {
            map.insert(line_count(&out), (ti, Some(ei)));
            let _ = write!(out, "{} = {}", e.key, e.value);
            match (&e.origin, &e.comment) {
                (Some(o), _) if t.origin.as_ref() != Some(o) => {
                    let _ = write!(out, "  # {}", where_from(main, o));
                }
                (None, Some(c)) => {
                    let _ = write!(out, "  # {}", one_line(c));
                }
                _ => {}
            }
            out.push('\n');
        }
    }
    (out, map)
}

/// `line N: TEXT` for a line of `main`, `FILE:N: TEXT` for another file's.
fn where_from(main: &str, o: &Origin) -> String {
    if o.file == main {
        format!("line {}: {}", o.line, one_line(&o.text))
    } else {
        format!("{}:{}: {}", one_line(&o.file), o.line, one_line(&o.text))
    }
}

/// The number of the line that starts at the end of `text`.
fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// A chrony line as TOML comment text: control characters (which a
/// comment cannot hold) become U+FFFD.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The file with a header naming the source file and the notes.
pub(crate) fn with_header(file: &str, notes: &[ChronyNote], body: &str) -> String {
    let mut out = format!(
        "# Tempora configuration converted from the chrony configuration {}\n\
         # (tempora config from-chrony; docs/migrating-from-chrony.md).\n",
        one_line(file)
    );
    if !notes.is_empty() {
        out.push_str("#\n# Not carried over, or changed:\n");
        for n in notes {
            let _ = writeln!(out, "#   {}", one_line(&n.to_string()));
        }
    }
    if !body.is_empty() {
        out.push('\n');
    }
    out.push_str(body);
    out
}
