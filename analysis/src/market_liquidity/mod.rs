//! Stage 1, the market liquidity analyst: for every position and for the portfolio, days to
//! liquidate and cost at each horizon and participation rate, under normal conditions and under
//! stressed quantiles of the scenario set; a liquidity score from 1 to 5; SEC Rule 22e-4 buckets;
//! HLIM and 15%-illiquid flags; inverse queries; the four impact models side by side.
//!
//! Nothing is simulated here: the market state of a position under a condition is the kernel's
//! own `market_state` at full stress (`g = 1`) with the condition's per-class multipliers, and
//! every cost is the kernel's `cost_rate`, so the profile and the simulation price a sale alike.
//!
//! Settings in [`config`], findings in [`findings`], tables in [`tables`].

pub mod config;
pub mod findings;
pub mod tables;

use serde::Serialize;
use undertow_kernel::liquidation::{cost_rate, SaleTerms, MIN_DEPTH};
use undertow_kernel::market::{market_state, MarketState};
use undertow_kernel::{impact, PositionParams, ScenarioParams, MAX_CLASSES};

use config::{BucketConfig, ProfileConfig};
use undertow_host::aggregate::quantile;
use undertow_host::fund::{stressed_cost_per_unit, Fund};

/// Days are whole once within this of an integer (f32 parameters carry rounding).
const DAY_TOLERANCE: f64 = 1e-6;
/// Days the profile simulates day by day for the adaptive model before assuming its memory of
/// past selling has settled.
const ADAPTIVE_DAYS: usize = 2_000;
/// Days reported for a position that cannot be sold at all (no volume).
pub const NEVER_DAYS: f64 = f64::INFINITY;

/// Liquidity-score bands. A slice of a holding scores by how soon it can be sold at the
/// participation cap in normal markets; a holding's score is further capped by its stressed cost
/// per unit sold and by its settlement lag.
pub const SCORE_DAYS: [f64; 4] = [1.0, 3.0, 7.0, 30.0];
/// Stressed cost per unit sold (fraction) at or below which a holding can score 5, 4, 3, 2.
pub const SCORE_COST: [f64; 4] = [0.005, 0.01, 0.02, 0.04];
/// Settlement lag (days) at or below which a holding can score 5, 4, 3, 2.
pub const SCORE_SETTLEMENT: [u32; 4] = [2, 3, 7, 30];
/// SEC 22e-4: highly liquid if convertible to cash within this many days...
pub const HIGHLY_LIQUID_DAYS: u32 = 3;
/// ...moderately liquid within this many, and illiquid if it cannot be sold within it.
pub const SEC_SALE_DAYS: u32 = 7;

/// Market conditions: the multipliers of each class at full stress.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Condition {
    /// "normal", "stressed_p50", "stressed_p95", ...
    pub name: String,
    /// The scenario-set quantile the stressed multipliers are taken at; `None` for normal.
    pub quantile: Option<f64>,
    /// Spread widening `W`, volume reduction `U`, depth reduction `D`, volatility multiple `M`,
    /// per class (kernel index order).
    pub spread_mult: Vec<f64>,
    pub volume_cut: Vec<f64>,
    pub depth_cut: Vec<f64>,
    pub vol_mult: Vec<f64>,
}

impl Condition {
    fn normal(n_classes: usize) -> Condition {
        Condition {
            name: "normal".into(),
            quantile: None,
            spread_mult: vec![1.0; n_classes],
            volume_cut: vec![0.0; n_classes],
            depth_cut: vec![0.0; n_classes],
            vol_mult: vec![1.0; n_classes],
        }
    }

    /// Component-wise quantiles of the scenario set's class shocks: every multiplier at its own
    /// quantile, which is more severe than any one scenario at that quantile.
    pub fn stressed(scenarios: &[ScenarioParams], n_classes: usize, q: f64) -> Condition {
        let pick = |f: &dyn Fn(&ScenarioParams, usize) -> f32, c: usize, upper: bool| {
            let mut v: Vec<f64> = scenarios.iter().map(|s| f(s, c) as f64).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            quantile(&v, if upper { q } else { 1.0 - q })
        };
        let per_class = |f: &dyn Fn(&ScenarioParams, usize) -> f32| -> Vec<f64> {
            (0..n_classes).map(|c| pick(f, c, true)).collect()
        };
        Condition {
            name: format!("stressed_p{}", (q * 100.0).round()),
            quantile: Some(q),
            spread_mult: per_class(&|s, c| s.spread_mult[c]),
            volume_cut: per_class(&|s, c| s.volume_cut[c]),
            depth_cut: per_class(&|s, c| s.depth_cut[c]),
            vol_mult: per_class(&|s, c| s.vol_mult[c]),
        }
    }

