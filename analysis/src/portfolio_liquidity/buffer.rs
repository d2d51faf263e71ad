//! Stage 3, part one: liquidity needs (liquidity at risk) and the buffer search.
//!
//! Each composition of cash, short sovereigns and liquid ETFs becomes a variant of the fund: cash
//! is the fund's `cash`, the two instruments are added as buffer-tier positions, and the
//! investment positions are scaled pro rata to fund them. Every variant runs the same scenario
//! records with the same seed and indices (common random numbers), over the buffer horizon.
//!
//! - coverage: the buffer alone met the redemptions (never exhausted, no shortfall, no gate);
//!   gates are off during the search unless asked for, so that coverage measures the buffer and
//!   not the gate policy (the redemption-policy stage's subject);
//! - survival: no shortfall and no gate;
//! - opportunity cost: `Σ tier weight × (expected portfolio return − tier yield)`, bps a year;
//! - expected liquidation cost: mean spread and impact cost over the horizon, bps of NAV.

use std::path::Path;

use serde::Serialize;
use undertow_kernel::{switch, ScenarioOutput, ScenarioParams, HORIZONS};

use super::config::{BufferConfig, BufferInstrument, Composition, ObjectiveWeights};
use super::recommendation::{self, BufferRecommendation};
use crate::sim::{with_horizon, without, Simulator};
use crate::stats::{verdict, Proportion, Verdict};
use crate::AnalysisError;
use undertow_format::text::pct;
use undertow_host::aggregate::{covered, quantile, survived, total_cost, LAR_CONFIDENCES};
use undertow_host::fund::spec::{PositionSpec, PriceRoute, Tier};
use undertow_host::fund::{build_fund, Fund, FundError};

/// One row of the liquidity-at-risk table.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LarRow {
    pub horizon_days: u32,
    /// Quantiles of cumulative requested outflow at [`LAR_CONFIDENCES`], fraction of NAV...
    pub lar: [f64; 3],
    /// ...and in currency.
    pub lar_currency: [f64; 3],
}

/// Liquidity needs from the main sweep.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LiquidityNeeds {
    pub scenarios: u64,
    pub confidences: [f64; 3],
    pub rows: Vec<LarRow>,
    /// The fund's cash and its cash plus buffer-tier holdings, fractions of NAV.
    pub cash: f64,
    pub cash_and_buffer_tiers: f64,
}

impl LiquidityNeeds {
    pub fn of(fund: &Fund, outputs: &[ScenarioOutput]) -> LiquidityNeeds {
        let rows = HORIZONS
            .iter()
            .enumerate()
            .map(|(k, &h)| {
                let mut v: Vec<f64> = outputs.iter().map(|o| o.cum_requested[k] as f64).collect();
                v.sort_by(|a, b| a.total_cmp(b));
                let lar = LAR_CONFIDENCES.map(|c| quantile(&v, c));
                LarRow {
                    horizon_days: h,
                    lar,
                    lar_currency: lar.map(|x| x * fund.aum),
                }
            })
            .collect();
        let cash = fund.model.params.initial_cash as f64;
        let tiers: f64 = fund
            .model
            .positions
            .iter()
            .filter(|p| p.tier != undertow_kernel::tier::NONE)
            .map(|p| p.weight as f64)
            .sum();
        LiquidityNeeds {
            scenarios: outputs.len() as u64,
            confidences: LAR_CONFIDENCES,
            rows,
            cash,
            cash_and_buffer_tiers: cash + tiers,
        }
    }

    /// LaR at a horizon and confidence, when both are in the table.
    pub fn at(&self, horizon_days: u32, confidence: f64) -> Option<f64> {
        let k = self
            .confidences
            .iter()
            .position(|c| (c - confidence).abs() < 1e-9)?;
        self.rows
            .iter()
            .find(|r| r.horizon_days == horizon_days)
            .map(|r| r.lar[k])
    }
}

/// What one composition achieved.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompositionResult {
    pub label: String,
    pub cash: f64,
    pub sovereign: f64,
    pub etf: f64,
    pub total: f64,
    pub coverage: f64,
    /// Wilson 95% interval of the coverage ([`crate::stats`]) over the scenarios simulated.
    pub coverage_low: f64,
    pub coverage_high: f64,
    /// The coverage against the target with its interval: `meets` only when the lower end
    /// clears it, `not_distinguishable` when the interval contains it, `misses` when the upper
    /// end is below it.
    pub target_verdict: Verdict,
    pub survival: f64,
    pub gate_frequency: f64,
    pub shortfall_frequency: f64,
    pub opportunity_cost_bps: f64,
    /// Mean and 99th percentile of liquidation cost over the horizon, bps of NAV.
    pub expected_cost_bps: f64,
    pub cost_p99_bps: f64,
    /// `target_verdict` is `meets`.
    pub meets_target: bool,
    /// No other composition has at least its coverage at a lower opportunity cost.
    pub on_frontier: bool,
    /// Normalised objective components (0 worst to 1 best among the compositions searched).
    pub safety_score: f64,
    pub cost_score: f64,
    pub operational_score: f64,
    /// Weighted objective and its rank (1 best).
    pub score: f64,
    pub rank: usize,
}

