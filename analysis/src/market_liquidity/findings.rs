//! Stage 1's findings: the SEC 22e-4 buckets, days to liquidate and cost, the inverse queries
//! and the impact models, as sentences with their numbers.

use std::collections::BTreeMap;

use super::{Bucket, MarketLiquidityReport};
use crate::findings::{finding, p1, Finding};
use crate::graph::StageId;
use undertow_host::fund::Fund;

/// Stage 1's findings.
pub fn findings(fund: &Fund, m: &MarketLiquidityReport) -> Vec<Finding> {
    let mut out = Vec::new();
    sec_buckets(m, &mut out);
    liquidity_ladder(fund, m, &mut out);
    slowest_and_dearest(fund, m, &mut out);
    low_scores(m, &mut out);
    impact_models(fund, m, &mut out);
    out
}

/// The SEC 22e-4 buckets under normal and stressed conditions, against the HLIM and the 15%
/// illiquid limit.
fn sec_buckets(m: &MarketLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::MarketLiquidity;
    let normal = m.totals("normal");
    let stressed = m.bucket_totals.last().filter(|t| t.condition != "normal");
    if let Some(n) = normal {
        let hl = n.shares[Bucket::HighlyLiquid as usize];
        let il = n.shares[Bucket::Illiquid as usize];
        let mut text = format!(
            "Under normal markets {} of NAV is highly liquid (SEC 22e-4, cash included) and {} illiquid",
            p1(hl),
            p1(il)
        );
        let mut values = vec![
            ("highly_liquid_normal", hl),
            ("illiquid_normal", il),
            ("hlim", n.hlim),
            ("illiquid_limit", n.illiquid_limit),
        ];
        if let Some(st) = stressed {
            let (hs, is) = (
                st.shares[Bucket::HighlyLiquid as usize],
                st.shares[Bucket::Illiquid as usize],
            );
            text += &format!(
                "; under {} conditions {} and {}",
                st.condition.replace('_', " "),
                p1(hs),
                p1(is)
            );
            values.push(("highly_liquid_stressed", hs));
            values.push(("illiquid_stressed", is));
        }
        let worst = stressed.unwrap_or(n);
        text += &format!(
            ". The {} highly liquid investment minimum is {}{}; the {} illiquid limit is {}{}.",
            p1(n.hlim),
            if n.hlim_met { "met" } else { "NOT met" },
            if stressed.is_some() && worst.hlim_met != n.hlim_met {
                " in normal markets only"
            } else {
                ""
            },
            p1(n.illiquid_limit),
            if n.illiquid_breach {
                "BREACHED"
            } else {
                "respected"
            },
            if stressed.is_some() && worst.illiquid_breach != n.illiquid_breach {
                " in normal markets, breached under stress"
            } else {
                ""
            },
        );
        out.push(finding(s, "sec_buckets", text, &values));
    }
}

/// What the portfolio raises within about a week, normal and stressed.
fn liquidity_ladder(fund: &Fund, m: &MarketLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::MarketLiquidity;
    let rate = rate_near_cap(fund, m);
    let k = m
        .horizons
        .iter()
        .enumerate()
        .min_by_key(|(_, &h)| (h as i64 - 5).abs())
        .map(|(k, _)| k);
    if let (Some(k), Some(normal_row)) = (k, m.portfolio_row("normal", rate)) {
        let h = m.horizons[k];
        let stressed_name = m
            .conditions
            .last()
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let mut text = format!(
            "Selling at {} of daily volume, {} of NAV (cash included) can be raised within {} days in normal markets at {:.0} bps",
            p1(rate),
            p1(normal_row.sold_share[k]),
            h,
            normal_row.horizon_cost_bps[k]
        );
        let mut values = vec![
            ("participation", rate),
            ("horizon_days", h as f64),
            ("raised_normal", normal_row.sold_share[k]),
            ("cost_bps_normal", normal_row.horizon_cost_bps[k]),
        ];
        if let Some(st) = m
            .portfolio_row(&stressed_name, rate)
            .filter(|_| stressed_name != "normal")
        {
            text += &format!(
                ", and {} at {:.0} bps under {} conditions",
                p1(st.sold_share[k]),
                st.horizon_cost_bps[k],
                stressed_name.replace('_', " ")
            );
            values.push(("raised_stressed", st.sold_share[k]));
            values.push(("cost_bps_stressed", st.horizon_cost_bps[k]));
        }
        text.push('.');
        out.push(finding(s, "liquidity_ladder", text, &values));
    }
}

