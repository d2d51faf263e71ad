//! Liquidity buffer optimisation (`portfolio_liquidity`), section 4 of the page: liquidity needs,
//! the buffer search and the liquidity-aware portfolio changes.

use plotters::prelude::SeriesLabelPosition;

use super::{on_off, pct_axis, stage_section, whole, yes_no, Ctx, PORTFOLIO_LIQUIDITY, R};
use crate::charts::{self, Axis, Line, Mark, Meta, Stroke, PALETTE};
use crate::fmt::{bps, count, money, num, pct, pp, words, NA};
use crate::html::{self, n, t, Cell, Section};
use crate::json::Node;

/// A composition's name from its tiers: `8% cash + 5% sovereigns + 4% ETFs`.
pub(super) fn composition(r: &Node) -> R<String> {
    let mut parts = Vec::new();
    for (key, name) in [
        ("cash", "cash"),
        ("sovereign", "sovereigns"),
        ("etf", "ETFs"),
    ] {
        if let Some(w) = r.f_opt(key)? {
            if w.abs() > 1e-6 || key == "cash" {
                parts.push(format!("{}% {name}", num(Some(w * 100.0), 0)));
            }
        }
    }
    Ok(if parts.is_empty() {
        r.s_opt("label")?.unwrap_or(NA).to_string()
    } else {
        parts.join(" + ")
    })
}

/// A composition's tiers in percent, `8/5/4` (cash, sovereigns, ETFs).
fn tiers_short(r: &Node) -> R<String> {
    let mut parts = Vec::new();
    for key in ["cash", "sovereign", "etf"] {
        parts.push(num(r.f_opt(key)?.map(|w| w * 100.0), 0));
    }
    Ok(parts.join("/"))
}

/// The buffer section.
pub(super) fn portfolio_liquidity(root: &Node, ctx: &Ctx) -> R<Section> {
    let section = ("liquidity-buffer", "Liquidity buffer optimisation");
    stage_section(root, &PORTFOLIO_LIQUIDITY, section, |pl| {
        let mut body = liquidity_needs(&pl.get("needs")?, ctx)?;
        body.push_str(&buffer_search(pl)?);
        if let Some(con) = pl.opt("construction")? {
            body.push_str(&construction(&con)?);
        }
        Ok(body)
    })
}

/// Liquidity needs: the liquidity-at-risk chart against cash, and its table.
fn liquidity_needs(needs: &Node, ctx: &Ctx) -> R<String> {
    let conf: Vec<Option<f64>> = needs.nums("confidences")?;
    let mut lines: Vec<Line> = conf
        .iter()
        .enumerate()
        .map(|(k, c)| Line {
            name: format!("{} confidence", pct(*c)),
            color: PALETTE[[0, 1, 3][k.min(2)]],
            points: Vec::new(),
            stroke: Stroke::Solid,
            markers: true,
        })
        .collect();
    let mut rows = Vec::new();
    let mut hs = Vec::new();
    let mut lar30_99 = None;
    for r in needs.list("rows")? {
        let h = r.f("horizon_days")?;
        let lar = r.nums("lar")?;
        let cur = r.nums("lar_currency")?;
        if let Some(h) = h {
            hs.push(h);
            for (k, v) in lar.iter().enumerate() {
                if let (Some(v), Some(line)) = (v, lines.get_mut(k)) {
                    line.points.push((h.ln(), v * 100.0));
                }
            }
            if h == 30.0 {
                lar30_99 = lar.last().copied().flatten();
            }
        }
        let mut row = vec![n(format!("{} d", num(h, 0)))];
        for k in 0..conf.len() {
            row.push(n(format!(
                "{} ({})",
                pct(lar.get(k).copied().flatten()),
                money(cur.get(k).copied().flatten(), &ctx.currency)
            )));
        }
        rows.push(row);
    }
    let cash = needs.f("cash")?;
    let tiers = needs.f_opt("cash_and_buffer_tiers")?;
    let mut body = html::h3("Liquidity needs");
    body.push_str(&needs_chart(lines, &hs, cash, tiers, lar30_99)?);
    let mut header: Vec<String> = vec!["horizon".into()];
    header.extend(conf.iter().map(|c| format!("LaR {}", pct(*c))));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    body.push_str(&html::table(
        &format!(
            "Liquidity at risk under stress: conditional on the stress library ({} scenarios), share of NAV ({})",
            count(needs.f_opt("scenarios")?),
            ctx.currency
        ),
        &header,
        rows,
        &[],
    ));
    Ok(body)
}