impl CompositionResult {
    pub fn composition(&self) -> Composition {
        Composition::new(&self.label, self.cash, self.sovereign, self.etf)
    }

    /// "8% cash + 5% sovereigns + 4% ETFs".
    pub fn describe(&self) -> String {
        self.composition().describe()
    }
}

/// The tier yields and the return they are measured against.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Yields {
    pub expected_return: f64,
    pub cash: f64,
    pub sovereign: f64,
    pub etf: f64,
}

impl Yields {
    /// Annual carry given up, basis points of NAV.
    pub fn opportunity_cost_bps(&self, c: &Composition) -> f64 {
        1e4 * (c.cash * (self.expected_return - self.cash)
            + c.sovereign * (self.expected_return - self.sovereign)
            + c.etf * (self.expected_return - self.etf))
    }
}

/// The buffer search.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferSearch {
    /// Scenarios simulated per composition, and the days they cover.
    pub scenarios: u64,
    pub horizon_days: u32,
    pub target_coverage: f64,
    pub weights: ObjectiveWeights,
    pub yields: Yields,
    pub sovereign: BufferInstrument,
    pub etf: BufferInstrument,
    /// Whether the fund's own buffer-tier holdings counted toward the buffer.
    pub keep_fund_tiers: bool,
    /// Whether the fund's gates stayed on (off: coverage is the buffer's alone).
    pub with_gates: bool,
    /// In the order evaluated: the static buffer first, the named compositions, then the grid.
    pub results: Vec<CompositionResult>,
    /// Index into `results` of the cheapest composition meeting the target.
    pub cheapest_meeting_target: Option<usize>,
    /// Index of the best by the weighted objective.
    pub best_ranked: Option<usize>,
    /// Indices of the efficient frontier, cheapest first.
    pub frontier: Vec<usize>,
    /// The composition recommended, and why ([`super::recommendation::recommend`]).
    pub recommended: Option<BufferRecommendation>,
    /// Index of the fund's static buffer.
    pub static_index: Option<usize>,
    /// Index of the use case's recommended composition, when it was searched.
    pub use_case_index: Option<usize>,
    /// The scenario set the coverages and verdicts are conditional on.
    pub conditional_on: &'static str,
    /// Why the search does not apply to this fund (it then has no results), in the user's terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
}

impl BufferSearch {
    pub fn by_label(&self, label: &str) -> Option<&CompositionResult> {
        self.results.iter().find(|r| r.label == label)
    }
    pub fn cheapest(&self) -> Option<&CompositionResult> {
        self.cheapest_meeting_target.map(|i| &self.results[i])
    }
    pub fn best(&self) -> Option<&CompositionResult> {
        self.best_ranked.map(|i| &self.results[i])
    }
}

/// The fund holding composition `comp`: cash set, the buffer instruments added, the investment
/// positions scaled pro rata. The flag overrides applied to `fund.model` (strategy, impact model,
/// switches, horizon) carry over.
///
/// Errors speak in the user's terms: the composition's label and the analysis setting at fault
/// (`buffer.sovereign.settlement_days`), never the positions the search adds on its own. Each
/// instrument is checked against the fund before the variant is built;
/// anything the fund checks still find is mapped back to the same terms.
pub fn composition_fund(
    fund: &Fund,
    comp: &Composition,
    cfg: &BufferConfig,
) -> Result<Fund, AnalysisError> {
    let fail = |reason: String| AnalysisError::Composition {
        label: comp.label.clone(),
        reason,
    };
    let mut spec = fund.spec.clone();
    let invested: f64 = spec.positions.iter().map(|p| p.weight).sum();
    let remaining = 1.0 - comp.total();
    if remaining <= 0.0 || invested <= 0.0 {
        return Err(fail(format!(
            "{} leaves nothing to invest (the buffer totals {})",
            comp.describe(),
            pct(comp.total())
        )));
    }
    let scale = remaining / invested;
    for p in &mut spec.positions {
        p.weight *= scale;
        if !cfg.keep_fund_tiers {
            p.tier = Tier::None;
        }
    }
    spec.fund.cash = comp.cash;
    // Where each added instrument sits in the variant's positions, with its setting path.
    let mut added: Vec<(usize, &str)> = Vec::new();
    for (setting, inst, weight, tier) in [
        (SOVEREIGN, &cfg.sovereign, comp.sovereign, Tier::Sovereign),
        (ETF, &cfg.etf, comp.etf, Tier::Etf),
    ] {
        if weight > 0.0 {
            let class = check_instrument(fund, setting, inst).map_err(&fail)?;
            let mut position = buffer_position(inst, &class, weight, tier);
            position.id = unused_id(&spec.positions, &inst.id);
            added.push((spec.positions.len(), setting));
            spec.positions.push(position);
        }
    }
    let mut out =
        build_fund(spec, &fund.source, Path::new("")).map_err(|e| fail(in_settings(&e, &added)))?;
    let (from, to) = (&fund.model.params, &mut out.model.params);
    to.strategy = from.strategy;
    to.impact_model = from.impact_model;
    to.switches = from.switches;
    to.horizon = from.horizon;
    Ok(out)
}