/// The slowest position to sell and the dearest under stress.
fn slowest_and_dearest(fund: &Fund, m: &MarketLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::MarketLiquidity;
    let rate = rate_near_cap(fund, m);
    let slowest = m
        .profile
        .iter()
        .filter(|r| {
            r.condition == "normal"
                && (r.participation - rate).abs() < 1e-12
                && r.position != super::PORTFOLIO
        })
        .max_by(|a, b| a.days_to_liquidate.total_cmp(&b.days_to_liquidate));
    let stressed_name = m
        .conditions
        .last()
        .map(|c| c.name.as_str())
        .unwrap_or("normal");
    let dearest = m
        .profile
        .iter()
        .filter(|r| {
            r.condition == stressed_name
                && (r.participation - rate).abs() < 1e-12
                && r.position != super::PORTFOLIO
        })
        .max_by(|a, b| a.cost_bps.total_cmp(&b.cost_bps));
    if let (Some(a), Some(b)) = (slowest, dearest) {
        out.push(finding(
            s,
            "least_liquid",
            format!(
                "Slowest to sell: {} ({:.1} days at {} participation in normal markets). Dearest under {} conditions: {} ({:.0} bps to sell in full).",
                a.position,
                a.days_to_liquidate,
                p1(rate),
                stressed_name.replace('_', " "),
                b.position,
                b.cost_bps
            ),
            &[("slowest_days", a.days_to_liquidate), ("dearest_cost_bps", b.cost_bps)],
        ));
    }
}

/// Positions a finding names at most: a book of a thousand securities lists the first few (in
/// the fund's order) and counts the rest; the full list is in `liquidity_profile.csv`.
const LISTED_POSITIONS: usize = 12;

/// ` (a, b, c)` or ` (a, b, …, and N more)`; empty for no names.
fn named_with_more(names: &[String], most: usize) -> String {
    match names.len() {
        0 => String::new(),
        n if n <= most => format!(" ({})", names.join(", ")),
        n => format!(
            " ({}, and {} more in liquidity_profile.csv)",
            names[..most].join(", "),
            n - most
        ),
    }
}

/// Positions with low liquidity scores.
fn low_scores(m: &MarketLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::MarketLiquidity;
    let low: Vec<String> = m
        .liquidity
        .iter()
        .filter(|l| l.score < 3.0)
        .map(|l| format!("{} {:.1}", l.position, l.score))
        .collect();
    out.push(finding(
        s,
        "liquidity_score",
        format!(
            "Portfolio liquidity score {:.2} of 5; {} position(s) score below 3{}.",
            m.portfolio_score,
            low.len(),
            named_with_more(&low, LISTED_POSITIONS)
        ),
        &[
            ("portfolio_score", m.portfolio_score),
            ("positions_below_3", low.len() as f64),
        ],
    ));
}

/// The four impact models side by side.
fn impact_models(fund: &Fund, m: &MarketLiquidityReport, out: &mut Vec<Finding>) {
    let s = StageId::MarketLiquidity;
    let last = m
        .conditions
        .last()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let rows: Vec<_> = m
        .impact_models
        .iter()
        .filter(|r| r.condition == last)
        .collect();
    if !rows.is_empty() {
        let weights: BTreeMap<&str, f64> = fund
            .position_ids
            .iter()
            .zip(&fund.model.positions)
            .map(|(id, p)| (id.as_str(), p.weight as f64))
            .collect();
        let total_w: f64 = rows
            .iter()
            .map(|r| weights.get(r.position.as_str()).copied().unwrap_or(0.0))
            .sum();
        let avg = |f: &dyn Fn(&super::ImpactRow) -> f64| {
            rows.iter()
                .map(|r| f(r) * weights.get(r.position.as_str()).copied().unwrap_or(0.0))
                .sum::<f64>()
                / total_w.max(1e-12)
        };
        let (lin, sq, th, ad) = (
            avg(&|r| r.linear_bps),
            avg(&|r| r.square_root_bps),
            avg(&|r| r.threshold_bps),
            avg(&|r| r.adaptive_bps),
        );
        out.push(finding(
            s,
            "impact_models",
            format!(
                "Selling every position in full at {} participation under {} conditions costs {:.0} bps on average with linear impact, {:.0} bps square root, {:.0} bps threshold and {:.0} bps adaptive (the fund uses {}).",
                p1(fund.model.params.participation_cap as f64),
                last.replace('_', " "),
                lin,
                sq,
                th,
                ad,
                undertow_host::fund::spec::ImpactModel::name_of_code(fund.model.params.impact_model)
            ),
            &[("linear_bps", lin), ("square_root_bps", sq), ("threshold_bps", th), ("adaptive_bps", ad)],
        ));
    }
}

/// The profiled participation rate nearest the fund's participation cap: the rate the ladder
/// and the position findings quote.
fn rate_near_cap(fund: &Fund, m: &MarketLiquidityReport) -> f64 {
    let cap = fund.model.params.participation_cap as f64;
    let rate = m
        .participation_rates
        .iter()
        .copied()
        .min_by(|a, b| (a - cap).abs().total_cmp(&(b - cap).abs()))
        .unwrap_or(cap);
    rate
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A short list is named in full; a long one names the first `most` and counts the rest.
    #[test]
    fn long_lists_of_positions_are_cut_and_counted() {
        let names: Vec<String> = (0..30).map(|i| format!("P{i} 2.0")).collect();
        assert_eq!(named_with_more(&[], 12), "");
        assert_eq!(named_with_more(&names[..2], 12), " (P0 2.0, P1 2.0)");
        assert_eq!(named_with_more(&names[..12], 12).matches(", ").count(), 11);
        let cut = named_with_more(&names, 12);
        assert!(
            cut.contains("P11 2.0, and 18 more in liquidity_profile.csv)"),
            "{cut}"
        );
        assert!(!cut.contains("P12 "), "{cut}");
    }
}
