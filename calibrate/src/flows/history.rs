//! The flow history CSV (docs/calibration.md "The flow history"):
//!
//! ```text
//! date,holder,kind,shares,subscriptions,redemptions[,nav]
//! 2018-01-02,retail,segment,150000000,210000,180000,1.0
//! ```
//!
//! One row per holder per business day; `holder` is a segment or large-investor name of the fund
//! file and `kind` says which (`segment` or `large`); `shares` are the holder's shares at the start
//! of the day, not counting shares already requested and waiting for their notice to run (the
//! kernel's free shares); `subscriptions` and `redemptions` are the shares subscribed and the
//! shares requested for redemption that day; `nav` (optional, the same on every row of a date) is
//! the NAV per share at the day's close, from which the drawdown signal is computed. Read with the
//! fund file's error standards: every error names the file, the line, the field and the value.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use undertow_host::fund::FundFile;

use crate::error::{parse_date, CalibrateError};

/// Longest gap between consecutive dates, in calendar days (a long weekend with holidays is
/// shorter); longer gaps are missing data.
pub const MAX_GAP_DAYS: i64 = 7;

/// Which part of the fund's investor base a holder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderKind {
    Segment,
    Large,
}

impl HolderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderKind::Segment => "segment",
            HolderKind::Large => "large",
        }
    }
}

/// One holder's daily series, aligned with [`FlowHistory::dates`].
#[derive(Clone, Debug, PartialEq)]
pub struct HolderSeries {
    pub name: String,
    pub kind: HolderKind,
    /// Index within its kind, in the fund file's order.
    pub index: usize,
    /// Days from a request to its dealing: the holder's notice plus the fund's.
    pub notice: usize,
    /// Free shares at the start of each day.
    pub shares: Vec<f64>,
    pub subscriptions: Vec<f64>,
    /// Shares requested for redemption each day.
    pub redemptions: Vec<f64>,
}

/// A fund's flow history: every holder of the fund file on every date.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowHistory {
    /// The file it was read from (or what made it).
    pub file: String,
    pub dates: Vec<NaiveDate>,
    /// The fund's segments in file order, then its large investors.
    pub holders: Vec<HolderSeries>,
    /// NAV per share at each day's close, when the file has the `nav` column.
    pub nav: Option<Vec<f64>>,
}

impl FlowHistory {
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// NAV per share on day `t` (1 without a `nav` column).
    pub fn nav_at(&self, t: usize) -> f64 {
        self.nav.as_ref().map_or(1.0, |n| n[t])
    }

    /// Writes the history as CSV (the format [`parse_flows_csv`] reads).
    pub fn to_csv(&self) -> String {
        let mut s = String::from("date,holder,kind,shares,subscriptions,redemptions");
        if self.nav.is_some() {
            s.push_str(",nav");
        }
        s.push('\n');
        for (t, d) in self.dates.iter().enumerate() {
            for h in &self.holders {
                s.push_str(&format!(
                    "{},{},{},{:.0},{:.0},{:.0}",
                    d.format("%Y-%m-%d"),
                    h.name,
                    h.kind.as_str(),
                    h.shares[t],
                    h.subscriptions[t],
                    h.redemptions[t]
                ));
                if let Some(nav) = &self.nav {
                    s.push_str(&format!(",{:.6}", nav[t]));
                }
                s.push('\n');
            }
        }
        s
    }
}

/// The fund's holders: (name, kind, index within kind, notice incl. the fund's).
pub fn fund_holders(fund: &FundFile) -> Vec<(String, HolderKind, usize, usize)> {
    let fund_notice = fund.fund.notice_days as usize;
    let mut v: Vec<_> = fund
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.name.clone(),
                HolderKind::Segment,
                i,
                s.notice_days as usize + fund_notice,
            )
        })
        .collect();
    v.extend(fund.large_investors.iter().enumerate().map(|(i, l)| {
        (
            l.name.clone(),
            HolderKind::Large,
            i,
            l.notice_days as usize + fund_notice,
        )
    }));
    v
}

