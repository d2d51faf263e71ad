//! Market liquidity analysis (`market_liquidity`), section 2 of the page: SEC Rule 22e-4 buckets,
//! the liquidity ladder and the position table.

use std::collections::HashMap;

use plotters::prelude::SeriesLabelPosition;

use super::{pct_axis, stage_section, whole, MARKET_LIQUIDITY, R};
use crate::charts::{self, Axis, Line, Meta, Stroke, PALETTE};
use crate::fmt::{bps, days, num, pct, words, NA};
use crate::html::{self, n, t, Section};
use crate::json::Node;

/// A market condition's label: `stressed_q95` → `stressed (q95)`.
pub(super) fn condition_label(name: &str) -> String {
    match name.strip_prefix("stressed_") {
        Some(q) => format!("stressed ({q})"),
        None => words(name),
    }
}

/// The market liquidity section.
pub(super) fn market_liquidity(root: &Node) -> R<Section> {
    let section = ("market-liquidity", "Market liquidity analysis");
    stage_section(root, &MARKET_LIQUIDITY, section, |ml| {
        let mut body = html::p(&format!(
            "How fast and at what cost the portfolio can be sold, position by position, in normal markets and under stressed conditions taken from the scenario set. Portfolio liquidity score: {} of 5.",
            num(ml.f("portfolio_score")?, 2)
        ));
        body.push_str(&buckets(ml)?);
        let horizons: Vec<f64> = ml.nums("horizons")?.into_iter().flatten().collect();
        let profile = ml.list("profile")?;
        let mut portfolio: Vec<&Node> = Vec::new();
        for r in &profile {
            if r.s("position")? == "PORTFOLIO" {
                portfolio.push(r);
            }
        }
        let rate = ladder_rate(&portfolio)?;
        if let (Some(rate), false) = (rate, horizons.is_empty()) {
            body.push_str(&ladder(root, &horizons, &portfolio, rate)?);
        }
        body.push_str(&positions_table(ml, &profile, rate)?);
        Ok(body)
    })
}

/// SEC Rule 22e-4 buckets by market condition: the stacked-bar chart and its table.
fn buckets(ml: &Node) -> R<String> {
    let totals = ml.list("bucket_totals")?;
    let mut cats = Vec::new();
    let mut shares: [Vec<f64>; 4] = Default::default();
    let mut rows = Vec::new();
    let mut illiquid_limit = None;
    for b in &totals {
        let cond = b.s("condition")?;
        let s = b.nums("shares")?;
        cats.push(condition_label(cond));
        for (k, v) in shares.iter_mut().enumerate() {
            v.push(s.get(k).copied().flatten().unwrap_or(f64::NAN));
        }
        illiquid_limit = b.f("illiquid_limit")?;
        rows.push(vec![
            t(condition_label(cond)),
            n(pct(s.first().copied().flatten())),
            n(pct(s.get(1).copied().flatten())),
            n(pct(s.get(2).copied().flatten())),
            n(pct(s.get(3).copied().flatten())),
            t(if b.b("hlim_met")? { "met" } else { "NOT met" }),
            t(if b.b("illiquid_breach")? {
                "breached"
            } else {
                "respected"
            }),
        ]);
    }
    if cats.is_empty() {
        return Ok(String::new());
    }
    let first = shares[0].first().copied();
    let last = shares[0].last().copied();
    let ill_last = shares[3].last().copied();
    let chart = charts::stacked_bars(
        Meta::new(
            "sec-buckets",
            "SEC Rule 22e-4 liquidity buckets by market condition",
            "market condition",
            "share of NAV (%)",
            format!(
                "The highly liquid share (bottom) falls from {} in normal markets to {} in the most stressed condition, while the illiquid share (top) reaches {} against the {} limit.",
                pct(first),
                pct(last),
                pct(ill_last),
                pct(illiquid_limit)
            ),
        ),
        cats,
        vec![
            ("highly liquid".into(), PALETTE[2], shares[0].clone()),
            ("moderately liquid".into(), PALETTE[0], shares[1].clone()),
            ("less liquid".into(), PALETTE[1], shares[2].clone()),
            ("illiquid".into(), PALETTE[3], shares[3].clone()),
        ],
        100.0,
        pct_axis,
    )?;
    let mut body = html::h3("Liquidity buckets (SEC Rule 22e-4)");
    body.push_str(&html::figure(&chart));
    body.push_str(&html::table(
        "Share of NAV per bucket (cash counts as highly liquid)",
        &[
            "condition",
            "highly liquid",
            "moderately liquid",
            "less liquid",
            "illiquid",
            "HLIM",
            "illiquid limit",
        ],
        rows,
        &[],
    ));
    Ok(body)
}

