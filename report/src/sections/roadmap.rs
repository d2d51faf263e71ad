//! Implementation roadmap, section 7 of the page: the steps drawn from the stages' results, in
//! phase order.

use super::liquidation_design::{cheapest_feasible, strategies_named};
use super::portfolio_liquidity::{composition, static_index};
use super::redemption_policy::{swing_factor, trigger_text};
use super::{
    stage, Ctx, Stage, StageName, LIQUIDATION_DESIGN, PORTFOLIO_LIQUIDITY, R, REDEMPTION_POLICY,
};
use crate::fmt::{bps, count, days, esc, money, num, pct, pp, words, NA};
use crate::html::{self, Section};
use crate::json::Node;

/// One step of the roadmap.
struct Action {
    phase: &'static str,
    what: String,
    detail: String,
    /// The section it comes from ("" for none).
    source: &'static str,
}

const NOW: &str = "1 · now";
const WITHIN_A_MONTH: &str = "2 · within a month";
const BOARD: &str = "3 · next board cycle";
const ONGOING: &str = "4 · ongoing";

const BUFFER_SECTION: &str = "Liquidity buffer optimisation";
const LIQUIDATION_SECTION: &str = "Liquidation strategy recommendations";
const POLICY_SECTION: &str = "Redemption policy framework";

/// The roadmap section.
pub(super) fn roadmap(root: &Node, ctx: &Ctx) -> R<Section> {
    let mut actions: Vec<Action> = Vec::new();
    actions.extend(stage_actions(
        root,
        &PORTFOLIO_LIQUIDITY,
        "Size the liquidity buffer",
        |pl| portfolio_liquidity_actions(pl, ctx),
    )?);
    actions.extend(stage_actions(
        root,
        &LIQUIDATION_DESIGN,
        "Choose the liquidation order and execution approach",
        liquidation_design_actions,
    )?);
    actions.extend(stage_actions(
        root,
        &REDEMPTION_POLICY,
        "Set gate triggers, swing pricing and early-warning thresholds",
        redemption_policy_actions,
    )?);
    actions.push(Action {
        phase: ONGOING,
        what: "Rerun this analysis quarterly and after any change to the portfolio or the investor base".into(),
        detail: format!(
            "Same fund file, seed and scenario count ({} scenarios) for comparability; `undertow report --from DIR` re-renders this report from summary.json.",
            count(ctx.scenarios)
        ),
        source: "Appendix",
    });

    // In phase order; within a phase, in the order the analysis found them ("pending" last).
    actions.sort_by_key(|a| a.phase);
    let mut body = html::p(
        "Steps derived from the numbers above, in order: first what reduces risk without a policy change (the buffer and the portfolio), then how to sell (liquidation order and execution), then the policies that need board approval (gates, swing pricing, communication), then what to monitor.",
    );
    body.push_str("<ol class=\"roadmap\">");
    for a in &actions {
        body.push_str(&format!(
            "<li><span class=\"phase\">{}</span><strong>{}</strong><br>{}{}</li>",
            esc(a.phase),
            esc(&a.what),
            esc(&a.detail),
            if a.source.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"source\">(see {})</span>", esc(a.source))
            }
        ));
    }
    body.push_str("</ol>");
    Ok(Section {
        id: "implementation-roadmap",
        title: "Implementation roadmap",
        body,
    })
}

/// A stage's steps when it ran, else one pending step saying what it would size.
fn stage_actions<'a>(
    root: &Node<'a>,
    name: &StageName,
    pending: &str,
    actions: impl FnOnce(&Node<'a>) -> R<Vec<Action>>,
) -> R<Vec<Action>> {
    match stage(root, name)? {
        Stage::Ran(node) => actions(&node),
        Stage::NotRun(_) => Ok(vec![Action {
            phase: "pending",
            what: pending.to_string(),
            detail: format!(
                "The {} stage did not run; rerun with it to size this step.",
                name.role
            ),
            source: "",
        }]),
    }
}

/// The buffer step and the construction step.
fn portfolio_liquidity_actions(pl: &Node, ctx: &Ctx) -> R<Vec<Action>> {
    let mut actions: Vec<Action> = buffer_action(pl, ctx)?.into_iter().collect();
    if let Some(con) = pl.opt("construction")? {
        actions.push(construction_action(&con)?);
    }
    Ok(actions)
}

