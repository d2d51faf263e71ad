//! Positions from a CSV file (`positions_csv = "positions.csv"`), for portfolios of hundreds or
//! thousands of lines. The columns are the keys of `[[positions]]`, with the same units and
//! defaults; every error names the CSV file, the row and the column.
//!
//! Cells are parsed here by hand rather than through serde so that a bad cell is reported with its
//! column name and text, and an empty optional cell takes the same default as a missing TOML key.

use std::path::Path;

use super::error::Issue;
use super::spec::{self, PositionSpec, PriceRoute, Tier};

/// The columns a positions CSV may have, in the order `write_positions_csv` writes them.
pub const COLUMNS: [&str; 17] = [
    "id",
    "class",
    "label",
    "weight",
    "adv",
    "spread_bps",
    "vol_annual",
    "impact",
    "settlement_days",
    "redemption_window_days",
    "tier",
    "repo_eligible",
    "duration",
    "convexity",
    "price_route",
    "alpha",
    "illiquid",
];

/// Columns that must be present and non-empty in every row.
pub const REQUIRED: [&str; 7] = [
    "id",
    "class",
    "weight",
    "adv",
    "spread_bps",
    "vol_annual",
    "impact",
];

/// Positions read from a CSV, with the line each came from (for later validation messages).
#[derive(Clone, Debug, Default)]
pub struct CsvPositions {
    pub positions: Vec<PositionSpec>,
    /// 1-based line of each position's row in the file.
    pub lines: Vec<u64>,
}

/// Where a CSV cell is, as a field description for an [`Issue`].
pub fn cell(row: usize, line: u64, column: &str) -> String {
    format!("row {row} (line {line}), column `{column}`")
}

/// Parses a positions CSV. `display` names the file in messages.
pub fn parse(text: &str, display: &str) -> Result<CsvPositions, Vec<Issue>> {
    // Spreadsheets often save UTF-8 with a byte-order mark; it is not part of the first header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Comment lines are blanked here rather than skipped by the reader, whose positions leave out
    // the bytes of comments. A record's reported byte offset is where the previous record ended,
    // before any blank lines; skipping line breaks from there finds the record's own line.
    let text: String = text
        .split_inclusive('\n')
        .map(|line| {
            let is_comment = line.trim_start().starts_with('#');
            if is_comment {
                &line[line.trim_end_matches(['\r', '\n']).len()..]
            } else {
                line
            }
        })
        .collect();
    let line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut at = (byte as usize).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64
    };
    let issue = |field: String, value: String, reason: String| Issue {
        file: display.to_string(),
        field,
        value,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());

    let header_line = line_at(0);
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            return Err(vec![issue(
                format!("header (line {header_line})"),
                String::new(),
                e.to_string(),
            )])
        }
    };
    let mut issues = Vec::new();
    let mut index: Vec<Option<usize>> = vec![None; COLUMNS.len()];
    for (i, name) in headers.iter().enumerate() {
        match COLUMNS.iter().position(|c| *c == name) {
            Some(k) if index[k].is_some() => issues.push(issue(
                format!("header (line {header_line}), column {}", i + 1),
                format!("\"{name}\""),
                "duplicate column".into(),
            )),
            Some(k) => index[k] = Some(i),
            None => issues.push(issue(
                format!("header (line {header_line}), column {}", i + 1),
                format!("\"{name}\""),
                format!("unknown column; expected one of: {}", COLUMNS.join(", ")),
            )),
        }
    }
    for required in REQUIRED {
        let k = COLUMNS.iter().position(|c| *c == required).unwrap_or(0);
        if index[k].is_none() {
            issues.push(issue(
                format!("header (line {header_line})"),
                format!("\"{}\"", headers.iter().collect::<Vec<_>>().join(",")),
                format!("missing required column `{required}`"),
            ));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }

    let mut out = CsvPositions::default();
    for (r, record) in reader.records().enumerate() {
        let row = r + 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                // The row as written (errors clip it to a readable length).
                let written = usize::try_from(line)
                    .ok()
                    .and_then(|l| text.lines().nth(l.checked_sub(1)?))
                    .unwrap_or("");
                issues.push(issue(
                    format!("row {row} (line {line})"),
                    format!("\"{}\"", written.trim_end_matches('\r')),
                    csv_reason(&e),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let mut row_reader = Row {
            record: &record,
            index: &index,
            row,
            line,
            display,
            issues: &mut issues,
        };
        let position = PositionSpec {
            id: row_reader.text("id"),
            class: row_reader.text("class"),
            label: row_reader.text("label"),
            weight: row_reader.number("weight", 0.0),
            adv: row_reader.number("adv", 0.0),
            spread_bps: row_reader.number("spread_bps", 0.0),
            vol_annual: row_reader.number("vol_annual", 0.0),
            impact: row_reader.number("impact", 0.0),
            settlement_days: row_reader.days("settlement_days", spec::default_settlement_days()),
            redemption_window_days: row_reader.days("redemption_window_days", 0),
            tier: row_reader.named(
                "tier",
                Tier::from_name,
                Tier::expected,
                spec::default_tier(),
            ),
            repo_eligible: row_reader.flag("repo_eligible").unwrap_or(false),
            duration: row_reader.number("duration", 0.0),
            convexity: row_reader.number("convexity", 0.0),
            price_route: row_reader.named(
                "price_route",
                PriceRoute::from_name,
                PriceRoute::expected,
                spec::default_price_route(),
            ),
            alpha: row_reader.number("alpha", 0.0),
            illiquid: row_reader.flag("illiquid"),
        };
        out.positions.push(position);
        out.lines.push(line);
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// A short reason for a CSV reader error, without the position the caller already reports.
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} cells where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    }
}

/// One data row being read, collecting problems as it goes.
struct Row<'a> {
    record: &'a csv::StringRecord,
    index: &'a [Option<usize>],
    row: usize,
    line: u64,
    display: &'a str,
    issues: &'a mut Vec<Issue>,
}

