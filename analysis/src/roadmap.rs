//! The implementation roadmap (`roadmap` in `summary.json`): the steps the stages' results call
//! for, decided here once every stage has run and written in display order, so that the report
//! only words and draws them.
//!
//! A step names its phase, the action (one sentence template per action in the report), the
//! stage it comes from, and `because`: the numbers or indices the decision rests on. A stage that
//! did not run gives one `pending` step; the periodic rerun is always the last `ongoing` step.

use serde::Serialize;

use crate::graph::StageId;
use crate::liquidation_design::choice::ExecutionChoice;
use crate::liquidation_design::LiquidationReport;
use crate::portfolio_liquidity::buffer::BufferSearch;
use crate::portfolio_liquidity::construct::Construction;
use crate::portfolio_liquidity::recommendation::BufferBasis;
use crate::portfolio_liquidity::PortfolioLiquidityReport;
use crate::redemption_policy::early_warning::EarlyWarningRow;
use crate::redemption_policy::gates::{GateGrid, GateRow};
use crate::redemption_policy::recommendation::{GateKind, GateRecommendation};
use crate::redemption_policy::swing::SwingRow;
use crate::redemption_policy::RedemptionPolicyReport;
use crate::stats::Verdict;

/// When a step is due; the roadmap is sorted by phase, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Now,
    WithinAMonth,
    NextBoardCycle,
    Ongoing,
    /// The stage that would size the step did not run.
    Pending,
}

/// One step of the roadmap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoadmapStep {
    pub phase: Phase,
    /// The stage whose results call for the step (`None`: the periodic rerun).
    pub stage: Option<StageId>,
    /// `action` (the step's kind) and `because` (what it rests on).
    #[serde(flatten)]
    pub action: Action,
}

/// The buffer against the fund's static one (indices into `portfolio_liquidity.buffer.results`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BufferChange {
    pub static_index: usize,
    pub recommended_index: usize,
    pub target_coverage: f64,
    /// Recommended minus static.
    pub coverage_change: f64,
    /// The two coverages' Wilson 95% intervals (the verdicts the step rests on).
    pub static_coverage_low: f64,
    pub static_coverage_high: f64,
    pub recommended_coverage_low: f64,
    pub recommended_coverage_high: f64,
    pub opportunity_cost_change_bps: f64,
}

/// The gate recommendation against gates off and the use case's trigger.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateStep {
    /// The best-scoring trigger.
    pub trigger: GateRow,
    /// `no_gate_needed` only: the best-ranked trigger that fires, should a gate be wanted.
    pub if_wanted: Option<GateRow>,
    pub baseline_shortfall_frequency: f64,
    pub use_case: Option<GateRow>,
}

/// The construction constraint with the least slack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tightest {
    pub constraint: String,
    pub slack: f64,
}

/// A position's weight change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Move {
    pub position: String,
    pub change: f64,
}

/// An early-warning indicator to monitor, at its calibrated threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Monitored {
    pub indicator: String,
    pub threshold: f64,
    pub hit_rate: Option<f64>,
    pub lead_days: Option<f64>,
}

/// What a stage that did not run would have sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingWhat {
    SizeBuffer,
    ChooseLiquidation,
    SetPolicies,
}

