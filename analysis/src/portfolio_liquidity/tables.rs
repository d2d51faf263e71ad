//! Stage 3's tables: `lar.csv`, `frontier.csv` (each composition's coverage with its Wilson 95%
//! interval and verdict against the target), `construction.csv`.

use super::PortfolioLiquidityReport;
use crate::table::{header, num, text, Table};

/// Stage 3's tables.
pub fn tables(p: &PortfolioLiquidityReport) -> Vec<Table> {
    let mut out = Vec::new();
    let mut rows = Vec::new();
    for r in &p.needs.rows {
        for (k, c) in p.needs.confidences.iter().enumerate() {
            rows.push(vec![
                r.horizon_days.to_string(),
                num(*c),
                num(r.lar[k]),
                num(r.lar_currency[k]),
            ]);
        }
    }
    out.push(Table {
        file: "lar.csv",
        header: header(&["horizon_days", "confidence", "lar", "lar_currency"]),
        rows,
    });
    let rows = p
        .buffer
        .results
        .iter()
        .map(|r| {
            vec![
                text(&r.label),
                num(r.cash),
                num(r.sovereign),
                num(r.etf),
                num(r.total),
                num(r.coverage),
                num(r.coverage_low),
                num(r.coverage_high),
                text(r.target_verdict.name()),
                num(r.survival),
                num(r.gate_frequency),
                num(r.shortfall_frequency),
                num(r.opportunity_cost_bps),
                num(r.expected_cost_bps),
                num(r.cost_p99_bps),
                r.meets_target.to_string(),
                r.on_frontier.to_string(),
                num(r.score),
                r.rank.to_string(),
            ]
        })
        .collect();
    out.push(Table {
        file: "frontier.csv",
        header: header(&[
            "label",
            "cash",
            "sovereign",
            "etf",
            "total",
            "coverage",
            "coverage_low",
            "coverage_high",
            "target_verdict",
            "survival",
            "gate_frequency",
            "shortfall_frequency",
            "opportunity_cost_bps",
            "expected_cost_bps",
            "cost_p99_bps",
            "meets_target",
            "on_frontier",
            "score",
            "rank",
        ]),
        rows,
    });
    let c = &p.construction;
    let mut rows: Vec<Vec<String>> = c
        .positions
        .iter()
        .map(|w| {
            vec![
                text(&w.position),
                text(&w.class),
                num(w.before),
                num(w.after),
                num(w.change),
            ]
        })
        .collect();
    rows.push(vec![
        "CASH".into(),
        "".into(),
        num(c.cash_before),
        num(c.cash_after),
        num(c.cash_after - c.cash_before),
    ]);
    out.push(Table {
        file: "construction.csv",
        header: header(&["position", "class", "before", "after", "change"]),
        rows,
    });
    out
}
