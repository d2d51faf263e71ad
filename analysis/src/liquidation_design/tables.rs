//! Stage 4's tables.

use super::LiquidationReport;
use crate::table::{header, num, text, Table};

/// Stage 4's tables: `strategy_comparison.csv` (with the residual portfolio),
/// `execution_comparison.csv`, `hierarchy.csv`.
pub fn tables(r: &LiquidationReport) -> Vec<Table> {
    let residual = |name: &str| r.residual.iter().find(|x| x.strategy == name);
    let strategies = Table {
        file: "strategy_comparison.csv",
        header: header(&[
            "strategy",
            "rank",
            "score",
            "mean_cost_bps",
            "p50_cost_bps",
            "p90_cost_bps",
            "p95_cost_bps",
            "p99_cost_bps",
            "reduction_vs_pro_rata",
            "stressed_mean_cost_bps",
            "stressed_reduction_vs_pro_rata",
            "mean_impact_bps",
            "alpha_forgone_bps",
            "style_drift",
            "factor_deviation",
            "within_limits",
            "shortfall_frequency",
            "gate_frequency",
            "illiquid_share_mean",
            "illiquid_share_p95",
            "illiquid_breach_frequency",
            "mean_mtm_loss_bps",
            "mean_cost_with_mtm_bps",
            "reduction_with_mtm_vs_pro_rata",
            "stressed_mean_mtm_loss_bps",
            "stressed_mean_impact_with_mtm_bps",
            "stressed_mean_cost_with_mtm_bps",
        ]),
        rows: r
            .strategies
            .iter()
            .chain(std::iter::once(&r.hierarchy_waterfall))
            .map(|x| {
                let res = residual(&x.strategy);
                vec![
                    x.strategy.clone(),
                    x.rank.to_string(),
                    num(x.score),
                    num(x.mean_cost_bps),
                    num(x.p50_cost_bps),
                    num(x.p90_cost_bps),
                    num(x.p95_cost_bps),
                    num(x.p99_cost_bps),
                    num(x.reduction_vs_pro_rata),
                    num(x.stressed_mean_cost_bps),
                    num(x.stressed_reduction_vs_pro_rata),
                    num(x.mean_impact_bps),
                    num(x.alpha_forgone_bps),
                    num(x.style_drift),
                    num(x.factor_deviation),
                    x.within_limits.to_string(),
                    num(x.shortfall_frequency),
                    num(x.gate_frequency),
                    res.map(|v| num(v.illiquid_share_mean)).unwrap_or_default(),
                    res.map(|v| num(v.illiquid_share_p95)).unwrap_or_default(),
                    res.map(|v| num(v.breach_frequency)).unwrap_or_default(),
                    num(x.mean_mtm_loss_bps),
                    num(x.mean_cost_with_mtm_bps),
                    num(x.reduction_with_mtm_vs_pro_rata),
                    num(x.stressed_mean_mtm_loss_bps),
                    num(x.stressed_mean_impact_with_mtm_bps),
                    num(x.stressed_mean_cost_with_mtm_bps),
                ]
            })
            .collect(),
    };
    let execution = Table {
        file: "execution_comparison.csv",
        header: header(&[
            "approach",
            "condition",
            "amount",
            "days",
            "cost_bps",
            "cost_sd_bps",
            "risk_adjusted_cost_bps",
            "cost_bps_of_amount",
            "feasible",
            "mtm_loss_bps",
            "cost_with_mtm_bps",
        ]),
        rows: r
            .execution
            .iter()
            .map(|e| {
                vec![
                    e.approach.clone(),
                    e.condition.clone(),
                    num(e.amount),
                    num(e.days),
                    num(e.cost_bps),
                    num(e.cost_sd_bps),
                    num(e.risk_adjusted_cost_bps),
                    num(e.cost_bps_of_amount),
                    e.feasible.to_string(),
                    num(e.mtm_loss_bps),
                    num(e.cost_with_mtm_bps),
                ]
            })
            .collect(),
    };
    let hierarchy = Table {
        file: "hierarchy.csv",
        header: header(&[
            "rank",
            "layer",
            "layer_name",
            "position",
            "class",
            "weight",
            "stressed_cost_bps",
            "settlement_days",
            "days_to_liquidate_stressed",
            "cumulative_weight",
            "bucket",
            "liquidity_score",
            "settles_late",
        ]),
        rows: r
            .hierarchy
            .iter()
            .map(|h| {
                vec![
                    h.rank.to_string(),
                    h.layer.to_string(),
                    h.layer_name.clone(),
                    text(&h.position),
                    text(&h.class),
                    num(h.weight),
                    num(h.stressed_cost_bps),
                    h.settlement_days.to_string(),
                    num(h.days_to_liquidate_stressed),
                    num(h.cumulative_weight),
                    h.bucket.map(|b| b.name().to_string()).unwrap_or_default(),
                    h.liquidity_score.map(num).unwrap_or_default(),
                    h.settles_late.to_string(),
                ]
            })
            .collect(),
    };
    vec![strategies, execution, hierarchy]
}
