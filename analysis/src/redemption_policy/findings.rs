//! Stage 5's findings: the gate trigger and swing setting recommended, the early-warning
//! indicators, the reverse stress test and the playbook, as sentences with their numbers.

use super::gates::{GateGrid, GateRow};
use super::swing::{factor_text, SwingCalibration, LEVY_NOTE};
use super::{early_warning, playbook, reverse_stress, RedemptionPolicyReport};
use crate::findings::{finding, p1, p2, Finding};
use crate::graph::StageId;
use undertow_format::text::bps;
use undertow_format::text::pct;
use undertow_host::fund::Fund;

/// How the gate findings were judged (issue 10): the verdicts are conditional on the scenario
/// set, and redemptions a gate pushes past the horizon are harm, not harm avoided.
pub const JUDGED: &str = "Conditional on the stress library, re-judged with redemptions still deferred at the horizon counted as harm and 95% intervals on frequencies:";

/// "95% 1.2% to 3.4%".
fn range(low: f64, high: f64) -> String {
    format!("95% {} to {}", p1(low), p1(high))
}

/// Whether two frequencies' intervals are disjoint, in words.
fn differs(yes: bool) -> &'static str {
    if yes {
        "a difference the scenarios can tell"
    } else {
        "not distinguishable from no gate at 95%"
    }
}

/// Stage 5's findings: gates and swing pricing, then the early warning, the reverse stress test
/// and the playbook.
pub fn findings(fund: &Fund, r: &RedemptionPolicyReport) -> Vec<Finding> {
    let mut all = gate_findings(&r.gate_grid, &r.swing);
    all.extend(early_warning::findings(&r.early_warning));
    all.extend(reverse_stress::findings(fund, &r.reverse_stress));
    all.extend(playbook::findings(&r.playbook));
    all
}

/// The stage's findings on gates and swing pricing: the recommended trigger and cap, the use
/// case's trigger judged against it, and the recommended swing setting.
pub fn gate_findings(grid: &GateGrid, swing: &SwingCalibration) -> Vec<Finding> {
    let mut out = Vec::new();
    recommended_gate(grid, &mut out);
    use_case_trigger(grid, &mut out);
    gate_feedback(grid, &mut out);
    swing_pricing(swing, &mut out);
    out
}