/// Setting path of the sovereign buffer instrument.
const SOVEREIGN: &str = "buffer.sovereign";
/// Setting path of the ETF buffer instrument.
const ETF: &str = "buffer.etf";

/// Checks a buffer instrument against the fund it joins, as the fund checks would check the
/// position it becomes, naming the setting (`{setting}.adv`) rather than the position. Returns
/// the class the instrument joins.
fn check_instrument(fund: &Fund, setting: &str, inst: &BufferInstrument) -> Result<String, String> {
    let class = instrument_class(fund, inst).ok_or_else(|| match &inst.class {
        Some(name) => {
            let names: Vec<&str> = fund.classes.iter().map(|c| c.name.as_str()).collect();
            format!(
                "{setting}.class = {name:?}: the fund has no such class; its classes are: {}",
                names.join(", ")
            )
        }
        None => format!(
            "the fund has no {} class for {setting} ({}): name one with {setting}.class",
            inst.kind.name(),
            inst.label
        ),
    })?;
    let horizon = fund.spec.fund.horizon_days.min(fund.model.params.horizon);
    if inst.settlement_days >= horizon {
        return Err(format!(
            "{setting}.settlement_days = {}: settlement must be shorter than the fund's horizon ({horizon} days)",
            inst.settlement_days
        ));
    }
    let numbers = [
        ("adv", inst.adv),
        ("spread_bps", inst.spread_bps),
        ("vol_annual", inst.vol_annual),
        ("impact", inst.impact),
        ("duration", inst.duration),
        ("convexity", inst.convexity),
    ];
    if let Some((name, v)) = numbers.iter().find(|(_, v)| !v.is_finite()) {
        return Err(format!("{setting}.{name} = {v}: must be a finite number"));
    }
    let aum = fund.spec.fund.aum;
    if !((inst.adv / aum) as f32).is_normal() {
        return Err(format!(
            "{setting}.adv = {}: implausible next to the fund's AUM of {aum} (a daily traded value, in currency)",
            inst.adv
        ));
    }
    if inst.spread_bps >= MAX_SPREAD_BPS {
        return Err(format!(
            "{setting}.spread_bps = {}: a bid-ask spread of 100% of price or more (basis points)",
            inst.spread_bps
        ));
    }
    if inst.price_route != PriceRoute::None && inst.duration == 0.0 {
        return Err(format!(
            "{setting}.duration = 0: the \"{}\" price route needs a duration (with 0 the instrument would ignore the shock)",
            inst.price_route.name()
        ));
    }
    Ok(class)
}

/// Spreads of 100% of price or more are refused, as the fund checks refuse them.
const MAX_SPREAD_BPS: f64 = 10_000.0;

/// `id`, or `id` with a numeric suffix when one of the fund's own positions already has it: the
/// added position is internal, so its id must never collide with a name the user wrote.
fn unused_id(positions: &[PositionSpec], id: &str) -> String {
    let taken = |c: &str| positions.iter().any(|p| p.id == c);
    (1..)
        .map(|k| {
            if k == 1 {
                id.to_string()
            } else {
                format!("{id}_{k}")
            }
        })
        .find(|c| !taken(c))
        .expect("some suffix is free")
}

/// A fund-check error of a composition's variant, with each problem of an added instrument
/// (`positions[16].adv (id "...")`) renamed to its setting (`buffer.sovereign.adv`).
fn in_settings(e: &FundError, added: &[(usize, &str)]) -> String {
    if e.issues().is_empty() {
        return format!("the fund it makes fails the fund checks: {e}");
    }
    let problems: Vec<String> = e
        .issues()
        .iter()
        .map(|i| {
            let field = added
                .iter()
                .find_map(|&(k, setting)| {
                    let column = i.field.strip_prefix(&format!("positions[{k}]."))?;
                    let column = column.split(' ').next().unwrap_or(column);
                    Some(format!("{setting}.{column}"))
                })
                .unwrap_or_else(|| i.field.clone());
            format!("{field} = {}: {}", i.value, i.reason)
        })
        .collect();
    format!(
        "the fund it makes fails the fund checks: {}",
        problems.join("; ")
    )
}

/// The class a buffer instrument joins: the one it names, or the fund's first of its kind.
fn instrument_class(fund: &Fund, inst: &BufferInstrument) -> Option<String> {
    match &inst.class {
        Some(name) => fund
            .classes
            .iter()
            .find(|c| &c.name == name)
            .map(|c| c.name.clone()),
        None => fund
            .classes
            .iter()
            .find(|c| c.kind == inst.kind)
            .map(|c| c.name.clone()),
    }
}

/// The position a buffer instrument becomes in a composition's variant.
fn buffer_position(inst: &BufferInstrument, class: &str, weight: f64, tier: Tier) -> PositionSpec {
    PositionSpec {
        id: inst.id.clone(),
        class: class.to_string(),
        label: inst.label.clone(),
        weight,
        adv: inst.adv,
        spread_bps: inst.spread_bps,
        vol_annual: inst.vol_annual,
        impact: inst.impact,
        settlement_days: inst.settlement_days,
        redemption_window_days: 0,
        tier,
        repo_eligible: inst.repo_eligible,
        duration: inst.duration,
        convexity: inst.convexity,
        price_route: inst.price_route,
        alpha: 0.0,
        illiquid: Some(false),
    }
}

