//! `summary.json`: the sweep's records summarised, with the analysis stages' sections at the top
//! level (`docs/output.md`).

use serde::Serialize;
use undertow_analysis::AnalysisSummary;
use undertow_host::aggregate::Aggregate;
use undertow_host::output::{FundInfo, Headline, RunInfo};
use undertow_host::run::FanCharts;

/// `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub tool: &'static str,
    pub version: &'static str,
    pub fund: FundInfo,
    pub run: RunInfo,
    pub headline: Headline,
    pub aggregate: Aggregate,
    pub fan_charts: FanCharts,
    /// The analysis stages' sections (`market_liquidity`, `investor_behaviour`,
    /// `portfolio_liquidity`, ..., `findings`, `stages`), at the top level.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisSummary>,
}
