//! The liquidity risk report: one self-contained HTML page rendered from `summary.json`.
//!
//! The report is a pure function of the summary (the documented schema, `docs/output.md`), read as
//! a `serde_json::Value`: nothing is simulated, so `undertow report --from DIR` can re-render a
//! finished run. Its sections follow the use case's report structure — executive summary, market
//! liquidity analysis, investor redemption risk, liquidity buffer optimisation, liquidation
//! strategy recommendations, redemption policy framework, implementation roadmap — plus an appendix
//! on method and assumptions for audit. A stage that did not run (its section is absent, null, or
//! carries `status` other than `done`) gets a short "not run" note; a summary that breaks the schema
//! (a wrong type, a missing required field) gives [`ReportError::Malformed`] naming the JSON path.
//!
//! Charts are inline SVG drawn with `plotters` (SVG backend only, no font rendering: the browser
//! lays out SVG text with the system font stack). Every chart has a title, axis labels with units
//! and one line saying what to read from it. Chart geometry is computed from the summary's fields:
//!
//! - fan charts: per-day quantile bands `q05..q95` and `q25..q75` as filled polygons, the median as
//!   a line (`fan_charts.*`);
//! - liquidity ladder: share of NAV sold within `h` days, `sold_share[h]` of the `PORTFOLIO` profile
//!   rows at one participation rate, one line per market condition, against liquidity at risk;
//! - liquidity at risk: the 90/95/99% quantiles of cumulative requested outflow per horizon;
//! - buffer frontier: every composition's (opportunity cost, coverage), the frontier in cost order;
//! - cost distributions: `counts[i] / Σ counts` over `[edges[i], edges[i+1])` as a step line;
//! - heat maps: one cell per grid point coloured on a linear scale between the grid's minimum and
//!   maximum; the gate grid keeps, per (30-day redemption, ALR) cell, the best score over the other
//!   trigger dimensions;
//! - cascade waterfall: `all_off + Σ_c contribution_c + interaction = all_on`, each step a floating
//!   bar from the running total.
//!
//! The page carries no external resource (no scripts, styles, fonts or images from elsewhere) and a
//! small inline script that checks, in the browser, that every chart drew something, writing the
//! verdict into `<body data-charts-ok="n/m">`. All text from the summary is HTML-escaped; a number
//! that is missing, null or not finite is printed "n/a".

mod charts;
mod fmt;
mod html;
mod json;
mod sections;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::output::AtomicFile;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The summary does not follow the schema at `path` (a JSON path such as
    /// `portfolio_liquidity.buffer.results[3].coverage`).
    #[error("summary.json: {path}: {reason}")]
    Malformed { path: String, reason: String },
    /// A chart could not be drawn.
    #[error("chart {chart}: {reason}")]
    Chart { chart: String, reason: String },
    /// Reading `summary.json` or writing `report.html` failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The file name of the report beside `summary.json`.
pub const REPORT_FILE: &str = "report.html";

/// Renders the report for a summary (`summary.json` parsed as JSON).
pub fn render(summary: &Value) -> Result<String, ReportError> {
    sections::render(json::Node::root(summary))
}

/// Renders the report and writes it to `dir/report.html`, atomically (a temporary file renamed
/// when complete); nothing is written when the summary is malformed. Returns the path written.
pub fn write_report(dir: &Path, summary: &Value) -> Result<PathBuf, ReportError> {
    let page = render(summary)?;
    write_html(dir, &page)
}

/// Writes an already rendered page to `dir/report.html`, atomically. With [`render`], lets a
/// caller fail on a malformed summary before writing any of its outputs.
pub fn write_html(dir: &Path, page: &str) -> Result<PathBuf, ReportError> {
    let path = dir.join(REPORT_FILE);
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = AtomicFile::create(&path).map_err(io)?;
    file.writer().write_all(page.as_bytes()).map_err(io)?;
    file.commit().map_err(io)?;
    Ok(path)
}

/// Reads `dir/summary.json` and writes `dir/report.html` beside it (`undertow report --from DIR`).
pub fn report_from_dir(dir: &Path) -> Result<PathBuf, ReportError> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let summary: Value = serde_json::from_str(&text).map_err(|e| ReportError::Malformed {
        path: json::TOP_LEVEL.into(),
        reason: format!("not valid JSON: {e}"),
    })?;
    write_report(dir, &summary)
}
