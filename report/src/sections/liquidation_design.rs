//! Liquidation strategy recommendations (`liquidation_design`), section 5 of the page: strategies
//! compared, execution approaches, the liquidation hierarchy and what is left behind.

use super::roadmap::execution_choice;
use super::{pct_axis, stage_section, whole, yes_no, LIQUIDATION_DESIGN, R};
use crate::charts::{self, Histogram, Meta, PALETTE};
use crate::fmt::{bps, count, days, num, pct, prob, words, NA};
use crate::html::{self, n, t, Section};
use crate::json::Node;

/// The strategies of the designer's results named `name` (the recommended one, say), reading
/// every strategy's name.
pub(super) fn strategies_named<'a>(ld: &Node<'a>, name: &str) -> R<Vec<Node<'a>>> {
    let mut out = Vec::new();
    for s in ld.list("strategies")? {
        if s.s("strategy")? == name {
            out.push(s);
        }
    }
    Ok(out)
}

/// The liquidation section.
pub(super) fn liquidation_design(root: &Node) -> R<Section> {
    let section = (
        "liquidation-strategy",
        "Liquidation strategy recommendations",
    );
    stage_section(root, &LIQUIDATION_DESIGN, section, |ld| {
        let rec = ld.s("recommended")?;
        let w = ld.get("objective_weights")?;
        let mut body = html::p(&format!(
            "{} liquidation strategies (ways of choosing what to sell) were run on the same {} scenarios over {} days and scored on a weighted objective (impact cost plus the mark-to-market loss from the fund's own impact {}, alpha forgone {}, portfolio balance {}). Recommended: {}.",
            ld.list("strategies")?.len(),
            count(ld.f("scenarios")?),
            num(ld.f("horizon_days")?, 0),
            num(w.f_opt("impact")?, 2),
            num(w.f_opt("alpha")?, 2),
            num(w.f_opt("balance")?, 2),
            words(rec)
        ));
        body.push_str(&strategies(ld, rec)?);
        let execution = ld.list("execution")?;
        if !execution.is_empty() {
            let choice = match ld.opt("execution_choice")? {
                Some(c) => Some(c.items()?),
                None => None,
            };
            body.push_str(&execution_approaches(&execution, choice)?);
        }
        body.push_str(&hierarchy_table(ld)?);
        body.push_str(&residual_table(ld, rec)?);
        Ok(body)
    })
}

/// What the strategies' rows give the cost chart besides the table.
struct Costs {
    edges: Vec<f64>,
    hists: Vec<Histogram>,
    /// The recommended strategy's costs in words (empty when it is not among the strategies).
    rec_line: String,
    pro_rata_mean: Option<f64>,
}

/// The strategies' table (recommended highlighted) and their cost distributions.
fn strategies(ld: &Node, rec: &str) -> R<String> {
    let strategies = ld.list("strategies")?;
    let mut rows = Vec::new();
    let mut hl = Vec::new();
    let mut costs = Costs {
        edges: Vec::new(),
        hists: Vec::new(),
        rec_line: String::new(),
        pro_rata_mean: None,
    };
    for (k, s) in strategies.iter().enumerate() {
        let name = s.s("strategy")?;
        if name == "pro_rata" {
            costs.pro_rata_mean = s.f("mean_cost_bps")?;
        }
        if name == rec {
            hl.push(k);
            costs.rec_line = format!(
                "{} averages {} ({} below pro rata; {} below in significant-redemption scenarios)",
                words(name),
                bps(s.f("mean_cost_bps")?),
                pct(s.f("reduction_vs_pro_rata")?),
                pct(s.f("stressed_reduction_vs_pro_rata")?)
            );
        }
        rows.push(vec![
            t(words(name)),
            n(bps(s.f("mean_cost_bps")?)),
            n(bps(s.f("p50_cost_bps")?)),
            n(bps(s.f("p95_cost_bps")?)),
            n(bps(s.f("p99_cost_bps")?)),
            n(bps(s.f_opt("mean_mtm_loss_bps")?)),
            n(pct(s.f("reduction_vs_pro_rata")?)),
            n(bps(s.f("stressed_mean_cost_bps")?)),
            n(pct(s.f("stressed_reduction_vs_pro_rata")?)),
            n(bps(s.f("alpha_forgone_bps")?)),
            n(pct(s.f("style_drift")?)),
            n(prob(s.f("shortfall_frequency")?)),
            n(num(s.f("score")?, 3)),
            n(num(s.f("rank")?, 0)),
        ]);
        add_histogram(&mut costs, s, name, k)?;
    }
    let mut body = html::table(
        "Strategies: total liquidation cost per scenario (bps of initial NAV), mean mark-to-market loss from the fund's own impact at the horizon, reduction against pro rata, alpha forgone, style drift, score (rank 1 = best)",
        &["strategy", "mean", "median", "95th pct", "99th pct", "MTM loss", "vs pro rata", "stressed mean", "stressed vs pro rata", "alpha forgone", "style drift", "shortfall", "score", "rank"],
        rows,
        &hl,
    );
    body.push_str(&cost_chart(&strategies, costs)?);
    Ok(body)
}

