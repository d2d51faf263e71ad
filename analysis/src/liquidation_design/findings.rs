//! Stage 4's findings.

use super::{best_execution, LiquidationReport, CLAIM, CONDITIONS, LAYERS};
use crate::findings::{finding, p1, Finding};
use crate::graph::StageId;
use undertow_format::text::bps;
use undertow_host::fund::Fund;

/// Stage 4's findings.
pub fn findings(fund: &Fund, r: &LiquidationReport) -> Vec<Finding> {
    let mut out = Vec::new();
    strategy_costs(r, &mut out);
    recommendation(r, &mut out);
    execution(r, &mut out);
    hierarchy_layers(r, &mut out);
    residual(fund, r, &mut out);
    use_case_claim(r, &mut out);
    out
}

/// Cost per strategy and reduction versus pro rata.
fn strategy_costs(r: &LiquidationReport, out: &mut Vec<Finding>) {
    let s = StageId::LiquidationDesign;
    // Cost per strategy and reduction versus pro rata.
    let parts: Vec<String> = r
        .strategies
        .iter()
        .map(|x| {
            format!(
                "{} {} (p99 {}; MTM loss from its own impact {}, cost plus MTM {})",
                x.strategy,
                bps(x.mean_cost_bps),
                bps(x.p99_cost_bps),
                bps(x.mean_mtm_loss_bps),
                bps(x.mean_cost_with_mtm_bps)
            )
        })
        .collect();
    let mut values: Vec<(String, f64)> = Vec::new();
    for x in &r.strategies {
        values.push((format!("{}_mean_cost_bps", x.strategy), x.mean_cost_bps));
        values.push((format!("{}_p99_cost_bps", x.strategy), x.p99_cost_bps));
        values.push((
            format!("{}_mean_mtm_loss_bps", x.strategy),
            x.mean_mtm_loss_bps,
        ));
        values.push((
            format!("{}_mean_cost_with_mtm_bps", x.strategy),
            x.mean_cost_with_mtm_bps,
        ));
        values.push((
            format!("{}_reduction_vs_pro_rata", x.strategy),
            x.reduction_vs_pro_rata,
        ));
    }
    values.push(("scenarios".into(), r.scenarios as f64));
    let reductions: Vec<String> = r
        .strategies
        .iter()
        .filter(|x| x.strategy != "pro_rata")
        .map(|x| format!("{} {}", x.strategy, p1(x.reduction_vs_pro_rata)))
        .collect();
    let v: Vec<(&str, f64)> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    out.push(finding(
        s,
        "strategy_costs",
        format!(
            "Over {} scenarios of {} days, the mean liquidation cost is {} of NAV; against the \
             pro-rata slice the reductions are {}.",
            r.scenarios,
            r.horizon_days,
            parts.join(", "),
            reductions.join(", ")
        ),
        &v,
    ));
}

