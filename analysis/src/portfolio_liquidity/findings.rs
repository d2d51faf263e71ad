//! Stage 3's findings: liquidity at risk, the buffer search and the use case's buffer claim,
//! and the liquidity-aware construction, as sentences with their numbers.

use super::buffer::{BufferClaim, ClaimVerdict, CONDITIONAL_ON};
use super::construct::Construction;
use super::PortfolioLiquidityReport;
use crate::findings::{finding, money, p1, p2, Finding};
use crate::graph::StageId;
use crate::stats::Verdict;
use undertow_format::text::pct;
use undertow_host::fund::Fund;

/// Stage 3's findings.
pub fn findings(fund: &Fund, p: &PortfolioLiquidityReport) -> Vec<Finding> {
    let mut out = Vec::new();
    liquidity_at_risk(fund, p, &mut out);
    if let Some(why) = &p.buffer.not_applicable {
        out.push(finding(
            StageId::PortfolioLiquidity,
            "buffer_search",
            format!("Buffer search {why}."),
            &[],
        ));
    }
    buffer_coverage(p, &mut out);
    use_case_claim(fund, p, &mut out);
    cheapest_meeting_target(p, &mut out);
    weighted_ranking(p, &mut out);
    frontier(p, &mut out);
    construction(p, &mut out);
    out
}

/// Liquidity at risk over 30 days against the fund's cash and buffer tiers.
fn liquidity_at_risk(fund: &Fund, p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::PortfolioLiquidity;
    let n = &p.needs;
    if let Some(row) = n.rows.iter().find(|r| r.horizon_days == 30) {
        out.push(finding(
            s,
            "liquidity_at_risk",
            format!(
                "30-day liquidity at risk is {} / {} / {} of NAV at 90/95/99% confidence ({} at 99%), against {} cash ({} with the fund's buffer-tier holdings).",
                p1(row.lar[0]),
                p1(row.lar[1]),
                p1(row.lar[2]),
                money(row.lar_currency[2], &fund.currency),
                p1(n.cash),
                p1(n.cash_and_buffer_tiers)
            ),
            &[("lar90_30d", row.lar[0]), ("lar95_30d", row.lar[1]), ("lar99_30d", row.lar[2]), ("cash", n.cash)],
        ));
    }
}

/// The coverage of the fund's static cash buffer.
fn buffer_coverage(p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::PortfolioLiquidity;
    let b = &p.buffer;
    if let Some(st) = b.results.first() {
        let mut text = format!(
            "Conditional on {CONDITIONAL_ON}: the {} cash buffer{} covers {} of scenarios over {} days (95% interval {} to {}: {} the {} target) at {} a year of carry",
            pct(st.cash),
            if b.with_gates {
                ""
            } else {
                " alone (gates off)"
            },
            p2(st.coverage),
            b.horizon_days,
            p2(st.coverage_low),
            p2(st.coverage_high),
            st.target_verdict.words(),
            p1(b.target_coverage),
            format_bps(st.opportunity_cost_bps)
        );
        let mut values = vec![
            ("static_coverage", st.coverage),
            ("static_coverage_low", st.coverage_low),
            ("static_coverage_high", st.coverage_high),
            ("static_opportunity_cost_bps", st.opportunity_cost_bps),
        ];
        if let Some(c) = &p.use_case_claim {
            text += &format!(
                "; {} covers {} ({} to {}) at {} a year",
                c.composition,
                p2(c.coverage),
                p2(c.coverage_low),
                p2(c.coverage_high),
                format_bps(c.opportunity_cost_bps)
            );
            values.push(("recommended_coverage", c.coverage));
            values.push(("recommended_opportunity_cost_bps", c.opportunity_cost_bps));
        }
        text += &format!(" ({} scenarios per composition).", b.scenarios);
        out.push(finding(s, "buffer_coverage", text, &values));
    }
}

/// The use case's buffer claim, re-judged: against the cheapest cash-only buffer reaching the
/// same coverage on the same scenarios, with the coverage's interval against the target.
fn use_case_claim(fund: &Fund, p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    if let Some(c) = &p.use_case_claim {
        out.push(claim_finding(&fund.name, c));
    }
}