/// Reads the flow history at `path` for `fund`.
pub fn read_flows_csv(path: &Path, fund: &FundFile) -> Result<FlowHistory, CalibrateError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CalibrateError::Io {
        file: file.clone(),
        source,
    })?;
    parse_flows_csv(&text, &file, fund)
}

const COLUMNS: [&str; 6] = [
    "date",
    "holder",
    "kind",
    "shares",
    "subscriptions",
    "redemptions",
];

struct Row {
    line: u64,
    date: NaiveDate,
    holder: usize,
    shares: f64,
    subs: f64,
    reds: f64,
    nav: Option<f64>,
}

fn number(
    file: &str,
    line: u64,
    field: &str,
    text: &str,
    positive: bool,
) -> Result<f64, CalibrateError> {
    let v: f64 = text.trim().parse().map_err(|_| {
        CalibrateError::value(file, line, field, format!("{text:?}"), "not a number")
    })?;
    if !v.is_finite() {
        return Err(CalibrateError::value(
            file,
            line,
            field,
            text.trim(),
            "must be finite",
        ));
    }
    if positive && v <= 0.0 {
        return Err(CalibrateError::value(
            file,
            line,
            field,
            text.trim(),
            "must be above 0",
        ));
    }
    if v < 0.0 {
        return Err(CalibrateError::value(
            file,
            line,
            field,
            text.trim(),
            "must be 0 or more",
        ));
    }
    Ok(v)
}

/// Parses flow-history text; `file` names it in errors.
pub fn parse_flows_csv(
    text: &str,
    file: &str,
    fund: &FundFile,
) -> Result<FlowHistory, CalibrateError> {
    let holders = fund_holders(fund);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| CalibrateError::file(file, format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut idx = [0usize; 6];
    for (k, c) in COLUMNS.iter().enumerate() {
        idx[k] = col(c).ok_or_else(|| {
            CalibrateError::file(
                file,
                format!(
                    "no `{c}` column (the header must name date,holder,kind,shares,subscriptions,redemptions and optionally nav; found {})",
                    header.iter().collect::<Vec<_>>().join(",")
                ),
            )
        })?;
    }
    let nav_col = col("nav");

    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            CalibrateError::file(file, format!("line {line}: {e}"))
        })?;
        rows.push(parse_row(&rec, &idx, nav_col, file, &holders)?);
    }
    if rows.is_empty() {
        return Err(CalibrateError::file(file, "no rows after the header"));
    }

    assemble(&rows, file, &holders, nav_col.is_some())
}

/// One record of the file.
fn parse_row(
    rec: &csv::StringRecord,
    idx: &[usize; 6],
    nav_col: Option<usize>,
    file: &str,
    holders: &[(String, HolderKind, usize, usize)],
) -> Result<Row, CalibrateError> {
    let names: Vec<&str> = holders.iter().map(|h| h.0.as_str()).collect();
    let line = rec.position().map_or(0, |p| p.line());
    let get = |k: usize| rec.get(idx[k]).unwrap_or("");
    let date = parse_date(file, line, "date", get(0))?;
    let name = get(1);
    let h = names.iter().position(|n| *n == name).ok_or_else(|| {
        CalibrateError::value(
            file,
            line,
            "holder",
            format!("{name:?}"),
            format!(
                "not a segment or large investor of the fund (it has: {})",
                names.join(", ")
            ),
        )
    })?;
    let kind = get(2);
    if kind != holders[h].1.as_str() {
        return Err(CalibrateError::value(
            file,
            line,
            "kind",
            format!("{kind:?}"),
            format!("{name} is a {} in the fund file", holders[h].1.as_str()),
        ));
    }
    let shares = number(file, line, "shares", get(3), false)?;
    let subs = number(file, line, "subscriptions", get(4), false)?;
    let reds = number(file, line, "redemptions", get(5), false)?;
    if reds > shares * (1.0 + 1e-9) {
        return Err(CalibrateError::value(
            file,
            line,
            "redemptions",
            get(5),
            format!("more than the {shares} shares held"),
        ));
    }
    let nav = match nav_col {
        Some(c) => Some(number(file, line, "nav", rec.get(c).unwrap_or(""), true)?),
        None => None,
    };
    Ok(Row {
        line,
        date,
        holder: h,
        shares,
        subs,
        reds,
        nav,
    })
}