/// The liquidity-at-risk lines by horizon `hs`, with cash and cash plus buffer tiers as dashed
/// levels.
fn needs_chart(
    mut lines: Vec<Line>,
    hs: &[f64],
    cash: Option<f64>,
    tiers: Option<f64>,
    lar30_99: Option<f64>,
) -> R<String> {
    let hmax = hs.iter().copied().fold(1.0, f64::max);
    let hmin = hs.iter().copied().fold(f64::INFINITY, f64::min).min(1.0);
    for (name, v, c) in [
        ("cash", cash, PALETTE[2]),
        ("cash + buffer-tier holdings", tiers, PALETTE[7]),
    ] {
        if let Some(v) = v {
            lines.push(Line {
                name: format!("{name} ({})", pct(Some(v))),
                color: c,
                points: vec![
                    ((hmin * 0.8).ln(), v * 100.0),
                    ((hmax * 1.25).ln(), v * 100.0),
                ],
                stroke: Stroke::Dashed,
                markers: false,
            });
        }
    }
    let ymax = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    let chart = charts::lines(
        Meta::new(
            "liquidity-at-risk",
            "Liquidity at risk by horizon and confidence (stress library)",
            "horizon (business days, log scale)",
            "cumulative requested outflow (% of NAV)",
            format!(
                "Under stress (conditional on the stress library), each point is a quantile of requested redemptions up to a horizon; the 30-day 99% need is {} of NAV against {} cash (dashed).",
                pct(lar30_99),
                pct(cash)
            ),
        ),
        Axis::log(hmin * 0.8, hmax * 1.25, hs, whole),
        Axis::numeric(0.0, ymax * 1.08, 8, pct_axis),
        lines,
        SeriesLabelPosition::UpperLeft,
    )?;
    Ok(html::figure(&chart))
}

/// The buffer search's results and the compositions it singles out (indices into `results`).
struct Search<'a> {
    results: Vec<Node<'a>>,
    target: Option<f64>,
    cheapest: Option<usize>,
    best: Option<usize>,
    static_i: Option<usize>,
    /// The use case's composition.
    use_case_i: Option<usize>,
    /// The analysis' recommendation, the cheapest meeting the target (absent from older
    /// summaries).
    recommended: Option<usize>,
    /// When none meets the target: the best ranked, shown as such (not as recommended).
    best_instead: Option<usize>,
}

/// The buffer search: the frontier chart, the table of selected compositions and the use case's
/// claim.
fn buffer_search(pl: &Node) -> R<String> {
    let b = pl.get("buffer")?;
    let results = b.list("results")?;
    let target = b.f("target_coverage")?;
    let cheapest = b.f_opt("cheapest_meeting_target")?.map(|v| v as usize);
    let best = b.f_opt("best_ranked")?.map(|v| v as usize);
    let claim = pl.opt("use_case_claim")?;
    let n = results.len();
    let (mut recommended, mut best_instead) = (None, None);
    if let Some(r) = b.opt("recommended")? {
        let i = r.index("index", n)?;
        let basis = r.get("basis")?;
        match basis.as_str()? {
            "cheapest_meeting_target" => recommended = Some(i),
            "best_ranked" => best_instead = Some(i),
            other => return Err(basis.error(format!("unknown basis {other:?}"))),
        }
    }
    let search = Search {
        static_i: b.index_opt("static_index", n)?,
        use_case_i: b.index_opt("use_case_index", n)?,
        results,
        target,
        cheapest,
        best,
        recommended,
        best_instead,
    };
    let mut body = frontier_chart(&b, &search)?;
    body.push_str(&compositions_table(&search)?);
    if let Some(c) = &claim {
        body.push_str(&claim_text(c)?);
    }
    Ok(body)
}

