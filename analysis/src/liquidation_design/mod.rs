//! Stage 4, the liquidation strategy designer (MODEL.md sections 4 and 7.4): every liquidation
//! strategy on the same scenarios, the position-level liquidation hierarchy, the execution
//! approaches for a large sale, and the use case's claim about the hierarchy judged with numbers.
//!
//! # Strategies on common random numbers
//!
//! The kernel's four strategies (`waterfall` in the fund's own order, `pro_rata`, `min_cost`,
//! `balanced`) and a fifth run, `waterfall` in the order of the hierarchy designed here, each
//! rerun the same scenario records with the same seed and indices, the fund otherwise unchanged
//! (the `balanced` run uses this stage's `max_style_drift`). Per scenario, read from the kernel's
//! output and, day by day, from its state ([`Simulator::run_with_positions`]):
//!
//! - **cost**: spread plus impact over the horizon, bps of initial NAV; its mean, quantiles and a
//!   histogram with the same edges for every strategy (`histogram_bins` equal bins from 0 to the
//!   largest cost of any run);
//! - **reduction versus pro rata**: `1 − mean cost / mean cost of pro_rata` — the vertical slice
//!   regulators expect beside any waterfall; the same on the *significant-redemption* scenarios:
//!   those whose requested outflow within 30 days reaches `significant_redemption` (default 10%
//!   of NAV, more than the example's 7% cash can pay), measured on one *reference run* that is
//!   none of the compared strategies: the fund as it is with the endogenous channels off
//!   ([`REFERENCE_OFF`]: permanent impact, crowding, herding, liquidity concern), so that the
//!   fund's own sales cannot move the redemptions that select a scenario. Every strategy is
//!   compared on the same scenarios, and the selection cannot favour the strategy it was
//!   measured on (before, the pro-rata run chose them);
//! - **MTM loss**: the kernel's `mtm_loss`, the loss on what the fund still holds at the horizon
//!   from its own impact still in the price, bps of initial NAV; shown beside the cost and
//!   added to it wherever strategies are ranked;
//! - **alpha forgone**: `Σ_p (α_p / 252) Σ_t q_p(t) (H − 1 − t)`, bps of initial NAV — each
//!   position's expected annual alpha `α_p`, given up on the value `q_p(t)` sold on day `t` for
//!   the days left in the horizon `H`;
//! - **style drift**: `max_c |w_c / w̄_c − 1|` over the classes, `w_c` the class's share of the
//!   holdings' value at the horizon and `w̄_c` its share in the portfolio the fund would hold had
//!   it sold nothing (the day-0 holdings at the horizon's prices). Measuring against that
//!   portfolio rather than the day-0 weights keeps market moves, common to every strategy, out of
//!   the strategy's drift; the drift from the day-0 weights themselves (`style_drift_vs_target`,
//!   the target the kernel's `balanced` strategy keeps to) is reported beside it;
//! - **factor deviation**: the largest relative difference, at the horizon, between the
//!   holdings' value-weighted exposures and those of the same no-sale portfolio, for rates
//!   (modified duration), credit spreads (duration of the positions on the spread route) and
//!   volatility (a beta proxy); exposures that are zero without sales are skipped;
//! - shortfall and gate frequencies; the residual portfolio's illiquid share at the horizon
//!   (mean, 95th percentile) and the share of scenarios whose illiquid share breached the 15% limit.
//!
//! **Weighted objective.** Three criteria, each lower-is-better: impact (mean cost plus mean MTM
//! loss: a strategy that sells cheaply but leaves its own impact in the price of what it keeps is
//! not cheap), alpha (mean
//! alpha forgone) and balance (mean over scenarios of
//! `max(style drift / max_style_drift, factor deviation / max_factor_deviation)`, the portfolio's
//! distortion measured against its limits). Each is normalised min–max across the four strategies
//! (best 1, worst 0; all 1 when they tie); the score is their mean weighted 0.5 / 0.3 / 0.2 (the
//! use case's `minimize_impact`, `preserve_alpha`, `maintain_balance`; weights divided by their
//! sum). Rank 1 is the highest score (ties:
//! the lower mean cost). A strategy keeps **within its limits** when the share of scenarios in
//! which its style drift exceeds `max_style_drift`, and the share in which its factor deviation
//! exceeds `max_factor_deviation`, are both at most `limit_tolerance` (default 5%). The
//! recommended strategy is the best-ranked one within its limits, or the best-ranked one when none is.
//!
//! # The liquidation hierarchy
//!
//! Each position's *stressed cost per unit sold* is the kernel's cost rate `s/2 + I(u)` for a
//! reference sale — one day at the participation cap (at most the whole position) — in the
//! highly stressed condition (stage 1's conditions: every class multiplier at the scenario set's
//! 95th percentile, at full stress). Positions go to the use case's seven layers by this rule:
//!
//! 1. **cash equivalents**: the cash-like buffer tier or a cash-like class;
//! 2. **short-duration sovereigns**: the sovereign buffer tier, or a fixed-income position priced
//!    off the rate shock with a duration of at most `short_duration_years` (3);
//! 3. then, a holding that can only be sold on redemption windows, or that stage 1 buckets as
//!    illiquid (SEC 22e-4, normal markets), is an **illiquid asset** (layer 7);
//! 4. the others are *liquid* when stage 1's liquidity score is at least `liquid_min_score` (3:
//!    on average sellable within 7 days at no more than 2% cost per unit, settling within 7 days)
//!    and the sale settles by the redemption date; equities (and the ETF tier) go to **liquid
//!    equities** (3) or **less liquid equities** (5), fixed income and credit to **liquid credit**
//!    (4) or **less liquid credit** (6); alternatives that are liquid (listed commodities, say)
//!    go with the liquid equities (3), the rest to the illiquid assets (7).
//!
//! Within a layer, positions that settle after the redemption date go last, then by stressed cost
//! per unit, cheapest first. The hierarchy is the sale order of the fifth run (not rerun when the
//! fund's own waterfall order is already the hierarchy's; not ranked with the four strategies).
//!
//! # The use case's claim
//!
//! "The hierarchy reduces market impact costs by about 30% in significant redemption scenarios
//! compared with the previous approach." The previous approach is the vertical slice (pro rata);
//! the reduction is `1 − mean impact(hierarchy waterfall) / mean impact(pro_rata)` over the
//! significant-redemption scenarios. The measure is market impact, as the claim says
//! (the use case lists transaction cost and market impact as separate criteria), with the MTM
//! loss from the fund's own impact counted (below); the reduction of the full cost of trading,
//! spread included, is quoted beside it. The claim **holds** when the
//! reduction lies within `claim_band` (default 20–40%: "about 30%"); a larger reduction means the
//! claim understates it, a smaller or negative one that it does not hold. The reductions against
//! the fund's own waterfall order, and the recommended strategy's, are quoted too.
//!
//! **Re-judged** (issue 10): the measure is market impact *plus* the MTM loss the fund's own
//! impact leaves on what it keeps (impact alone is quoted beside it), on scenarios chosen by the
//! reference run. The verdict carries intervals: the paired per-scenario difference with its
//! standard error, an approximate 95% interval of the reduction (delta method:
//! `se = sd(h_i − r p_i) / (√n p̄)`), and the share of significant scenarios in which the hierarchy
//! beats pro rata with a Wilson 95% interval. `interval_verdict` states what the interval
//! supports; `verdict` is the point estimate's.
//!
//! # Execution
//!
//! The amount to execute is, unless given, the 95th percentile over scenarios of everything the
//! recommended strategy sold over the horizon; it walks down the hierarchy (each position giving
//! up to its weight) and every approach of [`execution`] sells each position's part under normal,
//! stressed (median quantile) and highly stressed (95th percentile) conditions. The
//! cheapest feasible approach per condition is the execution choice ([`choice`]).
//!
//! # Code map
//!
//! [`strategies`] (each run measured, summarised and ranked), [`mod@hierarchy`] (the sale order and
//! the claim), [`execution`]; settings in [`config`], findings in [`findings`], tables in
//! [`tables`].