/// Evaluates one composition on `scenarios` (indices from 0, seed `seed`) over the horizon, on
/// the simulator view's device where it has one ([`Simulator::run_on_device`]).
pub fn evaluate(
    fund: &Fund,
    comp: &Composition,
    cfg: &BufferConfig,
    yields: &Yields,
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
) -> Result<CompositionResult, AnalysisError> {
    let variant = composition_fund(fund, comp, cfg)?;
    let mut model = with_horizon(&variant.model, cfg.horizon_days);
    if !cfg.with_gates {
        model = without(&model, switch::GATES);
    }
    // On the stage's device when the run gave it one: every composition and every step of the
    // cash-only search on the same device, so that coverages are compared like with like.
    let outs = sim.run_on_device(&model, scenarios, 0, seed)?;
    Ok(result_of(comp, &outs, yields, cfg.target_coverage))
}

/// Summarises a composition's records.
pub fn result_of(
    comp: &Composition,
    outs: &[ScenarioOutput],
    yields: &Yields,
    target: f64,
) -> CompositionResult {
    let n = outs.len().max(1) as f64;
    let share =
        |f: &dyn Fn(&ScenarioOutput) -> bool| outs.iter().filter(|o| f(o)).count() as f64 / n;
    let mut costs: Vec<f64> = outs.iter().map(total_cost).collect();
    costs.sort_by(|a, b| a.total_cmp(b));
    let coverage = share(&covered);
    let (coverage_low, coverage_high) = interval(outs, covered);
    let target_verdict = verdict(coverage_low, coverage_high, target);
    CompositionResult {
        label: comp.label.clone(),
        cash: comp.cash,
        sovereign: comp.sovereign,
        etf: comp.etf,
        total: comp.total(),
        coverage,
        coverage_low,
        coverage_high,
        target_verdict,
        survival: share(&survived),
        gate_frequency: share(&|o| o.gate_days > 0.0),
        shortfall_frequency: share(&|o| o.shortfall > 0.0),
        opportunity_cost_bps: yields.opportunity_cost_bps(comp),
        expected_cost_bps: costs.iter().sum::<f64>() / n * 1e4,
        cost_p99_bps: quantile(&costs, 0.99) * 1e4,
        meets_target: target_verdict == Verdict::Meets,
        on_frontier: false,
        safety_score: 0.0,
        cost_score: 0.0,
        operational_score: 0.0,
        score: 0.0,
        rank: 0,
    }
}

/// The Wilson 95% interval of the share of `items` for which `f` holds; the whole of [0, 1]
/// when there are none (nothing is known).
pub(crate) fn interval<T>(items: &[T], f: impl Fn(&T) -> bool) -> (f64, f64) {
    Proportion::share(items, f).map_or((0.0, 1.0), |p| (p.low, p.high))
}

/// Runs the search over `compositions`.
pub fn search(
    fund: &Fund,
    compositions: &[Composition],
    cfg: &BufferConfig,
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
) -> Result<BufferSearch, AnalysisError> {
    let yields = Yields {
        expected_return: fund.expected_return,
        cash: cfg.cash_yield,
        sovereign: cfg.sovereign.annual_yield,
        etf: cfg.etf.annual_yield,
    };
    if let Some(why) = not_applicable(fund, cfg) {
        let mut skipped = rank(Vec::new(), cfg, yields, 0);
        skipped.not_applicable = Some(why);
        return Ok(skipped);
    }
    let results = compositions
        .iter()
        .map(|c| evaluate(fund, c, cfg, &yields, scenarios, seed, sim))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rank(results, cfg, yields, scenarios.len() as u64))
}