/// The frontier chart, with the static buffer, the use case's composition and the recommended
/// one (or, when none meets the target, the best ranked) marked.
fn frontier_chart(b: &Node, s: &Search) -> R<String> {
    let results = &s.results;
    let point = |r: &Node| -> R<(f64, f64)> {
        Ok((
            r.f("opportunity_cost_bps")?.unwrap_or(f64::NAN),
            r.f("coverage")?.map_or(f64::NAN, |v| v * 100.0),
        ))
    };
    let mut all = Vec::new();
    for r in results {
        all.push(point(r)?);
    }
    let mut front = Vec::new();
    for i in b.nums("frontier")?.into_iter().flatten() {
        if let Some(r) = results.get(i as usize) {
            front.push(point(r)?);
        }
    }
    let mut marks = Vec::new();
    if let Some(i) = s.static_i {
        marks.push(Mark {
            name: format!("static buffer: {}", results[i].s("label")?),
            color: PALETTE[3],
            point: all[i],
        });
    }
    if let Some(i) = s.use_case_i {
        marks.push(Mark {
            name: format!("use case {}", tiers_short(&results[i])?),
            color: PALETTE[1],
            point: all[i],
        });
    }
    if let Some(i) = s.recommended {
        marks.push(Mark {
            name: format!("recommended: {}", composition(&results[i])?),
            color: PALETTE[2],
            point: all[i],
        });
    }
    if let Some(i) = s.best_instead {
        marks.push(Mark {
            name: format!(
                "best ranked (none meets the target): {}",
                composition(&results[i])?
            ),
            color: PALETTE[2],
            point: all[i],
        });
    }
    let mut body = html::h3("Buffer compositions");
    body.push_str(&html::p(&format!(
        "{} compositions of cash, short sovereigns and liquid ETFs were each run on the first {} scenarios over {} days (gates {} during the search). Coverage: the buffer alone met redemptions; opportunity cost: the yield given up against the portfolio's expected return.",
        results.len(),
        count(b.f_opt("scenarios")?),
        num(b.f_opt("horizon_days")?, 0),
        on_off(b.b_opt("with_gates")?.unwrap_or(false))
    )));
    let shown = s
        .recommended
        .map(|r| (r, "the recommended composition"))
        .or(s
            .best_instead
            .map(|r| (r, "none meets the target; the best ranked")));
    let read = match (s.static_i, shown) {
        (Some(st), Some((r, what))) => format!(
            "Up and to the left is better. The static buffer covers {} at {} a year; {what} covers {} at {} a year; the dashed line is the {} target.",
            pct(results[st].f("coverage")?),
            bps(results[st].f("opportunity_cost_bps")?),
            pct(results[r].f("coverage")?),
            bps(results[r].f("opportunity_cost_bps")?),
            pct(s.target)
        ),
        _ => "Up and to the left is better: more coverage for less opportunity cost.".to_string(),
    };
    let chart = charts::frontier(
        Meta::new(
            "buffer-frontier",
            "Buffer frontier: opportunity cost vs coverage",
            "opportunity cost (bps of NAV a year)",
            "coverage (% of stress scenarios)",
            read,
        ),
        all,
        front,
        marks,
        s.target
            .map(|t| (format!("target {}", pct(Some(t))), t * 100.0)),
        pct_axis,
    )?;
    body.push_str(&html::figure(&chart));
    Ok(body)
}

/// The compositions other than the grid's, plus the cheapest meeting the target and the best
/// ranked; the recommended one highlighted.
fn compositions_table(s: &Search) -> R<String> {
    let results = &s.results;
    let mut keep: Vec<usize> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if r.s("label")? != "grid" {
            keep.push(i);
        }
    }
    keep.extend(
        s.cheapest
            .iter()
            .chain(s.best.iter())
            .copied()
            .filter(|i| *i < results.len()),
    );
    keep.sort_unstable();
    keep.dedup();
    let mut rows = Vec::new();
    let mut hl = Vec::new();
    for (k, i) in keep.iter().enumerate() {
        let r = &results[*i];
        let mut tags = Vec::new();
        if Some(*i) == s.cheapest {
            tags.push("cheapest meeting target");
        }
        if Some(*i) == s.best {
            tags.push("best ranked");
        }
        if Some(*i) == s.recommended {
            hl.push(k);
        }
        rows.push(vec![
            t(format!(
                "{}{}",
                r.s("label")?,
                if tags.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", tags.join(", "))
                }
            )),
            t(composition(r)?),
            n(pct(r.f("coverage")?)),
            n(pct(r.f("survival")?)),
            n(bps(r.f("opportunity_cost_bps")?)),
            n(bps(r.f("expected_cost_bps")?)),
            t(yes_no(r.b("meets_target")?)),
            t(yes_no(r.b("on_frontier")?)),
            n(num(r.f("rank")?, 0)),
        ]);
    }
    Ok(html::table(
        "Selected compositions (use case, static, cheapest meeting the target, best ranked); all are in frontier.csv",
        &["composition", "tiers", "coverage", "survival", "opportunity cost / yr", "liquidation cost", "meets target", "frontier", "rank"],
        rows,
        &hl,
    ))
}

