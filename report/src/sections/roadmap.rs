//! Implementation roadmap, section 7 of the page: the steps the analysis decided (`roadmap` in
//! summary.json, already in display order), each worded from its action and the numbers it rests
//! on. A summary without `roadmap` (an older run) gets a note instead.

use super::liquidation_design::strategies_named;
use super::portfolio_liquidity::composition;
use super::redemption_policy::{swing_factor, trigger_text};
use super::{Ctx, StageName, LIQUIDATION_DESIGN, PORTFOLIO_LIQUIDITY, R, REDEMPTION_POLICY};
use crate::fmt::{bps, count, days, esc, money, num, pct, pp, words, NA};
use crate::html::{self, Section};
use crate::json::Node;

/// One step of the roadmap, worded.
struct Action {
    what: String,
    detail: String,
}

/// A phase's label.
fn phase_label(phase: &Node) -> R<&'static str> {
    Ok(match phase.as_str()? {
        "now" => "1 · now",
        "within_a_month" => "2 · within a month",
        "next_board_cycle" => "3 · next board cycle",
        "ongoing" => "4 · ongoing",
        "pending" => "pending",
        other => return Err(phase.error(format!("unknown phase {other:?}"))),
    })
}

/// The stage a step comes from, by its summary key.
fn stage_name(stage: &Node) -> R<&'static StageName> {
    [
        &PORTFOLIO_LIQUIDITY,
        &LIQUIDATION_DESIGN,
        &REDEMPTION_POLICY,
    ]
    .into_iter()
    .find(|s| stage.as_str().is_ok_and(|k| k == s.key))
    .ok_or_else(|| stage.error("expected a stage with roadmap steps"))
}

/// The section a step refers to: its stage's, the appendix for the rerun, none when pending.
fn source(step: &Node, action: &str) -> R<&'static str> {
    Ok(match (action, step.opt("stage")?) {
        ("pending", _) => "",
        ("rerun_periodically", _) | (_, None) => "Appendix",
        (_, Some(stage)) => match stage_name(&stage)?.key {
            "portfolio_liquidity" => "Liquidity buffer optimisation",
            "liquidation_design" => "Liquidation strategy recommendations",
            _ => "Redemption policy framework",
        },
    })
}

/// The roadmap section.
pub(super) fn roadmap(root: &Node, ctx: &Ctx) -> R<Section> {
    let (id, title) = ("implementation-roadmap", "Implementation roadmap");
    let Some(steps) = root.opt("roadmap")? else {
        return Ok(Section::not_run(
            id,
            title,
            "Not available: this summary has no roadmap (an older run, from before the analysis decided the steps); rerun the analysis to get it.",
        ));
    };
    let mut body = html::p(
        "Steps derived from the numbers above, in order: first what reduces risk without a policy change (the buffer and the portfolio), then how to sell (liquidation order and execution), then the policies that need board approval (gates, swing pricing, communication), then what to monitor.",
    );
    body.push_str("<ol class=\"roadmap\">");
    for step in steps.items()? {
        let action = step.s("action")?;
        let a = worded(root, &step, action, ctx)?;
        let source = source(&step, action)?;
        body.push_str(&format!(
            "<li><span class=\"phase\">{}</span><strong>{}</strong><br>{}{}</li>",
            esc(phase_label(&step.get("phase")?)?),
            esc(&a.what),
            esc(&a.detail),
            if source.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"source\">(see {})</span>", esc(source))
            }
        ));
    }
    body.push_str("</ol>");
    Ok(Section { id, title, body })
}

/// A step in words: one sentence template per action.
fn worded(root: &Node, step: &Node, action: &str, ctx: &Ctx) -> R<Action> {
    let because = step.get("because")?;
    match action {
        "keep_buffer" | "restructure_buffer" => buffer_change(root, &because, action, ctx),
        "widen_buffer_search" => widen_buffer_search(root, &because),
        "revisit_construction_limits" | "no_rebalancing_needed" | "rebalance" => {
            construction(&because, action)
        }
        "adopt_liquidation_order" => adopt_liquidation_order(root, &because),
        "set_execution_approach" => Ok(Action {
            what: "Set the execution approach by market condition".into(),
            detail: execution_choice(&because.list("by_condition")?)? + ".",
        }),
        "set_gate_trigger" => gate_trigger(&because),
        "no_gate_needed" => no_gate_needed(&because),
        "set_swing_pricing" => swing_pricing(&because.get("best")?),
        "monitor_early_warning" => monitor_early_warning(&because),
        "adopt_playbook" => Ok(Action {
            what: "Adopt the investor communication playbook".into(),
            detail: format!(
                "{} stages, from pre-crisis to resolution, each with its triggers, audience and cadence.",
                because.get("stages")?.value()
            ),
        }),
        "watch_reverse_stress" => Ok(Action {
            what: "Watch for the least severe failing combination".into(),
            detail: format!(
                "Market severity {} with redemption severity {} fails in {} of scenarios; escalate when conditions approach it.",
                num(because.f("market_severity")?, 2),
                num(because.f("redemption_severity")?, 2),
                pct(because.f("failure_probability")?)
            ),
        }),
        "rerun_periodically" => Ok(Action {
            what: "Rerun this analysis quarterly and after any change to the portfolio or the investor base".into(),
            detail: format!(
                "Same fund file, seed and scenario count ({} scenarios) for comparability; `undertow report --from DIR` re-renders this report from summary.json.",
                count(because.f("scenarios")?)
            ),
        }),
        "pending" => pending(step, &because),
        other => Err(step.field("action")?.error(format!("unknown action {other:?}"))),
    }
}

