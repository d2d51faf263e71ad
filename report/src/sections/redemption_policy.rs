//! Redemption policy framework (`redemption_policy`), section 6 of the page: gate triggers, swing
//! pricing, early warning, reverse stress and the communication playbook.

use super::{stage_section, whole, R, REDEMPTION_POLICY};
use crate::charts::{self, BarGroup, Highlight, Meta, PALETTE};
use crate::fmt::{bps, count, days, num, pct, prob, words, NA};
use crate::html::{self, n, t, Cell, Section};
use crate::json::Node;

/// A gate trigger in words: `30-day redemptions > 15% and ALR < 1.2`.
pub(super) fn trigger_text(row: &Node) -> R<String> {
    let mut parts = Vec::new();
    if let Some(v) = row.f("redemptions_30d")? {
        parts.push(format!("30-day redemptions > {}", pct(Some(v))));
    }
    if let Some(v) = row.f("alr")? {
        parts.push(format!("ALR < {}", num(Some(v), 2)));
    }
    if let Some(v) = row.f("stress")? {
        parts.push(format!("stress > {}", num(Some(v), 2)));
    }
    Ok(if parts.is_empty() {
        "no trigger".to_string()
    } else {
        parts.join(" and ")
    })
}

/// A swing factor: 0 stands for the dynamic estimate of the dealing day's liquidation cost.
pub(super) fn swing_factor(v: Option<f64>) -> String {
    match v {
        Some(0.0) => "dynamic (cost estimate)".to_string(),
        other => pct(other),
    }
}

/// A trigger level on the gate grid's axes: "off" when the dimension is not used.
fn level_label(v: Option<f64>, fmt: fn(Option<f64>) -> String) -> String {
    match v {
        None => "off".into(),
        Some(_) => fmt(v),
    }
}

/// An available liquidity ratio.
fn alr_fmt(v: Option<f64>) -> String {
    num(v, 2)
}

/// Whether two optional levels are the same (both off, or equal values).
fn same_level(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() < 1e-12,
        _ => false,
    }
}

/// Distinct values of an optional level, `None` (off) first, then ascending.
fn levels(values: impl Iterator<Item = Option<f64>>) -> Vec<Option<f64>> {
    let mut out: Vec<Option<f64>> = Vec::new();
    for v in values {
        if !out.iter().any(|x| same_level(*x, v)) {
            out.push(v);
        }
    }
    out.sort_by(|a, b| match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(a), Some(b)) => a.total_cmp(b),
    });
    out
}

fn level_index(levels: &[Option<f64>], v: Option<f64>) -> Option<usize> {
    levels.iter().position(|x| same_level(*x, v))
}

/// Position of `v` on a categorical axis whose category `i` holds `values[i]` (ascending):
/// linear interpolation between neighbouring categories.
fn category_position(values: &[f64], v: f64) -> Option<f64> {
    if values.is_empty() || !v.is_finite() {
        return None;
    }
    if v <= values[0] {
        return Some(0.0);
    }
    for (i, w) in values.windows(2).enumerate() {
        if v <= w[1] {
            let f = if w[1] > w[0] {
                (v - w[0]) / (w[1] - w[0])
            } else {
                0.0
            };
            return Some(i as f64 + f);
        }
    }
    Some((values.len() - 1) as f64)
}

/// A gate-grid row as a table row.
fn gate_row_cells(r: &Node) -> R<Vec<Cell>> {
    Ok(vec![
        t(trigger_text(r)?),
        n(pct(r.f("gate_cap")?)),
        n(prob(r.f("gate_frequency")?)),
        n(days(r.f("mean_gate_days")?)),
        n(prob(r.f("shortfall_frequency")?)),
        n(pct(r.f("shortfall_avoided")?)),
        n(bps(r.f("mean_dilution_bps")?)),
        n(pct(r.f("unnecessary_gate_share")?)),
        n(num(r.f("score")?, 3)),
        n(num(r.f("rank")?, 0)),
    ])
}

