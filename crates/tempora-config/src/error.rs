//! [`ConfigError`]: what is wrong, and where, as `FILE:LINE:COL: message`.

use core::fmt;
use core::ops::Range;

/// An error in a configuration file, with the position of the offending
/// key or value.
///
/// Displays as `FILE:LINE:COL: message`, e.g.
/// `tempora.toml:12:1: unknown key `colour` in [clock]`. Lines and columns
/// count from 1; columns count characters. An error that has no position
/// (the file cannot be read) has `line` 0 and displays as `FILE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name, as given to [`Config::load`](crate::Config::load) or
    /// [`Config::parse`](crate::Config::parse).
    pub file: String,
    /// The line, from 1; 0 when the error has no position.
    pub line: usize,
    /// The column in characters, from 1; 0 when the error has no position.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// The source text and its name, to turn byte offsets into positions.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub text: &'a str,
    pub file: &'a str,
}

impl Source<'_> {
    /// 1-based line and character column of byte offset `at`.
    pub fn position(&self, at: usize) -> (usize, usize) {
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..at].chars().count() + 1;
        (line, column)
    }

    /// An error at byte offset `at`.
    pub fn error_at(&self, at: usize, message: impl Into<String>) -> ConfigError {
        let (line, column) = self.position(at);
        ConfigError {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The start of the line holding byte offset `at`.
    fn line_start(&self, at: usize) -> usize {
        let at = at.min(self.text.len());
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// The byte offset of the key on the line of `span` (the first
    /// non-blank character of the line), for errors about a key's value.
    pub fn key_start(&self, span: &Range<usize>) -> usize {
        let start = self.line_start(span.start);
        let line = &self.text[start..];
        start + (line.len() - line.trim_start().len())
    }

    /// The key written on the line of `span`, if the line reads `key = …`.
    pub fn key_on_line(&self, span: &Range<usize>) -> Option<&str> {
        let start = self.key_start(span);
        let line = self.text[start..].lines().next()?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        (!key.is_empty() && !key.starts_with('[')).then_some(key)
    }

    /// The table header (`[clock]`, `[[port]]`) in force at byte offset
    /// `at`, or `None` at the top level.
    pub fn table_at(&self, at: usize) -> Option<String> {
        let at = at.min(self.text.len());
        let mut table = None;
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            if offset > at {
                break;
            }
            let t = line.trim();
            if t.starts_with('[') {
                let header = t.split('#').next().unwrap_or(t).trim();
                let name = header.trim_start_matches('[').trim_end_matches(']').trim();
                table = Some(if header.starts_with("[[") {
                    format!("[[{name}]]")
                } else {
                    format!("[{name}]")
                });
            }
            offset += line.len();
        }
        table
    }
}