    /// A scenario record at full stress carrying these multipliers, for `market_state`.
    fn as_scenario(&self) -> ScenarioParams {
        let mut sc = ScenarioParams::default();
        for c in 0..self.spread_mult.len().min(MAX_CLASSES) {
            sc.spread_mult[c] = self.spread_mult[c] as f32;
            sc.volume_cut[c] = self.volume_cut[c] as f32;
            sc.depth_cut[c] = self.depth_cut[c] as f32;
            sc.vol_mult[c] = self.vol_mult[c] as f32;
        }
        sc
    }

    /// The position's market under this condition.
    pub fn market(&self, pos: &PositionParams) -> MarketState<f64> {
        let g = if self.quantile.is_some() { 1.0 } else { 0.0 };
        market_state::<f64>(pos, &self.as_scenario(), g)
    }
}

/// How a sale is priced: impact model, its threshold and decay.
#[derive(Clone, Copy, Debug)]
pub struct Pricing {
    pub model: u32,
    pub theta: f64,
    pub kappa: f64,
}

impl Pricing {
    pub fn of(fund: &Fund) -> Pricing {
        let p = &fund.model.params;
        Pricing {
            model: p.impact_model,
            theta: p.impact_threshold as f64,
            kappa: p.adaptive_decay as f64,
        }
    }

    fn terms(&self, pos: &PositionParams, m: &MarketState<f64>, offset: f64) -> SaleTerms<f64> {
        let sqrt_model = self.model == impact::SQUARE_ROOT || self.model == impact::ADAPTIVE;
        SaleTerms::new(
            self.model,
            0.5 * m.spread,
            if sqrt_model {
                pos.impact as f64 * m.vol
            } else {
                pos.impact as f64
            },
            m.depth.max(MIN_DEPTH as f64),
            offset,
            self.theta,
        )
    }

    /// Cost per unit of selling `q` in one day (no memory of past selling).
    pub fn unit_cost(&self, pos: &PositionParams, m: &MarketState<f64>, q: f64) -> f64 {
        cost_rate(&self.terms(pos, m, 0.0), q)
    }
}

/// Whole days for `x` days of work (a little rounding slack).
pub fn whole_days(x: f64) -> f64 {
    (x - DAY_TOLERANCE).ceil().max(0.0)
}

/// Selling `amount` at `per_day` on sale days (every day, or every `window` days): the days it
/// takes (fractional for daily sales, as the fund's `days_to_liquidate`; whole windows otherwise)
/// and how much can be sold within `days`.
pub fn days_needed(amount: f64, per_day: f64, window: u32) -> f64 {
    if amount <= 0.0 {
        return 0.0;
    }
    if per_day <= 0.0 {
        return NEVER_DAYS;
    }
    let sale_days = amount / per_day;
    if window > 1 {
        whole_days(sale_days) * window as f64
    } else {
        sale_days
    }
}

/// Sale days available within `days` (every day, or one per `window`).
pub fn sale_days_within(days: f64, window: u32) -> f64 {
    if window > 1 {
        (days / window as f64 + DAY_TOLERANCE).floor()
    } else {
        days
    }
}