/// The policy section.
pub(super) fn redemption_policy(root: &Node) -> R<Section> {
    let section = ("redemption-policy", "Redemption policy framework");
    stage_section(root, &REDEMPTION_POLICY, section, |rp| {
        let mut body = gate_triggers(&rp.get("gate_grid")?)?;
        if let Some(swing) = rp.opt("swing")? {
            body.push_str(&swing_pricing(&swing)?);
        }
        if let Some(ew) = rp.opt("early_warning")? {
            body.push_str(&early_warning(&ew)?);
        }
        if let Some(rs) = rp.opt("reverse_stress")? {
            body.push_str(&reverse_stress(&rs)?);
        }
        if let Some(pb) = rp.opt("playbook")? {
            body.push_str(&playbook(&pb)?);
        }
        Ok(body)
    })
}

/// Gate triggers: the grid as a heat map and the table of the baseline, best, use case's and next
/// best triggers.
fn gate_triggers(grid: &Node) -> R<String> {
    let rows = grid.list("rows")?;
    let gw = grid.get("weights")?;
    let mut body = html::h3("Gate triggers");
    body.push_str(&html::p(&format!(
        "Each trigger combination (30-day redemptions, available liquidity ratio, market stress, gate cap) was run on the same {} scenarios and scored on protection ({}), operational burden ({}) and reputation ({}).",
        count(grid.f("scenarios")?),
        num(gw.f_opt("protection")?, 2),
        num(gw.f_opt("operational")?, 2),
        num(gw.f_opt("reputation")?, 2)
    )));
    body.push_str(&gate_grid_chart(grid, &rows)?);
    body.push_str(&gate_table(grid, &rows)?);
    Ok(body)
}

/// The gate grid's heat map: per (30-day redemption, ALR) cell the best score over the other
/// trigger dimensions, the best and the use case's triggers outlined.
fn gate_grid_chart(grid: &Node, rows: &[Node]) -> R<String> {
    let mut r30 = Vec::new();
    let mut alr = Vec::new();
    for r in rows {
        r30.push(r.f("redemptions_30d")?);
        alr.push(r.f("alr")?);
    }
    let xs = levels(r30.iter().copied());
    let ys = levels(alr.iter().copied());
    let mut cells: Vec<Vec<Option<f64>>> = vec![vec![None; xs.len()]; ys.len()];
    for (k, r) in rows.iter().enumerate() {
        if let (Some(xi), Some(yi), Some(score)) = (
            level_index(&xs, r30[k]),
            level_index(&ys, alr[k]),
            r.f("score")?,
        ) {
            let cell = &mut cells[yi][xi];
            *cell = Some(cell.map_or(score, |c: f64| c.max(score)));
        }
    }
    let best = grid.get("best")?;
    let mut highlights = Vec::new();
    let use_case = grid.opt("use_case")?;
    let use_case_name = match &use_case {
        Some(uc) => format!(
            "use case ({}, {})",
            level_label(uc.f("redemptions_30d")?, |v| format!(
                "{}%",
                num(v.map(|v| v * 100.0), 0)
            )),
            level_label(uc.f("alr")?, |v| num(v, 1))
        ),
        None => String::new(),
    };
    let outlined = [
        (Some(best.clone()), "best trigger", PALETTE[3]),
        (use_case, use_case_name.as_str(), PALETTE[1]),
    ];
    for (row, name, color) in outlined {
        let Some(row) = row else { continue };
        if let (Some(x), Some(y)) = (
            level_index(&xs, row.f("redemptions_30d")?),
            level_index(&ys, row.f("alr")?),
        ) {
            highlights.push(Highlight {
                x,
                y,
                name: name.into(),
                color,
            });
        }
    }
    if rows.is_empty() {
        return Ok(String::new());
    }
    let chart = charts::heatmap(
        Meta::new(
            "gate-grid",
            "Gate-trigger grid: weighted score",
            "trigger: 30-day redemptions above (% of NAV)",
            "trigger: available liquidity ratio below",
            format!(
                "Darker is better; each cell shows the best score over the stress and cap settings. Best: {} with a {} cap (score {}, gates in {} of stress scenarios).",
                trigger_text(&best)?,
                pct(best.f("gate_cap")?),
                num(best.f("score")?, 3),
                pct(best.f("gate_frequency")?)
            ),
        ),
        xs.iter().map(|v| level_label(*v, pct)).collect(),
        ys.iter().map(|v| level_label(*v, alr_fmt)).collect(),
        cells,
        |v| format!("{v:.2}"),
        "score".into(),
        highlights,
        None,
    )?;
    Ok(html::figure(&chart))
}