/// Keep or restructure the buffer (the static one against the cheapest meeting the target), or
/// widen the search when none meets it.
fn buffer_action(pl: &Node, ctx: &Ctx) -> R<Option<Action>> {
    let b = pl.get("buffer")?;
    let results = b.list("results")?;
    let target = b.f("target_coverage")?;
    let cheapest = b.f_opt("cheapest_meeting_target")?.map(|v| v as usize);
    let stat = static_index(pl, &results)?.map(|i| &results[i]);
    Ok(match (stat, cheapest.and_then(|i| results.get(i))) {
        (Some(s), Some(r)) => {
            let (sc, rc) = (s.f("coverage")?, r.f("coverage")?);
            let (so, ro) = (s.f("opportunity_cost_bps")?, r.f("opportunity_cost_bps")?);
            let already = s.b("meets_target")?;
            Some(Action {
                phase: NOW,
                what: if already {
                    format!("Keep the {} buffer; it meets the {} coverage target", s.s("label")?, pct(target))
                } else {
                    format!("Restructure the liquidity buffer to {}", composition(r)?)
                },
                detail: format!(
                    "Coverage {} → {} ({}), opportunity cost {} → {} a year ({}); {}.",
                    pct(sc),
                    pct(rc),
                    pp(rc.zip(sc).map(|(a, b)| a - b)),
                    bps(so),
                    bps(ro),
                    bps(ro.zip(so).map(|(a, b)| a - b)),
                    match money(ro.zip(so).map(|(a, b)| (a - b) * 1e-4).zip(ctx.aum).map(|(d, a)| d * a), &ctx.currency) {
                        m if m == NA => "cost in currency n/a".to_string(),
                        m => format!("about {m} a year"),
                    }
                ),
                source: BUFFER_SECTION,
            })
        }
        (Some(s), None) => Some(Action {
            phase: NOW,
            what: "Widen the buffer search: no composition searched meets the coverage target".into(),
            detail: format!(
                "The static buffer covers {}; the target is {}. Add larger tiers to the search grid.",
                pct(s.f("coverage")?),
                pct(target)
            ),
            source: BUFFER_SECTION,
        }),
        _ => None,
    })
}

/// Rebalance (the largest moves), or nothing to rebalance / limits to revisit (the tightest
/// constraint).
fn construction_action(con: &Node) -> R<Action> {
    let feasible = con.b("feasible")?;
    let met = con.b_opt("already_met")?.unwrap_or(false);
    let mut moves = Vec::new();
    let mut pos = Vec::new();
    for p in con.list("positions")? {
        pos.push((p.f("change")?.unwrap_or(0.0), p.s("position")?.to_string()));
    }
    pos.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    for (c, name) in pos.iter().take(3).filter(|(c, _)| c.abs() > 1e-4) {
        moves.push(format!("{name} {}", pp(Some(*c))));
    }
    let mut tightest: Option<(f64, String)> = None;
    for c in con.list("constraints")? {
        if let Some(s) = c.f("slack")? {
            if tightest.as_ref().is_none_or(|b| s < b.0) {
                tightest = Some((s, words(c.s("name")?)));
            }
        }
    }
    Ok(Action {
        phase: NOW,
        what: if !feasible {
            "Revisit the construction limits: they cannot all hold together".into()
        } else if met {
            "No rebalancing needed for the liquidity constraints".into()
        } else {
            "Rebalance the portfolio to meet the liquidity constraints".into()
        },
        detail: if met || !feasible {
            match tightest {
                Some((s, name)) => format!(
                    "Tightest constraint: {name} (slack {}); monitor it.",
                    num(Some(s), 3)
                ),
                None => "No constraint reported.".into(),
            }
        } else {
            format!(
                "Largest moves: {} (turnover {}).",
                if moves.is_empty() {
                    NA.to_string()
                } else {
                    moves.join(", ")
                },
                pct(con.f_opt("turnover")?)
            )
        },
        source: BUFFER_SECTION,
    })
}

/// Adopt the recommended liquidation order; set the execution approach per condition.
fn liquidation_design_actions(ld: &Node) -> R<Vec<Action>> {
    let rec = ld.s("recommended")?;
    let mut actions = Vec::new();
    for s in strategies_named(ld, rec)? {
        actions.push(Action {
            phase: WITHIN_A_MONTH,
            what: format!("Adopt the {} liquidation order", words(rec)),
            detail: format!(
                "Mean liquidation cost {} ({} below pro rata; {} below in significant-redemption scenarios), alpha forgone {}, style drift {}.",
                bps(s.f("mean_cost_bps")?),
                pct(s.f("reduction_vs_pro_rata")?),
                pct(s.f("stressed_reduction_vs_pro_rata")?),
                bps(s.f("alpha_forgone_bps")?),
                pct(s.f("style_drift")?)
            ),
            source: LIQUIDATION_SECTION,
        });
    }
    let per_cond = cheapest_feasible(&ld.list("execution")?)?;
    if !per_cond.is_empty() {
        actions.push(Action {
            phase: WITHIN_A_MONTH,
            what: "Set the execution approach by market condition".into(),
            detail: per_cond
                .iter()
                .map(|(c, a, cost)| format!("{}: {a} ({})", words(c), bps(Some(*cost))))
                .collect::<Vec<_>>()
                .join("; ")
                + ".",
            source: LIQUIDATION_SECTION,
        });
    }
    Ok(actions)
}