/// The finding of a judged buffer claim on the fund named `fund_name`.
pub(crate) fn claim_finding(fund_name: &str, c: &BufferClaim) -> Finding {
    let s = StageId::PortfolioLiquidity;
    {
        let co = &c.cash_only;
        let cash_only = match (co.cash, co.opportunity_cost_bps) {
            (Some(cash), Some(bps)) => format!(
                "the cheapest cash-only buffer reaching the same coverage on the same scenarios holds {} cash at {} a year",
                p1(cash),
                format_bps(bps)
            ),
            _ => format!(
                "cash alone does not reach the same coverage even at {} of NAV ({} a year)",
                pct(co.searched_up_to),
                format_bps(co.max_opportunity_cost_bps)
            ),
        };
        let verdict = match c.verdict {
            ClaimVerdict::Holds => "HOLDS",
            ClaimVerdict::Undecided => "is UNDECIDED",
            ClaimVerdict::DoesNotHold => "does NOT hold",
        };
        let text = format!(
            "The use case's buffer claim — {} covering at least {} of scenarios at a lower carry than cash alone — {} on {}, re-judged with carry at equal coverage and a 95% interval on coverage (conditional on {}): coverage {} (95% interval {} to {}, {} {} the target) at {} a year, while {}{}.",
            c.composition,
            p1(c.target_coverage),
            verdict,
            fund_name,
            c.conditional_on,
            p2(c.coverage),
            p2(c.coverage_low),
            p2(c.coverage_high),
            c.scenarios,
            match c.coverage_verdict {
                Verdict::Meets => "scenarios: meets",
                Verdict::NotDistinguishable => "scenarios: not distinguishable from",
                Verdict::Misses => "scenarios: misses",
            },
            format_bps(c.opportunity_cost_bps),
            cash_only,
            match (c.verdict, c.cheaper_than_cash_only) {
                (ClaimVerdict::Holds, _) =>
                    ": it is cheaper at equal coverage and its coverage clears the target",
                (ClaimVerdict::Undecided, _) =>
                    ": it is cheaper at equal coverage, but its coverage is not distinguishable from the target (more scenarios would settle it)",
                (ClaimVerdict::DoesNotHold, true) =>
                    ": it is cheaper at equal coverage, but its coverage misses the target",
                (ClaimVerdict::DoesNotHold, false) =>
                    ": the tiered buffer is no cheaper than cash alone at equal coverage",
            },
        );
        let mut values = vec![
            ("holds", c.holds as u8 as f64),
            ("coverage", c.coverage),
            ("coverage_low", c.coverage_low),
            ("coverage_high", c.coverage_high),
            ("target_coverage", c.target_coverage),
            ("opportunity_cost_bps", c.opportunity_cost_bps),
            (
                "cheaper_than_cash_only",
                c.cheaper_than_cash_only as u8 as f64,
            ),
            ("static_opportunity_cost_bps", c.static_opportunity_cost_bps),
        ];
        if let (Some(cash), Some(bps)) = (co.cash, co.opportunity_cost_bps) {
            values.push(("cash_only_cash", cash));
            values.push(("cash_only_opportunity_cost_bps", bps));
        }
        finding(s, "use_case_claim", text, &values)
    }
}

/// The cheapest composition that meets the coverage target.
fn cheapest_meeting_target(p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::PortfolioLiquidity;
    let b = &p.buffer;
    match b.cheapest() {
        Some(r) => out.push(finding(
            s,
            "cheapest_meeting_target",
            format!(
                "The cheapest composition whose coverage clears {} with its 95% interval is {} ({}): {} coverage ({} to {}), {} survival, {} a year, expected liquidation cost {:.1} bps (conditional on {CONDITIONAL_ON}).",
                p1(b.target_coverage),
                r.describe(),
                r.label,
                p2(r.coverage),
                p2(r.coverage_low),
                p2(r.coverage_high),
                p2(r.survival),
                format_bps(r.opportunity_cost_bps),
                r.expected_cost_bps
            ),
            &[("coverage", r.coverage), ("opportunity_cost_bps", r.opportunity_cost_bps), ("expected_cost_bps", r.expected_cost_bps)],
        )),
        None => {
            let best = b.results.iter().max_by(|a, b| a.coverage.total_cmp(&b.coverage));
            if let Some(r) = best {
                out.push(finding(
                    s,
                    "cheapest_meeting_target",
                    format!(
                        "No composition searched clears {} with its 95% interval (conditional on {CONDITIONAL_ON}); the best, {}, covers {} ({} to {}: {} the target) at {} a year.",
                        p1(b.target_coverage),
                        r.describe(),
                        p2(r.coverage),
                        p2(r.coverage_low),
                        p2(r.coverage_high),
                        r.target_verdict.words(),
                        format_bps(r.opportunity_cost_bps)
                    ),
                    &[("best_coverage", r.coverage), ("opportunity_cost_bps", r.opportunity_cost_bps)],
                ));
            }
        }
    }
}

