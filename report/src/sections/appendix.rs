//! Appendix, section 8 of the page: method and assumptions, for audit and reproduction.

use super::{
    on_off, stage, Ctx, Stage, INVESTOR_BEHAVIOUR, MARKET_LIQUIDITY, PORTFOLIO_LIQUIDITY, R,
};
use crate::fmt::{bps, count, money, num, pct, words, NA};
use crate::html::{self, n, t, Cell, Section};
use crate::json::Node;

/// A value of the summary as text: whole numbers without decimals, others to 6 decimals.
fn value_text(node: &Node) -> String {
    match node.value() {
        serde_json::Value::Null => NA.to_string(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(x) => match x.as_f64() {
            Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
            Some(v) => format!("{}", (v * 1e6).round() / 1e6),
            None => NA.to_string(),
        },
        serde_json::Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// The appendix section.
pub(super) fn appendix(root: &Node, ctx: &Ctx) -> R<Section> {
    let mut body = html::p(
        "Everything needed to audit and reproduce this report. The simulation and every analysis stage are deterministic: a scenario's result depends only on the seed and its index, and every stage reruns the same scenario records (common random numbers).",
    );
    let run = root.get("run")?;
    body.push_str(&fund_and_run_table(root, &run, ctx)?);
    body.push_str(&switches_table(&run)?);
    if let Some(stages) = root.opt("stages")? {
        body.push_str(&stages_table(&stages)?);
    }
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    rows.extend(market_liquidity_settings(root)?);
    rows.extend(portfolio_liquidity_settings(root)?);
    rows.extend(investor_behaviour_settings(root)?);
    if !rows.is_empty() {
        body.push_str(&html::table(
            "Stage settings",
            &["setting", "value"],
            rows,
            &[],
        ));
    }
    body.push_str(&definitions());
    Ok(Section {
        id: "appendix",
        title: "Appendix: method and assumptions",
        body,
    })
}

/// Tool, schema, and every field of `fund` and `run` (but the switches).
fn fund_and_run_table(root: &Node, run: &Node, ctx: &Ctx) -> R<String> {
    let fund = root.get("fund")?;
    let mut rows = vec![
        vec![
            t("tool and version"),
            t(format!(
                "{} {}",
                root.s_opt("tool")?.unwrap_or(NA),
                root.s_opt("version")?.unwrap_or(NA)
            )),
        ],
        vec![
            t("summary schema version"),
            t(value_text(&root.get("schema_version")?)),
        ],
    ];
    for (key, value) in fund.entries()? {
        let v = match key {
            "aum" => money(value.num()?, &ctx.currency),
            "initial_cash" => pct(value.num()?),
            _ => value_text(&value),
        };
        rows.push(vec![t(format!("fund: {}", words(key))), t(v)]);
    }
    for (key, value) in run.entries()? {
        if key == "switches" {
            continue;
        }
        let v = match key {
            "seconds" => format!("{} s", num(value.num()?, 2)),
            "throughput" => format!("{} scenario-day-positions per second", count(value.num()?)),
            _ => value_text(&value),
        };
        rows.push(vec![t(format!("run: {}", words(key))), t(v)]);
    }
    Ok(html::table("Fund and run", &["item", "value"], rows, &[]))
}

/// The model switches in force, or a note that the summary does not record them.
fn switches_table(run: &Node) -> R<String> {
    let Some(sw) = run.opt("switches")? else {
        return Ok(html::note(
            "The model switches are not recorded in this summary (run.switches).",
        ));
    };
    let mut rows = Vec::new();
    for (key, value) in sw.entries()? {
        let on = value
            .value()
            .as_bool()
            .ok_or_else(|| value.error("expected a boolean"))?;
        rows.push(vec![t(key), t(on_off(on))]);
    }
    Ok(html::table(
        "Model switches in force (the fund file's [model] section)",
        &["mechanism", "state"],
        rows,
        &[],
    ))
}

/// The analysis stages: status, wave, dependencies, scenarios and time.
fn stages_table(stages: &Node) -> R<String> {
    let mut rows = Vec::new();
    for s in stages.items()? {
        let deps: Vec<String> = s
            .list("depends_on")?
            .iter()
            .map(|d| d.as_str().map(words))
            .collect::<R<_>>()?;
        rows.push(vec![
            t(s.s_opt("title")?
                .map(str::to_string)
                .unwrap_or_else(|| words(s.s("stage").unwrap_or(NA)))),
            t(words(s.s("status")?)),
            n(num(s.f_opt("wave")?, 0)),
            t(if deps.is_empty() {
                "—".to_string()
            } else {
                deps.join(", ")
            }),
            n(count(s.f_opt("scenarios_used")?)),
            n(format!("{} s", num(s.f_opt("seconds")?, 2))),
        ]);
    }
    Ok(html::table(
        "Analysis stages: status, scheduling wave, dependencies, scenarios rerun and time",
        &["stage", "status", "wave", "depends on", "scenarios", "time"],
        rows,
        &[],
    ))
}

/// Setting rows: the stressed conditions and the SEC 22e-4 bucket settings.
fn market_liquidity_settings(root: &Node) -> R<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    let Stage::Ran(ml) = stage(root, &MARKET_LIQUIDITY)? else {
        return Ok(rows);
    };
    let mut qs = Vec::new();
    for c in ml.list("conditions")? {
        if let Some(q) = c.f("quantile")? {
            qs.push(pct(Some(q)));
        }
    }
    rows.push(vec![
        t("stressed market conditions"),
        t(format!(
            "per-class multipliers at the {} quantiles of {} scenario records, at full stress",
            if qs.is_empty() {
                NA.to_string()
            } else {
                qs.join(" and ")
            },
            count(ml.f_opt("scenarios_used")?)
        )),
    ]);
    if let Some(bs) = ml.opt("bucket_settings")? {
        rows.push(vec![
            t("SEC 22e-4 buckets"),
            t(format!(
                "trade size {} of each position, significant impact {}, HLIM {}",
                pct(bs.f_opt("trade_size")?),
                bps(bs.f_opt("significant_impact_bps")?),
                pct(bs.f_opt("hlim")?)
            )),
        ]);
    }
    Ok(rows)
}

/// Setting rows: the buffer search, yields, ranking weights and construction limits.
fn portfolio_liquidity_settings(root: &Node) -> R<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    let Stage::Ran(pl) = stage(root, &PORTFOLIO_LIQUIDITY)? else {
        return Ok(rows);
    };
    let b = pl.get("buffer")?;
    let y = b.opt("yields")?;
    let w = b.opt("weights")?;
    rows.push(vec![
        t("buffer search"),
        t(format!(
            "{} scenarios per composition over {} days, target coverage {}, gates {} during the search",
            count(b.f_opt("scenarios")?),
            num(b.f_opt("horizon_days")?, 0),
            pct(b.f_opt("target_coverage")?),
            on_off(b.b_opt("with_gates")?.unwrap_or(false))
        )),
    ]);
    if let Some(y) = y {
        rows.push(vec![
            t("yields (opportunity cost)"),
            t(format!(
                "expected portfolio return {}, cash {}, short sovereigns {}, liquid ETFs {}",
                pct(y.f_opt("expected_return")?),
                pct(y.f_opt("cash")?),
                pct(y.f_opt("sovereign")?),
                pct(y.f_opt("etf")?)
            )),
        ]);
    }
    if let Some(w) = w {
        rows.push(vec![
            t("buffer ranking weights"),
            t(format!(
                "safety {}, opportunity cost {}, operational {}",
                num(w.f_opt("safety")?, 2),
                num(w.f_opt("opportunity_cost")?, 2),
                num(w.f_opt("operational")?, 2)
            )),
        ]);
    }
    if let Some(s) = pl
        .opt("construction")?
        .map(|c| c.opt("settings"))
        .transpose()?
        .flatten()
    {
        rows.push(vec![
            t("portfolio construction limits"),
            t(format!(
                "illiquid ≤ {}, daily liquid ≥ {}, any asset class ≤ {}, liquidity score ≥ {}, cash {}",
                pct(s.f_opt("max_illiquid")?),
                pct(s.f_opt("min_daily_liquid")?),
                pct(s.f_opt("max_asset_class")?),
                num(s.f_opt("min_liquidity_score")?, 1),
                if s.b_opt("hold_cash")?.unwrap_or(true) { "held fixed" } else { "free" }
            )),
        ]);
    }
    Ok(rows)
}

/// Setting rows: the cascade attribution's reruns.
fn investor_behaviour_settings(root: &Node) -> R<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    if let Stage::Ran(ib) = stage(root, &INVESTOR_BEHAVIOUR)? {
        if let Some(a) = ib.opt("attribution")? {
            rows.push(vec![
                t("cascade attribution"),
                t(format!(
                    "{} scenarios rerun with each feedback channel off and with all off",
                    count(a.f_opt("scenarios")?)
                )),
            ]);
        }
    }
    Ok(rows)
}