/// The recommended gate trigger and cap, and what they do against no gate.
fn recommended_gate(grid: &GateGrid, out: &mut Vec<Finding>) {
    let s = StageId::RedemptionPolicy;
    let b = &grid.baseline;
    if let Some(r) = &grid.best {
        let protects = r.protection_score > 0.0 && r.gate_frequency > 0.0;
        let any_protects = grid
            .rows
            .iter()
            .any(|x| x.protection_score > 0.0 && x.gate_frequency > 0.0);
        let lead = if protects {
            format!(
                "The best gate of {} policies on {} scenarios over {} days is {}",
                grid.rows.len(),
                grid.scenarios,
                grid.horizon_days,
                r.label
            )
        } else if any_protects {
            format!(
                "The best-scoring of {} policies on {} scenarios over {} days is {}, although it does not reduce harm: with these weights, fewer gated days and needless gates count for more than the protection other gates give",
                grid.rows.len(),
                grid.scenarios,
                grid.horizon_days,
                r.label
            )
        } else {
            format!(
                "No gate of the {} policies protects remaining investors on {} scenarios over {} days: without a gate the fund falls short in {} of scenarios (mean {} of NAV) with {} of dilution, and no trigger level avoids more harm than it adds. The best-scoring policy is {}",
                grid.rows.len(),
                grid.scenarios,
                grid.horizon_days,
                p1(b.shortfall_frequency),
                p2(b.mean_shortfall),
                bps(b.mean_dilution_bps),
                r.label
            )
        };
        let scores = format!(
            "score {:.3}: protection {:.2}, operational {:.2}, reputation {:.2}",
            r.score, r.protection_score, r.operational_score, r.reputation_score
        );
        let text = if r.gate_frequency > 0.0 {
            format!(
                "{JUDGED} {lead} ({scores}). It gates in {} of scenarios (95% interval {}) for {:.1} days on average, takes the shortfall frequency from {} ({}) to {} ({}; {}) and the mean shortfall from {} to {} of NAV, dilution from {} to {}, and redemptions still owed at the horizon from {} to {} of NAV; {} of its gates fall in scenarios that had no shortfall without a gate.",
                p1(r.gate_frequency),
                range(r.gate_frequency_low, r.gate_frequency_high),
                r.mean_gate_days,
                p1(b.shortfall_frequency),
                range(b.shortfall_frequency_low, b.shortfall_frequency_high),
                p1(r.shortfall_frequency),
                range(r.shortfall_frequency_low, r.shortfall_frequency_high),
                differs(r.shortfall_differs),
                p2(b.mean_shortfall),
                p2(r.mean_shortfall),
                bps(b.mean_dilution_bps),
                bps(r.mean_dilution_bps),
                p2(b.mean_deferred_end),
                p2(r.mean_deferred_end),
                p1(r.unnecessary_gate_share),
            )
        } else {
            format!("{JUDGED} {lead} ({scores}), whose trigger never fired: in effect, no gate.")
        };
        let mut values = trigger_values(r);
        values.extend([
            ("protects", protects as u8 as f64),
            ("gate_cap", r.gate_cap),
            ("score", r.score),
            ("gate_frequency", r.gate_frequency),
            ("mean_gate_days", r.mean_gate_days),
            ("baseline_shortfall_frequency", b.shortfall_frequency),
            ("shortfall_frequency", r.shortfall_frequency),
            ("baseline_mean_shortfall", b.mean_shortfall),
            ("mean_shortfall", r.mean_shortfall),
            ("baseline_mean_dilution_bps", b.mean_dilution_bps),
            ("mean_dilution_bps", r.mean_dilution_bps),
            ("unnecessary_gate_share", r.unnecessary_gate_share),
            ("gate_frequency_low", r.gate_frequency_low),
            ("gate_frequency_high", r.gate_frequency_high),
            ("shortfall_frequency_low", r.shortfall_frequency_low),
            ("shortfall_frequency_high", r.shortfall_frequency_high),
            (
                "baseline_shortfall_frequency_low",
                b.shortfall_frequency_low,
            ),
            (
                "baseline_shortfall_frequency_high",
                b.shortfall_frequency_high,
            ),
            ("shortfall_differs", r.shortfall_differs as u8 as f64),
            ("baseline_mean_deferred_end", b.mean_deferred_end),
            ("mean_deferred_end", r.mean_deferred_end),
            ("harm_avoided", r.harm_avoided),
        ]);
        out.push(finding(s, "recommended_gate", text, &values));
        if let Some(f) = grid.best_firing.as_ref().filter(|f| f.rank != r.rank) {
            let mut values = trigger_values(f);
            values.extend([
                ("gate_cap", f.gate_cap),
                ("rank", f.rank as f64),
                ("score", f.score),
                ("gate_frequency", f.gate_frequency),
                ("mean_gate_days", f.mean_gate_days),
                ("shortfall_frequency", f.shortfall_frequency),
                ("shortfall_frequency_low", f.shortfall_frequency_low),
                ("shortfall_frequency_high", f.shortfall_frequency_high),
                ("shortfall_differs", f.shortfall_differs as u8 as f64),
                ("mean_deferred_end", f.mean_deferred_end),
                ("mean_dilution_bps", f.mean_dilution_bps),
                ("unnecessary_gate_share", f.unnecessary_gate_share),
            ]);
            out.push(finding(
                s,
                "best_firing_gate",
                format!(
                    "If a gate is wanted all the same, the best that fires is {} (rank {}, score {:.3}): it gates in {} of scenarios for {:.1} days on average, shortfall frequency {} ({}) against {} ({}) without a gate ({}), {} of NAV still owed at the horizon, dilution {} against {}, and {} of its gates fall in scenarios that had no shortfall without one.",
                    f.label,
                    f.rank,
                    f.score,
                    p1(f.gate_frequency),
                    f.mean_gate_days,
                    p1(f.shortfall_frequency),
                    range(f.shortfall_frequency_low, f.shortfall_frequency_high),
                    p1(b.shortfall_frequency),
                    range(b.shortfall_frequency_low, b.shortfall_frequency_high),
                    differs(f.shortfall_differs),
                    p2(f.mean_deferred_end),
                    bps(f.mean_dilution_bps),
                    bps(b.mean_dilution_bps),
                    p1(f.unnecessary_gate_share),
                ),
                &values,
            ));
        }
    }
}