/// The gate trigger, swing pricing, early warning, the playbook and the reverse-stress watch.
fn redemption_policy_actions(rp: &Node) -> R<Vec<Action>> {
    let mut actions = vec![gate_action(&rp.get("gate_grid")?)?];
    if let Some(swing) = rp.opt("swing")? {
        let b = swing.get("best")?;
        actions.push(Action {
            phase: BOARD,
            what: format!(
                "Set swing pricing: threshold {}, factor {}",
                pct(b.f("threshold")?),
                swing_factor(b.f("factor")?)
            ),
            detail: format!(
                "Dilution of remaining investors {} (avoided {}).",
                bps(b.f("mean_dilution_bps")?),
                bps(b.f("dilution_avoided")?.map(|v| v * 1e4))
            ),
            source: POLICY_SECTION,
        });
    }
    if let Some(ew) = rp.opt("early_warning")? {
        actions.extend(early_warning_action(&ew)?);
    }
    if let Some(pb) = rp.opt("playbook")? {
        actions.push(Action {
            phase: BOARD,
            what: "Adopt the investor communication playbook".into(),
            detail: format!("{} stages, from pre-crisis to resolution, each with its triggers, audience and cadence.", pb.items()?.len()),
            source: POLICY_SECTION,
        });
    }
    if let Some(rs) = rp.opt("reverse_stress")? {
        if let Some(l) = rs.opt("least_severe")? {
            actions.push(Action {
                phase: ONGOING,
                what: "Watch for the least severe failing combination".into(),
                detail: format!(
                    "Market severity {} with redemption severity {} fails in {} of scenarios; escalate when conditions approach it.",
                    num(l.f("market_severity")?, 2),
                    num(l.f("redemption_severity")?, 2),
                    pct(l.f("failure_probability")?)
                ),
                source: POLICY_SECTION,
            });
        }
    }
    Ok(actions)
}

/// Set the best-scoring gate trigger, against gates off and the use case's trigger.
fn gate_action(grid: &Node) -> R<Action> {
    let best = grid.get("best")?;
    let base = grid.get("baseline")?;
    Ok(Action {
        phase: BOARD,
        what: format!("Set the gate trigger: {} (cap {})", trigger_text(&best)?, pct(best.f("gate_cap")?)),
        detail: format!(
            "Gates in {} of scenarios (mean {} gated); shortfall frequency {} against {} without gates; unnecessary gates {}.{}",
            pct(best.f("gate_frequency")?),
            days(best.f("mean_gate_days")?),
            pct(best.f("shortfall_frequency")?),
            pct(base.f("shortfall_frequency")?),
            pct(best.f("unnecessary_gate_share")?),
            match grid.opt("use_case")? {
                Some(uc) => format!(
                    " The use case's trigger ({}) scores {} against {}.",
                    trigger_text(&uc)?,
                    num(uc.f("score")?, 3),
                    num(best.f("score")?, 3)
                ),
                None => String::new(),
            }
        ),
        source: POLICY_SECTION,
    })
}

/// Monitor the three indicators with the best hit rate net of false alarms (at their best
/// thresholds).
fn early_warning_action(ew: &Node) -> R<Option<Action>> {
    let mut ranked = Vec::new();
    for r in ew.list("rows")? {
        let hit = r.f("best_hit_rate")?.unwrap_or(0.0);
        let fa = r.f("best_false_alarm_rate")?.unwrap_or(1.0);
        ranked.push((hit - fa, r));
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top: Vec<String> = ranked
        .iter()
        .take(3)
        .map(|(_, r)| -> R<String> {
            Ok(format!(
                "{} (threshold {}, hit {}, lead {})",
                words(r.s("indicator")?),
                num(r.f("best_threshold")?.or(r.f("threshold")?), 3),
                pct(r.f("best_hit_rate")?),
                days(r.f("best_median_lead_days")?)
            ))
        })
        .collect::<R<_>>()?;
    Ok((!top.is_empty()).then(|| Action {
        phase: ONGOING,
        what: "Monitor the early-warning indicators with the best hit rate net of false alarms"
            .into(),
        detail: top.join("; ") + ".",
        source: POLICY_SECTION,
    }))
}