/// Marks the frontier, scores and ranks the results, and picks the cheapest meeting the target.
pub fn rank(
    mut results: Vec<CompositionResult>,
    cfg: &BufferConfig,
    yields: Yields,
    scenarios: u64,
) -> BufferSearch {
    let span = |f: &dyn Fn(&CompositionResult) -> f64| {
        let lo = results.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = results.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };
    let norm = |x: f64, (lo, hi): (f64, f64)| {
        if hi - lo > 1e-12 {
            (x - lo) / (hi - lo)
        } else {
            1.0
        }
    };
    let cov_span = span(&|r| r.coverage);
    let opp_span = span(&|r| r.opportunity_cost_bps);
    let w = cfg.weights;
    let w_sum = w.safety + w.opportunity_cost + w.operational;
    for r in &mut results {
        r.safety_score = norm(r.coverage, cov_span);
        r.cost_score = 1.0 - norm(r.opportunity_cost_bps, opp_span);
        if opp_span.1 - opp_span.0 <= 1e-12 {
            r.cost_score = 1.0;
        }
        let tiers_used = [r.sovereign, r.etf].iter().filter(|x| **x > 0.0).count();
        r.operational_score = 1.0 - tiers_used as f64 / 2.0;
        r.score = (w.safety * r.safety_score
            + w.opportunity_cost * r.cost_score
            + w.operational * r.operational_score)
            / w_sum;
    }
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&a, &b| {
        results[b]
            .score
            .total_cmp(&results[a].score)
            .then(results[b].coverage.total_cmp(&results[a].coverage))
            .then(
                results[a]
                    .opportunity_cost_bps
                    .total_cmp(&results[b].opportunity_cost_bps),
            )
    });
    for (k, &i) in order.iter().enumerate() {
        results[i].rank = k + 1;
    }

    // Frontier: cheapest first, each with more coverage than every cheaper one.
    let mut by_cost: Vec<usize> = (0..results.len()).collect();
    by_cost.sort_by(|&a, &b| {
        results[a]
            .opportunity_cost_bps
            .total_cmp(&results[b].opportunity_cost_bps)
            .then(results[b].coverage.total_cmp(&results[a].coverage))
    });
    let mut frontier = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for &i in &by_cost {
        if results[i].coverage > best + 1e-12 {
            best = results[i].coverage;
            results[i].on_frontier = true;
            frontier.push(i);
        }
    }
    let cheapest_meeting_target = by_cost.iter().copied().find(|&i| results[i].meets_target);
    BufferSearch {
        scenarios,
        horizon_days: cfg.horizon_days,
        target_coverage: cfg.target_coverage,
        weights: cfg.weights,
        yields,
        sovereign: cfg.sovereign.clone(),
        etf: cfg.etf.clone(),
        keep_fund_tiers: cfg.keep_fund_tiers,
        with_gates: cfg.with_gates,
        best_ranked: order.first().copied(),
        recommended: recommendation::recommend(cheapest_meeting_target, order.first().copied()),
        static_index: recommendation::static_index(&results),
        use_case_index: recommendation::use_case_index(&results),
        results,
        cheapest_meeting_target,
        frontier,
        conditional_on: CONDITIONAL_ON,
        not_applicable: None,
    }
}

/// Why the buffer search cannot apply to `fund`, if it cannot: a fund of only cash has nothing
/// to carve a buffer from, and a horizon no longer than the standard buffer instruments'
/// settlement (a one-day run) leaves no day on which they could pay. Settings the user can fix
/// (an instrument's settlement set beyond a longer horizon) are errors instead
/// ([`composition_fund`]).
pub fn not_applicable(fund: &Fund, cfg: &BufferConfig) -> Option<String> {
    let invested: f64 = fund.spec.positions.iter().map(|p| p.weight).sum();
    if invested <= 0.0 {
        return Some("not applicable: the fund holds only cash".to_string());
    }
    let horizon = fund.model.params.horizon;
    let standard = BufferInstrument::short_sovereigns()
        .settlement_days
        .max(BufferInstrument::liquid_etfs().settlement_days);
    let settle = cfg.sovereign.settlement_days.max(cfg.etf.settlement_days);
    if horizon <= standard && horizon <= settle {
        return Some(format!(
            "not applicable: the buffer instruments settle in {settle} day{}, not within the \
             fund's horizon of {horizon} day{}",
            if settle == 1 { "" } else { "s" },
            if horizon == 1 { "" } else { "s" }
        ));
    }
    None
}

/// Highest cash share the cash-only search tries (the rest of the fund must stay invested).
pub const CASH_ONLY_MAX: f64 = 0.9;
/// Halvings of the cash-only search: a bracket of 0.9 narrows to 0.9/1024, under 0.1% of NAV.
pub const CASH_ONLY_STEPS: u32 = 10;

/// The cheapest cash-only buffer reaching a coverage: the least cash share in `[0, max]` whose
/// coverage, on the same scenarios (common random numbers), is at least the one asked for.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CashOnlyEquivalent {
    /// Coverage to reach (the tiered buffer's own, on the same scenarios).
    pub coverage_needed: f64,
    /// The least cash share seen to reach it (upper end of the final bracket); `None` when even
    /// `searched_up_to` falls short.
    pub cash: Option<f64>,
    /// Its coverage and carry.
    pub coverage: Option<f64>,
    pub opportunity_cost_bps: Option<f64>,
    /// The final bracket's lower end: the least cash share lies in `(cash_low, cash]`.
    pub cash_low: Option<f64>,
    pub searched_up_to: f64,
    /// Carry of cash at `searched_up_to`, bps a year.
    pub max_opportunity_cost_bps: f64,
    pub evaluations: u32,
}

/// Where the cash-only search ended: the least cash share seen to reach the coverage (`cash`,
/// the bracket's upper end), its coverage, and the bracket's lower end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CashBracket {
    pub cash: f64,
    pub coverage: f64,
    pub cash_low: f64,
}