/// The recommended strategy and why.
fn recommendation(r: &LiquidationReport, out: &mut Vec<Finding>) {
    let s = StageId::LiquidationDesign;
    // The recommendation and why.
    if let Some(best) = r.recommended_result() {
        let mut text = format!(
            "Recommended: {} (score {:.2}, rank {} of {} on the weighted objective: impact {:.0}%, \
             alpha {:.0}%, balance {:.0}%)",
            best.strategy,
            best.score,
            best.rank,
            r.strategies.len(),
            r.objective_weights.impact * 100.0,
            r.objective_weights.alpha * 100.0,
            r.objective_weights.balance * 100.0,
        );
        let mut values = vec![
            ("score", best.score),
            ("mean_cost_bps", best.mean_cost_bps),
            ("mean_mtm_loss_bps", best.mean_mtm_loss_bps),
            ("mean_cost_with_mtm_bps", best.mean_cost_with_mtm_bps),
            ("stressed_mean_cost_bps", best.stressed_mean_cost_bps),
            ("alpha_forgone_bps", best.alpha_forgone_bps),
            ("style_drift", best.style_drift),
            ("factor_deviation", best.factor_deviation),
            ("style_breach_frequency", best.style_breach_frequency),
            ("factor_breach_frequency", best.factor_breach_frequency),
            ("reduction_vs_pro_rata", best.reduction_vs_pro_rata),
        ];
        let other = r
            .strategies
            .iter()
            .filter(|x| x.strategy != best.strategy)
            .min_by_key(|x| x.rank);
        if let Some(o) = other {
            let criteria = [
                ("cost plus MTM loss", best.impact_score, o.impact_score),
                ("alpha", best.alpha_score, o.alpha_score),
                ("balance", best.balance_score, o.balance_score),
            ];
            let wins: Vec<&str> = criteria.iter().filter(|c| c.1 > c.2).map(|c| c.0).collect();
            let losses: Vec<&str> = criteria.iter().filter(|c| c.1 < c.2).map(|c| c.0).collect();
            text.push_str(&format!(", ahead of {} ({:.2})", o.strategy, o.score));
            if !wins.is_empty() {
                text.push_str(&format!(": better on {}", wins.join(" and ")));
                if !losses.is_empty() {
                    text.push_str(&format!(", worse on {}", losses.join(" and ")));
                }
            }
            if let Some(c) = &r.recommended_vs_runner_up {
                text.push_str(&format!(
                    "; scenario by scenario its cost plus MTM loss minus {}'s is {} (s.e. {}), and \
                     it is cheaper in {} of scenarios (95% interval {}–{})",
                    c.other,
                    bps(c.difference_bps),
                    bps(c.difference_se_bps),
                    p1(c.wins),
                    p1(c.wins_ci[0]),
                    p1(c.wins_ci[1])
                ));
                values.push(("paired_difference_bps", c.difference_bps));
                values.push(("paired_difference_se_bps", c.difference_se_bps));
                values.push(("wins_runner_up", c.wins));
                values.push(("wins_runner_up_low", c.wins_ci[0]));
                values.push(("wins_runner_up_high", c.wins_ci[1]));
            }
            values.push(("runner_up_score", o.score));
            values.push(("runner_up_mean_cost_bps", o.mean_cost_bps));
            values.push(("runner_up_style_drift", o.style_drift));
        }
        text.push_str(&format!(
            ". It costs {} on average ({} in significant-redemption scenarios), gives up {} of \
             alpha, and leaves class weights {} and factor exposures {} away from the portfolio \
             without sales on average",
            bps(best.mean_cost_bps),
            bps(best.stressed_mean_cost_bps),
            bps(best.alpha_forgone_bps),
            p1(best.style_drift),
            p1(best.factor_deviation),
        ));
        if best.within_limits {
            text.push_str(&format!(
                "; it keeps within the {} style-drift and {} factor-deviation limits in at least {} of scenarios.",
                p1(r.max_style_drift),
                p1(r.max_factor_deviation),
                p1(1.0 - best.style_breach_frequency.max(best.factor_breach_frequency))
            ));
        } else {
            let pr = r.strategy("pro_rata");
            text.push_str(&format!(
                "; it exceeds the {} style-drift limit in {} of scenarios and the {} factor-deviation \
                 limit in {}, and no strategy keeps within both",
                p1(r.max_style_drift),
                p1(best.style_breach_frequency),
                p1(r.max_factor_deviation),
                p1(best.factor_breach_frequency),
            ));
            if let Some(pr) = pr {
                text.push_str(&format!(
                    ", not even the pro-rata slice (style drift past the limit in {})",
                    p1(pr.style_breach_frequency)
                ));
                values.push(("pro_rata_style_breach_frequency", pr.style_breach_frequency));
            }
            text.push('.');
        }
        out.push(finding(s, "recommended_strategy", text, &values));
    }
}

/// The best execution approach per market condition.
fn execution(r: &LiquidationReport, out: &mut Vec<Finding>) {
    let s = StageId::LiquidationDesign;
    // Execution per condition.
    for cond in CONDITIONS {
        if let Some(e) = best_execution(r, cond) {
            let vp = r
                .execution
                .iter()
                .find(|x| x.condition == cond && x.approach == "volume_participation");
            let mut text = format!(
                "Under {} markets, selling {} of NAV ({}) down the hierarchy is best done by {}: \
                 {} expected ({} standard deviation) over {:.1} days",
                cond.replace('_', " "),
                p1(e.amount),
                r.execution_amount_basis,
                e.approach.replace('_', " "),
                bps(e.cost_bps),
                bps(e.cost_sd_bps),
                e.days
            );
            let mut values = vec![
                ("amount", e.amount),
                ("cost_bps", e.cost_bps),
                ("cost_sd_bps", e.cost_sd_bps),
                ("days", e.days),
            ];
            if let Some(v) = vp.filter(|v| v.approach != e.approach) {
                text.push_str(&format!(
                    ", against {} over {:.1} days at the participation cap",
                    bps(v.cost_bps),
                    v.days
                ));
                values.push(("volume_participation_cost_bps", v.cost_bps));
                values.push(("volume_participation_days", v.days));
            }
            let infeasible: Vec<&str> = r
                .execution
                .iter()
                .filter(|x| x.condition == cond && !x.feasible)
                .map(|x| x.approach.as_str())
                .collect();
            if !infeasible.is_empty() {
                text.push_str(&format!(
                    "; infeasible: {}",
                    infeasible.join(", ").replace('_', " ")
                ));
            }
            text.push('.');
            out.push(finding(s, &format!("execution_{cond}"), text, &values));
        }
    }
}

