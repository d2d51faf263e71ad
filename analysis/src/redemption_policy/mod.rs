//! Stage 5, the redemption policy formulator: the gate triggers and swing pricing calibrated
//! ([`gates`], [`swing`]) and the gate recommended ([`recommendation`]), the early-warning
//! indicators measured and calibrated ([`early_warning`], the earliest warning in [`lead`]), the
//! reverse stress test ([`reverse_stress`]), and the communication playbook built from the
//! calibrated thresholds ([`playbook`]); settings in [`config`], findings in [`findings`], tables
//! in [`tables`].

pub mod config;
pub mod early_warning;
pub mod findings;
pub mod gates;
pub mod lead;
pub mod playbook;
pub mod recommendation;
pub mod reverse_stress;
pub mod swing;
pub mod tables;

use serde::Serialize;

use crate::{AnalysisError, Context};
use early_warning::EarlyWarning;
use gates::{GateGrid, GateRow};
use playbook::{GateTriggerChoice, PlaybookStage};
use reverse_stress::ReverseStress;
use swing::SwingCalibration;
use undertow_host::fund::Fund;

/// Stage 5's output: the gate triggers and swing pricing calibrated, the early-warning
/// indicators measured and calibrated, the reverse stress test, and the communication playbook
/// built from the calibrated thresholds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RedemptionPolicyReport {
    pub gate_grid: GateGrid,
    pub swing: SwingCalibration,
    pub early_warning: EarlyWarning,
    pub reverse_stress: ReverseStress,
    /// The gate trigger the playbook is built on, from [`Self::recommendation`]: the recommended
    /// trigger, or the one to use if a gate is wanted ([`recommendation::GateRecommendation::policy_trigger`]);
    /// the fund's own without a recommendation.
    pub recommended_gate: GateTriggerChoice,
    pub playbook: Vec<PlaybookStage>,
    /// The gate recommendation ([`recommendation::recommend`]; `None` when the grid has no best
    /// point).
    pub recommendation: Option<recommendation::GateRecommendation>,
}

/// The trigger of a gate grid's row, for the playbook.
fn trigger_of(row: &GateRow, min_days: u32, fund: &Fund) -> GateTriggerChoice {
    GateTriggerChoice {
        redemptions_30d: row.redemptions_30d,
        alr: row.alr,
        stress: row.stress,
        gate_cap: row.gate_cap,
        all_triggers: fund.model.params.gate_rule == undertow_kernel::gate::RULE_ALL,
        mean_gate_days: Some(row.mean_gate_days),
        min_days: Some(min_days),
    }
}

/// Runs stage 5: its four analyses are independent of one another and run side by side (their
/// simulations share the analysis' thread pool); the playbook then reads the calibrated gate
/// trigger and early-warning thresholds.
pub(crate) fn run(ctx: &Context) -> Result<RedemptionPolicyReport, AnalysisError> {
    let (fund, seed, cfg, sim) = (ctx.inputs.fund, ctx.inputs.seed, ctx.cfg, ctx.sim);
    let (gate_grid, swing, early_warning, reverse_stress) = std::thread::scope(|s| {
        let g = s.spawn(|| {
            gates::calibrate_gates(fund, ctx.first(cfg.gates.scenarios), seed, sim, &cfg.gates)
        });
        let w = s.spawn(|| {
            swing::calibrate_swing(fund, ctx.first(cfg.swing.scenarios), seed, sim, &cfg.swing)
        });
        let e = s.spawn(|| {
            early_warning::early_warning(
                fund,
                ctx.inputs.base_outputs,
                ctx.first(cfg.early_warning.scenarios),
                seed,
                sim,
                &cfg.early_warning,
            )
        });
        let r = reverse_stress::reverse_stress(fund, seed, sim, &cfg.reverse_stress);
        let join = "a redemption-policy analysis panicked";
        (
            g.join().expect(join),
            w.join().expect(join),
            e.join().expect(join),
            r,
        )
    });
    // A device failure of the reverse stress grid: the caller reruns the stage on the CPU.
    let reverse_stress = reverse_stress?;
    let recommendation = recommendation::recommend(&gate_grid);
    let recommended_gate = recommendation
        .as_ref()
        .map(|r| trigger_of(r.policy_trigger(), gate_grid.min_days, fund))
        .unwrap_or_else(|| GateTriggerChoice::of_fund(fund));
    let playbook = playbook::playbook(&early_warning, Some(recommended_gate), fund);
    Ok(RedemptionPolicyReport {
        gate_grid,
        swing,
        early_warning,
        reverse_stress,
        recommended_gate,
        playbook,
        recommendation,
    })
}
