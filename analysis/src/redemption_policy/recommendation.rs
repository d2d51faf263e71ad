//! The gate recommendation: the one decision on the gate trigger that the executive summary, the
//! roadmap and the playbook draw (`redemption_policy.recommendation` in `summary.json`).

use serde::Serialize;

use super::gates::{GateGrid, GateRow};

/// Whether to set a gate at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// The best-scoring trigger never fires: on this fund no gate of the grid helps, and quoting
    /// it as a policy would read as one that does something.
    NoGateNeeded,
    /// The best-scoring trigger fires: set it.
    Gate,
}

/// Why the recommendation is what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateReason {
    BestNeverFires,
    BestScoresHighest,
}

/// The gate recommendation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateRecommendation {
    pub kind: GateKind,
    pub reason: GateReason,
    /// The best-scoring grid point (`gate_grid.best`).
    pub trigger: GateRow,
    /// Kind `no_gate_needed` only: the best-ranked point that fires, should a gate be wanted
    /// anyway (`gate_grid.best_firing`; `None` when none fires).
    pub if_wanted: Option<GateRow>,
}

impl GateRecommendation {
    /// The trigger a gate policy is built on: the recommended one, else the one to use if a gate
    /// is wanted, else the best-scoring one.
    pub fn policy_trigger(&self) -> &GateRow {
        match self.kind {
            GateKind::Gate => &self.trigger,
            GateKind::NoGateNeeded => self.if_wanted.as_ref().unwrap_or(&self.trigger),
        }
    }
}

/// The recommendation from the calibrated grid: no gate when the best-scoring trigger never
/// fires, else that trigger; `None` when the grid has no best point.
pub fn recommend(grid: &GateGrid) -> Option<GateRecommendation> {
    let best = grid.best.as_ref()?;
    let never_fires = best.gate_frequency == 0.0;
    Some(GateRecommendation {
        kind: if never_fires {
            GateKind::NoGateNeeded
        } else {
            GateKind::Gate
        },
        reason: if never_fires {
            GateReason::BestNeverFires
        } else {
            GateReason::BestScoresHighest
        },
        trigger: best.clone(),
        if_wanted: if never_fires {
            grid.best_firing.clone()
        } else {
            None
        },
    })
}

/// Hand-built gate grids for the tests of the gate decisions.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::redemption_policy::config::GateWeights;
    use crate::redemption_policy::gates::GateBaseline;

    /// A grid point with trigger ALR < `alr` that gates in `gate_frequency` of scenarios.
    pub(crate) fn row(alr: f64, gate_frequency: f64, rank: u32) -> GateRow {
        GateRow {
            label: format!("ALR < {alr}"),
            redemptions_30d: None,
            alr: Some(alr),
            stress: None,
            gate_cap: 0.05,
            investor_gate_cap: None,
            fund_notice_days: 0,
            use_case: false,
            gate_frequency,
            gate_frequency_low: gate_frequency,
            gate_frequency_high: gate_frequency,
            mean_gate_days: 0.0,
            shortfall_frequency: 0.0,
            shortfall_frequency_low: 0.0,
            shortfall_frequency_high: 0.0,
            shortfall_differs: false,
            mean_shortfall: 0.0,
            mean_dilution_bps: 0.0,
            mean_cost_bps: 0.0,
            mean_deferred_end: 0.0,
            shortfall_avoided: 0.0,
            dilution_avoided: 0.0,
            deferred_avoided: 0.0,
            harm_avoided: 0.0,
            unnecessary_gate_share: 0.0,
            unnecessary_gate_frequency: 0.0,
            shortfall_raised_share: 0.0,
            protection_score: 0.0,
            operational_score: 1.0,
            reputation_score: 1.0,
            score: 1.0 / rank as f64,
            rank,
        }
    }

    /// A grid whose best and best-firing points are those given.
    pub(crate) fn grid(best: Option<GateRow>, best_firing: Option<GateRow>) -> GateGrid {
        GateGrid {
            scenarios: 10,
            horizon_days: 20,
            rule: "any",
            min_days: 5,
            weights: GateWeights::default(),
            baseline: GateBaseline {
                shortfall_frequency: 0.0,
                shortfall_frequency_low: 0.0,
                shortfall_frequency_high: 0.0,
                mean_shortfall: 0.0,
                mean_dilution_bps: 0.0,
                mean_cost_bps: 0.0,
                mean_deferred_end: 0.0,
            },
            rows: best.iter().chain(best_firing.iter()).cloned().collect(),
            best,
            best_firing,
            use_case: None,
            use_case_claim: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{grid, row};
    use super::*;

    #[test]
    fn a_best_trigger_that_never_fires_means_no_gate_with_the_firing_one_if_wanted() {
        let (quiet, firing) = (row(1.2, 0.0, 1), row(1.5, 0.3, 2));
        let rec = recommend(&grid(Some(quiet.clone()), Some(firing.clone()))).unwrap();
        assert_eq!(rec.kind, GateKind::NoGateNeeded);
        assert_eq!(rec.reason, GateReason::BestNeverFires);
        assert_eq!(rec.trigger, quiet);
        assert_eq!(rec.if_wanted.as_ref(), Some(&firing));
        assert_eq!(
            rec.policy_trigger(),
            &firing,
            "a policy is built on the firing one"
        );
        // No trigger fires at all: still no gate, nothing to offer instead.
        let rec = recommend(&grid(Some(quiet.clone()), None)).unwrap();
        assert_eq!(rec.kind, GateKind::NoGateNeeded);
        assert_eq!(rec.if_wanted, None);
        assert_eq!(rec.policy_trigger(), &quiet);
    }

    #[test]
    fn a_best_trigger_that_fires_is_recommended() {
        let best = row(1.2, 0.1, 1);
        let rec = recommend(&grid(Some(best.clone()), Some(best.clone()))).unwrap();
        assert_eq!(rec.kind, GateKind::Gate);
        assert_eq!(rec.reason, GateReason::BestScoresHighest);
        assert_eq!(rec.trigger, best);
        assert_eq!(rec.if_wanted, None);
        assert_eq!(rec.policy_trigger(), &best);
        assert_eq!(
            recommend(&grid(None, None)),
            None,
            "no grid point, no recommendation"
        );
    }

    #[test]
    fn the_recommendation_is_written_with_its_kind() {
        let rec = recommend(&grid(Some(row(1.2, 0.0, 1)), None)).unwrap();
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(json["kind"], "no_gate_needed");
        assert_eq!(json["reason"], "best_never_fires");
        assert!(json["if_wanted"].is_null());
        assert_eq!(json["trigger"]["alr"], 1.2);
    }
}