/// Strategy `k`'s cost histogram as shares of scenarios; the first strategy's bin edges are the
/// chart's.
fn add_histogram(costs: &mut Costs, s: &Node, name: &str, k: usize) -> R<()> {
    let h = s.get("cost_histogram")?;
    let e: Vec<f64> = h
        .nums("edges_bps")?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    if costs.edges.is_empty() {
        costs.edges = e;
    }
    let counts: Vec<f64> = h
        .nums("counts")?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let total: f64 = counts.iter().sum();
    costs.hists.push(Histogram {
        name: words(name),
        color: PALETTE[k % PALETTE.len()],
        shares: counts
            .iter()
            .map(|c| if total > 0.0 { c / total } else { 0.0 })
            .collect(),
        mean: s.f("mean_cost_bps")?,
    });
    Ok(())
}

/// The cost distributions by strategy.
fn cost_chart(strategies: &[Node], mut costs: Costs) -> R<String> {
    // Equal bins up to the largest cost of any scenario leave the tail in long empty bins: the
    // axis stops at the first edge past every strategy's 99th percentile, and the caption says
    // how much lies beyond.
    let mut tail_note = String::new();
    let p99 = strategies
        .iter()
        .map(|s| s.f("p99_cost_bps"))
        .collect::<R<Vec<_>>>()?
        .into_iter()
        .flatten()
        .fold(f64::NEG_INFINITY, f64::max);
    let (edges, hists) = (&mut costs.edges, &mut costs.hists);
    if let Some(cut) = edges
        .iter()
        .position(|e| *e >= p99 * 1.1)
        .filter(|c| *c >= 3)
    {
        if cut + 1 < edges.len() {
            let beyond = hists
                .iter()
                .map(|h| h.shares.iter().skip(cut).sum::<f64>())
                .fold(0.0, f64::max);
            tail_note = format!(
                " The axis stops at {} (past every strategy's 99th percentile); at most {} of scenarios lie beyond.",
                bps(Some(edges[cut])),
                pct(Some(beyond))
            );
            edges.truncate(cut + 1);
            for h in hists.iter_mut() {
                h.shares.truncate(cut);
            }
        }
    }
    if edges.len() < 2 || hists.is_empty() {
        return Ok(String::new());
    }
    let rec_line = &costs.rec_line;
    let chart = charts::histograms(
        Meta::new(
            "liquidation-costs",
            "Liquidation cost distribution by strategy",
            "total liquidation cost per scenario (bps of initial NAV)",
            "share of stress scenarios (%)",
            format!(
                "Each step line is a strategy's distribution of cost across scenarios, its mean dashed; further left is cheaper. {}{}.{}",
                if rec_line.is_empty() { String::new() } else { format!("{rec_line}; ") },
                format_args!("pro rata averages {}", bps(costs.pro_rata_mean)),
                tail_note
            ),
        ),
        costs.edges,
        costs.hists,
        100.0,
        pct_axis,
    )?;
    Ok(html::figure(&chart))
}