/// A step's kind and what it rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", content = "because", rename_all = "snake_case")]
pub enum Action {
    /// The static buffer meets the target already.
    KeepBuffer(BufferChange),
    /// The static buffer misses the target; a searched composition meets it.
    RestructureBuffer(BufferChange),
    /// No composition searched meets the target; the best ranked is named as such.
    WidenBufferSearch {
        static_index: usize,
        target_coverage: f64,
        best_ranked_index: Option<usize>,
    },
    /// The construction's limits cannot all hold together.
    RevisitConstructionLimits { tightest: Option<Tightest> },
    /// The fund's weights meet every construction constraint.
    NoRebalancingNeeded { tightest: Option<Tightest> },
    /// Rebalance: the largest moves (at most three) and the turnover.
    Rebalance { moves: Vec<Move>, turnover: f64 },
    /// Adopt the recommended liquidation strategy.
    AdoptLiquidationOrder { strategy: String },
    /// The cheapest feasible execution approach per condition.
    SetExecutionApproach { by_condition: Vec<ExecutionChoice> },
    /// Set the recommended gate trigger (recommendation `gate`).
    SetGateTrigger(Box<GateStep>),
    /// No gate needed: the best-scoring trigger never fires (recommendation `no_gate_needed`).
    NoGateNeeded(Box<GateStep>),
    /// Set the best-scoring swing pricing.
    SetSwingPricing { best: SwingRow },
    /// Monitor the indicators with the best hit rate net of false alarms.
    MonitorEarlyWarning { indicators: Vec<Monitored> },
    /// Adopt the communication playbook.
    AdoptPlaybook { stages: usize },
    /// Watch for the least severe combination of the reverse stress test that falls short
    /// (failure to pay), with the Wilson 95% interval of its probability.
    WatchReverseStress {
        market_severity: f64,
        redemption_severity: f64,
        failure_probability: f64,
        failure_probability_low: f64,
        failure_probability_high: f64,
    },
    /// Rerun the analysis periodically, with the same scenario count.
    RerunPeriodically { scenarios: u64 },
    /// The stage did not run.
    Pending { what: PendingWhat },
}

/// What the roadmap reads: the stages' outputs (`None`: not run) and the main sweep's size.
pub struct RoadmapInputs<'a> {
    pub portfolio: Option<&'a PortfolioLiquidityReport>,
    pub liquidation: Option<&'a LiquidationReport>,
    pub policy: Option<&'a RedemptionPolicyReport>,
    pub scenarios: u64,
}

/// The roadmap, in display order: by phase; within a phase, buffer and construction, then
/// liquidation, then policy, then the rerun ("pending" steps last).
pub fn roadmap(inputs: &RoadmapInputs) -> Vec<RoadmapStep> {
    let mut steps = Vec::new();
    let stage_steps = |stage, what, found: Option<Vec<(Phase, Action)>>| match found {
        Some(actions) => actions
            .into_iter()
            .map(|(phase, action)| RoadmapStep {
                phase,
                stage: Some(stage),
                action,
            })
            .collect(),
        None => vec![RoadmapStep {
            phase: Phase::Pending,
            stage: Some(stage),
            action: Action::Pending { what },
        }],
    };
    steps.extend(stage_steps(
        StageId::PortfolioLiquidity,
        PendingWhat::SizeBuffer,
        inputs.portfolio.map(portfolio_steps),
    ));
    steps.extend(stage_steps(
        StageId::LiquidationDesign,
        PendingWhat::ChooseLiquidation,
        inputs.liquidation.map(liquidation_steps),
    ));
    steps.extend(stage_steps(
        StageId::RedemptionPolicy,
        PendingWhat::SetPolicies,
        inputs.policy.map(policy_steps),
    ));
    steps.push(RoadmapStep {
        phase: Phase::Ongoing,
        stage: None,
        action: Action::RerunPeriodically {
            scenarios: inputs.scenarios,
        },
    });
    // Stable: within a phase, the order above holds.
    steps.sort_by_key(|s| s.phase);
    steps
}

/// The buffer step and the construction step.
fn portfolio_steps(p: &PortfolioLiquidityReport) -> Vec<(Phase, Action)> {
    let mut steps: Vec<(Phase, Action)> = buffer_action(&p.buffer)
        .into_iter()
        .map(|a| (Phase::Now, a))
        .collect();
    steps.push((Phase::Now, construction_action(&p.construction)));
    steps
}