/// The first layers of the hierarchy.
fn hierarchy_layers(r: &LiquidationReport, out: &mut Vec<Finding>) {
    let s = StageId::LiquidationDesign;
    // The first layers of the hierarchy.
    let first: Vec<String> = r
        .hierarchy
        .iter()
        .take(5)
        .map(|h| {
            format!(
                "{} ({}, {}, {})",
                h.position,
                h.layer_name.replace('_', " "),
                p1(h.weight),
                bps(h.stressed_cost_bps)
            )
        })
        .collect();
    let mut layer_weight = [0.0f64; 7];
    for h in &r.hierarchy {
        layer_weight[h.layer as usize - 1] += h.weight;
    }
    let mut values: Vec<(String, f64)> = LAYERS
        .iter()
        .zip(layer_weight)
        .map(|(l, w)| (format!("{l}_weight"), w))
        .collect();
    if let Some(h) = r.hierarchy.first() {
        values.push(("first_stressed_cost_bps".into(), h.stressed_cost_bps));
    }
    let v: Vec<(&str, f64)> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let layers: Vec<String> = LAYERS
        .iter()
        .zip(layer_weight)
        .filter(|(_, w)| *w > 0.0)
        .map(|(l, w)| format!("{} {}", l.replace('_', " "), p1(w)))
        .collect();
    out.push(finding(
        s,
        "hierarchy",
        format!(
            "The liquidation hierarchy sells first {}. By layer: {}.",
            first.join(", then "),
            layers.join(", ")
        ),
        &v,
    ));
}

/// Residual illiquidity after the recommended strategy's sales.
fn residual(fund: &Fund, r: &LiquidationReport, out: &mut Vec<Finding>) {
    let s = StageId::LiquidationDesign;
    // Residual illiquidity.
    if let Some(res) = r.residual.iter().find(|x| x.strategy == r.recommended) {
        let limit = fund.model.params.illiquid_limit as f64;
        let worst = r
            .residual
            .iter()
            .filter(|x| x.strategy != "hierarchy_waterfall")
            .max_by(|a, b| a.illiquid_share_mean.total_cmp(&b.illiquid_share_mean));
        let mut text = format!(
            "After liquidating under {}, illiquid holdings are {} of NAV at the horizon on average \
             ({} at the 95th percentile); the {} limit is breached in {} of scenarios",
            r.recommended,
            p1(res.illiquid_share_mean),
            p1(res.illiquid_share_p95),
            p1(limit),
            p1(res.breach_frequency)
        );
        let mut values = vec![
            ("illiquid_share_mean", res.illiquid_share_mean),
            ("illiquid_share_p95", res.illiquid_share_p95),
            ("breach_frequency", res.breach_frequency),
            ("illiquid_limit", limit),
        ];
        if let Some(w) = worst.filter(|w| w.strategy != res.strategy) {
            text.push_str(&format!(
                " ({} leaves {} on average and breaches in {})",
                w.strategy,
                p1(w.illiquid_share_mean),
                p1(w.breach_frequency)
            ));
            values.push(("worst_illiquid_share_mean", w.illiquid_share_mean));
            values.push(("worst_breach_frequency", w.breach_frequency));
        }
        text.push('.');
        out.push(finding(s, "residual_illiquidity", text, &values));
    }
}