/// Execution approaches: cost against days to complete per approach and condition, and the table.
fn execution_approaches(execution: &[Node], choice: Option<Vec<Node>>) -> R<String> {
    let mut approaches: Vec<String> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    let mut pts = Vec::new();
    let mut rows = Vec::new();
    for e in execution {
        let a = e.s("approach")?.to_string();
        let c = e.s("condition")?.to_string();
        if !approaches.contains(&a) {
            approaches.push(a.clone());
        }
        if !conditions.contains(&c) {
            conditions.push(c.clone());
        }
        let feasible = e.b("feasible")?;
        pts.push(charts::ScatterPoint {
            x: e.f("days")?.unwrap_or(f64::NAN),
            y: e.f("cost_bps")?.unwrap_or(f64::NAN),
            err: e.f("cost_sd_bps")?,
            color_group: approaches.iter().position(|x| *x == a).unwrap_or(0),
            shape_group: conditions.iter().position(|x| *x == c).unwrap_or(0),
            filled: feasible,
        });
        rows.push(vec![
            t(words(&a)),
            t(words(&c)),
            n(pct(e.f("amount")?)),
            n(days(e.f("days")?)),
            n(bps(e.f("cost_bps")?)),
            n(bps(e.f("cost_sd_bps")?)),
            t(yes_no(feasible)),
        ]);
    }
    // The analysis' choice per condition (absent from older summaries).
    let best_by_cond = match choice {
        None => format!("{NA} (not in this summary: an older run)"),
        Some(list) if list.is_empty() => NA.to_string(),
        Some(list) => execution_choice(&list)?,
    };
    let chart = charts::scatter(
        Meta::new(
            "execution-approaches",
            "Execution approaches compared: cost vs time to complete",
            "days to complete",
            "execution cost (bps of amount sold, ±1 sd)",
            format!(
                "Lower and further left is better; hollow markers are not feasible in that condition. Cheapest feasible per condition: {}.",
                best_by_cond
            ),
        ),
        pts,
        approaches.iter().map(|a| words(a)).collect(),
        conditions.iter().map(|c| words(c)).collect(),
        whole,
    )?;
    let mut body = html::h3("Execution");
    body.push_str(&html::figure(&chart));
    body.push_str(&html::table(
        "Execution approaches by market condition (amount as share of NAV)",
        &[
            "approach",
            "condition",
            "amount",
            "days",
            "cost",
            "cost sd",
            "feasible",
        ],
        rows,
        &[],
    ));
    Ok(body)
}

/// The order of sale, when the designer gave one.
fn hierarchy_table(ld: &Node) -> R<String> {
    let hierarchy = ld.list("hierarchy")?;
    if hierarchy.is_empty() {
        return Ok(String::new());
    }
    let mut rows = Vec::new();
    for h in &hierarchy {
        rows.push(vec![
            n(num(h.f("rank")?, 0)),
            t(format!(
                "{} · {}",
                num(h.f("layer")?, 0),
                h.s("layer_name")?
            )),
            t(h.s("position")?),
            t(words(h.s("class")?)),
            n(pct(h.f("weight")?)),
            n(bps(h.f("stressed_cost_bps")?)),
            n(format!("T+{}", num(h.f("settlement_days")?, 0))),
            n(days(h.f("days_to_liquidate_stressed")?)),
            n(pct(h.f("cumulative_weight")?)),
        ]);
    }
    let mut body = html::h3("Liquidation hierarchy");
    body.push_str(&html::table(
        "Order of sale: layer, stressed cost per unit sold, settlement and days to liquidate under stress",
        &["rank", "layer", "position", "class", "weight", "stressed cost", "settlement", "days (stressed)", "cumulative"],
        rows,
        &[],
    ));
    Ok(body)
}

/// What each strategy leaves behind, the recommended one highlighted.
fn residual_table(ld: &Node, rec: &str) -> R<String> {
    let residual = ld.list("residual")?;
    if residual.is_empty() {
        return Ok(String::new());
    }
    let mut rows = Vec::new();
    let mut hl = Vec::new();
    for (k, r) in residual.iter().enumerate() {
        if r.s("strategy")? == rec {
            hl.push(k);
        }
        rows.push(vec![
            t(words(r.s("strategy")?)),
            n(pct(r.f("illiquid_share_mean")?)),
            n(pct(r.f("illiquid_share_p95")?)),
            n(prob(r.f("breach_frequency")?)),
            n(pct(r.f("style_drift_mean")?)),
        ]);
    }
    Ok(html::table(
        "What is left behind: illiquid share of the remaining portfolio at the horizon, breaches of the illiquid limit, style drift",
        &["strategy", "illiquid share, mean", "illiquid share, 95th pct", "limit breached", "style drift"],
        rows,
        &hl,
    ))
}
