//! Stage 5: the swing-pricing calibration (the method is in [`super::gates`]' module doc).

use serde::Serialize;
use undertow_kernel::{switch, FundModel, ScenarioOutput, ScenarioParams};

use super::config::SwingConfig;
use super::gates::{mean, share};
use crate::sim::Simulator;
use undertow_format::text::pct;
use undertow_host::aggregate::total_cost;
use undertow_host::fund::Fund;

/// The fund's model with swing pricing at `threshold` and `factor` (0: dynamic), capped at `cap`.
pub fn swing_model(model: &FundModel, threshold: f64, factor: f64, cap: f64) -> FundModel {
    let mut m = model.clone();
    m.params.switches |= switch::SWING;
    m.params.swing_threshold = threshold as f32;
    m.params.swing_fixed = factor as f32;
    m.params.swing_cap = cap as f32;
    m
}

/// One swing setting's results.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingRow {
    pub threshold: f64,
    /// 0: the dynamic factor (the day's estimated cost rate).
    pub factor: f64,
    /// "dynamic" or "fixed" (a fixed factor is also an anti-dilution levy: see `levy_note`).
    pub kind: &'static str,
    pub mean_dilution_bps: f64,
    /// No-swing mean dilution minus this setting's, fraction of NAV.
    pub dilution_avoided: f64,
    pub mean_swing_income_bps: f64,
    /// Mean of what redeemers paid beyond the costs they caused, bps of NAV.
    pub mean_overcharge_bps: f64,
    pub mean_cost_bps: f64,
    /// Share of scenarios in which the price swung at least once.
    pub swing_frequency: f64,
    pub score: f64,
    pub rank: u32,
}

/// The no-swing baseline.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingBaseline {
    pub mean_dilution_bps: f64,
    pub mean_cost_bps: f64,
}

/// The swing-pricing calibration.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingCalibration {
    pub scenarios: u64,
    pub cap: f64,
    pub baseline: SwingBaseline,
    /// Thresholds outer, factors inner, in the order given.
    pub rows: Vec<SwingRow>,
    pub best: Option<SwingRow>,
    pub score_note: &'static str,
    pub levy_note: &'static str,
}

/// How the swing score is computed.
pub const SWING_SCORE_NOTE: &str = "score = 1 - (mean dilution + mean overcharge) / mean dilution \
without swing; per scenario dilution = max(0, cost - swing income), overcharge = max(0, swing \
income - cost); 1 charges redeemers exactly the costs they cause, 0 is no better than no swing";

/// Why the anti-dilution levy has no rows of its own.
pub const LEVY_NOTE: &str =
    "The model's fund has no subscriptions, so a swing only ever applies on \
outflow days; an anti-dilution levy of x on redemptions above the threshold, paid into the fund, \
is then the same cash flow as a fixed swing factor of x. The fixed-factor rows are the levy.";

/// Summarises one swing setting's records against the no-swing baseline's.
pub fn swing_row(
    threshold: f64,
    factor: f64,
    outs: &[ScenarioOutput],
    base: &[ScenarioOutput],
) -> SwingRow {
    let base_dilution = mean(base, |o| o.dilution as f64);
    let dilution = mean(outs, |o| o.dilution as f64);
    let overcharge = mean(outs, |o| (o.swing_income as f64 - total_cost(o)).max(0.0));
    let mismatch = dilution + overcharge;
    let score = if base_dilution > 1e-12 {
        1.0 - mismatch / base_dilution
    } else if mismatch <= 1e-12 {
        1.0
    } else {
        0.0
    };
    SwingRow {
        threshold,
        factor,
        kind: if factor > 0.0 { "fixed" } else { "dynamic" },
        mean_dilution_bps: dilution * 1e4,
        dilution_avoided: base_dilution - dilution,
        mean_swing_income_bps: mean(outs, |o| o.swing_income as f64) * 1e4,
        mean_overcharge_bps: overcharge * 1e4,
        mean_cost_bps: mean(outs, total_cost) * 1e4,
        swing_frequency: share(outs, |o| o.swing_income > 0.0),
        score,
        rank: 0,
    }
}

/// Ranks swing rows by score (ties: less dilution, then the order given).
pub fn rank_swing(rows: &mut [SwingRow]) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows[b]
            .score
            .total_cmp(&rows[a].score)
            .then(
                rows[a]
                    .mean_dilution_bps
                    .total_cmp(&rows[b].mean_dilution_bps),
            )
            .then(a.cmp(&b))
    });
    for (k, &i) in order.iter().enumerate() {
        rows[i].rank = k as u32 + 1;
    }
}

/// Reruns the first `cfg.scenarios` of `scenarios` without swing pricing and at every
/// threshold × factor, gates and everything else as the fund has them.
pub fn calibrate_swing(
    fund: &Fund,
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
    cfg: &SwingConfig,
) -> SwingCalibration {
    let scenarios = &scenarios[..(cfg.scenarios as usize).min(scenarios.len())];
    let model = &fund.model;
    let mut no_swing = model.clone();
    no_swing.params.switches &= !switch::SWING;
    let mut grid = Vec::new();
    let mut models = Vec::new();
    for &threshold in &cfg.thresholds {
        for &factor in &cfg.factors {
            grid.push((threshold, factor));
            models.push(swing_model(model, threshold, factor, cfg.cap));
        }
    }
    // Each point is a policy variant of the no-swing fund, simulated only where its swing
    // factor departs from 0 (`Simulator::run_variants`).
    let (base, outs) = sim.run_variants(&no_swing, &models, scenarios, 0, seed);
    let mut rows: Vec<SwingRow> = grid
        .iter()
        .zip(&outs)
        .map(|(&(threshold, factor), outs)| swing_row(threshold, factor, outs, &base))
        .collect();
    rank_swing(&mut rows);
    SwingCalibration {
        scenarios: scenarios.len() as u64,
        cap: cfg.cap,
        baseline: SwingBaseline {
            mean_dilution_bps: mean(&base, |o| o.dilution as f64) * 1e4,
            mean_cost_bps: mean(&base, total_cost) * 1e4,
        },
        best: rows.iter().find(|r| r.rank == 1).cloned(),
        rows,
        score_note: SWING_SCORE_NOTE,
        levy_note: LEVY_NOTE,
    }
}

pub(crate) fn factor_text(r: &SwingRow) -> String {
    if r.factor > 0.0 {
        format!("a fixed {} factor", pct(r.factor))
    } else {
        "the dynamic factor (the day's estimated cost rate)".to_string()
    }
}
