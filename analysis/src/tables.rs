//! The analysis tables as CSV files, one per table, each written to a temporary name and renamed
//! only once every table is complete (so a failed write leaves none of them half-written).
//!
//! | file | rows |
//! |---|---|
//! | `liquidity_profile.csv` | position (and `PORTFOLIO`) × condition × participation |
//! | `inverse_queries.csv` | position × condition |
//! | `buckets.csv` | position × condition: SEC 22e-4 bucket, with the liquidity score |
//! | `impact_models.csv` | position × condition: the four impact models |
//! | `redemptions_by_holder.csv` | segment or large investor |
//! | `attribution.csv` | feedback channel, plus `all_on`, `all_off`, `interaction` |
//! | `lar.csv` | horizon × confidence |
//! | `frontier.csv` | buffer composition, with its frontier flag and rank |
//! | `construction.csv` | position (and `CASH`): weight before and after |
//! | `strategy_comparison.csv` | liquidation strategy: cost distribution, alpha, drift, residual liquidity, score |
//! | `execution_comparison.csv` | execution approach × market condition |
//! | `hierarchy.csv` | position in liquidation order, with its layer |
//! | `gate_grid.csv` | gate trigger × cap grid point, with scores and rank |
//! | `swing_calibration.csv` | swing threshold × factor |
//! | `early_warning.csv` | indicator: lead time, hit and false-alarm rates, best threshold |
//! | `reverse_stress_map.csv` | market × redemption severity grid point: failure probability |
//! | `playbook.csv` | communication stage |

use std::io::Write;
use std::path::{Path, PathBuf};

use super::AnalysisSummary;
use undertow_host::output::AtomicFile;

/// One table: its file name, header and rows.
pub struct Table {
    pub file: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub(crate) fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else if x.is_infinite() && x > 0.0 {
        "inf".into()
    } else {
        String::new()
    }
}

pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// Quotes a text cell when it needs it.
pub(crate) fn text(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

/// The tables of the stages that ran.
pub fn tables(s: &AnalysisSummary) -> Vec<Table> {
    let mut out = Vec::new();
    if let Some(m) = &s.market_liquidity {
        let mut h = header(&[
            "position",
            "condition",
            "participation",
            "weight",
            "days_to_liquidate",
            "cost_bps",
        ]);
        for d in &m.horizons {
            h.push(format!("sold_share_{d}d"));
        }
        for d in &m.horizons {
            h.push(format!("cost_{d}d_bps"));
        }
        let rows = m
            .profile
            .iter()
            .map(|r| {
                let mut row = vec![
                    text(&r.position),
                    r.condition.clone(),
                    num(r.participation),
                    num(r.weight),
                    num(r.days_to_liquidate),
                    num(r.cost_bps),
                ];
                row.extend(r.sold_share.iter().map(|x| num(*x)));
                row.extend(r.horizon_cost_bps.iter().map(|x| num(*x)));
                row
            })
            .collect();
        out.push(Table {
            file: "liquidity_profile.csv",
            header: h,
            rows,
        });

        let rows = m
            .inverse
            .iter()
            .map(|r| {
                vec![
                    text(&r.position),
                    r.condition.clone(),
                    num(m.target_days),
                    opt(r.participation_for_target_days),
                    opt(r.cost_for_target_days_bps),
                    num(m.cost_threshold_bps),
                    opt(r.participation_for_cost_threshold),
                    opt(r.days_for_cost_threshold),
                ]
            })
            .collect();
        out.push(Table {
            file: "inverse_queries.csv",
            header: header(&[
                "position",
                "condition",
                "target_days",
                "participation_for_target_days",
                "cost_for_target_days_bps",
                "cost_threshold_bps",
                "participation_for_cost_threshold",
                "days_for_cost_threshold",
            ]),
            rows,
        });

        let rows = m
            .buckets
            .iter()
            .map(|r| {
                let score = m
                    .liquidity
                    .iter()
                    .find(|l| l.position == r.position)
                    .map(|l| l.score);
                vec![
                    text(&r.position),
                    r.condition.clone(),
                    num(r.weight),
                    num(r.participation),
                    num(r.sale_days),
                    num(r.cash_days),
                    num(r.cost_bps),
                    r.bucket.name().to_string(),
                    opt(score),
                ]
            })
            .collect();
        out.push(Table {
            file: "buckets.csv",
            header: header(&[
                "position",
                "condition",
                "weight",
                "participation",
                "sale_days",
                "cash_days",
                "cost_bps",
                "bucket",
                "liquidity_score",
            ]),
            rows,
        });

        let rows = m
            .impact_models
            .iter()
            .map(|r| {
                vec![
                    text(&r.position),
                    r.condition.clone(),
                    num(r.participation),
                    num(r.linear_bps),
                    num(r.square_root_bps),
                    num(r.threshold_bps),
                    num(r.adaptive_bps),
                ]
            })
            .collect();
        out.push(Table {
            file: "impact_models.csv",
            header: header(&[
                "position",
                "condition",
                "participation",
                "linear_bps",
                "square_root_bps",
                "threshold_bps",
                "adaptive_bps",
            ]),
            rows,
        });
    }
    if let Some(i) = &s.investor_behaviour {
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
            ]);
            out.push(Table {
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
                ]),
                rows,
            });
        }
    }
    if let Some(p) = &s.portfolio_liquidity {
        let mut rows = Vec::new();
        for r in &p.needs.rows {
            for (k, c) in p.needs.confidences.iter().enumerate() {
                rows.push(vec![
                    r.horizon_days.to_string(),
                    num(*c),
                    num(r.lar[k]),
                    num(r.lar_currency[k]),
                ]);
            }
        }
        out.push(Table {
            file: "lar.csv",
            header: header(&["horizon_days", "confidence", "lar", "lar_currency"]),
            rows,
        });
        let rows = p
            .buffer
            .results
            .iter()
            .map(|r| {
                vec![
                    text(&r.label),
                    num(r.cash),
                    num(r.sovereign),
                    num(r.etf),
                    num(r.total),
                    num(r.coverage),
                    num(r.survival),
                    num(r.gate_frequency),
                    num(r.shortfall_frequency),
                    num(r.opportunity_cost_bps),
                    num(r.expected_cost_bps),
                    num(r.cost_p99_bps),
                    r.meets_target.to_string(),
                    r.on_frontier.to_string(),
                    num(r.score),
                    r.rank.to_string(),
                ]
            })
            .collect();
        out.push(Table {
            file: "frontier.csv",
            header: header(&[
                "label",
                "cash",
                "sovereign",
                "etf",
                "total",
                "coverage",
                "survival",
                "gate_frequency",
                "shortfall_frequency",
                "opportunity_cost_bps",
                "expected_cost_bps",
                "cost_p99_bps",
                "meets_target",
                "on_frontier",
                "score",
                "rank",
            ]),
            rows,
        });
        let c = &p.construction;
        let mut rows: Vec<Vec<String>> = c
            .positions
            .iter()
            .map(|w| {
                vec![
                    text(&w.position),
                    text(&w.class),
                    num(w.before),
                    num(w.after),
                    num(w.change),
                ]
            })
            .collect();
        rows.push(vec![
            "CASH".into(),
            "".into(),
            num(c.cash_before),
            num(c.cash_after),
            num(c.cash_after - c.cash_before),
        ]);
        out.push(Table {
            file: "construction.csv",
            header: header(&["position", "class", "before", "after", "change"]),
            rows,
        });
    }
    if let Some(l) = &s.liquidation_design {
        out.extend(super::liquidation::tables(l));
    }
    if let Some(r) = &s.redemption_policy {
        out.extend(super::gates::tables(&r.gate_grid, &r.swing));
        out.extend(super::early_warning::tables(&r.early_warning));
        out.extend(super::reverse_stress::tables(&r.reverse_stress));
        out.extend(super::playbook::tables(&r.playbook));
    }
    out
}

/// Writes every table into `dir`; returns the paths written. Nothing appears under its final
/// name until every table has been written in full.
pub fn write_tables(dir: &Path, s: &AnalysisSummary) -> std::io::Result<Vec<PathBuf>> {
    write_table_list(dir, tables(s))
}

/// Writes `list` into `dir` as [`write_tables`] does.
pub fn write_table_list(dir: &Path, list: Vec<Table>) -> std::io::Result<Vec<PathBuf>> {
    let mut pending = Vec::new();
    for t in list {
        let path = dir.join(t.file);
        let mut f = AtomicFile::create(&path)?;
        writeln!(f.writer(), "{}", t.header.join(","))?;
        for row in &t.rows {
            writeln!(f.writer(), "{}", row.join(","))?;
        }
        pending.push((path, f));
    }
    let mut written = Vec::new();
    for (path, f) in pending {
        f.commit()?;
        written.push(path);
    }
    Ok(written)
}