/// Sells up to `amount` at `per_day` on each of `sale_days` days; returns (sold, cost).
pub fn sell(
    pricing: &Pricing,
    pos: &PositionParams,
    m: &MarketState<f64>,
    amount: f64,
    per_day: f64,
    sale_days: f64,
) -> (f64, f64) {
    let target = amount.min(per_day * sale_days).max(0.0);
    if target <= 0.0 || per_day <= 0.0 {
        return (0.0, 0.0);
    }
    if pricing.model != impact::ADAPTIVE {
        let full = (target / per_day + DAY_TOLERANCE).floor();
        let rest = (target - full * per_day).max(0.0);
        let cost = full * per_day * pricing.unit_cost(pos, m, per_day)
            + rest * pricing.unit_cost(pos, m, rest);
        return (target, cost);
    }
    // Adaptive: impact grows with the decayed memory of the fund's own past selling.
    let decay = (-pricing.kappa).exp();
    let (mut memory, mut sold, mut cost) = (0.0, 0.0, 0.0);
    let mut day = 0;
    while sold < target * (1.0 - 1e-12) {
        let q = per_day.min(target - sold);
        if day >= ADAPTIVE_DAYS {
            // The memory has settled: the remaining full days cost what the last one did.
            let rate = cost_rate(&pricing.terms(pos, m, memory), q);
            cost += (target - sold) * rate;
            sold = target;
            break;
        }
        cost += q * cost_rate(&pricing.terms(pos, m, memory), q);
        memory = memory * decay + q;
        sold += q;
        day += 1;
    }
    (sold, cost)
}

/// The largest participation rate (at most 1) at which selling costs no more than `max_cost` per
/// unit; `None` when even a tiny sale costs more (half the spread alone is above it).
pub fn participation_for_cost(
    pricing: &Pricing,
    pos: &PositionParams,
    m: &MarketState<f64>,
    max_cost: f64,
) -> Option<f64> {
    let at = |r: f64| pricing.unit_cost(pos, m, r * m.volume);
    if m.volume <= 0.0 || at(1e-12) > max_cost {
        return None;
    }
    if at(1.0) <= max_cost {
        return Some(1.0);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if at(mid) <= max_cost {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// One row of the liquidity profile: a position (or the portfolio) under one condition at one
/// participation rate.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProfileRow {
    /// Position id, or "PORTFOLIO".
    pub position: String,
    pub condition: String,
    pub participation: f64,
    /// Fraction of NAV.
    pub weight: f64,
    /// Days to sell the whole position (portfolio: the slowest position).
    pub days_to_liquidate: f64,
    /// Cost of selling the whole position, basis points of what is sold.
    pub cost_bps: f64,
    /// Share of the position (portfolio: of NAV, cash included) sold within each horizon.
    pub sold_share: Vec<f64>,
    /// Cost of what is sold within each horizon, basis points of it.
    pub horizon_cost_bps: Vec<f64>,
}

/// Inverse queries for one position under one condition.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InverseRow {
    pub position: String,
    pub condition: String,
    /// Participation needed to sell the whole position in the target days (`None`: more than
    /// the whole market, or no sale day within the target).
    pub participation_for_target_days: Option<f64>,
    /// Cost of doing so, basis points.
    pub cost_for_target_days_bps: Option<f64>,
    /// Fastest participation whose cost per unit stays within the threshold.
    pub participation_for_cost_threshold: Option<f64>,
    /// Days to sell the whole position at that participation (`None`: never within it).
    pub days_for_cost_threshold: Option<f64>,
}

/// SEC Rule 22e-4 buckets.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    HighlyLiquid,
    ModeratelyLiquid,
    LessLiquid,
    Illiquid,
}

impl Bucket {
    pub const ALL: [Bucket; 4] = [
        Bucket::HighlyLiquid,
        Bucket::ModeratelyLiquid,
        Bucket::LessLiquid,
        Bucket::Illiquid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bucket::HighlyLiquid => "highly_liquid",
            Bucket::ModeratelyLiquid => "moderately_liquid",
            Bucket::LessLiquid => "less_liquid",
            Bucket::Illiquid => "illiquid",
        }
    }
}

/// A position's SEC classification under one condition.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BucketRow {
    pub position: String,
    pub condition: String,
    pub weight: f64,
    /// Participation used: the configured rate, lowered so that the cost per unit stays within
    /// the significant-impact threshold.
    pub participation: f64,
    /// Days to sell the reasonably anticipated trade size.
    pub sale_days: f64,
    /// Sale days plus the settlement lag: days until the cash is in.
    pub cash_days: f64,
    /// Cost per unit of that sale, basis points.
    pub cost_bps: f64,
    pub bucket: Bucket,
}

/// Bucket shares of NAV under one condition, with the regulatory flags.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BucketTotals {
    pub condition: String,
    /// Share of NAV per bucket, in [`Bucket::ALL`] order; cash is highly liquid.
    pub shares: [f64; 4],
    pub hlim: f64,
    /// Highly liquid share at or above the HLIM.
    pub hlim_met: bool,
    pub illiquid_limit: f64,
    /// Illiquid share above the limit (15%).
    pub illiquid_breach: bool,
}