impl Row<'_> {
    /// The trimmed cell of `column`, or `None` when the column is absent or the cell empty.
    fn cell(&self, column: &str) -> Option<&str> {
        let k = COLUMNS.iter().position(|c| *c == column)?;
        let i = self.index[k]?;
        self.record.get(i).filter(|s| !s.is_empty())
    }

    fn problem(&mut self, column: &str, value: &str, reason: String) {
        self.issues.push(Issue {
            file: self.display.to_string(),
            field: cell(self.row, self.line, column),
            value: format!("\"{value}\""),
            reason,
        });
    }

    /// An empty required cell is reported; an empty optional one takes the default.
    fn missing(&mut self, column: &str) {
        if REQUIRED.contains(&column) {
            self.problem(column, "", "required cell is empty".into());
        }
    }

    fn text(&mut self, column: &str) -> String {
        match self.cell(column) {
            Some(s) => s.to_string(),
            None => {
                self.missing(column);
                String::new()
            }
        }
    }

    /// A number; non-finite values are let through for validation to report with the others.
    fn number(&mut self, column: &str, default: f64) -> f64 {
        let Some(s) = self.cell(column).map(str::to_string) else {
            self.missing(column);
            return default;
        };
        match s.parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                self.problem(column, &s, "not a number".into());
                default
            }
        }
    }

    fn days(&mut self, column: &str, default: u32) -> u32 {
        let Some(s) = self.cell(column).map(str::to_string) else {
            return default;
        };
        match s.parse::<u32>() {
            Ok(v) => v,
            Err(_) => {
                self.problem(
                    column,
                    &s,
                    "expected a whole number of days (0 or more)".into(),
                );
                default
            }
        }
    }

    fn flag(&mut self, column: &str) -> Option<bool> {
        let s = self.cell(column)?.to_string();
        match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => {
                self.problem(column, &s, "expected true or false".into());
                None
            }
        }
    }

    fn named<T>(
        &mut self,
        column: &str,
        from_name: fn(&str) -> Option<T>,
        expected: fn() -> String,
        default: T,
    ) -> T {
        let Some(s) = self.cell(column).map(str::to_string) else {
            return default;
        };
        match from_name(&s) {
            Some(v) => v,
            None => {
                self.problem(
                    column,
                    &s,
                    format!("unknown value; expected one of {}", expected()),
                );
                default
            }
        }
    }
}

/// Writes positions as a CSV with every column (numbers in shortest round-trip form), so that
/// [`parse`] reads back exactly the same positions.
pub fn write_positions_csv(positions: &[PositionSpec]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(COLUMNS);
    for p in positions {
        let illiquid = p.illiquid.map_or(String::new(), |b| b.to_string());
        let row = [
            p.id.clone(),
            p.class.clone(),
            p.label.clone(),
            p.weight.to_string(),
            p.adv.to_string(),
            p.spread_bps.to_string(),
            p.vol_annual.to_string(),
            p.impact.to_string(),
            p.settlement_days.to_string(),
            p.redemption_window_days.to_string(),
            p.tier.name().to_string(),
            p.repo_eligible.to_string(),
            p.duration.to_string(),
            p.convexity.to_string(),
            p.price_route.name().to_string(),
            p.alpha.to_string(),
            illiquid,
        ];
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Reads and parses the positions CSV at `base_dir/relative`.
pub(crate) fn load(base_dir: &Path, relative: &str) -> Result<(String, CsvPositions), LoadError> {
    let resolved = base_dir.join(relative);
    let display = resolved.display().to_string();
    let text = std::fs::read_to_string(&resolved)
        .map_err(|source| LoadError::Read { resolved, source })?;
    parse(&text, &display)
        .map(|positions| (display, positions))
        .map_err(LoadError::Invalid)
}

/// Why [`load`] failed.
pub(crate) enum LoadError {
    Read {
        resolved: std::path::PathBuf,
        source: std::io::Error,
    },
    Invalid(Vec<Issue>),
}