/// The composition the weighted objective ranks first.
fn weighted_ranking(p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::PortfolioLiquidity;
    let b = &p.buffer;
    if let Some(r) = b.best() {
        let w = b.weights;
        out.push(finding(
            s,
            "weighted_ranking",
            format!(
                "Ranked by the weighted objective (safety {}, opportunity cost {}, operational {}), the best composition is {} ({}): {} coverage at {} a year.",
                w.safety,
                w.opportunity_cost,
                w.operational,
                r.describe(),
                r.label,
                p2(r.coverage),
                format_bps(r.opportunity_cost_bps)
            ),
            &[("score", r.score), ("coverage", r.coverage), ("opportunity_cost_bps", r.opportunity_cost_bps)],
        ));
    }
}

/// The coverage and opportunity-cost frontier.
fn frontier(p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::PortfolioLiquidity;
    let b = &p.buffer;
    if let (Some(&first), Some(&last)) = (b.frontier.first(), b.frontier.last()) {
        let (f, l) = (&b.results[first], &b.results[last]);
        out.push(finding(
            s,
            "frontier",
            format!(
                "The efficient frontier has {} of {} compositions, from {} ({} coverage, {}) to {} ({}, {}).",
                b.frontier.len(),
                b.results.len(),
                f.describe(),
                p2(f.coverage),
                format_bps(f.opportunity_cost_bps),
                l.describe(),
                p2(l.coverage),
                format_bps(l.opportunity_cost_bps)
            ),
            &[("points", b.frontier.len() as f64), ("max_coverage", l.coverage)],
        ));
    }
}

/// The liquidity-aware construction: feasible or not, and what it changes.
fn construction(p: &PortfolioLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::PortfolioLiquidity;
    let c = &p.construction;
    let text = if !c.feasible {
        format!(
            "No weights meet the construction constraints together (solver status {}); relax one of them.",
            c.status
        )
    } else if c.already_met {
        let tightest = c.constraints.iter().min_by(|a, b| {
            (a.slack / a.limit.abs().max(1e-9)).total_cmp(&(b.slack / b.limit.abs().max(1e-9)))
        });
        format!(
            "The fund already meets every construction constraint ({}); no change is needed, and none binds{}.",
            describe_checks(c),
            tightest
                .map(|t| format!(" — the tightest is {} with {:.3} of slack", t.name, t.slack))
                .unwrap_or_default()
        )
    } else {
        let mut moves: Vec<_> = c
            .positions
            .iter()
            .filter(|w| w.change.abs() > 1e-4)
            .collect();
        moves.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
        let listed: Vec<String> = moves
            .iter()
            .take(4)
            .map(|w| format!("{} {:+.1} pp", w.position, w.change * 100.0))
            .collect();
        format!(
            "The smallest change meeting every constraint turns over {} of NAV ({}); binding: {}. After it: {}.",
            p1(c.turnover),
            listed.join(", "),
            if c.binding.is_empty() { "none".to_string() } else { c.binding.join(", ") },
            describe_checks(c)
        )
    };
    out.push(finding(
        s,
        "portfolio_construction",
        text,
        &[
            ("turnover", c.turnover),
            ("feasible", c.feasible as u8 as f64),
            ("binding_count", c.binding.len() as f64),
        ],
    ));
}

fn describe_checks(c: &Construction) -> String {
    let parts: Vec<String> = c
        .constraints
        .iter()
        .filter(|k| !k.name.starts_with("max_asset_class:"))
        .map(|k| {
            let v = if k.name == "min_liquidity_score" {
                format!("{:.2}", k.after)
            } else {
                p1(k.after)
            };
            let l = if k.name == "min_liquidity_score" {
                format!("{:.1}", k.limit)
            } else {
                pct(k.limit)
            };
            format!(
                "{} {} {} {}",
                k.name
                    .trim_start_matches("max_")
                    .trim_start_matches("min_")
                    .replace('_', " "),
                v,
                if k.sense == "max" { "≤" } else { "≥" },
                l
            )
        })
        .collect();
    let largest = c
        .constraints
        .iter()
        .filter(|k| k.name.starts_with("max_asset_class:"))
        .max_by(|a, b| a.after.total_cmp(&b.after));
    let mut s = parts.join(", ");
    if let Some(k) = largest {
        s += &format!(
            ", largest class {} {} ≤ {}",
            k.name.trim_start_matches("max_asset_class:"),
            p1(k.after),
            pct(k.limit)
        );
    }
    s
}

fn format_bps(x: f64) -> String {
    format!("{x:.1} bps")
}
