//! Stage 2's tables: `redemptions_by_holder.csv`, `attribution.csv` (when the attribution ran).

use super::{Attribution, InvestorReport};
use crate::table::{header, num, text, Table};

/// Stage 2's tables.
pub fn tables(i: &InvestorReport) -> Vec<Table> {
    let mut out = Vec::new();
    let rows = i
        .holders
        .iter()
        .map(|h| {
            vec![
                text(&h.holder),
                h.kind.to_string(),
                num(h.stake),
                num(h.probability),
                num(h.mean),
                num(h.p95),
                num(h.p99),
                num(h.share_of_requests),
            ]
        })
        .collect();
    out.push(Table {
        file: "redemptions_by_holder.csv",
        header: header(&[
            "holder",
            "kind",
            "stake",
            "probability",
            "mean",
            "p95",
            "p99",
            "share_of_requests",
        ]),
        rows,
    });
    if let Some(a) = &i.attribution {
        out.push(attribution_table(a));
    }
    out
}

/// `attribution.csv`: the variants, each channel's contribution, the group subtotals and the
/// interaction.
fn attribution_table(a: &Attribution) -> Table {
    let mut rows = vec![
        vec![
            "all_on".into(),
            "".into(),
            num(a.all_on.requested_30d),
            num(a.all_on.requested),
            num(a.all_on.cost * 1e4),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            num(a.all_on.requested_shares),
            num(a.all_on.accepted_shares),
            "".into(),
            "".into(),
            "".into(),
        ],
        vec![
            "all_off".into(),
            "".into(),
            num(a.all_off.requested_30d),
            num(a.all_off.requested),
            num(a.all_off.cost * 1e4),
            num(a.total_outflow_30d),
            num(a.total_outflow),
            num(a.total_cost * 1e4),
            num(1.0),
            num(1.0),
            "".into(),
            num(a.all_off.requested_shares),
            num(a.all_off.accepted_shares),
            num(a.total_requested_shares),
            num(a.total_accepted_shares),
            num(a.total_requested_shares_se),
        ],
    ];
    for c in &a.channels {
        rows.push(vec![
            c.channel.to_string(),
            c.enabled.to_string(),
            num(c.without.requested_30d),
            num(c.without.requested),
            num(c.without.cost * 1e4),
            num(c.outflow_30d),
            num(c.outflow),
            num(c.cost * 1e4),
            num(c.outflow_share),
            num(c.cost_share),
            c.group.to_string(),
            num(c.without.requested_shares),
            num(c.without.accepted_shares),
            num(c.requested_shares),
            num(c.accepted_shares),
            num(c.requested_shares_se),
        ]);
    }
    for g in &a.groups {
        rows.push(vec![
            format!("{}_subtotal", g.group),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            num(g.outflow_30d),
            num(g.outflow),
            num(g.cost * 1e4),
            num(g.outflow_share),
            "".into(),
            g.group.to_string(),
            "".into(),
            "".into(),
            num(g.requested_shares),
            num(g.accepted_shares),
            num(g.requested_shares_se),
        ]);
    }
    rows.push(vec![
        "interaction".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        num(a.interaction_outflow),
        num(a.interaction_cost * 1e4),
        num(a.interaction_outflow_share),
        num(a.interaction_cost_share),
        "".into(),
        "".into(),
        "".into(),
        num(a.interaction_requested_shares),
        num(a.interaction_accepted_shares),
        "".into(),
    ]);
    Table {
        file: "attribution.csv",
        header: header(&[
            "variant",
            "enabled",
            "requested_30d",
            "requested",
            "cost_bps",
            "contribution_outflow_30d",
            "contribution_outflow",
            "contribution_cost_bps",
            "outflow_share",
            "cost_share",
            "group",
            "requested_shares",
            "accepted_shares",
            "contribution_requested_shares",
            "contribution_accepted_shares",
            "contribution_requested_shares_se",
        ]),
        rows,
    }
}
