//! Reading the market file: one row per position id per business day,
//! `date,id,close,volume,bid,ask`, with the fund file's error standards (the file, the line, the
//! field and the value; never a panic).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use undertow_host::fund::Fund;

use crate::error::{parse_date, CalibrateError};

/// The market file's columns, in the order the shipped example writes them (any order is read;
/// other columns are ignored).
pub const MARKET_COLUMNS: [&str; 6] = ["date", "id", "close", "volume", "bid", "ask"];

/// One position's daily series, in date order.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionSeries {
    pub id: String,
    /// The line of the file the id first appears on (for messages).
    pub first_line: u64,
    /// Index of each row's date in [`MarketHistory::dates`].
    pub day: Vec<usize>,
    /// Closing (or mid) price, currency per unit, > 0.
    pub close: Vec<f64>,
    /// Units traded that day, >= 0.
    pub volume: Vec<f64>,
    /// Closing bid and ask, > 0, bid <= ask.
    pub bid: Vec<f64>,
    pub ask: Vec<f64>,
}

impl PositionSeries {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.day.len()
    }

    /// True when the series holds no row.
    pub fn is_empty(&self) -> bool {
        self.day.is_empty()
    }

    /// The quoted spread of row `k` as a fraction of the mid, `(ask - bid) / ((ask + bid) / 2)`.
    pub fn rel_spread(&self, k: usize) -> f64 {
        let mid = 0.5 * (self.ask[k] + self.bid[k]);
        (self.ask[k] - self.bid[k]) / mid
    }

    /// Traded value of row `k`, `close x volume`, in currency.
    pub fn traded_value(&self, k: usize) -> f64 {
        self.close[k] * self.volume[k]
    }
}

/// A market file as read.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketHistory {
    /// Where it came from (for messages).
    pub file: String,
    /// Every date of the file, sorted, each once.
    pub dates: Vec<NaiveDate>,
    /// One series per position id, in the order the ids first appear.
    pub series: Vec<PositionSeries>,
}

/// Reads a market file.
pub fn read_market_csv(path: &Path) -> Result<MarketHistory, CalibrateError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CalibrateError::Io {
        file: file.clone(),
        source,
    })?;
    parse_market_csv(&text, &file)
}

/// Reads a market file's text; `file` names it in messages.
pub fn parse_market_csv(text: &str, file: &str) -> Result<MarketHistory, CalibrateError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| CalibrateError::file(file, format!("cannot read the header: {e}")))?
        .clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(CalibrateError::file(
            file,
            format!(
                "the file is empty: expected a header `{}` and one row per position per day",
                MARKET_COLUMNS.join(",")
            ),
        ));
    }
    let mut col = [0usize; 6];
    for (k, name) in MARKET_COLUMNS.iter().enumerate() {
        col[k] = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                CalibrateError::file(
                    file,
                    format!(
                        "missing column `{name}`: the header must name {} (found `{}`)",
                        MARKET_COLUMNS.join(", "),
                        header.iter().collect::<Vec<_>>().join(",")
                    ),
                )
            })?;
    }

    let mut dates: Vec<NaiveDate> = Vec::new();
    let mut series: Vec<PositionSeries> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut seen: HashSet<(NaiveDate, usize)> = HashSet::new();
    let mut previous: Option<(NaiveDate, u64)> = None;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => CalibrateError::value(
                    file,
                    line,
                    "row",
                    format!("{len} fields"),
                    format!("expected {expected_len} fields, as the header has"),
                ),
                _ => CalibrateError::value(file, line, "row", "?", e.to_string()),
            }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let date = parse_date(file, line, "date", &record[col[0]])?;
        let id = record[col[1]].to_string();
        if id.is_empty() {
            return Err(CalibrateError::value(
                file,
                line,
                "id",
                "\"\"",
                "empty: every row names a position id",
            ));
        }
        if let Some((prev, prev_line)) = previous {
            if date < prev {
                return Err(CalibrateError::value(
                    file,
                    line,
                    "date",
                    date,
                    format!("earlier than {prev} on line {prev_line}: rows must be in date order"),
                ));
            }
        }
        previous = Some((date, line));
        let number = |k: usize, field: &str| -> Result<f64, CalibrateError> {
            let text = &record[col[k]];
            let v: f64 = text.parse().map_err(|_| {
                CalibrateError::value(file, line, field, format!("{text:?}"), "not a number")
            })?;
            if !v.is_finite() {
                return Err(CalibrateError::value(
                    file,
                    line,
                    field,
                    text,
                    "must be a finite number",
                ));
            }
            Ok(v)
        };
        let close = number(2, "close")?;
        let volume = number(3, "volume")?;
        let bid = number(4, "bid")?;
        let ask = number(5, "ask")?;
        for (field, v) in [("close", close), ("bid", bid), ("ask", ask)] {
            if v <= 0.0 {
                return Err(CalibrateError::value(
                    file,
                    line,
                    field,
                    v,
                    "a price must be above 0",
                ));
            }
        }
        if volume < 0.0 {
            return Err(CalibrateError::value(
                file,
                line,
                "volume",
                volume,
                "must be 0 or more",
            ));
        }
        if bid > ask {
            return Err(CalibrateError::value(
                file,
                line,
                "bid",
                bid,
                format!("above the ask ({ask})"),
            ));
        }
        if dates.last() != Some(&date) {
            dates.push(date);
        }
        let day = dates.len() - 1;
        let s = *index.entry(id.clone()).or_insert_with(|| {
            series.push(PositionSeries {
                id: id.clone(),
                first_line: line,
                day: Vec::new(),
                close: Vec::new(),
                volume: Vec::new(),
                bid: Vec::new(),
                ask: Vec::new(),
            });
            series.len() - 1
        });
        if !seen.insert((date, s)) {
            return Err(CalibrateError::value(
                file,
                line,
                "id",
                format!("{id:?}"),
                format!("a second row for {date}: one row per position per day"),
            ));
        }
        let p = &mut series[s];
        p.day.push(day);
        p.close.push(close);
        p.volume.push(volume);
        p.bid.push(bid);
        p.ask.push(ask);
    }
    if dates.is_empty() {
        return Err(CalibrateError::file(
            file,
            "no rows: the file has a header and nothing else",
        ));
    }
    Ok(MarketHistory {
        file: file.to_string(),
        dates,
        series,
    })
}

impl MarketHistory {
    /// The series of one position id.
    pub fn position(&self, id: &str) -> Option<&PositionSeries> {
        self.series.iter().find(|s| s.id == id)
    }

    /// Every id must be one of the fund's positions (a typo would otherwise drop a position's
    /// data silently). Positions of the fund missing from the file are allowed (they keep their
    /// fund-file values); [`MarketHistory::missing_positions`] lists them.
    pub fn check_ids(&self, fund: &Fund) -> Result<(), CalibrateError> {
        for s in &self.series {
            if !fund.position_ids.iter().any(|p| p == &s.id) {
                return Err(CalibrateError::value(
                    &self.file,
                    s.first_line,
                    "id",
                    format!("{:?}", s.id),
                    format!(
                        "not a position of the fund {} (its ids: {})",
                        fund.source,
                        fund.position_ids.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The fund's positions the file has no row for.
    pub fn missing_positions(&self, fund: &Fund) -> Vec<String> {
        fund.position_ids
            .iter()
            .filter(|p| self.position(p).is_none())
            .cloned()
            .collect()
    }
}