pub mod choice;
pub mod config;
pub mod execution;
pub mod findings;
pub mod hierarchy;
pub mod strategies;
pub mod tables;

use serde::Serialize;
use undertow_kernel::{strategy, FundModel, ScenarioParams, MAX_CLASSES, NEVER};

use crate::market_liquidity::{Bucket, Condition, MarketLiquidityReport};
use crate::sim::Simulator;
pub use config::{LiquidationConfig, LiquidationWeights};
use execution::{execution_row, ExecutionRow, ExecutionSettings, APPROACHES};
use hierarchy::{allocate, hierarchy, judge};
use strategies::{
    end_measures, mean, measure, reduction, score_and_rank, share, sorted, summarise, RunMeasures,
};
use undertow_host::aggregate::quantile;
use undertow_host::fund::Fund;

/// Strategies in report order, with their kernel codes.
pub const STRATEGIES: [(&str, u32); 4] = [
    ("waterfall", strategy::WATERFALL),
    ("pro_rata", strategy::PRO_RATA),
    ("min_cost", strategy::MIN_COST),
    ("balanced", strategy::BALANCED),
];

/// The use case's seven layers, in sale order.
pub const LAYERS: [&str; 7] = [
    "cash_equivalents",
    "short_duration_sovereigns",
    "liquid_equities",
    "liquid_credit",
    "less_liquid_equities",
    "less_liquid_credit",
    "illiquid_assets",
];