/// The gate table: baseline (gates off), best (highlighted), the use case's trigger, then the
/// next four by rank.
fn gate_table(grid: &Node, rows: &[Node]) -> R<String> {
    let best = grid.get("best")?;
    let use_case = grid.opt("use_case")?;
    let base = grid.get("baseline")?;
    let mut trows = vec![vec![
        t("gates off (baseline)"),
        n(NA),
        n(prob(Some(0.0))),
        n(NA),
        n(prob(base.f("shortfall_frequency")?)),
        n(NA),
        n(bps(base.f("mean_dilution_bps")?)),
        n(NA),
        n(NA),
        n(NA),
    ]];
    trows.push(gate_row_cells(&best)?);
    if let Some(uc) = &use_case {
        let mut cells = gate_row_cells(uc)?;
        cells[0] = t(format!("use case: {}", trigger_text(uc)?));
        trows.push(cells);
    }
    let mut ranked: Vec<(f64, &Node)> = Vec::new();
    for r in rows {
        ranked.push((r.f("rank")?.unwrap_or(f64::INFINITY), r));
    }
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, r) in ranked.iter().skip(1).take(4) {
        trows.push(gate_row_cells(r)?);
    }
    Ok(html::table(
        "Gate triggers: baseline, best, the use case's and the next best by rank",
        &[
            "trigger",
            "cap",
            "gated",
            "gate days",
            "shortfall",
            "shortfall avoided",
            "dilution",
            "unnecessary gates",
            "score",
            "rank",
        ],
        trows,
        &[1],
    ))
}

/// Swing pricing: the best threshold and factor, and the table of all tried.
fn swing_pricing(swing: &Node) -> R<String> {
    let best = swing.get("best")?;
    let mut rows = Vec::new();
    let mut hl = Vec::new();
    for (k, r) in swing.list("rows")?.iter().enumerate() {
        if r.f("threshold")? == best.f("threshold")? && r.f("factor")? == best.f("factor")? {
            hl.push(k);
        }
        rows.push(vec![
            n(pct(r.f("threshold")?)),
            n(swing_factor(r.f("factor")?)),
            n(bps(r.f("mean_dilution_bps")?)),
            n(bps(r.f("dilution_avoided")?.map(|v| v * 1e4))),
            n(bps(r.f("mean_swing_income_bps")?)),
            n(num(r.f("score")?, 3)),
        ]);
    }
    let mut body = html::h3("Swing pricing");
    body.push_str(&html::p(&format!(
        "Best: swing when net flows exceed {} of NAV, by {}.",
        pct(best.f("threshold")?),
        swing_factor(best.f("factor")?)
    )));
    body.push_str(&html::table(
        "Swing threshold and factor: dilution of remaining investors",
        &[
            "threshold",
            "factor",
            "dilution",
            "dilution avoided",
            "swing income",
            "score",
        ],
        rows,
        &hl,
    ));
    Ok(body)
}

/// The early-warning lead-time bars: one category per indicator, lead at the stated and at the
/// best threshold.
struct LeadTimes {
    names: Vec<String>,
    at: Vec<Option<f64>>,
    best: Vec<Option<f64>>,
    notes: Vec<String>,
    longest: Longest,
}

/// The indicator with the longest median lead, as the analysis found it.
enum Longest {
    Lead {
        days: Option<f64>,
        indicator: String,
        /// At the best threshold.
        hit_rate: Option<f64>,
    },
    /// No indicator gave a lead time.
    None,
    /// An older summary, without `longest_lead`.
    NotInSummary,
}