/// Whether the use case's claim holds on this fund: its tiered buffer covers the target (by the
/// coverage's interval) at a lower carry than the cheapest cash-only buffer reaching the same
/// coverage on the same scenarios. Older summaries without the cash-only comparison fall back to
/// the static buffer.
fn claim_text(c: &Node) -> R<String> {
    let Some(verdict) = c.s_opt("verdict")? else {
        return Ok(html::p(&format!(
            "The use case's claim — {} covering at least {} of scenarios at a lower opportunity cost than the static buffer — {} on this fund: coverage {}, {} a year against {} for {}.",
            c.s("composition")?,
            pct(c.f("target_coverage")?),
            if c.b("holds")? { "holds" } else { "does not hold" },
            pct(c.f("coverage")?),
            bps(c.f("opportunity_cost_bps")?),
            bps(c.f("static_opportunity_cost_bps")?),
            c.s("static_label")?
        )));
    };
    let cash = c.get("cash_only")?;
    let verdict = match verdict {
        "holds" => "holds",
        "undecided" => "is undecided (the coverage cannot be told apart from the target)",
        _ => "does not hold",
    };
    let coverage_verdict = match c.s("coverage_verdict")? {
        "meets" => "meets the target",
        "not_distinguishable" => "is not distinguishable from the target",
        _ => "misses the target",
    };
    Ok(html::p(&format!(
        "The use case's claim — {} covering at least {} of scenarios at a lower opportunity cost than cash alone at the same coverage — {} on this fund, conditional on {}: coverage {} (95% interval {} to {}; it {coverage_verdict}) at {} a year, against {} a year for the cheapest cash-only buffer reaching the same coverage ({} cash).",
        c.s("composition")?,
        pct(c.f("target_coverage")?),
        verdict,
        c.s("conditional_on")?,
        pct(c.f("coverage")?),
        pct(c.f("coverage_low")?),
        pct(c.f("coverage_high")?),
        bps(c.f("opportunity_cost_bps")?),
        bps(cash.f("opportunity_cost_bps")?),
        pct(cash.f("cash")?),
    )))
}

/// Liquidity-aware portfolio construction: what changes, the weights and the constraints.
fn construction(con: &Node) -> R<String> {
    let mut body = html::h3("Liquidity-aware portfolio changes");
    let status = con.s("status")?;
    let feasible = con.b("feasible")?;
    let met = con.b_opt("already_met")?.unwrap_or(false);
    body.push_str(&html::p(&if !feasible {
        format!("The construction constraints cannot all hold together (solver status: {status}); the fund's weights are shown unchanged.")
    } else if met {
        format!(
            "The fund already meets every construction constraint: no change is needed (turnover {}).",
            pct(con.f_opt("turnover")?)
        )
    } else {
        format!(
            "The smallest change (least squares) that meets every constraint moves {} of NAV (turnover); binding constraints: {}.",
            pct(con.f_opt("turnover")?),
            {
                let b: Vec<String> = con
                    .list("binding")?
                    .iter()
                    .map(|x| x.as_str().map(words))
                    .collect::<R<_>>()?;
                if b.is_empty() { "none".to_string() } else { b.join(", ") }
            }
        )
    }));
    body.push_str(&weights_table(con)?);
    body.push_str(&constraints_table(con)?);
    Ok(body)
}

/// Weights before and after, largest changes first (the fund's order when nothing moves).
fn weights_table(con: &Node) -> R<String> {
    let mut keyed = Vec::new();
    for p in con.list("positions")? {
        let ch = p.f("change")?.unwrap_or(0.0).abs();
        keyed.push((ch, p));
    }
    if keyed.iter().any(|(ch, _)| *ch > 1e-4) {
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    }
    let mut rows = Vec::new();
    let mut hl = Vec::new();
    for (k, (ch, p)) in keyed.iter().enumerate() {
        if *ch > 1e-4 {
            hl.push(k);
        }
        rows.push(vec![
            t(p.s("position")?),
            t(words(p.s("class")?)),
            n(pct(p.f("before")?)),
            n(pct(p.f("after")?)),
            n(pp(p.f("change")?)),
        ]);
    }
    rows.push(vec![
        t("cash"),
        t(""),
        n(pct(con.f_opt("cash_before")?)),
        n(pct(con.f_opt("cash_after")?)),
        n(pp(
            match (con.f_opt("cash_after")?, con.f_opt("cash_before")?) {
                (Some(a), Some(b)) => Some(a - b),
                _ => None,
            },
        )),
    ]);
    Ok(html::table(
        "Weights before and after, largest changes first (share of NAV)",
        &["position", "class", "before", "after", "change"],
        rows,
        &hl,
    ))
}

/// The construction constraints, binding ones highlighted.
fn constraints_table(con: &Node) -> R<String> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut hl = Vec::new();
    for (k, c) in con.list("constraints")?.iter().enumerate() {
        let binding = c.b("binding")?;
        if binding {
            hl.push(k);
        }
        let name = c.s("name")?;
        let fmt = |v: Option<f64>| {
            if name.contains("score") {
                num(v, 2)
            } else {
                pct(v)
            }
        };
        rows.push(vec![
            t(words(name)),
            t(c.s("sense")?),
            n(fmt(c.f("limit")?)),
            n(fmt(c.f("before")?)),
            n(fmt(c.f("after")?)),
            n(fmt(c.f("slack")?)),
            n(num(c.f("shadow_price")?, 4)),
            t(if binding { "binding" } else { "" }),
        ]);
    }
    Ok(html::table(
        "Constraints: limit, value before and after, slack and shadow price",
        &[
            "constraint",
            "sense",
            "limit",
            "before",
            "after",
            "slack",
            "shadow price",
            "",
        ],
        rows,
        &hl,
    ))
}