/// How soon each slice of a holding can be sold, with its score: what the portfolio construction
/// optimises over.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PositionLiquidity {
    pub position: String,
    pub class: usize,
    pub weight: f64,
    /// Sellable in one day at the participation cap, normal markets, fraction of NAV.
    pub one_day_capacity: f64,
    /// Settles by the redemption settlement date and sells every day: its one-day capacity is
    /// daily-liquid.
    pub settles_in_time: bool,
    /// Sellable within the SEC's 7 days without significant impact, fraction of NAV (the rest
    /// of a larger holding is illiquid).
    pub seven_day_capacity: f64,
    /// Cumulative capacity within each of [`SCORE_DAYS`], fraction of NAV.
    pub capacity_within: [f64; 4],
    /// The best score any slice can have (cost and settlement caps).
    pub score_cap: u8,
    /// Value-weighted score of the holding's slices, 1 to 5.
    pub score: f64,
}

impl PositionLiquidity {
    /// Score of the slices sold within each of [`SCORE_DAYS`] and after.
    pub fn slice_scores(&self) -> [f64; 5] {
        let cap = self.score_cap as f64;
        [5.0f64, 4.0, 3.0, 2.0, 1.0].map(|s| s.min(cap))
    }

    /// The holding's score at weight `w`: its slices in order of sale, each with its score.
    pub fn score_at(&self, w: f64) -> f64 {
        if w <= 0.0 {
            return self.score_cap as f64;
        }
        let scores = self.slice_scores();
        let mut prev = 0.0;
        let mut total = 0.0;
        for (k, cap) in self.capacity_within.iter().enumerate() {
            let slice = (w.min(*cap) - prev).max(0.0);
            total += slice * scores[k];
            prev = prev.max(w.min(*cap));
        }
        total += (w - prev).max(0.0) * scores[4];
        total / w
    }

    /// The part of the holding that cannot be sold within 7 days.
    pub fn illiquid_amount(&self, w: f64) -> f64 {
        (w - self.seven_day_capacity).max(0.0)
    }

    /// The part of the holding that is daily-liquid.
    pub fn daily_liquid_amount(&self, w: f64) -> f64 {
        if self.settles_in_time {
            w.min(self.one_day_capacity)
        } else {
            0.0
        }
    }
}

/// Cost of liquidating a position in full under each impact model, each calibrated to charge the
/// fund's own model's impact for a sale at the participation cap in normal markets.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ImpactRow {
    pub position: String,
    pub condition: String,
    pub participation: f64,
    /// Basis points of the amount sold: linear, square root, threshold, adaptive.
    pub linear_bps: f64,
    pub square_root_bps: f64,
    pub threshold_bps: f64,
    pub adaptive_bps: f64,
}

/// Stage 1's output.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MarketLiquidityReport {
    /// Scenario records whose shocks define the stressed conditions.
    pub scenarios_used: u64,
    pub horizons: Vec<u32>,
    pub participation_rates: Vec<f64>,
    pub conditions: Vec<Condition>,
    /// Position rows, then the portfolio rows.
    pub profile: Vec<ProfileRow>,
    pub inverse: Vec<InverseRow>,
    pub target_days: f64,
    pub cost_threshold_bps: f64,
    pub buckets: Vec<BucketRow>,
    pub bucket_totals: Vec<BucketTotals>,
    pub bucket_settings: BucketConfig,
    pub impact_models: Vec<ImpactRow>,
    pub liquidity: Vec<PositionLiquidity>,
    /// NAV-weighted score of the portfolio (cash scores 5).
    pub portfolio_score: f64,
    /// Cash share of NAV.
    pub cash: f64,
}

impl MarketLiquidityReport {
    pub fn totals(&self, condition: &str) -> Option<&BucketTotals> {
        self.bucket_totals.iter().find(|t| t.condition == condition)
    }

    /// The portfolio row under a condition at a participation rate.
    pub fn portfolio_row(&self, condition: &str, participation: f64) -> Option<&ProfileRow> {
        self.profile.iter().find(|r| {
            r.position == PORTFOLIO
                && r.condition == condition
                && (r.participation - participation).abs() < 1e-12
        })
    }
}

/// Position name of the portfolio rows.
pub const PORTFOLIO: &str = "PORTFOLIO";