/// Early warning: the indicators' lead times as bars, and their table.
fn early_warning(ew: &Node) -> R<String> {
    let rows = ew.list("rows")?;
    // The analysis' longest lead; absent from older summaries (null: no indicator has one).
    let longest = match ew.value().get("longest_lead") {
        None => Longest::NotInSummary,
        Some(_) => match ew.opt("longest_lead")? {
            Some(l) => Longest::Lead {
                days: l.f("days")?,
                indicator: words(l.s("indicator")?),
                hit_rate: l.f("hit_rate")?,
            },
            None => Longest::None,
        },
    };
    let mut bars = LeadTimes {
        names: Vec::new(),
        at: Vec::new(),
        best: Vec::new(),
        notes: Vec::new(),
        longest,
    };
    let mut trows = Vec::new();
    for r in &rows {
        let name = words(r.s("indicator")?);
        let lead = r.f("median_lead_days")?;
        let blead = r.f("best_median_lead_days")?;
        bars.names.push(name.clone());
        bars.at.push(lead);
        bars.best.push(blead);
        bars.notes.push(match blead.or(lead) {
            Some(_) => format!("hit {}", pct(r.f("best_hit_rate")?.or(r.f("hit_rate")?))),
            None => "no lead time".to_string(),
        });
        let dir = if r.s("direction")? == "below" {
            "<"
        } else {
            ">"
        };
        trows.push(vec![
            t(name),
            n(format!("{dir} {}", num(r.f("threshold")?, 3))),
            n(prob(r.f("hit_rate")?)),
            n(prob(r.f("false_alarm_rate")?)),
            n(days(lead)),
            n(r.f("best_threshold")?
                .map_or(NA.to_string(), |v| format!("{dir} {}", num(Some(v), 3)))),
            n(prob(r.f("best_hit_rate")?)),
            n(prob(r.f("best_false_alarm_rate")?)),
            n(days(blead)),
        ]);
    }
    let mut body = html::h3("Early warning");
    body.push_str(&html::p(&format!(
        "{} indicators were tested on {} scenarios, of which {} ({}) had a liquidity event; lead time is the number of days from an indicator's first breach to the event.",
        rows.len(),
        count(ew.f("scenarios")?),
        count(ew.f("events")?),
        pct(ew.f("event_rate")?)
    )));
    if !rows.is_empty() {
        body.push_str(&lead_time_chart(bars)?);
    }
    body.push_str(&html::table(
        "Indicators: threshold, hit rate (events preceded by a breach), false alarms and median lead time, as stated and at the best threshold",
        &["indicator", "threshold", "hit rate", "false alarms", "lead", "best threshold", "hit rate", "false alarms", "lead"],
        trows,
        &[],
    ));
    Ok(body)
}

fn lead_time_chart(bars: LeadTimes) -> R<String> {
    let chart = charts::hbars(
        Meta::new(
            "early-warning",
            "Early-warning lead times by indicator",
            "median lead time before the liquidity event (business days)",
            "indicator",
            match &bars.longest {
                Longest::Lead { days: l, indicator, hit_rate } => format!(
                    "Longer bars warn earlier; the note gives the hit rate at the best threshold. Longest median lead: {indicator}, {} at a {} hit rate.",
                    days(*l),
                    pct(*hit_rate)
                ),
                Longest::None => "Longer bars warn earlier; no indicator gave a lead time.".into(),
                Longest::NotInSummary => "Longer bars warn earlier; the note gives the hit rate at the best threshold.".into(),
            },
        ),
        bars.names,
        vec![
            BarGroup { name: "at the stated threshold".into(), color: PALETTE[0], values: bars.at },
            BarGroup { name: "at the best threshold".into(), color: PALETTE[1], values: bars.best },
        ],
        bars.notes,
        whole,
    )?;
    Ok(html::figure(&chart))
}