/// The participation rate the ladder and the position table are drawn at: of the rates in the
/// `PORTFOLIO` profile rows, the one nearest 20% of daily volume.
fn ladder_rate(portfolio: &[&Node]) -> R<Option<f64>> {
    let mut rates: Vec<f64> = Vec::new();
    for r in portfolio {
        if let Some(p) = r.f("participation")? {
            if !rates.iter().any(|x| (x - p).abs() < 1e-9) {
                rates.push(p);
            }
        }
    }
    Ok(rates
        .iter()
        .copied()
        .min_by(|a, b| (a - 0.2).abs().total_cmp(&(b - 0.2).abs())))
}

/// The liquidity ladder: share of NAV sold within each horizon at `rate`, one line per market
/// condition, against the 99% liquidity at risk.
fn ladder(root: &Node, horizons: &[f64], portfolio: &[&Node], rate: f64) -> R<String> {
    let mut series = Vec::new();
    let mut at5 = Vec::new();
    let mut k = 0;
    for r in portfolio {
        if r.f("participation")?
            .is_some_and(|p| (p - rate).abs() < 1e-9)
        {
            let sold = r.nums("sold_share")?;
            let cond = r.s("condition")?;
            let pts: Vec<(f64, f64)> = horizons
                .iter()
                .zip(&sold)
                .filter_map(|(h, s)| s.map(|s| (h.ln(), s * 100.0)))
                .collect();
            if let Some(i) = horizons.iter().position(|h| *h == 5.0) {
                at5.push(format!(
                    "{} {}",
                    condition_label(cond),
                    pct(sold.get(i).copied().flatten())
                ));
            }
            series.push(Line {
                name: format!("sellable, {}", condition_label(cond)),
                color: PALETTE[[2, 1, 3, 4, 5][k.min(4)]],
                points: pts,
                stroke: Stroke::Solid,
                markers: true,
            });
            k += 1;
        }
    }
    series.extend(needed_line(root, horizons)?);
    let hmax = horizons.iter().copied().fold(1.0, f64::max);
    let chart = charts::lines(
        Meta::new(
            "liquidity-ladder",
            format!("Liquidity ladder at {} of daily volume, normal vs stressed", pct(Some(rate))),
            "horizon (business days, log scale)",
            "share of NAV that can be raised (%)",
            format!(
                "Each line is the share of NAV (cash included) that can be sold within a horizon; within 5 days: {}. Where a line falls below the dashed 99% liquidity-at-risk line, redemptions can outrun sales.",
                if at5.is_empty() { NA.to_string() } else { at5.join(", ") }
            ),
        ),
        Axis::log(0.8, hmax * 1.25, horizons, whole),
        Axis::numeric(0.0, 100.0, 10, pct_axis),
        series,
        SeriesLabelPosition::MiddleRight,
    )?;
    let mut body = html::h3("Liquidity ladder");
    body.push_str(&html::figure(&chart));
    Ok(body)
}

/// Demand on the ladder: the 99% liquidity at risk (requested outflow) at the ladder's horizons.
fn needed_line(root: &Node, horizons: &[f64]) -> R<Option<Line>> {
    let Some(agg) = root.opt("aggregate")? else {
        return Ok(None);
    };
    let Some(rows) = agg.opt("liquidity_at_risk")? else {
        return Ok(None);
    };
    let mut pts = Vec::new();
    for row in rows.items()? {
        let h = row.f("horizon_days")?;
        let q99 = row.nums("lar")?.get(2).copied().flatten();
        if let (Some(h), Some(q)) = (h, q99) {
            if h <= horizons.iter().copied().fold(0.0, f64::max) {
                pts.push((h.ln(), q * 100.0));
            }
        }
    }
    Ok((!pts.is_empty()).then(|| Line {
        name: "needed: 99% liquidity at risk (stress library)".into(),
        color: PALETTE[7],
        points: pts,
        stroke: Stroke::Dashed,
        markers: true,
    }))
}

