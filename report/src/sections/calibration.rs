//! Flow calibration and the outflow backtest (`calibration` and `backtest` keys, written by
//! `undertow calibrate flows` and `undertow backtest`; docs/calibration.md): the fit table (each
//! fund-file value with its estimate, standard error and sample), the large holders' shrinkage,
//! the backtest table (exceedances of the 95% and 99% LaR with Kupiec's and Christoffersen's
//! p-values), the PIT histogram and the calibration chart. Rendered only when its key is present;
//! [`page`] makes the standalone `calibration.html` / `backtest.html`.

use plotters::prelude::SeriesLabelPosition;

use super::R;
use crate::charts::{self, Axis, BarGroup, Line, Meta, Stroke, PALETTE};
use crate::html::{self, n, t, Header, Section};
use crate::json::Node;

fn sci(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.3e}"),
        _ => "n/a".into(),
    }
}

fn fixed(v: Option<f64>, d: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.d$}"),
        _ => "n/a".into(),
    }
}

fn estimate_rows(holder: &str, list: &[Node], rows: &mut Vec<Vec<html::Cell>>) -> R<()> {
    for e in list {
        rows.push(vec![
            t(holder),
            t(e.s("field")?),
            n(sci(e.f("value")?)),
            n(sci(e.f_opt("se")?)),
            n(fixed(e.f("n")?, 0)),
            t(e.s("status")?),
            t(format!("{} {}", e.s("method")?, e.s("note")?)
                .trim()
                .to_string()),
        ]);
    }
    Ok(())
}

/// The fit's section.
pub(crate) fn calibration(root: &Node) -> R<Option<Section>> {
    let Some(c) = root.opt("calibration")? else {
        return Ok(None);
    };
    let mut body = html::p(&format!(
        "Investor flow parameters fitted to {} ({} to {}, {} days after the 30-day warm-up; market stress composite: {}; NAV per share: {}). Each row is a fund-file value: fitted with its standard error, or kept from the fund file with the reason.",
        c.s("flows_file")?,
        c.s("first_date")?,
        c.s("last_date")?,
        fixed(c.f("n_days")?, 0),
        if c.b("market")? { "from the market file" } else { "none" },
        if c.b("nav")? { "yes" } else { "no" },
    ));
    let mut rows = Vec::new();
    for s in c.list("segments")? {
        estimate_rows(s.s("name")?, &s.list("estimates")?, &mut rows)?;
    }
    body.push_str(&html::table(
        "Segments: least squares on the kernel's rate equation, Newey-West standard errors",
        &[
            "segment",
            "field",
            "value",
            "SE",
            "n",
            "status",
            "method / note",
        ],
        rows,
        &[],
    ));
    let large = c.get("large")?;
    let mut rows = Vec::new();
    for h in large.list("holders")? {
        estimate_rows(h.s("name")?, &h.list("estimates")?, &mut rows)?;
    }
    body.push_str(&html::table(
        &format!(
            "Large holders: pooled Poisson ML with empirical-Bayes shrinkage ({} events, {} on stressed days, {} holder-days; 1/alpha = {})",
            fixed(large.f("events")?, 0),
            fixed(large.f("stress_events")?, 0),
            fixed(large.f("exposure_days")?, 0),
            fixed(large.f_opt("inverse_alpha")?, 3)
        ),
        &["holder", "field", "value", "SE", "n", "status", "method / note"],
        rows,
        &[],
    ));
    let mut notes: Vec<String> = Vec::new();
    for list in [c.list("notes")?, large.list("notes")?] {
        for x in list {
            notes.push(x.as_str()?.to_string());
        }
    }
    body.push_str(&html::ul(&notes));
    Ok(Some(Section {
        id: "calibration",
        title: "Flow calibration",
        body,
    }))
}