/// Conditions of the execution table.
pub const CONDITIONS: [&str; 3] = ["normal", "stressed", "highly_stressed"];

/// The use case's claim about the hierarchy.
pub const CLAIM: &str = "the hierarchy reduces market impact costs by about 30% in significant \
                         redemption scenarios compared with the previous approach";

/// A histogram of costs.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Histogram {
    /// `bins + 1` edges, bps of initial NAV; the last bin includes its upper edge.
    pub edges_bps: Vec<f64>,
    pub counts: Vec<u64>,
}

impl Histogram {
    fn of(values: &[f64], edges: &[f64]) -> Histogram {
        let bins = edges.len().saturating_sub(1);
        let mut counts = vec![0u64; bins];
        if bins > 0 {
            let (lo, hi) = (edges[0], edges[bins]);
            let width = (hi - lo) / bins as f64;
            for &v in values {
                let k = if width > 0.0 {
                    (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1)
                } else {
                    0
                };
                counts[k] += 1;
            }
        }
        Histogram {
            edges_bps: edges.to_vec(),
            counts,
        }
    }
}

/// One strategy over the scenarios.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StrategyResult {
    /// "waterfall", "pro_rata", "min_cost", "balanced" (or "hierarchy_waterfall").
    pub strategy: String,
    /// Total liquidation cost (spread and impact) per scenario, bps of initial NAV.
    pub mean_cost_bps: f64,
    pub p50_cost_bps: f64,
    pub p90_cost_bps: f64,
    pub p95_cost_bps: f64,
    pub p99_cost_bps: f64,
    /// The impact part alone, mean, bps.
    pub mean_impact_bps: f64,
    /// Mark-to-market loss at the horizon on what the fund still holds, from its own impact
    /// (the kernel's `mtm_loss`), mean, bps.
    pub mean_mtm_loss_bps: f64,
    /// Cost plus MTM loss, mean, bps: the objective's impact criterion.
    pub mean_cost_with_mtm_bps: f64,
    /// `1 − mean cost / mean cost(pro_rata)`.
    pub reduction_vs_pro_rata: f64,
    /// The same on cost plus MTM loss.
    pub reduction_with_mtm_vs_pro_rata: f64,
    /// Mean cost over the significant-redemption scenarios, bps (`NaN` when there are none).
    pub stressed_mean_cost_bps: f64,
    pub stressed_reduction_vs_pro_rata: f64,
    /// Mean impact part over the significant-redemption scenarios, bps.
    pub stressed_mean_impact_bps: f64,
    /// MTM loss, impact plus MTM loss (the claim's measure), and cost plus MTM loss, over the
    /// significant-redemption scenarios, bps.
    pub stressed_mean_mtm_loss_bps: f64,
    pub stressed_mean_impact_with_mtm_bps: f64,
    pub stressed_mean_cost_with_mtm_bps: f64,
    /// Means over scenarios: alpha forgone (bps of initial NAV), style drift, factor deviation.
    pub alpha_forgone_bps: f64,
    pub style_drift: f64,
    pub factor_deviation: f64,
    /// Mean style drift from the day-0 class weights themselves (market moves included).
    pub style_drift_vs_target: f64,
    /// Mean of `max(style drift / limit, factor deviation / limit)`.
    pub balance: f64,
    /// Shares of scenarios past each limit.
    pub style_breach_frequency: f64,
    pub factor_breach_frequency: f64,
    pub within_limits: bool,
    pub shortfall_frequency: f64,
    pub gate_frequency: f64,
    /// Mean value sold over the horizon, fraction of initial NAV.
    pub mean_sold: f64,
    /// Normalised criteria (1 best, 0 worst among the four strategies) and the weighted score.
    pub impact_score: f64,
    pub alpha_score: f64,
    pub balance_score: f64,
    pub score: f64,
    /// 1 = best; 0 for the hierarchy run, which is not ranked.
    pub rank: u32,
    pub cost_histogram: Histogram,
}