/// The use case's trigger judged against the recommended one.
fn use_case_trigger(grid: &GateGrid, out: &mut Vec<Finding>) {
    let s = StageId::RedemptionPolicy;
    if let (Some(u), Some(best), Some(c)) = (&grid.use_case, &grid.best, &grid.use_case_claim) {
        let verdict = if c.rank == 1 {
            "is the best of the grid".to_string()
        } else if c.holds {
            format!("ranks near the top (within the top {})", c.near_top_ranks)
        } else {
            format!(
                "does NOT rank near the top (outside the top {})",
                c.near_top_ranks
            )
        };
        out.push(finding(
            s,
            "use_case_gate_claim",
            format!(
                "{JUDGED} The use case's trigger — {} — {}: rank {} of {}, score {:.3} against {:.3} for the best. Against the best: protection {:.2} vs {:.2} (shortfall frequency {} ({}) vs {} ({}), dilution {} vs {}, still owed at the horizon {} vs {} of NAV), operational {:.2} vs {:.2} ({:.1} vs {:.1} gated days), reputation {:.2} vs {:.2} ({} vs {} of scenarios gated without need).",
                u.label,
                verdict,
                c.rank,
                c.of,
                u.score,
                best.score,
                u.protection_score,
                best.protection_score,
                p1(u.shortfall_frequency),
                range(u.shortfall_frequency_low, u.shortfall_frequency_high),
                p1(best.shortfall_frequency),
                range(best.shortfall_frequency_low, best.shortfall_frequency_high),
                bps(u.mean_dilution_bps),
                bps(best.mean_dilution_bps),
                p2(u.mean_deferred_end),
                p2(best.mean_deferred_end),
                u.operational_score,
                best.operational_score,
                u.mean_gate_days,
                best.mean_gate_days,
                u.reputation_score,
                best.reputation_score,
                p1(u.unnecessary_gate_frequency),
                p1(best.unnecessary_gate_frequency),
            ),
            &[
                ("holds", c.holds as u8 as f64),
                ("rank", c.rank as f64),
                ("of", c.of as f64),
                ("score", u.score),
                ("best_score", best.score),
                ("protection_score", u.protection_score),
                ("best_protection_score", best.protection_score),
                ("operational_score", u.operational_score),
                ("best_operational_score", best.operational_score),
                ("reputation_score", u.reputation_score),
                ("best_reputation_score", best.reputation_score),
                ("shortfall_frequency", u.shortfall_frequency),
                ("shortfall_frequency_low", u.shortfall_frequency_low),
                ("shortfall_frequency_high", u.shortfall_frequency_high),
                ("best_shortfall_frequency_low", best.shortfall_frequency_low),
                ("best_shortfall_frequency_high", best.shortfall_frequency_high),
                ("gate_frequency", u.gate_frequency),
                ("mean_gate_days", u.mean_gate_days),
                ("mean_deferred_end", u.mean_deferred_end),
                ("harm_avoided", u.harm_avoided),
            ],
        ));
    }
}

/// The grid point under which a gate most often made the shortfall worse than no gate.
fn gate_feedback(grid: &GateGrid, out: &mut Vec<Finding>) {
    let s = StageId::RedemptionPolicy;
    let raised = grid
        .rows
        .iter()
        .filter(|r| r.shortfall_raised_share > 0.0)
        .max_by(|a, b| {
            a.shortfall_raised_share
                .total_cmp(&b.shortfall_raised_share)
        });
    if let Some(r) = raised {
        out.push(finding(
            s,
            "gate_feedback",
            format!(
                "A gate can make things worse here: under {} the shortfall grew in {} of scenarios compared with no gate (a gate feeds investors' liquidity concern, and so their requests).",
                r.label,
                p1(r.shortfall_raised_share)
            ),
            &[("shortfall_raised_share", r.shortfall_raised_share)],
        ));
    }
}

/// The recommended swing-pricing setting.
fn swing_pricing(swing: &SwingCalibration, out: &mut Vec<Finding>) {
    let s = StageId::RedemptionPolicy;
    if let Some(r) = &swing.best {
        out.push(finding(
            s,
            "recommended_swing",
            format!(
                "The best swing setting of {} is {} above {} of NAV of net outflow a day (cap {}): dilution falls from {} to {} ({} of NAV avoided), swing income {}, overcharge {}, score {:.3}. {}",
                swing.rows.len(),
                factor_text(r),
                pct(r.threshold),
                pct(swing.cap),
                bps(swing.baseline.mean_dilution_bps),
                bps(r.mean_dilution_bps),
                bps(r.dilution_avoided * 1e4),
                bps(r.mean_swing_income_bps),
                bps(r.mean_overcharge_bps),
                r.score,
                LEVY_NOTE,
            ),
            &[
                ("threshold", r.threshold),
                ("factor", r.factor),
                ("cap", swing.cap),
                ("baseline_mean_dilution_bps", swing.baseline.mean_dilution_bps),
                ("mean_dilution_bps", r.mean_dilution_bps),
                ("dilution_avoided", r.dilution_avoided),
                ("mean_swing_income_bps", r.mean_swing_income_bps),
                ("mean_overcharge_bps", r.mean_overcharge_bps),
                ("score", r.score),
            ],
        ));
    }
}

/// The enabled triggers' thresholds (a trigger that is off has no value).
fn trigger_values(r: &GateRow) -> Vec<(&'static str, f64)> {
    [
        ("redemptions_30d", r.redemptions_30d),
        ("alr", r.alr),
        ("stress", r.stress),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}