/// The backtest's section.
pub(crate) fn backtest(root: &Node) -> R<Option<Section>> {
    let Some(b) = root.opt("backtest")? else {
        return Ok(None);
    };
    let mut body = html::p(&format!(
        "Verdict: {}. {} Monte Carlo draws per start date (seed {}); the forecast is conditional on {}. Rule: {}.",
        b.s("verdict")?,
        fixed(b.f("draws")?, 0),
        fixed(b.f("seed")?, 0),
        b.s("conditional_on")?,
        b.s("verdict_rule")?
    ));
    let horizons = b.list("horizons")?;
    let mut rows = Vec::new();
    let mut groups = Vec::new();
    let mut lines = vec![Line {
        name: "perfect calibration".into(),
        color: PALETTE[7],
        points: vec![(0.0, 0.0), (100.0, 100.0)],
        stroke: Stroke::Dashed,
        markers: false,
    }];
    for (k, h) in horizons.iter().enumerate() {
        let hd = fixed(h.f("horizon_days")?, 0);
        for l in h.list("levels")? {
            let ku = l.get("kupiec")?;
            let ch = l.get("christoffersen")?;
            rows.push(vec![
                n(hd.clone()),
                n(fixed(h.f("windows")?, 0)),
                n(format!("{}%", fixed(l.f("level")?.map(|v| v * 100.0), 0))),
                n(fixed(l.f("exceedances")?, 0)),
                n(fixed(l.f("expected")?, 1)),
                n(fixed(ku.f("lr")?, 2)),
                n(fixed(ku.f("p_value")?, 3)),
                n(fixed(ch.f("lr")?, 2)),
                n(fixed(ch.f("p_value")?, 3)),
                t(if h.b("passed")? { "pass" } else { "reject" }),
            ]);
        }
        let hist = h.nums("pit_histogram")?;
        let total: f64 = hist.iter().map(|v| v.unwrap_or(0.0)).sum::<f64>().max(1.0);
        groups.push(BarGroup {
            name: format!("{hd}-day"),
            color: PALETTE[k % PALETTE.len()],
            values: hist.iter().map(|v| v.map(|x| 100.0 * x / total)).collect(),
        });
        let mut pts = Vec::new();
        for pnt in h.list("calibration")? {
            let xy = pnt.items()?;
            if let (Some(x), Some(y)) = (
                xy.first().map(|v| v.num()).transpose()?.flatten(),
                xy.get(1).map(|v| v.num()).transpose()?.flatten(),
            ) {
                pts.push((100.0 * x, 100.0 * y));
            }
        }
        lines.push(Line {
            name: format!("{hd}-day"),
            color: PALETTE[k % PALETTE.len()],
            points: pts,
            stroke: Stroke::Solid,
            markers: true,
        });
    }
    body.push_str(&html::table(
        "Exceedances of the liquidity at risk (non-overlapping windows), Kupiec and Christoffersen likelihood ratios and p-values",
        &[
            "horizon (days)",
            "windows",
            "LaR level",
            "exceedances",
            "expected",
            "Kupiec LR",
            "Kupiec p",
            "Christoffersen LR",
            "Christoffersen p",
            "95% verdict",
        ],
        rows,
        &[],
    ));
    let bins: Vec<String> = (0..10)
        .map(|i| format!("{:.1}-{:.1}", i as f64 / 10.0, (i + 1) as f64 / 10.0))
        .collect();
    let chart = charts::hbars(
        Meta::new(
            "backtest-pit",
            "Probability integral transform of the realised outflows",
            "share of windows (%)",
            "PIT bin",
            "A calibrated forecast puts 10% of windows in each bin; mass in the top bins means outflows above the forecast, in the bottom bins below it.",
        ),
        bins,
        groups,
        vec![String::new(); 10],
        |v| format!("{v:.0}%"),
    )?;
    body.push_str(&html::h3("PIT histogram"));
    body.push_str(&html::figure(&chart));
    let chart = charts::lines(
        Meta::new(
            "backtest-calibration",
            "Calibration of the outflow forecasts",
            "forecast probability level q (%)",
            "share of windows with realised outflow at or below the q quantile (%)",
            "On the diagonal the forecast quantiles are right; below it, realised outflows exceed the forecast more often than they should.",
        ),
        Axis::numeric(0.0, 100.0, 10, |v| format!("{v:.0}%")),
        Axis::numeric(0.0, 100.0, 10, |v| format!("{v:.0}%")),
        lines,
        SeriesLabelPosition::LowerRight,
    )?;
    body.push_str(&html::h3("Calibration chart"));
    body.push_str(&html::figure(&chart));
    Ok(Some(Section {
        id: "backtest",
        title: "Outflow backtest",
        body,
    }))
}

