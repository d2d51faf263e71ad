//! Stage 5's tables: `gate_grid.csv`, `swing_calibration.csv`, `early_warning.csv`,
//! `reverse_stress_map.csv`, `playbook.csv`.

use super::gates::GateGrid;
use super::swing::SwingCalibration;
use super::{early_warning, playbook, reverse_stress, RedemptionPolicyReport};
use crate::table::{header, num, opt, text, Table};

/// Stage 5's tables, in the order of its analyses.
pub fn tables(r: &RedemptionPolicyReport) -> Vec<Table> {
    let mut out = gate_tables(&r.gate_grid, &r.swing);
    out.extend(early_warning::tables(&r.early_warning));
    out.extend(reverse_stress::tables(&r.reverse_stress));
    out.extend(playbook::tables(&r.playbook));
    out
}

/// `gate_grid.csv` (one row per grid point, in grid order) and `swing_calibration.csv`.
pub fn gate_tables(grid: &GateGrid, swing: &SwingCalibration) -> Vec<Table> {
    let gate_rows = grid
        .rows
        .iter()
        .map(|r| {
            vec![
                text(&r.label),
                opt(r.redemptions_30d),
                opt(r.alr),
                opt(r.stress),
                num(r.gate_cap),
                opt(r.investor_gate_cap),
                r.fund_notice_days.to_string(),
                r.use_case.to_string(),
                num(r.gate_frequency),
                num(r.gate_frequency_low),
                num(r.gate_frequency_high),
                num(r.mean_gate_days),
                num(r.shortfall_frequency),
                num(r.shortfall_frequency_low),
                num(r.shortfall_frequency_high),
                r.shortfall_differs.to_string(),
                num(r.mean_shortfall),
                num(r.mean_dilution_bps),
                num(r.mean_cost_bps),
                num(r.mean_deferred_end),
                num(r.shortfall_avoided),
                num(r.dilution_avoided),
                num(r.deferred_avoided),
                num(r.harm_avoided),
                num(r.unnecessary_gate_share),
                num(r.unnecessary_gate_frequency),
                num(r.shortfall_raised_share),
                num(r.protection_score),
                num(r.operational_score),
                num(r.reputation_score),
                num(r.score),
                r.rank.to_string(),
            ]
        })
        .collect();
    let swing_rows = swing
        .rows
        .iter()
        .map(|r| {
            vec![
                num(r.threshold),
                num(r.factor),
                r.kind.to_string(),
                num(r.mean_dilution_bps),
                num(r.dilution_avoided),
                num(r.mean_swing_income_bps),
                num(r.mean_overcharge_bps),
                num(r.mean_cost_bps),
                num(r.swing_frequency),
                num(r.score),
                r.rank.to_string(),
            ]
        })
        .collect();
    vec![
        Table {
            file: "gate_grid.csv",
            header: header(&[
                "label",
                "redemptions_30d",
                "alr",
                "stress",
                "gate_cap",
                "investor_gate_cap",
                "fund_notice_days",
                "use_case",
                "gate_frequency",
                "gate_frequency_low",
                "gate_frequency_high",
                "mean_gate_days",
                "shortfall_frequency",
                "shortfall_frequency_low",
                "shortfall_frequency_high",
                "shortfall_differs",
                "mean_shortfall",
                "mean_dilution_bps",
                "mean_cost_bps",
                "mean_deferred_end",
                "shortfall_avoided",
                "dilution_avoided",
                "deferred_avoided",
                "harm_avoided",
                "unnecessary_gate_share",
                "unnecessary_gate_frequency",
                "shortfall_raised_share",
                "protection_score",
                "operational_score",
                "reputation_score",
                "score",
                "rank",
            ]),
            rows: gate_rows,
        },
        Table {
            file: "swing_calibration.csv",
            header: header(&[
                "threshold",
                "factor",
                "kind",
                "mean_dilution_bps",
                "dilution_avoided",
                "mean_swing_income_bps",
                "mean_overcharge_bps",
                "mean_cost_bps",
                "swing_frequency",
                "score",
                "rank",
            ]),
            rows: swing_rows,
        },
    ]
}
