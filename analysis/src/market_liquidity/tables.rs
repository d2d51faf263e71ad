//! Stage 1's tables: `liquidity_profile.csv`, `inverse_queries.csv`, `buckets.csv`,
//! `impact_models.csv`.

use super::MarketLiquidityReport;
use crate::table::{header, num, opt, text, Table};

/// Stage 1's tables.
pub fn tables(m: &MarketLiquidityReport) -> Vec<Table> {
    let mut out = Vec::new();
    let mut h = header(&[
        "position",
        "condition",
        "participation",
        "weight",
        "days_to_liquidate",
        "cost_bps",
    ]);
    for d in &m.horizons {
        h.push(format!("sold_share_{d}d"));
    }
    for d in &m.horizons {
        h.push(format!("cost_{d}d_bps"));
    }
    let rows = m
        .profile
        .iter()
        .map(|r| {
            let mut row = vec![
                text(&r.position),
                r.condition.clone(),
                num(r.participation),
                num(r.weight),
                num(r.days_to_liquidate),
                num(r.cost_bps),
            ];
            row.extend(r.sold_share.iter().map(|x| num(*x)));
            row.extend(r.horizon_cost_bps.iter().map(|x| num(*x)));
            row
        })
        .collect();
    out.push(Table {
        file: "liquidity_profile.csv",
        header: h,
        rows,
    });

    let rows = m
        .inverse
        .iter()
        .map(|r| {
            vec![
                text(&r.position),
                r.condition.clone(),
                num(m.target_days),
                opt(r.participation_for_target_days),
                opt(r.cost_for_target_days_bps),
                num(m.cost_threshold_bps),
                opt(r.participation_for_cost_threshold),
                opt(r.days_for_cost_threshold),
            ]
        })
        .collect();
    out.push(Table {
        file: "inverse_queries.csv",
        header: header(&[
            "position",
            "condition",
            "target_days",
            "participation_for_target_days",
            "cost_for_target_days_bps",
            "cost_threshold_bps",
            "participation_for_cost_threshold",
            "days_for_cost_threshold",
        ]),
        rows,
    });

    let rows = m
        .buckets
        .iter()
        .map(|r| {
            let score = m
                .liquidity
                .iter()
                .find(|l| l.position == r.position)
                .map(|l| l.score);
            vec![
                text(&r.position),
                r.condition.clone(),
                num(r.weight),
                num(r.participation),
                num(r.sale_days),
                num(r.cash_days),
                num(r.cost_bps),
                r.bucket.name().to_string(),
                opt(score),
            ]
        })
        .collect();
    out.push(Table {
        file: "buckets.csv",
        header: header(&[
            "position",
            "condition",
            "weight",
            "participation",
            "sale_days",
            "cash_days",
            "cost_bps",
            "bucket",
            "liquidity_score",
        ]),
        rows,
    });

    let rows = m
        .impact_models
        .iter()
        .map(|r| {
            vec![
                text(&r.position),
                r.condition.clone(),
                num(r.participation),
                num(r.linear_bps),
                num(r.square_root_bps),
                num(r.threshold_bps),
                num(r.adaptive_bps),
            ]
        })
        .collect();
    out.push(Table {
        file: "impact_models.csv",
        header: header(&[
            "position",
            "condition",
            "participation",
            "linear_bps",
            "square_root_bps",
            "threshold_bps",
            "adaptive_bps",
        ]),
        rows,
    });
    out
}