/// The rows as one history: dates sorted, gaps, duplicates, missing holders and NAVs checked.
fn assemble(
    rows: &[Row],
    file: &str,
    holders: &[(String, HolderKind, usize, usize)],
    has_nav: bool,
) -> Result<FlowHistory, CalibrateError> {
    let names: Vec<&str> = holders.iter().map(|h| h.0.as_str()).collect();
    let mut dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
    dates.sort();
    dates.dedup();
    for w in dates.windows(2) {
        let gap = (w[1] - w[0]).num_days();
        if gap > MAX_GAP_DAYS {
            let line = rows.iter().find(|r| r.date == w[1]).map_or(0, |r| r.line);
            return Err(CalibrateError::value(
                file,
                line,
                "date",
                w[1].format("%Y-%m-%d"),
                format!(
                    "{gap} days after the previous date {} (a gap in the history; at most {MAX_GAP_DAYS})",
                    w[0].format("%Y-%m-%d")
                ),
            ));
        }
    }
    let pos: HashMap<NaiveDate, usize> = dates.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let n = dates.len();
    let mut seen = vec![vec![0u64; n]; holders.len()];
    let mut series: Vec<HolderSeries> = holders
        .iter()
        .map(|(name, kind, index, notice)| HolderSeries {
            name: name.clone(),
            kind: *kind,
            index: *index,
            notice: *notice,
            shares: vec![0.0; n],
            subscriptions: vec![0.0; n],
            redemptions: vec![0.0; n],
        })
        .collect();
    let mut nav: Option<Vec<(f64, u64)>> = has_nav.then(|| vec![(0.0, 0); n]);
    for r in rows {
        let t = pos[&r.date];
        if seen[r.holder][t] != 0 {
            return Err(CalibrateError::value(
                file,
                r.line,
                "holder",
                format!("{:?}", names[r.holder]),
                format!(
                    "a second row for {} on {} (the first is line {})",
                    names[r.holder],
                    r.date.format("%Y-%m-%d"),
                    seen[r.holder][t]
                ),
            ));
        }
        seen[r.holder][t] = r.line;
        let s = &mut series[r.holder];
        s.shares[t] = r.shares;
        s.subscriptions[t] = r.subs;
        s.redemptions[t] = r.reds;
        if let (Some(nav), Some(v)) = (nav.as_mut(), r.nav) {
            let (prev, prev_line) = nav[t];
            if prev_line != 0 && (prev - v).abs() > 1e-9 * prev.abs().max(1.0) {
                return Err(CalibrateError::value(
                    file,
                    r.line,
                    "nav",
                    v,
                    format!(
                        "differs from {prev} on line {prev_line}: the NAV per share is the fund's, the same on every row of a date"
                    ),
                ));
            }
            nav[t] = (v, r.line);
        }
    }
    for (h, s) in seen.iter().enumerate() {
        if let Some(t) = s.iter().position(|&l| l == 0) {
            let line = rows
                .iter()
                .find(|r| r.date == dates[t])
                .map_or(0, |r| r.line);
            return Err(CalibrateError::value(
                file,
                line,
                "date",
                dates[t].format("%Y-%m-%d"),
                format!(
                    "no row for {} {} on this date (every holder of the fund needs a row on every date)",
                    holders[h].1.as_str(),
                    names[h]
                ),
            ));
        }
    }
    Ok(FlowHistory {
        file: file.to_string(),
        dates,
        holders: series,
        nav: nav.map(|v| v.into_iter().map(|x| x.0).collect()),
    })
}
