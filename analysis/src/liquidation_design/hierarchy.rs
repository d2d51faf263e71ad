//! Stage 4's liquidation hierarchy: the fund's positions ranked in sale order by layer, the
//! allocation of a sale down that order, and the use case's claim about it judged.

use undertow_kernel::{pflag, tier};

use super::config::LiquidationConfig;
use super::strategies::{mean, reduction};
use super::{HierarchyClaim, HierarchyRow, StrategyResult, CLAIM, LAYERS};
use crate::market_liquidity::{days_needed, Bucket, Condition, MarketLiquidityReport, Pricing};
use undertow_host::fund::{ClassKind, Fund};

/// The liquidation hierarchy (module doc), ranked in sale order.
pub fn hierarchy(
    fund: &Fund,
    market: &MarketLiquidityReport,
    stressed: &Condition,
    cfg: &LiquidationConfig,
) -> Vec<HierarchyRow> {
    let pricing = Pricing::of(fund);
    let cap = cfg
        .participation
        .unwrap_or(fund.model.params.participation_cap as f64);
    let r_set = fund.model.params.redemption_settlement;
    let mut rows: Vec<(u32, bool, f64, HierarchyRow)> = Vec::new();
    for (i, (pos, id)) in fund
        .model
        .positions
        .iter()
        .zip(&fund.position_ids)
        .enumerate()
    {
        let w = pos.weight as f64;
        let m = stressed.market(pos);
        let per_day = cap * m.volume;
        let q_ref = w.min(per_day).max(1e-12);
        let unit = pricing.unit_cost(pos, &m, q_ref);
        let kind = fund
            .classes
            .get(pos.class as usize)
            .map(|c| c.kind)
            .unwrap_or(ClassKind::Equity);
        let bucket = market
            .buckets
            .iter()
            .find(|b| b.position == *id && b.condition == "normal")
            .map(|b| b.bucket);
        let score = market
            .liquidity
            .iter()
            .find(|l| l.position == *id)
            .map(|l| l.score);
        let late = pos.lag > r_set || pos.window > 1;
        let liquid = !late && score.is_some_and(|s| s + 1e-9 >= cfg.liquid_min_score);
        let layer = if pos.tier == tier::CASH_LIKE || kind == ClassKind::CashLike {
            1
        } else if pos.tier == tier::SOVEREIGN
            || (kind == ClassKind::FixedIncome
                && pos.flags & pflag::RATE_ROUTE != 0
                && pos.duration as f64 <= cfg.short_duration_years)
        {
            2
        } else if pos.window > 1 || bucket == Some(Bucket::Illiquid) {
            7
        } else {
            match (kind, liquid) {
                (ClassKind::FixedIncome | ClassKind::Credit, true) => 4,
                (ClassKind::FixedIncome | ClassKind::Credit, false) => 6,
                (ClassKind::Alternative, false) => 7,
                (_, true) => 3,
                (_, false) => 5,
            }
        };
        rows.push((
            layer,
            late,
            unit,
            HierarchyRow {
                rank: 0,
                layer,
                layer_name: LAYERS[layer as usize - 1].to_string(),
                position: id.clone(),
                class: fund
                    .classes
                    .get(pos.class as usize)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                weight: w,
                stressed_cost_bps: unit * 1e4,
                settlement_days: pos.lag,
                days_to_liquidate_stressed: days_needed(w, per_day, pos.window),
                cumulative_weight: 0.0,
                bucket,
                liquidity_score: score,
                settles_late: late,
                index: i,
            },
        ));
    }
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.total_cmp(&b.2))
            .then(a.3.index.cmp(&b.3.index))
    });
    let mut cumulative = 0.0;
    rows.into_iter()
        .enumerate()
        .map(|(k, (_, _, _, mut r))| {
            cumulative += r.weight;
            r.rank = k as u32 + 1;
            r.cumulative_weight = cumulative;
            r
        })
        .collect()
}

/// Splits `amount` down the hierarchy: each position gives up to its weight.
pub fn allocate(hierarchy: &[HierarchyRow], amount: f64) -> Vec<(usize, f64)> {
    let mut left = amount.max(0.0);
    let mut out = Vec::new();
    for r in hierarchy {
        if left <= 0.0 {
            break;
        }
        let x = left.min(r.weight);
        if x > 0.0 {
            out.push((r.index, x));
            left -= x;
        }
    }
    out
}

/// How the significant-redemption scenarios are chosen (module doc of [`super`]).
pub const SELECTION: &str = "requests within 30 days at or above the level in a reference run \
                             (the fund's own strategy, endogenous channels off), the same \
                             scenarios for every strategy";

/// The claim's reduction `1 − h̄ / p̄` with an approximate 95% interval (delta method on paired
/// per-scenario measures), the mean paired difference `h − p` with its standard error, and the
/// share of scenarios with `h < p` with its Wilson interval.
pub struct PairedReduction {
    pub reduction: f64,
    pub ci: [f64; 2],
    pub difference: f64,
    pub difference_se: f64,
    pub wins: f64,
    pub wins_ci: [f64; 2],
}

