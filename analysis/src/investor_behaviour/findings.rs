//! Stage 2's findings: the investor base, the redemptions by holder and the cascade
//! attribution, as sentences with their numbers.

use super::{Attribution, InvestorReport};
use crate::findings::{finding, p1, Finding};
use crate::graph::StageId;

/// Stage 2's findings.
pub fn findings(r: &InvestorReport) -> Vec<Finding> {
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
        out.push(attribution_finding(a));
    }
    out
}

/// The cascade attribution as a finding: the groups and channels in shares, money beside.
fn attribution_finding(a: &Attribution) -> Finding {
    let s = StageId::InvestorBehaviour;
    let base = a.all_on.requested;
    // Shares in percentage points of day-0 shares, with the paired standard error.
    let pp = |x: f64, se: f64| format!("{:+.2} pp (s.e. {:.2})", x * 100.0, se * 100.0);
    let groups: Vec<String> = a
        .groups
        .iter()
        .map(|g| {
            let parts: Vec<String> = a
                .channels
                .iter()
                .filter(|c| c.enabled && c.group == g.group)
                .map(|c| {
                    format!(
                        "{} {} of shares ({:+.2} pp of NAV in money)",
                        c.channel.replace('_', " "),
                        pp(c.requested_shares, c.requested_shares_se),
                        c.outflow * 100.0
                    )
                })
                .collect();
            format!(
                "{} channels {} of shares requested ({:+.2} pp of NAV in money){}",
                g.group,
                pp(g.requested_shares, g.requested_shares_se),
                g.outflow * 100.0,
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", parts.join(", "))
                }
            )
        })
        .collect();
    let cost_top = a
        .largest_cost_channel()
        .map(|c| c.channel.replace('_', " "))
        .unwrap_or_default();
    let group = |g: &str| a.groups.iter().find(|x| x.group == g);
    let (exo, endo) = (group("exogenous"), group("endogenous"));
    let f = |g: Option<&super::GroupAttribution>, x: fn(&super::GroupAttribution) -> f64| {
        g.map_or(f64::NAN, x)
    };
    finding(
        s,
        "cascade_attribution",
        format!(
            "Feedback adds {} of the day-0 shares to mean shares requested over the horizon \
             (s.e. {}; {} of the starting NAV in money, {} of the {} mean; {} scenarios rerun \
             per channel on common random numbers). By group: {}; interaction {:+.2} pp of \
             shares. Shares are the measure: a spiral that lowers NAV per share makes the \
             same redeemed shares worth less, so money understates it. The drawdown channel \
             (performance) is counted exogenous; the part of the drawdown due to the fund's \
             own sales shows through permanent impact. Feedback adds {:.1} bps to mean \
             liquidation cost, most through {}.",
            p1(a.total_requested_shares),
            p1(a.total_requested_shares_se),
            p1(a.total_outflow),
            p1(if base > 0.0 {
                a.total_outflow / base
            } else {
                0.0
            }),
            p1(base),
            a.scenarios,
            groups.join("; "),
            a.interaction_requested_shares * 100.0,
            a.total_cost * 1e4,
            cost_top
        ),
        &[
            ("feedback_outflow", a.total_outflow),
            ("feedback_requested_shares", a.total_requested_shares),
            ("feedback_requested_shares_se", a.total_requested_shares_se),
            ("feedback_accepted_shares", a.total_accepted_shares),
            ("mean_outflow", base),
            ("feedback_cost_bps", a.total_cost * 1e4),
            ("interaction_outflow", a.interaction_outflow),
            (
                "interaction_requested_shares",
                a.interaction_requested_shares,
            ),
            ("exogenous_requested_shares", f(exo, |g| g.requested_shares)),
            (
                "exogenous_requested_shares_se",
                f(exo, |g| g.requested_shares_se),
            ),
            (
                "endogenous_requested_shares",
                f(endo, |g| g.requested_shares),
            ),
            (
                "endogenous_requested_shares_se",
                f(endo, |g| g.requested_shares_se),
            ),
            ("exogenous_outflow", f(exo, |g| g.outflow)),
            ("endogenous_outflow", f(endo, |g| g.outflow)),
        ],
    )
}