/// One position of the liquidation hierarchy.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HierarchyRow {
    pub rank: u32,
    /// 1 to 7, in [`LAYERS`] order.
    pub layer: u32,
    pub layer_name: String,
    pub position: String,
    pub class: String,
    pub weight: f64,
    /// Cost per unit of a day's sale at the participation cap, highly stressed, bps of the sale.
    pub stressed_cost_bps: f64,
    pub settlement_days: u32,
    /// Days to sell the whole position at the cap, highly stressed.
    pub days_to_liquidate_stressed: f64,
    pub cumulative_weight: f64,
    /// Stage 1's SEC bucket (normal markets) and liquidity score.
    pub bucket: Option<Bucket>,
    pub liquidity_score: Option<f64>,
    /// Proceeds arrive after the redemption date (or only on windows).
    pub settles_late: bool,
    /// Kernel index of the position.
    #[serde(skip)]
    pub index: usize,
}

/// The residual portfolio at the horizon under one strategy.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResidualRow {
    pub strategy: String,
    pub illiquid_share_mean: f64,
    pub illiquid_share_p95: f64,
    /// Share of scenarios in which the illiquid share breached the fund's limit (15%).
    pub breach_frequency: f64,
    pub style_drift_mean: f64,
    pub style_drift_vs_target_mean: f64,
    pub factor_deviation_mean: f64,
}

/// The use case's claim judged on this fund (module doc). Costs are means over the
/// significant-redemption scenarios, bps of initial NAV.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HierarchyClaim {
    pub claim: &'static str,
    pub significant_redemption: f64,
    pub significant_scenarios: u64,
    /// Market impact (the claim's measure) of the hierarchy's waterfall, the pro-rata slice, the
    /// fund's own waterfall order and the recommended strategy.
    pub hierarchy_impact_bps: f64,
    pub pro_rata_impact_bps: f64,
    pub fund_waterfall_impact_bps: f64,
    pub recommended_impact_bps: f64,
    /// `1 − hierarchy / pro_rata` on market impact plus MTM loss: the claim's number.
    pub reduction_vs_pro_rata: f64,
    /// Approximate 95% interval of `reduction_vs_pro_rata` (delta method on the paired
    /// per-scenario measures; `[NaN, NaN]` with fewer than two scenarios).
    pub reduction_ci: [f64; 2],
    /// Mean per-scenario difference hierarchy − pro rata of impact plus MTM loss, bps, and its
    /// standard error.
    pub paired_difference_bps: f64,
    pub paired_difference_se_bps: f64,
    /// Share of significant scenarios in which the hierarchy's impact plus MTM loss is lower
    /// than pro rata's, with its Wilson 95% interval.
    pub hierarchy_beats_pro_rata: f64,
    pub hierarchy_beats_pro_rata_ci: [f64; 2],
    /// Impact plus MTM loss of the hierarchy and pro rata, bps.
    pub hierarchy_impact_with_mtm_bps: f64,
    pub pro_rata_impact_with_mtm_bps: f64,
    /// The reduction on market impact alone (the measure before MTM loss counted).
    pub impact_only_reduction_vs_pro_rata: f64,
    /// How the significant-redemption scenarios were chosen.
    pub selection: &'static str,
    /// Against the fund's own waterfall order, on market impact.
    pub reduction_vs_fund_waterfall: f64,
    /// The fund's waterfall order is the hierarchy's (one run serves both).
    pub same_order_as_fund: bool,
    /// The recommended strategy against pro rata, on market impact.
    pub recommended_reduction_vs_pro_rata: f64,
    /// Total trading cost (spread and impact) of the hierarchy and pro rata, and its reduction.
    pub hierarchy_cost_bps: f64,
    pub pro_rata_cost_bps: f64,
    pub total_cost_reduction_vs_pro_rata: f64,
    pub band: [f64; 2],
    pub holds: bool,
    /// "holds", "understated" (larger than the band), "overstated" (positive, below the band),
    /// "no_reduction", or "no_significant_scenarios".
    pub verdict: &'static str,
    /// The verdict of the interval: "holds" (inside the band), "understated" / "overstated"
    /// (wholly above / below it, positive), "no_reduction" (wholly at or below 0), "undecided"
    /// (it straddles a bound of the band or 0), "no_significant_scenarios".
    pub interval_verdict: &'static str,
}