/// Bisection for the least cash share `c` in `[0, max]` with `coverage(c) ≥ needed`, coverage
/// non-decreasing in cash (more cash never pays less on the same scenarios, wherever the model is
/// monotone): `coverage(max)` first (short of it: `None`), then `coverage(0)` (enough: 0), then
/// `steps` halvings keeping `coverage(lo) < needed ≤ coverage(hi)`. Returns the bracket (`None`
/// when even `max` falls short) and the number of evaluations.
pub fn least_cash_reaching<E>(
    mut coverage: impl FnMut(f64) -> Result<f64, E>,
    needed: f64,
    max: f64,
    steps: u32,
) -> Result<(Option<CashBracket>, u32), E> {
    // Coverages are shares of the same scenario count: compare with a tolerance for rounding.
    let reaches = |c: f64| c + 1e-12 >= needed;
    let at_max = coverage(max)?;
    if !reaches(at_max) {
        return Ok((None, 1));
    }
    let at_zero = coverage(0.0)?;
    if reaches(at_zero) {
        let at = CashBracket {
            cash: 0.0,
            coverage: at_zero,
            cash_low: 0.0,
        };
        return Ok((Some(at), 2));
    }
    let (mut lo, mut hi, mut at_hi, mut evaluations) = (0.0, max, at_max, 2);
    for _ in 0..steps {
        let mid = 0.5 * (lo + hi);
        let c = coverage(mid)?;
        evaluations += 1;
        if reaches(c) {
            hi = mid;
            at_hi = c;
        } else {
            lo = mid;
        }
    }
    let at = CashBracket {
        cash: hi,
        coverage: at_hi,
        cash_low: lo,
    };
    Ok((Some(at), evaluations))
}

impl CashOnlyEquivalent {
    /// Searches the cash-only buffer reaching `needed` with `coverage` (the coverage of a
    /// cash-only buffer of a given share) and prices it with `yields`.
    pub fn search<E>(
        coverage: impl FnMut(f64) -> Result<f64, E>,
        needed: f64,
        yields: &Yields,
    ) -> Result<CashOnlyEquivalent, E> {
        let (found, evaluations) =
            least_cash_reaching(coverage, needed, CASH_ONLY_MAX, CASH_ONLY_STEPS)?;
        let carry =
            |c: f64| yields.opportunity_cost_bps(&Composition::new("cash only", c, 0.0, 0.0));
        Ok(CashOnlyEquivalent {
            coverage_needed: needed,
            cash: found.map(|f| f.cash),
            coverage: found.map(|f| f.coverage),
            opportunity_cost_bps: found.map(|f| carry(f.cash)),
            cash_low: found.map(|f| f.cash_low),
            searched_up_to: CASH_ONLY_MAX,
            max_opportunity_cost_bps: carry(CASH_ONLY_MAX),
            evaluations,
        })
    }

    /// Whether a buffer costing `carry_bps` is cheaper than this cash-only one. When cash alone
    /// never reaches the coverage within the search, it would cost more than cash at
    /// `searched_up_to`.
    pub fn dearer_than(&self, carry_bps: f64) -> bool {
        match self.opportunity_cost_bps {
            Some(c) => carry_bps < c,
            None => carry_bps < self.max_opportunity_cost_bps,
        }
    }
}

/// The use case's buffer claim, three ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    /// Cheaper than cash alone at equal coverage, and the coverage's interval clears the target.
    Holds,
    /// Cheaper, but the coverage is not distinguishable from the target.
    Undecided,
    /// No cheaper than cash alone at equal coverage, or the coverage misses the target.
    DoesNotHold,
}

/// The use case's buffer claim judged on a fund: the tiered composition covers at least the
/// target at a lower carry than the cheapest cash-only buffer reaching the same coverage on the
/// same scenarios. Conditional on the scenario set the search ran (`conditional_on`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferClaim {
    pub composition: String,
    pub target_coverage: f64,
    pub coverage: f64,
    /// Wilson 95% interval of the coverage, and the coverage against the target with it.
    pub coverage_low: f64,
    pub coverage_high: f64,
    pub coverage_verdict: Verdict,
    pub opportunity_cost_bps: f64,
    /// The cheapest cash-only buffer reaching the composition's coverage.
    pub cash_only: CashOnlyEquivalent,
    /// Carry below the cash-only buffer's at equal coverage.
    pub cheaper_than_cash_only: bool,
    /// The fund's own static buffer, for context (not the yardstick: a buffer holding less cash
    /// than the composition cannot be the one it is priced against).
    pub static_label: String,
    pub static_coverage: f64,
    pub static_opportunity_cost_bps: f64,
    /// `coverage_verdict` is `meets`.
    pub coverage_met: bool,
    pub verdict: ClaimVerdict,
    /// `verdict` is `holds`.
    pub holds: bool,
    /// The scenario set the verdict is conditional on.
    pub conditional_on: &'static str,
    pub scenarios: u64,
    pub horizon_days: u32,
}

/// What the buffer verdicts are conditional on.
pub const CONDITIONAL_ON: &str = crate::stats::STRESS_LIBRARY;