/// Runs stage 1 on `scenarios` (the records whose shocks define the stressed conditions).
pub fn profile(
    fund: &Fund,
    scenarios: &[ScenarioParams],
    cfg: &ProfileConfig,
) -> MarketLiquidityReport {
    let n_classes = fund.classes.len().min(MAX_CLASSES);
    let mut conditions = vec![Condition::normal(n_classes)];
    if !scenarios.is_empty() {
        for &q in &cfg.stressed_quantiles {
            conditions.push(Condition::stressed(scenarios, n_classes, q));
        }
    }
    let pricing = Pricing::of(fund);
    let positions = &fund.model.positions;
    let cash = fund.model.params.initial_cash as f64;
    let horizons: Vec<f64> = cfg.horizons.iter().map(|&h| h as f64).collect();

    let mut profile = Vec::new();
    let mut inverse = Vec::new();
    for cond in &conditions {
        for &r in &cfg.participation_rates {
            let mut sold_nav = vec![cash; horizons.len()];
            let mut cost_nav = vec![0.0; horizons.len()];
            let (mut slowest, mut total_cost) = (0.0f64, 0.0);
            for (pos, id) in positions.iter().zip(&fund.position_ids) {
                let w = pos.weight as f64;
                let m = cond.market(pos);
                let per_day = r * m.volume;
                let days = days_needed(w, per_day, pos.window);
                let (_, full_cost) = sell(
                    &pricing,
                    pos,
                    &m,
                    w,
                    per_day,
                    sale_days_within(days, pos.window),
                );
                let mut sold_share = Vec::new();
                let mut horizon_cost = Vec::new();
                for (k, &h) in horizons.iter().enumerate() {
                    let (sold, cost) = sell(
                        &pricing,
                        pos,
                        &m,
                        w,
                        per_day,
                        sale_days_within(h, pos.window),
                    );
                    sold_share.push(if w > 0.0 { sold / w } else { 1.0 });
                    horizon_cost.push(bps(cost, sold));
                    sold_nav[k] += sold;
                    cost_nav[k] += cost;
                }
                slowest = slowest.max(days);
                total_cost += full_cost;
                profile.push(ProfileRow {
                    position: id.clone(),
                    condition: cond.name.clone(),
                    participation: r,
                    weight: w,
                    days_to_liquidate: days,
                    cost_bps: bps(full_cost, w),
                    sold_share,
                    horizon_cost_bps: horizon_cost,
                });
            }
            let invested: f64 = positions.iter().map(|p| p.weight as f64).sum();
            profile.push(ProfileRow {
                position: PORTFOLIO.into(),
                condition: cond.name.clone(),
                participation: r,
                weight: invested + cash,
                days_to_liquidate: slowest,
                cost_bps: bps(total_cost, invested),
                sold_share: sold_nav.clone(),
                horizon_cost_bps: cost_nav
                    .iter()
                    .zip(&sold_nav)
                    .map(|(c, s)| bps(*c, s - cash))
                    .collect(),
            });
        }
        for (pos, id) in positions.iter().zip(&fund.position_ids) {
            inverse.push(inverse_row(&pricing, pos, id, cond, cfg));
        }
    }

    let bucket_participation = cfg
        .buckets
        .participation
        .unwrap_or(fund.model.params.participation_cap as f64);
    let mut buckets = Vec::new();
    let mut bucket_totals = Vec::new();
    let illiquid_limit = fund.model.params.illiquid_limit as f64;
    for cond in &conditions {
        let mut shares = [0.0; 4];
        shares[0] += cash;
        for (pos, id) in positions.iter().zip(&fund.position_ids) {
            let row = classify(&pricing, pos, id, cond, &cfg.buckets, bucket_participation);
            shares[row.bucket as usize] += row.weight;
            buckets.push(row);
        }
        bucket_totals.push(BucketTotals {
            condition: cond.name.clone(),
            shares,
            hlim: cfg.buckets.hlim,
            hlim_met: shares[0] + 1e-12 >= cfg.buckets.hlim,
            illiquid_limit,
            illiquid_breach: shares[3] > illiquid_limit + 1e-12,
        });
    }

    let impact_models = impact_comparison(fund, &conditions, &pricing);
    let liquidity = position_liquidity(fund, &pricing, &cfg.buckets, bucket_participation);
    let portfolio_score = cash * 5.0 + liquidity.iter().map(|l| l.weight * l.score).sum::<f64>();

    MarketLiquidityReport {
        scenarios_used: scenarios.len() as u64,
        horizons: cfg.horizons.clone(),
        participation_rates: cfg.participation_rates.clone(),
        conditions,
        profile,
        inverse,
        target_days: cfg.target_days,
        cost_threshold_bps: cfg.cost_threshold_bps,
        buckets,
        bucket_totals,
        bucket_settings: cfg.buckets.clone(),
        impact_models,
        liquidity,
        portfolio_score,
        cash,
    }
}