/// Keep or restructure the buffer (the static one against the recommended composition, the
/// cheapest whose coverage clears the target with its interval), or widen the search when none
/// does (naming the best ranked); nothing without a static buffer. Only decisive verdicts act:
/// a static buffer whose coverage is not distinguishable from the target calls for no buffer
/// step (the findings say so; more scenarios would settle it).
pub fn buffer_action(b: &BufferSearch) -> Option<Action> {
    let static_index = b.static_index?;
    let s = b.results.get(static_index)?;
    if !s.target_verdict.decisive() {
        return None;
    }
    let target_coverage = b.target_coverage;
    let meeting = b
        .recommended
        .filter(|r| r.basis == BufferBasis::CheapestMeetingTarget)
        .and_then(|r| b.results.get(r.index).map(|c| (r.index, c)))
        .filter(|(_, c)| c.target_verdict == Verdict::Meets);
    let Some((i, r)) = meeting else {
        return Some(Action::WidenBufferSearch {
            static_index,
            target_coverage,
            best_ranked_index: b.recommended.map(|r| r.index),
        });
    };
    let change = BufferChange {
        static_index,
        recommended_index: i,
        target_coverage,
        coverage_change: r.coverage - s.coverage,
        static_coverage_low: s.coverage_low,
        static_coverage_high: s.coverage_high,
        recommended_coverage_low: r.coverage_low,
        recommended_coverage_high: r.coverage_high,
        opportunity_cost_change_bps: r.opportunity_cost_bps - s.opportunity_cost_bps,
    };
    Some(if s.target_verdict == Verdict::Meets {
        Action::KeepBuffer(change)
    } else {
        Action::RestructureBuffer(change)
    })
}

/// Rebalance (the three largest moves above 1e-4 of NAV), or nothing to rebalance / limits to
/// revisit (the constraint with the least slack).
pub fn construction_action(c: &Construction) -> Action {
    let mut tightest: Option<Tightest> = None;
    for k in c.constraints.iter().filter(|k| k.slack.is_finite()) {
        if tightest.as_ref().is_none_or(|t| k.slack < t.slack) {
            tightest = Some(Tightest {
                constraint: k.name.clone(),
                slack: k.slack,
            });
        }
    }
    if !c.feasible {
        return Action::RevisitConstructionLimits { tightest };
    }
    if c.already_met {
        return Action::NoRebalancingNeeded { tightest };
    }
    let change = |x: f64| if x.is_finite() { x } else { 0.0 };
    let mut pos: Vec<(f64, &str)> = c
        .positions
        .iter()
        .map(|p| (change(p.change), p.position.as_str()))
        .collect();
    pos.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let moves = pos
        .iter()
        .take(3)
        .filter(|(x, _)| x.abs() > 1e-4)
        .map(|(x, name)| Move {
            position: name.to_string(),
            change: *x,
        })
        .collect();
    Action::Rebalance {
        moves,
        turnover: c.turnover,
    }
}

/// Adopt the recommended liquidation order; set the execution approach per condition.
fn liquidation_steps(l: &LiquidationReport) -> Vec<(Phase, Action)> {
    let mut steps: Vec<(Phase, Action)> = l
        .strategies
        .iter()
        .filter(|s| s.strategy == l.recommended)
        .map(|s| {
            let strategy = s.strategy.clone();
            (
                Phase::WithinAMonth,
                Action::AdoptLiquidationOrder { strategy },
            )
        })
        .collect();
    let by_condition = l.execution_choice.clone();
    if !by_condition.is_empty() {
        steps.push((
            Phase::WithinAMonth,
            Action::SetExecutionApproach { by_condition },
        ));
    }
    steps
}