pub fn paired_reduction(h: &[f64], p: &[f64]) -> PairedReduction {
    let n = h.len().min(p.len());
    let nan2 = [f64::NAN; 2];
    if n == 0 {
        return PairedReduction {
            reduction: f64::NAN,
            ci: nan2,
            difference: f64::NAN,
            difference_se: f64::NAN,
            wins: f64::NAN,
            wins_ci: nan2,
        };
    }
    let nf = n as f64;
    let (hm, pm) = (mean(&h[..n]), mean(&p[..n]));
    let r = reduction(hm, pm);
    let sd = |d: &[f64]| {
        if n < 2 {
            f64::NAN
        } else {
            let m = mean(d);
            (d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (nf - 1.0)).sqrt()
        }
    };
    let diff: Vec<f64> = h.iter().zip(p).map(|(a, b)| a - b).collect();
    let ratio = hm / pm;
    let lin: Vec<f64> = h.iter().zip(p).map(|(a, b)| a - ratio * b).collect();
    let se_r = if pm > 0.0 {
        sd(&lin) / (nf.sqrt() * pm)
    } else {
        f64::NAN
    };
    let z = crate::stats::Z95;
    let wins = h.iter().zip(p).filter(|(a, b)| a < b).count() as u64;
    PairedReduction {
        reduction: r,
        ci: [r - z * se_r, r + z * se_r],
        difference: mean(&diff),
        difference_se: sd(&diff) / nf.sqrt(),
        wins: wins as f64 / nf,
        wins_ci: crate::stats::wilson_bounds(wins, n as u64, z).unwrap_or(nan2),
    }
}

/// The verdict of a value against the band `[lo, hi]` (module doc of [`super`]).
pub fn verdict_of(x: f64, [lo, hi]: [f64; 2]) -> &'static str {
    if !x.is_finite() || x <= 0.0 {
        "no_reduction"
    } else if x < lo {
        "overstated"
    } else if x > hi {
        "understated"
    } else {
        "holds"
    }
}

/// What an interval supports: the verdict both its ends share, else "undecided".
pub fn interval_verdict(ci: [f64; 2], band: [f64; 2]) -> &'static str {
    if !(ci[0].is_finite() && ci[1].is_finite()) {
        return "undecided";
    }
    let (a, b) = (verdict_of(ci[0], band), verdict_of(ci[1], band));
    if a == b {
        a
    } else {
        "undecided"
    }
}

/// The claim judged: `rows` are pro rata, the fund's waterfall, the hierarchy's waterfall and
/// the recommended strategy; `h` and `p` the hierarchy's and pro rata's impact plus MTM loss per
/// significant scenario, bps.
pub(crate) fn judge(
    cfg: &LiquidationConfig,
    significant: usize,
    same_order_as_fund: bool,
    rows: [&StrategyResult; 4],
    h: &[f64],
    p: &[f64],
) -> HierarchyClaim {
    let [pro_rata, fund_waterfall, hierarchy, recommended] = rows;
    let impact_reduction = |x: &StrategyResult, reference: &StrategyResult| {
        reduction(
            x.stressed_mean_impact_with_mtm_bps,
            reference.stressed_mean_impact_with_mtm_bps,
        )
    };
    let pr = paired_reduction(h, p);
    let reduction_vs_pro_rata = impact_reduction(hierarchy, pro_rata);
    let (verdict, interval) = if significant == 0 {
        ("no_significant_scenarios", "no_significant_scenarios")
    } else {
        (
            verdict_of(reduction_vs_pro_rata, cfg.claim_band),
            interval_verdict(pr.ci, cfg.claim_band),
        )
    };
    HierarchyClaim {
        claim: CLAIM,
        significant_redemption: cfg.significant_redemption,
        significant_scenarios: significant as u64,
        hierarchy_impact_bps: hierarchy.stressed_mean_impact_bps,
        pro_rata_impact_bps: pro_rata.stressed_mean_impact_bps,
        fund_waterfall_impact_bps: fund_waterfall.stressed_mean_impact_bps,
        recommended_impact_bps: recommended.stressed_mean_impact_bps,
        reduction_vs_pro_rata,
        reduction_ci: pr.ci,
        paired_difference_bps: pr.difference,
        paired_difference_se_bps: pr.difference_se,
        hierarchy_beats_pro_rata: pr.wins,
        hierarchy_beats_pro_rata_ci: pr.wins_ci,
        hierarchy_impact_with_mtm_bps: hierarchy.stressed_mean_impact_with_mtm_bps,
        pro_rata_impact_with_mtm_bps: pro_rata.stressed_mean_impact_with_mtm_bps,
        impact_only_reduction_vs_pro_rata: reduction(
            hierarchy.stressed_mean_impact_bps,
            pro_rata.stressed_mean_impact_bps,
        ),
        selection: SELECTION,
        reduction_vs_fund_waterfall: impact_reduction(hierarchy, fund_waterfall),
        same_order_as_fund,
        recommended_reduction_vs_pro_rata: impact_reduction(recommended, pro_rata),
        hierarchy_cost_bps: hierarchy.stressed_mean_cost_bps,
        pro_rata_cost_bps: pro_rata.stressed_mean_cost_bps,
        total_cost_reduction_vs_pro_rata: reduction(
            hierarchy.stressed_mean_cost_bps,
            pro_rata.stressed_mean_cost_bps,
        ),
        band: cfg.claim_band,
        holds: verdict == "holds",
        verdict,
        interval_verdict: interval,
    }
}