/// The use case's claim about the hierarchy, judged.
fn use_case_claim(r: &LiquidationReport, out: &mut Vec<Finding>) {
    let s = StageId::LiquidationDesign;
    // The use case's claim.
    let c = &r.claim;
    let text = if c.significant_scenarios == 0 {
        format!(
            "The use case's claim that {CLAIM} cannot be tested here: no scenario requested {} of NAV within 30 days.",
            p1(c.significant_redemption)
        )
    } else {
        let verdict = match c.verdict {
            "holds" => "holds".to_string(),
            "understated" => "holds in direction but understates the reduction".to_string(),
            "overstated" => "does not hold: the reduction is smaller".to_string(),
            _ => "does not hold: there is no reduction".to_string(),
        };
        let interval = match c.interval_verdict {
            "holds" => "the whole interval lies in the band".to_string(),
            "undecided" => {
                "the interval straddles a bound, so the scenarios cannot settle it".to_string()
            }
            v => format!("the whole interval says {}", v.replace('_', " ")),
        };
        let against_fund = if c.same_order_as_fund {
            "The fund's own waterfall already sells in the hierarchy's order".to_string()
        } else if c.reduction_vs_fund_waterfall >= 0.0 {
            format!(
                "Against the fund's own waterfall order ({} of impact) the hierarchy saves {} of \
                 impact plus MTM loss",
                bps(c.fund_waterfall_impact_bps),
                p1(c.reduction_vs_fund_waterfall)
            )
        } else {
            format!(
                "The fund's own waterfall order (cheapest stressed cost first, without layers) \
                 does better, {} of impact: the layers cost {} more impact plus MTM loss",
                bps(c.fund_waterfall_impact_bps),
                p1(-c.reduction_vs_fund_waterfall)
            )
        };
        format!(
            "Re-judged with the MTM loss from the fund's own impact counted and the scenarios \
             chosen without looking at any compared strategy ({}), the use case's claim that \
             {CLAIM} {verdict} on this fund: in the {} scenarios that requested at least {} of \
             NAV within 30 days, market impact plus MTM loss of the hierarchy's waterfall is {} \
             against {} for the pro-rata slice, a reduction of {} (95% interval {} to {}; band \
             {}–{}: {interval}); per scenario the hierarchy's minus the slice's is {} (s.e. {}), \
             and the hierarchy is cheaper in {} of them (95% interval {}–{}). On impact alone the reduction is {}; \
             counting the spread and not the MTM loss, {} against {}, a reduction of {}. {}; the \
             recommended {} cuts the pro-rata impact plus MTM loss by {}.",
            c.selection,
            c.significant_scenarios,
            p1(c.significant_redemption),
            bps(c.hierarchy_impact_with_mtm_bps),
            bps(c.pro_rata_impact_with_mtm_bps),
            p1(c.reduction_vs_pro_rata),
            p1(c.reduction_ci[0]),
            p1(c.reduction_ci[1]),
            p1(c.band[0]),
            p1(c.band[1]),
            bps(c.paired_difference_bps),
            bps(c.paired_difference_se_bps),
            p1(c.hierarchy_beats_pro_rata),
            p1(c.hierarchy_beats_pro_rata_ci[0]),
            p1(c.hierarchy_beats_pro_rata_ci[1]),
            p1(c.impact_only_reduction_vs_pro_rata),
            bps(c.hierarchy_cost_bps),
            bps(c.pro_rata_cost_bps),
            p1(c.total_cost_reduction_vs_pro_rata),
            against_fund,
            r.recommended,
            p1(c.recommended_reduction_vs_pro_rata)
        )
    };
    out.push(finding(
        s,
        "hierarchy_claim",
        text,
        &[
            ("holds", if c.holds { 1.0 } else { 0.0 }),
            ("significant_scenarios", c.significant_scenarios as f64),
            ("significant_redemption", c.significant_redemption),
            ("hierarchy_impact_bps", c.hierarchy_impact_bps),
            ("pro_rata_impact_bps", c.pro_rata_impact_bps),
            ("fund_waterfall_impact_bps", c.fund_waterfall_impact_bps),
            ("reduction_vs_pro_rata", c.reduction_vs_pro_rata),
            ("reduction_vs_fund_waterfall", c.reduction_vs_fund_waterfall),
            ("hierarchy_cost_bps", c.hierarchy_cost_bps),
            ("pro_rata_cost_bps", c.pro_rata_cost_bps),
            (
                "total_cost_reduction_vs_pro_rata",
                c.total_cost_reduction_vs_pro_rata,
            ),
            (
                "recommended_reduction_vs_pro_rata",
                c.recommended_reduction_vs_pro_rata,
            ),
            ("band_low", c.band[0]),
            ("band_high", c.band[1]),
            ("reduction_ci_low", c.reduction_ci[0]),
            ("reduction_ci_high", c.reduction_ci[1]),
            ("paired_difference_bps", c.paired_difference_bps),
            ("paired_difference_se_bps", c.paired_difference_se_bps),
            ("hierarchy_beats_pro_rata", c.hierarchy_beats_pro_rata),
            (
                "hierarchy_beats_pro_rata_low",
                c.hierarchy_beats_pro_rata_ci[0],
            ),
            (
                "hierarchy_beats_pro_rata_high",
                c.hierarchy_beats_pro_rata_ci[1],
            ),
            (
                "impact_only_reduction_vs_pro_rata",
                c.impact_only_reduction_vs_pro_rata,
            ),
            (
                "interval_holds",
                if c.interval_verdict == "holds" {
                    1.0
                } else {
                    0.0
                },
            ),
        ],
    ));
}
