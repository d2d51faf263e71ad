//! The stress library's fan charts (`fan_charts`): NAV per share, cash ratio and cumulative outflow
//! over the horizon, shown in the investor section.

use plotters::prelude::SeriesLabelPosition;

use super::{pct_axis, R};
use crate::charts::{self, Meta, PALETTE};
use crate::fmt::{count, num, pct};
use crate::html;
use crate::json::Node;

/// Per-day quantile bands `[q05, q25, q50, q75, q95]`; a missing value is NaN.
type Bands = Vec<[f64; 5]>;

fn bands(node: &Node) -> R<Bands> {
    node.items()?
        .iter()
        .map(|d| {
            let v = d.items()?;
            let mut out = [f64::NAN; 5];
            for (k, x) in v.iter().take(5).enumerate() {
                out[k] = x.num()?.unwrap_or(f64::NAN);
            }
            Ok(out)
        })
        .collect()
}

/// Quantile `k` of the last day, when finite.
fn last(b: &[[f64; 5]], k: usize) -> Option<f64> {
    b.last().map(|d| d[k]).filter(|v| v.is_finite())
}

/// NAV per share (initial = 1) with 3 decimals on its axis.
fn ratio_axis(v: f64) -> String {
    format!("{v:.3}")
}

/// The three fan charts under their heading, or a note when the summary has none.
pub(super) fn fan_charts(root: &Node) -> R<String> {
    let Some(fan) = root.opt("fan_charts")? else {
        return Ok(html::note(
            "Not run: summary.json has no fan_charts section.",
        ));
    };
    let n_fan = fan.f_opt("scenarios")?;
    let nav = bands(&fan.get("nav_per_share")?)?;
    let cash = bands(&fan.get("cash_ratio")?)?;
    let out = bands(&fan.get("cumulative_outflow")?)?;
    let mut body = html::h3(&format!(
        "Paths over the horizon under stress (first {} scenarios of the stress library)",
        count(n_fan)
    ));
    if !nav.is_empty() {
        body.push_str(&nav_fan(&nav)?);
    }
    if !cash.is_empty() {
        body.push_str(&cash_fan(&cash)?);
    }
    if !out.is_empty() {
        body.push_str(&outflow_fan(&out)?);
    }
    Ok(body)
}

fn nav_fan(nav: &[[f64; 5]]) -> R<String> {
    let chart = charts::fan(
        Meta::new(
            "fan-nav",
            "NAV per share: fan chart (stress library)",
            "business day",
            "NAV per share (initial = 1)",
            format!(
                "Under stress (conditional on the stress library): half the scenarios end inside the dark band and 90% inside the light one; at the horizon the median NAV per share is {} and the 5th percentile {}.",
                num(last(nav, 2), 3),
                num(last(nav, 0), 3)
            ),
        ),
        nav,
        1.0,
        ratio_axis,
        PALETTE[0],
        SeriesLabelPosition::LowerLeft,
    )?;
    Ok(html::figure(&chart))
}

fn cash_fan(cash: &[[f64; 5]]) -> R<String> {
    let min_q05 = cash
        .iter()
        .map(|d| d[0])
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let chart = charts::fan(
        Meta::new(
            "fan-cash",
            "Cash ratio: fan chart (stress library)",
            "business day",
            "cash (% of NAV)",
            format!(
                "Under stress (conditional on the stress library) the buffer drains as redemptions are paid: the 5th percentile of cash reaches {} of NAV at its lowest; the median ends at {}.",
                pct(Some(min_q05).filter(|v| v.is_finite())),
                pct(last(cash, 2))
            ),
        ),
        cash,
        100.0,
        pct_axis,
        PALETTE[2],
        SeriesLabelPosition::UpperRight,
    )?;
    Ok(html::figure(&chart))
}

fn outflow_fan(out: &[[f64; 5]]) -> R<String> {
    let chart = charts::fan(
        Meta::new(
            "fan-outflow",
            "Cumulative accepted outflow: fan chart (stress library)",
            "business day",
            "cumulative outflow (% of initial NAV)",
            format!(
                "Under stress (conditional on the stress library), how much has been paid out by each day: at the horizon the median is {} of initial NAV and 1 scenario in 20 exceeds {}.",
                pct(last(out, 2)),
                pct(last(out, 4))
            ),
        ),
        out,
        100.0,
        pct_axis,
        PALETTE[1],
        SeriesLabelPosition::UpperLeft,
    )?;
    Ok(html::figure(&chart))
}
