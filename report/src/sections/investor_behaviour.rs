//! Investor redemption risk (`investor_behaviour`), section 3 of the page: concentration, requested
//! outflow, requests by holder, the sweep's fan charts and the cascade attribution.

use super::fan_charts::fan_charts;
use super::{findings_of, pct_axis, stage, Stage, INVESTOR_BEHAVIOUR, R};
use crate::charts::{self, Meta, Step};
use crate::fmt::{bps, count, num, pct, pp, prob, words, NA};
use crate::html::{self, n, t, Cell, Section};
use crate::json::Node;

/// The investor section. Unlike the other stage sections it always shows the sweep's fan charts,
/// which do not depend on the stage.
pub(super) fn investor_behaviour(root: &Node) -> R<Section> {
    let id = "investor-redemption-risk";
    let title = "Investor redemption risk";
    let mut body = String::new();
    let ib = stage(root, &INVESTOR_BEHAVIOUR)?;
    match &ib {
        Stage::Ran(ib) => body.push_str(&requests(ib)?),
        Stage::NotRun(note) => body.push_str(&html::note(note)),
    }
    body.push_str(&fan_charts(root)?);
    if let Stage::Ran(ib) = &ib {
        if let Some(att) = ib.opt("attribution")? {
            body.push_str(&attribution(&att)?);
        }
        body.push_str(&html::findings(&findings_of(root, INVESTOR_BEHAVIOUR.key)?));
    }
    Ok(Section { id, title, body })
}

/// Concentration, requested outflow by horizon and requests by holder.
fn requests(ib: &Node) -> R<String> {
    let base = ib.get("base")?;
    let mut body = html::p(&format!(
        "The top-10 investors hold {} of NAV (Herfindahl index of the large stakes {}); segments of small holders hold {}. Requests are simulated per holder, with feedback from performance, herding, liquidity concern and market stress.",
        pct(base.f("top10_share")?),
        num(base.f("hhi")?, 4),
        pct(base.f("segment_share")?)
    ));
    let mut rows = Vec::new();
    for r in ib.list("requested")? {
        rows.push(vec![
            n(format!("{} d", num(r.f("horizon_days")?, 0))),
            n(pct(r.f("mean")?)),
            n(pct(r.f("p50")?)),
            n(pct(r.f("p95")?)),
            n(pct(r.f("p99")?)),
        ]);
    }
    body.push_str(&html::table(
        &format!(
            "Requested outflow under stress, share of NAV ({} scenarios of the stress library); at least one large investor redeems in {} of stress scenarios (conditional on stress)",
            count(ib.f_opt("sweep_scenarios")?),
            pct(ib.f_opt("any_large_redeemed")?)
        ),
        &["horizon", "mean", "median", "95th pct", "99th pct"],
        rows,
        &[],
    ));
    let mut rows = Vec::new();
    for h in ib.list("holders")? {
        rows.push(vec![
            t(h.s("holder")?),
            t(words(h.s("kind")?)),
            n(pct(h.f("stake")?)),
            n(prob(h.f("probability")?)),
            n(pct(h.f("mean")?)),
            n(pct(h.f("p95")?)),
            n(pct(h.f("p99")?)),
            n(pct(h.f("share_of_requests")?)),
        ]);
    }
    body.push_str(&html::table(
        "Requests by holder (share of NAV unless stated)",
        &[
            "holder",
            "kind",
            "stake",
            "P(redeems)",
            "mean request",
            "95th pct",
            "99th pct",
            "share of requests",
        ],
        rows,
        &[],
    ));
    Ok(body)
}

/// A waterfall bar label: percentage points with their sign.
fn pp_label(v: f64) -> String {
    format!("{:+.1}", v * 100.0)
}

/// Cascade attribution: the waterfall from all feedback off to all on, and its table.
fn attribution(att: &Node) -> R<String> {
    let all_off = att.get("all_off")?.f("requested")?;
    let all_on = att.get("all_on")?.f("requested")?;
    let (steps, rows) = attribution_steps(att, all_off, all_on)?;
    let chart = charts::waterfall(
        Meta::new(
            "cascade-waterfall",
            "Cascade attribution: mean requested outflow over the horizon",
            "feedback channel",
            "mean requested outflow (% of NAV)",
            format!(
                "From {} of NAV with every feedback channel off, each bar adds one channel's contribution (the same scenarios rerun with it off); the interaction closes the gap to {} with all on.",
                pct(all_off),
                pct(all_on)
            ),
        ),
        steps,
        100.0,
        pct_axis,
        pp_label,
    )?;
    let mut body = html::h3("Cascade attribution");
    body.push_str(&html::figure(&chart));
    body.push_str(&html::table(
        &format!(
            "Contribution of each feedback channel ({} scenarios rerun per variant; pp = percentage points of NAV)",
            count(att.f_opt("scenarios")?)
        ),
        &["channel", "switch", "outflow 30 d", "outflow, horizon", "share", "cost", "cost share"],
        rows,
        &[],
    ));
    Ok(body)
}

/// The waterfall's bars and the table's rows: all off, one per channel, the interaction, all on.
fn attribution_steps(
    att: &Node,
    all_off: Option<f64>,
    all_on: Option<f64>,
) -> R<(Vec<Step>, Vec<Vec<Cell>>)> {
    let mut steps = vec![Step {
        name: "all feedback off".into(),
        value: all_off.unwrap_or(f64::NAN),
        total: true,
    }];
    let mut rows = Vec::new();
    for c in att.list("channels")? {
        let name = words(c.s("channel")?);
        steps.push(Step {
            name: name.clone(),
            value: c.f("outflow")?.unwrap_or(f64::NAN),
            total: false,
        });
        rows.push(vec![
            t(name),
            t(if c.b("enabled")? {
                "on"
            } else {
                "off (fund switch)"
            }),
            n(pp(c.f("outflow_30d")?)),
            n(pp(c.f("outflow")?)),
            n(pct(c.f("outflow_share")?)),
            n(bps(c.f("cost")?.map(|v| v * 1e4))),
            n(pct(c.f("cost_share")?)),
        ]);
    }
    let interaction = att.f("interaction_outflow")?;
    steps.push(Step {
        name: "interaction".into(),
        value: interaction.unwrap_or(f64::NAN),
        total: false,
    });
    steps.push(Step {
        name: "all feedback on".into(),
        value: all_on.unwrap_or(f64::NAN),
        total: true,
    });
    rows.push(vec![
        t("interaction"),
        t(""),
        n(NA),
        n(pp(interaction)),
        n(pct(att.f("interaction_outflow_share")?)),
        n(bps(att.f("interaction_cost")?.map(|v| v * 1e4))),
        n(pct(att.f("interaction_cost_share")?)),
    ]);
    Ok((steps, rows))
}