/// Two strategies compared scenario by scenario on cost plus MTM loss (bps of initial NAV).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PairedComparison {
    pub strategy: String,
    pub other: String,
    /// Mean of `strategy − other`, and its standard error.
    pub difference_bps: f64,
    pub difference_se_bps: f64,
    /// Share of scenarios in which `strategy` costs strictly less, with its Wilson 95% interval.
    pub wins: f64,
    pub wins_ci: [f64; 2],
}

/// A market condition of the execution table.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConditionUsed {
    pub name: String,
    /// Scenario-set quantile of the class shocks; `None` for normal markets.
    pub quantile: Option<f64>,
    pub block_discount: f64,
}

/// Stage 4's output (`liquidation_design` in `summary.json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LiquidationReport {
    /// The scenario set the statistics are conditional on (the main sweep's: the stress library).
    pub conditional_on: &'static str,
    pub scenarios: u64,
    pub horizon_days: u32,
    pub objective_weights: LiquidationWeights,
    pub max_style_drift: f64,
    pub max_factor_deviation: f64,
    pub significant_redemption: f64,
    pub significant_scenarios: u64,
    /// Waterfall (the fund's order), pro rata, min cost, balanced.
    pub strategies: Vec<StrategyResult>,
    pub recommended: String,
    /// The recommended strategy against the best-ranked other one, scenario by scenario on cost
    /// plus MTM loss (`None` with one strategy).
    pub recommended_vs_runner_up: Option<PairedComparison>,
    /// The waterfall in the hierarchy's order (not ranked).
    pub hierarchy_waterfall: StrategyResult,
    pub claim: HierarchyClaim,
    pub execution: Vec<ExecutionRow>,
    pub execution_conditions: Vec<ConditionUsed>,
    /// How the amount was chosen ("p95 of sales under min_cost", "given").
    pub execution_amount_basis: String,
    pub participation: f64,
    pub time_slicing_days: u32,
    pub risk_aversion: f64,
    pub block_limit_adv: f64,
    pub hierarchy: Vec<HierarchyRow>,
    pub residual: Vec<ResidualRow>,
    /// The cheapest feasible execution approach per condition ([`choice::execution_choice`]).
    pub execution_choice: Vec<choice::ExecutionChoice>,
}

impl LiquidationReport {
    /// A strategy's result by name (the four strategies, or "hierarchy_waterfall").
    pub fn strategy(&self, name: &str) -> Option<&StrategyResult> {
        self.strategies
            .iter()
            .chain(std::iter::once(&self.hierarchy_waterfall))
            .find(|s| s.strategy == name)
    }

    /// The recommended strategy's result.
    pub fn recommended_result(&self) -> Option<&StrategyResult> {
        self.strategy(&self.recommended)
    }
}

/// The normal condition: every class multiplier neutral.
fn normal_condition(n_classes: usize) -> Condition {
    Condition {
        name: "normal".into(),
        quantile: None,
        spread_mult: vec![1.0; n_classes],
        volume_cut: vec![0.0; n_classes],
        depth_cut: vec![0.0; n_classes],
        vol_mult: vec![1.0; n_classes],
    }
}

/// Stage 1's condition at quantile `q` when it has one, otherwise measured on `scenarios`.
fn stressed_condition(
    market: &MarketLiquidityReport,
    scenarios: &[ScenarioParams],
    n_classes: usize,
    q: f64,
) -> Condition {
    market
        .conditions
        .iter()
        .find(|c| c.quantile.is_some_and(|cq| (cq - q).abs() < 1e-9))
        .cloned()
        .unwrap_or_else(|| {
            if scenarios.is_empty() {
                normal_condition(n_classes)
            } else {
                Condition::stressed(scenarios, n_classes, q)
            }
        })
}

