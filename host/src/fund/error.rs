//! Errors from reading a fund file. Every one names the file, the field (a TOML path such as
//! `positions[3].adv`, or a CSV row and column) and the offending value, with a short reason, so
//! that a risk analyst can fix the file without reading the code.

use std::fmt;
use std::path::PathBuf;

/// Why a fund file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum FundError {
    /// The fund file itself could not be read.
    #[error("cannot read fund file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax error, unknown field, wrong type or missing field.
    #[error("{0}")]
    Toml(Box<TomlError>),
    /// The CSV file named by `positions_csv` could not be read.
    #[error(
        "{file}: positions_csv = \"{}\": cannot read {}: {source}",
        clip(csv, MAX_QUOTED_CHARS),
        clip(&resolved.display().to_string(), MAX_QUOTED_CHARS)
    )]
    PositionsCsv {
        file: String,
        /// The path as written in the fund file.
        csv: String,
        /// The path it resolved to (relative to the fund file's folder).
        resolved: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file parsed, but some values are wrong. Every problem found is listed.
    #[error("{}", Report { file, issues })]
    Invalid { file: String, issues: Vec<Issue> },
}

impl FundError {
    /// The problems found by validation (empty for the other kinds of error).
    pub fn issues(&self) -> &[Issue] {
        match self {
            FundError::Invalid { issues, .. } => issues,
            _ => &[],
        }
    }
}

/// One wrong value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The file the value is in: the fund file, or the positions CSV.
    pub file: String,
    /// Where in that file: a TOML path (`positions[3].adv (id "HY")`) or a CSV row and column.
    pub field: String,
    /// The value as read, formatted.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} = {}: {}",
            self.file,
            clip(&self.field, MAX_QUOTED_CHARS),
            clip(&self.value, MAX_QUOTED_CHARS),
            clip(&self.reason, MAX_MESSAGE_CHARS)
        )
    }
}

/// The most characters of the user's input an error quotes (a source line, a value, a field
/// path); longer input is cut with `…` around the error position, so that a 50 MB one-line file
/// gives a readable message. The line and column still say where the error is.
pub const MAX_QUOTED_CHARS: usize = 120;

/// The most characters of a parser's message an error repeats (it may quote a key or a value).
pub const MAX_MESSAGE_CHARS: usize = 400;

/// `text` cut to at most `max` characters (plus the `…` marks), keeping its start.
pub fn clip(text: &str, max: usize) -> String {
    clip_around(text, 0, max)
}

/// `text` cut to a window of at most `max` characters around the 0-based character index
/// `at`, with `…` where text was left out on either side. Text within `max` is returned as is.
pub fn clip_around(text: &str, at: usize, max: usize) -> String {
    let len = text.chars().count();
    if len <= max {
        return text.to_string();
    }
    let start = at.saturating_sub(max / 2).min(len - max);
    let end = start + max;
    let mut out = String::with_capacity(max * 4 + 6);
    if start > 0 {
        out.push('…');
    }
    out.extend(text.chars().skip(start).take(max));
    if end < len {
        out.push('…');
    }
    out
}

/// How many problems a report lists before summarising the rest.
const MAX_LISTED_ISSUES: usize = 50;

/// Displays the issues of one fund file: a lone issue in the fund file itself on one line;
/// otherwise a count naming the fund file, then one issue a line (issues in a positions CSV name
/// that file, so the fund file is named above them).
struct Report<'a> {
    file: &'a str,
    issues: &'a [Issue],
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.issues {
            [] => write!(f, "{}: invalid fund file", self.file),
            [one] if one.file == self.file => write!(f, "{one}"),
            many => {
                let plural = if many.len() == 1 { "" } else { "s" };
                write!(f, "{}: {} problem{plural}:", self.file, many.len())?;
                for issue in many.iter().take(MAX_LISTED_ISSUES) {
                    write!(f, "\n  {issue}")?;
                }
                if many.len() > MAX_LISTED_ISSUES {
                    write!(f, "\n  ... and {} more", many.len() - MAX_LISTED_ISSUES)?;
                }
                Ok(())
            }
        }
    }
}

/// A TOML error, located: the file, the line and column, the key path when it can be worked out,
/// the message from the parser and the offending source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TomlError {
    pub file: String,
    /// 1-based line and column of the error, when the parser gave a position.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Key path such as `positions[1].adv`, when the error sits on a `key = value` line or a
    /// table header.
    pub path: Option<String>,
    pub message: String,
    /// The source line the error is on.
    pub source_line: Option<String>,
}