/// The gate trigger, swing pricing, early warning, the playbook and the reverse-stress watch.
fn policy_steps(r: &RedemptionPolicyReport) -> Vec<(Phase, Action)> {
    let mut steps = Vec::new();
    if let Some(rec) = &r.recommendation {
        steps.push((Phase::NextBoardCycle, gate_action(rec, &r.gate_grid)));
    }
    if let Some(best) = &r.swing.best {
        steps.push((
            Phase::NextBoardCycle,
            Action::SetSwingPricing { best: best.clone() },
        ));
    }
    let indicators = monitored(&r.early_warning.rows);
    if !indicators.is_empty() {
        steps.push((Phase::Ongoing, Action::MonitorEarlyWarning { indicators }));
    }
    steps.push((
        Phase::NextBoardCycle,
        Action::AdoptPlaybook {
            stages: r.playbook.len(),
        },
    ));
    if let Some(l) = &r.reverse_stress.least_severe {
        steps.push((
            Phase::Ongoing,
            Action::WatchReverseStress {
                market_severity: l.market_severity,
                redemption_severity: l.redemption_severity,
                failure_probability: l.failure_probability,
                failure_probability_low: l.low,
                failure_probability_high: l.high,
            },
        ));
    }
    steps
}

/// The gate step: the one gate recommendation, set the trigger or no gate needed, against gates
/// off and the use case's trigger.
pub fn gate_action(rec: &GateRecommendation, grid: &GateGrid) -> Action {
    let step = Box::new(GateStep {
        trigger: rec.trigger.clone(),
        if_wanted: rec.if_wanted.clone(),
        baseline_shortfall_frequency: grid.baseline.shortfall_frequency,
        use_case: grid.use_case.clone(),
    });
    match rec.kind {
        GateKind::Gate => Action::SetGateTrigger(step),
        GateKind::NoGateNeeded => Action::NoGateNeeded(step),
    }
}

