//! Executive summary, section 1 of the page: the headline numbers, the recommendations of the
//! stages that ran, and every stage's findings.

use super::liquidation_design::strategies_named;
use super::portfolio_liquidity::composition;
use super::redemption_policy::trigger_text;
use super::{
    findings_of, stage, Ctx, Stage, LIQUIDATION_DESIGN, PORTFOLIO_LIQUIDITY, R, REDEMPTION_POLICY,
    STAGES,
};
use crate::fmt::{bps, count, esc, money, num, pct, words, NA};
use crate::html::{self, Card, Section};
use crate::json::Node;

/// The executive summary: a sentence on the run, the headline cards, the stages'
/// recommendations as cards, and the key findings by stage.
pub(super) fn executive_summary(root: &Node, ctx: &Ctx) -> R<Section> {
    let headline = root.get("headline")?;
    let mut body = String::new();
    let horizon = num(ctx.horizon, 0);
    let lar30 = lar_30_days(root, &headline)?;
    let mut cards = headline_cards(&headline, ctx, &horizon, lar30)?;
    cards.extend(portfolio_liquidity_card(root)?);
    cards.extend(liquidation_design_card(root)?);
    cards.extend(redemption_policy_card(root)?);
    body.push_str(&html::p(&format!(
        "{} was run through {} stress scenarios of {} business days each: markets, investor redemptions and the fund's own forced selling feeding on each other. The numbers below are over all scenarios; the findings state each stage's conclusions with the numbers behind them.",
        ctx.fund,
        count(ctx.scenarios),
        horizon
    )));
    body.push_str(&html::cards(&cards));
    body.push_str(&key_findings(root)?);
    Ok(Section {
        id: "executive-summary",
        title: "Executive summary",
        body,
    })
}

/// The 30-day 99% liquidity at risk: as a share of NAV (from `aggregate.liquidity_at_risk`) and
/// in currency (from `headline.liquidity_at_risk_currency`).
fn lar_30_days(root: &Node, headline: &Node) -> R<(Option<f64>, Option<f64>)> {
    let mut lar30 = (None, None);
    for row in headline.list("liquidity_at_risk_currency")? {
        let items = row.items()?;
        if items.len() == 2 && items[0].num()? == Some(30.0) {
            let q = items[1].items()?;
            if let Some(v) = q.get(2) {
                lar30.1 = v.num()?;
            }
        }
    }
    if let Some(agg) = root.opt("aggregate")? {
        if let Some(rows) = agg.opt("liquidity_at_risk")? {
            for row in rows.items()? {
                if row.f("horizon_days")? == Some(30.0) {
                    lar30.0 = row.nums("lar")?.get(2).copied().flatten();
                }
            }
        }
    }
    Ok(lar30)
}

/// The main sweep's headline numbers.
fn headline_cards(
    headline: &Node,
    ctx: &Ctx,
    horizon: &str,
    lar30: (Option<f64>, Option<f64>),
) -> R<Vec<Card>> {
    Ok(vec![
        Card {
            label: "Coverage".into(),
            value: pct(headline.f("coverage")?),
            note: format!(
                "scenarios with no buffer exhaustion, shortfall or gate over {horizon} days"
            ),
        },
        Card {
            label: "Survival".into(),
            value: pct(headline.f("survival")?),
            note: "scenarios with no shortfall and no gate".into(),
        },
        Card {
            label: "Gate frequency".into(),
            value: pct(headline.f("gate_frequency")?),
            note: "scenarios in which a redemption gate fired".into(),
        },
        Card {
            label: "Shortfall frequency".into(),
            value: pct(headline.f("shortfall_frequency")?),
            note: "scenarios with unpaid redemptions".into(),
        },
        Card {
            label: "Liquidation cost".into(),
            value: bps(headline.f("mean_cost_bps")?),
            note: format!(
                "mean, of initial NAV; 99th percentile {}",
                bps(headline.f("cost_p99_bps")?)
            ),
        },
        Card {
            label: "30-day liquidity at risk (99%)".into(),
            value: pct(lar30.0),
            note: format!("of NAV: {}", money(lar30.1, &ctx.currency)),
        },
    ])
}