fn bps(cost: f64, amount: f64) -> f64 {
    if amount > 0.0 {
        cost / amount * 1e4
    } else {
        0.0
    }
}

fn inverse_row(
    pricing: &Pricing,
    pos: &PositionParams,
    id: &str,
    cond: &Condition,
    cfg: &ProfileConfig,
) -> InverseRow {
    let w = pos.weight as f64;
    let m = cond.market(pos);
    let sale_days = sale_days_within(cfg.target_days, pos.window);
    let needed = if sale_days > 0.0 && m.volume > 0.0 {
        Some(w / (sale_days * m.volume)).filter(|r| *r <= 1.0)
    } else {
        None
    };
    let cost_for_target = needed.map(|r| {
        let (sold, cost) = sell(pricing, pos, &m, w, r * m.volume, sale_days);
        bps(cost, sold)
    });
    let r_cost = participation_for_cost(pricing, pos, &m, cfg.cost_threshold_bps * 1e-4);
    InverseRow {
        position: id.to_string(),
        condition: cond.name.clone(),
        participation_for_target_days: needed,
        cost_for_target_days_bps: cost_for_target,
        participation_for_cost_threshold: r_cost,
        days_for_cost_threshold: r_cost.map(|r| days_needed(w, r * m.volume, pos.window)),
    }
}

/// SEC Rule 22e-4 classification of one position: sell the reasonably anticipated trade size at
/// the participation rate, slowed down if needed so the cost per unit stays within the
/// significant-impact threshold; count the sale days and the settlement lag.
pub fn classify(
    pricing: &Pricing,
    pos: &PositionParams,
    id: &str,
    cond: &Condition,
    b: &BucketConfig,
    participation: f64,
) -> BucketRow {
    let w = pos.weight as f64;
    let m = cond.market(pos);
    let limit = b.significant_impact_bps * 1e-4;
    let r = match participation_for_cost(pricing, pos, &m, limit) {
        Some(r_max) => participation.min(r_max),
        None => 0.0,
    };
    let amount = w * b.trade_size;
    let per_day = r * m.volume;
    let sale_days = whole_days(days_needed(amount, per_day, pos.window));
    let cash_days = sale_days + pos.lag as f64;
    let unit = if per_day > 0.0 {
        pricing.unit_cost(pos, &m, per_day.min(amount.max(1e-300)))
    } else {
        f64::NAN
    };
    let bucket = if sale_days > SEC_SALE_DAYS as f64 {
        Bucket::Illiquid
    } else if cash_days <= HIGHLY_LIQUID_DAYS as f64 {
        Bucket::HighlyLiquid
    } else if cash_days <= SEC_SALE_DAYS as f64 {
        Bucket::ModeratelyLiquid
    } else {
        Bucket::LessLiquid
    };
    BucketRow {
        position: id.to_string(),
        condition: cond.name.clone(),
        weight: w,
        participation: r,
        sale_days,
        cash_days,
        cost_bps: unit * 1e4,
        bucket,
    }
}

fn impact_comparison(fund: &Fund, conditions: &[Condition], base: &Pricing) -> Vec<ImpactRow> {
    let r = fund.model.params.participation_cap as f64;
    let mut rows = Vec::new();
    for cond in [conditions.first(), conditions.last()]
        .into_iter()
        .flatten()
    {
        for (pos, id) in fund.model.positions.iter().zip(&fund.position_ids) {
            let w = pos.weight as f64;
            let m = cond.market(pos);
            let per_day = r * m.volume;
            let days = sale_days_within(days_needed(w, per_day, pos.window), pos.window);
            let cost_under = |model: u32| {
                let p = Pricing { model, ..*base };
                let pos = calibrated(pos, base, model, r);
                let (sold, cost) = sell(&p, &pos, &m, w, per_day, days);
                bps(cost, sold)
            };
            rows.push(ImpactRow {
                position: id.clone(),
                condition: cond.name.clone(),
                participation: r,
                linear_bps: cost_under(impact::LINEAR),
                square_root_bps: cost_under(impact::SQUARE_ROOT),
                threshold_bps: cost_under(impact::THRESHOLD),
                adaptive_bps: cost_under(impact::ADAPTIVE),
            });
        }
        if conditions.len() == 1 {
            break;
        }
    }
    rows
}