/// The model with `strategy` and, for the hierarchy run, the sale order.
fn variant(fund: &Fund, code: u32, order: Option<&[u32]>, cfg: &LiquidationConfig) -> FundModel {
    let mut m = fund.model.clone();
    m.params.strategy = code;
    if code == strategy::BALANCED {
        m.params.max_style_drift = cfg.max_style_drift as f32;
    }
    if let Some(o) = order {
        m.waterfall_order = o.to_vec();
    }
    m
}

/// The models the designer compares, in this order: each of [`STRATEGIES`], then, when `order`
/// is given and differs from the fund's, the waterfall in that order (the hierarchy's).
pub fn variant_models(
    fund: &Fund,
    order: Option<&[u32]>,
    cfg: &LiquidationConfig,
) -> Vec<FundModel> {
    let mut models: Vec<FundModel> = STRATEGIES
        .iter()
        .map(|&(_, code)| variant(fund, code, None, cfg))
        .collect();
    if let Some(order) = order.filter(|o| *o != fund.model.waterfall_order.as_slice()) {
        models.push(variant(fund, strategy::WATERFALL, Some(order), cfg));
    }
    models
}

/// Runs stage 4 on the first `cfg.scenarios` of `scenarios` (indices from 0, the run's seed).
/// `market` is stage 1's report (conditions, buckets, scores). Settings are assumed valid
/// ([`LiquidationConfig::validate`]).
pub fn design(
    fund: &Fund,
    market: &MarketLiquidityReport,
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
    cfg: &LiquidationConfig,
) -> LiquidationReport {
    let n = (cfg.scenarios as usize).min(scenarios.len());
    let sc = &scenarios[..n];
    let n_classes = fund.classes.len().min(MAX_CLASSES);
    let stressed = stressed_condition(market, sc, n_classes, cfg.stressed_quantile);
    let highly = stressed_condition(market, sc, n_classes, cfg.highly_stressed_quantile);
    let hier = hierarchy(fund, market, &highly, cfg);
    let order: Vec<u32> = hier.iter().map(|r| r.index as u32).collect();

    // Every strategy on the same scenarios; the hierarchy's waterfall reruns only when its order
    // differs from the fund's. The strategies' paths agree until the first day with something
    // to sell, so all but one are followed along it (`Simulator::run_variants_with_positions`).
    let models = variant_models(fund, Some(&order), cfg);
    let with_hierarchy = models.len() > STRATEGIES.len();
    let mut runs: Vec<RunMeasures> = sim
        .run_variants_with_positions(&models, sc, 0, seed, end_measures)
        .into_iter()
        .map(|(outs, ends)| measure(outs, &ends))
        .collect();
    let hierarchy_run = if with_hierarchy { runs.pop() } else { None };

    // Significant redemptions, chosen on the reference run (module doc): the same scenarios for
    // every strategy, chosen without looking at any compared strategy's run.
    let reference = sim.run(&reference_model(fund), sc, 0, seed);
    let significant = significant_scenarios(&reference, cfg.significant_redemption);

    let edges = cost_edges(&runs, hierarchy_run.as_ref(), cfg);

    let mut rows: Vec<StrategyResult> = STRATEGIES
        .iter()
        .zip(&runs)
        .map(|(&(name, _), m)| summarise(name, m, &significant, &edges, cfg))
        .collect();
    let mut hier_result = summarise(
        "hierarchy_waterfall",
        hierarchy_run.as_ref().unwrap_or(&runs[0]),
        &significant,
        &edges,
        cfg,
    );
    let (pr_mean, pr_stressed) = (rows[1].mean_cost_bps, rows[1].stressed_mean_cost_bps);
    for r in rows.iter_mut().chain(std::iter::once(&mut hier_result)) {
        r.reduction_vs_pro_rata = reduction(r.mean_cost_bps, pr_mean);
        r.stressed_reduction_vs_pro_rata = reduction(r.stressed_mean_cost_bps, pr_stressed);
    }
    let pr_mtm = rows[1].mean_cost_with_mtm_bps;
    for r in rows.iter_mut().chain(std::iter::once(&mut hier_result)) {
        r.reduction_with_mtm_vs_pro_rata = reduction(r.mean_cost_with_mtm_bps, pr_mtm);
    }
    let best = score_and_rank(&mut rows, &mut hier_result, &cfg.weights);
    let claim_measure = |m: &RunMeasures| -> Vec<f64> {
        significant
            .iter()
            .map(|&i| m.impact_bps[i] + m.mtm_bps[i])
            .collect()
    };
    let claim = judge(
        cfg,
        significant.len(),
        hierarchy_run.is_none(),
        [&rows[1], &rows[0], &hier_result, &rows[best]],
        &claim_measure(hierarchy_run.as_ref().unwrap_or(&runs[0])),
        &claim_measure(&runs[1]),
    );

    let residual = residual_rows(&runs, hierarchy_run.as_ref());
    let recommended_vs_runner_up = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .min_by_key(|(_, r)| r.rank)
        .map(|(j, other)| {
            let with_mtm = |m: &RunMeasures| -> Vec<f64> {
                m.cost_bps
                    .iter()
                    .zip(&m.mtm_bps)
                    .map(|(c, x)| c + x)
                    .collect()
            };
            let c = hierarchy::paired_reduction(&with_mtm(&runs[best]), &with_mtm(&runs[j]));
            PairedComparison {
                strategy: rows[best].strategy.clone(),
                other: other.strategy.clone(),
                difference_bps: c.difference,
                difference_se_bps: c.difference_se,
                wins: c.wins,
                wins_ci: c.wins_ci,
            }
        });

    // Execution of a large sale down the hierarchy.
    let participation = cfg
        .participation
        .unwrap_or(fund.model.params.participation_cap as f64);
    let (amount, basis) = execution_amount(cfg, &runs[best], &rows[best].strategy);
    let sales = allocate(&hier, amount);
    let conditions = [normal_condition(n_classes), stressed, highly];
    let (execution, used) = execution_table(fund, cfg, &conditions, &sales, participation);
    runs.clear();

    LiquidationReport {
        scenarios: n as u64,
        conditional_on: crate::stats::STRESS_LIBRARY,
        horizon_days: fund.model.params.horizon,
        objective_weights: cfg.weights,
        max_style_drift: cfg.max_style_drift,
        max_factor_deviation: cfg.max_factor_deviation,
        significant_redemption: cfg.significant_redemption,
        significant_scenarios: significant.len() as u64,
        recommended: rows[best].strategy.clone(),
        recommended_vs_runner_up,
        strategies: rows,
        hierarchy_waterfall: hier_result,
        claim,
        execution_choice: choice::execution_choice(&execution),
        execution,
        execution_conditions: used,
        execution_amount_basis: basis,
        participation,
        time_slicing_days: cfg.time_slicing_days,
        risk_aversion: cfg.risk_aversion,
        block_limit_adv: cfg.block_limit_adv,
        hierarchy: hier,
        residual,
    }
}