impl BufferClaim {
    /// The claim judged on a search that evaluated the static buffer (first) and `label`,
    /// against `cash_only` (the cheapest cash-only buffer reaching `label`'s coverage).
    pub fn judge(
        search: &BufferSearch,
        label: &str,
        cash_only: CashOnlyEquivalent,
    ) -> Option<BufferClaim> {
        let r = search.by_label(label)?;
        let s = search.results.first()?;
        let cheaper = cash_only.dearer_than(r.opportunity_cost_bps);
        let verdict = match (cheaper, r.target_verdict) {
            (false, _) | (_, Verdict::Misses) => ClaimVerdict::DoesNotHold,
            (true, Verdict::Meets) => ClaimVerdict::Holds,
            (true, Verdict::NotDistinguishable) => ClaimVerdict::Undecided,
        };
        Some(BufferClaim {
            composition: r.describe(),
            target_coverage: search.target_coverage,
            coverage: r.coverage,
            coverage_low: r.coverage_low,
            coverage_high: r.coverage_high,
            coverage_verdict: r.target_verdict,
            opportunity_cost_bps: r.opportunity_cost_bps,
            cash_only,
            cheaper_than_cash_only: cheaper,
            static_label: s.label.clone(),
            static_coverage: s.coverage,
            static_opportunity_cost_bps: s.opportunity_cost_bps,
            coverage_met: r.target_verdict == Verdict::Meets,
            verdict,
            holds: verdict == ClaimVerdict::Holds,
            conditional_on: CONDITIONAL_ON,
            scenarios: search.scenarios,
            horizon_days: search.horizon_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use undertow_host::fund::Issue;

    #[test]
    fn fund_check_errors_are_renamed_to_settings() {
        let issue = |field: &str| Issue {
            file: "fund.toml".into(),
            field: field.into(),
            value: "7".into(),
            reason: "wrong".into(),
        };
        let e = FundError::Invalid {
            file: "fund.toml".into(),
            issues: vec![
                issue("positions[16].adv (id \"BUFFER_SOV\")"),
                issue("positions[17].impact (id \"BUFFER_ETF\")"),
                issue("positions[2].adv (id \"HY\")"),
            ],
        };
        let msg = in_settings(&e, &[(16, SOVEREIGN), (17, ETF)]);
        assert_eq!(
            msg,
            "the fund it makes fails the fund checks: buffer.sovereign.adv = 7: wrong; \
             buffer.etf.impact = 7: wrong; positions[2].adv (id \"HY\") = 7: wrong"
        );
    }

    use super::super::recommendation::testing::{result, search, N};

    /// A cash-only coverage that rises linearly to 1 at cash share `full` (monotone, closed form).
    fn linear(full: f64) -> impl FnMut(f64) -> Result<f64, ()> {
        move |c| Ok((c / full).min(1.0))
    }

    #[test]
    fn the_cash_only_search_finds_the_least_cash_reaching_a_coverage() {
        let (found, evaluations) = least_cash_reaching(linear(0.2), 0.5, 0.9, 10).unwrap();
        let CashBracket {
            cash: hi,
            coverage: cov,
            cash_low: lo,
        } = found.unwrap();
        assert!(
            lo < 0.1 && 0.1 <= hi && hi - lo <= 0.9 / 1024.0 + 1e-15,
            "{lo} {hi}"
        );
        assert!(cov >= 0.5);
        assert_eq!(evaluations, 12);
        // Cash at zero already enough: 0; cash at the top not enough: none.
        assert_eq!(
            least_cash_reaching(|_| Ok::<_, ()>(1.0), 0.9, 0.9, 10).unwrap(),
            (
                Some(CashBracket {
                    cash: 0.0,
                    coverage: 1.0,
                    cash_low: 0.0
                }),
                2
            )
        );
        assert_eq!(
            least_cash_reaching(linear(2.0), 0.99, 0.9, 10).unwrap(),
            (None, 1)
        );
        // An error of a rerun is passed on.
        assert_eq!(
            least_cash_reaching(|_| Err::<f64, _>(7), 0.5, 0.9, 10),
            Err(7)
        );
    }

    /// The seed's 8/5/4 composition with the given coverage (of `N`), and the fund's 7% cash.
    fn tiered_search(coverage: f64) -> BufferSearch {
        let mut tiered = result(&seed_label(), 0.08, coverage, 0.0);
        tiered.sovereign = 0.05;
        tiered.etf = 0.04;
        tiered.total = 0.17;
        let mut s = search(vec![result("static 7% cash", 0.07, 0.60, 0.0), tiered]);
        // Carry as the stage prices it.
        for r in &mut s.results {
            r.opportunity_cost_bps = s.yields.opportunity_cost_bps(&r.composition());
        }
        s
    }

    fn seed_label() -> String {
        super::super::config::seed_recommendation().label
    }

    fn claim(search: &BufferSearch, full: f64) -> BufferClaim {
        let needed = search.by_label(&seed_label()).unwrap().coverage;
        let cash_only = CashOnlyEquivalent::search(linear(full), needed, &search.yields).unwrap();
        BufferClaim::judge(search, &seed_label(), cash_only).unwrap()
    }

    #[test]
    fn the_buffer_claim_is_judged_against_cash_only_at_equal_coverage() {
        // Tiered carry: 8% x 2% + 5% x 1.5% + 4% x 1% = 27.5 bps; cash only costs 200 bps per
        // unit of NAV, so the tiered buffer is cheaper when cash alone needs more than 13.75%.
        let s = tiered_search(0.995);
        let r = &s.results[1];
        assert!((r.opportunity_cost_bps - 27.5).abs() < 1e-9);
        assert_eq!(r.target_verdict, Verdict::Meets);
        // Cash alone reaches full coverage at 20%: it needs 19.9% for 99.5% → 39.8 bps.
        let holds = claim(&s, 0.2);
        assert!(holds.cheaper_than_cash_only && holds.holds, "{holds:?}");
        assert_eq!(holds.verdict, ClaimVerdict::Holds);
        assert!((holds.cash_only.cash.unwrap() - 0.199).abs() < 1e-3);
        // The fund's 7% static buffer is cheaper than the tiered one, yet that settles nothing:
        // it covers less. The yardstick is cash at equal coverage.
        assert!(holds.static_opportunity_cost_bps < holds.opportunity_cost_bps);
        // Cash alone reaching full coverage at 10%: 9.95% → 19.9 bps, cheaper than 27.5.
        let fails = claim(&s, 0.1);
        assert!(!fails.cheaper_than_cash_only);
        assert_eq!(fails.verdict, ClaimVerdict::DoesNotHold);
        // Cash alone never reaching it within 90%: the tiered buffer is cheaper.
        let never = claim(&s, 5.0);
        assert_eq!(never.cash_only.cash, None);
        assert!(never.cheaper_than_cash_only && never.holds);
        assert_eq!(never.conditional_on, "the stress library");
        let json = serde_json::to_value(&holds).unwrap();
        assert_eq!(json["verdict"], "holds");
        assert_eq!(json["coverage_verdict"], "meets");
        assert!(json["coverage_low"].as_f64().unwrap() > 0.985);
    }

    #[test]
    fn the_buffer_claim_is_undecided_when_coverage_straddles_the_target_and_fails_when_it_misses() {
        // 98.70% of 10,000 against 98.5%: within the interval.
        let straddle = claim(&tiered_search(0.987), 0.2);
        assert_eq!(straddle.coverage_verdict, Verdict::NotDistinguishable);
        assert!(straddle.cheaper_than_cash_only);
        assert_eq!(straddle.verdict, ClaimVerdict::Undecided);
        assert!(!straddle.holds && !straddle.coverage_met);
        assert!(straddle.coverage_low < 0.985 && 0.985 <= straddle.coverage_high);
        let misses = claim(&tiered_search(0.97), 0.2);
        assert_eq!(misses.coverage_verdict, Verdict::Misses);
        assert_eq!(misses.verdict, ClaimVerdict::DoesNotHold);
    }

    #[test]
    fn the_claim_finding_says_which_way_it_went_and_why() {
        use super::super::findings::claim_finding;
        let cases = [
            (
                claim(&tiered_search(0.995), 0.2),
                "HOLDS",
                "clears the target",
            ),
            (
                claim(&tiered_search(0.987), 0.2),
                "UNDECIDED",
                "not distinguishable",
            ),
            (
                claim(&tiered_search(0.97), 0.2),
                "does NOT hold",
                "misses the target",
            ),
            (
                claim(&tiered_search(0.995), 0.1),
                "does NOT hold",
                "no cheaper",
            ),
        ];
        for (c, verdict, why) in cases {
            let f = claim_finding("Fund", &c);
            assert!(f.text.contains(verdict), "{}", f.text);
            assert!(f.text.contains(why), "{}", f.text);
            assert!(
                f.text.contains("re-judged with carry at equal coverage"),
                "{}",
                f.text
            );
            assert!(
                f.text.contains("conditional on the stress library"),
                "{}",
                f.text
            );
            assert_eq!(f.values["holds"], c.holds as u8 as f64);
            assert_eq!(f.values["coverage_low"], c.coverage_low);
        }
    }

    #[test]
    fn a_corrupted_cost_or_coverage_flips_the_comparators() {
        let s = tiered_search(0.995);
        let good = claim(&s, 0.2);
        assert!(good.cash_only.dearer_than(27.5));
        assert!(
            !good.cash_only.dearer_than(45.0),
            "a tiered carry above cash's"
        );
        // Coverage records: one covered scenario turned uncovered changes the count.
        let cov = |o: &ScenarioOutput| covered(o);
        let mut outs = vec![ScenarioOutput::default(); 4];
        for o in &mut outs {
            o.buffer_exhausted_day = undertow_kernel::NEVER;
        }
        let comp = Composition::new("x", 0.1, 0.0, 0.0);
        let r = result_of(&comp, &outs, &s.yields, 0.5);
        assert_eq!((r.coverage, r.target_verdict), (1.0, Verdict::Meets));
        assert!(cov(&outs[0]));
        outs[0].shortfall = 0.01;
        outs[1].shortfall = 0.01;
        let r = result_of(&comp, &outs, &s.yields, 0.5);
        assert_eq!(r.coverage, 0.5);
        assert_eq!(r.target_verdict, Verdict::NotDistinguishable);
        assert!(r.coverage_low < 0.5 && r.coverage_high > 0.5);
        assert_eq!(N, s.scenarios);
    }

    #[test]
    fn added_ids_avoid_the_funds_own() {
        let mut fund = undertow_host::fund::example_fund().spec.clone();
        fund.positions[0].id = "BUFFER_SOV".into();
        fund.positions[1].id = "BUFFER_SOV_2".into();
        assert_eq!(unused_id(&fund.positions, "BUFFER_SOV"), "BUFFER_SOV_3");
        assert_eq!(unused_id(&fund.positions, "BUFFER_ETF"), "BUFFER_ETF");
    }
}
