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
use crate::html::{self, n, t, Card, Section};
use crate::json::Node;

/// The executive summary: a sentence on the run, the headline cards, the stages'
/// recommendations as cards, and the key findings by stage.
pub(super) fn executive_summary(root: &Node, ctx: &Ctx) -> R<Section> {
    let headline = root.get("headline")?;
    let unconditional = root.opt("unconditional")?;
    let mut body = String::new();
    let horizon = num(ctx.horizon, 0);
    let mut cards = Vec::new();
    cards.extend(portfolio_liquidity_card(root)?);
    cards.extend(liquidation_design_card(root)?);
    cards.extend(redemption_policy_card(root)?);
    let second = match &unconditional {
        Some(u) => format!(
            " The same count was then drawn from the unconditional mixture, a year of business days in which {} of windows are calm and the rest stress families by their historical frequency.",
            pct(calm_probability(u)?)
        ),
        None => " The unconditional mixture was not run (--no-unconditional).".to_string(),
    };
    body.push_str(&html::p(&format!(
        "{} was run through {} scenarios of {} business days each from the stress library: markets, investor redemptions and the fund's own forced selling feeding on each other. Every scenario of the stress library is a stress, so a frequency over it is conditional on stress, not a probability.{second} The analysis stages below run on the stress library.",
        ctx.fund,
        count(ctx.scenarios),
        horizon
    )));
    body.push_str(&headline_table(
        root,
        &headline,
        unconditional.as_ref(),
        ctx,
        &horizon,
    )?);
    body.push_str(&lar_tables(root, unconditional.as_ref(), ctx)?);
    if !cards.is_empty() {
        body.push_str(&html::h3("Recommendations (from the stress library)"));
        body.push_str(&html::cards(&cards));
    }
    body.push_str(&key_findings(root)?);
    Ok(Section {
        id: "executive-summary",
        title: "Executive summary",
        body,
    })
}

/// The headline table's column over the stress library.
pub(super) const STRESS_COLUMN: &str = "under stress: conditional on the stress library";

/// The headline table's column over the unconditional mixture.
pub(super) const UNCONDITIONAL_COLUMN: &str = "over a year of business days: unconditional mixture";

/// The mixture's calm probability (`unconditional.family_probabilities.calm`).
fn calm_probability(u: &Node) -> R<Option<f64>> {
    match u.opt("family_probabilities")? {
        Some(p) => p.f_opt("calm"),
        None => Ok(None),
    }
}

/// The 30-day 99% liquidity at risk of a set: as a share of NAV (from its
/// `aggregate.liquidity_at_risk`) and in currency (from `headline.liquidity_at_risk_currency`).
fn lar_30_days(set: &Node, headline: &Node) -> R<(Option<f64>, Option<f64>)> {
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
    if let Some(agg) = set.opt("aggregate")? {
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

/// One set's headline values, in the order of the headline table's rows.
fn headline_values(set: &Node, headline: &Node, ctx: &Ctx) -> R<Vec<String>> {
    let lar30 = lar_30_days(set, headline)?;
    Ok(vec![
        pct(headline.f("coverage")?),
        pct(headline.f("survival")?),
        pct(headline.f("gate_frequency")?),
        pct(headline.f("shortfall_frequency")?),
        bps(headline.f("mean_cost_bps")?),
        bps(headline.f("cost_p99_bps")?),
        format!("{} ({})", pct(lar30.0), money(lar30.1, &ctx.currency)),
    ])
}

/// The headline numbers, one column per scenario set: the stress library (conditional on
/// stress) and the unconditional mixture (`n/a` when it was not run).
fn headline_table(
    root: &Node,
    headline: &Node,
    unconditional: Option<&Node>,
    ctx: &Ctx,
    horizon: &str,
) -> R<String> {
    let labels = [
        format!("Coverage: no buffer exhaustion, shortfall or gate over {horizon} days"),
        "Survival: no shortfall and no gate".to_string(),
        "Gate frequency: a redemption gate fired".to_string(),
        "Shortfall frequency: redemptions left unpaid".to_string(),
        "Liquidation cost, mean (of initial NAV)".to_string(),
        "Liquidation cost, 99th percentile".to_string(),
        "30-day liquidity at risk, 99% (share of NAV)".to_string(),
    ];
    let stress = headline_values(root, headline, ctx)?;
    let other = match unconditional {
        Some(u) => headline_values(u, &u.get("headline")?, ctx)?,
        None => vec![format!("{NA} (not run)"); labels.len()],
    };
    let rows = labels
        .iter()
        .zip(stress.into_iter().zip(other))
        .map(|(l, (a, b))| vec![t(l.clone()), n(a), n(b)])
        .collect();
    let mut body = html::h3("Headline numbers by scenario set");
    body.push_str(&html::table(
        "Headline numbers: shares of scenarios in each set. Under stress they are conditional frequencies given a stress scenario, not probabilities; over a year of business days they are frequencies under the unconditional mixture.",
        &["measure", STRESS_COLUMN, UNCONDITIONAL_COLUMN],
        rows,
        &[],
    ));
    Ok(body)
}

/// A set's liquidity-at-risk table: requested outflow by horizon at each confidence, share of
/// NAV and currency.
fn lar_table(set: &Node, caption: &str, ctx: &Ctx) -> R<String> {
    let headline = set.get("headline")?;
    let currency = headline.list("liquidity_at_risk_currency")?;
    let Some(agg) = set.opt("aggregate")? else {
        return Ok(html::note(&format!("{caption}: not in summary.json.")));
    };
    let mut rows = Vec::new();
    for (k, row) in agg.list("liquidity_at_risk")?.iter().enumerate() {
        let lar = row.nums("lar")?;
        let cur: Vec<Option<f64>> = match currency.get(k) {
            Some(c) => match c.items()?.get(1) {
                Some(q) => q.items()?.iter().map(|v| v.num()).collect::<R<_>>()?,
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut cells = vec![n(format!("{} d", num(row.f("horizon_days")?, 0)))];
        for j in 0..3 {
            cells.push(n(format!(
                "{} ({})",
                pct(lar.get(j).copied().flatten()),
                money(cur.get(j).copied().flatten(), &ctx.currency)
            )));
        }
        rows.push(cells);
    }
    Ok(html::table(
        caption,
        &["horizon", "LaR 90%", "LaR 95%", "LaR 99%"],
        rows,
        &[],
    ))
}

/// Liquidity at risk under each set.
fn lar_tables(root: &Node, unconditional: Option<&Node>, ctx: &Ctx) -> R<String> {
    let mut body = html::h3("Liquidity at risk by scenario set");
    body.push_str(&lar_table(
        root,
        &format!(
            "Liquidity at risk {STRESS_COLUMN}: quantiles of requested outflow, share of NAV ({})",
            ctx.currency
        ),
        ctx,
    )?);
    match unconditional {
        Some(u) => body.push_str(&lar_table(
            u,
            &format!(
                "Liquidity at risk {UNCONDITIONAL_COLUMN}: quantiles of requested outflow, share of NAV ({})",
                ctx.currency
            ),
            ctx,
        )?),
        None => body.push_str(&html::note(&format!(
            "Liquidity at risk {UNCONDITIONAL_COLUMN}: not run (--no-unconditional)."
        ))),
    }
    Ok(body)
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
                    "; if one is wanted: {} (gates in {} of stress scenarios)",
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
                "gates in {} of stress scenarios (conditional on stress), cap {}",
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