/// The three calibrated indicators (those with a best threshold) with the largest calibrated hit
/// rate net of false alarms (a missing rate counts 0 for hits, 1 for false alarms; ties keep the
/// rows' order). An indicator without a calibrated threshold is never recommended.
pub fn monitored(rows: &[EarlyWarningRow]) -> Vec<Monitored> {
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    let mut ranked: Vec<(f64, Monitored)> = rows
        .iter()
        .filter_map(|row| {
            let threshold = finite(row.best_threshold)?;
            let hit = finite(row.best_hit_rate).unwrap_or(0.0);
            let fa = finite(row.best_false_alarm_rate).unwrap_or(1.0);
            let m = Monitored {
                indicator: row.indicator.to_string(),
                threshold,
                hit_rate: row.best_hit_rate,
                lead_days: row.best_median_lead_days,
            };
            Some((hit - fa, m))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.into_iter().take(3).map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portfolio_liquidity::config::ConstructionConfig;
    use crate::portfolio_liquidity::construct::{ConstraintCheck, WeightChange};
    use crate::portfolio_liquidity::recommendation::testing::{result, search};
    use crate::redemption_policy::early_warning::Direction;

    #[test]
    fn stages_that_did_not_run_are_pending_after_the_rerun() {
        let steps = roadmap(&RoadmapInputs {
            portfolio: None,
            liquidation: None,
            policy: None,
            scenarios: 1000,
        });
        let got: Vec<(Phase, Option<StageId>)> = steps.iter().map(|s| (s.phase, s.stage)).collect();
        assert_eq!(
            got,
            [
                (Phase::Ongoing, None),
                (Phase::Pending, Some(StageId::PortfolioLiquidity)),
                (Phase::Pending, Some(StageId::LiquidationDesign)),
                (Phase::Pending, Some(StageId::RedemptionPolicy)),
            ]
        );
        assert_eq!(
            steps[0].action,
            Action::RerunPeriodically { scenarios: 1000 }
        );
        let json = serde_json::to_value(&steps[1]).unwrap();
        assert_eq!(json["phase"], "pending");
        assert_eq!(json["stage"], "portfolio_liquidity");
        assert_eq!(json["action"], "pending");
        assert_eq!(json["because"]["what"], "size_buffer");
    }

    #[test]
    fn a_static_buffer_meeting_the_target_is_kept_else_restructured_else_the_search_widened() {
        let keep = search(vec![
            result("static 20% cash", 0.20, 0.99, 40.0),
            result("grid", 0.17, 0.99, 30.0),
        ]);
        match buffer_action(&keep) {
            Some(Action::KeepBuffer(c)) => {
                assert_eq!((c.static_index, c.recommended_index), (0, 1));
                assert!((c.opportunity_cost_change_bps + 10.0).abs() < 1e-12);
            }
            other => panic!("expected keep_buffer, got {other:?}"),
        }
        let restructure = search(vec![
            result("static 7% cash", 0.07, 0.60, 14.0),
            result("grid", 0.17, 0.99, 30.0),
        ]);
        match buffer_action(&restructure) {
            Some(Action::RestructureBuffer(c)) => {
                assert!((c.coverage_change - 0.39).abs() < 1e-12);
                assert!((c.opportunity_cost_change_bps - 16.0).abs() < 1e-12);
            }
            other => panic!("expected restructure_buffer, got {other:?}"),
        }
        let widen = search(vec![result("static 7% cash", 0.07, 0.60, 14.0)]);
        assert!(matches!(
            buffer_action(&widen),
            Some(Action::WidenBufferSearch {
                static_index: 0,
                ..
            })
        ));
        assert_eq!(buffer_action(&search(Vec::new())), None, "no static buffer");
    }

    #[test]
    fn only_decisive_buffer_verdicts_make_a_step() {
        // 98.70% of 10,000 against 98.5%: the interval (98.46% to 98.90%) holds the target.
        let undecided = search(vec![
            result("static 7% cash", 0.07, 0.987, 14.0),
            result("grid", 0.17, 0.999, 30.0),
        ]);
        assert_eq!(
            undecided.results[0].target_verdict,
            Verdict::NotDistinguishable
        );
        assert_eq!(
            buffer_action(&undecided),
            None,
            "no step on an undecided verdict"
        );
        // The same point estimate on a decisive count acts: 99.5% clears the target.
        let decided = search(vec![
            result("static 7% cash", 0.07, 0.995, 14.0),
            result("grid", 0.17, 0.999, 30.0),
        ]);
        assert!(matches!(
            buffer_action(&decided),
            Some(Action::KeepBuffer(_))
        ));
        // A composition not distinguishable from the target is not one to restructure to.
        let no_target = search(vec![
            result("static 7% cash", 0.07, 0.60, 14.0),
            result("grid", 0.17, 0.987, 30.0),
        ]);
        assert!(matches!(
            buffer_action(&no_target),
            Some(Action::WidenBufferSearch { .. })
        ));
    }

    fn construction(feasible: bool, already_met: bool, changes: &[f64]) -> Construction {
        let check = |name: &str, slack: f64| ConstraintCheck {
            name: name.into(),
            sense: "max",
            limit: 0.1,
            before: 0.0,
            after: 0.0,
            met_before: true,
            met_after: true,
            slack,
            shadow_price: 0.0,
            binding: false,
        };
        Construction {
            settings: ConstructionConfig::default(),
            status: "Solved".into(),
            feasible,
            already_met,
            cash_before: 0.07,
            cash_after: 0.07,
            positions: changes
                .iter()
                .enumerate()
                .map(|(i, &change)| WeightChange {
                    position: format!("p{i}"),
                    class: "equities".into(),
                    before: 0.1,
                    after: 0.1 + change,
                    change,
                })
                .collect(),
            turnover: 0.05,
            constraints: vec![check("a", 0.3), check("b", f64::NAN), check("c", 0.1)],
            binding: Vec::new(),
        }
    }

    #[test]
    fn the_construction_step_follows_feasibility_and_the_moves() {
        let tightest = Some(Tightest {
            constraint: "c".into(),
            slack: 0.1,
        });
        assert_eq!(
            construction_action(&construction(false, false, &[0.01])),
            Action::RevisitConstructionLimits {
                tightest: tightest.clone()
            }
        );
        assert_eq!(
            construction_action(&construction(true, true, &[])),
            Action::NoRebalancingNeeded { tightest }
        );
        // The three largest moves by size, those above 1e-4 of NAV only.
        let moves = match construction_action(&construction(
            true,
            false,
            &[0.01, -0.03, 5e-5, 0.02, 0.001],
        )) {
            Action::Rebalance { moves, turnover } => {
                assert_eq!(turnover, 0.05);
                moves
            }
            other => panic!("expected rebalance, got {other:?}"),
        };
        let names: Vec<&str> = moves.iter().map(|m| m.position.as_str()).collect();
        assert_eq!(names, ["p1", "p3", "p0"]);
        match construction_action(&construction(true, false, &[5e-5])) {
            Action::Rebalance { moves, .. } => assert!(moves.is_empty()),
            other => panic!("expected rebalance, got {other:?}"),
        }
    }

    #[test]
    fn the_gate_step_is_the_gate_recommendation() {
        use crate::redemption_policy::recommendation::recommend;
        use crate::redemption_policy::recommendation::testing::{grid, row};
        let (quiet, firing) = (row(1.2, 0.0, 1), row(1.5, 0.3, 2));
        let g = grid(Some(quiet.clone()), Some(firing.clone()));
        match gate_action(&recommend(&g).unwrap(), &g) {
            Action::NoGateNeeded(step) => {
                assert_eq!(step.trigger, quiet);
                assert_eq!(step.if_wanted, Some(firing.clone()));
            }
            other => panic!("expected no_gate_needed, got {other:?}"),
        }
        let g = grid(Some(firing.clone()), Some(firing.clone()));
        match gate_action(&recommend(&g).unwrap(), &g) {
            Action::SetGateTrigger(step) => {
                assert_eq!(step.trigger, firing);
                assert_eq!(step.if_wanted, None);
            }
            other => panic!("expected set_gate_trigger, got {other:?}"),
        }
    }

    fn indicator(name: &'static str, best: Option<(f64, f64)>) -> EarlyWarningRow {
        EarlyWarningRow {
            indicator: name,
            direction: Direction::Above,
            enabled: true,
            threshold: 0.05,
            hit_rate: 0.5,
            false_alarm_rate: 0.5,
            median_lead_days: Some(3.0),
            mean_lead_days: Some(3.0),
            best_threshold: best.map(|_| 0.07),
            best_hit_rate: best.map(|b| b.0),
            best_false_alarm_rate: best.map(|b| b.1),
            best_median_lead_days: best.map(|_| 2.0),
            best_mean_lead_days: best.map(|_| 2.0),
            levels: Vec::new(),
        }
    }

    #[test]
    fn the_monitored_indicators_rank_by_hit_rate_net_of_false_alarms() {
        let rows = [
            indicator("a", Some((0.5, 0.3))),
            indicator("b", Some((0.9, 0.1))),
            indicator("c", None),
            indicator("d", Some((0.6, 0.4))),
            indicator("e", Some((0.4, 0.1))),
        ];
        let names: Vec<String> = monitored(&rows).into_iter().map(|m| m.indicator).collect();
        // b 0.8, e 0.3, a and d 0.2 (a first: ties keep the rows' order).
        assert_eq!(names, ["b", "e", "a"]);
        assert_eq!(
            monitored(&rows[..1])[0].threshold,
            0.07,
            "the calibrated threshold"
        );
        // An uncalibrated indicator is never recommended, even when fewer than three are.
        let names: Vec<String> = monitored(&rows[..3])
            .into_iter()
            .map(|m| m.indicator)
            .collect();
        assert_eq!(names, ["b", "a"]);
        assert!(monitored(&rows[2..3]).is_empty());
    }
}