/// A list of numbers, a missing one as NaN.
fn nums_or_nan(node: &Node, key: &str) -> R<Vec<f64>> {
    Ok(node
        .nums(key)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

/// Reverse stress: the failure probability over (market, redemption) severity with the failure
/// frontier, and the least severe failing combination outlined.
fn reverse_stress(rs: &Node) -> R<String> {
    let ms = nums_or_nan(rs, "market_severity")?;
    let red = nums_or_nan(rs, "redemption_severity")?;
    let cells = failure_cells(&rs.get("failure_probability")?, ms.len(), red.len())?;
    let mut overlay = Vec::new();
    for f in rs.list("frontier")? {
        if let (Some(m), Some(r)) = (f.f("market_severity")?, f.f("redemption_severity")?) {
            if let (Some(x), Some(y)) = (category_position(&ms, m), category_position(&red, r)) {
                overlay.push((x, y));
            }
        }
    }
    let least = rs.opt("least_severe")?;
    let mut highlights = Vec::new();
    let read = match &least {
        Some(l) => {
            let (m, r) = (l.f("market_severity")?, l.f("redemption_severity")?);
            if let (Some(xi), Some(yi)) = (
                m.and_then(|m| ms.iter().position(|x| (x - m).abs() < 1e-9)),
                r.and_then(|r| red.iter().position(|x| (x - r).abs() < 1e-9)),
            ) {
                highlights.push(Highlight {
                    x: xi,
                    y: yi,
                    name: "least severe failure".into(),
                    color: PALETTE[3],
                });
            }
            format!(
                "Darker cells fail more often; the line is the failure frontier. The least severe failing combination is market severity {} with redemption severity {} ({} of its scenarios fail).",
                num(m, 2),
                num(r, 2),
                pct(l.f("failure_probability")?)
            )
        }
        None => "Darker cells fail more often; no tested combination fell short.".to_string(),
    };
    let mut body = html::h3("Reverse stress test");
    if !cells.is_empty() && !ms.is_empty() {
        let chart = charts::heatmap(
            Meta::new(
                "reverse-stress",
                "Reverse stress: probability of a shortfall (failure to pay)",
                "market severity (stress multiplier scale)",
                "redemption severity (scale)",
                read,
            ),
            ms.iter().map(|v| num(Some(*v), 2)).collect(),
            red.iter().map(|v| num(Some(*v), 2)).collect(),
            cells,
            whole,
            "failure %".into(),
            highlights,
            if overlay.is_empty() {
                None
            } else {
                Some(("failure frontier".to_string(), overlay))
            },
        )?;
        body.push_str(&html::figure(&chart));
    }
    body.push_str(&html::p(&format!(
        "{} scenarios per grid point; failure means a shortfall or a suspension within the horizon (a gate is a policy the fund chooses, not a failure to pay, and is mapped apart in reverse_stress_map.csv).",
        count(rs.f("scenarios_per_point")?)
    )));
    if let Some(g) = rs.opt("gate_least_severe")? {
        body.push_str(&html::p(&format!(
            "Gate map: the least severe combination gating at the level is market severity {} with redemption severity {} ({} of its scenarios gated).",
            num(g.f("market_severity")?, 2),
            num(g.f("redemption_severity")?, 2),
            pct(g.f("failure_probability")?)
        )));
    }
    Ok(body)
}

/// The failure probabilities in percent, one row per redemption severity and one value per
/// market severity, as the schema requires.
fn failure_cells(grid: &Node, markets: usize, redemptions: usize) -> R<Vec<Vec<Option<f64>>>> {
    let mut cells = Vec::new();
    for row in grid.items()? {
        let values = row.items()?;
        if values.len() != markets {
            return Err(row.error(format!(
                "expected {} values (one per market severity), found {}",
                markets,
                values.len()
            )));
        }
        cells.push(
            values
                .iter()
                .map(|v| Ok(v.num()?.map(|x| x * 100.0)))
                .collect::<R<Vec<_>>>()?,
        );
    }
    if cells.len() != redemptions {
        return Err(grid.error(format!(
            "expected {} rows (one per redemption severity), found {}",
            redemptions,
            cells.len()
        )));
    }
    Ok(cells)
}

/// The investor communication playbook.
fn playbook(pb: &Node) -> R<String> {
    let mut rows = Vec::new();
    for s in pb.items()? {
        let mut triggers = Vec::new();
        for tr in s.list("triggers")? {
            triggers.push(format!(
                "{} at {}",
                words(tr.s("indicator")?),
                num(tr.f("threshold")?, 3)
            ));
        }
        let mut channels = Vec::new();
        for c in s.list("channels")? {
            channels.push(c.as_str()?.to_string());
        }
        rows.push(vec![
            t(words(s.s("stage")?)),
            t(s.s("enter_when")?),
            t(if triggers.is_empty() {
                "—".to_string()
            } else {
                triggers.join("; ")
            }),
            t(s.s("audience")?),
            t(channels.join(", ")),
            t(s.s("message")?),
            t(s.s("cadence")?),
        ]);
    }
    let mut body = html::h3("Investor communication playbook");
    body.push_str(&html::table(
        "What to tell whom, when, and how often",
        &[
            "stage",
            "enter when",
            "triggers",
            "audience",
            "channels",
            "message",
            "cadence",
        ],
        rows,
        &[],
    ));
    Ok(body)
}
