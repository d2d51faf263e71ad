//! Findings: each stage's conclusions as sentences carrying the numbers behind them. The numbers
//! are kept beside the sentence (`values`), so a reader or a test can check every figure the
//! sentence quotes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::buffer::BufferSearch;
use super::config::pct;
use super::graph::StageId;
use super::investors::InvestorReport;
use super::market::{Bucket, MarketLiquidityReport};
use super::PortfolioLiquidityReport;
use undertow_host::fund::Fund;

/// One conclusion.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Finding {
    pub stage: StageId,
    /// A short key ("buffer_coverage", "use_case_claim").
    pub topic: String,
    pub text: String,
    /// The numbers the sentence quotes, unrounded.
    pub values: BTreeMap<String, f64>,
}

pub(crate) fn finding(
    stage: StageId,
    topic: &str,
    text: String,
    values: &[(&str, f64)],
) -> Finding {
    Finding {
        stage,
        topic: topic.to_string(),
        text,
        values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

pub use undertow_format::text::{money, p1, p2};

/// Whether the use case's buffer claim holds on a fund: the recommended composition covers at
/// least the target at a lower opportunity cost than the static cash buffer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferClaim {
    pub composition: String,
    pub target_coverage: f64,
    pub coverage: f64,
    pub opportunity_cost_bps: f64,
    pub static_label: String,
    pub static_coverage: f64,
    pub static_opportunity_cost_bps: f64,
    pub coverage_met: bool,
    pub cheaper_than_static: bool,
    pub holds: bool,
    pub scenarios: u64,
    pub horizon_days: u32,
}

impl BufferClaim {
    /// The claim judged on a search that evaluated the static buffer (first) and `label`.
    pub fn judge(search: &BufferSearch, label: &str) -> Option<BufferClaim> {
        let r = search.by_label(label)?;
        let s = search.results.first()?;
        let coverage_met = r.coverage + 1e-12 >= search.target_coverage;
        let cheaper = r.opportunity_cost_bps < s.opportunity_cost_bps;
        Some(BufferClaim {
            composition: r.describe(),
            target_coverage: search.target_coverage,
            coverage: r.coverage,
            opportunity_cost_bps: r.opportunity_cost_bps,
            static_label: s.label.clone(),
            static_coverage: s.coverage,
            static_opportunity_cost_bps: s.opportunity_cost_bps,
            coverage_met,
            cheaper_than_static: cheaper,
            holds: coverage_met && cheaper,
            scenarios: search.scenarios,
            horizon_days: search.horizon_days,
        })
    }
}

/// Stage 1's findings.
pub fn market_findings(fund: &Fund, m: &MarketLiquidityReport) -> Vec<Finding> {
    let s = StageId::MarketLiquidity;
    let mut out = Vec::new();
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

    let cap = fund.model.params.participation_cap as f64;
    let rate = m
        .participation_rates
        .iter()
        .copied()
        .min_by(|a, b| (a - cap).abs().total_cmp(&(b - cap).abs()))
        .unwrap_or(cap);
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

    let slowest = m
        .profile
        .iter()
        .filter(|r| {
            r.condition == "normal"
                && (r.participation - rate).abs() < 1e-12
                && r.position != super::market::PORTFOLIO
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
                && r.position != super::market::PORTFOLIO
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
            if low.is_empty() {
                String::new()
            } else {
                format!(" ({})", low.join(", "))
            }
        ),
        &[
            ("portfolio_score", m.portfolio_score),
            ("positions_below_3", low.len() as f64),
        ],
    ));

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
        let avg = |f: &dyn Fn(&super::market::ImpactRow) -> f64| {
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
    out
}

/// Stage 2's findings.
pub fn investor_findings(r: &InvestorReport) -> Vec<Finding> {
    let s = StageId::InvestorBehaviour;
    let mut out = Vec::new();
    let b = &r.base;
    out.push(finding(
        s,
        "investor_base",
        format!(
            "The top-10 investors hold {} of NAV (investor HHI {:.4}); {} segments of small holders hold {}.",
            p1(b.top10_share),
            b.hhi,
            b.segments.len(),
            p1(b.segment_share)
        ),
        &[("top10_share", b.top10_share), ("hhi", b.hhi), ("segment_share", b.segment_share)],
    ));
    if let Some(row) = r.requested.iter().find(|x| x.horizon_days == 30) {
        out.push(finding(
            s,
            "redemptions",
            format!(
                "Requested outflow within 30 days averages {} of NAV, {} at the 95th and {} at the 99th percentile ({} scenarios); at least one large investor redeems in {} of scenarios.",
                p1(row.mean),
                p1(row.p95),
                p1(row.p99),
                r.sweep_scenarios,
                p1(r.any_large_redeemed)
            ),
            &[("mean_30d", row.mean), ("p95_30d", row.p95), ("p99_30d", row.p99), ("any_large_redeemed", r.any_large_redeemed)],
        ));
    }
    let top = r
        .holders
        .iter()
        .max_by(|a, b| a.share_of_requests.total_cmp(&b.share_of_requests));
    let large = r
        .holders
        .iter()
        .filter(|h| h.kind == "large_investor")
        .max_by(|a, b| a.mean.total_cmp(&b.mean));
    if let (Some(t), Some(l)) = (top, large) {
        out.push(finding(
            s,
            "holders",
            format!(
                "The largest source of requests is {} ({} of requests on average); the large investor with the most expected outflow is {} ({} stake), which redeems in {} of scenarios (99th percentile request {} of NAV).",
                t.holder,
                p1(t.share_of_requests),
                l.holder,
                p1(l.stake),
                p1(l.probability),
                p1(l.p99)
            ),
            &[("top_share_of_requests", t.share_of_requests), ("large_probability", l.probability), ("large_p99", l.p99)],
        ));
    }
    if let Some(a) = &r.attribution {
        let base = a.all_on.requested;
        let mut parts: Vec<String> = a
            .channels
            .iter()
            .filter(|c| c.enabled)
            .map(|c| {
                format!(
                    "{} {:+.2} pp",
                    c.channel.replace('_', " "),
                    c.outflow * 100.0
                )
            })
            .collect();
        parts.push(format!(
            "interaction {:+.2} pp",
            a.interaction_outflow * 100.0
        ));
        let cost_top = a
            .largest_cost_channel()
            .map(|c| c.channel.replace('_', " "))
            .unwrap_or_default();
        out.push(finding(
            s,
            "cascade_attribution",
            format!(
                "Feedback adds {} of NAV to mean requested outflow over the horizon ({} of the {} mean; {} scenarios rerun per channel): {}. It adds {:.1} bps to mean liquidation cost, most through {}.",
                p1(a.total_outflow),
                p1(if base > 0.0 { a.total_outflow / base } else { 0.0 }),
                p1(base),
                a.scenarios,
                parts.join(", "),
                a.total_cost * 1e4,
                cost_top
            ),
            &[
                ("feedback_outflow", a.total_outflow),
                ("mean_outflow", base),
                ("feedback_cost_bps", a.total_cost * 1e4),
                ("interaction_outflow", a.interaction_outflow),
            ],
        ));
    }
    out
}

/// Stage 3's findings.
pub fn portfolio_findings(fund: &Fund, p: &PortfolioLiquidityReport) -> Vec<Finding> {
    let s = StageId::PortfolioLiquidity;
    let mut out = Vec::new();
    let n = &p.needs;
    if let Some(row) = n.rows.iter().find(|r| r.horizon_days == 30) {
        out.push(finding(
            s,
            "liquidity_at_risk",
            format!(
                "30-day liquidity at risk is {} / {} / {} of NAV at 90/95/99% confidence ({} at 99%), against {} cash ({} with the fund's buffer-tier holdings).",
                p1(row.lar[0]),
                p1(row.lar[1]),
                p1(row.lar[2]),
                money(row.lar_currency[2], &fund.currency),
                p1(n.cash),
                p1(n.cash_and_buffer_tiers)
            ),
            &[("lar90_30d", row.lar[0]), ("lar95_30d", row.lar[1]), ("lar99_30d", row.lar[2]), ("cash", n.cash)],
        ));
    }
    let b = &p.buffer;
    if let Some(st) = b.results.first() {
        let mut text = format!(
            "The {} cash buffer{} covers {} of scenarios over {} days at {} a year of carry",
            pct(st.cash),
            if b.with_gates {
                ""
            } else {
                " alone (gates off)"
            },
            p2(st.coverage),
            b.horizon_days,
            format_bps(st.opportunity_cost_bps)
        );
        let mut values = vec![
            ("static_coverage", st.coverage),
            ("static_opportunity_cost_bps", st.opportunity_cost_bps),
        ];
        if let Some(c) = &p.use_case_claim {
            text += &format!(
                "; {} covers {} at {} a year",
                c.composition,
                p2(c.coverage),
                format_bps(c.opportunity_cost_bps)
            );
            values.push(("recommended_coverage", c.coverage));
            values.push(("recommended_opportunity_cost_bps", c.opportunity_cost_bps));
        }
        text += &format!(" ({} scenarios per composition).", b.scenarios);
        out.push(finding(s, "buffer_coverage", text, &values));
    }
    if let Some(c) = &p.use_case_claim {
        let text = format!(
            "The use case's buffer claim — {} covering at least {} of scenarios at a lower opportunity cost than the static cash buffer — {} on {}: coverage {} ({} the target) and {} a year against {} for the {} buffer.",
            c.composition,
            p1(c.target_coverage),
            if c.holds { "HOLDS" } else { "does NOT hold" },
            fund.name,
            p2(c.coverage),
            if c.coverage_met { "meets" } else { "misses" },
            format_bps(c.opportunity_cost_bps),
            format_bps(c.static_opportunity_cost_bps),
            c.static_label.trim_start_matches("static "),
        );
        out.push(finding(
            s,
            "use_case_claim",
            text,
            &[
                ("holds", c.holds as u8 as f64),
                ("coverage", c.coverage),
                ("target_coverage", c.target_coverage),
                ("opportunity_cost_bps", c.opportunity_cost_bps),
                ("static_opportunity_cost_bps", c.static_opportunity_cost_bps),
            ],
        ));
    }
    match b.cheapest() {
        Some(r) => out.push(finding(
            s,
            "cheapest_meeting_target",
            format!(
                "The cheapest composition covering at least {} is {} ({}): {} coverage, {} survival, {} a year, expected liquidation cost {:.1} bps.",
                p1(b.target_coverage),
                r.describe(),
                r.label,
                p2(r.coverage),
                p2(r.survival),
                format_bps(r.opportunity_cost_bps),
                r.expected_cost_bps
            ),
            &[("coverage", r.coverage), ("opportunity_cost_bps", r.opportunity_cost_bps), ("expected_cost_bps", r.expected_cost_bps)],
        )),
        None => {
            let best = b.results.iter().max_by(|a, b| a.coverage.total_cmp(&b.coverage));
            if let Some(r) = best {
                out.push(finding(
                    s,
                    "cheapest_meeting_target",
                    format!(
                        "No composition searched covers {}; the best, {}, covers {} at {} a year.",
                        p1(b.target_coverage),
                        r.describe(),
                        p2(r.coverage),
                        format_bps(r.opportunity_cost_bps)
                    ),
                    &[("best_coverage", r.coverage), ("opportunity_cost_bps", r.opportunity_cost_bps)],
                ));
            }
        }
    }
    if let Some(r) = b.best() {
        let w = b.weights;
        out.push(finding(
            s,
            "weighted_ranking",
            format!(
                "Ranked by the weighted objective (safety {}, opportunity cost {}, operational {}), the best composition is {} ({}): {} coverage at {} a year.",
                w.safety,
                w.opportunity_cost,
                w.operational,
                r.describe(),
                r.label,
                p2(r.coverage),
                format_bps(r.opportunity_cost_bps)
            ),
            &[("score", r.score), ("coverage", r.coverage), ("opportunity_cost_bps", r.opportunity_cost_bps)],
        ));
    }
    if let (Some(&first), Some(&last)) = (b.frontier.first(), b.frontier.last()) {
        let (f, l) = (&b.results[first], &b.results[last]);
        out.push(finding(
            s,
            "frontier",
            format!(
                "The efficient frontier has {} of {} compositions, from {} ({} coverage, {}) to {} ({}, {}).",
                b.frontier.len(),
                b.results.len(),
                f.describe(),
                p2(f.coverage),
                format_bps(f.opportunity_cost_bps),
                l.describe(),
                p2(l.coverage),
                format_bps(l.opportunity_cost_bps)
            ),
            &[("points", b.frontier.len() as f64), ("max_coverage", l.coverage)],
        ));
    }
    let c = &p.construction;
    let text = if !c.feasible {
        format!(
            "No weights meet the construction constraints together (solver status {}); relax one of them.",
            c.status
        )
    } else if c.already_met {
        let tightest = c.constraints.iter().min_by(|a, b| {
            (a.slack / a.limit.abs().max(1e-9)).total_cmp(&(b.slack / b.limit.abs().max(1e-9)))
        });
        format!(
            "The fund already meets every construction constraint ({}); no change is needed, and none binds{}.",
            describe_checks(c),
            tightest
                .map(|t| format!(" — the tightest is {} with {:.3} of slack", t.name, t.slack))
                .unwrap_or_default()
        )
    } else {
        let mut moves: Vec<_> = c
            .positions
            .iter()
            .filter(|w| w.change.abs() > 1e-4)
            .collect();
        moves.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
        let listed: Vec<String> = moves
            .iter()
            .take(4)
            .map(|w| format!("{} {:+.1} pp", w.position, w.change * 100.0))
            .collect();
        format!(
            "The smallest change meeting every constraint turns over {} of NAV ({}); binding: {}. After it: {}.",
            p1(c.turnover),
            listed.join(", "),
            if c.binding.is_empty() { "none".to_string() } else { c.binding.join(", ") },
            describe_checks(c)
        )
    };
    out.push(finding(
        s,
        "portfolio_construction",
        text,
        &[
            ("turnover", c.turnover),
            ("feasible", c.feasible as u8 as f64),
            ("binding_count", c.binding.len() as f64),
        ],
    ));
    out
}

fn describe_checks(c: &super::construct::Construction) -> String {
    let parts: Vec<String> = c
        .constraints
        .iter()
        .filter(|k| !k.name.starts_with("max_asset_class:"))
        .map(|k| {
            let v = if k.name == "min_liquidity_score" {
                format!("{:.2}", k.after)
            } else {
                p1(k.after)
            };
            let l = if k.name == "min_liquidity_score" {
                format!("{:.1}", k.limit)
            } else {
                pct(k.limit)
            };
            format!(
                "{} {} {} {}",
                k.name
                    .trim_start_matches("max_")
                    .trim_start_matches("min_")
                    .replace('_', " "),
                v,
                if k.sense == "max" { "≤" } else { "≥" },
                l
            )
        })
        .collect();
    let largest = c
        .constraints
        .iter()
        .filter(|k| k.name.starts_with("max_asset_class:"))
        .max_by(|a, b| a.after.total_cmp(&b.after));
    let mut s = parts.join(", ");
    if let Some(k) = largest {
        s += &format!(
            ", largest class {} {} ≤ {}",
            k.name.trim_start_matches("max_asset_class:"),
            p1(k.after),
            pct(k.limit)
        );
    }
    s
}

fn format_bps(x: f64) -> String {
    format!("{x:.1} bps")
}