/// The "cheapest feasible per condition" list: `normal: volume participation (2.0 bps); ...`.
pub(super) fn execution_choice(by_condition: &[Node]) -> R<String> {
    Ok(by_condition
        .iter()
        .map(|c| -> R<String> {
            Ok(format!(
                "{}: {} ({})",
                words(c.s("condition")?),
                words(c.s("approach")?),
                bps(c.f("cost_bps")?)
            ))
        })
        .collect::<R<Vec<_>>>()?
        .join("; "))
}

/// The buffer search's results, for the buffer steps.
fn buffer_results<'a>(root: &Node<'a>) -> R<Vec<Node<'a>>> {
    root.get("portfolio_liquidity")?
        .get("buffer")?
        .list("results")
}

/// Keep the static buffer, or restructure it to the recommended composition.
fn buffer_change(root: &Node, because: &Node, action: &str, ctx: &Ctx) -> R<Action> {
    let results = buffer_results(root)?;
    let s = &results[because.index("static_index", results.len())?];
    let r = &results[because.index("recommended_index", results.len())?];
    let target = because.f("target_coverage")?;
    let cost_change = because.f("opportunity_cost_change_bps")?;
    Ok(Action {
        what: if action == "keep_buffer" {
            format!(
                "Keep the {} buffer; it meets the {} coverage target",
                s.s("label")?,
                pct(target)
            )
        } else {
            format!("Restructure the liquidity buffer to {}", composition(r)?)
        },
        detail: format!(
            "Coverage {} → {} ({}), opportunity cost {} → {} a year ({}); {}.",
            pct(s.f("coverage")?),
            pct(r.f("coverage")?),
            pp(because.f("coverage_change")?),
            bps(s.f("opportunity_cost_bps")?),
            bps(r.f("opportunity_cost_bps")?),
            bps(cost_change),
            match money(
                cost_change
                    .map(|d| d * 1e-4)
                    .zip(ctx.aum)
                    .map(|(d, a)| d * a),
                &ctx.currency
            ) {
                m if m == NA => "cost in currency n/a".to_string(),
                m => format!("about {m} a year"),
            }
        ),
    })
}

/// No composition meets the target: widen the search; the best ranked named as such.
fn widen_buffer_search(root: &Node, because: &Node) -> R<Action> {
    let results = buffer_results(root)?;
    let s = &results[because.index("static_index", results.len())?];
    let best = match because.index_opt("best_ranked_index", results.len())? {
        Some(i) => format!(
            " The best ranked, {}, covers {} at {} a year: it does not meet it either.",
            composition(&results[i])?,
            pct(results[i].f("coverage")?),
            bps(results[i].f("opportunity_cost_bps")?)
        ),
        None => String::new(),
    };
    Ok(Action {
        what: "Widen the buffer search: no composition searched meets the coverage target".into(),
        detail: format!(
            "The static buffer covers {}; the target is {}.{best} Add larger tiers to the search grid.",
            pct(s.f("coverage")?),
            pct(because.f("target_coverage")?)
        ),
    })
}

/// Rebalance (the largest moves), or nothing to rebalance / limits to revisit (the tightest
/// constraint).
fn construction(because: &Node, action: &str) -> R<Action> {
    let what = match action {
        "revisit_construction_limits" => {
            "Revisit the construction limits: they cannot all hold together"
        }
        "no_rebalancing_needed" => "No rebalancing needed for the liquidity constraints",
        _ => "Rebalance the portfolio to meet the liquidity constraints",
    };
    let detail = if action == "rebalance" {
        let mut moves = Vec::new();
        for m in because.list("moves")? {
            moves.push(format!("{} {}", m.s("position")?, pp(m.f("change")?)));
        }
        format!(
            "Largest moves: {} (turnover {}).",
            if moves.is_empty() {
                NA.to_string()
            } else {
                moves.join(", ")
            },
            pct(because.f_opt("turnover")?)
        )
    } else {
        match because.opt("tightest")? {
            Some(t) => format!(
                "Tightest constraint: {} (slack {}); monitor it.",
                words(t.s("constraint")?),
                num(t.f("slack")?, 3)
            ),
            None => "No constraint reported.".into(),
        }
    };
    Ok(Action {
        what: what.into(),
        detail,
    })
}