/// Position table: score, days to liquidate and cost at the ladder's rate, normal and most
/// stressed condition.
fn positions_table(ml: &Node, profile: &[Node], rate: Option<f64>) -> R<String> {
    let conditions = ml.list("conditions")?;
    let worst = conditions.last().map(|c| c.s("name")).transpose()?;
    let liquidity = ml.list("liquidity")?;
    // Each position's (days, cost) at `rate` in normal markets and under the worst condition, in
    // one pass over the profile (a fund of 1,008 positions has 12,096 profile rows: looking them
    // up position by position took 4.7 s). Of several matching rows the last one counts.
    type Sale = (Option<f64>, Option<f64>);
    let mut sales: HashMap<&str, (Sale, Sale)> = HashMap::with_capacity(liquidity.len());
    for l in &liquidity {
        sales.insert(l.s("position")?, ((None, None), (None, None)));
    }
    if !sales.is_empty() {
        for r in profile {
            let Some(entry) = sales.get_mut(r.s("position")?) else {
                continue;
            };
            if !r.f("participation")?.is_some_and(|p| Some(p) == rate) {
                continue;
            }
            let cond = r.s("condition")?;
            if cond == "normal" {
                entry.0 = (r.f("days_to_liquidate")?, r.f("cost_bps")?);
            } else if Some(cond) == worst {
                entry.1 = (r.f("days_to_liquidate")?, r.f("cost_bps")?);
            }
        }
    }
    let mut rows = Vec::new();
    for l in &liquidity {
        let pos = l.s("position")?;
        let (normal, stressed) = sales[pos];
        rows.push(vec![
            t(pos),
            n(pct(l.f("weight")?)),
            n(num(l.f("score")?, 1)),
            n(days(normal.0)),
            n(days(stressed.0)),
            n(bps(normal.1)),
            n(bps(stressed.1)),
        ]);
    }
    if rows.is_empty() {
        return Ok(String::new());
    }
    let w = worst.map(condition_label).unwrap_or_else(|| NA.into());
    Ok(html::table(
        &format!(
            "Positions: liquidity score (1–5) and a full sale at {} of daily volume; cost in bps of the amount sold",
            pct(rate)
        ),
        &["position", "weight", "score", "days, normal", &format!("days, {w}"), "cost, normal", &format!("cost, {w}")],
        rows,
        &[],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(pos: &str, cond: &str, rate: f64, days: f64, cost: f64) -> serde_json::Value {
        json!({ "position": pos, "condition": cond, "participation": rate,
                "days_to_liquidate": days, "cost_bps": cost })
    }

    /// The `<tr>` rows of the table's body, each as its cells' text.
    fn body_rows(html: &str) -> Vec<Vec<String>> {
        let body = html.split("<tbody>").nth(1).unwrap();
        body.split("<tr>")
            .skip(1)
            .map(|r| {
                r.split("<td")
                    .skip(1)
                    .map(|c| {
                        c.split('>')
                            .nth(1)
                            .unwrap()
                            .split('<')
                            .next()
                            .unwrap()
                            .to_string()
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn each_position_gets_its_own_rows_at_the_rate_and_the_worst_condition() {
        let ml = json!({
            "conditions": [{ "name": "normal" }, { "name": "stressed_p95" }],
            "liquidity": [
                { "position": "A", "weight": 0.6, "score": 4.0 },
                { "position": "B", "weight": 0.4, "score": 2.0 }
            ],
        });
        let profile = [
            row("B", "normal", 0.2, 7.0, 70.0),
            row("A", "normal", 0.1, 99.0, 990.0), // another rate: not read
            row("A", "normal", 0.2, 1.0, 10.0),
            row("A", "stressed_p50", 0.2, 55.0, 550.0), // not the worst condition
            row("A", "stressed_p95", 0.2, 2.0, 20.0),
            row("B", "stressed_p95", 0.2, 8.0, 80.0),
            row("PORTFOLIO", "normal", 0.2, 3.0, 30.0),
            row("B", "stressed_p95", 0.2, 9.0, 90.0), // the last matching row counts
        ];
        let profile: Vec<Node> = profile.iter().map(Node::root).collect();
        let html = positions_table(&Node::root(&ml), &profile, Some(0.2)).unwrap();
        let rows = body_rows(&html);
        assert_eq!(rows.len(), 2, "{html}");
        assert_eq!(rows[0][0], "A");
        assert_eq!(
            rows[0][3..],
            ["1.0 d", "2.0 d", "10.0 bps", "20.0 bps"],
            "{html}"
        );
        assert_eq!(rows[1][0], "B");
        assert_eq!(
            rows[1][3..],
            ["7.0 d", "9.0 d", "70.0 bps", "90.0 bps"],
            "{html}"
        );
        // A position with no row at the rate prints n/a.
        let html = positions_table(&Node::root(&ml), &profile, Some(0.3)).unwrap();
        assert!(
            body_rows(&html)
                .iter()
                .all(|r| r[3..].iter().all(|c| c == NA)),
            "{html}"
        );
    }
}
