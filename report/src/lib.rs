//! The liquidity risk report: one self-contained HTML page rendered from `summary.json`.
//!
//! The report is a pure function of the summary (the documented schema, `docs/output.md`), read as
//! a `serde_json::Value`: nothing is simulated, so `undertow report --from DIR` can re-render a
//! finished run. Writing the page to a file is the caller's (`undertow-engine` writes it
//! atomically beside `summary.json`). Its sections follow the use case's report structure — executive summary, market
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

use serde_json::Value;

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// The summary does not follow the schema at `path` (a JSON path such as
    /// `portfolio_liquidity.buffer.results[3].coverage`).
    Malformed { path: String, reason: String },
    /// A chart could not be drawn.
    Chart { chart: String, reason: String },
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Malformed { path, reason } => write!(f, "summary.json: {path}: {reason}"),
            ReportError::Chart { chart, reason } => write!(f, "chart {chart}: {reason}"),
        }
    }
}

impl std::error::Error for ReportError {}

/// Parses the text of a `summary.json`, as [`ReportError::Malformed`] when it is not JSON.
pub fn parse_summary(text: &str) -> Result<Value, ReportError> {
    serde_json::from_str(text).map_err(|e| ReportError::Malformed {
        path: json::TOP_LEVEL.into(),
        reason: format!("not valid JSON: {e}"),
    })
}

/// The file name of the report beside `summary.json`.
pub const REPORT_FILE: &str = "report.html";

/// Renders the standalone page of `undertow calibrate flows` (`calibration` key) or
/// `undertow backtest` (`backtest` key) JSON.
pub fn render_calibration(value: &Value) -> Result<String, ReportError> {
    sections::render_calibration(json::Node::root(value))
}

/// Renders a page of the scripted what-ifs alone, from a summary holding `fund` and `what_if`
/// (`undertow what-if`).
pub fn render_what_if(summary: &Value) -> Result<String, ReportError> {
    sections::render_what_if(json::Node::root(summary))
}

/// Renders the report for a summary (`summary.json` parsed as JSON).
pub fn render(summary: &Value) -> Result<String, ReportError> {
    sections::render(json::Node::root(summary))
}