impl TomlError {
    /// Locates a parser error in `text`.
    pub fn new(file: &str, text: &str, error: &toml::de::Error) -> Self {
        let mut located = TomlError {
            file: file.to_string(),
            line: None,
            column: None,
            path: None,
            message: clip(error.message().trim_end(), MAX_MESSAGE_CHARS),
            source_line: None,
        };
        if let Some(span) = error.span() {
            let start = span.start.min(text.len());
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            located.line = Some(text[..start].matches('\n').count() + 1);
            let column = text[line_start..start].chars().count();
            located.column = Some(column + 1);
            located.source_line = Some(clip_around(
                text[line_start..line_end].trim_end_matches('\r'),
                column,
                MAX_QUOTED_CHARS,
            ));
            located.path = key_path_at(text, start).map(|path| clip(&path, MAX_QUOTED_CHARS));
        }
        located
    }
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(path) = &self.path {
            write!(f, ": {path}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(line), Some(source)) = (self.line, &self.source_line) {
            write!(f, "\n  {line} | {source}")?;
        }
        Ok(())
    }
}

/// The key path of the `key = value` line or table header at byte `offset` of a TOML document,
/// such as `positions[2].adv` or `policy.gates`.
///
/// A light scan of table headers rather than a second parse: the parser's own error carries only
/// a byte span, and users fix files by key, not by offset. Lines that are neither a header nor a
/// `key =` line (the inside of a multi-line array, say) give just the enclosing table, or `None`
/// at the top level.
pub(crate) fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let mut table = String::new();
    let mut array_counts: Vec<(String, usize)> = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        let trimmed = line.trim();
        let header = if let Some(rest) = trimmed.strip_prefix("[[") {
            rest.split("]]")
                .next()
                .map(|name| (normalize_key(name), true))
        } else if let Some(rest) = trimmed.strip_prefix('[') {
            rest.split(']')
                .next()
                .map(|name| (normalize_key(name), false))
        } else {
            None
        };
        let is_header = header.is_some();
        if let Some((name, is_array)) = header {
            table = if is_array {
                let count = match array_counts.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, count)) => {
                        *count += 1;
                        *count
                    }
                    None => {
                        array_counts.push((name.clone(), 1));
                        1
                    }
                };
                // Sub-arrays restart when their parent array gets a new element.
                let prefix = format!("{name}.");
                array_counts.retain(|(n, _)| !n.starts_with(&prefix));
                format!("{name}[{}]", count - 1)
            } else {
                name
            };
        }
        let on_this_line = offset < line_end || line_end == text.len();
        if on_this_line {
            if is_header {
                return Some(table);
            }
            let key = trimmed
                .split_once('=')
                .map(|(key, _)| normalize_key(key))
                .filter(|key| {
                    !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                });
            return match (key, table.is_empty()) {
                (Some(key), true) => Some(key),
                (Some(key), false) => Some(format!("{table}.{key}")),
                (None, true) => None,
                (None, false) => Some(table),
            };
        }
        line_start = line_end;
    }
    None
}

/// A key as written (`"fund" . name`), without quotes and spaces around dots.
fn normalize_key(key: &str) -> String {
    key.split('.')
        .map(|part| part.trim().trim_matches('"').trim_matches('\''))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::{clip, clip_around, key_path_at};

    #[test]
    fn clipping_keeps_short_text_and_cuts_long_text_around_the_position() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdefghij", 4), "abcd…");
        assert_eq!(clip_around("abcdefghij", 5, 4), "…defg…");
        assert_eq!(clip_around("abcdefghij", 9, 4), "…ghij");
        assert_eq!(clip_around("ééééé", 2, 2), "…éé…");
    }

    #[test]
    fn key_paths_follow_tables_and_arrays() {
        let text = "name = 1\n[fund]\naum = 2\n[[positions]]\nid = \"a\"\n[[positions]]\nadv = 3\n\
                    [policy.gates]\ncap = 4\n";
        let at = |needle: &str| key_path_at(text, text.find(needle).unwrap()).unwrap();
        assert_eq!(at("name"), "name");
        assert_eq!(at("aum"), "fund.aum");
        assert_eq!(at("id ="), "positions[0].id");
        assert_eq!(at("adv"), "positions[1].adv");
        assert_eq!(at("[policy"), "policy.gates");
        assert_eq!(at("cap"), "policy.gates.cap");
    }
}