/// The position with its impact coefficient recalibrated for `model`, so that every model charges
/// the same impact as the fund's own model for a sale at participation `r` in normal markets
/// (where depth equals volume, so `u = r`). Models then differ only in how impact grows with size
/// and stress, which is what the comparison is for.
pub fn calibrated(
    pos: &PositionParams,
    fund_pricing: &Pricing,
    model: u32,
    r: f64,
) -> PositionParams {
    let sigma = pos.vol as f64;
    let coefficient = pos.impact as f64;
    let reference = match fund_pricing.model {
        impact::LINEAR => coefficient * r,
        impact::THRESHOLD => coefficient * (r - fund_pricing.theta).max(0.0),
        _ => coefficient * sigma * r.sqrt(),
    };
    let k = match model {
        impact::LINEAR => reference / r.max(1e-12),
        impact::THRESHOLD => reference / (r - fund_pricing.theta).max(1e-12),
        _ => reference / (sigma * r.sqrt()).max(1e-300),
    };
    PositionParams {
        impact: k as f32,
        ..*pos
    }
}

/// The score bands and capacities of every position (normal markets, the fund's participation
/// cap for the day bands; the classification's participation and impact threshold for the
/// 7-day capacity).
pub fn position_liquidity(
    fund: &Fund,
    pricing: &Pricing,
    buckets: &BucketConfig,
    bucket_participation: f64,
) -> Vec<PositionLiquidity> {
    let normal = Condition::normal(fund.classes.len().min(MAX_CLASSES));
    let cap = fund.model.params.participation_cap as f64;
    let r_set = fund.model.params.redemption_settlement;
    fund.model
        .positions
        .iter()
        .zip(&fund.spec.positions)
        .zip(&fund.position_ids)
        .map(|((pos, spec), id)| {
            let w = pos.weight as f64;
            let m = normal.market(pos);
            let per_day = cap * m.volume;
            let capacity_within = SCORE_DAYS.map(|d| per_day * sale_days_within(d, pos.window));
            let limit = buckets.significant_impact_bps * 1e-4;
            let r7 = participation_for_cost(pricing, pos, &m, limit)
                .map_or(0.0, |r| r.min(bucket_participation));
            let seven_day_capacity =
                r7 * m.volume * sale_days_within(SEC_SALE_DAYS as f64, pos.window);
            let cost = stressed_cost_per_unit(spec, &fund.spec.liquidation);
            let cost_cap = 5 - SCORE_COST.iter().filter(|&&t| cost > t).count() as u8;
            let lag_cap = 5 - SCORE_SETTLEMENT.iter().filter(|&&t| pos.lag > t).count() as u8;
            let mut l = PositionLiquidity {
                position: id.clone(),
                class: pos.class as usize,
                weight: w,
                one_day_capacity: capacity_within[0],
                settles_in_time: pos.lag <= r_set && pos.window <= 1,
                seven_day_capacity,
                capacity_within,
                score_cap: cost_cap.min(lag_cap).max(1),
                score: 0.0,
            };
            l.score = l.score_at(w);
            l
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_sale_days_respect_windows() {
        assert!((days_needed(0.3, 0.1, 0) - 3.0).abs() < 1e-12);
        assert_eq!(days_needed(0.3, 0.1, 21), 63.0);
        assert_eq!(days_needed(0.25, 0.1, 21), 63.0);
        assert_eq!(sale_days_within(30.0, 21), 1.0);
        assert_eq!(sale_days_within(20.0, 21), 0.0);
        assert_eq!(whole_days(3.000_000_1), 3.0);
        assert_eq!(whole_days(3.01), 4.0);
        assert!(days_needed(0.1, 0.0, 0).is_infinite());
    }
}
