//! `summary.json`: the sweep's records summarised, with the analysis stages' sections at the top
//! level (`docs/output.md`), and how it is assembled from a run.

use serde::Serialize;
use undertow_analysis::AnalysisSummary;
use undertow_host::aggregate::{aggregate, Aggregate};
use undertow_host::fund::spec::{ImpactModel, Strategy};
use undertow_host::fund::Fund;
use undertow_host::output::{switch_map, FundInfo, Headline, RunInfo, SCHEMA_VERSION};
use undertow_host::run::FanCharts;
use undertow_kernel::ScenarioOutput;

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

/// How a sweep was made, for [`RunInfo`]: what the caller asked and what ran it.
pub struct RunMeta {
    pub seed: u64,
    /// The backend's own description (`Backend::describe`).
    pub backend: String,
    /// Worker threads (the machine's cores when the caller left it open).
    pub threads: usize,
    /// Seconds the sweep took.
    pub seconds: f64,
}

impl Summary {
    /// The summary of a finished sweep of `fund` (its records `outputs`, scenario indices from
    /// 0, and fan charts) and the analysis that followed it.
    pub fn assemble(
        fund: &Fund,
        outputs: &[ScenarioOutput],
        fan_charts: FanCharts,
        meta: RunMeta,
        analysis: Option<AnalysisSummary>,
    ) -> Summary {
        let agg = aggregate(outputs);
        let p = &fund.model.params;
        let scenarios = outputs.len() as u64;
        let sdp = scenarios as f64 * p.horizon as f64 * p.n_positions as f64;
        Summary {
            schema_version: SCHEMA_VERSION,
            tool: "undertow",
            version: env!("CARGO_PKG_VERSION"),
            fund: fund_info(fund),
            run: RunInfo {
                scenarios,
                seed: meta.seed,
                horizon_days: p.horizon,
                strategy: Strategy::name_of_code(p.strategy).into(),
                impact_model: ImpactModel::name_of_code(p.impact_model).into(),
                backend: meta.backend,
                threads: meta.threads,
                seconds: meta.seconds,
                throughput: sdp / meta.seconds.max(1e-9),
                switches: switch_map(p.switches),
            },
            headline: headline(fund, &agg),
            aggregate: agg,
            fan_charts,
            analysis,
        }
    }
}

/// Who the run was about.
pub fn fund_info(fund: &Fund) -> FundInfo {
    FundInfo {
        name: fund.name.clone(),
        source: fund.source.clone(),
        currency: fund.currency.clone(),
        aum: fund.aum,
        positions: fund.model.positions.len(),
        segments: fund.model.segments.len(),
        large_investors: fund.model.large.len(),
        initial_cash: fund.model.params.initial_cash as f64,
    }
}

/// The headline numbers: costs in basis points of NAV, liquidity at risk in currency (fractions
/// of NAV times the fund's assets under management).
pub fn headline(fund: &Fund, agg: &Aggregate) -> Headline {
    Headline {
        coverage: agg.coverage,
        survival: agg.survival,
        gate_frequency: agg.gate_frequency,
        shortfall_frequency: agg.shortfall_frequency,
        mean_cost_bps: agg.mean_cost * 1e4,
        cost_p99_bps: agg.cost_p99 * 1e4,
        liquidity_at_risk_currency: agg
            .liquidity_at_risk
            .iter()
            .map(|r| (r.horizon_days, r.lar.map(|v| v * fund.aum)))
            .collect(),
    }
}