/// The standalone page of a calibration or backtest JSON (`calibration.html`, `backtest.html`).
pub(crate) fn page(root: Node) -> R<String> {
    let mut sections = Vec::new();
    if let Some(s) = calibration(&root)? {
        sections.push(s);
    }
    if let Some(s) = backtest(&root)? {
        sections.push(s);
    }
    if sections.is_empty() {
        return Err(root.error("neither a \"calibration\" nor a \"backtest\" key"));
    }
    let fund = root.s_opt("fund")?.unwrap_or("fund").to_string();
    let header = Header {
        fund,
        subtitle: "Investor flow calibration and backtest (docs/calibration.md)".into(),
        generator: "undertow".into(),
    };
    Ok(html::page(
        &header,
        &sections,
        "Made by undertow from the fund's own flow history.",
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn estimate(field: &str, v: f64) -> serde_json::Value {
        json!({"field": field, "value": v, "estimate": v, "se": v / 10.0, "n": 100,
               "status": "fitted", "method": "OLS", "note": ""})
    }

    fn calibration() -> serde_json::Value {
        json!({"fund": "F", "calibration": {
            "flows_file": "flows.csv", "first_date": "2018-02-13", "last_date": "2023-12-29",
            "n_days": 1534, "market": true, "nav": true, "calm_threshold": 0.1,
            "segments": [{"name": "retail", "estimates": [estimate("base_rate", 0.0014)],
                          "n_days": 1534, "calm_days": 1400, "newey_west_lag": 7, "r_squared": 0.5}],
            "large": {"events": 6, "stress_events": 0, "exposure_days": 15000, "inverse_alpha": 0.0,
                      "holders": [{"name": "A", "estimates": [estimate("hazard", 0.0002)]}],
                      "notes": ["kept"]},
            "notes": ["beta_liq kept"]}})
    }

    fn backtest() -> serde_json::Value {
        let level = |lv: f64| {
            json!({"level": lv, "exceedances": 5, "expected": 5.0,
            "kupiec": {"lr": 0.0, "p_value": 1.0}, "christoffersen": {"lr": 0.1, "p_value": 0.75},
            "transitions": [90, 5, 5, 0]})
        };
        json!({"fund": "F", "backtest": {"draws": 1000, "seed": 1, "verdict": "not rejected",
            "conditional_on": "the market", "verdict_rule": "rule",
            "horizons": [{"horizon_days": 1, "windows": 100, "levels": [level(0.95), level(0.99)],
                "pit_histogram": [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
                "calibration": [[0.05, 0.05], [0.5, 0.5], [0.95, 0.95]], "passed": true}]}})
    }

    #[test]
    fn the_calibration_page_has_the_fit_tables() {
        let html = crate::render_calibration(&calibration()).unwrap();
        assert!(html.contains("Flow calibration") && html.contains("retail"));
        assert!(html.contains("1.400e-3") && html.contains("beta_liq kept"));
        assert!(!html.contains("Outflow backtest"));
    }

    #[test]
    fn the_backtest_page_has_its_table_and_both_charts() {
        let html = crate::render_calibration(&backtest()).unwrap();
        assert!(html.contains("Verdict: not rejected"));
        assert!(html.contains("id=\"backtest-pit\"") || html.contains("backtest-pit"));
        assert!(html.contains("backtest-calibration"));
        assert!(html.contains("0.750"), "Christoffersen p in the table");
    }

    #[test]
    fn a_malformed_json_is_refused_naming_the_path() {
        let mut v = backtest();
        v["backtest"]["horizons"][0]["levels"][0]["kupiec"] = json!("high");
        let e = crate::render_calibration(&v).unwrap_err();
        assert!(e.to_string().contains("kupiec"), "{e}");
        assert!(crate::render_calibration(&json!({"fund": "F"})).is_err());
    }
}
