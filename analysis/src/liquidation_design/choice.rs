//! The execution choice: the cheapest feasible execution approach per market condition
//! (`liquidation_design.execution_choice` in `summary.json`).

use serde::Serialize;

use super::execution::ExecutionRow;

/// The approach chosen for one market condition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecutionChoice {
    pub condition: String,
    pub approach: String,
    /// Expected cost, bps of initial NAV.
    pub cost_bps: f64,
    /// MTM loss on what the fund keeps, and cost plus MTM loss (the ranked quantity), bps.
    pub mtm_loss_bps: f64,
    pub cost_with_mtm_bps: f64,
}

/// The cheapest feasible approach per condition by cost plus MTM loss (a value that is not a
/// number does not count; on a tie the first row wins), conditions in the order of their first
/// feasible row with a cost.
pub fn cheapest_feasible(execution: &[ExecutionRow]) -> Vec<ExecutionChoice> {
    let mut out: Vec<ExecutionChoice> = Vec::new();
    let choice = |e: &ExecutionRow| ExecutionChoice {
        condition: e.condition.clone(),
        approach: e.approach.clone(),
        cost_bps: e.cost_bps,
        mtm_loss_bps: e.mtm_loss_bps,
        cost_with_mtm_bps: e.cost_with_mtm_bps,
    };
    for e in execution
        .iter()
        .filter(|e| e.feasible && e.cost_with_mtm_bps.is_finite())
    {
        match out.iter_mut().find(|x| x.condition == e.condition) {
            Some(x) if e.cost_with_mtm_bps < x.cost_with_mtm_bps => *x = choice(e),
            Some(_) => {}
            None => out.push(choice(e)),
        }
    }
    out
}

/// [`cheapest_feasible`], conditions in the order they first appear in `execution` (feasible or
/// not): the execution choice as the report shows it.
pub fn execution_choice(execution: &[ExecutionRow]) -> Vec<ExecutionChoice> {
    let mut conditions: Vec<&str> = Vec::new();
    for e in execution {
        if !conditions.contains(&e.condition.as_str()) {
            conditions.push(&e.condition);
        }
    }
    let mut out = cheapest_feasible(execution);
    out.sort_by_key(|c| conditions.iter().position(|x| *x == c.condition));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(approach: &str, condition: &str, cost_bps: f64, feasible: bool) -> ExecutionRow {
        row_mtm(approach, condition, cost_bps, 0.0, feasible)
    }

    fn row_mtm(
        approach: &str,
        condition: &str,
        cost_bps: f64,
        mtm_bps: f64,
        feasible: bool,
    ) -> ExecutionRow {
        ExecutionRow {
            approach: approach.into(),
            condition: condition.into(),
            amount: 0.1,
            days: 1.0,
            cost_bps,
            cost_sd_bps: 0.0,
            mtm_loss_bps: mtm_bps,
            cost_with_mtm_bps: cost_bps + mtm_bps,
            risk_adjusted_cost_bps: cost_bps + mtm_bps,
            cost_bps_of_amount: cost_bps * 10.0,
            feasible,
        }
    }

    fn pairs(c: &[ExecutionChoice]) -> Vec<(&str, &str, f64)> {
        c.iter()
            .map(|c| (c.condition.as_str(), c.approach.as_str(), c.cost_bps))
            .collect()
    }

    #[test]
    fn the_cheapest_feasible_approach_wins_per_condition() {
        let rows = [
            // "normal" first appears infeasible, so its first feasible row comes after "stressed".
            row("immediate", "normal", 1.0, false),
            row("immediate", "stressed", 9.0, true),
            row("slicing", "normal", 3.0, true),
            row("slicing", "stressed", 7.0, true),
            row("vwap", "normal", 3.0, true),
            row("vwap", "stressed", f64::NAN, true),
            row("block", "crisis", 2.0, false),
        ];
        // Ties keep the first row; infeasible rows and costs that are not numbers never win; a
        // condition with no feasible row is left out.
        assert_eq!(
            pairs(&cheapest_feasible(&rows)),
            [("stressed", "slicing", 7.0), ("normal", "slicing", 3.0)]
        );
        assert_eq!(
            pairs(&execution_choice(&rows)),
            [("normal", "slicing", 3.0), ("stressed", "slicing", 7.0)],
            "conditions in the order they first appear"
        );
        assert!(execution_choice(&rows[6..]).is_empty());
    }

    #[test]
    fn the_mtm_loss_counts_in_the_choice() {
        // Participation is cheaper in cost alone (5 < 6) but its own impact marks down what the
        // fund keeps by 3 bps; the block trade, sold to a dealer, by 0.5: the block wins.
        let rows = [
            row_mtm("volume_participation", "normal", 5.0, 3.0, true),
            row_mtm("block_trade", "normal", 6.0, 0.5, true),
        ];
        let c = cheapest_feasible(&rows);
        assert_eq!(c[0].approach, "block_trade");
        assert_eq!((c[0].cost_bps, c[0].cost_with_mtm_bps), (6.0, 6.5));
        // Without the MTM loss the choice would be participation.
        let flat = [
            row("volume_participation", "normal", 5.0, true),
            row("block_trade", "normal", 6.0, true),
        ];
        assert_eq!(cheapest_feasible(&flat)[0].approach, "volume_participation");
    }
}