/// Adopt the recommended liquidation order, quoting its row.
fn adopt_liquidation_order(root: &Node, because: &Node) -> R<Action> {
    let name = because.s("strategy")?;
    let ld = root.get("liquidation_design")?;
    let Some(s) = strategies_named(&ld, name)?.into_iter().next() else {
        return Err(because.error(format!("no strategy named {name:?}")));
    };
    Ok(Action {
        what: format!("Adopt the {} liquidation order", words(name)),
        detail: format!(
            "Mean liquidation cost {} ({} below pro rata; {} below in significant-redemption scenarios), alpha forgone {}, style drift {}.",
            bps(s.f("mean_cost_bps")?),
            pct(s.f("reduction_vs_pro_rata")?),
            pct(s.f("stressed_reduction_vs_pro_rata")?),
            bps(s.f("alpha_forgone_bps")?),
            pct(s.f("style_drift")?)
        ),
    })
}

/// Set the gate trigger, against gates off and the use case's trigger.
fn gate_trigger(because: &Node) -> R<Action> {
    let best = because.get("trigger")?;
    Ok(Action {
        what: format!(
            "Set the gate trigger: {} (cap {})",
            trigger_text(&best)?,
            pct(best.f("gate_cap")?)
        ),
        detail: format!(
            "{}{}",
            gate_record(&best, because)?,
            use_case_score(because, &best)?
        ),
    })
}

/// No gate needed: the best-scoring trigger never fires; the trigger to use should one be wanted.
fn no_gate_needed(because: &Node) -> R<Action> {
    let best = because.get("trigger")?;
    let detail = match because.opt("if_wanted")? {
        Some(w) => format!(
            "If one is wanted: {} (cap {}). {}",
            trigger_text(&w)?,
            pct(w.f("gate_cap")?),
            gate_record(&w, because)?
        ),
        None => format!(
            "No trigger of the grid fires on this fund; shortfall frequency {} without gates.",
            pct(because.f("baseline_shortfall_frequency")?)
        ),
    };
    Ok(Action {
        what: format!(
            "No gate needed: the best-scoring trigger ({}) never fires",
            trigger_text(&best)?
        ),
        detail: detail + &use_case_score(because, &best)?,
    })
}

/// A trigger's record: how often it gates, for how long, the shortfall against gates off.
fn gate_record(row: &Node, because: &Node) -> R<String> {
    Ok(format!(
        "Gates in {} of stress scenarios (conditional on stress; mean {} gated); shortfall frequency {} against {} without gates; unnecessary gates {}.",
        pct(row.f("gate_frequency")?),
        days(row.f("mean_gate_days")?),
        pct(row.f("shortfall_frequency")?),
        pct(because.f("baseline_shortfall_frequency")?),
        pct(row.f("unnecessary_gate_share")?),
    ))
}

/// " The use case's trigger (...) scores X against Y." when the grid has the use case's point.
fn use_case_score(because: &Node, best: &Node) -> R<String> {
    Ok(match because.opt("use_case")? {
        Some(uc) => format!(
            " The use case's trigger ({}) scores {} against {}.",
            trigger_text(&uc)?,
            num(uc.f("score")?, 3),
            num(best.f("score")?, 3)
        ),
        None => String::new(),
    })
}

/// Set swing pricing at the best-scoring threshold and factor.
fn swing_pricing(b: &Node) -> R<Action> {
    Ok(Action {
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
    })
}

/// Monitor the indicators the analysis ranked first.
fn monitor_early_warning(because: &Node) -> R<Action> {
    let mut top = Vec::new();
    for r in because.list("indicators")? {
        top.push(format!(
            "{} (threshold {}, hit {}, lead {})",
            words(r.s("indicator")?),
            num(r.f("threshold")?, 3),
            pct(r.f("hit_rate")?),
            days(r.f("lead_days")?)
        ));
    }
    Ok(Action {
        what: "Monitor the early-warning indicators with the best hit rate net of false alarms"
            .into(),
        detail: top.join("; ") + ".",
    })
}

/// A stage that did not run: what it would size.
fn pending(step: &Node, because: &Node) -> R<Action> {
    let what = because.get("what")?;
    let what = match what.as_str()? {
        "size_buffer" => "Size the liquidity buffer",
        "choose_liquidation" => "Choose the liquidation order and execution approach",
        "set_policies" => "Set gate triggers, swing pricing and early-warning thresholds",
        other => return Err(what.error(format!("unknown pending step {other:?}"))),
    };
    Ok(Action {
        what: what.into(),
        detail: format!(
            "The {} stage did not run; rerun with it to size this step.",
            stage_name(&step.get("stage")?)?.role
        ),
    })
}