/// The buffer, when the optimiser ran: the recommended composition (the cheapest meeting the
/// target), or, when none meets it, the best ranked named as such.
fn portfolio_liquidity_card(root: &Node) -> R<Option<Card>> {
    let Stage::Ran(pl) = stage(root, &PORTFOLIO_LIQUIDITY)? else {
        return Ok(None);
    };
    let b = pl.get("buffer")?;
    let results = b.list("results")?;
    let Some(rec) = b.opt("recommended")? else {
        return Ok(None);
    };
    let r = &results[rec.index("index", results.len())?];
    let target = pct(b.f("target_coverage")?);
    let (coverage, cost) = (pct(r.f("coverage")?), bps(r.f("opportunity_cost_bps")?));
    let basis = rec.get("basis")?;
    Ok(Some(match basis.as_str()? {
        "cheapest_meeting_target" => Card {
            label: "Recommended buffer".into(),
            value: composition(r)?,
            note: format!("cheapest meeting {target} coverage: {coverage} at {cost} a year"),
        },
        "best_ranked" => Card {
            label: "Buffer".into(),
            value: "None meets the target".into(),
            note: format!(
                "no composition searched reaches {target} coverage; best ranked: {}, {coverage} at {cost} a year",
                composition(r)?
            ),
        },
        other => return Err(basis.error(format!("unknown basis {other:?}"))),
    }))
}

/// The recommended liquidation strategy, when the designer ran.
fn liquidation_design_card(root: &Node) -> R<Option<Card>> {
    let Stage::Ran(ld) = stage(root, &LIQUIDATION_DESIGN)? else {
        return Ok(None);
    };
    let rec = ld.s("recommended")?;
    let mut note = String::new();
    for s in strategies_named(&ld, rec)? {
        note = format!(
            "mean cost {}, {} below pro rata",
            bps(s.f("mean_cost_bps")?),
            pct(s.f("reduction_vs_pro_rata")?)
        );
    }
    Ok(Some(Card {
        label: "Recommended liquidation".into(),
        value: words(rec),
        note,
    }))
}

/// The gate trigger, when the policy formulator ran: the analysis' recommendation, "No gate
/// needed" (with the trigger to use should one be wanted) or the trigger to set.
fn redemption_policy_card(root: &Node) -> R<Option<Card>> {
    let Stage::Ran(rp) = stage(root, &REDEMPTION_POLICY)? else {
        return Ok(None);
    };
    let Some(rec) = rp.opt("recommendation")? else {
        return Ok(Some(Card {
            label: "Gate trigger".into(),
            value: NA.into(),
            note: "no recommendation in this summary (an older run)".into(),
        }));
    };
    let trigger = rec.get("trigger")?;
    let kind = rec.get("kind")?;
    let card = match kind.as_str()? {
        "no_gate_needed" => {
            let firing = match rec.opt("if_wanted")? {
                Some(row) => format!(
                    "; if one is wanted: {} (gates in {} of scenarios)",
                    trigger_text(&row)?,
                    pct(row.f("gate_frequency")?)
                ),
                None => String::new(),
            };
            Card {
                label: "Gate trigger".into(),
                value: "No gate needed".into(),
                note: format!(
                    "the best-scoring trigger ({}) never fires{firing}",
                    trigger_text(&trigger)?
                ),
            }
        }
        "gate" => Card {
            label: "Recommended gate trigger".into(),
            value: trigger_text(&trigger)?,
            note: format!(
                "gates in {} of scenarios, cap {}",
                pct(trigger.f("gate_frequency")?),
                pct(trigger.f("gate_cap")?)
            ),
        },
        other => return Err(kind.error(format!("unknown recommendation {other:?}"))),
    };
    Ok(Some(card))
}

/// The key findings, by stage in pipeline order, then those of any other stage.
fn key_findings(root: &Node) -> R<String> {
    let mut body = html::h3("Key findings");
    let mut any = false;
    let mut listed = std::collections::BTreeSet::new();
    for name in &STAGES {
        let items = findings_of(root, name.key)?;
        listed.insert(name.key.to_string());
        if items.is_empty() {
            continue;
        }
        any = true;
        body.push_str(&format!("<h4>{}</h4>", esc(name.heading)));
        body.push_str(&html::ul(&items));
    }
    if let Some(list) = root.opt("findings")? {
        let mut other = Vec::new();
        for f in list.items()? {
            if !listed.contains(f.s("stage")?) {
                other.push(f.s("text")?.to_string());
            }
        }
        if !other.is_empty() {
            any = true;
            body.push_str("<h4>Other</h4>");
            body.push_str(&html::ul(&other));
        }
    }
    if !any {
        body.push_str(&html::note(
            "No findings: summary.json has no findings for this run.",
        ));
    }
    Ok(body)
}