/// Definitions of the terms and units, and where the full detail is.
fn definitions() -> String {
    let mut body = html::h3("Definitions");
    body.push_str(&html::ul(&[
        "Money is a fraction of the fund's initial NAV unless shown in currency; bps of NAV are 1/10,000 of initial NAV.".to_string(),
        "Coverage: the share of scenarios in which the buffer was never exhausted, with no shortfall and no gate. Survival: no shortfall and no gate.".to_string(),
        "Liquidity at risk: quantiles of cumulative requested outflow at 1, 7, 30 and 90 days.".to_string(),
        "Scenario sets: the stress library (the fund's [scenarios] families, every scenario a stress) gives every chart, table and analysis stage unless labelled otherwise; a share of its scenarios is a frequency conditional on stress, not a probability. The unconditional mixture (the same count and seed, calm markets in the share of windows with no stress episode and the stress families by their historical frequency) gives the column and table labelled \"over a year of business days\".".to_string(),
        "Liquidation cost: spread and market impact paid on forced sales, priced by the same cost model the simulation uses.".to_string(),
        "Days are business days; day fields count from 0 in summary.json and from 1 (end of day) on the charts.".to_string(),
        "n/a marks a number that is missing or not finite in summary.json.".to_string(),
    ]));
    body.push_str(&html::p(
        "The report is rendered from summary.json alone (nothing is simulated when it is drawn): the CSV tables written beside summary.json hold the full detail behind every table here.",
    ));
    body
}
