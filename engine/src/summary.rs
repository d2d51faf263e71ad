//! `summary.json`: the sweep's records summarised, with the analysis stages' sections at the top
//! level (`docs/output.md`), and how it is assembled from a run.

use std::collections::BTreeMap;

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
    /// The scenario set `headline`, `aggregate`, `fan_charts` and the analysis stages come from:
    /// always [`STRESS_SET`], the stress library (frequencies over it are conditional on stress).
    pub set: &'static str,
    pub headline: Headline,
    pub aggregate: Aggregate,
    pub fan_charts: FanCharts,
    /// The unconditional mixture's sweep (same count, seed and indices); absent when it was not
    /// run (`--no-unconditional`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconditional: Option<SetSummary>,
    /// The analysis stages' sections (`market_liquidity`, `investor_behaviour`,
    /// `portfolio_liquidity`, ..., `findings`, `stages`), at the top level.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisSummary>,
    /// The scripted what-ifs (`undertow run --scripts FILE`); absent without scripts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<crate::what_if::WhatIf>,
}

/// The stress library: the fund's own `[scenarios]` configuration, every scenario a stress.
pub const STRESS_SET: &str = "stress";

/// The unconditional mixture over a year of business days (`ScenarioConfig::unconditional`).
pub const UNCONDITIONAL_SET: &str = "unconditional";

/// A second scenario set's summary: `summary.json`'s `unconditional`.
#[derive(Clone, Debug, Serialize)]
pub struct SetSummary {
    /// [`UNCONDITIONAL_SET`].
    pub set: &'static str,
    /// Scenarios swept (the stress library's count, seed and indices).
    pub scenarios: u64,
    /// The probability of each family for one scenario (`calm` included), from
    /// `[scenarios.mixture]`; they sum to 1.
    pub family_probabilities: BTreeMap<String, f64>,
    /// The share of the swept scenarios drawn from each family (`calm` included).
    pub family_shares: BTreeMap<String, f64>,
    pub headline: Headline,
    pub aggregate: Aggregate,
}

impl SetSummary {
    /// The summary of the unconditional sweep of `fund` (its scenario configuration already the
    /// mixture), its records `outputs` and the count of scenarios drawn from each family code.
    pub fn assemble(fund: &Fund, outputs: &[ScenarioOutput], family_counts: &[u64]) -> SetSummary {
        let agg = aggregate(outputs);
        let n = outputs.len().max(1) as f64;
        let weights = fund.scenarios.weights.entries();
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        let family_probabilities = weights
            .iter()
            .map(|(k, w)| (k.to_string(), if total > 0.0 { w / total } else { 0.0 }))
            .collect();
        let mut family_shares = BTreeMap::new();
        for (code, &c) in family_counts.iter().enumerate() {
            if c > 0 {
                let name = undertow_host::scenarios::family::name(code as u32);
                *family_shares.entry(name.to_string()).or_insert(0.0) += c as f64 / n;
            }
        }
        SetSummary {
            set: UNCONDITIONAL_SET,
            scenarios: outputs.len() as u64,
            family_probabilities,
            family_shares,
            headline: headline(fund, &agg),
            aggregate: agg,
        }
    }
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
            set: STRESS_SET,
            headline: headline(fund, &agg),
            aggregate: agg,
            fan_charts,
            unconditional: None,
            analysis,
            what_if: None,
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