/// The endogenous channels switched off in the reference run: with them off, the fund's own
/// sales cannot move its redemptions (no own price impact, no crowding, no herding on its
/// outflows, no concern about its liquidity).
pub const REFERENCE_OFF: u32 = undertow_kernel::switch::PERM_IMPACT
    | undertow_kernel::switch::CROWDING
    | undertow_kernel::switch::FEEDBACK_HERD
    | undertow_kernel::switch::FEEDBACK_LIQ;

/// The reference run's model: the fund as it is (its own strategy) with [`REFERENCE_OFF`] off.
pub fn reference_model(fund: &Fund) -> FundModel {
    crate::sim::without(&fund.model, REFERENCE_OFF)
}

/// Indices of the significant-redemption scenarios: requests within 30 days (horizon index 2)
/// of at least `level` of initial NAV in the reference run's records.
pub fn significant_scenarios(
    reference: &[undertow_kernel::ScenarioOutput],
    level: f64,
) -> Vec<usize> {
    reference
        .iter()
        .enumerate()
        .filter(|(_, o)| o.cum_requested[2] as f64 >= level)
        .map(|(i, _)| i)
        .collect()
}

/// Histogram edges shared by every run: `histogram_bins` equal bins from 0 to the largest cost.
fn cost_edges(
    runs: &[RunMeasures],
    hierarchy_run: Option<&RunMeasures>,
    cfg: &LiquidationConfig,
) -> Vec<f64> {
    let max_cost = runs
        .iter()
        .chain(hierarchy_run)
        .flat_map(|m| m.cost_bps.iter().copied())
        .fold(0.0f64, f64::max);
    let bins = cfg.histogram_bins.max(1) as usize;
    let top = if max_cost > 0.0 { max_cost } else { 1.0 };
    (0..=bins).map(|k| top * k as f64 / bins as f64).collect()
}

