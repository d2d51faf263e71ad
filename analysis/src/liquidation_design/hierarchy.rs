//! Stage 4's liquidation hierarchy: the fund's positions ranked in sale order by layer, the
//! allocation of a sale down that order, and the use case's claim about it judged.

use super::*;

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

pub(crate) fn judge(
    cfg: &LiquidationConfig,
    significant: usize,
    same_order_as_fund: bool,
    pro_rata: &StrategyResult,
    fund_waterfall: &StrategyResult,
    hierarchy: &StrategyResult,
    recommended: &StrategyResult,
) -> HierarchyClaim {
    let impact_reduction = |x: &StrategyResult, reference: &StrategyResult| {
        reduction(
            x.stressed_mean_impact_bps,
            reference.stressed_mean_impact_bps,
        )
    };
    let reduction_vs_pro_rata = impact_reduction(hierarchy, pro_rata);
    let [lo, hi] = cfg.claim_band;
    let verdict = if significant == 0 {
        "no_significant_scenarios"
    } else if !reduction_vs_pro_rata.is_finite() || reduction_vs_pro_rata <= 0.0 {
        "no_reduction"
    } else if reduction_vs_pro_rata < lo {
        "overstated"
    } else if reduction_vs_pro_rata > hi {
        "understated"
    } else {
        "holds"
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
    }
}