/// The residual portfolio after each strategy's run (the hierarchy's waterfall last: the
/// fund's own waterfall when the orders agree).
fn residual_rows(runs: &[RunMeasures], hierarchy_run: Option<&RunMeasures>) -> Vec<ResidualRow> {
    STRATEGIES
        .iter()
        .map(|&(name, _)| name)
        .chain(std::iter::once("hierarchy_waterfall"))
        .zip(
            runs.iter()
                .chain(std::iter::once(hierarchy_run.unwrap_or(&runs[0]))),
        )
        .map(|(name, m)| {
            let ill: Vec<f64> = m.outputs.iter().map(|o| o.illiquid_end as f64).collect();
            let s = sorted(&ill);
            ResidualRow {
                strategy: name.to_string(),
                illiquid_share_mean: mean(&ill),
                illiquid_share_p95: if s.is_empty() {
                    0.0
                } else {
                    quantile(&s, 0.95)
                },
                breach_frequency: share(
                    m.outputs
                        .iter()
                        .filter(|o| o.first_illiquid_breach_day != NEVER)
                        .count(),
                    m.outputs.len(),
                ),
                style_drift_mean: mean(&m.style),
                style_drift_vs_target_mean: mean(&m.style_vs_target),
                factor_deviation_mean: mean(&m.factor),
            }
        })
        .collect()
}

/// The amount the execution table sells, and how it was chosen: the setting, or a quantile of
/// what the recommended strategy (`run`, named `strategy`) sold over the horizon.
fn execution_amount(cfg: &LiquidationConfig, run: &RunMeasures, strategy: &str) -> (f64, String) {
    match cfg.execution_amount {
        Some(a) => (a, "given".to_string()),
        None => {
            let s = sorted(&run.sold);
            let a = if s.is_empty() {
                0.0
            } else {
                quantile(&s, cfg.execution_quantile)
            };
            (
                a,
                format!(
                    "the {}% quantile of what {} sold over the horizon",
                    (cfg.execution_quantile * 100.0).round(),
                    strategy
                ),
            )
        }
    }
}

/// Every execution approach selling `sales` under each condition, with the conditions used.
fn execution_table(
    fund: &Fund,
    cfg: &LiquidationConfig,
    conditions: &[Condition; 3],
    sales: &[(usize, f64)],
    participation: f64,
) -> (Vec<ExecutionRow>, Vec<ConditionUsed>) {
    let mut execution = Vec::new();
    let mut used = Vec::new();
    for (k, (cond, name)) in conditions.iter().zip(CONDITIONS).enumerate() {
        let settings = ExecutionSettings {
            participation,
            time_slicing_days: cfg.time_slicing_days,
            risk_aversion: cfg.risk_aversion,
            block_discount: cfg.block_discount[k],
            block_limit_adv: cfg.block_limit_adv,
            max_days: fund.model.params.horizon as f64,
        };
        for approach in APPROACHES {
            execution.push(execution_row(fund, cond, name, sales, approach, &settings));
        }
        used.push(ConditionUsed {
            name: name.to_string(),
            quantile: cond.quantile,
            block_discount: cfg.block_discount[k],
        });
    }
    (execution, used)
}

/// The cheapest feasible approach under a condition, by risk-adjusted cost.
pub fn best_execution<'a>(r: &'a LiquidationReport, condition: &str) -> Option<&'a ExecutionRow> {
    r.execution
        .iter()
        .filter(|e| e.condition == condition && e.feasible)
        .min_by(|a, b| {
            a.risk_adjusted_cost_bps
                .total_cmp(&b.risk_adjusted_cost_bps)
        })
}
